package weft.engine;

/**
 * The compute kernels every op is built from, on flat float arrays with explicit offsets
 * (EJML style: outputs are arguments, hot loops allocate nothing).
 *
 * <p>Two implementations: {@link ScalarKernels}, plain Java and the reference, and
 * {@code PanamaKernels}, on the Vector API, used when {@code jdk.incubator.vector} is present.
 * {@link #get()} returns the one chosen once at start-up (see {@link KernelProvider}).
 * Every method of the SIMD implementation is tested against the scalar one.
 */
public interface Kernels {

    /** The provider chosen at start-up. */
    static Kernels get() {
        return KernelProvider.kernels();
    }

    /** "scalar" or "panama-&lt;bits&gt;". */
    String name();

    // ---------------------------------------------------------------- GEMM

    /**
     * {@code C = op(A) op(B)} (or {@code C += op(A) op(B)} when {@code accumulate}), where
     * {@code op(X)} is X or its transpose. C is m x n, op(A) is m x k, op(B) is k x n.
     * Leading dimensions are row strides of the stored (untransposed) matrices: A is stored
     * m x k (lda &ge; k) or, when transposed, k x m (lda &ge; m); likewise B.
     * Runs on the shared pool ({@link Parallel}).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float[] a, int aOff, int lda,
              float[] b, int bOff, int ldb,
              float[] c, int cOff, int ldc,
              boolean accumulate);

    // ---------------------------------------------------------------- element-wise

    /** {@code out[i] = op(a[i])} for i in [0, n). {@code param} is the op's parameter (leaky-relu slope), else ignored. */
    void unary(UnaryOp op, float[] a, int aOff, float[] out, int outOff, int n, float param);

