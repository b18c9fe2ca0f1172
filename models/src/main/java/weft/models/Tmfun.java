package weft.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Linear;
import weft.autograd.nn.Losses;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.CsrMatrix;
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
import weft.models.data.FeatureNorm;
import weft.models.data.TrainBatches;
import weft.models.options.Option;
import weft.models.options.SharedOptions;
import weft.models.options.Options;

/**
 * TMFUN: attention-guided multi-step fusion of the modalities over modality feature graphs and an
 * item feature graph, added to LightGCN's embeddings.
 *
 * <pre>
 *   x_i^m    item i's features of modality m, centred and divided by the mean row norm (Features.projectionInputs)
 *   S_m      kNN graph of the raw x^m (k = --knn-k, cosine, self included, 1/k)     modality feature graph
 *   S_c      kNN graph of [n(x^1) ; ... ; n(x^M)], n = row L2 normalisation      item feature graph
 *   F^m_1    = X^m W_m^T + b_m                                                   projected modality embeddings
 *   F^m_s    = S_m F^m_{s-1}                     s = 2..K (K = --fusion-steps)   propagated over the modality graph
 *   alpha^s  = softmax_m( (e_i W_q^T) . (F^m_{s,i} W_k^T) / sqrt(d) )           [I, M]; the item's ID embedding is the query
 *   f^s_i    = sum_m alpha^{s,m}_i F^m_{s,i}                                     step 1 is the early-step fusion
 *   f        = mean_s f^s                                                        multi-step fusion
 *   h        = S_c^Lc f                          (Lc = --item-graph-layers)      fused embedding over the item feature graph
 *              (--item-graph-mean: h = mean(f, S_c f, ..., S_c^Lc f), hop 0 kept as in LightGCN's layer combination)
 *   E        = mean(E^(0), A_hat E^(0), ..., A_hat^L E^(0))                     LightGCN on the ID embeddings
 *   user     = E_u + Rbar h,    item = E_i + h_i          (Rbar = D_u^-1 R: the mean over the user's items)
 *   loss     = BPR + reg (||e_u||_F + ||e_p||_F + ||e_n||_F) / B
 *              + lambda_cl sum_m InfoNCE(v^m_i, f_i)  over the batch's distinct positive items,
 *                v^m = mean_s F^m_s (modality m's own multi-step view)
 *              + w_id BPR(E)                       (--id-bpr w_id, default 1: the ID part alone, LightGCN's E)
 *   training: each positive p is scored against its user with h_p left out of Rbar h (--leave-one-out)
 * </pre>
 * The query and key projections are shared by all steps. Switched off, early fusion gives
 * alpha = 1/M (the mean) in every step, the item graph gives h = f, and the contrast term goes.
 * {@code --item-graph-ids true} adds e_i to what the item graph propagates (h = S_c^Lc (f + e_i)),
 * {@code --user-content false} drops Rbar h from
 * the users, and {@code --propagate-content true} feeds h into LightGCN's input (items' layer 0 =
 * e_i + h) instead of adding it after. How the abstract was read, and how the defaults were
 * chosen: docs/models.md.
 */
public final class Tmfun extends GraphRecommender {
    public static final Option<Boolean> EARLY_FUSION = Option.toggle("early-fusion",
            "attention over the modalities (off: their mean)");
    public static final Option<Boolean> ITEM_GRAPH = Option.toggle("item-graph", "propagation over the item feature graph");
    public static final Option<Boolean> CONTRAST = Option.toggle("contrast", "contrast of each modality's view with the fused view");
    public static final Option<Integer> FUSION_STEPS = Option.integer("fusion-steps", 3,
            "fusion steps K: step s fuses modality embeddings propagated s - 1 hops").min(1).max(3).search(1, 2, 3);
    public static final Option<Integer> KNN_K = SharedOptions.KNN_K;
    public static final Option<Integer> ITEM_GRAPH_LAYERS = Option.integer("item-graph-layers", 1,
            "hops over the item feature graph").min(1).search(1, 2);
    public static final Option<Boolean> ITEM_GRAPH_IDS = Option.bool("item-graph-ids", false,
            "the item feature graph also propagates the item ID embeddings");
    public static final Option<Boolean> ITEM_GRAPH_MEAN = Option.bool("item-graph-mean", false,
            "h is the mean of f and its hops over the item feature graph (hop 0 kept), not the last hop");
    public static final Option<Boolean> USER_CONTENT = Option.bool("user-content", true,
            "users also get content: the mean of their items' h");
    public static final Option<Boolean> PROPAGATE_CONTENT = Option.bool("propagate-content", false,
            "h enters LightGCN's input instead of being added after it");
    public static final Option<Double> CL_WEIGHT = SharedOptions.CL_WEIGHT;
    public static final Option<Double> CL_TEMP = SharedOptions.CL_TEMP;
    public static final Option<Boolean> LEAVE_ONE_OUT = SharedOptions.LEAVE_ONE_OUT;
    public static final Option<Double> CONTENT_STEP = SharedOptions.CONTENT_STEP;
    /** 1 by default: chosen on valid over four regimes x three seeds (docs/models.md, section 4). */
    public static final Option<Double> ID_BPR = SharedOptions.ID_BPR.withDefault(1.0);
    public static final Option<Double> FEATURE_DROPOUT = SharedOptions.FEATURE_DROPOUT;
    public static final Option<Boolean> ADAPT_SCALE = SharedOptions.ADAPT_SCALE.withDefault(false);
    public static final Option<Integer> ADAPT_POWER = SharedOptions.ADAPT_POWER;
    public static final ModelSpec SPEC = ModelSpec.builder("tmfun",
                    "TMFUN: attention-guided multi-step fusion over modality and item feature graphs + LightGCN")
            .options(EARLY_FUSION, ITEM_GRAPH, CONTRAST, FUSION_STEPS, KNN_K, ITEM_GRAPH_LAYERS, ITEM_GRAPH_IDS, ITEM_GRAPH_MEAN, USER_CONTENT,
                    PROPAGATE_CONTENT, CL_WEIGHT, CL_TEMP, LEAVE_ONE_OUT, CONTENT_STEP, ID_BPR, FEATURE_DROPOUT, ADAPT_SCALE, ADAPT_POWER)
            .ablation(FUSION_STEPS, 1)
            .build(Tmfun::new);

