package weft.autograd.nn;

import weft.autograd.Ops;
import weft.autograd.RowOps;
import weft.autograd.Var;

/**
 * The training objectives, composed from differentiable ops (so their gradients are the ops'):
 *
 * <pre>
 *   bpr(pos, neg)        = mean_i -log sigmoid(pos_i - neg_i)
 *   crossEntropy(x, t)   = mean_i -log softmax(x_i)[t_i]
 *   infoNce(z1, z2, tau) = crossEntropy(n(z1) n(z2)^T / tau, diagonal),  n = row L2 normalisation
 *   infoNceBothWays(z1, z2, tau) = infoNce(z1, z2, tau) + infoNce(z2, z1, tau)   (one product)
 *   l2(coef, B, W...)    = coef * sum_W ||W||_F^2 / B
 *   embLoss(reg, B, E...) = reg * sum_E ||E||_F / B    (MMRec's EmbLoss: Frobenius norms, not squared)
 * </pre>
 */
public final class Losses {
    private Losses() {}

    /** Bayesian personalised ranking over score columns {@code [B, 1]} (or any equal shapes). */
    public static Var bpr(Var pos, Var neg) {
        if (!pos.value.sameShape(neg.value)) {
            throw new IllegalArgumentException("bpr: shape mismatch " + pos.shape() + " vs " + neg.shape());
        }
        return Ops.neg(Ops.mean(Ops.logSigmoid(Ops.sub(pos, neg))));
    }

    /** Mean cross-entropy of logits {@code [B, C]} against class indices. */
    public static Var crossEntropy(Var logits, int[] targets) {
        return RowOps.crossEntropy(logits, 1f, targets);   // one op, same bits as neg(mean(pick(rowLogSoftmax(x), t)))
    }

    /**
     * InfoNCE with in-batch negatives: row i of z1 and row i of z2 are two views of one object
     * (positive pair); every other row of z2 is a negative for row i of z1.
     */
    public static Var infoNce(Var z1, Var z2, float tau) {
        Var[] n = normalizedPair("infoNce", z1, z2, tau);
        Var n1 = n[0], n2 = n[1];
        int[] diag = new int[z1.rows()];
        for (int i = 0; i < diag.length; i++) diag[i] = i;
        // The scaling by 1 / tau is part of the fused cross-entropy (same bits as a separate scale op),
        // and the product with it (same bits as crossEntropy(matmul(n1, n2^T)), one [B, B] array).
        return RowOps.crossEntropyOfProduct(n1, n2, 1f / tau, diag);
    }

    /**
     * {@code infoNce(z1, z2, tau) + infoNce(z2, z1, tau)}, the symmetric InfoNCE, as one op: the
     * second direction is the first's score matrix read by columns, so one product and one pass of
     * exponentials serve both ({@link RowOps#crossEntropyOfProductBothWays}; equal up to rounding).
     */
    public static Var infoNceBothWays(Var z1, Var z2, float tau) {
        Var[] n = normalizedPair("infoNceBothWays", z1, z2, tau);
        return RowOps.crossEntropyOfProductBothWays(n[0], n[1], 1f / tau);
    }

    /** The two views' rows L2-normalised, after checking that they pair up and that tau is positive; errors name {@code what}. */
    private static Var[] normalizedPair(String what, Var z1, Var z2, float tau) {
        if (!z1.value.sameShape(z2.value)) {
            throw new IllegalArgumentException(what + ": shape mismatch " + z1.shape() + " vs " + z2.shape());
        }
        if (!(tau > 0f)) throw new IllegalArgumentException(what + ": temperature must be positive, got " + tau + " for " + z1.shape() + " and " + z2.shape());
        return new Var[] {RowOps.rowL2Normalize(z1, 1e-12f), RowOps.rowL2Normalize(z2, 1e-12f)};
    }

    /** {@code coef * (sum of squares of all given tensors) / batch}. */
    public static Var l2(float coef, int batch, Var... params) {
        Var s = null;
        for (Var p : params) s = s == null ? Ops.sumSquares(p) : Ops.add(s, Ops.sumSquares(p));
        if (s == null) throw new IllegalArgumentException("l2: no tensors given");
        return Ops.scale(s, coef / batch);
    }

    /** MMRec's EmbLoss: {@code reg * (sum of Frobenius norms) / batch}, norms not squared. */
    public static Var embLoss(float reg, int batch, Var... embeddings) {
        Var s = null;
        for (Var e : embeddings) s = s == null ? Ops.norm(e) : Ops.add(s, Ops.norm(e));
        if (s == null) throw new IllegalArgumentException("embLoss: no tensors given");
        return Ops.scale(s, reg / batch);
    }
}
