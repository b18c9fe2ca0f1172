package weft.models;

import java.util.List;

import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Losses;
import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.Adjacency;
import weft.graph.CsrMatrix;
import weft.graph.SpMM;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;

/**
 * LightGCN (He et al., 2020), as MMRec trains it.
 *
 * <pre>
 *   A     = [[0, R], [R^T, 0]],   A_hat = D^-1/2 A D^-1/2          (users then items as nodes)
 *   E^(0) = [E_user; E_item],     E^(k+1) = A_hat E^(k)
 *   E     = mean(E^(0), ..., E^(K))                                  (K = layers, default 3)
 *   loss  = BPR(E) + reg * (||E^(0)_u||_F + ||E^(0)_p||_F + ||E^(0)_n||_F) / B
 * </pre>
 * The two tables live in one [U+I, d] parameter so propagation needs no concatenation; each block
 * is Xavier-uniform initialised with its own shape, as two separate tables would be.
 * The whole graph is propagated for every batch, as in the reference implementation.
 */
public final class LightGcn implements Recommender {
    private final int numUsers;
    private final Var emb;
    private final CsrMatrix adj;
    private final int layers;
    private final float reg;

    public LightGcn(Dataset data, ModelConfig cfg) {
        this(data, cfg, Adjacency.normalized(
                Adjacency.interactions(data.numUsers(), data.numItems(), data.trainUsers(), data.trainItems())));
    }

    /** With a given normalised (U+I) x (U+I) adjacency. */
    public LightGcn(Dataset data, ModelConfig cfg, CsrMatrix normalizedAdjacency) {
        numUsers = data.numUsers();
        int n = numUsers + data.numItems();
        if (normalizedAdjacency.rows() != n || normalizedAdjacency.cols() != n) {
            throw new IllegalArgumentException("LightGcn: adjacency " + normalizedAdjacency.shape() + " does not match "
                    + numUsers + " users + " + data.numItems() + " items");
        }
        Rng rng = new Rng(cfg.seed);
        Tensor table = new Tensor(n, cfg.dim);
        rng.xavierUniform(table.rowBlock(0, numUsers));
        rng.xavierUniform(table.rowBlock(numUsers, data.numItems()));
        emb = Var.param("embedding", table);
        adj = normalizedAdjacency;
        layers = cfg.layers;
        reg = cfg.reg;
    }

    @Override
    public String name() {
        return "lightgcn";
    }

    @Override
    public boolean usesFeatures() {
        return false;
    }

    @Override
    public List<Var> parameters() {
        return List.of(emb);
    }

    /** Layer-mean embeddings of all nodes, [U+I, d]. */
    Var propagate() {
        Var e = emb;
        Var acc = emb;
        for (int k = 0; k < layers; k++) {
            e = SpMM.apply(adj, e);
            acc = Ops.add(acc, e);
        }
        return layers == 0 ? acc : Ops.scale(acc, 1f / (layers + 1));
    }

    @Override
    public Var loss(TrainBatches.Batch b) {
        Var all = propagate();
        int[] pos = offset(b.pos(), numUsers);
        int[] neg = offset(b.neg(), numUsers);
        Var u = ShapeOps.gatherRows(all, b.users());
        Var p = ShapeOps.gatherRows(all, pos);
        Var n = ShapeOps.gatherRows(all, neg);
        Var bpr = Losses.bpr(Ops.rowDot(u, p), Ops.rowDot(u, n));
        Var l2 = Losses.embLoss(reg, b.size(),
                ShapeOps.gatherRows(emb, b.users()), ShapeOps.gatherRows(emb, pos), ShapeOps.gatherRows(emb, neg));
        return Ops.add(bpr, l2);
    }

    static int[] offset(int[] items, int by) {
        int[] out = new int[items.length];
        for (int i = 0; i < items.length; i++) {
            out[i] = items[i] + by;
        }
        return out;
    }

    @Override
    public Scorer scorer() {
        Tensor all;
        try (NoGrad g = NoGrad.scope()) {
            all = propagate().value;
        }
        Tensor itemEmb = all.rowBlock(numUsers, all.rows - numUsers);
        return (users, out) -> {
            Tensor u = new Tensor(users.length, all.cols);
            Kernels.get().gatherRows(all.data, all.offset, all.cols, users, 0, users.length, u.data, 0);
            MatMul.matmulInto(u, false, itemEmb, true, out, false);
        };
    }
}
