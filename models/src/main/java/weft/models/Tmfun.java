package weft.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Linear;
import weft.autograd.nn.Losses;
import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.Adjacency;
import weft.graph.CsrMatrix;
import weft.graph.KnnGraph;
import weft.graph.SpMM;
import weft.models.cli.Args;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;
import weft.models.fusion.Fusion;

/**
 * TMFUN (seeds 003 and 004, MODELS.md §6): attention-guided multi-step fusion of the modalities
 * over modality feature graphs and an item feature graph, added to LightGCN's item embeddings.
 *
 * <pre>
 *   x_i^m    item i's features of modality m, centred and divided by the mean row norm (Fusion.projectionInputs)
 *   S_m      kNN graph of the raw x^m (k = 10, cosine, self included, 1/k)               modality feature graph
 *   S_c      kNN graph of [n(x^1) ; ... ; n(x^M)], n = row L2 normalisation      item feature graph
 *   F^m_1    = X^m W_m^T + b_m                                                   projected modality embeddings
 *   F^m_s    = S_m F^m_{s-1}                     s = 2..K (K = fusion steps)     propagated over the modality graph
 *   alpha^s  = softmax_m( (e_i W_q^T) . (F^m_{s,i} W_k^T) / sqrt(d) )           [I, M]; the item's ID embedding is the query
 *   f^s_i    = sum_m alpha^{s,m}_i F^m_{s,i}                                     step 1 is the early-step fusion
 *   f        = mean_s f^s                                                        multi-step fusion
 *   h        = S_c (f + e_i)                                                     fused embedding (with the item's ID
 *                                                                                embedding) over the item feature graph
 *   E        = mean(E^(0), A_hat E^(0), ..., A_hat^L E^(0))                     LightGCN on the ID embeddings
 *   user     = E_u + Rbar h,    item = E_i + h_i          (Rbar = D_u^-1 R: the mean over the user's items)
 *   loss     = BPR + reg (||e_u||_F + ||e_p||_F + ||e_n||_F) / B
 *              + lambda_cl sum_m InfoNCE(v^m_i, f_i)  over the batch's distinct positive items,
 *                v^m = mean_s F^m_s (modality m's own multi-step view)
 * </pre>
 *
 * Readings of the abstract, and why: the attention scores of all items form one [I, M] matrix
 * normalised by a row softmax, so the M-token "sequences" cost two GEMMs and M row dot products,
 * with no per-item objects. The query and key projections are shared by all steps: a step only
 * changes what is fused (embeddings that have seen s - 1 hops of their modality's graph), not how
 * an item weighs its modalities. The item feature graph also smooths the ID embeddings
 * (itemGraphIds; FREEDOM's item-graph term), and users get the mean of their items' content
 * (userContent), so user and item content live in one space from the first step instead of BPR
 * having to pull the users' ID embeddings there. Selected on Last.fm-2K's valid Recall@20 (lr 1e-3,
 * defaults otherwise): content on items only, h = S_c f: 0.4079; h = S_c (f + e_i): 0.4098
 * (2 steps), 0.4097 (3 steps); + content through LightGCN's input (propagateContent): 0.4193;
 * + user content (the default): 0.4212.
 * Switches: --no-early-fusion (alpha = 1/M: the mean, in every step), --no-item-graph (h = f),
 * --no-contrast (lambda_cl = 0), --fusion-steps K in 1..3 (K = 1: early fusion only).
 */
