package weft.autograd;

import weft.engine.BinaryOp;
import weft.engine.KernelProvider;
import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Parallel;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.engine.UnaryOp;

/**
 * Differentiable ops that work row by row: each row of the input is one sample (or one query),
 * so these are the normalisations and selections of attention and of the losses.
 *
 * <pre>
 *   y = softmax(x)                dx = y * (g - (g . y))                       per row
 *   y = logSoftmax(x)             dx = g - softmax(x) * sum(g)                  per row
 *   y = x / max(||x||, eps)       dx = (g - y (g . y)) / ||x||   (||x|| > eps; else g / eps)
 *   y = gamma * xhat + beta,      xhat = (x - mean) / sqrt(var + eps)          (layer norm, per row)
 *                                 dx = (dxhat - mean(dxhat) - xhat mean(dxhat * xhat)) / sqrt(var + eps),
 *                                 dxhat = g * gamma, dgamma = sum_rows(g * xhat), dbeta = sum_rows(g)
 *   y[r] = x[r, t[r]]             dx[r, t[r]] += g[r]                           (pick)
 *   y = x * m                     dx = g * m, m the dropout mask (0 or 1 / (1 - p))
 * </pre>
 */
public final class RowOps {
    private RowOps() {}

    private static Kernels k() {
        return Kernels.get();
    }

    /** {@link #attendRows}' result: the weighted rows (on the tape) and the weights' values. */
    public record Attended(Var out, Tensor weights) {}

