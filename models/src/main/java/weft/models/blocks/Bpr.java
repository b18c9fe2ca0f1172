package weft.models.blocks;

import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.engine.Tensor;
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
        return withEmbLoss(all, emb, b, numUsers, reg, ShapeOps.gatherRows(all, b.users()));
    }

    /**
     * As {@link #withEmbLoss(Var, Var, TrainBatches.Batch, int, float)}, but each positive is scored
     * against its own user row {@code positiveUsers} ([B, d]) instead of the user's row of {@code all};
     * the negatives still read {@code all}. Models whose users carry a profile made of their items
     * pass here the users with the positive left out of that profile ({@link #leaveOneOutMean}).
     */
    public static Var withEmbLoss(Var all, Var emb, TrainBatches.Batch b, int numUsers, float reg, Var positiveUsers) {
        int[] pos = Index.offset(b.pos(), numUsers);
        int[] neg = Index.offset(b.neg(), numUsers);
        Var u = ShapeOps.gatherRows(all, b.users());
        Var loss = Losses.bpr(Ops.rowDot(positiveUsers, ShapeOps.gatherRows(all, pos)), Ops.rowDot(u, ShapeOps.gatherRows(all, neg)));
        return Ops.add(loss, Losses.embLoss(reg, b.size(), ShapeOps.gatherRows(emb, b.users()), ShapeOps.gatherRows(emb, pos),
                ShapeOps.gatherRows(emb, neg)));
    }

    /**
     * The batch's user rows of {@code all} with the positive left out of the profile they hold:
     * {@code u - means_u + leaveOneOutMean(...)}, for models whose user rows are
     * {@code graph part + means} ({@code means = Rbar items}).
     */
    public static Var leaveOneOutUsers(Var all, Var means, Var items, TrainBatches.Batch b, int[] counts) {
        Var u = ShapeOps.gatherRows(all, b.users());
        return Ops.add(Ops.sub(u, ShapeOps.gatherRows(means, b.users())), leaveOneOutMean(means, items, b, counts));
    }

    /**
     * For each row r of the batch, the mean of {@code items} over user r's training items without
     * the row's positive ([B, d]; zero when the positive is the user's only item):
     * <pre>
     *   mean_{N(u) \ p} c = (|N(u)| mean_{N(u)} c - c_p) / (|N(u)| - 1)
     * </pre>
     * {@code means} is {@code Rbar items} ([U, d]) and {@code counts[u] = |N(u)|}.
     * <p>Why: a positive is always one of its user's training items, so a profile made of the user's
     * items contains the positive itself with weight 1 / |N(u)|, and a user with few items can fit
     * the pair through that item's own vector, which does nothing for held-out items (never in the
     * profile). A negative is never in N(u), and at evaluation no held-out item is: both see the
     * whole profile.
     */
    public static Var leaveOneOutMean(Var means, Var items, TrainBatches.Batch b, int[] counts) {
        int n = b.size();
        Tensor keepMean = new Tensor(n, 1), dropItem = new Tensor(n, 1);
        for (int r = 0; r < n; r++) {
            int c = counts[b.users()[r]];
            if (c < 1) {
                throw new IllegalStateException("user " + b.users()[r] + " has a training positive but no training items");
            }
            keepMean.data[r] = c == 1 ? 0f : (float) c / (c - 1);
            dropItem.data[r] = c == 1 ? 0f : 1f / (c - 1);
        }
        return Ops.sub(Ops.mul(ShapeOps.gatherRows(means, b.users()), Var.constant(keepMean)),
                Ops.mul(ShapeOps.gatherRows(items, b.pos()), Var.constant(dropItem)));
    }

    /**
     * BPR alone on the batch's rows of {@code all} ([U + I, d], users then items), without EmbLoss:
     * the auxiliary ID-only term of models whose final embeddings add content to LightGCN's
     * ({@code --id-bpr}).
     */
    public static Var ofRows(Var all, TrainBatches.Batch b, int numUsers) {
        return of(ShapeOps.gatherRows(all, b.users()), ShapeOps.gatherRows(all, Index.offset(b.pos(), numUsers)),
                ShapeOps.gatherRows(all, Index.offset(b.neg(), numUsers)));
    }

    /** BPR alone: {@code mean -log sigmoid(u . p - u . n)} over the batch's rows of the user and item views. */
    public static Var of(Var users, Var pos, Var neg) {
        return Losses.bpr(Ops.rowDot(users, pos), Ops.rowDot(users, neg));
    }
}
