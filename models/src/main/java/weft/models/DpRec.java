package weft.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.RowOps;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Gate;
import weft.autograd.nn.Linear;
import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.Adjacency;
import weft.graph.CsrMatrix;
import weft.graph.Hypergraph;
import weft.graph.KnnGraph;
import weft.graph.SpMM;
import weft.models.cli.Args;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;
import weft.models.fusion.Fusion;

/**
 * DPRec (seed 001, MODELS.md §4): dual-perspective encoding (memory and expansion) fused per
 * modality by a learned gate, learnable soft hypergraphs per modality, and InfoNCE alignment
 * between modalities at the item, user and hyperedge level.
 *
 * <pre>
 *   x_i^m   item i's features of modality m, centred and divided by the mean row norm (Fusion.projectionInputs)
 *   F^m     = X^m W_m^T + b_m                                  projected features [I, d]
 *   t_i^m   = e_i + F^m_i                                      item i as modality m sees it
 *   memory     M^m   = mean(N^m, A_hat N^m, ..., A_hat^L N^m),  N^m = [E_u ; T^m]     (L = layers)
 *   expansion  X^m_I = S_m^Le T^m,   X^m_U = Rbar X^m_I        (S_m: kNN graph of the raw x^m, k = 10, 1/k;
 *                                                               Rbar = D_u^-1 R: a user = mean of its items)
 *   gate       Z^m   = g^m * M^m + (1 - g^m) * X^m,  g^m = sigmoid(W_g^m [M^m ; X^m] + b_g^m)   (per node, per feature)
 *   hypergraph H^m_I = softmax_rows(X^m W_h^m / tau_h)  [I, n_h],   H^m_U = Rbar H^m_I  [U, n_h]
 *              Hn    = H D_e^-1/2  (D_e: hyperedge degrees, column sums of H)
 *              Y^m_I = Hn_I (Hn_I^T E_i),   Y^m_U = Hn_U (Hn_U^T E_u),   G^m = Hn_I^T E_i  [n_h, d]
 *   final      e*_n  = mean_m (Z^m_n + beta Y^m_n)              for users and items n
 *   loss       BPR(e*_u . e*_p, e*_u . e*_n) + reg (||e_u||_F + ||e_p||_F + ||e_n||_F) / B
 *              + w_item  sum_{a<b} InfoNCE(Z^a_i, Z^b_i)   over the batch's distinct positive items
 *              + w_user  sum_{a<b} InfoNCE(Z^a_u, Z^b_u)   over the batch's distinct users
 *              + w_group sum_{a<b} InfoNCE(G^a_h, G^b_h)   over the n_h hyperedges
 * </pre>
 *
 * Readings of the abstract, and why:
 * <ul>
 * <li>Both perspectives encode the same input, ID embedding plus projected features, and differ only
 *     in the graph: the memory perspective sees what the interactions memorise (user-item graph), the
 *     expansion perspective what the content generalises to (item-item feature graph). Including e_i
 *     in the expansion input lets the kNN graph smooth the ID embeddings too, which is what makes
 *     FREEDOM's item graph work; with features alone, --no-memory would leave no collaborative signal.</li>
 * <li>The hypergraph convolves the layer-0 ID embeddings: the groups add a global, content-defined
 *     neighbourhood that neither graph has, at O(nodes n_h d). D_e^-1/2 makes the convolution an
 *     average over members, so its scale does not grow with the hyperedge size.</li>
 * <li>Group-level alignment aligns the hyperedges themselves: G^m_h summarises hyperedge h of
 *     modality m over the same ID embeddings, so InfoNCE between G^a and G^b asks both modalities to
 *     group the items the same way (hyperedge h of one modality matches hyperedge h of the other).</li>
 * <li>With one modality there is nothing to align between: the alignment terms vanish.</li>
 * </ul>
 * Switches: --no-memory (Z = expansion), --no-expansion (Z = memory), --no-hypergraph (no Y, no
 * group alignment), --align-levels (subset of item,user,group). All computed over whole tables:
 * the per-item work is matrix products, sparse products and row softmaxes.
 */
