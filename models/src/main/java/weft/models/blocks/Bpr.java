package weft.models.blocks;

import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Losses;
import weft.models.data.TrainBatches;

/** MMRec's training loss on a batch of (user, positive, negative) triples. */
public final class Bpr {
    private Bpr() {}

    /**
     * <pre>
     *   BPR(all) + reg * (||e_u||_F + ||e_p||_F + ||e_n||_F) / B
     * </pre>
     * with the scores read from the final embeddings {@code all} ([U + I, d], users then items) and
     * MMRec's EmbLoss on the batch's layer-0 rows of {@code emb} (same layout).
     */
    public static Var withEmbLoss(Var all, Var emb, TrainBatches.Batch b, int numUsers, float reg) {
        int[] pos = Index.offset(b.pos(), numUsers);
        int[] neg = Index.offset(b.neg(), numUsers);
        Var u = ShapeOps.gatherRows(all, b.users());
        Var loss = Losses.bpr(Ops.rowDot(u, ShapeOps.gatherRows(all, pos)), Ops.rowDot(u, ShapeOps.gatherRows(all, neg)));
        return Ops.add(loss, Losses.embLoss(reg, b.size(), ShapeOps.gatherRows(emb, b.users()), ShapeOps.gatherRows(emb, pos),
                ShapeOps.gatherRows(emb, neg)));
    }

    /** BPR alone: {@code mean -log sigmoid(u . p - u . n)} over the batch's rows of the user and item views. */
    public static Var of(Var users, Var pos, Var neg) {
        return Losses.bpr(Ops.rowDot(users, pos), Ops.rowDot(users, neg));
    }
}