    /** {@code out[i] = a[i] op b[i]}. */
    void binary(BinaryOp op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /** {@code out[i] = a[i] op s}. */
    void binaryScalar(BinaryOp op, float[] a, int aOff, float s, float[] out, int outOff, int n);

    /** {@code y[i] += alpha * x[i]}. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * The gradient of {@link UnaryOp#LEAKY_RELU} (of {@link UnaryOp#RELU} with slope 0) at
     * {@code a}: {@code t = a[i] > 0 ? g[i] : slope * g[i]}, then {@code out[i] = out[i] + t} with
     * {@code accumulate}, else {@code out[i] = t}. {@code out} may be {@code g} (same offset).
     */
    void leakyReluGrad(float[] a, int aOff, float[] g, int gOff, float slope, float[] out, int outOff, int n, boolean accumulate);

    /**
     * One sparse row times a dense matrix: for e = from, ..., to - 1 in order,
     * {@code y[yOff + j] += val[e] * x[xOff + col[e] * d + j]} for j in [0, d), each step rounded
     * as {@link #axpy} rounds it (product, then sum). So the result is bit-identical to one axpy
     * per entry; an implementation may keep the row in registers across the entries instead of
     * loading and storing it once per entry.
     */
    default void gatherAxpy(float[] val, int[] col, int from, int to, float[] x, int xOff, int d, float[] y, int yOff) {
        for (int e = from; e < to; e++) axpy(val[e], x, xOff + col[e] * d, y, yOff, d);
    }

    /**
     * Axpys with one weight per column block, the row kept in registers: for e = 0, ..., entries - 1
     * in order, and each block h in [0, blocks),
     * {@code y[yOff + h*bw + c] += w[wOff + h*wBlock + e*wEntry] * x[xOff + e*xStride + h*bw + c]}
     * for c in [0, bw), each step rounded as {@link #axpy} rounds it (product, then sum). So the
     * result is bit-identical to one axpy per (entry, block) in entry order. Attention's
     * {@code O_i += A[i, j] V_j} over the heads of a row (blocks = heads, bw = head width) is the
     * use: one call per row instead of one axpy per key and head.
     */
    default void blockAxpy(int entries, int blocks, int bw, float[] w, int wOff, int wBlock, int wEntry,
                           float[] x, int xOff, int xStride, float[] y, int yOff) {
        for (int e = 0; e < entries; e++) {
            for (int h = 0; h < blocks; h++) {
                axpy(w[wOff + h * wBlock + e * wEntry], x, xOff + e * xStride + h * bw, y, yOff + h * bw, bw);
            }
        }
    }

    /**
     * Dot products of column blocks: {@code out[oOff + h*oStride] = sum_c x[xOff + h*bw + c] *
     * y[yOff + h*bw + c]} over c in [0, bw), for each block h in [0, blocks), each summed in one
     * fixed order: four partial sums {@code s_r} (a fused multiply-add chain over c = r, r + 4, ...
     * below the largest multiple of 4), then {@code (s_0 + s_1) + (s_2 + s_3)}, then the rest
     * of c in order, again by fused multiply-add. Every provider gives the same bits. Attention's
     * scores {@code Q_i . K_j} per head are the use.
     */
    default void blockDots(int blocks, int bw, float[] x, int xOff, float[] y, int yOff, float[] out, int oOff, int oStride) {
        for (int h = 0; h < blocks; h++) {
            int xo = xOff + h * bw, yo = yOff + h * bw;
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            int c = 0;
            for (; c + 4 <= bw; c += 4) {
                s0 = Math.fma(x[xo + c], y[yo + c], s0);
                s1 = Math.fma(x[xo + c + 1], y[yo + c + 1], s1);
                s2 = Math.fma(x[xo + c + 2], y[yo + c + 2], s2);
                s3 = Math.fma(x[xo + c + 3], y[yo + c + 3], s3);
            }
            float s = (s0 + s1) + (s2 + s3);
            for (; c < bw; c++) s = Math.fma(x[xo + c], y[yo + c], s);
            out[oOff + h * oStride] = s;
        }
    }

    /**
     * Attention's scores of one sequence, every head at once, stored key-major as attention keeps
     * them: for each key j in [0, tk), head h in [0, heads) and query i in [0, tq),
     * {@code out[oOff + j*heads*tq + h*tq + i]} is the {@link #blockDots} value of block h (width
     * dh) of query row i, {@code q[qOff + i*heads*dh ...]}, and of key row j,
     * {@code k[kOff + j*heads*dh ...]}. So every provider gives the bits of one blockDots call per
     * (key, query), which is what this default does. {@code work} is scratch of at least
     * {@link #attentionScoresWork} floats from {@code wOff}, for a provider that rearranges the
     * rows first; its contents before and after mean nothing.
     */
    default void attentionScores(int tq, int tk, int heads, int dh, float[] q, int qOff, float[] k, int kOff,
                                 float[] out, int oOff, float[] work, int wOff) {
        int d = heads * dh, rows = heads * tq;
        for (int j = 0; j < tk; j++) {
            for (int i = 0; i < tq; i++) {
                blockDots(heads, dh, q, qOff + i * d, k, kOff + j * d, out, oOff + j * rows + i, tq);
            }
        }
    }

    /** The scratch {@link #attentionScores} may use: one float per value of the sequence's query and key rows. */
    static int attentionScoresWork(int tq, int tk, int heads, int dh) {
        return (tq + tk) * heads * dh;
    }

    // Attention's row-wise steps over a sequence's scores stored key-major: the block at off holds
    // keys rows of `rows` values, a[off + j * rows + r] the score of row r (a head and query) for
    // key j, so that one row's keys are `rows` apart and a vector covers consecutive rows. Each
    // row's values go through the same IEEE operations, in the same key order, in every provider.

    /**
     * Scaling and shifting before the exponentials: for each row r, {@code s_j = c * a_j} and
     * {@code m = max(-inf, s_0, s_1, ...)} in key order, then {@code a_j = s_j - m}, or -inf when m is
     * -inf (every key of the row masked).
     */
    default void attentionShift(float[] a, int off, int rows, int keys, float c) {
        attentionShiftRows(a, off, rows, keys, c, 0, rows);
    }

    /** {@link #attentionShift} of rows [from, to) of the block, one row at a time (the reference; a SIMD provider's rows after its last whole vector). */
    static void attentionShiftRows(float[] a, int off, int rows, int keys, float c, int from, int to) {
        for (int r = from; r < to; r++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < keys; j++) {
                float sc = a[off + j * rows + r] * c;
                a[off + j * rows + r] = sc;
                m = Math.max(m, sc);
            }
            for (int j = 0; j < keys; j++) {
                int i = off + j * rows + r;
                a[i] = m == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY : a[i] - m;
            }
        }
    }