    /**
     * Attention of one query per row over M value rows, as one op: with {@code r [n, d]} and
     * values {@code V^1..V^M [n, d]},
     * <pre>
     *   s_j = r_i . V^j_i,  w = softmax_j(s),  out_i = sum_j w_j V^j_i                 per row i
     *   backward, G = dout:  a_j = G_i . V^j_i,  t_j = w_j (a_j - sum_k w_k a_k),
     *                        dr_i = sum_j t_j V^j_i,  dV^j_i = w_j G_i + t_j r_i
     * </pre>
     * The composition it replaces ({@code rowDot} per value, {@code concatCols}, {@code
     * rowSoftmax}, {@code sliceCols}, {@code mul} and {@code add} per value) makes 3M + 2 tape nodes
     * and as many {@code [n, d]} or {@code [n, 1]} intermediates; this op reads its inputs once
     * forward and once backward, and keeps only the {@code [n, M]} weights. The weights are
     * returned as values, not on the tape (differentiate through {@code out}). Each row is
     * computed by one task with the provider's dot and axpy in a fixed order, so the bits do not
     * depend on the thread count; they differ from the composition's by rounding (the softmax of
     * a row's M scores is computed in double here).
     */
    public static Attended attendRows(Var r, java.util.List<Var> values) {
        int m = values.size();
        Tensor rv = r.value;
        if (m == 0) {
            throw new IllegalArgumentException("attendRows: no values for the queries " + r.shape());
        }
        for (int j = 0; j < m; j++) {
            if (!values.get(j).value.sameShape(rv)) {
                throw new IllegalArgumentException("attendRows: value " + j + " is " + values.get(j).shape()
                        + " but the queries are " + r.shape() + ": every value must have the queries' shape");
            }
        }
        int n = rv.rows, d = rv.cols;
        Tensor w = Tensor.uninitialized(n, m);
        Tensor out = Tensor.uninitialized(n, d);
        Var[] vars = values.toArray(new Var[0]);   // the list may change after this call; the backward must not see that
        Tensor[] vs = new Tensor[m];
        for (int j = 0; j < m; j++) vs[j] = vars[j].value;
        Kernels kb = KernelProvider.base();
        Parallel.forWork(n, 2L * m * d, (r0, r1) -> {
            double[] s = new double[m];
            for (int i = r0; i < r1; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < m; j++) {
                    s[j] = kb.dot(rv.data, rv.offset + i * d, vs[j].data, vs[j].offset + i * d, d);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < m; j++) {
                    s[j] = Math.exp(s[j] - max);
                    z += s[j];
                }
                for (int j = 0; j < m; j++) w.data[i * m + j] = (float) (s[j] / z);
                kb.binaryScalar(BinaryOp.MUL, vs[0].data, vs[0].offset + i * d, w.data[i * m], out.data, i * d, d);
                for (int j = 1; j < m; j++) kb.axpy(w.data[i * m + j], vs[j].data, vs[j].offset + i * d, out.data, i * d, d);
            }
        });
        Var[] parents = new Var[m + 1];
        parents[0] = r;
        System.arraycopy(vars, 0, parents, 1, m);
        Var o = Var.op("attendRows", out, g -> {
            Tensor dr = r.requiresGrad() ? r.gradOrZeros() : null;
            Tensor[] dv = new Tensor[m];
            for (int j = 0; j < m; j++) dv[j] = vars[j].requiresGrad() ? vars[j].gradOrZeros() : null;
            Parallel.forWork(n, 4L * m * d, (r0, r1) -> {
                float[] t = new float[m];
                for (int i = r0; i < r1; i++) {
                    int gi = g.offset + i * d;
                    double sum = 0;
                    for (int j = 0; j < m; j++) {
                        t[j] = kb.dot(g.data, gi, vs[j].data, vs[j].offset + i * d, d);
                        sum += (double) w.data[i * m + j] * t[j];
                    }
                    for (int j = 0; j < m; j++) {
                        float wj = w.data[i * m + j];
                        t[j] = (float) (wj * (t[j] - sum));
                        if (dr != null) kb.axpy(t[j], vs[j].data, vs[j].offset + i * d, dr.data, dr.offset + i * d, d);
                        if (dv[j] != null) {
                            kb.axpy(wj, g.data, gi, dv[j].data, dv[j].offset + i * d, d);
                            kb.axpy(t[j], rv.data, rv.offset + i * d, dv[j].data, dv[j].offset + i * d, d);
                        }
                    }
                }
            });
        }, parents);
        return new Attended(o, w);
    }

    public static Var rowSoftmax(Var x) {
        Tensor xv = x.value;
        Tensor y = Tensor.uninitialized(xv.rows, xv.cols);
        k().rowSoftmax(xv.data, xv.offset, xv.rows, xv.cols, y.data, 0);
        return Var.op("rowSoftmax", y, g -> softmaxBackward(g, y, x), x);
    }

    /**
     * Softmax over the keys a mask keeps: {@code mask} is {@code [mr, x.cols]} with 1 = keep and
     * 0 = masked, and row r of x uses mask row {@code r / rowsPerMaskRow} (so one mask row per
     * sequence serves all its heads and queries). Masked entries count as -inf: they get weight
     * 0. A row whose keys are all masked gets all zeros (not the NaN that softmax of -inf gives),
     * so a padded sequence contributes nothing rather than poisoning the batch.
     */
    public static Var maskedRowSoftmax(Var x, Tensor mask, int rowsPerMaskRow) {
        Tensor xv = x.value;
        if (mask.cols != xv.cols || rowsPerMaskRow <= 0 || (long) mask.rows * rowsPerMaskRow != xv.rows) {
            throw new IllegalArgumentException("maskedRowSoftmax: mask " + mask.shape() + " with " + rowsPerMaskRow
                    + " rows per mask row does not fit scores " + xv.shape());
        }
        int cols = xv.cols;
        Tensor y = Tensor.uninitialized(xv.rows, cols);
        for (int r = 0; r < xv.rows; r++) {
            int mi = mask.offset + (r / rowsPerMaskRow) * cols, yi = r * cols;
            boolean any = false;
            for (int c = 0; c < cols; c++) {
                boolean keep = mask.data[mi + c] != 0f;
                any |= keep;
                y.data[yi + c] = keep ? xv.data[xv.offset + r * cols + c] : Float.NEGATIVE_INFINITY;
            }
            if (any) k().rowSoftmax(y.data, yi, 1, cols, y.data, yi);
            else java.util.Arrays.fill(y.data, yi, yi + cols, 0f);
        }
        // masked entries have y = 0, so the plain softmax gradient gives them 0
        return Var.op("maskedRowSoftmax", y, g -> softmaxBackward(g, y, x), x);
    }

    private static void softmaxBackward(Tensor g, Tensor y, Var x) {
        if (!x.requiresGrad()) return;
        Tensor gx = x.gradOrZeros();
        int rows = y.rows, cols = y.cols;
        float[] gy = new float[rows];
        Kernels k = k();
        k.rowDot(g.data, g.offset, y.data, 0, rows, cols, gy, 0);
        float[] tmp = new float[cols];
        for (int r = 0; r < rows; r++) {
            k.binaryScalar(BinaryOp.SUB, g.data, g.offset + r * cols, gy[r], tmp, 0, cols);
            k.fma(y.data, r * cols, tmp, 0, gx.data, gx.offset + r * cols, gx.data, gx.offset + r * cols, cols);
        }
    }

    public static Var rowLogSoftmax(Var x) {
        Tensor xv = x.value;
        Tensor y = Tensor.uninitialized(xv.rows, xv.cols);
        k().rowLogSoftmax(xv.data, xv.offset, xv.rows, xv.cols, y.data, 0);
        return Var.op("rowLogSoftmax", y, g -> {
            Tensor gx = Ops.gradBuf(x);
            int rows = y.rows, cols = y.cols;
            Tensor p = Ops.unary(UnaryOp.EXP, y, 0f);
            float[] gs = new float[rows];
            k().sumRows(g.data, g.offset, rows, cols, gs, 0, false);
            k().axpy(1f, g.data, g.offset, gx.data, gx.offset, g.size());
            for (int r = 0; r < rows; r++) k().axpy(-gs[r], p.data, r * cols, gx.data, gx.offset + r * cols, cols);
        }, x);
    }

    /**
     * Mean cross-entropy of scaled logits, {@code -mean_i log softmax(c x_i)[t_i]}, as one op. Each
     * row is computed once: with z = c x_i and m its maximum, e = exp(z - m) (the provider's exp),
     * s = sum(e), and the loss term is {@code -(z[t] - (m + log s))}. The exponentials and 1 / s
     * are kept for the backward, so it needs no second exp: with G the incoming gradient and
     * v = -G / n,
     * <pre>
     *   dx[i, j] = c (e[j] / s * -v + [j = t_i] v)
     * </pre>
     * One {@code [n, C]} tensor is kept (the exponentials). Rows are split over the team (the bits
     * do not depend on the split). The values equal {@code neg(mean(pick(rowLogSoftmax(scale(x, c)),
     * t)))} up to float rounding ({@code CrossEntropyFusedTest}). {@code c = 1} gives plain
     * cross-entropy.
     */
    public static Var crossEntropy(Var x, float c, int[] targets) {
        Tensor xv = x.value;
        int rows = xv.rows, cols = xv.cols;
        checkTargets("crossEntropy", targets, xv);
        Tensor e = Tensor.uninitialized(rows, cols);   // exp(z - m) per row
        float[] picked = new float[rows], invSum = new float[rows];
        k().crossEntropyRows(xv.data, xv.offset, rows, cols, c, targets, 0, e.data, 0, invSum, picked, 0);
        float inv = 1f / rows;
        float loss = -(k().sum(picked, 0, rows) * inv);
        return Var.op("crossEntropy", Tensor.scalar(loss), g -> {
            if (!x.requiresGrad()) return;
            float v = -g.item() * inv;          // the gradient of each picked log-probability
            Tensor gx = Tensor.uninitialized(rows, cols);
            k().crossEntropyBackwardRows(e.data, 0, rows, cols, invSum, 0, -v, v, c, targets, 0, gx.data, 0);
            x.accumulateOwned(gx);
        }, x);
    }

    /**
     * {@code crossEntropy(matmul(a, false, b, true), c, targets)} as one op, with the same values
     * and gradients to the bit: the logits {@code a b^T} ({@code [n, m]}) are replaced by their
     * exponentials in place, and in the backward those by the logits' gradient, which the two
     * products of the matmul's backward then read. So one {@code [n, m]} array serves where the
     * composition holds three (logits, exponentials, gradient): InfoNCE's {@code [B, B]}
     * similarities at batch 2048 are 16 MB each.
     */
    public static Var crossEntropyOfProduct(Var a, Var b, float c, int[] targets) {
        Tensor av = a.value, bv = b.value;
        if (av.cols != bv.cols) {
            throw new IllegalArgumentException("crossEntropyOfProduct: " + av.shape() + " x " + bv.shape()
                    + "^T: the inner dimensions " + av.cols + " and " + bv.cols + " differ");
        }
        int rows = av.rows, cols = bv.rows;
        Tensor s = MatMul.matmul(av, false, bv, true);
        checkTargets("crossEntropyOfProduct", targets, s);
        float[] picked = new float[rows], invSum = new float[rows];
        k().crossEntropyRows(s.data, 0, rows, cols, c, targets, 0, s.data, 0, invSum, picked, 0);
        float inv = 1f / rows;
        float loss = -(k().sum(picked, 0, rows) * inv);
        boolean[] spent = {false};   // s holds the gradient once a backward has run
        return Var.op("crossEntropyOfProduct", Tensor.scalar(loss), g -> {
            if (!a.requiresGrad() && !b.requiresGrad()) return;
            if (spent[0]) {   // a second backward over the same graph: the exponentials again
                MatMul.matmulInto(av, false, bv, true, s, false);
                k().crossEntropyRows(s.data, 0, rows, cols, c, targets, 0, s.data, 0, invSum, picked, 0);
            }
            spent[0] = true;
            float v = -g.item() * inv;
            k().crossEntropyBackwardRows(s.data, 0, rows, cols, invSum, 0, -v, v, c, targets, 0, s.data, 0);
            // the matmul's backward with transA = false, transB = true (Ops.matmul)
            if (a.requiresGrad()) MatMul.matmulInto(s, false, bv, false, a.gradOrZeros(), true);
            if (b.requiresGrad()) MatMul.matmulInto(s, true, av, false, b.gradOrZeros(), true);
        }, a, b);
    }

    /**
     * Both directions of the cross-entropy of a square product, in one op: with {@code S = a b^T}
     * ({@code [m, m]}, row i of a and of b a positive pair) and the diagonal as targets, the value
     * of {@code crossEntropyOfProduct(a, b, c, diag) + crossEntropyOfProduct(b, a, c, diag)} (the
     * second term is the cross-entropy of S's columns), from one product and one pass of
     * exponentials instead of two of each, and two products in the backward instead of four.
     *
     * <p>The columns reuse the rows' exponentials {@code e_ij = exp(c S_ij - m_i)} ({@code m_i}
     * the row's largest {@code c S_ij}, M the largest {@code m_i}): {@code sum_i exp(c S_ij - M)
     * = sum_i e_ij w_i} with {@code w_i = exp(m_i - M)}. Where some {@code m_i - M} is below -80
     * (so {@code w_i} would lose its precision in float) the two directions are computed apart,
     * as the composed ops. InfoNCE's rows are L2-normalised, so there {@code |S_ij| <= 1} and
     * this happens only for {@code c > 40}. Backward: {@code dS = g c / m (P + Q - 2 I)} with P the
     * rows' softmax and Q the columns', {@code da = dS b}, {@code db = dS^T a}. The rounding
     * differs from the two separate ops (other shifts of the exponentials, other sums). Each row,
     * and each fixed block of 256 columns of the column sums, is computed the same way whatever
     * the split over threads, so the bits do not depend on the thread count.
     */
    public static Var crossEntropyOfProductBothWays(Var a, Var b, float c) {
        Tensor av = a.value, bv = b.value;
        if (av.rows != bv.rows || av.cols != bv.cols) {
            throw new IllegalArgumentException("crossEntropyOfProductBothWays: " + av.shape() + " and " + bv.shape()
                    + " must have the same shape (row i of each is a positive pair)");
        }
        if (!(c > 0f) || Float.isInfinite(c)) {
            throw new IllegalArgumentException("crossEntropyOfProductBothWays: the scale must be positive and finite, got " + c
                    + " for " + av.shape());
        }
        int m = av.rows;
        int[] diag = new int[m];
        for (int i = 0; i < m; i++) diag[i] = i;
        Tensor s = MatMul.matmul(av, false, bv, true);
        BothWays f = new BothWays(m);
        if (!f.forward(s, c, diag)) {
            return Ops.add(crossEntropyOfProduct(a, b, c, diag), crossEntropyOfProduct(b, a, c, diag));
        }
        boolean[] spent = {false};   // s holds the gradient once a backward has run
        return Var.op("crossEntropyOfProductBothWays", Tensor.scalar(f.loss), g -> {
            if (!a.requiresGrad() && !b.requiresGrad()) return;
            if (spent[0]) {   // a second backward over the same graph: the exponentials again
                MatMul.matmulInto(av, false, bv, true, s, false);
                f.forward(s, c, diag);
            }
            spent[0] = true;
            f.gradient(s, g.item() * c / m);
            if (a.requiresGrad()) MatMul.matmulInto(s, false, bv, false, a.gradOrZeros(), true);
            if (b.requiresGrad()) MatMul.matmulInto(s, true, av, false, b.gradOrZeros(), true);
        }, a, b);
    }

    /** The row and column statistics of {@link #crossEntropyOfProductBothWays}. */
    private static final class BothWays {
        /** Columns per task of the column sums: fixed, so the split does not depend on the thread count. */
        private static final int COLUMN_BLOCK = 256;
        final int m;
        final float[] invSum, logProb, w, invColSum;
        float loss;

        BothWays(int m) {
            this.m = m;
            invSum = new float[m];
            logProb = new float[m];
            w = new float[m];
            invColSum = new float[m];
        }

        /** Replaces s = S by the rows' exponentials and sets the statistics and the loss; false if the rows' maxima spread too far. */
        boolean forward(Tensor s, float c, int[] diag) {
            float[] sd = s.data;
            int so = s.offset;
            Kernels kb = KernelProvider.base();
            float[] rowMax = new float[m];   // max_j c S_ij = c max_j S_ij (c > 0; rounding is monotonic)
            Parallel.forWork(m, m, (r0, r1) -> {
                for (int r = r0; r < r1; r++) rowMax[r] = c * kb.max(sd, so + r * m, m);
            });
            float top = Float.NEGATIVE_INFINITY;
            for (float v : rowMax) top = Math.max(top, v);
            for (float v : rowMax) {
                if (!(v - top >= -80f)) return false;   // also NaN
            }
            float[] diagLogit = new float[m];   // c S_jj, as the row kernel reads its target
            for (int j = 0; j < m; j++) diagLogit[j] = sd[so + j * m + j] * c;
            k().crossEntropyRows(sd, so, m, m, c, diag, 0, sd, so, invSum, logProb, 0);
            for (int r = 0; r < m; r++) w[r] = (float) Math.exp(rowMax[r] - top);
            float[] colSum = new float[m];
            int blocks = (m + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
            Parallel.forEach(blocks, bi -> {
                int j0 = bi * COLUMN_BLOCK, n = Math.min(COLUMN_BLOCK, m - j0);
                for (int i = 0; i < m; i++) kb.axpy(w[i], sd, so + i * m + j0, colSum, j0, n);
            });
            float colLogProb = 0f;
            for (int j = 0; j < m; j++) {
                colLogProb += diagLogit[j] - (top + (float) Math.log(colSum[j]));
                invColSum[j] = 1f / colSum[j];
            }
            loss = -((k().sum(logProb, 0, m) + colLogProb) * (1f / m));
            return true;
        }

        /** Replaces the exponentials in s by {@code dS = v (P + Q - 2 I)}. */
        void gradient(Tensor s, float v) {
            float[] sd = s.data;
            int so = s.offset;
            Kernels kb = KernelProvider.base();
            Parallel.forWork(m, 3L * m, (r0, r1) -> {
                float[] q = new float[m];
                for (int r = r0; r < r1; r++) {
                    int ri = so + r * m;
                    kb.binary(BinaryOp.MUL, sd, ri, invColSum, 0, q, 0, m);                // e_rj / colSum_j
                    kb.linear(v * invSum[r], sd, ri, v * w[r], q, 0, sd, ri, m);            // v (P_rj + Q_rj)
                    sd[ri + r] -= 2f * v;
                }
            });
        }
    }

    private static void checkTargets(String op, int[] targets, Tensor logits) {
        if (targets.length != logits.rows) {
            throw new IllegalArgumentException(op + ": " + targets.length + " targets for logits " + logits.shape());
        }
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] < 0 || targets[r] >= logits.cols) {
                throw new IllegalArgumentException(op + ": target " + targets[r] + " (row " + r + ") out of range for logits " + logits.shape());
            }
        }
    }

    /** Each row divided by {@code max(||row||, eps)}, as torch.nn.functional.normalize. */
    public static Var rowL2Normalize(Var x, float eps) {
        Tensor xv = x.value;
        int rows = xv.rows, cols = xv.cols;
        Tensor y = Tensor.uninitialized(rows, cols);
        float[] norms = new float[rows];
        k().rowL2Normalize(xv.data, xv.offset, rows, cols, eps, y.data, 0, norms, 0);
        return Var.op("rowL2Normalize", y, g -> {
            Tensor gx = Ops.gradBuf(x);
            float[] gy = new float[rows];
            k().rowDot(g.data, g.offset, y.data, 0, rows, cols, gy, 0);
            for (int r = 0; r < rows; r++) {
                int gi = g.offset + r * cols, xi = gx.offset + r * cols;
                if (norms[r] > eps) {   // (g - y (g.y)) / n
                    k().axpy(1f / norms[r], g.data, gi, gx.data, xi, cols);
                    k().axpy(-gy[r] / norms[r], y.data, r * cols, gx.data, xi, cols);
                } else {                // clamped: y = x / eps is linear in x
                    k().axpy(1f / eps, g.data, gi, gx.data, xi, cols);
                }
            }
        }, x);
    }

    /**
     * Layer normalisation over each row (biased variance, as PyTorch), with {@code gamma} and
     * {@code beta} of shape {@code [1, c]}.
     */
    public static Var layerNorm(Var x, Var gamma, Var beta, float eps) {
        Tensor xv = x.value;
        int rows = xv.rows, cols = xv.cols;
        if (gamma.rows() != 1 || gamma.cols() != cols || beta.rows() != 1 || beta.cols() != cols) {
            throw new IllegalArgumentException("layerNorm: gamma " + gamma.shape() + " and beta " + beta.shape()
                    + " must be [1, " + cols + "] for input " + xv.shape());
        }
        Tensor xhat = Tensor.uninitialized(rows, cols);
        Tensor y = Tensor.uninitialized(rows, cols);
        float[] invStd = new float[rows];
        Tensor gm = gamma.value, bt = beta.value;
        // Rows are independent and each is computed as in one sequential loop: same bits for any
        // split. The row kernels are the provider's own (the pool already splits the rows).
        Kernels kb = KernelProvider.base();
        Parallel.forWork(rows, 5L * cols, (r0, r1) -> kb.layerNormRows(xv.data, xv.offset + r0 * cols, r1 - r0, cols,
                gm.data, gm.offset, bt.data, bt.offset, eps, xhat.data, r0 * cols, y.data, r0 * cols, invStd, r0));
        return Var.op("layerNorm", y, g -> {
            if (rows == 1) {   // the gradients have the parameters' shape: they are accumulated as they are
                if (gamma.requiresGrad()) Ops.reduceInto(Ops.broadcast("layerNorm", BinaryOp.MUL, g, xhat), gamma);
                Ops.reduceInto(g, beta);
            } else if (gamma.requiresGrad() || beta.requiresGrad()) {
                Tensor dg = gamma.requiresGrad() ? gamma.gradOrZeros() : null, db = beta.requiresGrad() ? beta.gradOrZeros() : null;
                Kernels.get().layerNormParamGrads(g.data, g.offset, xhat.data, 0, rows, cols,   // split by columns
                        dg == null ? null : dg.data, dg == null ? 0 : dg.offset, db == null ? null : db.data, db == null ? 0 : db.offset);
            }
            if (!x.requiresGrad()) return;
            Tensor gx = x.gradOrZeros();
            Parallel.forWork(rows, 5L * cols, (r0, r1) -> kb.layerNormBackwardRows(g.data, g.offset + r0 * cols, r1 - r0, cols,
                    gm.data, gm.offset, xhat.data, r0 * cols, invStd, r0, gx.data, gx.offset + r0 * cols));
        }, x, gamma, beta);
    }

    /** {@code out[r] = x[r, cols[r]]}, {@code [r, 1]}: the target logit of each row, for cross-entropy. */
    public static Var pick(Var x, int[] cols) {
        Tensor xv = x.value;
        if (cols.length != xv.rows) {
            throw new IllegalArgumentException("pick: " + cols.length + " column indices for input " + xv.shape());
        }
        Tensor out = new Tensor(xv.rows, 1);
        for (int r = 0; r < xv.rows; r++) {
            if (cols[r] < 0 || cols[r] >= xv.cols) {
                throw new IllegalArgumentException("pick: column " + cols[r] + " out of range for input " + xv.shape());
            }
            out.data[r] = xv.get(r, cols[r]);
        }
        return Var.op("pick", out, g -> {
            Tensor gx = Ops.gradBuf(x);
            for (int r = 0; r < xv.rows; r++) gx.data[gx.offset + r * xv.cols + cols[r]] += g.data[g.offset + r];
        }, x);
    }

    /**
     * Inverted dropout: each element is zeroed with probability p and the survivors scaled by
     * {@code 1 / (1 - p)}, so the expected value is unchanged and evaluation needs no rescaling.
     * Identity when not training, when p = 0, or inside a {@link NoGrad} scope. The mask is drawn
     * from {@code rng} sequentially, so the same seed drops the same elements.
     */
    public static Var dropout(Var x, float p, Rng rng, boolean training) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout: probability must be in [0, 1), got " + p + " for input " + x.shape());
        }
        if (!training || p == 0f || NoGrad.active()) {
            return x;
        }
        Tensor mask = Tensor.uninitialized(x.rows(), x.cols());   // every element written below
        float keep = 1f / (1f - p);
        for (int i = 0; i < mask.size(); i++) mask.data[i] = rng.nextFloat() >= p ? keep : 0f;
        return dropout(x, mask);
    }

    /** Dropout with a given mask (already scaled): {@code y = x * mask}. Deterministic, so gradient-checkable. */
    public static Var dropout(Var x, Tensor mask) {
        Tensor.requireSameShape("dropout", x.value, mask);
        Tensor y = Ops.broadcast("dropout", BinaryOp.MUL, x.value, mask);
        return Var.op("dropout", y, g -> Ops.fmaInto(g, mask, x), x);
    }
}
