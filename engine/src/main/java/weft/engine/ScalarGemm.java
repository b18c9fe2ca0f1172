package weft.engine;

/**
 * Plain-Java GEMM (see {@link Kernels#gemm}), the fallback when the Vector API is absent:
 * {@link GemmDriver}'s blocked, packed, multi-threaded structure with a scalar 4 x 4 register tile.
 *
 * <p>Why 4 x 4 in locals: 16 accumulators, 4 B values and 1 A value are about the 16 registers
 * C2 has for floats on x86-64; measured 1.5-2x faster than a 4 x 8 or 4 x 32 tile kept in an
 * array (C2 did not vectorise those inner loops). Products are {@code a * b + c} (two roundings;
 * Java never contracts to FMA). Edge tiles go through {@code tmp} like full ones, see
 * {@link GemmKernel#tile}.
 */
final class ScalarGemm {
    private ScalarGemm() {}

    private static final int MR = 4;
    private static final int NR = 4;

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
            float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
            float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
            for (int p = 0; p < kc; p++) {
                int pa = ao + p * MR, pb = bo + p * NR;
                float b0 = bp[pb], b1 = bp[pb + 1], b2 = bp[pb + 2], b3 = bp[pb + 3];
                float av = ap[pa];
                c00 += av * b0; c01 += av * b1; c02 += av * b2; c03 += av * b3;
                av = ap[pa + 1];
                c10 += av * b0; c11 += av * b1; c12 += av * b2; c13 += av * b3;
                av = ap[pa + 2];
                c20 += av * b0; c21 += av * b1; c22 += av * b2; c23 += av * b3;
                av = ap[pa + 3];
                c30 += av * b0; c31 += av * b1; c32 += av * b2; c33 += av * b3;
            }
            tmp[0] = c00; tmp[1] = c01; tmp[2] = c02; tmp[3] = c03;
            tmp[4] = c10; tmp[5] = c11; tmp[6] = c12; tmp[7] = c13;
            tmp[8] = c20; tmp[9] = c21; tmp[10] = c22; tmp[11] = c23;
            tmp[12] = c30; tmp[13] = c31; tmp[14] = c32; tmp[15] = c33;
            copyCorner(tmp, NR, c, co, ldc, addC, rows, cols);
        }

        @Override
        void tileDirectA(int kc, float[] a, int ao, int rs, int cs, float[] bp, int bo, float[] c, int co, int ldc,
                         boolean addC, int cols, float[] tmp) {
            float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
            float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
            int r0 = ao, r1 = ao + rs, r2 = ao + 2 * rs, r3 = ao + 3 * rs;
            for (int p = 0; p < kc; p++) {
                int pa = p * cs, pb = bo + p * NR;
                float b0 = bp[pb], b1 = bp[pb + 1], b2 = bp[pb + 2], b3 = bp[pb + 3];
                float av = a[r0 + pa];
                c00 += av * b0; c01 += av * b1; c02 += av * b2; c03 += av * b3;
                av = a[r1 + pa];
                c10 += av * b0; c11 += av * b1; c12 += av * b2; c13 += av * b3;
                av = a[r2 + pa];
                c20 += av * b0; c21 += av * b1; c22 += av * b2; c23 += av * b3;
                av = a[r3 + pa];
                c30 += av * b0; c31 += av * b1; c32 += av * b2; c33 += av * b3;
            }
            tmp[0] = c00; tmp[1] = c01; tmp[2] = c02; tmp[3] = c03;
            tmp[4] = c10; tmp[5] = c11; tmp[6] = c12; tmp[7] = c13;
            tmp[8] = c20; tmp[9] = c21; tmp[10] = c22; tmp[11] = c23;
            tmp[12] = c30; tmp[13] = c31; tmp[14] = c32; tmp[15] = c33;
            copyCorner(tmp, NR, c, co, ldc, addC, MR, cols);
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
