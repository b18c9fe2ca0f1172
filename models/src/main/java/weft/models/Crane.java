package weft.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
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
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.TrainBatches;
import weft.models.options.Option;
import weft.models.options.SharedOptions;
import weft.models.options.Options;

/**
 * CRANE: recursive cross-modal attention (RCA) for item semantics, users' multimodal profiles, and
 * a user-item and an item-item graph tied by contrastive learning. With M modalities, x_i^m the
 * item's features, R recursion steps, d the size:
 *
 * <pre>
 *   RCA      v_i^m(0) = W_m n(x_i^m) + b_m                                   (each modality to d)
 *            J_i(r)   = W_j [v_i^1(r) ; ... ; v_i^M(r)] + b_j                 (joint representation)
 *            v_i^m(r+1) = LN(v_i^m(r) + MHA(q = v_i^m(r), k = v = [J_i(r) ; v_i^m'(r) for m' != m]))
 *                                                                           (W_j, MHA and LN shared by all steps)
 *            s_i      = g w a * o_i / ||o_i||,   o_i = W_o [v_i^1(R) ; ... ; v_i^M(R)] + b_o
 *   profile  p_u      = mean_{j in N(u)} s_j                                  (D_u^-1 R s, one SpMM)
 *   view 1   Z        = LightGCN layer mean over A_hat from Z^(0) = [E_user + p ; E_item + s]
 *   view 2   H_item   = S^L (E_item + s),   H_user = D_u^-1 R H_item          (S the frozen item kNN graph)
 *   final    user_u   = Z_u,   item_i = Z_i + v H_i                           (v = w with --adapt-view, else 1)
 *   loss     BPR(user, item) + reg * (||e_u||_F + ||e_p||_F + ||e_n||_F) / B
 *            + lambda * (InfoNCE(Z_U, H_U) + InfoNCE(Z_I, H_I))             (batch's distinct users / positives)
 *   lambda   = lambda_cl * clamp(16 / d, 1, 2) * w                         (--adapt-contrast; d the training
 *                                                                           interactions per user; else lambda_cl)
 *   training each positive p scored against Z_u + (mean_{N(u) without p} s - p_u) / (L + 1)  (--leave-one-out)
 * </pre>
 * S is FREEDOM's graph (per modality the kNN graph of the normalised features, averaged and
 * symmetrically normalised), built once at construction; with {@link #ADAPT_GRAPH} it is
 * {@code w S + (1 - w) I}, trusted as far as the features are (w below), and with {@link #ADAPT_VIEW}
 * view 2's term in the items' final embeddings is weighted by the same w. n(.) is {@link #INPUT_NORM}, a is
 * {@link #CONTENT_SCALE}, w in [0, 1] the content weight the training interactions give the
 * features with {@link #ADAPT_SCALE} ({@link ContentSignal}; else 1), g a learned scalar starting at
 * 1 with {@link #LEARN_SCALE} (else 1). {@link #JOINT} {@code recursive} rebuilds J from the refined modalities at
 * every step, as written; {@code fixed} computes J(0) once and keeps it for all steps (the two agree
 * for R = 1). With one modality the keys are J and the modality itself;
 * {@code --rca-steps 0} gives s_i = W_o [v_i(0)]. Switches: without profiles Z^(0)'s users are
 * E_user; without the semantic graph view 2 and the contrast are gone (item_i = Z_i); without
 * contrast lambda_cl = 0. How the abstract was read, and why: {@code docs/models.md}, section CRANE.
 */
