package weft.autograd;

import java.util.List;

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
        int batch = qv.rows / tq;   // one part each: the rows [B*Tk, d] seen as [B, Tk*d]
        return attend(q, tq, new Var[] {k}, new Var[] {v}, new Tensor[] {kv.view(batch, tk * d)}, new Tensor[] {vv.view(batch, tk * d)},
                tk, heads, keyMask);
    }

    /**
     * As {@link #scaledDotProduct}, with each sequence's keys and values given as parts side by
     * side, the layout {@code Tokens.sequences} assembles by copying: part j of the keys (and of
     * the values) is {@code [B, t_j * d]}, t_j tokens per sequence, and sequence b's keys are part
     * 0's tokens of b, then part 1's, and so on (Tk = sum t_j). Each sequence's tokens are read
     * from the parts (one sequence at a time, through a buffer that stays in cache) instead of from
     * a concatenated copy, and each part gets its rows of the keys' and values' gradient. The
     * values and gradients are those of the concatenation followed by {@link #scaledDotProduct}, to
     * the bit; the parts' gradients are handed over values first, then keys, in part order (the
     * order in which the backward of two concatenations, keys made first, would reach them).
     */
    public static Var scaledDotProductOfParts(Var q, int tq, List<Var> keyParts, List<Var> valueParts, int heads, Tensor keyMask) {
        int d = q.cols(), n = keyParts.size();
        if (n == 0 || valueParts.size() != n) {
            throw new IllegalArgumentException("attention: " + n + " key parts and " + valueParts.size() + " value parts (need the same number, at least one)");
        }
        int width = 0;
        for (int j = 0; j < n; j++) {
            Var kp = keyParts.get(j), vp = valueParts.get(j);
            if (d == 0 || kp.cols() % d != 0 || kp.cols() == 0 || !kp.value.sameShape(vp.value) || kp.rows() != keyParts.get(0).rows()) {
                throw new IllegalArgumentException("attention: key part " + j + " " + kp.shape() + " and value part " + vp.shape()
                        + " are not the same [B, t * " + d + "] as part 0 " + keyParts.get(0).shape());
            }
            width += kp.cols();
        }
        int tk = width / d;
        if (tq <= 0 || heads <= 0 || d % heads != 0 || q.rows() % tq != 0 || q.rows() / tq != keyParts.get(0).rows()) {
            throw new IllegalArgumentException("attention: queries " + q.shape() + " (Tq = " + tq + ") and key parts of "
                    + keyParts.get(0).rows() + " sequences do not form the same number of sequences of width " + d + " in " + heads + " heads");
        }
        Var[] kVars = keyParts.toArray(new Var[0]), vVars = valueParts.toArray(new Var[0]);
        Tensor[] kt = new Tensor[n], vt = new Tensor[n];
        for (int j = 0; j < n; j++) {
            kt[j] = kVars[j].value;
            vt[j] = vVars[j].value;
        }
        return attend(q, tq, kVars, vVars, kt, vt, tk, heads, keyMask);
    }

    /**
     * The keys (or values) of every sequence: parts side by side, part j {@code [B, w_j]} (w_j =
     * t_j d floats per sequence). With one part, sequence b's tokens are read where they are.
     */
    private static final class Sequences {
        final Tensor[] parts;
        final int width;   // floats per sequence: Tk * d

        Sequences(Tensor[] parts) {
            this.parts = parts;
            int w = 0;
            for (Tensor t : parts) w += t.cols;
            width = w;
        }

        boolean single() {
            return parts.length == 1;
        }

        /** Where sequence b's tokens start in {@link #parts}[0] when there is one part. */
        int start(int b) {
            return parts[0].offset + b * width;
        }

        /** Sequence b's tokens, copied into {@code buf}. */
        void gather(int b, float[] buf) {
            int at = 0;
            for (Tensor t : parts) {
                System.arraycopy(t.data, t.offset + b * t.cols, buf, at, t.cols);
                at += t.cols;
            }
        }

        /** Sequence b's rows of each part's gradient, from {@code buf}. */
        void scatter(int b, float[] buf, Tensor[] grads) {
            int at = 0;
            for (Tensor g : grads) {
                System.arraycopy(buf, at, g.data, b * g.cols, g.cols);
                at += g.cols;
            }
        }
    }

    private static Var attend(Var q, int tq, Var[] kVars, Var[] vVars, Tensor[] kParts, Tensor[] vParts, int tk, int heads,
                              Tensor keyMask) {
        Tensor qv = q.value;
        int d = qv.cols, batch = qv.rows / tq, dh = d / heads;
        if (keyMask != null && (keyMask.rows != batch || keyMask.cols != tk)) {
            throw new IllegalArgumentException("attention: key mask " + keyMask.shape() + " does not match [" + batch + ", " + tk + "]");
        }
        Sequences keys = new Sequences(kParts), values = new Sequences(vParts);
        float c = (float) (1.0 / Math.sqrt(dh));
        int rows = heads * tq, blk = rows * tk;
        // Attention weights, per sequence [Tk, H*Tq] key-major (see the class comment): the backward needs them.
        Tensor att = Tensor.uninitialized(batch * tk, rows);   // every score is written
        Tensor out = Tensor.uninitialized(qv.rows, d);         // contexts are accumulated: each task zeroes its rows
        float[] a = att.data, o = out.data, qd = qv.data;
        Kernels kr = KernelProvider.base();
        Parallel.forRange(batch, grain(tq, tk, d), (b0, b1) -> {
            java.util.Arrays.fill(o, b0 * tq * d, b1 * tq * d, 0f);
            float[] work = new float[Kernels.attentionScoresWork(tq, tk, heads, dh)];
            float[] buf = keys.single() ? null : new float[tk * d];   // one sequence's keys, then its values
            // scores of all heads, queries and keys of a sequence per call (masked keys then -inf),
            // times c, minus each row's max
            for (int b = b0; b < b1; b++) {
                int q0 = qv.offset + b * tq * d, base = b * blk;
                float[] kd = keys.single() ? keys.parts[0].data : buf;
                int k0 = keys.single() ? keys.start(b) : 0;
                if (!keys.single()) keys.gather(b, buf);
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
                int o0 = b * tq * d, base = b * blk;
                // every key masked: zero weights, zero context (the mask is per key, so for all heads and queries)
                if (kr.attentionNormalize(a, base, rows, tk)) {
                    continue;
                }
                float[] vd = values.single() ? values.parts[0].data : buf;
                int v0 = values.single() ? values.start(b) : 0;
                if (!values.single()) values.gather(b, buf);
                for (int i = 0; i < tq; i++) {   // O_i += A[i, j] V_j over the keys in order, all heads per call
                    kr.blockAxpy(tk, heads, dh, a, base + i, tq, rows, vd, v0, d, o, o0 + i * d);
                }
            }
        });
        Var[] parents = new Var[1 + kVars.length + vVars.length];
        parents[0] = q;
        System.arraycopy(kVars, 0, parents, 1, kVars.length);
        System.arraycopy(vVars, 0, parents, 1 + kVars.length, vVars.length);
        return Var.op("attention", out, g -> backward(g, q, tq, kVars, vVars, keys, values, tk, heads, att, c), parents);
    }

    private static int grain(int tq, int tk, int d) {
        return Math.max(1, TASK_WORK / Math.max(1, 2 * tq * tk * d));
    }

    private static void backward(Tensor g, Var q, int tq, Var[] kVars, Var[] vVars, Sequences keys, Sequences values,
                                 int tk, int heads, Tensor att, float c) {
        Tensor qv = q.value;
        int d = qv.cols, dh = d / heads, batch = qv.rows / tq, rows = heads * tq, blk = rows * tk;
        boolean gq = q.requiresGrad(), gk = anyRequiresGrad(kVars), gv = anyRequiresGrad(vVars);
        boolean single = keys.single();
        // One part: the gradients are [B*Tk, d] like the keys, accumulated over queries in place;
        // each task zeroes its sequences' rows (in parallel, in cache). Parts: each part's
        // gradient is its shape, and a sequence's rows are accumulated in a zeroed buffer, then copied.
        Tensor dq = gq ? Tensor.uninitialized(qv.rows, d) : null;
        Tensor[] dks = gk ? gradients(keys) : null, dvs = gv ? gradients(values) : null;
        float[] a = att.data, gd = g.data, qd = qv.data;
        Kernels kr = KernelProvider.base();
        // about twice the forward's work per sequence: ranges of half as many sequences
        Parallel.forRange(batch, Math.max(1, grain(tq, tk, d) / 2), (b0, b1) -> {
            float[] dS = new float[blk];   // key-major as the weights: [Tk, H*Tq]
            float[] work = gq || gk ? new float[Kernels.attentionScoresWork(tq, tk, heads, dh)] : null;
            float[] kBuf = single || !gq ? null : new float[tk * d], vBuf = single || !(gq || gk) ? null : new float[tk * d];
            float[] dkBuf = single || !gk ? null : new float[tk * d], dvBuf = single || !gv ? null : new float[tk * d];
            if (gq) java.util.Arrays.fill(dq.data, b0 * tq * d, b1 * tq * d, 0f);
            if (single && gk) java.util.Arrays.fill(dks[0].data, b0 * tk * d, b1 * tk * d, 0f);
            if (single && gv) java.util.Arrays.fill(dvs[0].data, b0 * tk * d, b1 * tk * d, 0f);
            for (int b = b0; b < b1; b++) {
                int q0 = qv.offset + b * tq * d, g0 = g.offset + b * tq * d, r0 = b * tq * d, base = b * blk;
                float[] kd, vd, dk = null, dv = null;
                int k0, v0, s0;
                if (single) {
                    kd = keys.parts[0].data;
                    vd = values.parts[0].data;
                    k0 = keys.start(b);
                    v0 = values.start(b);
                    s0 = b * tk * d;
                    if (gk) dk = dks[0].data;
                    if (gv) dv = dvs[0].data;
                } else {
                    if (gq) keys.gather(b, kBuf);             // the keys feed dQ only
                    if (gq || gk) values.gather(b, vBuf);     // the values feed dA = G V^T only
                    kd = kBuf;
                    vd = vBuf;
                    k0 = v0 = s0 = 0;
                    if (gk) java.util.Arrays.fill(dk = dkBuf, 0f);
                    if (gv) java.util.Arrays.fill(dv = dvBuf, 0f);
                }
                if (gv) {   // dV[j] = sum_p A[p, j] G[p], all heads per call
                    for (int j = 0; j < tk; j++) {
                        kr.blockAxpy(tq, heads, dh, a, base + j * rows, tq, 1, gd, g0, d, dv, s0 + j * d);
                    }
                }
                if (gq || gk) {
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
                            kr.blockAxpy(tq, heads, dh, dS, j * rows, tq, 1, qd, q0, d, dk, s0 + j * d);
                        }
                    }
                }
                if (!single) {
                    if (gk) keys.scatter(b, dkBuf, dks);
                    if (gv) values.scatter(b, dvBuf, dvs);
                }
            }
        });
        if (gq) q.accumulateOwned(dq);
        if (single) {
            if (gk) kVars[0].accumulateOwned(dks[0].view(kVars[0].rows(), kVars[0].cols()));
            if (gv) vVars[0].accumulateOwned(dvs[0].view(vVars[0].rows(), vVars[0].cols()));
        } else {
            for (int j = 0; j < vVars.length; j++) if (gv && vVars[j].requiresGrad()) vVars[j].accumulateOwned(dvs[j]);
            for (int j = 0; j < kVars.length; j++) if (gk && kVars[j].requiresGrad()) kVars[j].accumulateOwned(dks[j]);
        }
    }

    private static boolean anyRequiresGrad(Var[] vars) {
        for (Var v : vars) {
            if (v.requiresGrad()) return true;
        }
        return false;
    }

    /** A gradient per part, each the part's shape (one part: its sequences' rows as {@code [B, Tk*d]}). */
    private static Tensor[] gradients(Sequences s) {
        Tensor[] out = new Tensor[s.parts.length];
        for (int j = 0; j < out.length; j++) out[j] = Tensor.uninitialized(s.parts[j].rows, s.parts[j].cols);
        return out;
    }
}
