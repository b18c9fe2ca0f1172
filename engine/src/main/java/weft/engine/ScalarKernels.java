package weft.engine;

/** Plain-Java kernels: the reference every SIMD kernel is tested against, and the fallback. */
public class ScalarKernels implements Kernels {
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    protected ScalarKernels() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        ScalarGemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    @Override
    public void unary(UnaryOp op, float[] a, int aOff, float[] out, int outOff, int n, float param) {
        switch (op) {
            case NEG:
                for (int i = 0; i < n; i++) out[outOff + i] = -a[aOff + i];
                break;
            case SQUARE:
                for (int i = 0; i < n; i++) { float x = a[aOff + i]; out[outOff + i] = x * x; }
                break;
            case RELU:
                for (int i = 0; i < n; i++) { float x = a[aOff + i]; out[outOff + i] = x > 0 ? x : 0f; }
                break;
            default:
                for (int i = 0; i < n; i++) out[outOff + i] = op.apply(a[aOff + i], param);
        }
    }

    @Override
    public void binary(BinaryOp op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        switch (op) {
            case ADD: for (int i = 0; i < n; i++) out[outOff + i] = a[aOff + i] + b[bOff + i]; break;
            case SUB: for (int i = 0; i < n; i++) out[outOff + i] = a[aOff + i] - b[bOff + i]; break;
            case MUL: for (int i = 0; i < n; i++) out[outOff + i] = a[aOff + i] * b[bOff + i]; break;
            case DIV: for (int i = 0; i < n; i++) out[outOff + i] = a[aOff + i] / b[bOff + i]; break;
            default: for (int i = 0; i < n; i++) out[outOff + i] = op.apply(a[aOff + i], b[bOff + i]);
        }
    }

    @Override
    public void binaryScalar(BinaryOp op, float[] a, int aOff, float s, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = op.apply(a[aOff + i], s);
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public void leakyReluGrad(float[] a, int aOff, float[] g, int gOff, float slope, float[] out, int outOff, int n, boolean accumulate) {
        for (int i = 0; i < n; i++) {
            float gi = g[gOff + i];
            float t = a[aOff + i] > 0f ? gi : slope * gi;
            out[outOff + i] = accumulate ? out[outOff + i] + t : t;
        }
    }

    @Override
    public void fma(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = Math.fma(a[aOff + i], b[bOff + i], c[cOff + i]);
    }

    @Override
    public void linear(float alpha, float[] a, int aOff, float beta, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = alpha * a[aOff + i] + beta * b[bOff + i];
    }

    @Override
    public float sum(float[] a, int aOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += a[aOff + i];
        return s;
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    @Override
    public float sumSquares(float[] a, int aOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) { float x = a[aOff + i]; s += x * x; }
        return s;
    }

    @Override
    public float max(float[] a, int aOff, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, a[aOff + i]);
        return m;
    }

    @Override
    public void sumRows(float[] a, int aOff, int rows, int cols, float[] out, int outOff, boolean accumulate) {
        for (int r = 0; r < rows; r++) {
            float s = sum(a, aOff + r * cols, cols);
            out[outOff + r] = accumulate ? out[outOff + r] + s : s;
        }
    }

    @Override
    public void sumCols(float[] a, int aOff, int rows, int cols, float[] out, int outOff, boolean accumulate) {
        sumCols(a, aOff, cols, rows, cols, out, outOff, accumulate);
    }

    @Override
    public void sumCols(float[] a, int aOff, int lda, int rows, int cols, float[] out, int outOff, boolean accumulate) {
        if (!accumulate) {
            java.util.Arrays.fill(out, outOff, outOff + cols, 0f);
        }
        for (int r = 0; r < rows; r++) {
            axpy(1f, a, aOff + r * lda, out, outOff, cols);
        }
    }

    @Override
    public void rowDot(float[] a, int aOff, float[] b, int bOff, int rows, int cols, float[] out, int outOff) {
        for (int r = 0; r < rows; r++) {
            out[outOff + r] = dot(a, aOff + r * cols, b, bOff + r * cols, cols);
        }
    }

    @Override
    public void rowSoftmax(float[] a, int aOff, int rows, int cols, float[] out, int outOff) {
        for (int r = 0; r < rows; r++) {
            int ai = aOff + r * cols, oi = outOff + r * cols;
            float m = max(a, ai, cols);
            float s = 0f;
            for (int c = 0; c < cols; c++) {
                float e = (float) Math.exp(a[ai + c] - m);
                out[oi + c] = e;
                s += e;
            }
            float inv = 1f / s;
            for (int c = 0; c < cols; c++) out[oi + c] *= inv;
        }
    }

    @Override
    public void rowLogSoftmax(float[] a, int aOff, int rows, int cols, float[] out, int outOff) {
        for (int r = 0; r < rows; r++) {
            int ai = aOff + r * cols, oi = outOff + r * cols;
            float m = max(a, ai, cols);
            float s = 0f;
            for (int c = 0; c < cols; c++) s += (float) Math.exp(a[ai + c] - m);
            float lse = m + (float) Math.log(s);
            for (int c = 0; c < cols; c++) out[oi + c] = a[ai + c] - lse;
        }
    }

    @Override
    public void rowL2Normalize(float[] a, int aOff, int rows, int cols, float eps, float[] out, int outOff, float[] norms, int normsOff) {
        for (int r = 0; r < rows; r++) {
            int ai = aOff + r * cols, oi = outOff + r * cols;
            float norm = (float) Math.sqrt(sumSquares(a, ai, cols));
            if (norms != null) norms[normsOff + r] = norm;
            float inv = 1f / Math.max(norm, eps);
            for (int c = 0; c < cols; c++) out[oi + c] = a[ai + c] * inv;
        }
    }

    @Override
    public void gatherRows(float[] src, int srcOff, int cols, int[] idx, int idxOff, int count, float[] out, int outOff) {
        for (int i = 0; i < count; i++) {
            System.arraycopy(src, rowStart("gatherRows", src, srcOff, cols, idx, idxOff + i), out, outOff + i * cols, cols);
        }
    }

    @Override
    public void scatterAddRows(float[] src, int srcOff, int cols, int[] idx, int idxOff, int count, float[] dst, int dstOff) {
        for (int i = 0; i < count; i++) {
            axpy(1f, src, srcOff + i * cols, dst, rowStart("scatterAddRows", dst, dstOff, cols, idx, idxOff + i), cols);
        }
    }

    /**
     * Start of row {@code idx[pos]} of the matrix at {@code table[off..]}, after checking that
     * the row lies inside the array. Without the check a negative index with a nonzero offset
     * would silently read or write another tensor's memory instead of failing.
     */
    static int rowStart(String op, float[] table, int off, int cols, int[] idx, int pos) {
        int r = idx[pos];
        long start = off + (long) r * cols;
        if (r < 0 || start + cols > table.length) {
            throw new IndexOutOfBoundsException(op + ": row index " + r + " (idx[" + pos + "]) is outside the "
                    + (table.length - off) / Math.max(cols, 1) + " rows of " + cols + " values at offset " + off);
        }
        return (int) start;
    }
}
