package weft.engine;

/** Shape-checked matrix products on tensors, over {@link Kernels#gemm}. */
public final class MatMul {
    private MatMul() {}

    /** {@code op(a) op(b)} into a new tensor, where op transposes when the flag is set. */
    public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        int m = transA ? a.cols : a.rows;
        int n = transB ? b.rows : b.cols;
        Tensor c = Tensor.uninitialized(m, n);   // the product writes every element (zeros for k = 0)
        matmulInto(a, transA, b, transB, c, false);
        return c;
    }

    /** {@code a b} into a new tensor. */
    public static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, false, b, false);
    }

    /** {@code c = op(a) op(b)}, or {@code c += op(a) op(b)} when {@code accumulate}. */
    public static void matmulInto(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, boolean accumulate) {
        int m = transA ? a.cols : a.rows;
        int k = transA ? a.rows : a.cols;
        int kb = transB ? b.cols : b.rows;
        int n = transB ? b.rows : b.cols;
        if (k != kb || c.rows != m || c.cols != n) {
            throw new IllegalArgumentException("matmul: shape mismatch " + a.shape() + (transA ? "^T" : "")
                    + " x " + b.shape() + (transB ? "^T" : "") + " -> " + c.shape()
                    + " (inner dimensions " + k + " vs " + kb + ", expected output [" + m + ", " + n + "])");
        }
        if (c.data == a.data || c.data == b.data) {
            if (overlaps(c, a) || overlaps(c, b)) {
                throw new IllegalArgumentException("matmul: output " + c.shape() + " overlaps an input");
            }
        }
        Kernels.get().gemm(transA, transB, m, n, k, a.data, a.offset, a.cols, b.data, b.offset, b.cols,
                c.data, c.offset, c.cols, accumulate);
    }

    /**
     * Floating-point operations of all the dense products this JVM has run so far ({@code 2 m n k}
     * for each {@link Kernels#gemm}, on any provider and thread): for the op profile's GFLOP/s
     * column. It counts work, not time, so it is the same in every run of the same step. Products
     * computed with other kernels (attention's per-sequence scores, {@code Ops.bmm}'s dots and axpys)
     * are not counted.
     */
    public static long work() {
        return GemmDriver.work();
    }

    private static boolean overlaps(Tensor x, Tensor y) {
        return x.data == y.data && x.offset < y.offset + y.size() && y.offset < x.offset + x.size();
    }
}