public final class DpRec implements Recommender {
    /** DPRec's switches and their defaults (selected on Last.fm-2K's valid Recall@20). */
    public static final class Options {
        public boolean memory = true;
        public boolean expansion = true;
        public boolean hypergraph = true;
        /** Alignment levels: any subset of item, user, group. */
        public Set<String> alignLevels = new LinkedHashSet<>(List.of("item", "user", "group"));
        public int knnK = 10;
        /** Hops over the kNN item graph in the expansion perspective. */
        public int expansionLayers = 1;
        /** Number of hyperedges n_h per modality. */
        public int hyperedges = 16;
        /** Temperature of the soft hyperedge assignment. */
        public float hyperTemp = 0.2f;
        /** Weight beta of the hypergraph term in the final embeddings. */
        public float hyperWeight = 1f;
        public float itemAlign = 0.01f;
        public float userAlign = 0.01f;
        public float groupAlign = 0.01f;
        /** InfoNCE temperature of the alignment terms. */
        public float alignTemp = 0.2f;

        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("memory", memory);
            m.put("expansion", expansion);
            m.put("hypergraph", hypergraph);
            m.put("align_levels", String.join(",", alignLevels));
            m.put("knn_k", knnK);
            m.put("expansion_layers", expansionLayers);
            m.put("hyperedges", hyperedges);
            m.put("hyper_temp", (double) hyperTemp);
            m.put("hyper_weight", (double) hyperWeight);
            m.put("item_align", (double) itemAlign);
            m.put("user_align", (double) userAlign);
            m.put("group_align", (double) groupAlign);
            m.put("align_temp", (double) alignTemp);
            return m;
        }
    }

    static final List<String> LEVELS = List.of("item", "user", "group");
    /** Valued flags, switches and ablation variants for the registry (Models). */
    static final List<String> FLAGS = List.of("align-levels", "hyperedges", "hyper-temp", "hyper-weight", "item-align",
            "user-align", "group-align", "align-temp", "knn-k", "expansion-layers");
    static final List<String> SWITCHES = List.of("no-memory", "no-expansion", "no-hypergraph");
    static final List<List<String>> ABLATIONS = List.of(List.of("--no-memory"), List.of("--no-expansion"),
            List.of("--no-hypergraph"), List.of("--align-levels", "user,group"), List.of("--align-levels", "item,group"),
            List.of("--align-levels", "item,user"));

    private final int numUsers, numItems, dim, layers;
    private final float reg;
    private final Options opt;
    private final CsrMatrix adj, userMean;
    private final List<CsrMatrix> knn = new ArrayList<>();
    private final List<Var> features = new ArrayList<>();
    private final List<String> modalityNames;
    /** All parameters; the forward pass reads them through an array so tests can substitute some. */
    private final List<Var> params = new ArrayList<>();
    private final int embIdx;
    private final int[] projIdx, gateIdx, hyperIdx;

    public DpRec(Dataset data, ModelConfig cfg) {
        this(data, cfg, new Options());
    }

    public DpRec(Dataset data, ModelConfig cfg, Options opt) {
        if (!opt.memory && !opt.expansion) {
            throw new IllegalArgumentException("dprec: --no-memory and --no-expansion together leave no perspective to encode with");
        }
        for (String l : opt.alignLevels) {
            if (!LEVELS.contains(l)) {
                throw new IllegalArgumentException("dprec: unknown alignment level '" + l + "'; levels are " + LEVELS);
            }
        }
        if (opt.hyperedges < 1 || !(opt.hyperTemp > 0) || !(opt.alignTemp > 0)) {
            throw new IllegalArgumentException("dprec: hyperedges must be >= 1 and temperatures > 0, got hyperedges = "
                    + opt.hyperedges + ", hyper-temp = " + opt.hyperTemp + ", align-temp = " + opt.alignTemp);
        }
        Map<String, Tensor> mods = Fusion.projectionInputs(data, "dprec");
        this.opt = opt;
        numUsers = data.numUsers();
        numItems = data.numItems();
        if (opt.knnK > numItems) {
            throw new IllegalArgumentException("dprec: knn-k = " + opt.knnK + " exceeds the " + numItems + " items");
        }
        dim = cfg.dim;
        layers = cfg.layers;
        reg = cfg.reg;
        CsrMatrix r = Adjacency.interactions(numUsers, numItems, data.trainUsers(), data.trainItems());
        adj = Adjacency.normalized(r);
        userMean = Fusion.rowMean(r);
        modalityNames = List.copyOf(mods.keySet());

        Rng rng = new Rng(cfg.seed);
        Tensor table = new Tensor(numUsers + numItems, dim);
        rng.xavierUniform(table.rowBlock(0, numUsers));
        rng.xavierUniform(table.rowBlock(numUsers, numItems));
        embIdx = add(Var.param("embedding", table));
        int m = mods.size();
        projIdx = new int[m];
        gateIdx = new int[m];
        hyperIdx = new int[m];
        int j = 0;
        for (Map.Entry<String, Tensor> e : mods.entrySet()) {
            Tensor x = e.getValue();
            features.add(Var.constant(x));
            knn.add(KnnGraph.freedom(data.modality(e.getKey()), opt.knnK));
            Linear proj = new Linear(x.cols, dim, true, rng);
            projIdx[j] = add(proj.weight);
            add(proj.bias);
            Gate gate = new Gate(dim, dim, rng);
            gateIdx[j] = add(gate.proj.weight);
            add(gate.proj.bias);
            hyperIdx[j] = add(Var.param(e.getKey() + ".hyperedges", rng.xavierUniform(new Tensor(opt.hyperedges, x.cols))));
            j++;
        }
    }

    private int add(Var v) {
        params.add(v);
        return params.size() - 1;
    }

    /** Builds DPRec from command-line flags (see {@link #FLAGS}, {@link #SWITCHES}). */
    static Recommender create(Dataset d, ModelConfig c, Args a) {
        Options o = new Options();
        o.memory = !a.has("no-memory");
        o.expansion = !a.has("no-expansion");
        o.hypergraph = !a.has("no-hypergraph");
        if (a.has("align-levels")) {
            o.alignLevels = new LinkedHashSet<>();
            for (String part : a.string("align-levels", "").split(",")) {
                String l = part.trim().toLowerCase(Locale.ROOT);
                if (l.isEmpty()) {
                    continue;
                }
                if (!LEVELS.contains(l)) {
                    throw new Args.UsageException("--align-levels takes a comma-separated subset of item,user,group (or nothing), got '"
                            + part + "'");
                }
                o.alignLevels.add(l);
            }
        }
        o.hyperedges = a.integer("hyperedges", o.hyperedges, 1);
        o.hyperTemp = positive(a, "hyper-temp", o.hyperTemp);
        o.hyperWeight = (float) a.real("hyper-weight", o.hyperWeight, 0);
        o.itemAlign = (float) a.real("item-align", o.itemAlign, 0);
        o.userAlign = (float) a.real("user-align", o.userAlign, 0);
        o.groupAlign = (float) a.real("group-align", o.groupAlign, 0);
        o.alignTemp = positive(a, "align-temp", o.alignTemp);
        o.knnK = a.integer("knn-k", o.knnK, 1);
        o.expansionLayers = a.integer("expansion-layers", o.expansionLayers, 0);
        if (!o.memory && !o.expansion) {
            throw new Args.UsageException("--no-memory and --no-expansion together leave dprec no perspective");
        }
        return new DpRec(d, c, o);
    }

    static float positive(Args a, String flag, float dflt) {
        float v = (float) a.real(flag, dflt, 0);
        if (!(v > 0)) {
            throw new Args.UsageException("--" + flag + " must be > 0, got " + v);
        }
        return v;
    }

    @Override
    public String name() {
        return "dprec";
    }

    @Override
    public List<Var> parameters() {
        return List.copyOf(params);
    }

    /** The parameters as the forward pass indexes them (a copy: callers may substitute entries). */
    Var[] parameterArray() {
        return params.toArray(new Var[0]);
    }

    /** The pieces of one forward pass. */
    record Forward(Var all, List<Var> z, List<Var> groups) {}

    /** Everything from the parameters {@code p} (indexed as {@link #parameters()}). */
    Forward forward(Var[] p) {
        Var emb = p[embIdx];
        Var users = ShapeOps.sliceRows(emb, 0, numUsers);
        Var items = ShapeOps.sliceRows(emb, numUsers, numItems);
        List<Var> zs = new ArrayList<>();
        List<Var> groups = new ArrayList<>();
        Var sum = null;
        for (int m = 0; m < features.size(); m++) {
            Var f = new Linear(p[projIdx[m]], p[projIdx[m] + 1]).forward(features.get(m));
            Var t = Ops.add(items, f);
            Var mem = opt.memory ? Fusion.layerMean(adj, ShapeOps.concatRows(users, t), layers) : null;
            Var exp = null;
            if (opt.expansion) {
                Var xi = Fusion.hops(knn.get(m), t, opt.expansionLayers);
                exp = ShapeOps.concatRows(SpMM.apply(userMean, xi), xi);
            }
            Var z = mem == null ? exp
                    : exp == null ? mem
                    : new Gate(new Linear(p[gateIdx[m]], p[gateIdx[m] + 1]), dim).mix(mem, exp);
            zs.add(z);
            if (opt.hypergraph) {
                Var logits = Ops.scale(Ops.matmul(features.get(m), false, p[hyperIdx[m]], true), 1f / opt.hyperTemp);
                Var hi = RowOps.rowSoftmax(logits);
                Var hu = SpMM.apply(userMean, hi);
                Var hin = Fusion.hyperedgeNormalize(hi);
                Var hun = Fusion.hyperedgeNormalize(hu);
                Var y = ShapeOps.concatRows(Hypergraph.propagate(hun, users), Hypergraph.propagate(hin, items));
                groups.add(Ops.matmul(hin, true, items, false));
                z = Ops.add(z, opt.hyperWeight == 1f ? y : Ops.scale(y, opt.hyperWeight));
            }
            sum = sum == null ? z : Ops.add(sum, z);
        }
        Var all = features.size() == 1 ? sum : Ops.scale(sum, 1f / features.size());
        return new Forward(all, zs, groups);
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
        loss = addAlign(loss, "item", opt.itemAlign, fw.z(), Fusion.distinct(pos));
        loss = addAlign(loss, "user", opt.userAlign, fw.z(), Fusion.distinct(b.users()));
        if (opt.hypergraph) {
            loss = addAlign(loss, "group", opt.groupAlign, fw.groups(), null);
        }
        return loss;
    }

    private Var addAlign(Var loss, String level, float weight, List<Var> views, int[] rows) {
        if (weight == 0 || !opt.alignLevels.contains(level) || views.size() < 2) {
            return loss;
        }
        return Ops.add(loss, Ops.scale(Fusion.pairwiseInfoNce(views, rows, opt.alignTemp), weight));
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

    @Override
    public Map<String, Object> options() {
        Map<String, Object> m = opt.asMap();
        m.put("modalities", modalityNames);
        return m;
    }

    @Override
    public String toString() {
        return "dprec" + opt.asMap() + " on " + modalityNames;
    }
}
