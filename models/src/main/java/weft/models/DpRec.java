package weft.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.RowOps;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Gate;
import weft.autograd.nn.Linear;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.CsrMatrix;
import weft.graph.Hypergraph;
import weft.graph.KnnGraph;
import weft.graph.SpMM;
import weft.models.blocks.Bpr;
import weft.models.blocks.ContentScale;
import weft.models.blocks.ContentSignal;
import weft.models.blocks.DotScorer;
import weft.models.blocks.Embeddings;
import weft.models.blocks.Features;
import weft.models.blocks.Fusion;
import weft.models.blocks.Graphs;
import weft.models.blocks.Index;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.options.Option;
import weft.models.options.SharedOptions;
import weft.models.options.OptionException;
import weft.models.options.Options;

/**
 * DPRec: dual-perspective encoding (memory and expansion) fused per modality by a learned gate,
 * learnable soft hypergraphs per modality, and InfoNCE alignment between modalities at the item,
 * user and hyperedge level.
 *
 * <pre>
 *   x_i^m   item i's features of modality m, centred and divided by the mean row norm (Features.projectionInputs)
 *   F^m     = X^m W_m^T + b_m                                  projected features [I, d]
 *   t_i^m   = e_i + F^m_i                                      item i as modality m sees it
 *   memory     M^m   = mean(N^m, A_hat N^m, ..., A_hat^L N^m),  N^m = [E_u ; T^m]     (L = --layers)
 *   expansion  X^m_I = S_m^Le T^m,   X^m_U = Rbar X^m_I        (S_m: kNN graph of the raw x^m, k = --knn-k, 1/k;
 *                                                               Le = --expansion-layers; Rbar = D_u^-1 R;
 *                                                               --adapt-graph: w S_m + (1 - w) I, w the content weight)
 *   gate       Z^m   = g^m * M^m + (1 - g^m) * X^m,  g^m = sigmoid(W_g^m [M^m ; X^m] + b_g^m)   (per node, per feature;
 *                                                   b_g^m starts at --gate-bias, so g^m near sigmoid of it)
 *              (--fusion add: Z^m = M^m + g^m * X^m,  g^m = sigmoid(W_g^m [X^m ; M^m] + b_g^m))
 *   hypergraph H^m_I = softmax_rows(X^m W_h^m / tau_h)  [I, n_h],   H^m_U = Rbar H^m_I  [U, n_h]
 *              Hn    = H D_e^-1/2  (D_e: hyperedge degrees, column sums of H)
 *              Y^m_I = Hn_I (Hn_I^T E_i) - mean(E_i),   Y^m_U = Hn_U (Hn_U^T E_u) - mean(E_u),   G^m = Hn_I^T E_i  [n_h, d]
 *                      (--hyper-center, default on: the means are the term at uniform memberships; off: not subtracted)
 *                      (--hyper-mean-constant: the means subtracted in the gradient only, the value uncentred)
 *   final      e*_n  = mean_m (Z^m_n + beta Y^m_n)              for users and items n
 *   loss       BPR(e*_u . e*_p, e*_u . e*_n) + reg (||e_u||_F + ||e_p||_F + ||e_n||_F) / B
 *              + w_item  sum_{a<b} InfoNCE(Z^a_i, Z^b_i)   over the batch's distinct positive items
 *              + w_user  sum_{a<b} InfoNCE(Z^a_u, Z^b_u)   over the batch's distinct users
 *              + w_group sum_{a<b} InfoNCE(G^a_h, G^b_h)   over the n_h hyperedges
 *              + w_id BPR(LightGCN(E))                   (--id-bpr w_id, default 0: the ID embeddings alone)
 * </pre>
 * Without the memory perspective Z = X, without the expansion perspective Z = M (not both);
 * without the hypergraph there is no Y and no group alignment; with one modality there is nothing
 * to align. Everything is computed over whole tables (matrix products, sparse products, row
 * softmaxes). How the abstract was read, and how the defaults were chosen: docs/models.md.
 */
