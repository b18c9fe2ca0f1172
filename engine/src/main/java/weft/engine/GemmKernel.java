package weft.engine;

/**
 * The three primitives a GEMM provider supplies to {@link GemmDriver}: the register-tiled
 * micro-kernel over packed panels, and the axpy / dot used by the unpacked paths for skinny shapes.
 * {@link ScalarGemm} and {@link PanamaGemm} each implement it; everything else (blocking,
 * packing, threading) is shared so that the two differ only where SIMD matters.
 */
abstract class GemmKernel {
    /** Rows and columns of the register tile (the micro-kernel computes an mr x nr block of C). */
    final int mr, nr;
    /** Cache blocking: rows of a packed A block (kept in L2), depth of a packed panel (the A and B slivers of one tile stay in L1). */
    final int mc, kc;

    GemmKernel(int mr, int nr, int mc, int kc) {
        if (mc % mr != 0) {
            throw new IllegalArgumentException("mc must be a multiple of mr");
        }
        this.mr = mr;
        this.nr = nr;
        this.mc = mc;
        this.kc = kc;
    }

    /**
     * One register tile: {@code acc = sum_p ap[p] (x) bp[p]} over the packed slivers (A sliver at
     * {@code ao}: {@code kc} groups of {@code mr} values; B sliver at {@code bo}: {@code kc} groups
     * of {@code nr} values, both zero-padded), then {@code C = C + acc} when {@code addC}, else
     * {@code C = acc}, for the valid {@code rows x cols} corner only.
     *
     * <p>Contract that makes results independent of tiling and thread count: every element is
     * the same chain of operations whatever its position in the tile, in particular an edge tile
     * computes the full padded tile and copies the valid corner out of {@code tmp} (mr*nr floats).
     */
    abstract void tile(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc,
                       boolean addC, int rows, int cols, float[] tmp);

    /**
     * {@link #tile} for a full {@code mr}-row sliver read straight from the stored A, element
     * (r, p) at {@code a[ao + r*rs + p*cs]}: the same arithmetic on the same values, without
     * packing. Used when few B slivers share each A sliver (n = 64 in the models), where packing A
     * would cost as much as the multiply-adds it feeds.
     */
    abstract void tileDirectA(int kc, float[] a, int ao, int rs, int cs, float[] bp, int bo, float[] c, int co, int ldc,
                              boolean addC, int cols, float[] tmp);

    /**
     * Columns of C a {@link #transposedBlock} call computes at a time, or 0 where this kernel has
     * no such path (then the driver packs as usual).
     */
    int transposedBlockWidth() {
        return 0;
    }

    /**
     * One k block of {@code A^T B} read in place, for the weight gradients' form (A stored
     * {@code [kcb, m]} at row stride {@code lda}, B {@code [kcb, n]} at row stride {@code ldb}):
     * {@code out[outOff + i * n + j] = sum_p A[p, i] B[p, j]} for p in [0, kcb), each element the same chain
     * of fused multiply-adds from zero in p order as {@link #tile} computes, so the same bits.
     * Needs {@code m >= mr} and n a multiple of {@link #transposedBlockWidth}; {@code tail} holds
     * {@code mr * n} floats of scratch.
     */
    void transposedBlock(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int m, int n, int kcb,
                         float[] out, int outOff, float[] tail) {
        throw new UnsupportedOperationException("no transposed block path in " + getClass().getSimpleName());
    }

    /** {@code y[yo + j] += alpha * x[xo + j]} for j in [0, n). */
    abstract void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo);

    /** {@code sum_p x[xo + p] * y[yo + p]} for p in [0, n), in an order that depends on n only. */
    abstract float dot(int n, float[] x, int xo, float[] y, int yo);

    /**
     * Writes the valid {@code rows x cols} corner of a full tile held in {@code tmp} (row stride
     * {@code nr}) to C: {@code C = C + tmp} when {@code addC}, else {@code C = tmp}, the same
     * single rounding a full tile's store does.
     */
    static void copyCorner(float[] tmp, int nr, float[] c, int co, int ldc, boolean addC, int rows, int cols) {
        for (int i = 0; i < rows; i++) {
            int ci = co + i * ldc, ti = i * nr;
            for (int j = 0; j < cols; j++) {
                c[ci + j] = addC ? c[ci + j] + tmp[ti + j] : tmp[ti + j];
            }
        }
    }
}
