package weft.models;

import java.util.List;

import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Losses;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.blocks.Bpr;
import weft.models.blocks.DotScorer;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.options.Options;
import weft.models.options.SharedParams;

/**
 * BPR-MF (Rendle et al., 2009), as MMRec trains it.
 *
 * <pre>
 *   score(u, i) = e_u . e_i
 *   loss = mean_b -log sigmoid(s(u,p) - s(u,n)) + reg * (||E_u||_F + ||E_p||_F + ||E_n||_F) / B
 * </pre>
 * with E_u, E_p, E_n the batch's embedding rows (MMRec's EmbLoss: Frobenius norms, not squared)
 * and Xavier-normal initialisation of both tables. Its default {@code --reg} is 0.1, not the
 * protocol's 1e-4 (docs/models.md says how it was chosen).
 */
public final class BprMf extends AbstractRecommender {
    public static final ModelSpec SPEC = ModelSpec.builder("bprmf", "matrix factorisation with BPR").noFeatures()
            .reg(0.1f, "the point of MMRec's BPR grid that Amazon Baby's valid Recall@20 selects; at 1e-4 BPR-MF overfits within 15 epochs")
            .search(SharedParams.REG, 1e-3, 1e-2, 0.03, 0.1, 0.3).search(SharedParams.LR, 5e-4, 1e-3, 2e-3, 5e-3)
            .build(BprMf::new);

    private final Var users, items;
    private final float reg;

    public BprMf(Dataset data, ModelConfig cfg) {
        this(data, cfg, Options.defaults());
    }

    public BprMf(Dataset data, ModelConfig cfg, Options unused) {
        super(SPEC);
        Rng rng = new Rng(cfg.seed);
        users = Var.param("user_emb", rng.xavierNormal(new Tensor(data.numUsers(), cfg.dim)));
        items = Var.param("item_emb", rng.xavierNormal(new Tensor(data.numItems(), cfg.dim)));
        reg = cfg.reg;
    }

    @Override
    public List<Var> parameters() {
        return List.of(users, items);
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        Var u = ShapeOps.gatherRows(users, b.users());
        Var p = ShapeOps.gatherRows(items, b.pos());
        Var n = ShapeOps.gatherRows(items, b.neg());
        return Ops.add(Bpr.of(u, p, n), Losses.embLoss(reg, b.size(), u, p, n));
    }

    @Override
    public DotScorer scorer() {
        return DotScorer.of(users.value, items.value);
    }
}
