package weft.engine;

/**
 * The chosen provider with its large element-wise and row-wise loops split over the shared pool
 * ({@link Parallel}); everything else, and every small call, goes straight to the provider.
 *
 * <p>The bits do not change with the split. Element-wise ranges are cut at multiples of
 * {@link #ALIGN} elements, a multiple of every vector length, so each element is computed by the
 * same code (a vector body or the one scalar tail at the end of the whole range) as in a single
 * call; row-wise loops are cut between rows, and each row is computed as before; {@code sumCols}
 * is cut between columns, and each column is summed as before. Reductions to one value
 * ({@code sum}, {@code dot}, {@code max}, ...) keep their single sequential order and are not split.
 *
 * <p>Why: on a few cores the loops between the products (InfoNCE's {@code [n, n]} log-softmax,
 * gates' sigmoids, residual adds over every item's tokens) otherwise ran on the calling thread
 * alone while the other cores waited for the next GEMM.
 */
final class ParallelKernels implements Kernels {
    /** Element-wise ranges are cut at multiples of this many elements (every vector length divides it). */
    static final int ALIGN = 64;
    /** Below about this many elements per task, handing work to the pool costs more than it saves. */
    static final int MIN_PER_TASK = 1 << 15;

    private final Kernels k;

    ParallelKernels(Kernels k) {
        this.k = k;
    }

    /** The provider that does the arithmetic. */
    Kernels base() {
        return k;
    }

    private interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over [0, n) in ALIGN-aligned pieces of at least MIN_PER_TASK elements, or at once. */
    private static void elements(int n, Range body) {
        if (n < 2 * MIN_PER_TASK || Parallel.threads() == 1) {
            body.run(0, n);
            return;
        }
        int blocks = (n + ALIGN - 1) / ALIGN;
        Parallel.forRange(blocks, MIN_PER_TASK / ALIGN, (b0, b1) -> body.run(b0 * ALIGN, Math.min(n, b1 * ALIGN)));
    }

    /** Runs {@code body} over the rows [0, rows) in pieces of at least MIN_PER_TASK elements, or at once. */
    private static void rows(int rows, int cols, Range body) {
        long n = (long) rows * cols;
        if (n < 2L * MIN_PER_TASK || rows < 2 || Parallel.threads() == 1) {
            body.run(0, rows);
            return;
        }
        Parallel.forRange(rows, (int) Math.max(1, MIN_PER_TASK / Math.max(1, cols)), body::run);
    }