    /**
     * Normalisation after the exponentials: for each row, {@code sum = ((0 + a_0) + a_1) + ...} in
     * key order and {@code a_j *= 1 / sum}; a row whose sum is 0 (every key masked) is left as it
     * is. Returns whether any row's sum was 0.
     */
    default boolean attentionNormalize(float[] a, int off, int rows, int keys) {
        return attentionNormalizeRows(a, off, rows, keys, 0, rows);
    }

    /** {@link #attentionNormalize} of rows [from, to) of the block, one row at a time (the reference; a SIMD provider's rows after its last whole vector). */
    static boolean attentionNormalizeRows(float[] a, int off, int rows, int keys, int from, int to) {
        boolean zero = false;
        for (int r = from; r < to; r++) {
            float sum = 0f;
            for (int j = 0; j < keys; j++) sum += a[off + j * rows + r];
            if (sum == 0f) {
                zero = true;
                continue;
            }
            float inv = 1f / sum;
            for (int j = 0; j < keys; j++) a[off + j * rows + r] *= inv;
        }
        return zero;
    }

    /**
     * The scores' gradient from the weights' (both key-major, {@code dS} at dOff, the weights A at
     * aOff): for each row, {@code rs = fma(dS_j, A_j, rs)} from 0 in key order, then
     * {@code dS_j = c * (A_j * (dS_j - rs))}.
     */
    default void attentionScoreGrad(float[] dS, int dOff, float[] a, int aOff, int rows, int keys, float c) {
        attentionScoreGradRows(dS, dOff, a, aOff, rows, keys, c, 0, rows);
    }

    /** {@link #attentionScoreGrad} of rows [from, to) of the block, one row at a time (the reference; a SIMD provider's rows after its last whole vector). */
    static void attentionScoreGradRows(float[] dS, int dOff, float[] a, int aOff, int rows, int keys, float c, int from, int to) {
        for (int r = from; r < to; r++) {
            float rs = 0f;
            for (int j = 0; j < keys; j++) rs = Math.fma(dS[dOff + j * rows + r], a[aOff + j * rows + r], rs);
            for (int j = 0; j < keys; j++) {
                int di = dOff + j * rows + r;
                dS[di] = c * (a[aOff + j * rows + r] * (dS[di] - rs));
            }
        }
    }

    /** {@code out[i] = a[i] * b[i] + c[i]} (fused multiply-add). */
    void fma(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int outOff, int n);

    /** {@code out[i] = alpha * a[i] + beta * b[i]}. */
    void linear(float alpha, float[] a, int aOff, float beta, float[] b, int bOff, float[] out, int outOff, int n);

    // ---------------------------------------------------------------- reductions

    float sum(float[] a, int aOff, int n);

    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** Sum of squares. */
    float sumSquares(float[] a, int aOff, int n);

    float max(float[] a, int aOff, int n);

    /** {@code out[r] = sum_c a[r, c]} for a rows x cols block; accumulates into out when {@code accumulate}. */
    void sumRows(float[] a, int aOff, int rows, int cols, float[] out, int outOff, boolean accumulate);

    /** {@code out[c] = sum_r a[r, c]}; accumulates into out when {@code accumulate}. */
    void sumCols(float[] a, int aOff, int rows, int cols, float[] out, int outOff, boolean accumulate);

    /**
     * {@link #sumCols} of the {@code rows x cols} block whose row r starts at {@code aOff + r*lda}:
     * each column summed from {@code out} (or 0) then row after row, in every provider, so a block
     * of columns gives the bits the whole matrix gives them.
     */
    void sumCols(float[] a, int aOff, int lda, int rows, int cols, float[] out, int outOff, boolean accumulate);