public final class Crane extends GraphRecommender {
    public static final Option<Integer> RCA_STEPS = Option.integer("rca-steps", 2, "recursion steps R, 0 for no attention").min(0)
            .search(1, 2, 3);
    public static final Option<Integer> HEADS = SharedOptions.HEADS;
    public static final Option<Boolean> PROFILE = Option.toggle("profile", "users' multimodal profiles");
    public static final Option<Boolean> SEMANTIC_GRAPH = Option.toggle("semantic-graph", "item-item semantic graph, view 2");
    public static final Option<Boolean> CONTRAST = Option.toggle("contrast", "InfoNCE contrast between the two views");
    public static final Option<Double> CL_WEIGHT = SharedOptions.CL_WEIGHT.search(0.001, 0.003, 0.01, 0.03);
    public static final Option<Double> CL_TEMP = SharedOptions.CL_TEMP;
    public static final Option<Integer> KNN_K = SharedOptions.KNN_K;
    public static final Option<Integer> ITEM_LAYERS = Option.integer("item-layers", 1, "item-graph hops L").min(0).search(1, 2);
    public static final Option<Double> CONTENT_SCALE = SharedOptions.CONTENT_SCALE;
    public static final Option<Boolean> LEARN_SCALE = SharedOptions.LEARN_SCALE;
    public static final Option<Boolean> ADAPT_SCALE = SharedOptions.ADAPT_SCALE;
    /** On by default: chosen on valid over five regimes (docs/models.md, section 4, "A content weight measured on the training interactions"). */
    public static final Option<Boolean> ADAPT_GRAPH = Option.bool("adapt-graph", true,
            "the semantic item graph S mixed with the identity by the content weight w that the training interactions give"
                    + " the features (as --adapt-scale measures it): w S + (1 - w) I");
    /** On by default: chosen on valid over five regimes (docs/models.md, section 4, "CRANE's second view weighed by the content weight"). */
    public static final Option<Boolean> ADAPT_VIEW = Option.bool("adapt-view", true,
            "view 2's term in the items' final embeddings weighted by the content weight w that the training interactions give"
                    + " the features (as --adapt-scale measures it): item_i = Z_i + w H_i")
            .whenUnsaved(false);   // models saved before the option existed weighed view 2 by 1
    /**
     * The contrast's weight set by the training data: lambda_cl times the content weight w and times
     * {@link #sparseFactor} (2 where users have at most 8 training interactions on average, 1 from 16 on).
     * On by default: chosen on valid over four regimes x three seeds (docs/models.md, section 4, "CRANE's
     * contrast weighed by the data").
     */
    public static final Option<Boolean> ADAPT_CONTRAST = Option.bool("adapt-contrast", true,
            "the contrast's weight lambda_cl times the content weight w that the training interactions give the features"
                    + " (as --adapt-scale measures it) and times clamp(16 / d, 1, 2) for d the training interactions per user:"
                    + " the semantic view pulls harder where users have few interactions, as far as the features are trusted")
            .whenUnsaved(false);   // models saved before the option existed weighed the contrast by lambda_cl
    public static final Option<FeatureNorm> INPUT_NORM = SharedOptions.INPUT_NORM;
    public static final Option<Double> FEATURE_DROPOUT = SharedOptions.FEATURE_DROPOUT;
    /** On by default: chosen on valid over four regimes x three seeds (docs/models.md, CRANE, "Leave-one-out profiles"). */
    public static final Option<Boolean> LEAVE_ONE_OUT = Option.bool("leave-one-out", true,
            "in training, score each positive against the user's profile (its layer-0 term) without that item");

    /** How the joint representation J enters the recursion. */
    public enum Joint {
        /** J(r) = W_j [v^1(r) ; ... ; v^M(r)] + b_j, rebuilt from the refined modalities at every step. */
        RECURSIVE,
        /** J = W_j [v^1(0) ; ... ; v^M(0)] + b_j, computed once from the projections, before the loop. */
        FIXED
    }

    public static final Option<Joint> JOINT = Option.choice("joint", Joint.class, Joint.FIXED,
            "joint vector J rebuilt from the refined modalities every step (recursive) or computed once (fixed)");

