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
import weft.autograd.nn.LayerNorm;
import weft.autograd.nn.Linear;
import weft.autograd.nn.Losses;
import weft.autograd.nn.Module;
import weft.autograd.nn.MultiHeadAttention;
import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.Adjacency;
import weft.graph.CsrMatrix;
import weft.graph.KnnGraph;
import weft.graph.SpMM;
import weft.models.attn.Rebind;
import weft.models.attn.Tokens;
import weft.models.cli.Args;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;

/**
 * CRANE (seed 002, MODELS.md §5): recursive cross-modal attention (RCA) for item semantics,
 * users' multimodal profiles, and a user-item and an item-item graph tied by contrastive learning.
 * With M modalities, x_i^m the item's features, R recursion steps, d the size:
 *
 * <pre>
 *   RCA      v_i^m(0) = W_m n(x_i^m) + b_m                                   (each modality to d)
 *            J_i      = W_j [v_i^1(0) ; ... ; v_i^M(0)] + b_j                 (joint representation)
 *            v_i^m(r+1) = LN(v_i^m(r) + MHA(q = v_i^m(r), k = v = [J_i ; v_i^m'(r) for m' != m]))
 *                                                                           (MHA and LN shared by all steps)
 *            s_i      = a * o_i / ||o_i||,   o_i = W_o [v_i^1(R) ; ... ; v_i^M(R)] + b_o
 *   profile  p_u      = mean_{j in N(u)} s_j                                  (D_u^-1 R s, one SpMM)
 *   view 1   Z        = LightGCN layer mean over A_hat from Z^(0) = [E_user + p ; E_item + s]
 *   view 2   H_item   = S^L (E_item + s),   H_user = D_u^-1 R H_item          (S the frozen item kNN graph)
 *   final    user_u   = Z_u,   item_i = Z_i + H_i
 *   loss     BPR(user, item) + reg * (||e_u||_F + ||e_p||_F + ||e_n||_F) / B
 *            + lambda_cl * (InfoNCE(Z_U, H_U) + InfoNCE(Z_I, H_I))          (batch's distinct users / positives)
 * </pre>
 * S is FREEDOM's graph: per modality the k-nearest-neighbour graph of the normalised features
 * (cosine, self included, values 1/k), averaged over modalities and symmetrically normalised,
 * built once at construction. It is built on the raw (normalised) features rather than on s_i,
 * because s_i is random at construction and the graph is not rebuilt during training.
 *
 * <p>Readings of the abstract, and why: the modalities are first projected to d (RCA needs one
 * width, and the projection makes the raw scales irrelevant); J is computed from those
 * projections. The residual update is followed by a LayerNorm (shared, like the attention), so
 * that recursion keeps the representations on one scale. The semantic vector enters the graphs
 * L2-normalised and scaled by a ({@link Options#contentScale}): W_o's raw output is an order of
 * magnitude larger than Xavier-initialised ID embeddings and would otherwise decide every score
 * from the first batch on. Each modality's query attends to J and
 * to the other modalities, as the MODELS.md reading says; with one modality there is no other,
 * so the keys are J and the modality itself. {@code rcaSteps = 0} gives s_i = W_o [v_i(0)] (no
 * attention). Switches: without profiles, Z^(0) users are E_user alone; without the semantic
 * graph, view 2 and the contrast term are gone and item_i = Z_i; without contrast,
 * lambda_cl = 0.
 *
 * <p>Cost: every batch computes s for all items (the profiles need the items of every batch
 * user, and the graphs propagate all nodes anyway): one projection GEMM per modality and R tiny
 * attention passes over I*M queries, then the same propagation as LightGCN plus one item-graph
 * SpMM. So an epoch costs a small constant factor over LightGCN's.
 */
