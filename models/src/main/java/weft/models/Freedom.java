package weft.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
import weft.graph.EdgeSampling;
import weft.graph.KnnGraph;
import weft.graph.SpMM;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;

/**
 * FREEDOM (Zhou and Shen, 2023): a frozen item-item graph from the modalities, and a user-item
 * graph denoised by degree-sensitive edge pruning; as MMRec trains it.
 *
 * <pre>
 *   S_m   = kNN graph of modality m (k = 10, cosine, self included), entries 1/sqrt(r_i r_j) = 1/k
 *   S     = sum_m w_m S_m                        (frozen; w = 0.1 image / 0.9 text by default)
 *   h     = S^L E_item                           (L = mmLayers, default 1)
 *   A_t   = pruned A_hat: keep (1 - rho) of the edges, drawn without replacement with
 *           probability ~ 1/sqrt(d_u d_i), renormalised by the kept edges' degrees (new each epoch;
 *           the full A_hat at evaluation)
 *   E     = mean(E^(0), A_t E^(0), ..., A_t^K E^(0))   (K = 2)
 *   user  = E_u,  item = E_i + h_i
 *   loss  = BPR(user, item) + lambda * sum_m BPR(user, W_m x^m)   (no L2 term)
 * </pre>
 * A modality may be given as vectors (its kNN graph is built here, and its features enter the
 * modality BPR term, fine-tuned as in the reference) or as a precomputed graph only (no BPR term).
 * The item graph is embedded in the (U+I)-node space so h is added without slicing.
 */