    public static final ModelSpec SPEC = ModelSpec.builder("crane",
                    "CRANE: recursive cross-modal attention, user profiles, user-item + item-item graphs with contrast")
            .options(RCA_STEPS, JOINT, HEADS, PROFILE, SEMANTIC_GRAPH, CONTRAST, CL_WEIGHT, CL_TEMP, KNN_K, ITEM_LAYERS, CONTENT_SCALE, ADAPT_SCALE, ADAPT_GRAPH, ADAPT_VIEW, ADAPT_CONTRAST, LEARN_SCALE, INPUT_NORM, LEAVE_ONE_OUT, FEATURE_DROPOUT)
            .ablation(RCA_STEPS, 0)
            .build(Crane::new);

    /**
     * Both views of all nodes, [U+I, d] each; h is null without the semantic graph. s is the items'
     * semantic vectors and p the users' profiles (null without them).
     */
    record Views(Var z, Var h, Var s, Var p) {}

    private final int dim;
    private final List<String> modalityNames;
    final Var[] features;                   // per modality, [I, f_m], after --input-norm
    private final Rng dropoutRng;           // --feature-dropout's masks, drawn in training steps only
    private final CsrMatrix itemGraph;   // itemGraph null without the semantic graph
    // The layers; joint, attention and norm are null for --rca-steps 0 (their values are still
    // drawn, so that the other layers start from the same values).
    final Var emb;                          // [U+I, d]: users then items
    final Linear[] proj;                    // per modality, f_m -> d
    final Linear joint, out;                // M*d -> d
    final MultiHeadAttention attention;
    final LayerNorm norm;
    final Var gain;                         // [1, 1] learned content scale g, null without --learn-scale
    final ContentSignal.Measured signal;    // the features' lifts and content weight w, null where neither option uses them
    final float contentScale;               // a, times w with --adapt-scale
    final float viewWeight;                 // w with --adapt-view, else 1
    final float contrastWeight;             // lambda_cl, times clamp(16 / d, 1, 2) w with --adapt-contrast

    public Crane(Dataset data, ModelConfig cfg, Options opts) {
        super(SPEC, data, cfg, opts);
        Map<String, Tensor> mods = Features.require(data, "crane");
        int heads = heads(HEADS, cfg.dim);
        boolean semanticGraph = opts.get(SEMANTIC_GRAPH);
        int knnK = semanticGraph ? knnK(KNN_K) : 0;
        dim = cfg.dim;

        modalityNames = List.copyOf(mods.keySet());
        int m = modalityNames.size();
        features = new Var[m];
        List<Tensor> normalised = new ArrayList<>();
        for (int k = 0; k < m; k++) {
            Tensor x = opts.get(INPUT_NORM).apply(mods.get(modalityNames.get(k)));
            features[k] = Var.constant(x);
            normalised.add(x);
        }
        signal = opts.get(ADAPT_SCALE) || ((opts.get(ADAPT_GRAPH) || opts.get(ADAPT_VIEW) || opts.get(ADAPT_CONTRAST)) && semanticGraph)
                ? ContentSignal.of(data, mods) : null;
        viewWeight = semanticGraph && opts.get(ADAPT_VIEW) ? (float) signal.weight() : 1f;   // w is in [0, 1]
        // lambda_cl times powers of two and w: at d >= 16 and w = 1 exactly lambda_cl, the bits without --adapt-contrast
        contrastWeight = semanticGraph && opts.get(ADAPT_CONTRAST)
                ? opts.getFloat(CL_WEIGHT) * sparseFactor(data.numTrain() / (double) numUsers) * (float) signal.weight()
                : opts.getFloat(CL_WEIGHT);
        CsrMatrix graph = semanticGraph ? Graphs.featureGraph(normalised, knnK) : null;
        itemGraph = graph != null && opts.get(ADAPT_GRAPH) ? ContentSignal.trusted(graph, signal.weight()) : graph;

        dropoutRng = Features.dropoutRng(cfg.seed);
        Rng rng = new Rng(cfg.seed);
        emb = Embeddings.idTable(rng, numUsers, numItems, dim);
        proj = new Linear[m];
        for (int k = 0; k < m; k++) {
            proj[k] = new Linear(features[k].cols(), dim, true, rng);
        }
        Linear j = new Linear(m * dim, dim, true, rng);
        MultiHeadAttention a = new MultiHeadAttention(dim, heads, rng);
        joint = opts.get(RCA_STEPS) > 0 ? j : null;
        attention = opts.get(RCA_STEPS) > 0 ? a : null;
        norm = opts.get(RCA_STEPS) > 0 ? new LayerNorm(dim) : null;
        out = new Linear(m * dim, dim, true, rng);
        gain = ContentScale.gain(opts.get(LEARN_SCALE));
        contentScale = ContentScale.scale(opts.getFloat(CONTENT_SCALE), opts.get(ADAPT_SCALE) ? signal : null);
    }

