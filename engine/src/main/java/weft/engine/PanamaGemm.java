package weft.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM on the Vector API (see {@link Kernels#gemm}): {@link GemmDriver}'s blocked, packed,
 * multi-threaded structure with a 6 x 2L register tile of {@link FloatVector#fma} (L = float lanes
 * of the preferred species; 6 x 16 on AVX2).
 *
 * <p>Why 6 x 2L: the tile's 12 accumulators, 2 B vectors and 1 broadcast A value fill the 16
 * vector registers of AVX2 without spilling, each k step issues 12 FMAs against 8 loads, and
 * 2L = 16 columns divides the model's n = 64 exactly (a 4 x 3L tile wastes a third of its last
 * tile at n = 64). Measured against 4 x 24 on the 1024^3 product: see GemmBenchmark's notes.
 */
final class PanamaGemm {
    private PanamaGemm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 6;
    private static final int NR = 2 * L;

    /** mc * kc floats of packed A (144 x 256 x 4 B = 144 KiB) stay in L2; a kc x NR B sliver (16 KiB) in L1. */
    static final GemmKernel KERNEL = new Kernel(144, 256);

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
            // Indices are affine in p so that C2 can hoist the bounds checks out of the loop.
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0; p < kc; p++) {
            int pb = bo + p * NR, pa = ao + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, pb);
            FloatVector b1 = FloatVector.fromArray(S, bp, pb + L);
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
                c01 = c01.add(FloatVector.fromArray(S, c, co + 0 * ldc + L));
                c10 = c10.add(FloatVector.fromArray(S, c, co + 1 * ldc));
                c11 = c11.add(FloatVector.fromArray(S, c, co + 1 * ldc + L));
                c20 = c20.add(FloatVector.fromArray(S, c, co + 2 * ldc));
                c21 = c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L));
                c30 = c30.add(FloatVector.fromArray(S, c, co + 3 * ldc));
                c31 = c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L));
                c40 = c40.add(FloatVector.fromArray(S, c, co + 4 * ldc));
                c41 = c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L));
                c50 = c50.add(FloatVector.fromArray(S, c, co + 5 * ldc));
                c51 = c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + L));
            }
            c00.intoArray(c, co + 0 * ldc);
            c01.intoArray(c, co + 0 * ldc + L);
            c10.intoArray(c, co + 1 * ldc);
            c11.intoArray(c, co + 1 * ldc + L);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + L);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + L);
            c40.intoArray(c, co + 4 * ldc);
            c41.intoArray(c, co + 4 * ldc + L);
            c50.intoArray(c, co + 5 * ldc);
            c51.intoArray(c, co + 5 * ldc + L);
        } else {
            c00.intoArray(tmp, 0 * NR);
            c01.intoArray(tmp, 0 * NR + L);
            c10.intoArray(tmp, 1 * NR);
            c11.intoArray(tmp, 1 * NR + L);
            c20.intoArray(tmp, 2 * NR);
            c21.intoArray(tmp, 2 * NR + L);
            c30.intoArray(tmp, 3 * NR);
            c31.intoArray(tmp, 3 * NR + L);
            c40.intoArray(tmp, 4 * NR);
            c41.intoArray(tmp, 4 * NR + L);
            c50.intoArray(tmp, 5 * NR);
            c51.intoArray(tmp, 5 * NR + L);
            copyCorner(tmp, NR, c, co, ldc, addC, rows, cols);
        }
        }

        @Override
        void tileDirectA(int kc, float[] a, int ao, int rs, int cs, float[] bp, int bo, float[] c, int co, int ldc,
                         boolean addC, int cols, float[] tmp) {
            FloatVector z = FloatVector.zero(S);
            FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
            int r0 = ao + 0 * rs, r1 = ao + 1 * rs, r2 = ao + 2 * rs, r3 = ao + 3 * rs, r4 = ao + 4 * rs, r5 = ao + 5 * rs;
            for (int p = 0; p < kc; p++) {
                int pb = bo + p * NR, pa = p * cs;
                FloatVector b0 = FloatVector.fromArray(S, bp, pb);
                FloatVector b1 = FloatVector.fromArray(S, bp, pb + L);
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
            if (cols == NR) {
                // Written out, not a helper taking vectors: a helper that C2 declines to inline (it judged the call
                // sites cold when warm-up saw mostly edge tiles) receives boxed vectors and runs without intrinsics,
                // which made whole trainings 3x slower in some JVM runs and not others.
                if (addC) {
                    c00 = c00.add(FloatVector.fromArray(S, c, co + 0 * ldc));
                    c01 = c01.add(FloatVector.fromArray(S, c, co + 0 * ldc + L));
                    c10 = c10.add(FloatVector.fromArray(S, c, co + 1 * ldc));
                    c11 = c11.add(FloatVector.fromArray(S, c, co + 1 * ldc + L));
                    c20 = c20.add(FloatVector.fromArray(S, c, co + 2 * ldc));
                    c21 = c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L));
                    c30 = c30.add(FloatVector.fromArray(S, c, co + 3 * ldc));
                    c31 = c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L));
                    c40 = c40.add(FloatVector.fromArray(S, c, co + 4 * ldc));
                    c41 = c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L));
                    c50 = c50.add(FloatVector.fromArray(S, c, co + 5 * ldc));
                    c51 = c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + L));
                }
                c00.intoArray(c, co + 0 * ldc);
                c01.intoArray(c, co + 0 * ldc + L);
                c10.intoArray(c, co + 1 * ldc);
                c11.intoArray(c, co + 1 * ldc + L);
                c20.intoArray(c, co + 2 * ldc);
                c21.intoArray(c, co + 2 * ldc + L);
                c30.intoArray(c, co + 3 * ldc);
                c31.intoArray(c, co + 3 * ldc + L);
                c40.intoArray(c, co + 4 * ldc);
                c41.intoArray(c, co + 4 * ldc + L);
                c50.intoArray(c, co + 5 * ldc);
                c51.intoArray(c, co + 5 * ldc + L);
            } else {
                c00.intoArray(tmp, 0 * NR);
                c01.intoArray(tmp, 0 * NR + L);
                c10.intoArray(tmp, 1 * NR);
                c11.intoArray(tmp, 1 * NR + L);
                c20.intoArray(tmp, 2 * NR);
                c21.intoArray(tmp, 2 * NR + L);
                c30.intoArray(tmp, 3 * NR);
                c31.intoArray(tmp, 3 * NR + L);
                c40.intoArray(tmp, 4 * NR);
                c41.intoArray(tmp, 4 * NR + L);
                c50.intoArray(tmp, 5 * NR);
                c51.intoArray(tmp, 5 * NR + L);
                copyCorner(tmp, NR, c, co, ldc, addC, MR, cols);
        }
        }

        @Override
        void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
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

        @Override
        float dot(int n, float[] x, int xo, float[] y, int yo) {
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
}
