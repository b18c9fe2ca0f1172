package weft.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Gate;
import weft.autograd.nn.LayerNorm;
import weft.autograd.nn.Linear;
import weft.autograd.nn.Losses;
import weft.autograd.nn.Module;
import weft.autograd.nn.MultiHeadAttention;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.CsrMatrix;
import weft.graph.SpMM;
import weft.models.blocks.Bpr;
import weft.models.blocks.ContentScale;
import weft.models.blocks.ContentSignal;
import weft.models.blocks.DotScorer;
import weft.models.blocks.Embeddings;
import weft.models.blocks.Features;
import weft.models.blocks.Graphs;
import weft.models.blocks.Index;
import weft.models.blocks.Tokens;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.TrainBatches;
import weft.models.options.Option;
import weft.models.options.SharedOptions;
import weft.models.options.Options;

/**
 * HMA-Rec: hierarchical attention fusion of an item's modalities, added to LightGCN. With x_i^m
 * the item's features in modality m (M modalities), T tokens, d the size:
 *
 * <pre>
 *   level 1 (intra)  Z_i^m   = reshape(W_t^m n(x_i^m), [T, d]) + P^m            (P^m learned positions)
 *                    H_i^m   = LN(Z_i^m + MHA_intra^m(Z_i^m, Z_i^m, Z_i^m))
 *   level 2 (cross)  K_i^m   = [H_i^m' for m' != m ; e_i]                      (e_i the item's ID embedding, one token)
 *                    C_i^m   = LN(H_i^m + MHA_cross^m(H_i^m, K_i^m, K_i^m)),    c_i^m = mean_t C_i^m[t]
 *   level 3 (gate)   g_i^m   = sigmoid(W_g^m [c_i^m ; e_i] + b_g^m),            c_i = sum_m g_i^m * c_i^m / M
 *   collaborative    E       = LightGCN layer mean over A_hat from [E_user ; E_item]
 *                    item_i  = E_i + g w^p a * c_i / ||c_i|| + w^2 (S^L E^0)_i,  user_u = E_u + mean_{j in N(u)} g w^p a * c_j / ||c_j||
 *                    (S the features' summed, normalised kNN item graph, E^0 the layer-0 item ID embeddings,
 *                     L = --item-graph-layers, default 1; 0 drops the term)
 *   loss             BPR(user, item) + reg * (||e_u||_F + ||e_p||_F + ||e_n||_F) / B
 *                    + lambda_cl * mean_{m < m'} (InfoNCE(c^m, c^m') + InfoNCE(c^m', c^m)) / 2   (batch's distinct positives)
 *                    + w_id * BPR(E)                  (--id-bpr w_id, default 0: LightGCN's ID embeddings alone)
 * </pre>
 * n(.) is {@link #INPUT_NORM}, a is {@link #CONTENT_SCALE}, w in [0, 1] the content weight the
 * training interactions give the features with {@link #ADAPT_SCALE} ({@link ContentSignal}: 1 where
 * an item's feature neighbours share users at least twice as often as random items; 1 without the
 * option), p is {@link #ADAPT_POWER}, g is a learned scalar starting at 1 with {@link #LEARN_SCALE} (else g = 1). Switched
 * off, a level is the identity (H^m = Z^m, C^m = H^m, c_i = mean_m c_i^m) and {@code --no-align}
 * drops the InfoNCE term. With one
 * modality, level 2 attends to the modality's own tokens plus the ID token, and there is nothing
 * to align. Every batch computes the content of all items at once ({@code [I*T, d]} token rows).
 * How the abstract was read, and why: {@code docs/models.md}, section HMA-Rec.
 */
