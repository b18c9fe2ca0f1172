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
import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;

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
public final class Vbpr implements Recommender {
    private final Var users, itemIds;
    private final Linear project;
    private final Var features;
    private final float reg;

    public Vbpr(Dataset data, ModelConfig cfg) {
        Map<String, Tensor> mods = data.modalities();
        if (mods.isEmpty()) {
            throw new IllegalArgumentException("vbpr needs item feature vectors (.npy modalities); dataset '" + data.name()
                    + "' has none" + (data.itemGraphs().isEmpty() ? "" : " (only item graphs " + data.itemGraphs().keySet() + ")"));
        }
        Rng rng = new Rng(cfg.seed);
        users = Var.param("user_emb", rng.xavierUniform(new Tensor(data.numUsers(), 2 * cfg.dim)));
        itemIds = Var.param("item_emb", rng.xavierUniform(new Tensor(data.numItems(), cfg.dim)));
        Tensor f = concatColumns(new ArrayList<>(mods.values()));
        features = Var.constant(f);
        project = new Linear(Var.param("item_linear.weight", rng.xavierNormal(new Tensor(cfg.dim, f.cols))),
                Var.param("item_linear.bias", new Tensor(1, cfg.dim)));
        reg = cfg.reg;
    }

    static Tensor concatColumns(List<Tensor> parts) {
        int rows = parts.get(0).rows;
        int cols = 0;
        for (Tensor t : parts) {
            cols += t.cols;
        }
        Tensor out = new Tensor(rows, cols);
        int at = 0;
        for (Tensor t : parts) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(t.data, t.offset + r * t.cols, out.data, r * cols + at, t.cols);
            }
            at += t.cols;
        }
        return out;
    }

    @Override
    public String name() {
        return "vbpr";
    }

    @Override
    public List<Var> parameters() {
        List<Var> p = new ArrayList<>(List.of(users, itemIds));
        p.addAll(project.parameters());
        return p;
    }

    private Var items(int[] idx) {
        return ShapeOps.concatCols(ShapeOps.gatherRows(itemIds, idx), project.forward(ShapeOps.gatherRows(features, idx)));
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        Var u = ShapeOps.gatherRows(users, b.users());
        Var p = items(b.pos());
        Var n = items(b.neg());
        return Ops.add(Losses.bpr(Ops.rowDot(u, p), Ops.rowDot(u, n)), Losses.embLoss(reg, b.size(), u, p, n));
    }

    @Override
    public Scorer scorer() {
        Tensor all;
        try (NoGrad g = NoGrad.scope()) {
            all = ShapeOps.concatCols(itemIds, project.forward(features)).value;
        }
        Tensor ue = users.value;
        return (batch, out) -> {
            Tensor u = new Tensor(batch.length, ue.cols);
            Kernels.get().gatherRows(ue.data, ue.offset, ue.cols, batch, 0, batch.length, u.data, 0);
            MatMul.matmulInto(u, false, all, true, out, false);
        };
    }
}
