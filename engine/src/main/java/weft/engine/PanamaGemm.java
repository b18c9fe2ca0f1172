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

        /** Rows of k a {@link #transposedBlock} pass takes at a time, so that the pass's rows of A and B stay in L1 (32, 64 and 128 measured on a 2-core Intel Xeon; 64 was fastest). */
        static final int T_ROWS = 64;

        @Override
        int transposedBlockWidth() {
            // 6 x 4 vectors of accumulators, 4 of B and a broadcast: 29 registers, so 512-bit vectors
            // (32 registers) only; with 256-bit ones (16 registers on AVX2) the tile would spill. A 6 x 2L
            // tile for AVX2 (15 registers) was measured on a Zen 3 and not kept: 1.1-1.3x the packed
            // path's speed on JDK 17, half of it on JDK 25, whose C2 spills the two B vectors to the
            // stack; a 5 x 2L tile that JDK 25 keeps in registers compiled badly in some JDK 17 JVMs
            // (docs/performance.md, "Seed models on the Zen 3 again").
            return S.vectorBitSize() >= 512 ? 4 * L : 0;
        }

        @Override
        void transposedBlock(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int m, int n, int kcb,
                             float[] out, int outOff, float[] tail) {
            // Passes of T_ROWS rows of k; in each, every 6 x 4L tile of out continues its accumulators
            // from out (stored and loaded exactly, so each element is one chain of fmas from zero in p
            // order). The last rows, when m is not a multiple of 6, are a tile shifted to end at m, kept
            // in tail (its first rows repeat the tile before, the same chains) and copied out at the end.
            // One call site for the tile. The tile is too big for C2 to inline ("hot method too big"),
            // so this is a precaution, not a cure: one same-JVM A/B of an earlier version with a second
            // call site for the shifted tile ran CRANE 1.8x slower, cause not found (docs/performance.md).
            final int w = 4 * L, full = m / MR * MR, tiles = full / MR + (full < m ? 1 : 0);
            for (int q0 = 0; q0 < kcb; q0 += T_ROWS) {
                int q1 = Math.min(kcb, q0 + T_ROWS);
                boolean fresh = q0 == 0;
                for (int j0 = 0; j0 < n; j0 += w) {
                    for (int t = 0; t < tiles; t++) {
                        boolean inTail = t * MR >= full;
                        int i0 = inTail ? m - MR : t * MR;
                        transposedTile(a, aOff + i0, lda, b, bOff + j0, ldb, q0, q1, inTail ? tail : out,
                                inTail ? j0 : outOff + i0 * n + j0, n, fresh);
                    }
                }
            }
            for (int i = full; i < m; i++) {
                System.arraycopy(tail, (i - (m - MR)) * n, out, outOff + i * n, n);
            }
        }

        /** Rows [0, 6) x columns [0, 4L) of the tile at {@code a[ao + p*lda + r]}, {@code b[bo + p*ldb + j]}, accumulators at {@code acc[co + r*ldc + j]}. */
        private static void transposedTile(float[] a, int ao, int lda, float[] b, int bo, int ldb, int q0, int q1,
                                           float[] acc, int co, int ldc, boolean fresh) {
            FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23;
            FloatVector c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
            if (fresh) {
                FloatVector z = FloatVector.zero(S);
                c00 = z; c01 = z; c02 = z; c03 = z; c10 = z; c11 = z; c12 = z; c13 = z; c20 = z; c21 = z; c22 = z; c23 = z;
                c30 = z; c31 = z; c32 = z; c33 = z; c40 = z; c41 = z; c42 = z; c43 = z; c50 = z; c51 = z; c52 = z; c53 = z;
            } else {
                int o = co;
                c00 = ld(acc, o); c01 = ld(acc, o + L); c02 = ld(acc, o + 2 * L); c03 = ld(acc, o + 3 * L);
                o += ldc;
                c10 = ld(acc, o); c11 = ld(acc, o + L); c12 = ld(acc, o + 2 * L); c13 = ld(acc, o + 3 * L);
                o += ldc;
                c20 = ld(acc, o); c21 = ld(acc, o + L); c22 = ld(acc, o + 2 * L); c23 = ld(acc, o + 3 * L);
                o += ldc;
                c30 = ld(acc, o); c31 = ld(acc, o + L); c32 = ld(acc, o + 2 * L); c33 = ld(acc, o + 3 * L);
                o += ldc;
                c40 = ld(acc, o); c41 = ld(acc, o + L); c42 = ld(acc, o + 2 * L); c43 = ld(acc, o + 3 * L);
                o += ldc;
                c50 = ld(acc, o); c51 = ld(acc, o + L); c52 = ld(acc, o + 2 * L); c53 = ld(acc, o + 3 * L);
            }
            for (int p = q0; p < q1; p++) {
                int pb = bo + p * ldb, pa = ao + p * lda;
                FloatVector b0 = ld(b, pb), b1 = ld(b, pb + L), b2 = ld(b, pb + 2 * L), b3 = ld(b, pb + 3 * L);
                FloatVector av;
                av = FloatVector.broadcast(S, a[pa]);
                c00 = av.fma(b0, c00); c01 = av.fma(b1, c01); c02 = av.fma(b2, c02); c03 = av.fma(b3, c03);
                av = FloatVector.broadcast(S, a[pa + 1]);
                c10 = av.fma(b0, c10); c11 = av.fma(b1, c11); c12 = av.fma(b2, c12); c13 = av.fma(b3, c13);
                av = FloatVector.broadcast(S, a[pa + 2]);
                c20 = av.fma(b0, c20); c21 = av.fma(b1, c21); c22 = av.fma(b2, c22); c23 = av.fma(b3, c23);
                av = FloatVector.broadcast(S, a[pa + 3]);
                c30 = av.fma(b0, c30); c31 = av.fma(b1, c31); c32 = av.fma(b2, c32); c33 = av.fma(b3, c33);
                av = FloatVector.broadcast(S, a[pa + 4]);
                c40 = av.fma(b0, c40); c41 = av.fma(b1, c41); c42 = av.fma(b2, c42); c43 = av.fma(b3, c43);
                av = FloatVector.broadcast(S, a[pa + 5]);
                c50 = av.fma(b0, c50); c51 = av.fma(b1, c51); c52 = av.fma(b2, c52); c53 = av.fma(b3, c53);
            }
            int o = co;
            c00.intoArray(acc, o); c01.intoArray(acc, o + L); c02.intoArray(acc, o + 2 * L); c03.intoArray(acc, o + 3 * L);
            o += ldc;
            c10.intoArray(acc, o); c11.intoArray(acc, o + L); c12.intoArray(acc, o + 2 * L); c13.intoArray(acc, o + 3 * L);
            o += ldc;
            c20.intoArray(acc, o); c21.intoArray(acc, o + L); c22.intoArray(acc, o + 2 * L); c23.intoArray(acc, o + 3 * L);
            o += ldc;
            c30.intoArray(acc, o); c31.intoArray(acc, o + L); c32.intoArray(acc, o + 2 * L); c33.intoArray(acc, o + 3 * L);
            o += ldc;
            c40.intoArray(acc, o); c41.intoArray(acc, o + L); c42.intoArray(acc, o + 2 * L); c43.intoArray(acc, o + 3 * L);
            o += ldc;
            c50.intoArray(acc, o); c51.intoArray(acc, o + L); c52.intoArray(acc, o + 2 * L); c53.intoArray(acc, o + 3 * L);
        }

        private static FloatVector ld(float[] x, int o) {
            return FloatVector.fromArray(S, x, o);
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
