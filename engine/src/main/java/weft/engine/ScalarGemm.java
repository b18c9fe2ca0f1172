package weft.engine;

/**
 * Plain-Java GEMM (see {@link Kernels#gemm}), the fallback when the Vector API is absent:
 * {@link GemmDriver}'s blocked, packed, multi-threaded structure with a scalar 4 x 8 register tile.
 *
 * <p>The tile keeps its 32 accumulators in an array that lives in L1 (C2 would spill 32 scalar
 * locals anyway) and its inner loop runs over the 8 contiguous columns of the packed B sliver,
 * a shape C2's superword pass can turn into vector instructions on JVMs that allow it.
 * Products are {@code a * b + c} (two roundings, Java does not contract to FMA).
 */
final class ScalarGemm {
    private ScalarGemm() {}

    private static final int MR = 4;
    private static final int NR = 8;

    static final GemmKernel KERNEL = new Kernel(128, 256);

    static void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        GemmDriver.gemm(KERNEL, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    static final class Kernel extends GemmKernel {
        Kernel(int mc, int kc) {
            super(MR, NR, mc, kc);
        }

        @Override
        void tile(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc,
                  boolean addC, int rows, int cols, float[] tmp) {
            float[] acc = tmp;
            java.util.Arrays.fill(acc, 0, MR * NR, 0f);
            for (int p = 0; p < kc; p++) {
                int pa = ao + p * MR, pb = bo + p * NR;
                for (int i = 0; i < MR; i++) {
                    float av = ap[pa + i];
                    int ti = i * NR;
                    for (int j = 0; j < NR; j++) {
                        acc[ti + j] += av * bp[pb + j];
                    }
                }
            }
            copyCorner(acc, NR, c, co, ldc, addC, rows, cols);
        }

        @Override
        void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
            for (int j = 0; j < n; j++) {
                y[yo + j] += alpha * x[xo + j];
            }
        }

        @Override
        float dot(int n, float[] x, int xo, float[] y, int yo) {
            float s = 0f;
            for (int p = 0; p < n; p++) {
                s += x[xo + p] * y[yo + p];
            }
            return s;
        }
    }
}