public final class HmaRec extends GraphRecommender {
    public static final Option<Integer> TOKENS = Option.integer("tokens", 4, "tokens T per modality").min(1).search(2, 4, 8);
    public static final Option<Integer> HEADS = SharedOptions.HEADS;
    public static final Option<Boolean> INTRA = Option.toggle("intra", "level 1: self-attention over each modality's tokens");
    public static final Option<Boolean> CROSS = Option.toggle("cross", "level 2: attention to the other modalities and the ID");
    public static final Option<Boolean> GATE = Option.toggle("gate", "level 3: gated aggregation of the modalities");
    public static final Option<Boolean> ALIGN = Option.toggle("align", "InfoNCE alignment of the modalities' content");
    public static final Option<Double> CL_WEIGHT = SharedOptions.CL_WEIGHT;
    public static final Option<Double> CL_TEMP = SharedOptions.CL_TEMP;
    public static final Option<Double> CONTENT_SCALE = SharedOptions.CONTENT_SCALE;
    public static final Option<Boolean> LEARN_SCALE = SharedOptions.LEARN_SCALE;
    public static final Option<Boolean> ADAPT_SCALE = SharedOptions.ADAPT_SCALE;
    /** 2 by default: chosen on valid over five regimes (docs/models.md, section 4, "HMA-Rec's content weighted by w^2"). */
    public static final Option<Integer> ADAPT_POWER = SharedOptions.ADAPT_POWER
            .whenUnsaved(1);   // models saved before the option existed weighed their content by w
    public static final Option<FeatureNorm> INPUT_NORM = SharedOptions.INPUT_NORM;
    public static final Option<Double> CONTENT_STEP = SharedOptions.CONTENT_STEP;
    public static final Option<Double> ID_BPR = SharedOptions.ID_BPR;
    public static final Option<Double> FEATURE_DROPOUT = SharedOptions.FEATURE_DROPOUT;
    /** Off by default: measured on Last.fm-2K with one seed only (docs/models.md, HMA-Rec). */
    public static final Option<Boolean> LEAVE_ONE_OUT = Option.bool("leave-one-out", false,
            "in training, score each positive against the user's content profile without that item");

    /** On by default since the four-regime comparison of docs/models.md, section 4, with its term weighted by w squared. */
    public static final Option<Integer> ITEM_GRAPH_LAYERS = Option.integer("item-graph-layers", 1,
            "hops of the item ID embeddings over the features' kNN item graph (FREEDOM's), added to the items; 0: no item graph").min(0).max(3)
            .whenUnsaved(0);   // models saved before the option existed had no item graph
    public static final Option<Integer> KNN_K = SharedOptions.KNN_K;

    public static final ModelSpec SPEC = ModelSpec.builder("hmarec",
                    "HMA-Rec: intra-modal, cross-modal and gated attention over modality tokens + LightGCN")
            .options(TOKENS, HEADS, INTRA, CROSS, GATE, ALIGN, CL_WEIGHT, CL_TEMP, CONTENT_SCALE, ADAPT_SCALE, ADAPT_POWER, LEARN_SCALE, INPUT_NORM, LEAVE_ONE_OUT, CONTENT_STEP, ID_BPR, FEATURE_DROPOUT, ITEM_GRAPH_LAYERS, KNN_K)
            .build(HmaRec::new);

    /** The fused content c [I, d] and each modality's c^m [I, d]. */
    record Content(Var fused, Var[] perModality) {}

    private final int dim, tokens;
    private final float contentStep;
    private final List<String> modalityNames;
    private final Var[] features;
    private final Rng dropoutRng;           // --feature-dropout's masks, drawn in training steps only
    // The layers, per modality; a switched-off layer is null (its values are still drawn, so the
    // layers an ablation keeps start from the same values as in the full model).
    final Var emb;                          // [U+I, d]: users then items
    final Linear[] tokenize;                // f_m -> T*d, no bias
    final Var[] pos;                        // [1, T*d]
    final MultiHeadAttention[] intra, cross;
    final LayerNorm[] intraNorm, crossNorm;
    final Gate[] gates;
    final Var gain;                         // [1, 1] learned content scale g, null without --learn-scale
    final ContentSignal.Measured signal;    // the features' measured lifts and content weight w, null without --adapt-scale
    final float contentScale;               // a, times w^p with --adapt-scale (p: --adapt-power)
    private final CsrMatrix itemGraph;      // the features' kNN item graph, null without it
    private final float graphWeight;        // its term's weight: w^2 with --adapt-scale, else 1 (graphWeight(signal))