    @Override
    public List<Var> parameters() {
        List<Object> parts = new ArrayList<>();
        parts.add(emb);
        parts.addAll(List.of(proj));
        if (attention != null) {
            parts.addAll(List.of(joint, attention, norm));
        }
        parts.add(out);
        if (gain != null) {
            parts.add(gain);
        }
        return Module.collect(parts.toArray());
    }

    /**
     * How much harder the contrast pulls for users with few training interactions: {@code clamp(16 / d, 1, 2)}
     * for d the mean training interactions per user, so 1 from 16 interactions up (the interaction view
     * knows its users; the contrast as the seed sets it) and 2 at 8 and below. A power of two at both
     * ends, so there the weight's bits are lambda_cl's doubled or unchanged.
     */
    static float sparseFactor(double perUser) {
        if (!(perUser > 0)) {
            throw new IllegalArgumentException("crane: mean training interactions per user must be positive, got " + perUser);
        }
        return (float) Math.min(2.0, Math.max(1.0, 16.0 / perUser));
    }

    /** s for all items, [I, d]. */
    Var semantics() {
        int mods = features.length;
        Var[] v = new Var[mods];
        for (int m = 0; m < mods; m++) {
            v[m] = proj[m].forward(Features.dropout(features[m], opts.getFloat(FEATURE_DROPOUT), dropoutRng));
        }
        if (attention != null) {
            boolean recursive = opts.get(JOINT) == Joint.RECURSIVE;
            // Each key token is projected once per step, not once per sequence it appears in: J's
            // keys and values once for all steps (fixed J) or once per step (recursive), each
            // modality's once per step, shared by every modality that attends to it. The same
            // values as projecting each modality's key sequence whole (a linear layer maps each row
            // on its own); the projections' gradients are summed over the uses first.
            Var jk = null, jv = null;
            for (int step = 0; step < opts.get(RCA_STEPS); step++) {
                if (jk == null || recursive) {
                    Var j = joint.forward(mods == 1 ? v[0] : ShapeOps.concatCols(v));   // J(step), or J(0) once
                    jk = attention.wk.forward(j);
                    jv = attention.wv.forward(j);
                }
                Var[] vk = new Var[mods], vv = new Var[mods];
                for (int o = 0; o < mods; o++) {
                    vk[o] = attention.wk.forward(v[o]);
                    vv[o] = attention.wv.forward(v[o]);
                }
                Var[] next = new Var[mods];
                for (int m = 0; m < mods; m++) {
                    List<Var> keys = new ArrayList<>(), values = new ArrayList<>();
                    keys.add(jk);
                    values.add(jv);
                    for (int o = 0; o < mods; o++) {
                        if (o != m || mods == 1) {
                            keys.add(vk[o]);
                            values.add(vv[o]);
                        }
                    }
                    // the key tokens read where they are: the values of Tokens.sequences and forwardProjected, without the copies
                    next[m] = norm.forward(attention.forwardProjectedPartsResidual(v[m], 1, keys, values, null));   // v + attention(v)
                }
                v = next;
            }
        }
        Var s = out.forward(mods == 1 ? v[0] : ShapeOps.concatCols(v));
        return ContentScale.apply(s, contentScale, gain);
    }

