package weft.models.blocks;

import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Tensor;
import weft.models.eval.Scorer;

/** The scorer of every model here: {@code score(u, i) = user_u . item_i}, a gather and one GEMM per block of users. */
public final class DotScorer {
    private DotScorer() {}

    /** Scores from a user table [U, d] and an item table [I, d]. */
    public static Scorer of(Tensor users, Tensor items) {
        if (users.cols != items.cols) {
            throw new IllegalArgumentException("DotScorer: user width " + users.cols + " != item width " + items.cols);
        }
        return (batch, out) -> {
            Tensor u = new Tensor(batch.length, users.cols);
            Kernels.get().gatherRows(users.data, users.offset, users.cols, batch, 0, batch.length, u.data, 0);
            MatMul.matmulInto(u, false, items, true, out, false);
        };
    }

    /** Scores from one [U + I, d] table of final embeddings, users then items. */
    public static Scorer ofNodes(Tensor all, int numUsers) {
        return of(all.rowBlock(0, numUsers), all.rowBlock(numUsers, all.rows - numUsers));
    }
}