    private final CsrMatrix itemGraph;
    private final List<CsrMatrix> knn = new ArrayList<>();
    private final List<Var> features = new ArrayList<>();
    private final Rng dropoutRng;           // --feature-dropout's masks, drawn in training steps only
    private final List<Var> params = new ArrayList<>();
    final Var emb;
    /** Per modality: the feature projection W_m. */
    final Linear[] proj;
    /** --content-step s: the projections' weights are stored divided by s and their outputs multiplied by s. */
    private final float contentStep;
    /** The attention's query and key projections W_q and W_k ([d, d]), shared by all steps. */
    final Var query, key;
    /** The features' measured lifts and content weight w ({@link ContentSignal}), null without --adapt-scale. */
    final ContentSignal.Measured signal;
    /** w^p, the weight of the fused content f where it enters h: 1 without --adapt-scale (no scale op). */
    final float contentWeight;

    public Tmfun(Dataset data, ModelConfig cfg, Options opts) {
        super(SPEC, data, cfg, opts);
        Map<String, Tensor> mods = Features.projectionInputs(data, "tmfun");
        int k = knnK(KNN_K);

        List<Tensor> normalised = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : mods.entrySet()) {
            features.add(Var.constant(e.getValue()));
            Tensor raw = data.modality(e.getKey());
            knn.add(KnnGraph.freedom(raw, k));
            normalised.add(FeatureNorm.L2.apply(raw));
        }
        // Each modality at unit norm before concatenation, so that cosine on the concatenation
        // is the mean of the per-modality cosines rather than dominated by the widest modality.
        itemGraph = KnnGraph.freedom(Features.concatColumns(normalised), k);