public final class Tmfun implements Recommender {
    /** TMFUN's switches and their defaults (selected on Last.fm-2K's valid Recall@20). */
    public static final class Options {
        public boolean earlyFusion = true;
        public boolean itemGraph = true;
        public boolean contrast = true;
        /** Fusion steps K (1..3): step s fuses modality embeddings propagated s - 1 hops. */
        public int fusionSteps = 3;
        public int knnK = 10;
        /** Hops over the item feature graph. */
        public int itemGraphLayers = 1;
        /** Whether the item feature graph also propagates the item ID embeddings (h = S_c (f + e_i)). */
        public boolean itemGraphIds = true;
        /** Whether users also get content: user = E_u + Rbar h (the mean of their items' h). */
        public boolean userContent = true;
        /** Whether h enters LightGCN's input (items' layer 0 = e_i + h) instead of being added after it. */
        public boolean propagateContent = false;
        public float clWeight = 0.01f;
        public float clTemp = 0.2f;

        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("early_fusion", earlyFusion);
            m.put("item_graph", itemGraph);
            m.put("contrast", contrast);
            m.put("fusion_steps", fusionSteps);
            m.put("knn_k", knnK);
            m.put("item_graph_layers", itemGraphLayers);
            m.put("item_graph_ids", itemGraphIds);
            m.put("user_content", userContent);
            m.put("propagate_content", propagateContent);
            m.put("cl_weight", (double) clWeight);
            m.put("cl_temp", (double) clTemp);
            return m;
        }
    }

    static final List<String> FLAGS = List.of("fusion-steps", "cl-weight", "cl-temp", "knn-k", "item-graph-layers", "item-graph-ids",
            "user-content", "propagate-content");
    static final List<String> SWITCHES = List.of("no-early-fusion", "no-item-graph", "no-contrast");
    static final List<List<String>> ABLATIONS = List.of(List.of("--no-early-fusion"), List.of("--no-item-graph"),
            List.of("--no-contrast"), List.of("--fusion-steps", "1"));

    private final int numUsers, numItems, layers;
    private final float reg;
    private final Options opt;
    private final CsrMatrix adj, itemGraph, userMean;
    private final List<CsrMatrix> knn = new ArrayList<>();
    private final List<Var> features = new ArrayList<>();
    private final List<String> modalityNames;
    /** All parameters; the forward pass reads them through an array so tests can substitute some. */
    private final List<Var> params = new ArrayList<>();
    private final int embIdx, queryIdx, keyIdx;
    private final int[] projIdx;

    public Tmfun(Dataset data, ModelConfig cfg) {
        this(data, cfg, new Options());
    }

    public Tmfun(Dataset data, ModelConfig cfg, Options opt) {
        if (opt.fusionSteps < 1 || opt.fusionSteps > 3) {
            throw new IllegalArgumentException("tmfun: fusion steps must be 1, 2 or 3, got " + opt.fusionSteps);
        }
        if (opt.contrast && !(opt.clTemp > 0)) {
            throw new IllegalArgumentException("tmfun: contrast temperature must be > 0, got " + opt.clTemp);
        }
        Map<String, Tensor> mods = Fusion.projectionInputs(data, "tmfun");
        this.opt = opt;
        numUsers = data.numUsers();
        numItems = data.numItems();
        if (opt.knnK > numItems) {
            throw new IllegalArgumentException("tmfun: knn-k = " + opt.knnK + " exceeds the " + numItems + " items");
        }
        layers = cfg.layers;
        reg = cfg.reg;
        CsrMatrix r = Adjacency.interactions(numUsers, numItems, data.trainUsers(), data.trainItems());
        adj = Adjacency.normalized(r);
        userMean = Fusion.rowMean(r);
        modalityNames = List.copyOf(mods.keySet());

        List<Tensor> normalised = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : mods.entrySet()) {
            features.add(Var.constant(e.getValue()));
            Tensor raw = data.modality(e.getKey());
            knn.add(KnnGraph.freedom(raw, opt.knnK));
            normalised.add(FeatureNorm.L2.apply(raw));
        }
        // Each modality at unit norm before concatenation, so that cosine on the concatenation
        // is the mean of the per-modality cosines rather than dominated by the widest modality.
        itemGraph = KnnGraph.freedom(concatColumns(normalised), opt.knnK);

        Rng rng = new Rng(cfg.seed);
        Tensor table = new Tensor(numUsers + numItems, cfg.dim);
        rng.xavierUniform(table.rowBlock(0, numUsers));
        rng.xavierUniform(table.rowBlock(numUsers, numItems));
        embIdx = add(Var.param("embedding", table));
        projIdx = new int[mods.size()];
        int j = 0;
        for (Tensor x : mods.values()) {
            Linear proj = new Linear(x.cols, cfg.dim, true, rng);
            projIdx[j++] = add(proj.weight);
            add(proj.bias);
        }
        queryIdx = add(Var.param("attention.query", rng.xavierUniform(new Tensor(cfg.dim, cfg.dim))));
        keyIdx = add(Var.param("attention.key", rng.xavierUniform(new Tensor(cfg.dim, cfg.dim))));
    }

    private static Tensor concatColumns(List<Tensor> parts) {
        int cols = parts.stream().mapToInt(t -> t.cols).sum();
        Tensor out = new Tensor(parts.get(0).rows, cols);
        for (int r = 0; r < out.rows; r++) {
            int c0 = 0;
            for (Tensor t : parts) {
                System.arraycopy(t.data, t.offset + r * t.cols, out.data, r * cols + c0, t.cols);
                c0 += t.cols;
            }
        }
        return out;
    }

    private int add(Var v) {
        params.add(v);
        return params.size() - 1;
    }

    /** Builds TMFUN from command-line flags (see {@link #FLAGS}, {@link #SWITCHES}). */
    static Recommender create(Dataset d, ModelConfig c, Args a) {
        Options o = new Options();
        o.earlyFusion = !a.has("no-early-fusion");
        o.itemGraph = !a.has("no-item-graph");
        o.contrast = !a.has("no-contrast");
        o.fusionSteps = a.integer("fusion-steps", o.fusionSteps, 1);
        if (o.fusionSteps > 3) {
            throw new Args.UsageException("--fusion-steps must be 1, 2 or 3, got " + o.fusionSteps);
        }
        o.knnK = a.integer("knn-k", o.knnK, 1);
        o.itemGraphLayers = a.integer("item-graph-layers", o.itemGraphLayers, 1);
        o.itemGraphIds = bool(a, "item-graph-ids", o.itemGraphIds);
        o.userContent = bool(a, "user-content", o.userContent);
        o.propagateContent = bool(a, "propagate-content", o.propagateContent);
        o.clWeight = (float) a.real("cl-weight", o.clWeight, 0);
        o.clTemp = DpRec.positive(a, "cl-temp", o.clTemp);
        return new Tmfun(d, c, o);
    }

    private static boolean bool(Args a, String flag, boolean dflt) {
        String v = a.string(flag, String.valueOf(dflt)).trim();
        if (!v.equals("true") && !v.equals("false")) {
            throw new Args.UsageException("--" + flag + " takes true or false, got '" + v + "'");
        }
        return Boolean.parseBoolean(v);
    }

    @Override
    public String name() {
        return "tmfun";
    }

    @Override
    public List<Var> parameters() {
        return List.copyOf(params);
    }

    /** The parameters as the forward pass indexes them (a copy: callers may substitute entries). */
    Var[] parameterArray() {
        return params.toArray(new Var[0]);
    }

    /**
     * The pieces of one forward pass: all final embeddings (users then items), the fused view f,
     * each modality's own view v^m, and the attention weights of each step ([I, M]).
     */
    record Forward(Var all, Var fused, List<Var> views, List<Var> alphas) {}

    Forward forward(Var[] p) {
        Var emb = p[embIdx];
        Var ids = ShapeOps.sliceRows(emb, numUsers, numItems);
        int m = features.size();
        List<Var> step = new ArrayList<>();
        List<Var> viewSums = new ArrayList<>();
        for (int j = 0; j < m; j++) {
            step.add(new Linear(p[projIdx[j]], p[projIdx[j] + 1]).forward(features.get(j)));
            viewSums.add(step.get(j));
        }
        Var wq = opt.earlyFusion ? p[queryIdx] : null;
        List<Var> alphas = new ArrayList<>();
        Var fusedSum = null;
        for (int s = 1; s <= opt.fusionSteps; s++) {
            if (s > 1) {
                for (int j = 0; j < m; j++) {
                    step.set(j, Fusion.hops(knn.get(j), step.get(j), 1));
                    viewSums.set(j, Ops.add(viewSums.get(j), step.get(j)));
                }
            }
            Fusion.Attended a = Fusion.attend(ids, step, wq, p[keyIdx]);
            alphas.add(a.alpha());
            fusedSum = fusedSum == null ? a.fused() : Ops.add(fusedSum, a.fused());
        }
        float inv = 1f / opt.fusionSteps;
        Var fused = opt.fusionSteps == 1 ? fusedSum : Ops.scale(fusedSum, inv);
        List<Var> views = new ArrayList<>();
        for (Var v : viewSums) {
            views.add(opt.fusionSteps == 1 ? v : Ops.scale(v, inv));
        }
        Var h = !opt.itemGraph ? fused
                : Fusion.hops(itemGraph, opt.itemGraphIds ? Ops.add(fused, ids) : fused, opt.itemGraphLayers);
        Var users = ShapeOps.sliceRows(emb, 0, numUsers);
        Var gcn = Fusion.layerMean(adj, opt.propagateContent ? ShapeOps.concatRows(users, Ops.add(ids, h)) : emb, layers);
        Var gu = ShapeOps.sliceRows(gcn, 0, numUsers);
        Var gi = ShapeOps.sliceRows(gcn, numUsers, numItems);
        Var all = ShapeOps.concatRows(opt.userContent ? Ops.add(gu, SpMM.apply(userMean, h)) : gu,
                opt.propagateContent ? gi : Ops.add(gi, h));
        return new Forward(all, fused, views, alphas);
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        return loss(b, parameterArray());
    }

    /** The batch loss as a function of the parameters {@code p}: the gradient-check hook. */
    Var loss(TrainBatches.Batch b, Var[] p) {
        Forward fw = forward(p);
        int[] pos = Fusion.offset(b.pos(), numUsers);
        int[] neg = Fusion.offset(b.neg(), numUsers);
        Var loss = Fusion.bprWithEmbLoss(fw.all(), p[embIdx], b.users(), pos, neg, reg, b.size());
        if (opt.contrast && opt.clWeight > 0) {
            int[] items = Fusion.distinct(b.pos());
            Var fused = ShapeOps.gatherRows(fw.fused(), items);
            Var cl = null;
            for (Var v : fw.views()) {
                Var l = Losses.infoNce(ShapeOps.gatherRows(v, items), fused, opt.clTemp);
                cl = cl == null ? l : Ops.add(cl, l);
            }
            loss = Ops.add(loss, Ops.scale(cl, opt.clWeight));
        }
        return loss;
    }

    @Override
    public Scorer scorer() {
        Tensor all;
        try (NoGrad g = NoGrad.scope()) {
            all = forward(parameterArray()).all().value;
        }
        Tensor itemEmb = all.rowBlock(numUsers, numItems);
        return (users, out) -> {
            Tensor u = new Tensor(users.length, all.cols);
            Kernels.get().gatherRows(all.data, all.offset, all.cols, users, 0, users.length, u.data, 0);
            MatMul.matmulInto(u, false, itemEmb, true, out, false);
        };
    }

    /** The step-1 (early fusion) attention weights of every item over the modalities, [I, M]. */
    Tensor attentionWeights() {
        try (NoGrad g = NoGrad.scope()) {
            return forward(parameterArray()).alphas().get(0).value;
        }
    }

    @Override
    public Map<String, Object> options() {
        Map<String, Object> m = opt.asMap();
        m.put("modalities", modalityNames);
        return m;
    }

    @Override
    public String toString() {
        return "tmfun" + opt.asMap() + " on " + modalityNames;
    }
}