public final class Crane implements Recommender {
    /**
     * CRANE's switches and their defaults. Not grid-searched (time): the defaults below reached
     * valid Recall@20 0.421 on Last.fm-2K (text + audio) against LightGCN's 0.396 and FREEDOM's
     * 0.415; of the variants tried on valid, cl-weight 0.1 collapses training (0.17 after 20
     * epochs) and content-scale 0.3 matched 1.0 over the first 20 epochs.
     */
    public static final class Options {
        public int rcaSteps = 2;
        public int heads = 4;
        public boolean profile = true;
        public boolean semanticGraph = true;
        public boolean contrast = true;
        public float clWeight = 0.01f;
        public float clTemp = 0.2f;
        public int knnK = 10;
        /** Item-graph propagation layers (L). */
        public int itemLayers = 1;
        /** a: s enters the graphs as a * s / ||s||, on a scale the ID embeddings can compete with. */
        public float contentScale = 1f;
        public FeatureNorm inputNorm = FeatureNorm.STANDARDIZE;

        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rca_steps", rcaSteps);
            m.put("heads", heads);
            m.put("profile", profile);
            m.put("semantic_graph", semanticGraph);
            m.put("contrast", contrast);
            m.put("cl_weight", (double) clWeight);
            m.put("cl_temp", (double) clTemp);
            m.put("knn_k", knnK);
            m.put("item_layers", itemLayers);
            m.put("content_scale", (double) contentScale);
            m.put("input_norm", inputNorm.name().toLowerCase(Locale.ROOT));
            return m;
        }
    }

    /** The layers; {@link #parameters()} and {@link #rebind} walk them in the same order. */
    private static final class Net {
        final Var emb;                 // [U+I, d]: users then items
        final Linear[] proj;           // per modality, f_m -> d
        Linear joint, out;             // M*d -> d
        MultiHeadAttention attention;  // null when rcaSteps = 0
        LayerNorm norm;

        Net(Var emb, int mods) {
            this.emb = emb;
            proj = new Linear[mods];
        }

        List<Var> parameters() {
            List<Object> parts = new ArrayList<>();
            parts.add(emb);
            parts.addAll(List.of(proj));
            if (attention != null) {
                parts.add(joint);
                parts.add(attention);
                parts.add(norm);
            }
            parts.add(out);
            return Module.collect(parts.toArray());
        }

        Net rebind(List<Var> params) {
            Rebind r = new Rebind(params);
            Net n = new Net(r.var(emb), proj.length);
            for (int m = 0; m < proj.length; m++) {
                n.proj[m] = r.linear(proj[m]);
            }
            if (attention != null) {
                n.joint = r.linear(joint);
                n.attention = r.mha(attention);
                n.norm = r.layerNorm(norm);
            }
            n.out = r.linear(out);
            r.done();
            return n;
        }
    }

    /** Both views of all nodes, [U+I, d] each; h is null without the semantic graph. */
    record Views(Var z, Var h) {}

    private final int numUsers, numItems, dim, layers;
    private final float reg;
    private final Options opt;
    private final List<String> modalityNames;
    private final Var[] features;
    private final CsrMatrix adj, userMean, itemGraph;
    private final Net net;

    public Crane(Dataset data, ModelConfig cfg) {
        this(data, cfg, new Options());
    }

    public Crane(Dataset data, ModelConfig cfg, Options opt) {
        if (data.modalities().isEmpty()) {
            throw new IllegalArgumentException("crane needs item feature vectors (one .npy per modality, --modality NAME=FILE); dataset '"
                    + data.name() + "' has none" + (data.itemGraphs().isEmpty() ? "" : " (item-graph files carry no features)"));
        }
        if (opt.rcaSteps < 0) {
            throw new IllegalArgumentException("crane: rca steps must be >= 0, got " + opt.rcaSteps);
        }
        if (opt.heads < 1 || cfg.dim % opt.heads != 0) {
            throw new IllegalArgumentException("crane: dim " + cfg.dim + " is not divisible by " + opt.heads + " heads");
        }
        if (!(opt.clTemp > 0)) {
            throw new IllegalArgumentException("crane: cl temperature must be positive, got " + opt.clTemp);
        }
        if (opt.semanticGraph && (opt.knnK < 1 || opt.knnK > data.numItems())) {
            throw new IllegalArgumentException("crane: knn k = " + opt.knnK + " must be in [1, " + data.numItems() + " items]");
        }
        this.opt = opt;
        numUsers = data.numUsers();
        numItems = data.numItems();
        dim = cfg.dim;
        layers = cfg.layers;
        reg = cfg.reg;
        CsrMatrix r = Adjacency.interactions(numUsers, numItems, data.trainUsers(), data.trainItems());
        adj = Adjacency.normalized(r);
        userMean = HmaRec.rowNormalized(r);

        modalityNames = List.copyOf(data.modalities().keySet());
        int mods = modalityNames.size();
        features = new Var[mods];
        CsrMatrix s = null;
        for (int m = 0; m < mods; m++) {
            Tensor x = opt.inputNorm.apply(data.modalities().get(modalityNames.get(m)));
            features[m] = Var.constant(x);
            if (opt.semanticGraph) {
                CsrMatrix g = KnnGraph.freedom(x, opt.knnK);
                s = s == null ? g : CsrMatrix.weightedSum(1f, s, 1f, g);
            }
        }
        itemGraph = s == null ? null : KnnGraph.normalize(s, KnnGraph.Norm.SYM);

        Rng rng = new Rng(cfg.seed);
        Tensor table = new Tensor(numUsers + numItems, dim);
        rng.xavierUniform(table.rowBlock(0, numUsers));
        rng.xavierUniform(table.rowBlock(numUsers, numItems));
        net = new Net(Var.param("embedding", table), mods);
        for (int m = 0; m < mods; m++) {
            net.proj[m] = new Linear(features[m].cols(), dim, true, rng);
        }
        // Drawn whether or not RCA runs, so that --rca-steps 0 starts from the same other values.
        Linear joint = new Linear(mods * dim, dim, true, rng);
        MultiHeadAttention attention = new MultiHeadAttention(dim, opt.heads, rng);
        if (opt.rcaSteps > 0) {
            net.joint = joint;
            net.attention = attention;
            net.norm = new LayerNorm(dim);
        }
        net.out = new Linear(mods * dim, dim, true, rng);
    }

    /** Builds CRANE from its command-line flags (see Models). */
    static Crane fromFlags(Dataset d, ModelConfig c, Args a) {
        Options o = new Options();
        o.rcaSteps = a.integer("rca-steps", o.rcaSteps, 0);
        o.heads = a.integer("heads", o.heads, 1);
        if (c.dim % o.heads != 0) {
            throw new Args.UsageException("crane: --heads " + o.heads + " must divide --dim " + c.dim);
        }
        o.clWeight = (float) a.real("cl-weight", o.clWeight, 0);
        o.clTemp = (float) a.real("cl-temp", o.clTemp, 0);
        if (!(o.clTemp > 0)) {
            throw new Args.UsageException("crane: --cl-temp must be positive, got " + o.clTemp);
        }
        o.knnK = a.integer("knn-k", o.knnK, 1);
        o.itemLayers = a.integer("item-layers", o.itemLayers, 0);
        o.contentScale = (float) a.real("content-scale", o.contentScale, 0);
        o.inputNorm = HmaRec.inputNorm("crane", a, o.inputNorm);
        o.profile = !a.has("no-profile");
        o.semanticGraph = !a.has("no-semantic-graph");
        o.contrast = !a.has("no-contrast");
        return new Crane(d, c, o);
    }

    @Override
    public String name() {
        return "crane";
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

    /** s for all items, [I, d]. */
    Var semantics(Net n) {
        int mods = features.length;
        Var[] v = new Var[mods];
        for (int m = 0; m < mods; m++) {
            v[m] = n.proj[m].forward(features[m]);
        }
        if (opt.rcaSteps > 0) {
            Var joint = n.joint.forward(mods == 1 ? v[0] : ShapeOps.concatCols(v));
            for (int step = 0; step < opt.rcaSteps; step++) {
                Var[] next = new Var[mods];
                for (int m = 0; m < mods; m++) {
                    List<Var> keys = new ArrayList<>();
                    keys.add(joint);
                    for (int o = 0; o < mods; o++) {
                        if (o != m || mods == 1) {
                            keys.add(v[o]);
                        }
                    }
                    Var kv = Tokens.sequences(dim, keys.toArray(new Var[0]));
                    Var att = n.attention.forward(v[m], 1, kv, kv, keys.size(), null);
                    next[m] = n.norm.forward(Ops.add(v[m], att));
                }
                v = next;
            }
        }
        Var s = n.out.forward(mods == 1 ? v[0] : ShapeOps.concatCols(v));
        return Ops.scale(RowOps.rowL2Normalize(s, 1e-12f), opt.contentScale);
    }

    Views views(Net n) {
        Var s = semantics(n);
        Var users = ShapeOps.sliceRows(n.emb, 0, numUsers);
        Var items = Ops.add(ShapeOps.sliceRows(n.emb, numUsers, numItems), s);
        if (opt.profile) {
            users = Ops.add(users, SpMM.apply(userMean, s));
        }
        Var z0 = ShapeOps.concatRows(users, items);
        Var e = z0, acc = z0;
        for (int k = 0; k < layers; k++) {
            e = SpMM.apply(adj, e);
            acc = Ops.add(acc, e);
        }
        Var z = layers == 0 ? acc : Ops.scale(acc, 1f / (layers + 1));
        if (!opt.semanticGraph) {
            return new Views(z, null);
        }
        Var hi = items;
        for (int l = 0; l < opt.itemLayers; l++) {
            hi = SpMM.apply(itemGraph, hi);
        }
        return new Views(z, ShapeOps.concatRows(SpMM.apply(userMean, hi), hi));
    }

    /** Final embeddings of all nodes: users Z_u, items Z_i + H_i. */
    private Var combine(Views v) {
        if (v.h() == null) {
            return v.z();
        }
        Var items = Ops.add(ShapeOps.sliceRows(v.z(), numUsers, numItems), ShapeOps.sliceRows(v.h(), numUsers, numItems));
        return ShapeOps.concatRows(ShapeOps.sliceRows(v.z(), 0, numUsers), items);
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
        Views v = views(n);
        Var all = combine(v);
        int[] pos = LightGcn.offset(b.pos(), numUsers);
        int[] neg = LightGcn.offset(b.neg(), numUsers);
        Var u = ShapeOps.gatherRows(all, b.users());
        Var p = ShapeOps.gatherRows(all, pos);
        Var ng = ShapeOps.gatherRows(all, neg);
        Var loss = Ops.add(Losses.bpr(Ops.rowDot(u, p), Ops.rowDot(u, ng)), Losses.embLoss(reg, b.size(),
                ShapeOps.gatherRows(n.emb, b.users()), ShapeOps.gatherRows(n.emb, pos), ShapeOps.gatherRows(n.emb, neg)));
        if (v.h() != null && opt.contrast && opt.clWeight > 0) {
            int[] us = HmaRec.distinct(b.users());
            int[] is = LightGcn.offset(HmaRec.distinct(b.pos()), numUsers);
            Var cl = Ops.add(
                    Losses.infoNce(ShapeOps.gatherRows(v.z(), us), ShapeOps.gatherRows(v.h(), us), opt.clTemp),
                    Losses.infoNce(ShapeOps.gatherRows(v.z(), is), ShapeOps.gatherRows(v.h(), is), opt.clTemp));
            loss = Ops.add(loss, Ops.scale(cl, opt.clWeight));
        }
        return loss;
    }

    @Override
    public Scorer scorer() {
        Tensor all;
        try (NoGrad g = NoGrad.scope()) {
            all = combine(views(net)).value;
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
        return "crane" + opt.asMap();
    }
}