public final class DpRec extends GraphRecommender {
    public static final Option<Boolean> MEMORY = Option.toggle("memory",
            "memory perspective: LightGCN over the user-item graph");
    public static final Option<Boolean> EXPANSION = Option.toggle("expansion",
            "expansion perspective: propagation over each modality's item kNN graph");
    public static final Option<Boolean> HYPERGRAPH = Option.toggle("hypergraph",
            "learnable soft hypergraph per modality and group-level alignment");
    public static final Option<Set<String>> ALIGN_LEVELS = Option.subset("align-levels", List.of("item", "user", "group"),
            levels("item", "user", "group"), "levels at which the modalities are aligned");
    public static final Option<Integer> KNN_K = SharedOptions.KNN_K.withDefault(20);   // section 4 of docs/models.md, "DPRec's kNN graphs at k = 20"
    public static final Option<Integer> EXPANSION_LAYERS = Option.integer("expansion-layers", 1,
            "hops over the kNN item graph in the expansion perspective").min(0).search(1, 2);
    public static final Option<Integer> HYPEREDGES = Option.integer("hyperedges", 16, "hyperedges per modality")
            .min(1).search(8, 16, 32);
    public static final Option<Double> HYPER_TEMP = Option.real("hyper-temp", 0.2, "temperature of the soft hyperedge assignment")
            .above(0).search(0.1, 0.2, 0.5);
    public static final Option<Double> HYPER_WEIGHT = Option.real("hyper-weight", 1, "weight beta of the hypergraph term")
            .min(0).search(0.5, 1.0);
    public static final Option<Double> ITEM_ALIGN = SharedOptions.CL_WEIGHT.as("item-align", "weight of the item-level alignment");
    public static final Option<Double> USER_ALIGN = SharedOptions.CL_WEIGHT.as("user-align", "weight of the user-level alignment");
    public static final Option<Double> GROUP_ALIGN = SharedOptions.CL_WEIGHT.as("group-align", "weight of the hyperedge-level alignment");
    public static final Option<Double> ALIGN_TEMP = SharedOptions.CL_TEMP.as("align-temp", "InfoNCE temperature of the alignment terms");
    public static final Option<Boolean> LEAVE_ONE_OUT = SharedOptions.LEAVE_ONE_OUT;
    public static final Option<Double> ID_BPR = SharedOptions.ID_BPR;
    public static final Option<Double> FEATURE_DROPOUT = SharedOptions.FEATURE_DROPOUT;
    /** On by default: chosen on valid over four regimes x three seeds (docs/models.md, section 4, "DPRec's early dip"). */
    public static final Option<Boolean> HYPER_CENTER = Option.bool("hyper-center", true,
            "subtract from the users' and the items' hypergraph terms the mean of their ID embeddings (the term at uniform"
                    + " memberships), so the hypergraph adds only what its hyperedges differ by")
            .whenUnsaved(false);   // models saved before the option existed added the whole term
    public static final Option<Boolean> HYPER_MEAN_CONSTANT = Option.bool("hyper-mean-constant", false,
            "with --hyper-center: keep the means in the term's value as constants, so only its gradient is centred"
                    + " (the mean user no longer moves every user in one direction; the value is the uncentred term's)");
    public static final Option<Boolean> ADAPT_GRAPH = Option.bool("adapt-graph", false,
            "each modality's kNN item graph mixed with the identity by the content weight w that the training interactions"
                    + " give the features (as --adapt-scale measures it): the expansion hops over w S_m + (1 - w) I");
    /** How the gate fuses the two perspectives. */
    public enum GateFusion {
        /** Z = g * M + (1 - g) * X: a convex mix, the memory's share traded for the expansion's. */
        MIX,
        /** Z = M + g * X: the memory whole, the expansion added as far as the gate lets it. */
        ADD
    }

