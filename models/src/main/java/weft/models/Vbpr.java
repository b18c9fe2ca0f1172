package weft.models;

import java.util.ArrayList;
import java.util.List;

import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Linear;
import weft.autograd.nn.Losses;
import weft.autograd.nn.Module;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.blocks.Bpr;
import weft.models.blocks.DotScorer;
import weft.models.blocks.Features;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.options.Options;
import weft.models.options.SharedParams;

/**
 * VBPR (He and McAuley, 2016), as MMRec trains it.
 *
 * <pre>
 *   f_i   = [x_i^1 ; x_i^2 ; ...]                   (all modalities' features, concatenated)
 *   item  = [gamma_i ; W f_i + b]                    (ID part d, content part d)
 *   user  = [theta_u ; psi_u]                        (2d)
 *   score = user . item
 *   loss  = BPR + reg * (||U_b||_F + ||I_pos||_F + ||I_neg||_F) / B
 * </pre>
 * Only the batch's items are projected during training (the rows the loss reads), which is the
 * same gradient as projecting the whole catalogue and much cheaper for wide features.
 */
public final class Vbpr extends AbstractRecommender {
    public static final ModelSpec SPEC = ModelSpec.builder("vbpr", "VBPR: ID + projected content embeddings")
            .search(SharedParams.REG, 1e-5, 1e-4, 1e-3, 1e-2, 0.1).search(SharedParams.LR, 5e-4, 1e-3, 2e-3, 5e-3)
            .build(Vbpr::new);

    private final Var users, itemIds;
    private final Linear project;
    private final Var features;
    private final float reg;

    public Vbpr(Dataset data, ModelConfig cfg) {
        this(data, cfg, Options.defaults());
    }

    public Vbpr(Dataset data, ModelConfig cfg, Options unused) {
        super(SPEC);
        Tensor f = Features.concatColumns(new ArrayList<>(Features.require(data, "vbpr").values()));
        Rng rng = new Rng(cfg.seed);
        users = Var.param("user_emb", rng.xavierUniform(new Tensor(data.numUsers(), 2 * cfg.dim)));
        itemIds = Var.param("item_emb", rng.xavierUniform(new Tensor(data.numItems(), cfg.dim)));
        features = Var.constant(f);
        project = new Linear(Var.param("item_linear.weight", rng.xavierNormal(new Tensor(cfg.dim, f.cols))),
                Var.param("item_linear.bias", new Tensor(1, cfg.dim)));
        reg = cfg.reg;
    }

    @Override
    public List<Var> parameters() {
        return Module.collect(users, itemIds, project);
    }

    private Var items(int[] idx) {
        return ShapeOps.concatCols(ShapeOps.gatherRows(itemIds, idx), project.forward(ShapeOps.gatherRows(features, idx)));
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        Var u = ShapeOps.gatherRows(users, b.users());
        Var p = items(b.pos());
        Var n = items(b.neg());
        return Ops.add(Bpr.of(u, p, n), Losses.embLoss(reg, b.size(), u, p, n));
    }

    @Override
    public DotScorer scorer() {
        try (NoGrad g = NoGrad.scope()) {
            return DotScorer.of(users.value, ShapeOps.concatCols(itemIds, project.forward(features)).value);
        }
    }
}
