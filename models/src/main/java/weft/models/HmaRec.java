package weft.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.RowOps;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Gate;
import weft.autograd.nn.LayerNorm;
import weft.autograd.nn.Linear;
import weft.autograd.nn.Losses;
import weft.autograd.nn.MultiHeadAttention;
import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.Adjacency;
import weft.graph.CsrMatrix;
import weft.graph.SpMM;
import weft.models.attn.Rebind;
import weft.models.attn.Tokens;
import weft.models.cli.Args;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;

/**
 * HMA-Rec (seed 000, MODELS.md §3): hierarchical attention fusion of an item's modalities, added
 * to LightGCN. With x_i^m the item's features in modality m (M modalities), T tokens, d the size:
 *
 * <pre>
 *   level 1 (intra)  Z_i^m   = reshape(W_t^m n(x_i^m), [T, d]) + P^m            (P^m learned positions)
 *                    H_i^m   = LN(Z_i^m + MHA_intra^m(Z_i^m, Z_i^m, Z_i^m))    (4 heads)
 *   level 2 (cross)  K_i^m   = [H_i^m' for m' != m ; e_i]                      (e_i the item's ID embedding, one token)
 *                    C_i^m   = LN(H_i^m + MHA_cross^m(H_i^m, K_i^m, K_i^m)),    c_i^m = mean_t C_i^m[t]
 *   level 3 (gate)   g_i^m   = sigmoid(W_g^m [c_i^m ; e_i] + b_g^m),            c_i = sum_m g_i^m * c_i^m / M
 *   collaborative    E       = LightGCN layer mean over A_hat from [E_user ; E_item]
 *                    item_i  = E_i + a * c_i / ||c_i||,    user_u = E_u + mean_{j in N(u)} a * c_j / ||c_j||
 *   loss             BPR(user, item) + reg * (||e_u||_F + ||e_p||_F + ||e_n||_F) / B
 *                    + lambda_cl * mean_{m < m'} (InfoNCE(c^m, c^m') + InfoNCE(c^m', c^m)) / 2   (batch's distinct positives)
 * </pre>
 * n(.) is the input normalisation ({@link Options#inputNorm}, column z-scores by default: the
 * modalities come on arbitrary scales — VGGish is float64 around 128 — and unscaled inputs
 * saturate the attention softmax); a = {@link Options#contentScale}. The user's content term is
 * {@code D_u^-1 R} (row-normalised interactions) times the item content, one SpMM.
 *
 * <p>Readings of the abstract, and why: the learned position embedding P^m is added to a
 * bias-free token projection, since a per-token bias and a position embedding are the same
 * function. The ID token in level 2 is the layer-0 item embedding (the gate is conditioned on it
 * too), so content learns where the ID space is. norm(c_i) is an L2 normalisation times a fixed
 * scale a: it keeps the content term from swamping the (small, Xavier-initialised) ID embeddings
 * early and lets a say how much content counts. Switches: without intra attention, H^m = Z^m;
 * without cross attention, C^m = H^m; without the gate, c_i = mean_m c_i^m; without alignment,
 * lambda_cl = 0. With one modality there is nothing "other" to attend to, so level 2 falls back
 * to the modality's own tokens plus the ID token as keys, and the alignment term is absent.
 *
 * <p>Cost: every batch computes the content of all items at once (attention over I*T token rows
 * in the {@code [B*T, d]} layout, batched with bmm), because the users' content term already
 * needs the content of every item the batch's users have interacted with — on the data sets here
 * that is most of the catalogue — and one pass over all items is simpler and no slower than
 * gathering a subset. Evaluation computes it once per scorer.
 */