    public HmaRec(Dataset data, ModelConfig cfg, Options opts) {
        super(SPEC, data, cfg, opts);
        Map<String, Tensor> mods = Features.require(data, "hmarec");
        int heads = heads(HEADS, cfg.dim);
        dim = cfg.dim;
        tokens = opts.get(TOKENS);
        contentStep = opts.getFloat(CONTENT_STEP);

        modalityNames = List.copyOf(mods.keySet());
        int m = modalityNames.size();
        features = new Var[m];
        tokenize = new Linear[m];
        pos = new Var[m];
        intra = new MultiHeadAttention[m];
        cross = new MultiHeadAttention[m];
        intraNorm = new LayerNorm[m];
        crossNorm = new LayerNorm[m];
        gates = new Gate[m];
        Rng rng = new Rng(cfg.seed);
        emb = Embeddings.idTable(rng, numUsers, numItems, dim);
        for (int k = 0; k < m; k++) {
            Tensor x = mods.get(modalityNames.get(k));
            features[k] = Var.constant(opts.get(INPUT_NORM).apply(x));
            tokenize[k] = new Linear(x.cols, tokens * dim, false, rng);
            if (contentStep != 1f) { // W / s stored, s * (W / s) x computed: same tokens, Adam steps s times smaller
                Tensor w = tokenize[k].weight.value;
                for (int i = 0; i < w.size(); i++) w.data[w.offset + i] /= contentStep;
            }
            pos[k] = Var.param("position", rng.normal(new Tensor(1, tokens * dim), 0f, 0.02f));
            MultiHeadAttention in = new MultiHeadAttention(dim, heads, rng);
            MultiHeadAttention cr = new MultiHeadAttention(dim, heads, rng);
            Gate g = new Gate(dim, dim, rng);
            if (opts.get(INTRA)) {
                intra[k] = in;
                intraNorm[k] = new LayerNorm(dim);
            }
            if (opts.get(CROSS)) {
                cross[k] = cr;
                crossNorm[k] = new LayerNorm(dim);
            }
            gates[k] = opts.get(GATE) ? g : null;
        }
        gain = ContentScale.gain(opts.get(LEARN_SCALE));
        signal = opts.get(ADAPT_SCALE) ? ContentSignal.of(data, mods) : null;
        contentScale = ContentScale.scale(opts.getFloat(CONTENT_SCALE), signal, opts.get(ADAPT_POWER));
        // The features' kNN item graph (FREEDOM's, built as CRANE's semantic graph is). Its term is
        // weighted by w squared (1 without --adapt-scale): the graph's edges come from the features
        // and then move the ID embeddings, so a weak signal counts twice.
        // Weighted by w, it lost 2.9 % on sparse-weak (w = 0.29); by w^2, see docs/models.md, section 4.
        itemGraph = opts.get(ITEM_GRAPH_LAYERS) > 0
                ? Graphs.featureGraph(Arrays.stream(features).map(f -> f.value).toList(), knnK(KNN_K)) : null;
        graphWeight = graphWeight(signal);
        dropoutRng = Features.dropoutRng(cfg.seed);
    }

    @Override
    public List<Var> parameters() {
        List<Object> parts = new ArrayList<>();
        parts.add(emb);
        if (gain != null) {
            parts.add(gain);
        }
        for (int m = 0; m < tokenize.length; m++) {
            parts.add(tokenize[m]);
            parts.add(pos[m]);
            for (Module l : new Module[] {intra[m], intraNorm[m], cross[m], crossNorm[m], gates[m]}) {
                if (l != null) {
                    parts.add(l);
                }
            }
        }
        return Module.collect(parts.toArray());
    }

    /** Levels 1-3 for all items (from dropped-out features in a training step with {@code --feature-dropout}). */
    Content content() {
        int mods = features.length;
        Var idToken = ShapeOps.sliceRows(emb, numUsers, numItems);
        Var[] h = new Var[mods];
        for (int m = 0; m < mods; m++) {
            Var x = Features.dropout(features[m], opts.getFloat(FEATURE_DROPOUT), dropoutRng);
            // [I, T*d]; at step 1 the positions are the product's bias: one op, the bits of the add
            Var z = contentStep == 1f ? Ops.linear(x, tokenize[m].weight, pos[m])
                    : Ops.add(Ops.scale(tokenize[m].forward(x), contentStep), pos[m]);
            Var tok = ShapeOps.reshape(z, numItems * tokens, dim);                 // [I*T, d]
            if (intra[m] != null) {
                tok = intraNorm[m].forward(intra[m].forwardResidual(tok, tokens, null));   // tok + attention(tok), one op at the end
            }
            h[m] = tok;
        }
        Var[] c = new Var[mods];
        for (int m = 0; m < mods; m++) {
            Var tok = h[m];
            if (cross[m] != null) {
                List<Var> parts = new ArrayList<>();
                for (int o = 0; o < mods; o++) {
                    if (o != m || mods == 1) {
                        parts.add(ShapeOps.reshape(h[o], numItems, tokens * dim));
                    }
                }
                parts.add(idToken);
                Var kv = Tokens.sequences(dim, parts.toArray(new Var[0]));
                tok = crossNorm[m].forward(cross[m].forwardResidual(tok, tokens, kv, kv, kv.rows() / numItems, null));
            }
            c[m] = Tokens.meanPool(tok, tokens);
        }
        Var fused = null;
        for (int m = 0; m < mods; m++) {
            Var part = gates[m] != null ? gates[m].gate(c[m], idToken) : c[m];
            fused = fused == null ? part : Ops.add(fused, part);
        }
        return new Content(mods == 1 ? fused : Ops.scale(fused, 1f / mods), c);
    }