public final class Freedom implements Recommender {
    /** FREEDOM's switches and their defaults (MMRec's FREEDOM.yaml). */
    public static final class Options {
        public int knnK = 10;
        /** Fraction of user-item edges dropped each epoch (0.8 or 0.9 in the published grid). */
        public double rho = 0.8;
        public int uiLayers = 2;
        public int mmLayers = 1;
        /** Weight of the modality BPR term (0, 1e-5, 1e-4, 1e-3 in the published grid). */
        public float lambda = 1e-4f;
        /** Modality weights of the item graph; empty means 0.1 image / 0.9 text, else equal. */
        public Map<String, Double> weights = new LinkedHashMap<>();

        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("knn_k", knnK);
            m.put("rho", rho);
            m.put("ui_layers", uiLayers);
            m.put("mm_layers", mmLayers);
            m.put("lambda", (double) lambda);
            m.put("modality_weights", weights);
            return m;
        }
    }

    private final int numUsers, numItems;
    private final Var emb;
    private final CsrMatrix interactions, fullAdj, itemGraph;
    private CsrMatrix trainAdj;
    private final Options opt;
    private final long seed;
    private final List<Var> featureTables = new ArrayList<>();
    private final List<Linear> projections = new ArrayList<>();
    /** The combined item graph's modality weights actually used, for the report. */
    public final Map<String, Double> usedWeights;

    public Freedom(Dataset data, ModelConfig cfg) {
        this(data, cfg, new Options());
    }

    public Freedom(Dataset data, ModelConfig cfg, Options opt) {
        this.opt = opt;
        this.seed = cfg.seed;
        numUsers = data.numUsers();
        numItems = data.numItems();
        interactions = Adjacency.interactions(numUsers, numItems, data.trainUsers(), data.trainItems());
        fullAdj = Adjacency.normalized(interactions);
        trainAdj = fullAdj;

        Map<String, CsrMatrix> graphs = new LinkedHashMap<>();
        for (Map.Entry<String, CsrMatrix> e : data.itemGraphs().entrySet()) {
            graphs.put(e.getKey(), KnnGraph.normalize(e.getValue(), KnnGraph.Norm.SYM));
        }
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            if (!graphs.containsKey(e.getKey())) {
                graphs.put(e.getKey(), KnnGraph.freedom(e.getValue(), opt.knnK));
            }
        }
        if (graphs.isEmpty()) {
            throw new IllegalArgumentException("freedom needs item modalities (feature .npy files or --item-graph files); dataset '"
                    + data.name() + "' has none");
        }
        usedWeights = weights(graphs.keySet(), opt.weights);
        CsrMatrix s = null;
        for (Map.Entry<String, CsrMatrix> e : graphs.entrySet()) {
            float w = usedWeights.get(e.getKey()).floatValue();
            s = s == null ? scaled(e.getValue(), w) : CsrMatrix.weightedSum(1f, s, w, e.getValue());
        }
        itemGraph = embedItemBlock(s, numUsers);

        Rng rng = new Rng(cfg.seed);
        Tensor table = new Tensor(numUsers + numItems, cfg.dim);
        rng.xavierUniform(table.rowBlock(0, numUsers));
        rng.xavierUniform(table.rowBlock(numUsers, numItems));
        emb = Var.param("embedding", table);
        if (opt.lambda > 0) {
            for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
                Tensor x = e.getValue();
                featureTables.add(Var.param(e.getKey() + "_feat", x.copy()));
                projections.add(new Linear(x.cols, cfg.dim, true, rng));
            }
        }
    }

    static Map<String, Double> weights(Iterable<String> names, Map<String, Double> given) {
        List<String> list = new ArrayList<>();
        names.forEach(list::add);
        Map<String, Double> w = new LinkedHashMap<>();
        if (!given.isEmpty()) {
            for (String n : list) {
                Double v = given.get(n);
                if (v == null) {
                    throw new IllegalArgumentException("freedom: no weight given for modality '" + n + "' (weights given for "
                            + given.keySet() + ")");
                }
                w.put(n, v);
            }
            for (String n : given.keySet()) {
                if (!w.containsKey(n)) {
                    throw new IllegalArgumentException("freedom: weight given for unknown modality '" + n + "'; modalities are " + list);
                }
            }
        } else if (list.size() == 2 && list.contains("image") && list.contains("text")) {
            w.put(list.get(0), list.get(0).equals("image") ? 0.1 : 0.9);
            w.put(list.get(1), list.get(1).equals("image") ? 0.1 : 0.9);
        } else {
            for (String n : list) {
                w.put(n, 1.0 / list.size());
            }
        }
        return w;
    }

    private static CsrMatrix scaled(CsrMatrix m, float w) {
        float[] v = m.valuesCopy();
        for (int i = 0; i < v.length; i++) {
            v[i] *= w;
        }
        return m.withValues(v);
    }

    /** S (items x items) placed in the item block of a (U+I) x (U+I) matrix. */
    private static CsrMatrix embedItemBlock(CsrMatrix s, int numUsers) {
        int n = numUsers + s.rows();
        CsrMatrix.Builder b = CsrMatrix.builder(n, n);
        for (int r = 0; r < s.rows(); r++) {
            for (int e = s.rowStart(r); e < s.rowEnd(r); e++) {
                b.add(numUsers + r, numUsers + s.colAt(e), s.valueAt(e));
            }
        }
        return b.build(CsrMatrix.Duplicates.SUM);
    }

    @Override
    public String name() {
        return "freedom";
    }

    @Override
    public List<Var> parameters() {
        List<Var> p = new ArrayList<>();
        p.add(emb);
        p.addAll(featureTables);
        for (Linear l : projections) {
            p.addAll(l.parameters());
        }
        return p;
    }

    @Override
    public void startEpoch(int epoch) {
        if (opt.rho <= 0) {
            trainAdj = fullAdj;
            return;
        }
        Rng rng = new Rng(seed * 0x9E3779B97F4A7C15L + epoch);
        trainAdj = Adjacency.normalizedKept(interactions, EdgeSampling.degreeSensitive(interactions, opt.rho, rng));
    }

    /** Final embeddings of all nodes: user rows E_u, item rows E_i + h_i. */
    Var forward(CsrMatrix adj) {
        Var h = emb;
        for (int l = 0; l < opt.mmLayers; l++) {
            h = SpMM.apply(itemGraph, h); // user rows of itemGraph are empty, so h is 0 there
        }
        Var e = emb;
        Var acc = emb;
        for (int k = 0; k < opt.uiLayers; k++) {
            e = SpMM.apply(adj, e);
            acc = Ops.add(acc, e);
        }
        Var mean = opt.uiLayers == 0 ? acc : Ops.scale(acc, 1f / (opt.uiLayers + 1));
        return opt.mmLayers == 0 ? mean : Ops.add(mean, h);
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        Var all = forward(trainAdj);
        Var u = ShapeOps.gatherRows(all, b.users());
        Var p = ShapeOps.gatherRows(all, LightGcn.offset(b.pos(), numUsers));
        Var n = ShapeOps.gatherRows(all, LightGcn.offset(b.neg(), numUsers));
        Var loss = Losses.bpr(Ops.rowDot(u, p), Ops.rowDot(u, n));
        for (int m = 0; m < featureTables.size(); m++) {
            Linear w = projections.get(m);
            Var fp = w.forward(ShapeOps.gatherRows(featureTables.get(m), b.pos()));
            Var fn = w.forward(ShapeOps.gatherRows(featureTables.get(m), b.neg()));
            loss = Ops.add(loss, Ops.scale(Losses.bpr(Ops.rowDot(u, fp), Ops.rowDot(u, fn)), opt.lambda));
        }
        return loss;
    }

    @Override
    public Scorer scorer() {
        Tensor all;
        try (NoGrad g = NoGrad.scope()) {
            all = forward(fullAdj).value;
        }
        Tensor items = all.rowBlock(numUsers, numItems);
        return (users, out) -> {
            Tensor u = new Tensor(users.length, all.cols);
            Kernels.get().gatherRows(all.data, all.offset, all.cols, users, 0, users.length, u.data, 0);
            MatMul.matmulInto(u, false, items, true, out, false);
        };
    }

    @Override
    public Map<String, Object> options() {
        Map<String, Object> m = opt.asMap();
        m.put("modality_weights", usedWeights);
        return m;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "freedom(rho=%.2f, lambda=%g, weights=%s)", opt.rho, opt.lambda, usedWeights);
    }
}