    public static final Option<GateFusion> FUSION = Option.choice("fusion", GateFusion.class, GateFusion.MIX,
            "how the gate fuses the perspectives: mix, g M + (1 - g) X; add, M + g X (g = sigmoid(W_g [X ; M] + b_g))");
    public static final Option<Double> GATE_BIAS = Option.real("gate-bias", 0,
            "initial bias of the perspective gate: the gate starts near sigmoid(b) on the memory side, 1 - sigmoid(b) on the expansion side"
                    + " (with --fusion add: the memory whole, sigmoid(b) of the expansion)");
    public static final Option<Boolean> ADAPT_SCALE = SharedOptions.ADAPT_SCALE.withDefault(false);
    public static final Option<Integer> ADAPT_POWER = SharedOptions.ADAPT_POWER;
    public static final ModelSpec SPEC = ModelSpec.builder("dprec",
                    "DPRec: memory + expansion perspectives gated per modality, soft hypergraphs, multi-level alignment")
            .options(MEMORY, EXPANSION, HYPERGRAPH, ALIGN_LEVELS, KNN_K, EXPANSION_LAYERS, HYPEREDGES, HYPER_TEMP, HYPER_WEIGHT,
                    ITEM_ALIGN, USER_ALIGN, GROUP_ALIGN, ALIGN_TEMP, LEAVE_ONE_OUT, HYPER_CENTER, HYPER_MEAN_CONSTANT, ID_BPR, FUSION, GATE_BIAS, FEATURE_DROPOUT, ADAPT_SCALE, ADAPT_POWER, ADAPT_GRAPH)
            .ablation(ALIGN_LEVELS, levels("user", "group"))
            .ablation(ALIGN_LEVELS, levels("item", "group"))
            .ablation(ALIGN_LEVELS, levels("item", "user"))
            .build(DpRec::new);

