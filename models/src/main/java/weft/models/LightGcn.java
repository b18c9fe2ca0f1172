package weft.models;

import java.util.List;

import weft.autograd.NoGrad;
import weft.autograd.Var;
import weft.engine.Rng;
import weft.models.blocks.Bpr;
import weft.models.blocks.DotScorer;
import weft.models.blocks.Embeddings;
import weft.models.blocks.Graphs;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.options.Options;
import weft.models.options.SharedParams;

/**
 * LightGCN (He et al., 2020), as MMRec trains it.
 *
 * <pre>
 *   E^(0) = [E_user; E_item],   E^(k+1) = A_hat E^(k)                (A_hat: Graphs.normalizedAdjacency)
 *   E     = mean(E^(0), ..., E^(K))                                  (K = --layers, default 3)
 *   loss  = BPR(E) + reg * (||E^(0)_u||_F + ||E^(0)_p||_F + ||E^(0)_n||_F) / B
 * </pre>
 * The whole graph is propagated for every batch, as in the reference implementation.
 */
public final class LightGcn extends GraphRecommender {
    public static final ModelSpec SPEC = ModelSpec.builder("lightgcn", "LightGCN on the user-item graph")
            .noFeatures()
            .search(SharedParams.REG, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2).search(SharedParams.LAYERS, 1, 2, 3, 4)
            .build(LightGcn::new);

    private final Var emb;

    public LightGcn(Dataset data, ModelConfig cfg) {
        this(data, cfg, Options.defaults());
    }

    public LightGcn(Dataset data, ModelConfig cfg, Options opts) {
        super(SPEC, data, cfg, opts);
        emb = Embeddings.idTable(new Rng(cfg.seed), numUsers, numItems, cfg.dim);
    }

    @Override
    public List<Var> parameters() {
        return List.of(emb);
    }

    /** Layer-mean embeddings of all nodes, [U+I, d]. */
    Var propagate() {
        return Graphs.layerMean(adj, emb, layers);
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        return Bpr.withEmbLoss(propagate(), emb, b, numUsers, reg);
    }

    @Override
    public DotScorer scorer() {
        try (NoGrad g = NoGrad.scope()) {
            return DotScorer.ofNodes(propagate().value, numUsers);
        }
    }
}
