package weft.models;

import java.util.List;

import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Losses;
import weft.engine.MatMul;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;

/**
 * BPR-MF (Rendle et al., 2009), as MMRec trains it.
 *
 * <pre>
 *   score(u, i) = e_u . e_i
 *   loss = mean_b -log sigmoid(s(u,p) - s(u,n)) + reg * (||E_u||_F + ||E_p||_F + ||E_n||_F) / B
 * </pre>
 * with E_u, E_p, E_n the batch's embedding rows (MMRec's EmbLoss: Frobenius norms, not squared)
 * and Xavier-normal initialisation of both tables.
 */
public final class BprMf implements Recommender {
    private final Var users, items;
    private final float reg;

    public BprMf(Dataset data, ModelConfig cfg) {
        Rng rng = new Rng(cfg.seed);
        users = Var.param("user_emb", rng.xavierNormal(new Tensor(data.numUsers(), cfg.dim)));
        items = Var.param("item_emb", rng.xavierNormal(new Tensor(data.numItems(), cfg.dim)));
        reg = cfg.reg;
    }

    @Override
    public String name() {
        return "bprmf";
    }

    @Override
    public boolean usesFeatures() {
        return false;
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
        Var bpr = Losses.bpr(Ops.rowDot(u, p), Ops.rowDot(u, n));
        return Ops.add(bpr, Losses.embLoss(reg, b.size(), u, p, n));
    }

    @Override
    public Scorer scorer() {
        Tensor itemEmb = items.value;
        Tensor userEmb = users.value;
        return (batchUsers, out) -> {
            Tensor u = new Tensor(batchUsers.length, userEmb.cols);
            weft.engine.Kernels.get().gatherRows(userEmb.data, userEmb.offset, userEmb.cols, batchUsers, 0,
                    batchUsers.length, u.data, 0);
            MatMul.matmulInto(u, false, itemEmb, true, out, false);
        };
    }
}
