package weft.graph;

import weft.autograd.Var;
import weft.engine.Kernels;
import weft.engine.Parallel;
import weft.engine.Tensor;

/**
 * Sparse x dense products: {@code Y = A X} with A a CSR matrix [n, m] and X a dense [m, d] tensor,
 * {@code Y[r, :] = sum_e A[r, c_e] X[c_e, :]} over row r's entries in column order.
 *
 * <p>As an autograd op ({@link #apply}): {@code dL/dX = A^T dL/dY}. When A is flagged symmetric
 * (the normalised adjacency) the backward pass multiplies by A itself; otherwise by A's transpose,
 * which {@link CsrMatrix#transpose()} builds once and caches on the matrix. A carries no gradient
 * (the graphs are fixed or resampled, never learned).
 *
 * <p>Rows are split into contiguous blocks of roughly equal non-zero count (degrees are skewed, so
 * equal row counts would leave one thread with the popular items) and run on the shared pool.
 * Each output row is computed by exactly one task with the same arithmetic whatever the split,
 * so results are bit-identical for every thread count.
 */
public final class SpMM {
    /**
     * The inner loop: how one row's entries are accumulated. {@link #BLOCKED} is the default (it
     * measured fastest in {@code SpmmBenchmark}, see docs/performance.md); it gives the same bits
     * as {@link #AXPY}, and both are bit-identical on both kernel providers. The others are
     * comparison points for the benchmark.
     */
    public enum Inner {
        /**
         * {@code Kernels.gatherAxpy} once per row: the output row held in registers while all of
         * the row's entries are added, each step rounded as axpy rounds it (same bits as AXPY).
         */
        BLOCKED,
        /** {@code Kernels.axpy} once per entry (the Vector API kernel where available). */
        AXPY,
        /** A plain loop per entry, left to the JIT's auto-vectoriser. */
        LOOP,
        /**
         * Four entries at a time, {@code y += v0 x0 + v1 x1 + v2 x2 + v3 x3}: a quarter of the
         * loads and stores of the output row, which dominate for d = 64.
         */
        FUSED4
    }

    /** Minimum multiply-adds per task before splitting pays for the fork. */
    private static final long MIN_WORK_PER_TASK = 1 << 15;

    private SpMM() {}

    /** {@code A X} into a new tensor. */
    public static Tensor multiply(CsrMatrix a, Tensor x) {
        Tensor y = Tensor.uninitialized(a.rows, checkShapes("SpMM.multiply", a, x));   // each row is zeroed, then summed
        multiplyInto(a, x, y, false, Inner.BLOCKED);
        return y;
    }

    /** {@code Y = A X}, or {@code Y += A X} when {@code accumulate}. Y must not overlap X. */
    public static void multiplyInto(CsrMatrix a, Tensor x, Tensor y, boolean accumulate) {
        multiplyInto(a, x, y, accumulate, Inner.BLOCKED);
    }

    /** As {@link #multiplyInto(CsrMatrix, Tensor, Tensor, boolean)} with a chosen inner loop (benchmarks). */
    public static void multiplyInto(CsrMatrix a, Tensor x, Tensor y, boolean accumulate, Inner inner) {
        int d = checkShapes("SpMM.multiplyInto", a, x);
        if (y.rows != a.rows || y.cols != d) {
            throw new IllegalArgumentException("SpMM.multiplyInto: output " + y.shape() + " for sparse " + a.shape()
                    + " x dense " + x.shape() + ", expected [" + a.rows + ", " + d + "]");
        }
        if (y.data == x.data && y.offset < x.offset + x.size() && x.offset < y.offset + y.size()) {
            throw new IllegalArgumentException("SpMM.multiplyInto: output " + y.shape() + " overlaps the dense input " + x.shape());
        }
        if (a.rows == 0 || d == 0) {
            return;
        }
        int[] bounds = rowBlocks(a, (long) a.nnz() * d);
        Parallel.forEach(bounds.length - 1, b -> rows(a, x, y, accumulate, inner, bounds[b], bounds[b + 1]));
    }

    /** The autograd op {@code A X}; gradient {@code A^T G} flows to X only. */
    public static Var apply(CsrMatrix a, Var x) {
        Tensor y = multiply(a, x.value);
        return Var.op("spmm", y, g -> x.accumulateOwned(multiply(a.transpose(), g)), x);
    }

    private static int checkShapes(String op, CsrMatrix a, Tensor x) {
        if (a.cols != x.rows) {
            throw new IllegalArgumentException(op + ": sparse " + a.shape() + " x dense " + x.shape() + ": inner dimensions "
                    + a.cols + " vs " + x.rows);
        }
        return x.cols;
    }

    /**
     * Row boundaries of up to 4 blocks per thread with about equal non-zero counts (binary search
     * on rowPtr), fewer when the total work is small. Depends on the thread count, which is fine:
     * the split changes which task computes a row, never how.
     */
    static int[] rowBlocks(CsrMatrix a, long work) {
        int parts = (int) Math.max(1, Math.min((long) Parallel.threads() * 4, work / MIN_WORK_PER_TASK));
        parts = Math.min(parts, Math.max(1, a.rows));
        int[] bounds = new int[parts + 1];
        long nnz = a.nnz();
        for (int p = 1; p < parts; p++) {
            long targetNnz = nnz * p / parts;
            int lo = bounds[p - 1], hi = a.rows;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (a.rowPtr[mid] < targetNnz) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            bounds[p] = lo;
        }
        bounds[parts] = a.rows;
        return bounds;
    }

    private static void rows(CsrMatrix a, Tensor x, Tensor y, boolean accumulate, Inner inner, int from, int to) {
        final int d = x.cols;
        final int[] ptr = a.rowPtr;
        final int[] col = a.colIdx;
        final float[] val = a.values;
        final float[] xd = x.data;
        final float[] yd = y.data;
        final int xo = x.offset;
        Kernels k = Kernels.get();
        for (int r = from; r < to; r++) {
            int yo = y.offset + r * d;
            if (!accumulate) {
                java.util.Arrays.fill(yd, yo, yo + d, 0f);
            }
            int e = ptr[r];
            int end = ptr[r + 1];
            switch (inner) {
                case BLOCKED:
                    k.gatherAxpy(val, col, e, end, xd, xo, d, yd, yo);
                    break;
                case AXPY:
                    for (; e < end; e++) {
                        k.axpy(val[e], xd, xo + col[e] * d, yd, yo, d);
                    }
                    break;
                case LOOP:
                    for (; e < end; e++) {
                        float v = val[e];
                        int xr = xo + col[e] * d;
                        for (int j = 0; j < d; j++) {
                            yd[yo + j] += v * xd[xr + j];
                        }
                    }
                    break;
                default:
                    for (; e + 4 <= end; e += 4) {
                        float v0 = val[e], v1 = val[e + 1], v2 = val[e + 2], v3 = val[e + 3];
                        int x0 = xo + col[e] * d, x1 = xo + col[e + 1] * d, x2 = xo + col[e + 2] * d, x3 = xo + col[e + 3] * d;
                        for (int j = 0; j < d; j++) {
                            yd[yo + j] += v0 * xd[x0 + j] + v1 * xd[x1 + j] + v2 * xd[x2 + j] + v3 * xd[x3 + j];
                        }
                    }
                    for (; e < end; e++) {
                        float v = val[e];
                        int xr = xo + col[e] * d;
                        for (int j = 0; j < d; j++) {
                            yd[yo + j] += v * xd[xr + j];
                        }
                    }
            }
        }
    }
}
