package weft.engine;

/**
 * Kernels on the Vector API ({@code jdk.incubator.vector}). Loaded reflectively by
 * {@link KernelProvider} only when the module is present. Methods not overridden here fall back
 * to the scalar reference.
 */
final class PanamaKernels extends ScalarKernels {
    PanamaKernels() {
        // Touch the Vector API so that a missing module fails here, at selection time.
        jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    }

    @Override
    public String name() {
        return "panama-" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        PanamaGemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }
}
