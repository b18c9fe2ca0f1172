package weft.models.blocks;

import java.util.List;

import weft.autograd.Ops;
import weft.autograd.RowOps;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Losses;
import weft.engine.Tensor;

/**
 * Fusion blocks: whole-table ops over all items or all users at once, so that nothing in a
 * training step loops over items in Java.
 *
 * <pre>
 *   attend(q, V^1..V^M)      = sum_m alpha^m V^m,  alpha = softmax_m(q W_q^T . V^m W_k^T / sqrt(d))
 *                            = sum_m alpha^m V^m,  alpha = softmax_m(r . V^m),  r = q W_q^T W_k / sqrt(d)
 *   hyperedgeNormalize(H)    = H D_e^-1/2,  D_e = diag(column sums of H)
 *   pairwiseInfoNce(Z, rows) = sum_{a < b} InfoNCE(Z^a[rows], Z^b[rows], tau)
 * </pre>
 */
public final class Fusion {
    private Fusion() {}

    /** The fused rows of {@link #attend} and its attention weights ([n, M], values only: not on the tape). */
    public record Attended(Var fused, Var alpha) {}

    /**
     * Attention with one query per row over that row's M modality embeddings (M tokens of one
     * item), for all rows at once: one op over the rows computes each row's M scores, their
     * softmax and the weighted sum ({@link RowOps#attendRows}), so no per-item sequence object is
     * built. With {@code wq == null}
     * the weights are uniform (1 / M: the plain mean). The same as
     * {@code attendScored(scoringQuery(query, wq, wk), values)} (see there).
     *
     * @param query  [n, d], e.g. the items' ID embeddings
     * @param values M tensors [n, d]; keys are {@code V^m W_k^T}
     * @param wq     [d, d] query projection (Linear layout: y = x W^T), or null for the mean
     * @param wk     [d, d] key projection
     */
    public static Attended attend(Var query, List<Var> values, Var wq, Var wk) {
        return attendScored(wq == null || values.size() < 2 ? null : scoringQuery(query, wq, wk), values);
    }

    /**
     * The query of {@link #attend}'s scores with the key projection folded in:
     * {@code r = q (W_q^T W_k) / sqrt(d)}, [n, d], so that the score of value row v is
     * {@code r . v = (q W_q^T) . (v W_k^T) / sqrt(d)}. A model that attends with the same query and
     * projections over several sets of values (one per fusion step, say) computes r once, and no
     * value set is projected: one [n, d] x [d, d] product in all instead of one per value set and
     * step. The same scores as projecting the keys, with the products' rounding in another order.
     */
    public static Var scoringQuery(Var query, Var wq, Var wk) {
        if (wq.rows() != query.cols() || wq.cols() != query.cols() || !wk.value.sameShape(wq.value)) {
            throw new IllegalArgumentException("Fusion.scoringQuery: query " + query.shape() + ", W_q " + wq.shape()
                    + " and W_k " + wk.shape() + ": the projections must be [d, d] with d the query's width");
        }
        Var folded = Ops.scale(Ops.matmul(wq, true, wk, false), (float) (1 / Math.sqrt(query.cols())));   // W_q^T W_k / sqrt(d)
        return Ops.matmul(query, false, folded, false);
    }

    /**
     * {@link #attend} from a {@link #scoringQuery} r: {@code alpha = softmax_m(r . V^m)}, the fused
     * rows {@code sum_m alpha^m V^m}; with {@code r == null} (or one value set) the plain mean.
     */
    public static Attended attendScored(Var r, List<Var> values) {
        int m = values.size();
        if (m == 0) {
            throw new IllegalArgumentException("Fusion.attendScored: no modality embeddings");
        }
        for (Var v : values) {
            if (!v.value.sameShape(values.get(0).value) || (r != null && !v.value.sameShape(r.value))) {
                throw new IllegalArgumentException("Fusion.attendScored: value " + v.shape() + " against " + values.get(0).shape()
                        + (r == null ? "" : " and the query " + r.shape()) + ": every value set and the query must be [n, d]");
            }
        }
        if (r == null || m == 1) {
            Var sum = values.get(0);
            for (int j = 1; j < m; j++) {
                sum = Ops.add(sum, values.get(j));
            }
            Tensor uniform = Tensor.full(values.get(0).rows(), m, 1f / m);
            return new Attended(m == 1 ? sum : Ops.scale(sum, 1f / m), Var.constant(uniform));
        }
        RowOps.Attended a = RowOps.attendRows(r, values);   // one op: scores, softmax and weighted sum
        return new Attended(a.out(), Var.constant(a.weights()));
    }

    /**
     * {@code H D_e^-1/2} with D_e the hyperedge degrees (column sums of H), so that
     * {@code Hn (Hn^T E)} averages each hyperedge's members instead of summing them: without it
     * the convolution grows with the number of nodes per hyperedge (hundreds), swamping the other
     * terms of the embedding. Differentiable in H (sqrt as exp(-log / 2)).
     */
    public static Var hyperedgeNormalize(Var h) {
        Var degree = Ops.add(Ops.sumCols(h), Var.constant(Tensor.scalar(1e-6f)));
        return Ops.mul(h, Ops.exp(Ops.scale(Ops.log(degree), -0.5f)));
    }

    /** Sum over modality pairs a < b of InfoNCE between rows {@code rows} of the two views; null for one view. */
    public static Var pairwiseInfoNce(List<Var> views, int[] rows, float tau) {
        Var total = null;
        for (int a = 0; a < views.size(); a++) {
            for (int b = a + 1; b < views.size(); b++) {
                Var za = rows == null ? views.get(a) : ShapeOps.gatherRows(views.get(a), rows);
                Var zb = rows == null ? views.get(b) : ShapeOps.gatherRows(views.get(b), rows);
                Var l = Losses.infoNce(za, zb, tau);
                total = total == null ? l : Ops.add(total, l);
            }
        }
        return total;
    }
}