    /** Final embeddings of all nodes, [U+I, d]: LightGCN's plus the normalised content terms. */
    Var forward(Var content) {
        return embeddings(content).all();
    }

    /** The item graph term's weight: w^2 for the measured content weight w, 1 without a measurement (no --adapt-scale). */
    static float graphWeight(ContentSignal.Measured signal) {
        float w = ContentScale.scale(1f, signal);
        return w * w;   // squared in float (the content's a w^2 squares in double): kept, the bits it was adopted with
    }

    /** The final embeddings, and the content terms they hold: items' a n(c) and users' mean of their items'. */
    record Embedded(Var all, Var itemContent, Var userContent, Var gcn) {}

    Embedded embeddings(Var content) {
        Var gcn = Graphs.layerMean(adj, emb, layers);
        Var itemContent = ContentScale.apply(content, contentScale, gain);
        Var userContent = SpMM.apply(userMean, itemContent);
        Var items = itemContent;
        if (itemGraph != null) {   // FREEDOM's item term: the ID embeddings' hops over the item graph, times w^2
            Var h = Graphs.hops(itemGraph, ShapeOps.sliceRows(emb, numUsers, numItems), opts.get(ITEM_GRAPH_LAYERS));
            items = Ops.add(itemContent, graphWeight == 1f ? h : Ops.scale(h, graphWeight));
        }
        return new Embedded(Ops.add(gcn, ShapeOps.concatRows(userContent, items)), itemContent, userContent, gcn);
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        Content c = content();
        Embedded e = embeddings(c.fused());
        Var loss;
        if (opts.get(LEAVE_ONE_OUT)) {
            Var positiveUsers = Bpr.leaveOneOutUsers(e.all(), e.userContent(), e.itemContent(), b, userCounts);
            loss = Bpr.withEmbLoss(e.all(), emb, b, numUsers, reg, positiveUsers);
        } else {
            loss = Bpr.withEmbLoss(e.all(), emb, b, numUsers, reg);
        }
        if (opts.getFloat(ID_BPR) > 0) {
            loss = Ops.add(loss, Ops.scale(Bpr.ofRows(e.gcn(), b, numUsers), opts.getFloat(ID_BPR)));
        }
        Var[] per = c.perModality();
        if (opts.get(ALIGN) && opts.getFloat(CL_WEIGHT) > 0 && per.length > 1) {
            int[] items = Index.distinct(b.pos());
            Var cl = null;
            int pairs = 0;
            for (int a = 0; a < per.length; a++) {
                for (int o = a + 1; o < per.length; o++) {
                    Var za = ShapeOps.gatherRows(per[a], items), zb = ShapeOps.gatherRows(per[o], items);
                    Var both = Losses.infoNceBothWays(za, zb, opts.getFloat(CL_TEMP));   // InfoNCE(za, zb) + InfoNCE(zb, za)
                    cl = cl == null ? both : Ops.add(cl, both);
                    pairs++;
                }
            }
            loss = Ops.add(loss, Ops.scale(cl, opts.getFloat(CL_WEIGHT) / (2f * pairs)));
        }
        return loss;
    }

    /** The learned content scale g with {@code --learn-scale}; the features' lifts and weight with {@code --adapt-scale}. */
    @Override
    public Map<String, Object> trainedFacts() {
        return ContentScale.facts(gain, signal);
    }

    @Override
    public DotScorer scorer() {
        try (NoGrad g = NoGrad.scope()) {
            return DotScorer.ofNodes(forward(content().fused()).value, numUsers);
        }
    }
}
