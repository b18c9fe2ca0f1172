package weft.autograd;

import weft.engine.KernelProvider;
import weft.engine.Kernels;
import weft.engine.Parallel;
import weft.engine.Tensor;
import weft.engine.UnaryOp;

/**
 * Scaled dot-product attention of many short sequences as one op, in the {@code [rows, d]}
 * layout (no head split or merge copies, no intermediate graph nodes):
 *
 * <pre>
 *   per sequence b and head h (columns h*dh .. h*dh + dh - 1):
 *     S = Q_bh K_bh^T,  A = softmax(c S + M_b),  O_bh = A V_bh           c = 1 / sqrt(dh)
 *   backward, with G = dO:
 *     dA = G V^T,  dV = A^T G,  dS = c (A * (dA - rowsum(dA * A))),  dQ = dS K,  dK = dS^T Q
 * </pre>
 *
 * <p>Queries are {@code [B*Tq, d]}, keys and values {@code [B*Tk, d]}; the key mask is
 * {@code [B, Tk]} (1 = attend, 0 = masked) or null. A query whose keys are all masked gets a zero
 * context.
 *
 * <p>Written for short sequences (T of a few tokens, a few heads, dh of a few dozen): a head's
 * work is a handful of dot products and updates of length dh, too short to pay for a kernel call
 * each. So every call covers all heads of a row: the scores of a (query, key) pair for all heads
 * ({@link Kernels#blockDots}: four partial sums per head, {@code ((s0 + s1) + (s2 + s3))}, then
 * the tail; {@link Kernels#attentionScores} computes those of a whole sequence in one call, with
 * the same bits), and the updates {@code Y_i += sum_j w_hij X_j} of a row over all keys and heads
 * ({@link Kernels#blockAxpy}: axpy's roundings, keys in order, the row kept in registers); the
 * exponentials of a whole range of sequences go through the provider's exp at once. A sequence's
 * scores and weights are stored key-major, {@code [Tk, H*Tq]} (the H*Tq rows (head, query) of key
 * j side by side), so that the row-wise steps (scale and shift by the row's max, normalisation,
 * the scores' gradient: {@link Kernels#attentionShift}, {@link Kernels#attentionNormalize},
 * {@link Kernels#attentionScoreGrad}) run a vector of rows at a time instead of one short row
 * after another. Each element sees the same operations in the same order as one dot product or
 * axpy per head and key and one loop per row, so the bits are those of that per-head
 * formulation (the exponentials too where the vector length divides a sequence's H*Tq*Tk scores
 * or is divided by them, as at every model's shapes; otherwise the few scores in a range's last
 * partial vector, which the provider's exp computes one at a time, are other scores than in a
 * row-major layout).
 * Sequences are independent, so they are split over the pool ({@link Parallel}); each sequence is
 * computed by one task in a fixed order, and the bits do not depend on the split or the thread
 * count. The values differ from the composition of head split, {@code bmm}, softmax and merge
 * (whose dot products sum in another order) by float rounding only; {@code AttentionTest} checks
 * that, a float64 reference, finite differences and the independence from the thread count.
 */
public final class Attention {
    private Attention() {}

    /** About this many multiply-adds per pool task. */
    private static final int TASK_WORK = 1 << 15;

    /** The per-head contexts, merged: {@code [B*Tq, d]}. */
    public static Var scaledDotProduct(Var q, int tq, Var k, Var v, int tk, int heads, Tensor keyMask) {
        Tensor qv = q.value, kv = k.value, vv = v.value;
        int d = qv.cols;
        if (tq <= 0 || tk <= 0 || heads <= 0 || d % heads != 0 || qv.rows % tq != 0 || kv.rows % tk != 0
                || qv.rows / tq != kv.rows / tk || !kv.sameShape(vv) || kv.cols != d) {
            throw new IllegalArgumentException("attention: queries " + q.shape() + " (Tq = " + tq + "), keys " + k.shape()
                    + ", values " + v.shape() + " (Tk = " + tk + ") do not form the same number of sequences of width " + d
                    + " in " + heads + " heads");
        }
        int batch = qv.rows / tq, dh = d / heads;
        if (keyMask != null && (keyMask.rows != batch || keyMask.cols != tk)) {
            throw new IllegalArgumentException("attention: key mask " + keyMask.shape() + " does not match [" + batch + ", " + tk + "]");
        }
        float c = (float) (1.0 / Math.sqrt(dh));
        int rows = heads * tq, blk = rows * tk;
        // Attention weights, per sequence [Tk, H*Tq] key-major (see the class comment): the backward needs them.
        Tensor att = Tensor.uninitialized(batch * tk, rows);   // every score is written
        Tensor out = Tensor.uninitialized(qv.rows, d);         // contexts are accumulated: each task zeroes its rows
        float[] a = att.data, o = out.data, qd = qv.data, kd = kv.data, vd = vv.data;
        Kernels kr = KernelProvider.base();
        Parallel.forRange(batch, grain(tq, tk, d), (b0, b1) -> {
            java.util.Arrays.fill(o, b0 * tq * d, b1 * tq * d, 0f);
            float[] work = new float[Kernels.attentionScoresWork(tq, tk, heads, dh)];
            // scores of all heads, queries and keys of a sequence per call (masked keys then -inf),
            // times c, minus each row's max
            for (int b = b0; b < b1; b++) {
                int q0 = qv.offset + b * tq * d, k0 = kv.offset + b * tk * d, base = b * blk;
                kr.attentionScores(tq, tk, heads, dh, qd, q0, kd, k0, a, base, work, 0);
                if (keyMask != null) {
                    int mi = keyMask.offset + b * tk;
                    for (int j = 0; j < tk; j++) {
                        if (keyMask.data[mi + j] == 0f) {
                            java.util.Arrays.fill(a, base + j * rows, base + (j + 1) * rows, Float.NEGATIVE_INFINITY);
                        }
                    }
                }
                kr.attentionShift(a, base, rows, tk, c);
            }
            int from = b0 * blk, n = (b1 - b0) * blk;
            kr.unary(UnaryOp.EXP, a, from, a, from, n, 0f);   // exp(-inf) = 0
            for (int b = b0; b < b1; b++) {
                int v0 = vv.offset + b * tk * d, o0 = b * tq * d, base = b * blk;
                // every key masked: zero weights, zero context (the mask is per key, so for all heads and queries)
                if (kr.attentionNormalize(a, base, rows, tk)) {
                    continue;
                }
                for (int i = 0; i < tq; i++) {   // O_i += A[i, j] V_j over the keys in order, all heads per call
                    kr.blockAxpy(tk, heads, dh, a, base + i, tq, rows, vd, v0, d, o, o0 + i * d);
                }
            }
        });
        return Var.op("attention", out, g -> backward(g, q, tq, k, v, tk, heads, att, c), q, k, v);
    }

