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
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.Adjacency;
import weft.graph.CsrMatrix;
import weft.graph.EdgeSampling;
import weft.graph.KnnGraph;
import weft.graph.SpMM;
import weft.models.blocks.Bpr;
import weft.models.blocks.DotScorer;
import weft.models.blocks.Embeddings;
import weft.models.blocks.Graphs;
import weft.models.blocks.Index;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.options.Option;
import weft.models.options.SharedOptions;
import weft.models.options.OptionException;
import weft.models.options.Options;

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
 *   E     = mean(E^(0), A_t E^(0), ..., A_t^K E^(0))   (K = --layers, FREEDOM's default 2)
 *   user  = E_u,  item = E_i + h_i
 *   loss  = BPR(user, item) + lambda * sum_m BPR(user, W_m x^m)   (no L2 term)
 * </pre>
 * A modality may be given as vectors (its kNN graph is built here, and its features enter the
 * modality BPR term, fine-tuned as in the reference) or as a precomputed graph only (no BPR term).
 * The item graph is embedded in the (U+I)-node space so h is added without slicing.
 */
public final class Freedom extends GraphRecommender {
    public static final Option<Integer> KNN_K = SharedOptions.KNN_K;
    public static final Option<Double> RHO = Option.real("rho", 0.8, "fraction of user-item edges dropped each epoch")
            .min(0).below(1).search(0.8, 0.9);
    public static final Option<Integer> MM_LAYERS = Option.integer("mm-layers", 1, "hops over the frozen item graph").min(0);
    public static final Option<Double> LAMBDA = Option.real("lambda", 1e-4, "weight of the modality BPR terms")
            .min(0).search(0.0, 1e-5, 1e-4, 1e-3);
    public static final Option<Map<String, Double>> MODALITY_WEIGHTS = Option.weights("modality-weights",
            "weights of the modalities' item graphs").describeDefault("image=0.1,text=0.9, else equal");
    public static final ModelSpec SPEC = ModelSpec.builder("freedom",
                    "FREEDOM: frozen item kNN graph + degree-sensitive pruned LightGCN")
            .options(RHO, LAMBDA, KNN_K, MM_LAYERS, MODALITY_WEIGHTS)
            .ablation(RHO, 0.0).ablation(LAMBDA, 0.0).ablation(MM_LAYERS, 0)
            .layers(2).build(Freedom::new);

    private final Var emb;
    private final CsrMatrix itemGraph;
    private CsrMatrix trainAdj;
    private final int mmLayers;
    private final double rho;
    private final float lambda;
    private final long seed;
    private final List<Var> featureTables = new ArrayList<>();
    private final List<Linear> projections = new ArrayList<>();
    /** The combined item graph's modality weights actually used, for the report. */
    public final Map<String, Double> usedWeights;

    /** With the default options and FREEDOM's 2 user-item layers. */
    public Freedom(Dataset data) {
        this(data, SPEC.config(), Options.defaults());
    }

    /** {@code cfg.layers} is the number of user-item layers (FREEDOM's default is 2: {@link ModelSpec#config()}). */
    public Freedom(Dataset data, ModelConfig cfg, Options opt) {
        super(SPEC, data, cfg, opt);
        this.seed = cfg.seed;
        mmLayers = opt.get(MM_LAYERS);
        rho = opt.get(RHO);
        lambda = opt.getFloat(LAMBDA);
        trainAdj = adj;

        Map<String, CsrMatrix> graphs = new LinkedHashMap<>();
        for (Map.Entry<String, CsrMatrix> e : data.itemGraphs().entrySet()) {
            graphs.put(e.getKey(), KnnGraph.normalize(e.getValue(), KnnGraph.Norm.SYM));
        }
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            if (!graphs.containsKey(e.getKey())) {
                graphs.put(e.getKey(), KnnGraph.freedom(e.getValue(), knnK(KNN_K)));
            }
        }
        if (graphs.isEmpty()) {
            throw new IllegalArgumentException("freedom needs item modalities (feature .npy files or --item-graph files); dataset '"
                    + data.name() + "' has none");
        }
        usedWeights = weights(graphs.keySet(), opt.get(MODALITY_WEIGHTS));
        CsrMatrix s = null;
        for (Map.Entry<String, CsrMatrix> e : graphs.entrySet()) {
            float w = usedWeights.get(e.getKey()).floatValue();
            s = s == null ? scaled(e.getValue(), w) : CsrMatrix.weightedSum(1f, s, w, e.getValue());
        }
        itemGraph = embedItemBlock(s, numUsers);

        Rng rng = new Rng(cfg.seed);
        emb = Embeddings.idTable(rng, numUsers, numItems, cfg.dim);
        if (lambda > 0) {
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
                    throw new OptionException("--modality-weights: no weight given for modality '" + n + "' (weights given for "
                            + given.keySet() + ")");
                }
                w.put(n, v);
            }
            for (String n : given.keySet()) {
                if (!w.containsKey(n)) {
                    throw new OptionException("--modality-weights: weight given for unknown modality '" + n + "'; modalities are " + list);
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
        if (rho <= 0) {
            trainAdj = adj;
            return;
        }
        Rng rng = new Rng(seed * 0x9E3779B97F4A7C15L + epoch);
        trainAdj = Adjacency.normalizedKept(interactions, EdgeSampling.degreeSensitive(interactions, rho, rng));
    }

    /** Final embeddings of all nodes over the user-item graph {@code a}: user rows E_u, item rows E_i + h_i. */
    Var forward(CsrMatrix a) {
        Var h = emb;
        for (int l = 0; l < mmLayers; l++) {
            h = SpMM.apply(itemGraph, h); // user rows of itemGraph are empty, so h is 0 there
        }
        Var mean = Graphs.layerMean(a, emb, layers);
        return mmLayers == 0 ? mean : Ops.add(mean, h);
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        Var all = forward(trainAdj);
        Var u = ShapeOps.gatherRows(all, b.users());
        Var p = ShapeOps.gatherRows(all, Index.offset(b.pos(), numUsers));
        Var n = ShapeOps.gatherRows(all, Index.offset(b.neg(), numUsers));
        Var loss = Bpr.of(u, p, n);
        for (int m = 0; m < featureTables.size(); m++) {
            Linear w = projections.get(m);
            Var fp = w.forward(ShapeOps.gatherRows(featureTables.get(m), b.pos()));
            Var fn = w.forward(ShapeOps.gatherRows(featureTables.get(m), b.neg()));
            loss = Ops.add(loss, Ops.scale(Bpr.of(u, fp, fn), lambda));
        }
        return loss;
    }

    @Override
    public DotScorer scorer() {
        try (NoGrad g = NoGrad.scope()) {
            return DotScorer.ofNodes(forward(adj).value, numUsers);
        }
    }

    @Override
    public Map<String, Object> facts() {
        return Map.of("modality_weights", usedWeights);
    }
}
