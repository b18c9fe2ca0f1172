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
 * work is a handful of dot products of length dh, too short for vector registers to pay off
 * through a kernel call and a lane reduction each. So the dot products are plain loops with four
 * partial sums ({@code ((s0 + s1) + (s2 + s3))}, then the tail); the updates {@code y += a x}
 * (a whole head's dh values) are the provider's axpy, and the exponentials of a whole range of
 * sequences go through the provider's exp at once.
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
        int blk = tq * tk;
        // Attention weights, [B*H, Tq, Tk]: the backward needs them.
        Tensor att = new Tensor(batch * heads * tq, tk);
        Tensor out = new Tensor(qv.rows, d);
        float[] a = att.data, o = out.data, qd = qv.data, kd = kv.data, vd = vv.data;
        Kernels kr = KernelProvider.base();
        Parallel.forRange(batch, grain(tq, tk, d), (b0, b1) -> {
            // scores, minus each row's max (masked keys -inf), for the sequences of this task
            for (int b = b0; b < b1; b++) {
                int q0 = qv.offset + b * tq * d, k0 = kv.offset + b * tk * d;
                int mi = keyMask == null ? -1 : keyMask.offset + b * tk;
                for (int h = 0; h < heads; h++) {
                    int hc = h * dh, ab = (b * heads + h) * blk;
                    for (int i = 0; i < tq; i++) {
                        int ai = ab + i * tk;
                        float m = Float.NEGATIVE_INFINITY;
                        for (int j = 0; j < tk; j++) {
                            float sc = mi >= 0 && keyMask.data[mi + j] == 0f
                                    ? Float.NEGATIVE_INFINITY : dot(qd, q0 + i * d + hc, kd, k0 + j * d + hc, dh) * c;
                            a[ai + j] = sc;
                            m = Math.max(m, sc);
                        }
                        for (int j = 0; j < tk; j++) a[ai + j] = m == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY : a[ai + j] - m;
                    }
                }
            }
            int from = b0 * heads * blk, n = (b1 - b0) * heads * blk;
            kr.unary(UnaryOp.EXP, a, from, a, from, n, 0f);   // exp(-inf) = 0
            for (int b = b0; b < b1; b++) {
                int v0 = vv.offset + b * tk * d, o0 = b * tq * d;
                for (int h = 0; h < heads; h++) {
                    int hc = h * dh, ab = (b * heads + h) * blk;
                    for (int i = 0; i < tq; i++) {
                        int ai = ab + i * tk;
                        float sum = 0f;
                        for (int j = 0; j < tk; j++) sum += a[ai + j];
                        if (sum == 0f) {   // every key masked: zero weights, zero context
                            continue;
                        }
                        float inv = 1f / sum;
                        int oi = o0 + i * d + hc;
                        for (int j = 0; j < tk; j++) {
                            float w = a[ai + j] * inv;
                            a[ai + j] = w;
                            kr.axpy(w, vd, v0 + j * d + hc, o, oi, dh);
                        }
                    }
                }
            }
        });
        return Var.op("attention", out, g -> backward(g, q, tq, k, v, tk, heads, att, c), q, k, v);
    }

    private static int grain(int tq, int tk, int d) {
        return Math.max(1, TASK_WORK / Math.max(1, 2 * tq * tk * d));
    }

    /** {@code sum_c x[c] y[c]} over n values, four partial sums. */
    private static float dot(float[] x, int xo, float[] y, int yo, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int c = 0;
        for (; c + 4 <= n; c += 4) {
            s0 = Math.fma(x[xo + c], y[yo + c], s0);
            s1 = Math.fma(x[xo + c + 1], y[yo + c + 1], s1);
            s2 = Math.fma(x[xo + c + 2], y[yo + c + 2], s2);
            s3 = Math.fma(x[xo + c + 3], y[yo + c + 3], s3);
        }
        float s = (s0 + s1) + (s2 + s3);
        for (; c < n; c++) s = Math.fma(x[xo + c], y[yo + c], s);
        return s;
    }


    private static void backward(Tensor g, Var q, int tq, Var k, Var v, int tk, int heads, Tensor att, float c) {
        Tensor qv = q.value, kv = k.value, vv = v.value;
        int d = qv.cols, dh = d / heads, batch = qv.rows / tq, blk = tq * tk;
        boolean gq = q.requiresGrad(), gk = k.requiresGrad(), gv = v.requiresGrad();
        Tensor dq = gq ? new Tensor(qv.rows, d) : null;
        Tensor dk = gk ? new Tensor(kv.rows, d) : null;
        Tensor dv = gv ? new Tensor(vv.rows, d) : null;
        float[] a = att.data, gd = g.data, qd = qv.data, kd = kv.data, vd = vv.data;
        Kernels kr = KernelProvider.base();
        // about twice the forward's work per sequence: ranges of half as many sequences
        Parallel.forRange(batch, Math.max(1, grain(tq, tk, d) / 2), (b0, b1) -> {
            float[] dS = new float[blk];
            for (int b = b0; b < b1; b++) {
                int q0 = qv.offset + b * tq * d, k0 = kv.offset + b * tk * d, v0 = vv.offset + b * tk * d;
                int g0 = g.offset + b * tq * d, r0 = b * tq * d, s0 = b * tk * d;
                for (int h = 0; h < heads; h++) {
                    int hc = h * dh, ab = (b * heads + h) * blk;
                    if (gv) {   // dV[j] = sum_p A[p, j] G[p]
                        for (int j = 0; j < tk; j++) {
                            for (int p = 0; p < tq; p++) {
                                kr.axpy(a[ab + p * tk + j], gd, g0 + p * d + hc, dv.data, s0 + j * d + hc, dh);
                            }
                        }
                    }
                    if (!gq && !gk) {
                        continue;
                    }
                    // dA = G V^T; dS = c A (dA - rowsum(dA A))
                    for (int i = 0; i < tq; i++) {
                        int ri = i * tk;
                        float rs = 0f;
                        for (int j = 0; j < tk; j++) {
                            float da = dot(gd, g0 + i * d + hc, vd, v0 + j * d + hc, dh);
                            dS[ri + j] = da;
                            rs = Math.fma(da, a[ab + ri + j], rs);
                        }
                        for (int j = 0; j < tk; j++) dS[ri + j] = c * (a[ab + ri + j] * (dS[ri + j] - rs));
                    }
                    if (gq) {   // dQ[i] = sum_p dS[i, p] K[p]
                        for (int i = 0; i < tq; i++) {
                            for (int p = 0; p < tk; p++) {
                                kr.axpy(dS[i * tk + p], kd, k0 + p * d + hc, dq.data, r0 + i * d + hc, dh);
                            }
                        }
                    }
                    if (gk) {   // dK[j] = sum_p dS[p, j] Q[p]
                        for (int j = 0; j < tk; j++) {
                            for (int p = 0; p < tq; p++) {
                                kr.axpy(dS[p * tk + j], qd, q0 + p * d + hc, dk.data, s0 + j * d + hc, dh);
                            }
                        }
                    }
                }
            }
        });
        if (gq) q.accumulateOwned(dq);
        if (gk) k.accumulateOwned(dk);
        if (gv) v.accumulateOwned(dv);
    }
}