    /** {@code out[r] = sum_c a[r, c] * b[r, c]} (row-wise dot products). */
    void rowDot(float[] a, int aOff, float[] b, int bOff, int rows, int cols, float[] out, int outOff);

    // ---------------------------------------------------------------- row-wise

    /** Numerically stable softmax of each row. {@code out} may alias {@code a}. */
    void rowSoftmax(float[] a, int aOff, int rows, int cols, float[] out, int outOff);

    /** Log-softmax of each row. {@code out} may alias {@code a}. */
    void rowLogSoftmax(float[] a, int aOff, int rows, int cols, float[] out, int outOff);

    /**
     * {@code out[r] = a[r] / max(||a[r]||, eps)}; writes each row's norm (before the eps clamp)
     * to {@code norms[normsOff + r]} when {@code norms} is not null. {@code out} may alias {@code a}.
     */
    void rowL2Normalize(float[] a, int aOff, int rows, int cols, float eps, float[] out, int outOff, float[] norms, int normsOff);

    /**
     * The forward of a softmax cross-entropy over each row of a {@code rows x cols} block of logits
     * scaled by {@code c}: for row r, {@code z = c x_r} ({@link #binaryScalar} MUL; {@code z = x_r}
     * when {@code c == 1}), {@code m = max(z)}, {@code e_r = exp(z - m)} ({@link #binaryScalar}
     * SUB, then {@link #unary} EXP), {@code s = sum(e_r)}, {@code invSum[r] = 1 / s} and
     * {@code logProb[r] = z[t] - (m + (float) log(s))} with {@code t = targets[tOff + r]}: the
     * log-probability of the target class. Each step is computed as this provider's kernel of that
     * name computes it ({@link #max}, {@link #sum}): a provider's fused version must give the bits
     * of {@link #crossEntropyRowsComposed} on itself. {@code e} may be {@code x} itself (same
     * offset): the logits are then replaced by their exponentials. Rows are independent.
     */
    default void crossEntropyRows(float[] x, int xOff, int rows, int cols, float c, int[] targets, int tOff,
                                  float[] e, int eOff, float[] invSum, float[] logProb, int sOff) {
        crossEntropyRowsComposed(this, x, xOff, rows, cols, c, targets, tOff, e, eOff, invSum, logProb, sOff);
    }

    /** {@link #crossEntropyRows} as the sequence of {@code k}'s kernels it is defined by. */
    static void crossEntropyRowsComposed(Kernels k, float[] x, int xOff, int rows, int cols, float c, int[] targets,
                                         int tOff, float[] e, int eOff, float[] invSum, float[] logProb, int sOff) {
        float[] z = c != 1f ? new float[cols] : null;
        for (int r = 0; r < rows; r++) {
            int xi = xOff + r * cols, ei = eOff + r * cols;
            float[] zd = x;
            int zi = xi;
            if (z != null) {
                k.binaryScalar(BinaryOp.MUL, x, xi, c, z, 0, cols);
                zd = z;
                zi = 0;
            }
            float zt = zd[zi + targets[tOff + r]];   // read before e (possibly x itself) is written
            float m = k.max(zd, zi, cols);
            k.binaryScalar(BinaryOp.SUB, zd, zi, m, e, ei, cols);
            k.unary(UnaryOp.EXP, e, ei, e, ei, cols, 0f);
            float s = k.sum(e, ei, cols);
            invSum[sOff + r] = 1f / s;
            logProb[sOff + r] = zt - (m + (float) Math.log(s));
        }
    }

