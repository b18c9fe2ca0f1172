package weft.autograd;

import java.util.Arrays;

import weft.engine.BinaryOp;
import weft.engine.Kernels;
import weft.engine.Tensor;

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
 * <p>The result is bit-identical to the composition it replaces ({@code splitHeads}, {@code bmm},
 * {@code scale}, {@code rowSoftmax} or {@code maskedRowSoftmax}, {@code bmm}, {@code mergeHeads}):
 * every value is produced by the same kernel calls ({@code Kernels.dot}, {@code axpy},
 * {@code rowSoftmax}, {@code rowDot}, {@code binaryScalar}, {@code fma}) on the same operands in
 * the same order, only read from and written to the un-permuted layout. {@code AttentionTest}
 * checks this, and the gradient against finite differences.
 *
 * <p>Queries are {@code [B*Tq, d]}, keys and values {@code [B*Tk, d]}; the key mask is
 * {@code [B, Tk]} (1 = attend, 0 = masked) or null. A query whose keys are all masked gets a zero
 * context. Written for short sequences (T of a few tokens, a few heads): the per-(sequence, head)
 * work is a handful of small dot products, so it runs on the calling thread.
 */
public final class Attention {
    private Attention() {}

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
        Kernels kr = Kernels.get();
        int blk = tq * tk;
        // Attention weights, [B*H, Tq, Tk]: the backward needs them.
        Tensor att = new Tensor(batch * heads * tq, tk);
        Tensor out = new Tensor(qv.rows, d);
        float[] a = att.data, o = out.data;
        for (int b = 0; b < batch; b++) {
            int q0 = qv.offset + b * tq * d, k0 = kv.offset + b * tk * d, v0 = vv.offset + b * tk * d, o0 = b * tq * d;
            int mi = keyMask == null ? -1 : keyMask.offset + b * tk;
            for (int h = 0; h < heads; h++) {
                int hc = h * dh, ab = (b * heads + h) * blk;
                for (int i = 0; i < tq; i++) {
                    int ai = ab + i * tk;
                    for (int j = 0; j < tk; j++) {
                        a[ai + j] = kr.dot(qv.data, q0 + i * d + hc, kv.data, k0 + j * d + hc, dh) * c;
                    }
                    if (mi < 0) {
                        kr.rowSoftmax(a, ai, 1, tk, a, ai);
                    } else {
                        boolean any = false;
                        for (int j = 0; j < tk; j++) {
                            boolean keep = keyMask.data[mi + j] != 0f;
                            any |= keep;
                            if (!keep) a[ai + j] = Float.NEGATIVE_INFINITY;
                        }
                        if (any) kr.rowSoftmax(a, ai, 1, tk, a, ai);
                        else Arrays.fill(a, ai, ai + tk, 0f);
                    }
                    int oi = o0 + i * d + hc;
                    for (int p = 0; p < tk; p++) {
                        kr.axpy(a[ai + p], vv.data, v0 + p * d + hc, o, oi, dh);
                    }
                }
            }
        }
        return Var.op("attention", out, g -> backward(g, q, tq, k, v, tk, heads, att, c), q, k, v);
    }

    private static void backward(Tensor g, Var q, int tq, Var k, Var v, int tk, int heads, Tensor att, float c) {
        Tensor qv = q.value, kv = k.value, vv = v.value;
        int d = qv.cols, dh = d / heads, batch = qv.rows / tq, blk = tq * tk;
        boolean gq = q.requiresGrad(), gk = k.requiresGrad(), gv = v.requiresGrad();
        Kernels kr = Kernels.get();
        Tensor dq = gq ? new Tensor(qv.rows, d) : null;
        Tensor dk = gk ? new Tensor(kv.rows, d) : null;
        Tensor dv = gv ? new Tensor(vv.rows, d) : null;
        float[] a = att.data, gd = g.data;
        float[] dA = new float[blk], dS = new float[blk], gy = new float[1], tmp = new float[tk];
        for (int b = 0; b < batch; b++) {
            int q0 = qv.offset + b * tq * d, k0 = kv.offset + b * tk * d, v0 = vv.offset + b * tk * d;
            int g0 = g.offset + b * tq * d, r0 = b * tq * d, s0 = b * tk * d;
            for (int h = 0; h < heads; h++) {
                int hc = h * dh, ab = (b * heads + h) * blk;
                // dA = G V^T
                for (int i = 0; i < tq; i++) {
                    for (int j = 0; j < tk; j++) {
                        dA[i * tk + j] = kr.dot(gd, g0 + i * d + hc, vv.data, v0 + j * d + hc, dh);
                    }
                }
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
                // softmax backward into zeros, then the scale's backward into zeros
                Arrays.fill(dS, 0f);
                for (int i = 0; i < tq; i++) {
                    int ri = i * tk;
                    kr.rowDot(dA, ri, a, ab + ri, 1, tk, gy, 0);
                    kr.binaryScalar(BinaryOp.SUB, dA, ri, gy[0], tmp, 0, tk);
                    kr.fma(a, ab + ri, tmp, 0, dS, ri, dS, ri, tk);
                }
                Arrays.fill(dA, 0f);
                kr.axpy(c, dS, 0, dA, 0, blk);
                if (gq) {   // dQ[i] = sum_p dS[i, p] K[p]
                    for (int i = 0; i < tq; i++) {
                        for (int p = 0; p < tk; p++) {
                            kr.axpy(dA[i * tk + p], kv.data, k0 + p * d + hc, dq.data, r0 + i * d + hc, dh);
                        }
                    }
                }
                if (gk) {   // dK[j] = sum_p dS[p, j] Q[p]
                    for (int j = 0; j < tk; j++) {
                        for (int p = 0; p < tq; p++) {
                            kr.axpy(dA[p * tk + j], qv.data, q0 + p * d + hc, dk.data, s0 + j * d + hc, dh);
                        }
                    }
                }
            }
        }
        if (gq) q.accumulateOwned(dq);
        if (gk) k.accumulateOwned(dk);
        if (gv) v.accumulateOwned(dv);
    }
}