    Views views() {
        Var s = semantics();
        Var users = ShapeOps.sliceRows(emb, 0, numUsers);
        Var items = Ops.add(ShapeOps.sliceRows(emb, numUsers, numItems), s);
        Var p = opts.get(PROFILE) ? SpMM.apply(userMean, s) : null;
        if (p != null) {
            users = Ops.add(users, p);
        }
        Var z = Graphs.layerMean(adj, ShapeOps.concatRows(users, items), layers);
        if (itemGraph == null) {
            return new Views(z, null, s, p);
        }
        Var hi = Graphs.hops(itemGraph, items, opts.get(ITEM_LAYERS));
        return new Views(z, ShapeOps.concatRows(SpMM.apply(userMean, hi), hi), s, p);
    }

    /** Final embeddings of all nodes: users Z_u, items Z_i + v H_i (v the view weight: w with --adapt-view, else 1). */
    Var combine(Views v) {
        if (v.h() == null) {
            return v.z();
        }
        Var h = ShapeOps.sliceRows(v.h(), numUsers, numItems);
        if (viewWeight < 1f) {   // at w = 1 no scaling op: the same bits as without --adapt-view
            h = Ops.scale(h, viewWeight);
        }
        Var items = Ops.add(ShapeOps.sliceRows(v.z(), numUsers, numItems), h);
        return ShapeOps.concatRows(ShapeOps.sliceRows(v.z(), 0, numUsers), items);
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        Views v = views();
        Var all = combine(v);
        Var loss = v.p() != null && opts.get(LEAVE_ONE_OUT)
                ? Bpr.withEmbLoss(all, emb, b, numUsers, reg, leaveOneOutUsers(all, v, b))
                : Bpr.withEmbLoss(all, emb, b, numUsers, reg);
        if (v.h() != null && opts.get(CONTRAST) && contrastWeight > 0) {
            int[] us = Index.distinct(b.users());
            int[] is = Index.offset(Index.distinct(b.pos()), numUsers);
            Var cl = Ops.add(
                    Losses.infoNce(ShapeOps.gatherRows(v.z(), us), ShapeOps.gatherRows(v.h(), us), opts.getFloat(CL_TEMP)),
                    Losses.infoNce(ShapeOps.gatherRows(v.z(), is), ShapeOps.gatherRows(v.h(), is), opts.getFloat(CL_TEMP)));
            loss = Ops.add(loss, Ops.scale(cl, contrastWeight));
        }
        return loss;
    }

    /**
     * The batch's user rows with the positive left out of the profile's layer-0 term. Z is the mean
     * of L + 1 layers, linear in Z^(0), so p_u enters Z_u at layer 0 as p_u / (L + 1); that term is
     * replaced by the leave-one-out mean over N(u) without the positive ({@link Bpr#leaveOneOutMean}).
     * The profile's paths back to u through the graph (A_hat^2 and beyond) stay, as the positive's own
     * ID embedding stays in u's layer 1: they are the propagation's, not the profile's.
     */
    private Var leaveOneOutUsers(Var all, Views v, TrainBatches.Batch b) {
        Var u = ShapeOps.gatherRows(all, b.users());
        Var delta = Ops.sub(Bpr.leaveOneOutMean(v.p(), v.s(), b, userCounts), ShapeOps.gatherRows(v.p(), b.users()));
        return Ops.add(u, Ops.scale(delta, 1f / (layers + 1)));
    }

    /** The learned content scale g with {@code --learn-scale}; the features' lifts and content weight where measured. */
    @Override
    public Map<String, Object> trainedFacts() {
        return ContentScale.facts(gain, signal);
    }

    @Override
    public DotScorer scorer() {
        try (NoGrad g = NoGrad.scope()) {
            return DotScorer.ofNodes(combine(views()).value, numUsers);
        }
    }
}