    /** The alignment levels {@code names}, in that order. */
    static Set<String> levels(String... names) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(List.of(names)));
    }

    private final List<CsrMatrix> knn = new ArrayList<>();
    private final List<Var> features = new ArrayList<>();
    private final Rng dropoutRng;           // --feature-dropout's masks, drawn in training steps only
    private final List<String> modalityNames = new ArrayList<>();
    private final List<Var> params = new ArrayList<>();
    final Var emb;
    /** Per modality: the feature projection W_m, the perspective gate, the hyperedge embeddings W_h^m. */
    final Linear[] proj;
    final Gate[] gates;
    final Var[] hyperedges;
    /** The features' measured lifts and content weight w ({@link ContentSignal}), null without --adapt-scale. */
    final ContentSignal.Measured signal;
    /** w^p, the weight of the projected features F^m in t^m = e + w^p F^m: 1 without --adapt-scale (no scale op). */
    final float contentWeight;

    public DpRec(Dataset data, ModelConfig cfg, Options opts) {
        super(SPEC, data, cfg, opts);
        OptionException.require(opts.get(MEMORY) || opts.get(EXPANSION), "--no-memory and --no-expansion together leave dprec no perspective");
        OptionException.require(!opts.get(HYPER_MEAN_CONSTANT) || opts.get(HYPER_CENTER),
                "--hyper-mean-constant changes what --hyper-center subtracts; with --hyper-center false it would do nothing");
        Map<String, Tensor> mods = Features.projectionInputs(data, "dprec");
        int k = knnK(KNN_K);

        dropoutRng = Features.dropoutRng(cfg.seed);
        Rng rng = new Rng(cfg.seed);
        emb = Embeddings.idTable(rng, numUsers, numItems, cfg.dim);
        params.add(emb);
        int m = mods.size();
        List<CsrMatrix> graphs = new ArrayList<>();
        proj = new Linear[m];
        gates = new Gate[m];
        hyperedges = new Var[m];
        int j = 0;
        for (Map.Entry<String, Tensor> e : mods.entrySet()) {
            Tensor x = e.getValue();
            features.add(Var.constant(x));
            modalityNames.add(e.getKey());
            graphs.add(KnnGraph.freedom(data.modality(e.getKey()), k));
            proj[j] = new Linear(x.cols, cfg.dim, true, rng);
            gates[j] = new Gate(cfg.dim, cfg.dim, rng);
            gates[j].proj.bias.value.fill(opts.getFloat(GATE_BIAS));   // no draw: the same values otherwise
            hyperedges[j] = Var.param(e.getKey() + ".hyperedges", rng.xavierUniform(new Tensor(opts.get(HYPEREDGES), x.cols)));
            params.addAll(proj[j].parameters());
            params.addAll(gates[j].parameters());
            params.add(hyperedges[j]);
            j++;
        }
        signal = opts.get(ADAPT_SCALE) || opts.get(ADAPT_GRAPH) ? ContentSignal.of(data, data.modalities()) : null;
        for (CsrMatrix g : graphs) {   // w = 1 keeps each graph itself, the same bits
            knn.add(opts.get(ADAPT_GRAPH) ? ContentSignal.trusted(g, signal.weight()) : g);
        }
        contentWeight = opts.get(ADAPT_SCALE) ? ContentScale.scale(1f, signal, opts.get(ADAPT_POWER)) : 1f;
    }

    @Override
    public List<Var> parameters() {
        return List.copyOf(params);
    }

    /**
     * The pieces of one forward pass: final embeddings (users then items), each modality's Z^m, G^m,
     * and per modality what a user's row is made of: the memory rows M^m_U (null without memory),
     * the expansion's items X^m_I and users X^m_U = Rbar X^m_I (null without expansion), and the
     * hypergraph term beta Y^m_U (null without it).
     */
    record Forward(Var all, List<Var> z, List<Var> groups, List<UserParts> users) {}

    record UserParts(Var memory, Var expansionItems, Var expansionUsers, Var hyper) {}

    Forward forward() {
        Var users = ShapeOps.sliceRows(emb, 0, numUsers);
        Var items = ShapeOps.sliceRows(emb, numUsers, numItems);
        List<Var> zs = new ArrayList<>();
        List<Var> groups = new ArrayList<>();
        List<UserParts> parts = new ArrayList<>();
        Var sum = null;
        for (int m = 0; m < features.size(); m++) {
            Var x = Features.dropout(features.get(m), opts.getFloat(FEATURE_DROPOUT), dropoutRng);   // the projection's and the memberships' input
            Var f = proj[m].forward(x);
            Var t = Ops.add(items, contentWeight == 1f ? f : Ops.scale(f, contentWeight));
            Var mem = opts.get(MEMORY) ? Graphs.layerMean(adj, ShapeOps.concatRows(users, t), layers) : null;
            Var exp = null, xi = null, xu = null;
            if (opts.get(EXPANSION)) {
                xi = Graphs.hops(knn.get(m), t, opts.get(EXPANSION_LAYERS));
                xu = SpMM.apply(userMean, xi);
                exp = ShapeOps.concatRows(xu, xi);
            }
            Var z = mem == null ? exp : exp == null ? mem : fuse(m, mem, exp);
            zs.add(z);
            Var hyperUsers = null;
            if (opts.get(HYPERGRAPH)) {
                Var logits = Ops.scale(Ops.matmul(x, false, hyperedges[m], true), 1f / opts.getFloat(HYPER_TEMP));
                Var hi = RowOps.rowSoftmax(logits);
                Var hu = SpMM.apply(userMean, hi);
                Var hin = Fusion.hyperedgeNormalize(hi);
                Var hun = Fusion.hyperedgeNormalize(hu);
                Var yu = Hypergraph.propagate(hun, users), yi = Hypergraph.propagate(hin, items);
                if (opts.get(HYPER_CENTER)) {   // what the term is at uniform memberships: each side's mean ID embedding
                    yu = Ops.sub(yu, centring(users));
                    yi = Ops.sub(yi, centring(items));
                }
                Var y = ShapeOps.concatRows(yu, yi);
                groups.add(Ops.matmul(hin, true, items, false));
                Var by = opts.getFloat(HYPER_WEIGHT) == 1f ? y : Ops.scale(y, opts.getFloat(HYPER_WEIGHT));
                z = Ops.add(z, by);
                hyperUsers = ShapeOps.sliceRows(by, 0, numUsers);
            }
            parts.add(new UserParts(mem == null ? null : ShapeOps.sliceRows(mem, 0, numUsers), xi, xu, hyperUsers));
            sum = sum == null ? z : Ops.add(sum, z);
        }
        Var all = features.size() == 1 ? sum : Ops.scale(sum, 1f / features.size());
        return new Forward(all, zs, groups, parts);
    }

    /** Modality m's perspectives fused by its gate, as {@link #FUSION} says. */
    private Var fuse(int m, Var memory, Var expansion) {
        boolean mix = opts.get(FUSION) == GateFusion.MIX;
        if (gateTrace != null) {   // gateStats(): the gate values the fused rows were made with
            gateTrace.add(mix ? gates[m].gateValues(memory, expansion).value : gates[m].gateValues(expansion, memory).value);
        }
        return mix ? gates[m].mix(memory, expansion) : Ops.add(memory, gates[m].gate(expansion, memory));
    }

    /** Set by {@link #gateStats} for one forward pass: each modality's gate values, in order. */
    private List<Tensor> gateTrace;

    /**
     * Per modality, how much of the expansion perspective the trained gate lets into Z: the mean
     * over users' and over items' rows (and features) of the expansion's weight, 1 - g under
     * {@code --fusion mix} (Z = g M + (1 - g) X), g under {@code add} (Z = M + g X). Empty unless both
     * perspectives are on.
     */
    Map<String, Object> gateStats() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (!opts.get(MEMORY) || !opts.get(EXPANSION)) {
            return out;
        }
        boolean mix = opts.get(FUSION) == GateFusion.MIX;   // the gate holds the memory's side under mix, the expansion's under add
        gateTrace = new ArrayList<>();
        try (NoGrad g = NoGrad.scope()) {
            forward();
            for (int j = 0; j < modalityNames.size(); j++) {
                Tensor w = gateTrace.get(j);
                double users = 0, items = 0;
                for (int r = 0; r < w.rows; r++) {
                    double row = 0;
                    for (int c = 0; c < w.cols; c++) row += mix ? 1 - w.get(r, c) : w.get(r, c);
                    if (r < numUsers) users += row / w.cols;
                    else items += row / w.cols;
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("users", round4(users / numUsers));
                m.put("items", round4(items / (w.rows - numUsers)));
                out.put(modalityNames.get(j), m);
            }
        } finally {
            gateTrace = null;
        }
        return out;
    }

    /**
     * What --hyper-center subtracts from one side's hypergraph term: the side's mean ID embedding,
     * or, with --hyper-mean-constant, that mean less the same mean held as a constant, which is zero
     * in value (the same bits) and the mean's in gradient.
     */
    private Var centring(Var side) {
        Var mean = Ops.meanCols(side);
        return opts.get(HYPER_MEAN_CONSTANT) ? Ops.sub(mean, Var.constant(mean.value.copy())) : mean;
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        Forward fw = forward();
        Var loss = opts.get(EXPANSION) && opts.get(LEAVE_ONE_OUT)
                ? Bpr.withEmbLoss(fw.all(), emb, b, numUsers, reg, positiveUsers(fw, b))
                : Bpr.withEmbLoss(fw.all(), emb, b, numUsers, reg);
        loss = addAlign(loss, "item", opts.getFloat(ITEM_ALIGN), fw.z(), Index.distinct(Index.offset(b.pos(), numUsers)));
        loss = addAlign(loss, "user", opts.getFloat(USER_ALIGN), fw.z(), Index.distinct(b.users()));
        if (opts.get(HYPERGRAPH)) {
            loss = addAlign(loss, "group", opts.getFloat(GROUP_ALIGN), fw.groups(), null);
        }
        float idBpr = opts.getFloat(ID_BPR);
        if (idBpr > 0) {
            loss = Ops.add(loss, Ops.scale(Bpr.ofRows(idOnly(), b, numUsers), idBpr));
        }
        return loss;
    }

    /** LightGCN over the ID embeddings alone, no content: what {@code --id-bpr} scores. */
    Var idOnly() {
        return Graphs.layerMean(adj, emb, layers);
    }

    /**
     * The batch's user rows as the positives see them: the expansion perspective's users X^m_U are
     * the mean of their items' X^m_I, so each positive is scored with itself left out of that mean
     * (Bpr.leaveOneOutMean), and the gate recomputed on it.
     */
    private Var positiveUsers(Forward fw, TrainBatches.Batch b) {
        Var sum = null;
        for (int m = 0; m < fw.users().size(); m++) {
            UserParts p = fw.users().get(m);
            Var x = Bpr.leaveOneOutMean(p.expansionUsers(), p.expansionItems(), b, userCounts);
            Var z = p.memory() == null ? x : fuse(m, ShapeOps.gatherRows(p.memory(), b.users()), x);
            if (p.hyper() != null) {
                z = Ops.add(z, ShapeOps.gatherRows(p.hyper(), b.users()));
            }
            sum = sum == null ? z : Ops.add(sum, z);
        }
        return fw.users().size() == 1 ? sum : Ops.scale(sum, 1f / fw.users().size());
    }

    private Var addAlign(Var loss, String level, float weight, List<Var> views, int[] rows) {
        if (weight == 0 || !opts.get(ALIGN_LEVELS).contains(level) || views.size() < 2) {
            return loss;
        }
        return Ops.add(loss, Ops.scale(Fusion.pairwiseInfoNce(views, rows, opts.getFloat(ALIGN_TEMP)), weight));
    }

    /**
     * Per modality, how the items' soft hyperedge memberships H^m_I are spread: {@code entropy} the
     * mean row entropy divided by ln(n_h) (1: uniform over the hyperedges, 0: one hyperedge each),
     * {@code max} the mean of each item's largest membership, {@code used} the number of hyperedges
     * that are some item's largest membership.
     */
    Map<String, Object> hyperedgeStats() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (!opts.get(HYPERGRAPH)) {
            return out;
        }
        try (NoGrad g = NoGrad.scope()) {
            int j = 0;
            for (String name : modalityNames) {
                Tensor logits = Ops.scale(Ops.matmul(features.get(j), false, hyperedges[j], true), 1f / opts.getFloat(HYPER_TEMP)).value;
                Tensor h = RowOps.rowSoftmax(Var.constant(logits)).value;
                int n = h.cols;
                double entropy = 0, max = 0;
                boolean[] used = new boolean[n];
                for (int i = 0; i < h.rows; i++) {
                    double e = 0, best = -1;
                    int arg = 0;
                    for (int c = 0; c < n; c++) {
                        double p = h.get(i, c);
                        if (p > 0) e -= p * Math.log(p);
                        if (p > best) {
                            best = p;
                            arg = c;
                        }
                    }
                    entropy += e;
                    max += best;
                    used[arg] = true;
                }
                int usedCount = 0;
                for (boolean u : used) usedCount += u ? 1 : 0;
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("entropy", round4(n == 1 ? 0.0 : entropy / h.rows / Math.log(n)));
                m.put("max", round4(max / h.rows));
                m.put("used", usedCount);
                out.put(name, m);
                j++;
            }
        }
        return out;
    }

    private static double round4(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    @Override
    public Map<String, Object> facts() {
        Map<String, Object> h = hyperedgeStats();
        return h.isEmpty() ? Map.of() : Map.of("hyperedges_at_init", h);
    }

    @Override
    public Map<String, Object> trainedFacts() {
        Map<String, Object> out = ContentScale.facts(null, signal);
        Map<String, Object> h = hyperedgeStats();
        if (!h.isEmpty()) {
            out.put("hyperedges", h);
        }
        Map<String, Object> g = gateStats();
        if (!g.isEmpty()) {
            out.put("expansion_weight", g);
        }
        return out;
    }

    @Override
    public DotScorer scorer() {
        try (NoGrad g = NoGrad.scope()) {
            return DotScorer.ofNodes(forward().all().value, numUsers);
        }
    }
}
