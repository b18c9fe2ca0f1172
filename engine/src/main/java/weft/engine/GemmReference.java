package weft.engine;

/**
 * The textbook triple loop, with a float64 accumulator: the trusted reference that both GEMM
 * kernels are tested against. Slow; never used on a hot path.
 */
public final class GemmReference {
    private GemmReference() {}

    public static void gemm(boolean transA, boolean transB, int m, int n, int k,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c[cOff + i * ldc + j] : 0.0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += (double) av * bv;
                }
                c[cOff + i * ldc + j] = (float) s;
            }
        }
    }
}