    /**
     * The logits' gradient of {@link #crossEntropyRows}, given the upstream factors {@code a} (on
     * every probability) and {@code v} (on the target): for row r, {@code gx_r = e_r * (invSum[r] *
     * a)} ({@link #binaryScalar} MUL), {@code gx_r[t] += v}, then {@code gx_r *= c} when
     * {@code c != 1}. For the mean cross-entropy with upstream gradient g over n rows,
     * {@code v = -g / n} and {@code a = -v}. A fused version must give the bits of
     * {@link #crossEntropyBackwardRowsComposed}; {@code gx} may be {@code e} itself (same offset).
     */
    default void crossEntropyBackwardRows(float[] e, int eOff, int rows, int cols, float[] invSum, int sOff, float a,
                                          float v, float c, int[] targets, int tOff, float[] gx, int gxOff) {
        crossEntropyBackwardRowsComposed(this, e, eOff, rows, cols, invSum, sOff, a, v, c, targets, tOff, gx, gxOff);
    }

    /** {@link #crossEntropyBackwardRows} as the sequence of {@code k}'s kernels it is defined by. */
    static void crossEntropyBackwardRowsComposed(Kernels k, float[] e, int eOff, int rows, int cols, float[] invSum,
                                                 int sOff, float a, float v, float c, int[] targets, int tOff,
                                                 float[] gx, int gxOff) {
        for (int r = 0; r < rows; r++) {
            int ei = eOff + r * cols, gi = gxOff + r * cols;
            k.binaryScalar(BinaryOp.MUL, e, ei, invSum[sOff + r] * a, gx, gi, cols);
            gx[gi + targets[tOff + r]] += v;
            if (c != 1f) {
                k.binaryScalar(BinaryOp.MUL, gx, gi, c, gx, gi, cols);
            }
        }
    }

    /**
     * Layer normalisation of each row of a {@code rows x cols} block, without the gain and shift's
     * gradients: for row r, {@code mean = sum(x_r) / cols}, {@code xhat_r = x_r - mean},
     * {@code var = sumSquares(xhat_r) / cols}, {@code invStd[r] = (float) (1 / sqrt(var + eps))},
     * {@code xhat_r *= invStd[r]}, {@code y_r = fma(xhat_r, gamma, beta)}. Each step is computed as
     * this provider's kernel of that name computes it ({@link #sum}, {@link #binaryScalar} SUB,
     * {@link #sumSquares}, {@link #binaryScalar} MUL, {@link #fma}): a provider's fused version must
     * give the bits of {@link #layerNormRowsComposed} on itself. Rows are independent.
     */
    default void layerNormRows(float[] x, int xOff, int rows, int cols, float[] gamma, int gOff, float[] beta, int bOff,
                               float eps, float[] xhat, int hOff, float[] y, int yOff, float[] invStd, int iOff) {
        layerNormRowsComposed(this, x, xOff, rows, cols, gamma, gOff, beta, bOff, eps, xhat, hOff, y, yOff, invStd, iOff);
    }

    /** {@link #layerNormRows} as the sequence of {@code k}'s kernels it is defined by. */
    static void layerNormRowsComposed(Kernels k, float[] x, int xOff, int rows, int cols, float[] gamma, int gOff,
                                      float[] beta, int bOff, float eps, float[] xhat, int hOff, float[] y, int yOff,
                                      float[] invStd, int iOff) {
        for (int r = 0; r < rows; r++) {
            int xi = xOff + r * cols, hi = hOff + r * cols;
            float mean = k.sum(x, xi, cols) / cols;
            k.binaryScalar(BinaryOp.SUB, x, xi, mean, xhat, hi, cols);
            float var = k.sumSquares(xhat, hi, cols) / cols;
            float inv = (float) (1.0 / Math.sqrt(var + eps));
            invStd[iOff + r] = inv;
            k.binaryScalar(BinaryOp.MUL, xhat, hi, inv, xhat, hi, cols);
            k.fma(xhat, hi, gamma, gOff, beta, bOff, y, yOff + r * cols, cols);
        }
    }

