package weft.models.blocks;

import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Tensor;
import weft.models.eval.Scorer;

/**
 * The scorer of every model here: {@code score(u, i) = user_u . item_i}, a gather and one GEMM per
 * block of users. It keeps the two final tables, so a trained model can be saved as them and
 * served without its training machinery.
 */
public final class DotScorer implements Scorer {
    private final Tensor users, items;

    private DotScorer(Tensor users, Tensor items) {
        this.users = users;
        this.items = items;
    }

    /** Scores from a user table [U, d] and an item table [I, d]. */
    public static DotScorer of(Tensor users, Tensor items) {
        if (users.cols != items.cols) {
            throw new IllegalArgumentException("DotScorer: user width " + users.cols + " != item width " + items.cols);
        }
        return new DotScorer(users, items);
    }

    /** Scores from one [U + I, d] table of final embeddings, users then items. */
    public static DotScorer ofNodes(Tensor all, int numUsers) {
        return of(all.rowBlock(0, numUsers), all.rowBlock(numUsers, all.rows - numUsers));
    }

    /** The final user table [U, d] (a view of the model's result: copy before the next training step). */
    public Tensor users() {
        return users;
    }

    /** The final item table [I, d]. */
    public Tensor items() {
        return items;
    }

    @Override
    public void score(int[] batch, Tensor out) {
        Tensor u = new Tensor(batch.length, users.cols);
        Kernels.get().gatherRows(users.data, users.offset, users.cols, batch, 0, batch.length, u.data, 0);
        MatMul.matmulInto(u, false, items, true, out, false);
    }
}
