package weft.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM on the Vector API (see {@link Kernels#gemm}): {@link GemmDriver}'s blocked, packed,
 * multi-threaded structure with a 6-row register tile of {@link FloatVector#fma} (L = float lanes
 * of the preferred species).
 *
 * <p>Two tiles, the same arithmetic. Every element of C is the same chain of fmas over a k block
 * whatever tile computes it (see {@link GemmKernel#tile}), so the tile's width is a speed choice
 * that cannot change a bit:
 * <ul>
 *   <li>6 x 2L ({@link Kernel}): 12 accumulators, 2 B vectors and 1 broadcast A value fill the 16
 *       vector registers of AVX2 without spilling; each k step issues 12 FMAs against 8 loads, and
 *       2L = 16 columns divides the models' n = 64 (a 4 x 3L tile wastes a third of its last tile
 *       at n = 64). Measured against 4 x 24 on the 1024^3 product: see GemmBenchmark's notes.</li>
 *   <li>6 x 4L ({@link WideKernel}), where there are 32 vector registers (AVX-512, L = 16): 24
 *       accumulators, 4 B vectors and 1 broadcast; 24 FMAs against 10 loads per k step, and one
 *       tile spans the models' n = 64. Taken for 2L &lt; n &le; 512 ({@link #kernelFor}). Measured
 *       on AVX-512, one thread, best of 0.15 s per shape (same bits checked), against the narrow
 *       tile with the same driver: 5-10 % more GFLOP/s on the models' thin products (1425 x 64 x 64
 *       NT 200 against 189, 1425 x 384 x 64 NN 200 against 190); of the other tiles tried, 12 x 2L,
 *       8 x 2L, 4 x 4L, 5 x 4L, 7 x 4L and 8 x 3L, none was better on all of them. With B read in
 *       place as well ({@link GemmDriver#readsBInPlace}) the weight gradient 64 x 64 x 1425 TN went
 *       from 127-138 to 173-187 GFLOP/s.</li>
 * </ul>
 */
final class PanamaGemm {
    private PanamaGemm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 6;

    /** mc * kc floats of packed A (144 x 256 x 4 B = 144 KiB) stay in L2; a kc x NR B sliver (16 KiB at 2L on AVX2) in L1. */
    static final GemmKernel KERNEL = new Kernel(144, 256);
    /** The 6 x 4L tile with the same blocking; {@code null} where the preferred species has fewer than 16 lanes. */
    static final GemmKernel WIDE = L >= 16 ? new WideKernel(144, 256) : null;
    /** Whether {@link #kernelFor} may choose the wide tile; benchmarks set false to measure the narrow one everywhere (same results). */
    static volatile boolean wideTiles = true;

    static void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        GemmDriver.gemm(kernelFor(n), transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /**
     * The tile for a product n columns wide: the wide one where it exists and n needs more than one
     * narrow tile, up to {@link GemmDriver#DIRECT_A_COLS} columns (the thin products of the models,
     * where A is read in place); wider products, which pack A, measured 4-7 % slower with it
     * (2048^3 NN, 1024^3 NT).
     */
    static GemmKernel kernelFor(int n) {
        return wideTiles && WIDE != null && n > 2 * L && n <= GemmDriver.DIRECT_A_COLS ? WIDE : KERNEL;
    }

    /** The 6 x 2L tile: 12 accumulators, 2 B vectors and 1 broadcast fill AVX2's 16 vector registers. */
    static final class Kernel extends GemmKernel {
        private static final int NR = 2 * L;

        Kernel(int mc, int kc) {
            super(MR, NR, mc, kc);
        }

        @Override
        void tile(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc,
                  boolean addC, int rows, int cols, float[] tmp) {
            FloatVector z = FloatVector.zero(S);
            FloatVector c00 = z, c01 = z, c10 = z, c11 = z;
            FloatVector c20 = z, c21 = z, c30 = z, c31 = z;
            FloatVector c40 = z, c41 = z, c50 = z, c51 = z;
            // Indices are affine in p so that C2 can hoist the bounds checks out of the loop.
            for (int p = 0; p < kc; p++) {
                int pb = bo + p * NR, pa = ao + p * MR;
                FloatVector b0 = FloatVector.fromArray(S, bp, pb);
                FloatVector b1 = FloatVector.fromArray(S, bp, pb + 1 * L);
                FloatVector av;
                av = FloatVector.broadcast(S, ap[pa + 0]);
                c00 = av.fma(b0, c00);
                c01 = av.fma(b1, c01);
                av = FloatVector.broadcast(S, ap[pa + 1]);
                c10 = av.fma(b0, c10);
                c11 = av.fma(b1, c11);
                av = FloatVector.broadcast(S, ap[pa + 2]);
                c20 = av.fma(b0, c20);
                c21 = av.fma(b1, c21);
                av = FloatVector.broadcast(S, ap[pa + 3]);
                c30 = av.fma(b0, c30);
                c31 = av.fma(b1, c31);
                av = FloatVector.broadcast(S, ap[pa + 4]);
                c40 = av.fma(b0, c40);
                c41 = av.fma(b1, c41);
                av = FloatVector.broadcast(S, ap[pa + 5]);
                c50 = av.fma(b0, c50);
                c51 = av.fma(b1, c51);
            }
            if (rows == MR && cols == NR) {
                // Written out, not a helper taking vectors: a helper that C2 declines to inline (it judged the call
                // sites cold when warm-up saw mostly edge tiles) receives boxed vectors and runs without intrinsics,
                // which made whole trainings 3x slower in some JVM runs and not others.
                if (addC) {
                    c00 = c00.add(FloatVector.fromArray(S, c, co + 0 * ldc));
                    c01 = c01.add(FloatVector.fromArray(S, c, co + 0 * ldc + 1 * L));
                    c10 = c10.add(FloatVector.fromArray(S, c, co + 1 * ldc));
                    c11 = c11.add(FloatVector.fromArray(S, c, co + 1 * ldc + 1 * L));
                    c20 = c20.add(FloatVector.fromArray(S, c, co + 2 * ldc));
                    c21 = c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + 1 * L));
                    c30 = c30.add(FloatVector.fromArray(S, c, co + 3 * ldc));
                    c31 = c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + 1 * L));
                    c40 = c40.add(FloatVector.fromArray(S, c, co + 4 * ldc));
                    c41 = c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + 1 * L));
                    c50 = c50.add(FloatVector.fromArray(S, c, co + 5 * ldc));
                    c51 = c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + 1 * L));
                }
                c00.intoArray(c, co + 0 * ldc);
                c01.intoArray(c, co + 0 * ldc + 1 * L);
                c10.intoArray(c, co + 1 * ldc);
                c11.intoArray(c, co + 1 * ldc + 1 * L);
                c20.intoArray(c, co + 2 * ldc);
                c21.intoArray(c, co + 2 * ldc + 1 * L);
                c30.intoArray(c, co + 3 * ldc);
                c31.intoArray(c, co + 3 * ldc + 1 * L);
                c40.intoArray(c, co + 4 * ldc);
                c41.intoArray(c, co + 4 * ldc + 1 * L);
                c50.intoArray(c, co + 5 * ldc);
                c51.intoArray(c, co + 5 * ldc + 1 * L);
            } else {
                c00.intoArray(tmp, 0 * NR);
                c01.intoArray(tmp, 0 * NR + 1 * L);
                c10.intoArray(tmp, 1 * NR);
                c11.intoArray(tmp, 1 * NR + 1 * L);
                c20.intoArray(tmp, 2 * NR);
                c21.intoArray(tmp, 2 * NR + 1 * L);
                c30.intoArray(tmp, 3 * NR);
                c31.intoArray(tmp, 3 * NR + 1 * L);
                c40.intoArray(tmp, 4 * NR);
                c41.intoArray(tmp, 4 * NR + 1 * L);
                c50.intoArray(tmp, 5 * NR);
                c51.intoArray(tmp, 5 * NR + 1 * L);
                copyCorner(tmp, NR, c, co, ldc, addC, rows, cols);
            }
        }

        @Override
        void tileDirectA(int kc, float[] a, int ao, int rs, int cs, int rows, float[] bp, int bo, int bs,
                         float[] c, int co, int ldc, boolean addC, int cols, float[] tmp) {
            FloatVector z = FloatVector.zero(S);
            FloatVector c00 = z, c01 = z, c10 = z, c11 = z;
            FloatVector c20 = z, c21 = z, c30 = z, c31 = z;
            FloatVector c40 = z, c41 = z, c50 = z, c51 = z;
            // Rows past the valid ones repeat row 0: in bounds, and their results are never stored.
            int r0 = ao, r1 = rows > 1 ? ao + 1 * rs : ao, r2 = rows > 2 ? ao + 2 * rs : ao, r3 = rows > 3 ? ao + 3 * rs : ao, r4 = rows > 4 ? ao + 4 * rs : ao, r5 = rows > 5 ? ao + 5 * rs : ao;
            for (int p = 0; p < kc; p++) {
                int pb = bo + p * bs, pa = p * cs;
                FloatVector b0 = FloatVector.fromArray(S, bp, pb);
                FloatVector b1 = FloatVector.fromArray(S, bp, pb + 1 * L);
                FloatVector av;
                av = FloatVector.broadcast(S, a[r0 + pa]);
                c00 = av.fma(b0, c00);
                c01 = av.fma(b1, c01);
                av = FloatVector.broadcast(S, a[r1 + pa]);
                c10 = av.fma(b0, c10);
                c11 = av.fma(b1, c11);
                av = FloatVector.broadcast(S, a[r2 + pa]);
                c20 = av.fma(b0, c20);
                c21 = av.fma(b1, c21);
                av = FloatVector.broadcast(S, a[r3 + pa]);
                c30 = av.fma(b0, c30);
                c31 = av.fma(b1, c31);
                av = FloatVector.broadcast(S, a[r4 + pa]);
                c40 = av.fma(b0, c40);
                c41 = av.fma(b1, c41);
                av = FloatVector.broadcast(S, a[r5 + pa]);
                c50 = av.fma(b0, c50);
                c51 = av.fma(b1, c51);
            }
            if (rows == MR && cols == NR) {
                // Written out, not a helper taking vectors: a helper that C2 declines to inline (it judged the call
                // sites cold when warm-up saw mostly edge tiles) receives boxed vectors and runs without intrinsics,
                // which made whole trainings 3x slower in some JVM runs and not others.
                if (addC) {
                    c00 = c00.add(FloatVector.fromArray(S, c, co + 0 * ldc));
                    c01 = c01.add(FloatVector.fromArray(S, c, co + 0 * ldc + 1 * L));
                    c10 = c10.add(FloatVector.fromArray(S, c, co + 1 * ldc));
                    c11 = c11.add(FloatVector.fromArray(S, c, co + 1 * ldc + 1 * L));
                    c20 = c20.add(FloatVector.fromArray(S, c, co + 2 * ldc));
                    c21 = c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + 1 * L));
                    c30 = c30.add(FloatVector.fromArray(S, c, co + 3 * ldc));
                    c31 = c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + 1 * L));
                    c40 = c40.add(FloatVector.fromArray(S, c, co + 4 * ldc));
                    c41 = c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + 1 * L));
                    c50 = c50.add(FloatVector.fromArray(S, c, co + 5 * ldc));
                    c51 = c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + 1 * L));
                }
                c00.intoArray(c, co + 0 * ldc);
                c01.intoArray(c, co + 0 * ldc + 1 * L);
                c10.intoArray(c, co + 1 * ldc);
                c11.intoArray(c, co + 1 * ldc + 1 * L);
                c20.intoArray(c, co + 2 * ldc);
                c21.intoArray(c, co + 2 * ldc + 1 * L);
                c30.intoArray(c, co + 3 * ldc);
                c31.intoArray(c, co + 3 * ldc + 1 * L);
                c40.intoArray(c, co + 4 * ldc);
                c41.intoArray(c, co + 4 * ldc + 1 * L);
                c50.intoArray(c, co + 5 * ldc);
                c51.intoArray(c, co + 5 * ldc + 1 * L);
            } else {
                c00.intoArray(tmp, 0 * NR);
                c01.intoArray(tmp, 0 * NR + 1 * L);
                c10.intoArray(tmp, 1 * NR);
                c11.intoArray(tmp, 1 * NR + 1 * L);
                c20.intoArray(tmp, 2 * NR);
                c21.intoArray(tmp, 2 * NR + 1 * L);
                c30.intoArray(tmp, 3 * NR);
                c31.intoArray(tmp, 3 * NR + 1 * L);
                c40.intoArray(tmp, 4 * NR);
                c41.intoArray(tmp, 4 * NR + 1 * L);
                c50.intoArray(tmp, 5 * NR);
                c51.intoArray(tmp, 5 * NR + 1 * L);
                copyCorner(tmp, NR, c, co, ldc, addC, rows, cols);
            }
        }

        @Override
        void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
            PanamaGemm.axpy(n, alpha, x, xo, y, yo);
        }

        @Override
        float dot(int n, float[] x, int xo, float[] y, int yo) {
            return PanamaGemm.dot(n, x, xo, y, yo);
        }
    }

    /** The 6 x 4L tile for 32 vector registers (AVX-512): 24 accumulators, 4 B vectors and 1 broadcast. */
    static final class WideKernel extends GemmKernel {
        private static final int NR = 4 * L;

        WideKernel(int mc, int kc) {
            super(MR, NR, mc, kc);
        }

        @Override
        void tile(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc,
                  boolean addC, int rows, int cols, float[] tmp) {
            FloatVector z = FloatVector.zero(S);
            FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
            FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
            FloatVector c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
            // Indices are affine in p so that C2 can hoist the bounds checks out of the loop.
            for (int p = 0; p < kc; p++) {
                int pb = bo + p * NR, pa = ao + p * MR;
                FloatVector b0 = FloatVector.fromArray(S, bp, pb);
                FloatVector b1 = FloatVector.fromArray(S, bp, pb + 1 * L);
                FloatVector b2 = FloatVector.fromArray(S, bp, pb + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, bp, pb + 3 * L);
                FloatVector av;
                av = FloatVector.broadcast(S, ap[pa + 0]);
                c00 = av.fma(b0, c00);
                c01 = av.fma(b1, c01);
                c02 = av.fma(b2, c02);
                c03 = av.fma(b3, c03);
                av = FloatVector.broadcast(S, ap[pa + 1]);
                c10 = av.fma(b0, c10);
                c11 = av.fma(b1, c11);
                c12 = av.fma(b2, c12);
                c13 = av.fma(b3, c13);
                av = FloatVector.broadcast(S, ap[pa + 2]);
                c20 = av.fma(b0, c20);
                c21 = av.fma(b1, c21);
                c22 = av.fma(b2, c22);
                c23 = av.fma(b3, c23);
                av = FloatVector.broadcast(S, ap[pa + 3]);
                c30 = av.fma(b0, c30);
                c31 = av.fma(b1, c31);
                c32 = av.fma(b2, c32);
                c33 = av.fma(b3, c33);
                av = FloatVector.broadcast(S, ap[pa + 4]);
                c40 = av.fma(b0, c40);
                c41 = av.fma(b1, c41);
                c42 = av.fma(b2, c42);
                c43 = av.fma(b3, c43);
                av = FloatVector.broadcast(S, ap[pa + 5]);
                c50 = av.fma(b0, c50);
                c51 = av.fma(b1, c51);
                c52 = av.fma(b2, c52);
                c53 = av.fma(b3, c53);
            }
            // A full tile that replaces C is stored in C; one that adds to C, or an edge tile, in tmp, and then
            // to C by a loop (storeTile). One block of stores either way: written out for each case, as the
            // narrow tile is, the method grew big enough that C2, recompiling it after a deoptimisation,
            // stopped inlining the Vector API (NodeCountInliningCutoff) and boxed every vector: GEMMs 10x
            // slower inside a training run, never in a loop over one shape.
            boolean inPlace = rows == MR && cols == NR && !addC;
            float[] dst = inPlace ? c : tmp;
            int d0 = inPlace ? co : 0, ld = inPlace ? ldc : NR;
            int d1 = d0 + 1 * ld, d2 = d0 + 2 * ld, d3 = d0 + 3 * ld, d4 = d0 + 4 * ld, d5 = d0 + 5 * ld;
            c00.intoArray(dst, d0);
            c01.intoArray(dst, d0 + 1 * L);
            c02.intoArray(dst, d0 + 2 * L);
            c03.intoArray(dst, d0 + 3 * L);
            c10.intoArray(dst, d1);
            c11.intoArray(dst, d1 + 1 * L);
            c12.intoArray(dst, d1 + 2 * L);
            c13.intoArray(dst, d1 + 3 * L);
            c20.intoArray(dst, d2);
            c21.intoArray(dst, d2 + 1 * L);
            c22.intoArray(dst, d2 + 2 * L);
            c23.intoArray(dst, d2 + 3 * L);
            c30.intoArray(dst, d3);
            c31.intoArray(dst, d3 + 1 * L);
            c32.intoArray(dst, d3 + 2 * L);
            c33.intoArray(dst, d3 + 3 * L);
            c40.intoArray(dst, d4);
            c41.intoArray(dst, d4 + 1 * L);
            c42.intoArray(dst, d4 + 2 * L);
            c43.intoArray(dst, d4 + 3 * L);
            c50.intoArray(dst, d5);
            c51.intoArray(dst, d5 + 1 * L);
            c52.intoArray(dst, d5 + 2 * L);
            c53.intoArray(dst, d5 + 3 * L);
            if (!inPlace) {
                storeTile(tmp, NR, c, co, ldc, addC, rows, cols);
            }
        }

        @Override
        void tileDirectA(int kc, float[] a, int ao, int rs, int cs, int rows, float[] bp, int bo, int bs,
                         float[] c, int co, int ldc, boolean addC, int cols, float[] tmp) {
            FloatVector z = FloatVector.zero(S);
            FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
            FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
            FloatVector c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
            // Rows past the valid ones repeat row 0: in bounds, and their results are never stored.
            int r0 = ao, r1 = rows > 1 ? ao + 1 * rs : ao, r2 = rows > 2 ? ao + 2 * rs : ao, r3 = rows > 3 ? ao + 3 * rs : ao, r4 = rows > 4 ? ao + 4 * rs : ao, r5 = rows > 5 ? ao + 5 * rs : ao;
            for (int p = 0; p < kc; p++) {
                int pb = bo + p * bs, pa = p * cs;
                FloatVector b0 = FloatVector.fromArray(S, bp, pb);
                FloatVector b1 = FloatVector.fromArray(S, bp, pb + 1 * L);
                FloatVector b2 = FloatVector.fromArray(S, bp, pb + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, bp, pb + 3 * L);
                FloatVector av;
                av = FloatVector.broadcast(S, a[r0 + pa]);
                c00 = av.fma(b0, c00);
                c01 = av.fma(b1, c01);
                c02 = av.fma(b2, c02);
                c03 = av.fma(b3, c03);
                av = FloatVector.broadcast(S, a[r1 + pa]);
                c10 = av.fma(b0, c10);
                c11 = av.fma(b1, c11);
                c12 = av.fma(b2, c12);
                c13 = av.fma(b3, c13);
                av = FloatVector.broadcast(S, a[r2 + pa]);
                c20 = av.fma(b0, c20);
                c21 = av.fma(b1, c21);
                c22 = av.fma(b2, c22);
                c23 = av.fma(b3, c23);
                av = FloatVector.broadcast(S, a[r3 + pa]);
                c30 = av.fma(b0, c30);
                c31 = av.fma(b1, c31);
                c32 = av.fma(b2, c32);
                c33 = av.fma(b3, c33);
                av = FloatVector.broadcast(S, a[r4 + pa]);
                c40 = av.fma(b0, c40);
                c41 = av.fma(b1, c41);
                c42 = av.fma(b2, c42);
                c43 = av.fma(b3, c43);
                av = FloatVector.broadcast(S, a[r5 + pa]);
                c50 = av.fma(b0, c50);
                c51 = av.fma(b1, c51);
                c52 = av.fma(b2, c52);
                c53 = av.fma(b3, c53);
            }
            // A full tile that replaces C is stored in C; one that adds to C, or an edge tile, in tmp, and then
            // to C by a loop (storeTile). One block of stores either way: written out for each case, as the
            // narrow tile is, the method grew big enough that C2, recompiling it after a deoptimisation,
            // stopped inlining the Vector API (NodeCountInliningCutoff) and boxed every vector: GEMMs 10x
            // slower inside a training run, never in a loop over one shape.
            boolean inPlace = rows == MR && cols == NR && !addC;
            float[] dst = inPlace ? c : tmp;
            int d0 = inPlace ? co : 0, ld = inPlace ? ldc : NR;
            int d1 = d0 + 1 * ld, d2 = d0 + 2 * ld, d3 = d0 + 3 * ld, d4 = d0 + 4 * ld, d5 = d0 + 5 * ld;
            c00.intoArray(dst, d0);
            c01.intoArray(dst, d0 + 1 * L);
            c02.intoArray(dst, d0 + 2 * L);
            c03.intoArray(dst, d0 + 3 * L);
            c10.intoArray(dst, d1);
            c11.intoArray(dst, d1 + 1 * L);
            c12.intoArray(dst, d1 + 2 * L);
            c13.intoArray(dst, d1 + 3 * L);
            c20.intoArray(dst, d2);
            c21.intoArray(dst, d2 + 1 * L);
            c22.intoArray(dst, d2 + 2 * L);
            c23.intoArray(dst, d2 + 3 * L);
            c30.intoArray(dst, d3);
            c31.intoArray(dst, d3 + 1 * L);
            c32.intoArray(dst, d3 + 2 * L);
            c33.intoArray(dst, d3 + 3 * L);
            c40.intoArray(dst, d4);
            c41.intoArray(dst, d4 + 1 * L);
            c42.intoArray(dst, d4 + 2 * L);
            c43.intoArray(dst, d4 + 3 * L);
            c50.intoArray(dst, d5);
            c51.intoArray(dst, d5 + 1 * L);
            c52.intoArray(dst, d5 + 2 * L);
            c53.intoArray(dst, d5 + 3 * L);
            if (!inPlace) {
                storeTile(tmp, NR, c, co, ldc, addC, rows, cols);
            }
        }

        @Override
        void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
            PanamaGemm.axpy(n, alpha, x, xo, y, yo);
        }

        @Override
        float dot(int n, float[] x, int xo, float[] y, int yo) {
            return PanamaGemm.dot(n, x, xo, y, yo);
        }
    }

    /**
     * Writes a full tile held in {@code tmp} (row stride {@code nr}) to C: {@code C = C + tmp} when
     * {@code addC}, else {@code C = tmp}, for the valid {@code rows x cols} corner; one rounding
     * per element, as {@link GemmKernel#copyCorner} does.
     */
    static void storeTile(float[] tmp, int nr, float[] c, int co, int ldc, boolean addC, int rows, int cols) {
        if (cols != nr) {
            GemmKernel.copyCorner(tmp, nr, c, co, ldc, addC, rows, cols);
            return;
        }
        for (int i = 0; i < rows; i++) {
            int ci = co + i * ldc, ti = i * nr;
            for (int j = 0; j < nr; j += L) {
                FloatVector v = FloatVector.fromArray(S, tmp, ti + j);
                if (addC) {
                    v = v.add(FloatVector.fromArray(S, c, ci + j));
                }
                v.intoArray(c, ci + j);
            }
        }
    }

    static void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            va.fma(FloatVector.fromArray(S, x, xo + j), FloatVector.fromArray(S, y, yo + j)).intoArray(y, yo + j);
        }
        // Math.fma rounds like the vector lanes, so an element's result does not depend on whether it fell in the tail.
        for (; j < n; j++) {
            y[yo + j] = Math.fma(alpha, x[xo + j], y[yo + j]);
        }
    }

    static float dot(int n, float[] x, int xo, float[] y, int yo) {
        FloatVector acc = FloatVector.zero(S);
        int p = 0;
        for (int bound = S.loopBound(n); p < bound; p += L) {
            acc = FloatVector.fromArray(S, x, xo + p).fma(FloatVector.fromArray(S, y, yo + p), acc);
        }
        // The lanes in order with constant indices, not reduceLanes(ADD), whose order may
        // change when C2 intrinsifies it: the same bits interpreted and compiled (see VectorMath).
        float s = 0f + acc.lane(0);
        if (L > 1) s += acc.lane(1);
        if (L > 2) { s += acc.lane(2); s += acc.lane(3); }
        if (L > 4) { s += acc.lane(4); s += acc.lane(5); s += acc.lane(6); s += acc.lane(7); }
        if (L > 8) {
            s += acc.lane(8); s += acc.lane(9); s += acc.lane(10); s += acc.lane(11);
            s += acc.lane(12); s += acc.lane(13); s += acc.lane(14); s += acc.lane(15);
        }
        for (int j = 16; j < L; j++) s += acc.lane(j);
        for (; p < n; p++) {
            s = Math.fma(x[xo + p], y[yo + p], s);
        }
        return s;
    }
}