    @Override
    public String name() {
        return k.name();
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int kk, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        k.gemm(transA, transB, m, n, kk, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    @Override
    public void unary(UnaryOp op, float[] a, int aOff, float[] out, int outOff, int n, float param) {
        elements(n, (f, t) -> k.unary(op, a, aOff + f, out, outOff + f, t - f, param));
    }

    @Override
    public void binary(BinaryOp op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        elements(n, (f, t) -> k.binary(op, a, aOff + f, b, bOff + f, out, outOff + f, t - f));
    }

    @Override
    public void binaryScalar(BinaryOp op, float[] a, int aOff, float s, float[] out, int outOff, int n) {
        elements(n, (f, t) -> k.binaryScalar(op, a, aOff + f, s, out, outOff + f, t - f));
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        elements(n, (f, t) -> k.axpy(alpha, x, xOff + f, y, yOff + f, t - f));
    }

    @Override
    public void leakyReluGrad(float[] a, int aOff, float[] g, int gOff, float slope, float[] out, int outOff, int n, boolean accumulate) {
        elements(n, (f, t) -> k.leakyReluGrad(a, aOff + f, g, gOff + f, slope, out, outOff + f, t - f, accumulate));
    }

    @Override
    public void gatherAxpy(float[] val, int[] col, int from, int to, float[] x, int xOff, int d, float[] y, int yOff) {
        k.gatherAxpy(val, col, from, to, x, xOff, d, y, yOff);
    }

    @Override
    public void blockAxpy(int entries, int blocks, int bw, float[] w, int wOff, int wBlock, int wEntry,
                          float[] x, int xOff, int xStride, float[] y, int yOff) {
        k.blockAxpy(entries, blocks, bw, w, wOff, wBlock, wEntry, x, xOff, xStride, y, yOff);
    }

    @Override
    public void blockDots(int blocks, int bw, float[] x, int xOff, float[] y, int yOff, float[] out, int oOff, int oStride) {
        k.blockDots(blocks, bw, x, xOff, y, yOff, out, oOff, oStride);
    }

    @Override
    public void attentionScores(int tq, int tk, int heads, int dh, float[] q, int qOff, float[] k, int kOff,
                                float[] out, int oOff, float[] work, int wOff) {
        this.k.attentionScores(tq, tk, heads, dh, q, qOff, k, kOff, out, oOff, work, wOff);
    }

    @Override
    public void fma(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int outOff, int n) {
        elements(n, (f, t) -> k.fma(a, aOff + f, b, bOff + f, c, cOff + f, out, outOff + f, t - f));
    }

    @Override
    public void linear(float alpha, float[] a, int aOff, float beta, float[] b, int bOff, float[] out, int outOff, int n) {
        elements(n, (f, t) -> k.linear(alpha, a, aOff + f, beta, b, bOff + f, out, outOff + f, t - f));
    }

    @Override
    public float sum(float[] a, int aOff, int n) {
        return k.sum(a, aOff, n);
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return k.dot(a, aOff, b, bOff, n);
    }

    @Override
    public float sumSquares(float[] a, int aOff, int n) {
        return k.sumSquares(a, aOff, n);
    }

    @Override
    public float max(float[] a, int aOff, int n) {
        return k.max(a, aOff, n);
    }

    @Override
    public void sumRows(float[] a, int aOff, int rows, int cols, float[] out, int outOff, boolean accumulate) {
        rows(rows, cols, (f, t) -> k.sumRows(a, aOff + f * cols, t - f, cols, out, outOff + f, accumulate));
    }

    @Override
    public void sumCols(float[] a, int aOff, int rows, int cols, float[] out, int outOff, boolean accumulate) {
        sumCols(a, aOff, cols, rows, cols, out, outOff, accumulate);
    }

    @Override
    public void sumCols(float[] a, int aOff, int lda, int rows, int cols, float[] out, int outOff, boolean accumulate) {
        columns(rows, cols, (c0, c1) -> k.sumCols(a, aOff + c0, lda, rows, c1 - c0, out, outOff + c0, accumulate));
    }

    /** Column sums are split into column blocks of this many floats (one cache line). */
    static final int COL_BLOCK = 16;

    /**
     * Runs {@code body} over the columns [0, cols) of a {@code rows x cols} column reduction in
     * blocks of {@link #COL_BLOCK}, or at once: each column is summed over all rows in order by one
     * task, as in one call.
     */
    private static void columns(int rows, int cols, Range body) {
        long n = (long) rows * cols;
        int blocks = (cols + COL_BLOCK - 1) / COL_BLOCK;
        if (n < 2L * MIN_PER_TASK || blocks < 2 || Parallel.threads() == 1) {
            body.run(0, cols);
            return;
        }
        int grain = (int) Math.max(1, MIN_PER_TASK / Math.max(1L, (long) rows * COL_BLOCK));
        Parallel.forRange(blocks, grain, (b0, b1) -> body.run(b0 * COL_BLOCK, Math.min(cols, b1 * COL_BLOCK)));
    }

    @Override
    public void rowDot(float[] a, int aOff, float[] b, int bOff, int rows, int cols, float[] out, int outOff) {
        rows(rows, cols, (f, t) -> k.rowDot(a, aOff + f * cols, b, bOff + f * cols, t - f, cols, out, outOff + f));
    }

    @Override
    public void rowSoftmax(float[] a, int aOff, int rows, int cols, float[] out, int outOff) {
        rows(rows, cols, (f, t) -> k.rowSoftmax(a, aOff + f * cols, t - f, cols, out, outOff + f * cols));
    }

    @Override
    public void rowLogSoftmax(float[] a, int aOff, int rows, int cols, float[] out, int outOff) {
        rows(rows, cols, (f, t) -> k.rowLogSoftmax(a, aOff + f * cols, t - f, cols, out, outOff + f * cols));
    }

    @Override
    public void rowL2Normalize(float[] a, int aOff, int rows, int cols, float eps, float[] out, int outOff, float[] norms, int normsOff) {
        rows(rows, cols, (f, t) -> k.rowL2Normalize(a, aOff + f * cols, t - f, cols, eps, out, outOff + f * cols,
                norms, norms == null ? 0 : normsOff + f));
    }

    // Attention's per-sequence steps are small; the op splits the sequences itself.

    @Override
    public void attentionShift(float[] a, int off, int rows, int keys, float c) {
        k.attentionShift(a, off, rows, keys, c);
    }

    @Override
    public boolean attentionNormalize(float[] a, int off, int rows, int keys) {
        return k.attentionNormalize(a, off, rows, keys);
    }

    @Override
    public void attentionScoreGrad(float[] dS, int dOff, float[] a, int aOff, int rows, int keys, float c) {
        k.attentionScoreGrad(dS, dOff, a, aOff, rows, keys, c);
    }

    @Override
    public void crossEntropyRows(float[] x, int xOff, int rows, int cols, float c, int[] targets, int tOff,
                                 float[] e, int eOff, float[] invSum, float[] logProb, int sOff) {
        rows(rows, cols, (f, t) -> k.crossEntropyRows(x, xOff + f * cols, t - f, cols, c, targets, tOff + f,
                e, eOff + f * cols, invSum, logProb, sOff + f));
    }

    @Override
    public void crossEntropyBackwardRows(float[] e, int eOff, int rows, int cols, float[] invSum, int sOff, float a,
                                         float v, float c, int[] targets, int tOff, float[] gx, int gxOff) {
        rows(rows, cols, (f, t) -> k.crossEntropyBackwardRows(e, eOff + f * cols, t - f, cols, invSum, sOff + f,
                a, v, c, targets, tOff + f, gx, gxOff + f * cols));
    }

    @Override
    public void layerNormRows(float[] x, int xOff, int rows, int cols, float[] gamma, int gOff, float[] beta, int bOff,
                              float eps, float[] xhat, int hOff, float[] y, int yOff, float[] invStd, int iOff) {
        rows(rows, cols, (f, t) -> k.layerNormRows(x, xOff + f * cols, t - f, cols, gamma, gOff, beta, bOff, eps,
                xhat, hOff + f * cols, y, yOff + f * cols, invStd, iOff + f));
    }

    @Override
    public void layerNormBackwardRows(float[] g, int gOff, int rows, int cols, float[] gamma, int gaOff,
                                      float[] xhat, int hOff, float[] invStd, int iOff, float[] gx, int gxOff) {
        rows(rows, cols, (f, t) -> k.layerNormBackwardRows(g, gOff + f * cols, t - f, cols, gamma, gaOff,
                xhat, hOff + f * cols, invStd, iOff + f, gx, gxOff + f * cols));
    }

    /** Split by column blocks as {@link #sumCols}. */
    @Override
    public void layerNormParamGrads(float[] g, int gOff, float[] xhat, int hOff, int ld, int rows, int cols,
                                    float[] dGamma, int dgOff, float[] dBeta, int dbOff) {
        columns(rows, cols, (c0, c1) -> k.layerNormParamGrads(g, gOff + c0, xhat, hOff + c0, ld, rows, c1 - c0,
                dGamma, dgOff + c0, dBeta, dbOff + c0));
    }

    @Override
    public void gatherRows(float[] src, int srcOff, int cols, int[] idx, int idxOff, int count, float[] out, int outOff) {
        rows(count, cols, (f, t) -> k.gatherRows(src, srcOff, cols, idx, idxOff + f, t - f, out, outOff + f * cols));
    }

    @Override
    public void scatterAddRows(float[] src, int srcOff, int cols, int[] idx, int idxOff, int count, float[] dst, int dstOff) {
        k.scatterAddRows(src, srcOff, cols, idx, idxOff, count, dst, dstOff);
    }
}