        contentStep = opts.getFloat(CONTENT_STEP);
        dropoutRng = Features.dropoutRng(cfg.seed);
        Rng rng = new Rng(cfg.seed);
        emb = Embeddings.idTable(rng, numUsers, numItems, cfg.dim);
        params.add(emb);
        proj = new Linear[mods.size()];
        int j = 0;
        for (Tensor x : mods.values()) {
            proj[j] = new Linear(x.cols, cfg.dim, true, rng);
            if (contentStep != 1f) {
                Tensor w = proj[j].weight.value;
                for (int i = 0; i < w.size(); i++) {
                    w.data[w.offset + i] /= contentStep;
                }
            }
            params.addAll(proj[j++].parameters());
        }
        query = Var.param("attention.query", rng.xavierUniform(new Tensor(cfg.dim, cfg.dim)));
        key = Var.param("attention.key", rng.xavierUniform(new Tensor(cfg.dim, cfg.dim)));
        params.add(query);
        params.add(key);
        signal = opts.get(ADAPT_SCALE) ? ContentSignal.of(data, data.modalities()) : null;
        contentWeight = ContentScale.scale(1f, signal, opts.get(ADAPT_POWER));
    }

    @Override
    public List<Var> parameters() {
        return List.copyOf(params);
    }

    /**
     * The pieces of one forward pass: all final embeddings (users then items), the fused view f,
     * each modality's own view v^m, and the attention weights of each step ([I, M]).
     */
    record Forward(Var all, Var fused, List<Var> views, List<Var> alphas, Var h, Var userContent, Var gcn) {}

    Forward forward() {
        Var ids = ShapeOps.sliceRows(emb, numUsers, numItems);
        int m = features.size();
        List<Var> step = new ArrayList<>();
        List<Var> viewSums = new ArrayList<>();
        for (int j = 0; j < m; j++) {
            Var f = proj[j].forward(Features.dropout(features.get(j), opts.getFloat(FEATURE_DROPOUT), dropoutRng));
            step.add(contentStep == 1f ? f : Ops.scale(f, contentStep));
            viewSums.add(step.get(j));
        }
        // The attention's query is the same at every step (the ID embeddings through W_q), so its
        // key projection is folded into it once (Fusion.scoringQuery) and no step projects keys.
        Var r = opts.get(EARLY_FUSION) && m > 1 ? Fusion.scoringQuery(ids, query, key) : null;
        List<Var> alphas = new ArrayList<>();
        Var fusedSum = null;
        for (int s = 1; s <= opts.get(FUSION_STEPS); s++) {
            if (s > 1) {
                for (int j = 0; j < m; j++) {
                    step.set(j, Graphs.hops(knn.get(j), step.get(j), 1));
                    viewSums.set(j, Ops.add(viewSums.get(j), step.get(j)));
                }
            }
            Fusion.Attended a = Fusion.attendScored(r, step);
            alphas.add(a.alpha());
            fusedSum = fusedSum == null ? a.fused() : Ops.add(fusedSum, a.fused());
        }
        float inv = 1f / opts.get(FUSION_STEPS);
        Var fused = opts.get(FUSION_STEPS) == 1 ? fusedSum : Ops.scale(fusedSum, inv);
        List<Var> views = new ArrayList<>();
        for (Var v : viewSums) {
            views.add(opts.get(FUSION_STEPS) == 1 ? v : Ops.scale(v, inv));
        }
        Var content = contentWeight == 1f ? fused : Ops.scale(fused, contentWeight);   // the contrast below reads f unweighted
        Var hIn = opts.get(ITEM_GRAPH_IDS) ? Ops.add(content, ids) : content;
        Var h = !opts.get(ITEM_GRAPH) ? content
                : opts.get(ITEM_GRAPH_MEAN) ? Graphs.layerMean(itemGraph, hIn, opts.get(ITEM_GRAPH_LAYERS))
                : Graphs.hops(itemGraph, hIn, opts.get(ITEM_GRAPH_LAYERS));
        Var users = ShapeOps.sliceRows(emb, 0, numUsers);
        Var gcn = Graphs.layerMean(adj, opts.get(PROPAGATE_CONTENT) ? ShapeOps.concatRows(users, Ops.add(ids, h)) : emb, layers);
        Var gu = ShapeOps.sliceRows(gcn, 0, numUsers);
        Var gi = ShapeOps.sliceRows(gcn, numUsers, numItems);
        Var userContent = opts.get(USER_CONTENT) ? SpMM.apply(userMean, h) : null;
        Var all = ShapeOps.concatRows(userContent != null ? Ops.add(gu, userContent) : gu, opts.get(PROPAGATE_CONTENT) ? gi : Ops.add(gi, h));
        return new Forward(all, fused, views, alphas, h, userContent, gcn);
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        Forward fw = forward();
        Var loss;
        if (fw.userContent() != null && opts.get(LEAVE_ONE_OUT)) {
            Var positiveUsers = Bpr.leaveOneOutUsers(fw.all(), fw.userContent(), fw.h(), b, userCounts);
            loss = Bpr.withEmbLoss(fw.all(), emb, b, numUsers, reg, positiveUsers);
        } else {
            loss = Bpr.withEmbLoss(fw.all(), emb, b, numUsers, reg);
        }
        float idBpr = opts.getFloat(ID_BPR);
        if (idBpr > 0) {
            loss = Ops.add(loss, Ops.scale(Bpr.ofRows(fw.gcn(), b, numUsers), idBpr));
        }
        if (opts.get(CONTRAST) && opts.getFloat(CL_WEIGHT) > 0) {
            int[] items = Index.distinct(b.pos());
            Var fused = ShapeOps.gatherRows(fw.fused(), items);
            Var cl = null;
            for (Var v : fw.views()) {
                Var l = Losses.infoNce(ShapeOps.gatherRows(v, items), fused, opts.getFloat(CL_TEMP));
                cl = cl == null ? l : Ops.add(cl, l);
            }
            loss = Ops.add(loss, Ops.scale(cl, opts.getFloat(CL_WEIGHT)));
        }
        return loss;
    }

    @Override
    public DotScorer scorer() {
        try (NoGrad g = NoGrad.scope()) {
            return DotScorer.ofNodes(forward().all().value, numUsers);
        }
    }

    /** The features' lifts and content weight with {@code --adapt-scale}. */
    @Override
    public Map<String, Object> trainedFacts() {
        return ContentScale.facts(null, signal);
    }

    /** The step-1 (early fusion) attention weights of every item over the modalities, [I, M]. */
    Tensor attentionWeights() {
        try (NoGrad g = NoGrad.scope()) {
            return forward().alphas().get(0).value;
        }
    }
}