    /**
     * The input gradient of {@link #layerNormRows}, added to {@code gx}: for row r, with
     * {@code gh = g_r * gamma} ({@link #binary} MUL), {@code m1 = sum(gh) / cols},
     * {@code m2 = dot(gh, xhat_r) / cols}, then {@code axpy(invStd[r], gh, gx_r)},
     * {@code axpy(-invStd[r] * m2, xhat_r, gx_r)} and {@code gx_r - invStd[r] * m1}
     * ({@link #binaryScalar} SUB), each as this provider's kernel computes it. A fused version must
     * give the bits of {@link #layerNormBackwardRowsComposed} on itself.
     */
    default void layerNormBackwardRows(float[] g, int gOff, int rows, int cols, float[] gamma, int gaOff,
                                       float[] xhat, int hOff, float[] invStd, int iOff, float[] gx, int gxOff) {
        layerNormBackwardRowsComposed(this, g, gOff, rows, cols, gamma, gaOff, xhat, hOff, invStd, iOff, gx, gxOff);
    }

    /** {@link #layerNormBackwardRows} as the sequence of {@code k}'s kernels it is defined by. */
    static void layerNormBackwardRowsComposed(Kernels k, float[] g, int gOff, int rows, int cols, float[] gamma, int gaOff,
                                              float[] xhat, int hOff, float[] invStd, int iOff, float[] gx, int gxOff) {
        float[] gh = new float[cols];
        for (int r = 0; r < rows; r++) {
            int hi = hOff + r * cols, xi = gxOff + r * cols;
            float inv = invStd[iOff + r];
            k.binary(BinaryOp.MUL, g, gOff + r * cols, gamma, gaOff, gh, 0, cols);
            float m1 = k.sum(gh, 0, cols) / cols;
            float m2 = k.dot(gh, 0, xhat, hi, cols) / cols;
            k.axpy(inv, gh, 0, gx, xi, cols);
            k.axpy(-inv * m2, xhat, hi, gx, xi, cols);
            k.binaryScalar(BinaryOp.SUB, gx, xi, inv * m1, gx, xi, cols);
        }
    }

    /**
     * The gain's and shift's gradients of {@link #layerNormRows}: {@code dGamma[c] += sum_r g[r, c] *
     * xhat[r, c]} and {@code dBeta[c] += sum_r g[r, c]}, each column from its current value, then
     * row after row, each product rounded before it is added: the bits of {@link #binary} MUL
     * followed by {@link #sumCols} with {@code accumulate}. Either output may be null (not wanted).
     */
    default void layerNormParamGrads(float[] g, int gOff, float[] xhat, int hOff, int rows, int cols,
                                     float[] dGamma, int dgOff, float[] dBeta, int dbOff) {
        layerNormParamGrads(g, gOff, xhat, hOff, cols, rows, cols, dGamma, dgOff, dBeta, dbOff);
    }

    /**
     * As {@link #layerNormParamGrads(float[], int, float[], int, int, int, float[], int, float[], int)}
     * over {@code cols} columns of rows {@code ld} floats apart in {@code g} and {@code xhat} (a
     * column block of a wider matrix): each column's sums are the same whatever block it is in.
     */
    default void layerNormParamGrads(float[] g, int gOff, float[] xhat, int hOff, int ld, int rows, int cols,
                                     float[] dGamma, int dgOff, float[] dBeta, int dbOff) {
        if (dGamma != null) {
            for (int c = 0; c < cols; c++) {
                float s = dGamma[dgOff + c];
                for (int r = 0; r < rows; r++) s += g[gOff + r * ld + c] * xhat[hOff + r * ld + c];
                dGamma[dgOff + c] = s;
            }
        }
        if (dBeta != null) {
            sumCols(g, gOff, ld, rows, cols, dBeta, dbOff, true);
        }
    }

    // ---------------------------------------------------------------- indexing

    /** {@code out[i, :] = src[idx[i], :]} for i in [0, count); rows have {@code cols} values. */
    void gatherRows(float[] src, int srcOff, int cols, int[] idx, int idxOff, int count, float[] out, int outOff);

    /** {@code dst[idx[i], :] += src[i, :]} for i in [0, count). Repeated indices accumulate. */
    void scatterAddRows(float[] src, int srcOff, int cols, int[] idx, int idxOff, int count, float[] dst, int dstOff);
}