    private static int grain(int tq, int tk, int d) {
        return Math.max(1, TASK_WORK / Math.max(1, 2 * tq * tk * d));
    }

    private static void backward(Tensor g, Var q, int tq, Var k, Var v, int tk, int heads, Tensor att, float c) {
        Tensor qv = q.value, kv = k.value, vv = v.value;
        int d = qv.cols, dh = d / heads, batch = qv.rows / tq, rows = heads * tq, blk = rows * tk;
        boolean gq = q.requiresGrad(), gk = k.requiresGrad(), gv = v.requiresGrad();
        // accumulated over keys or queries; each task zeroes its sequences' rows (in parallel, in cache)
        Tensor dq = gq ? Tensor.uninitialized(qv.rows, d) : null;
        Tensor dk = gk ? Tensor.uninitialized(kv.rows, d) : null;
        Tensor dv = gv ? Tensor.uninitialized(vv.rows, d) : null;
        float[] a = att.data, gd = g.data, qd = qv.data, kd = kv.data, vd = vv.data;
        Kernels kr = KernelProvider.base();
        // about twice the forward's work per sequence: ranges of half as many sequences
        Parallel.forRange(batch, Math.max(1, grain(tq, tk, d) / 2), (b0, b1) -> {
            float[] dS = new float[blk];   // key-major as the weights: [Tk, H*Tq]
            float[] work = gq || gk ? new float[Kernels.attentionScoresWork(tq, tk, heads, dh)] : null;
            if (gq) java.util.Arrays.fill(dq.data, b0 * tq * d, b1 * tq * d, 0f);
            if (gk) java.util.Arrays.fill(dk.data, b0 * tk * d, b1 * tk * d, 0f);
            if (gv) java.util.Arrays.fill(dv.data, b0 * tk * d, b1 * tk * d, 0f);
            for (int b = b0; b < b1; b++) {
                int q0 = qv.offset + b * tq * d, k0 = kv.offset + b * tk * d, v0 = vv.offset + b * tk * d;
                int g0 = g.offset + b * tq * d, r0 = b * tq * d, s0 = b * tk * d, base = b * blk;
                if (gv) {   // dV[j] = sum_p A[p, j] G[p], all heads per call
                    for (int j = 0; j < tk; j++) {
                        kr.blockAxpy(tq, heads, dh, a, base + j * rows, tq, 1, gd, g0, d, dv.data, s0 + j * d);
                    }
                }
                if (!gq && !gk) {
                    continue;
                }
                // dA = G V^T; dS = c A (dA - rowsum(dA A))
                kr.attentionScores(tq, tk, heads, dh, gd, g0, vd, v0, dS, 0, work, 0);
                kr.attentionScoreGrad(dS, 0, a, base, rows, tk, c);
                if (gq) {   // dQ[i] = sum_p dS[i, p] K[p]
                    for (int i = 0; i < tq; i++) {
                        kr.blockAxpy(tk, heads, dh, dS, i, tq, rows, kd, k0, d, dq.data, r0 + i * d);
                    }
                }
                if (gk) {   // dK[j] = sum_p dS[p, j] Q[p]
                    for (int j = 0; j < tk; j++) {
                        kr.blockAxpy(tq, heads, dh, dS, j * rows, tq, 1, qd, q0, d, dk.data, s0 + j * d);
                    }
                }
            }
        });
        if (gq) q.accumulateOwned(dq);
        if (gk) k.accumulateOwned(dk);
        if (gv) v.accumulateOwned(dv);
    }
}