public final class HmaRec implements Recommender {
    /**
     * HMA-Rec's switches and their defaults: MODELS.md's T = 4 and 4 heads; the alignment weight,
     * temperature and content scale are set as for CRANE and were not grid-searched (time).
     */
    public static final class Options {
        /** Tokens per modality (T). */
        public int tokens = 4;
        public int heads = 4;
        public boolean intra = true;
        public boolean cross = true;
        public boolean gate = true;
        /** InfoNCE alignment between the modalities' c_i^m. */
        public boolean align = true;
        public float clWeight = 0.01f;
        public float clTemp = 0.2f;
        /** a: the norm of the content term added to the ID side. */
        public float contentScale = 1f;
        /** How the model rescales each modality's features before its token projection. */
        public FeatureNorm inputNorm = FeatureNorm.STANDARDIZE;

        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tokens", tokens);
            m.put("heads", heads);
            m.put("intra", intra);
            m.put("cross", cross);
            m.put("gate", gate);
            m.put("align", align);
            m.put("cl_weight", (double) clWeight);
            m.put("cl_temp", (double) clTemp);
            m.put("content_scale", (double) contentScale);
            m.put("input_norm", inputNorm.name().toLowerCase(Locale.ROOT));
            return m;
        }
    }

    /**
     * The layers. {@link #parameters()} and {@link #rebind} walk them in the same order, so the
     * forward pass can run on given parameter Vars (the gradient check's hook).
     */
    private static final class Net {
        final Var emb;                 // [U+I, d]: users then items, as LightGCN
        final Linear[] tokenize;       // per modality, f_m -> T*d, no bias
        final Var[] pos;               // per modality, [1, T*d]
        final MultiHeadAttention[] intra, cross;
        final LayerNorm[] intraNorm, crossNorm;
        final Gate[] gates;

        Net(Var emb, int mods) {
            this.emb = emb;
            tokenize = new Linear[mods];
            pos = new Var[mods];
            intra = new MultiHeadAttention[mods];
            cross = new MultiHeadAttention[mods];
            intraNorm = new LayerNorm[mods];
            crossNorm = new LayerNorm[mods];
            gates = new Gate[mods];
        }

        List<Var> parameters() {
            List<Object> parts = new ArrayList<>();
            parts.add(emb);
            for (int m = 0; m < tokenize.length; m++) {
                parts.add(tokenize[m]);
                parts.add(pos[m]);
                if (intra[m] != null) {
                    parts.add(intra[m]);
                    parts.add(intraNorm[m]);
                }
                if (cross[m] != null) {
                    parts.add(cross[m]);
                    parts.add(crossNorm[m]);
                }
                if (gates[m] != null) {
                    parts.add(gates[m]);
                }
            }
            return weft.autograd.nn.Module.collect(parts.toArray());
        }

        Net rebind(List<Var> params) {
            Rebind r = new Rebind(params);
            Net n = new Net(r.var(emb), tokenize.length);
            for (int m = 0; m < tokenize.length; m++) {
                n.tokenize[m] = r.linear(tokenize[m]);
                n.pos[m] = r.var(pos[m]);
                if (intra[m] != null) {
                    n.intra[m] = r.mha(intra[m]);
                    n.intraNorm[m] = r.layerNorm(intraNorm[m]);
                }
                if (cross[m] != null) {
                    n.cross[m] = r.mha(cross[m]);
                    n.crossNorm[m] = r.layerNorm(crossNorm[m]);
                }
                if (gates[m] != null) {
                    n.gates[m] = r.gate(gates[m]);
                }
            }
            r.done();
            return n;
        }
    }

    /** The fused content c [I, d] and each modality's c^m [I, d]. */
    record Content(Var fused, Var[] perModality) {}

    private final int numUsers, numItems, dim, layers, tokens;
    private final float reg;
    private final Options opt;
    private final List<String> modalityNames;
    private final Var[] features;
    private final CsrMatrix adj, userMean;
    private final Net net;

    public HmaRec(Dataset data, ModelConfig cfg) {
        this(data, cfg, new Options());
    }

    public HmaRec(Dataset data, ModelConfig cfg, Options opt) {
        if (data.modalities().isEmpty()) {
            throw new IllegalArgumentException("hmarec needs item feature vectors (one .npy per modality, --modality NAME=FILE); dataset '"
                    + data.name() + "' has none" + (data.itemGraphs().isEmpty() ? "" : " (item-graph files carry no features)"));
        }
        if (opt.tokens < 1) {
            throw new IllegalArgumentException("hmarec: tokens must be >= 1, got " + opt.tokens);
        }
        if (opt.heads < 1 || cfg.dim % opt.heads != 0) {
            throw new IllegalArgumentException("hmarec: dim " + cfg.dim + " is not divisible by " + opt.heads + " heads");
        }
        if (!(opt.clTemp > 0)) {
            throw new IllegalArgumentException("hmarec: cl temperature must be positive, got " + opt.clTemp);
        }
        this.opt = opt;
        numUsers = data.numUsers();
        numItems = data.numItems();
        dim = cfg.dim;
        layers = cfg.layers;
        reg = cfg.reg;
        tokens = opt.tokens;
        CsrMatrix r = Adjacency.interactions(numUsers, numItems, data.trainUsers(), data.trainItems());
        adj = Adjacency.normalized(r);
        userMean = rowNormalized(r);

        modalityNames = List.copyOf(data.modalities().keySet());
        int mods = modalityNames.size();
        features = new Var[mods];
        Rng rng = new Rng(cfg.seed);
        Tensor table = new Tensor(numUsers + numItems, dim);
        rng.xavierUniform(table.rowBlock(0, numUsers));
        rng.xavierUniform(table.rowBlock(numUsers, numItems));
        net = new Net(Var.param("embedding", table), mods);
        for (int m = 0; m < mods; m++) {
            Tensor x = data.modalities().get(modalityNames.get(m));
            features[m] = Var.constant(opt.inputNorm.apply(x));
            net.tokenize[m] = new Linear(x.cols, tokens * dim, false, rng);
            net.pos[m] = Var.param("position", rng.normal(new Tensor(1, tokens * dim), 0f, 0.02f));
            // Every layer is drawn whether or not its switch is on, so an ablation starts from the
            // same values for the layers it keeps; only the ones in use become parameters.
            MultiHeadAttention intra = new MultiHeadAttention(dim, opt.heads, rng);
            MultiHeadAttention cross = new MultiHeadAttention(dim, opt.heads, rng);
            Gate gate = new Gate(dim, dim, rng);
            if (opt.intra) {
                net.intra[m] = intra;
                net.intraNorm[m] = new LayerNorm(dim);
            }
            if (opt.cross) {
                net.cross[m] = cross;
                net.crossNorm[m] = new LayerNorm(dim);
            }
            if (opt.gate) {
                net.gates[m] = gate;
            }
        }
    }

    /** Builds HMA-Rec from its command-line flags (see Models). */
    static HmaRec fromFlags(Dataset d, ModelConfig c, Args a) {
        Options o = new Options();
        o.tokens = a.integer("tokens", o.tokens, 1);
        o.heads = a.integer("heads", o.heads, 1);
        if (c.dim % o.heads != 0) {
            throw new Args.UsageException("hmarec: --heads " + o.heads + " must divide --dim " + c.dim);
        }
        o.clWeight = (float) a.real("cl-weight", o.clWeight, 0);
        o.clTemp = (float) a.real("cl-temp", o.clTemp, 0);
        if (!(o.clTemp > 0)) {
            throw new Args.UsageException("hmarec: --cl-temp must be positive, got " + o.clTemp);
        }
        o.contentScale = (float) a.real("content-scale", o.contentScale, 0);
        o.inputNorm = inputNorm("hmarec", a, o.inputNorm);
        o.intra = !a.has("no-intra");
        o.cross = !a.has("no-cross");
        o.gate = !a.has("no-gate");
        o.align = !a.has("no-align");
        return new HmaRec(d, c, o);
    }

    static FeatureNorm inputNorm(String model, Args a, FeatureNorm dflt) {
        if (!a.has("input-norm")) {
            return dflt;
        }
        try {
            return FeatureNorm.parse(a.string("input-norm", null));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(model + ": --input-norm: " + e.getMessage());
        }
    }

    /** {@code D^-1 R}: each user's row sums to 1, so {@code userMean x} averages x over the user's items. */
    static CsrMatrix rowNormalized(CsrMatrix r) {
        float[] sums = r.rowSums();
        float[] inv = new float[sums.length];
        for (int u = 0; u < sums.length; u++) {
            inv[u] = sums[u] > 0 ? 1f / sums[u] : 0f;
        }
        return r.scale(inv, null);
    }

    @Override
    public String name() {
        return "hmarec";
    }

    @Override
    public List<Var> parameters() {
        return net.parameters();
    }

    @Override
    public Map<String, Object> options() {
        Map<String, Object> m = opt.asMap();
        m.put("modalities", modalityNames);
        return m;
    }

    /** Levels 1-3 for all items. */
    Content content(Net n) {
        int mods = features.length;
        Var idToken = ShapeOps.sliceRows(n.emb, numUsers, numItems);
        Var[] h = new Var[mods];
        for (int m = 0; m < mods; m++) {
            Var z = Ops.add(n.tokenize[m].forward(features[m]), n.pos[m]);       // [I, T*d]
            Var tok = ShapeOps.reshape(z, numItems * tokens, dim);                 // [I*T, d]
            if (opt.intra) {
                tok = n.intraNorm[m].forward(Ops.add(tok, n.intra[m].forward(tok, tokens, null)));
            }
            h[m] = tok;
        }
        Var[] c = new Var[mods];
        for (int m = 0; m < mods; m++) {
            Var tok = h[m];
            if (opt.cross) {
                List<Var> parts = new ArrayList<>();
                for (int o = 0; o < mods; o++) {
                    if (o != m || mods == 1) {
                        parts.add(ShapeOps.reshape(h[o], numItems, tokens * dim));
                    }
                }
                parts.add(idToken);
                Var kv = Tokens.sequences(dim, parts.toArray(new Var[0]));
                int tk = kv.rows() / numItems;
                tok = n.crossNorm[m].forward(Ops.add(tok, n.cross[m].forward(tok, tokens, kv, kv, tk, null)));
            }
            c[m] = Tokens.meanPool(tok, tokens);
        }
        Var fused = null;
        for (int m = 0; m < mods; m++) {
            Var part = opt.gate ? n.gates[m].gate(c[m], idToken) : c[m];
            fused = fused == null ? part : Ops.add(fused, part);
        }
        return new Content(mods == 1 ? fused : Ops.scale(fused, 1f / mods), c);
    }

    /** Final embeddings of all nodes, [U+I, d]: LightGCN's plus the normalised content terms. */
    Var forward(Net n, Var content) {
        Var e = n.emb;
        Var acc = n.emb;
        for (int k = 0; k < layers; k++) {
            e = SpMM.apply(adj, e);
            acc = Ops.add(acc, e);
        }
        Var gcn = layers == 0 ? acc : Ops.scale(acc, 1f / (layers + 1));
        Var itemContent = Ops.scale(RowOps.rowL2Normalize(content, 1e-12f), opt.contentScale);
        Var userContent = SpMM.apply(userMean, itemContent);
        return Ops.add(gcn, ShapeOps.concatRows(userContent, itemContent));
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        return loss(b, net);
    }

    /** The loss with the model's parameters replaced by {@code params} (in {@link #parameters()} order): the gradient check's hook. */
    Var lossWith(TrainBatches.Batch b, List<Var> params) {
        return loss(b, net.rebind(params));
    }

    private Var loss(TrainBatches.Batch b, Net n) {
        Content c = content(n);
        Var all = forward(n, c.fused());
        int[] pos = LightGcn.offset(b.pos(), numUsers);
        int[] neg = LightGcn.offset(b.neg(), numUsers);
        Var u = ShapeOps.gatherRows(all, b.users());
        Var p = ShapeOps.gatherRows(all, pos);
        Var ng = ShapeOps.gatherRows(all, neg);
        Var loss = Ops.add(Losses.bpr(Ops.rowDot(u, p), Ops.rowDot(u, ng)), Losses.embLoss(reg, b.size(),
                ShapeOps.gatherRows(n.emb, b.users()), ShapeOps.gatherRows(n.emb, pos), ShapeOps.gatherRows(n.emb, neg)));
        Var[] per = c.perModality();
        if (opt.align && opt.clWeight > 0 && per.length > 1) {
            int[] items = distinct(b.pos());
            Var cl = null;
            int pairs = 0;
            for (int a = 0; a < per.length; a++) {
                for (int o = a + 1; o < per.length; o++) {
                    Var za = ShapeOps.gatherRows(per[a], items), zb = ShapeOps.gatherRows(per[o], items);
                    Var both = Ops.add(Losses.infoNce(za, zb, opt.clTemp), Losses.infoNce(zb, za, opt.clTemp));
                    cl = cl == null ? both : Ops.add(cl, both);
                    pairs++;
                }
            }
            loss = Ops.add(loss, Ops.scale(cl, opt.clWeight / (2f * pairs)));
        }
        return loss;
    }

    /** The distinct values of {@code xs}, in first-seen order (in-batch negatives must not include the positive itself). */
    static int[] distinct(int[] xs) {
        java.util.BitSet seen = new java.util.BitSet();
        int[] out = new int[xs.length];
        int n = 0;
        for (int x : xs) {
            if (!seen.get(x)) {
                seen.set(x);
                out[n++] = x;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    @Override
    public Scorer scorer() {
        Tensor all;
        try (NoGrad g = NoGrad.scope()) {
            all = forward(net, content(net).fused()).value;
        }
        Tensor items = all.rowBlock(numUsers, numItems);
        return (users, out) -> {
            Tensor u = new Tensor(users.length, all.cols);
            Kernels.get().gatherRows(all.data, all.offset, all.cols, users, 0, users.length, u.data, 0);
            MatMul.matmulInto(u, false, items, true, out, false);
        };
    }

    @Override
    public String toString() {
        return "hmarec" + opt.asMap();
    }
}
