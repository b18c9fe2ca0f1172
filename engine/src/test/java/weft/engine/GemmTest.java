package weft.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Both GEMM providers against {@link GemmReference} (float64 accumulation): all four
 * transposition forms, accumulate on and off, offsets and leading dimensions larger than needed,
 * every path of {@link GemmDriver} (packed by rows, packed by columns, shared panels split by the
 * cap, the skinny axpy and dot paths), and bit-identical results for 1, 2 and 3 threads.
 *
 * <p>Tolerance. A float32 sum of k products, in any order and with or without FMA, is within
 * {@code k u sum_p |a_ip b_pj|} of the exact value to first order (u = 2^-24; the usual
 * gamma_k bound for recursive summation, which also covers summing blocks and then adding the
 * blocks); adding the old C (accumulate) and the reference's single rounding to float add at most
 * 3 more units of the same scale. So each element is checked against
 * {@code (k + 3) u (sum_p |a_ip||b_pj| + |C_old|)} plus a tiny absolute term for k = 0. This is a
 * worst-case bound: any real error (a missing, doubled or misplaced product, about
 * {@code sum/k} in size) exceeds it by orders of magnitude.
 */
class GemmTest {
    private static final double U = Math.ulp(1.0f) / 2; // 2^-24
    /** Sentinel written around C: the product must not touch it. */
    private static final float GUARD = -12345.5f;

    private int savedThreads;

    @BeforeEach
    void saveThreads() {
        savedThreads = Parallel.threads();
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(savedThreads);
        GemmDriver.sharedCap = GemmDriver.SHARED_CAP;
    }

    private static List<Kernels> providers() {
        List<Kernels> ks = new ArrayList<>();
        ks.add(KernelProvider.scalar());
        Kernels p = KernelProvider.panamaOrNull();
        if (p != null) {
            ks.add(p);
        }
        return ks;
    }

    /** One product laid out with offsets and padded leading dimensions inside larger arrays. */
    private static final class Case {
        final boolean transA, transB, accumulate;
        final int m, n, k, aOff, lda, bOff, ldb, cOff, ldc;
        final float[] a, b, c0;

        Case(long seed, boolean transA, boolean transB, int m, int n, int k, boolean accumulate, int pad) {
            this.transA = transA;
            this.transB = transB;
            this.accumulate = accumulate;
            this.m = m;
            this.n = n;
            this.k = k;
            SplittableRandom r = new SplittableRandom(seed);
            int aRows = transA ? k : m, aCols = transA ? m : k;
            int bRows = transB ? n : k, bCols = transB ? k : n;
            aOff = pad * 3;
            lda = aCols + pad;
            bOff = pad * 5;
            ldb = bCols + pad;
            cOff = pad * 7;
            ldc = n + pad;
            a = random(r, aOff + aRows * lda + pad);
            b = random(r, bOff + bRows * ldb + pad);
            c0 = new float[cOff + m * ldc + pad];
            java.util.Arrays.fill(c0, GUARD);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c0[cOff + i * ldc + j] = (float) (r.nextDouble() * 2 - 1);
                }
            }
        }

        float[] run(Kernels kern) {
            float[] c = c0.clone();
            float[] aCopy = a.clone(), bCopy = b.clone();
            kern.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            assertArrayEquals(aCopy, a, "A modified");
            assertArrayEquals(bCopy, b, "B modified");
            return c;
        }

        float[] reference() {
            float[] c = c0.clone();
            GemmReference.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            return c;
        }

        float av(int i, int p) {
            return transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        }

        float bv(int p, int j) {
            return transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
        }

        /** Compares with the reference inside C and bit for bit outside it (guards and padding untouched). */
        void check(float[] got, float[] ref, String what) {
            assertEquals(ref.length, got.length);
            for (int x = 0; x < got.length; x++) {
                int rel = x - cOff;
                int i = rel >= 0 ? rel / ldc : -1, j = rel >= 0 ? rel % ldc : -1;
                boolean inside = rel >= 0 && i < m && j < n;
                if (!inside) {
                    if (Float.floatToRawIntBits(got[x]) != Float.floatToRawIntBits(c0[x])) {
                        fail(what + ": wrote outside C at index " + x + " (" + got[x] + ")");
                    }
                    continue;
                }
                double scale = accumulate ? Math.abs(c0[x]) : 0;
                for (int p = 0; p < k; p++) {
                    scale += Math.abs((double) av(i, p) * bv(p, j));
                }
                double tol = (k + 3) * U * scale + 1e-30;
                if (!(Math.abs(got[x] - ref[x]) <= tol)) {
                    fail(what + ": C[" + i + "," + j + "] = " + got[x] + ", reference " + ref[x] + ", tolerance " + tol);
                }
            }
        }

        @Override
        public String toString() {
            return (transA ? "T" : "N") + (transB ? "T" : "N") + " m=" + m + " n=" + n + " k=" + k
                    + (accumulate ? " accumulate" : "") + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc;
        }
    }

    private static float[] random(SplittableRandom r, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static final int[] SIZES = {1, 7, 8, 9, 63, 64, 65, 1000};

    /** Shapes where each size of {@link #SIZES} appears in each dimension, the other two drawn from the small sizes in rotation (keeps the O(mnk) reference cheap). */
    private static List<int[]> shapes() {
        int[] small = {1, 7, 8, 9, 63, 64, 65};
        List<int[]> out = new ArrayList<>();
        int rot = 0;
        for (int s : SIZES) {
            for (int dim = 0; dim < 3; dim++) {
                int x = small[rot % small.length], y = small[(rot + 3) % small.length];
                rot++;
                int[] mnk = dim == 0 ? new int[] {s, x, y} : dim == 1 ? new int[] {x, s, y} : new int[] {x, y, s};
                out.add(mnk);
            }
        }
        // non-square shapes shaped like the model's: n = 64 outputs, k = 64 scores, a k-long gradient
        out.add(new int[] {300, 64, 384});
        out.add(new int[] {200, 650, 64});
        out.add(new int[] {64, 64, 1000});
        out.add(new int[] {2, 700, 33});
        out.add(new int[] {500, 2, 70});
        return out;
    }

    private static void checkAll(List<int[]> shapes, int threads) {
        Parallel.setThreads(threads);
        long seed = 1;
        for (int[] s : shapes) {
            for (int form = 0; form < 4; form++) {
                for (boolean acc : new boolean[] {false, true}) {
                    Case cs = new Case(seed++, (form & 2) != 0, (form & 1) != 0, s[0], s[1], s[2], acc, (int) (seed % 3) * 5);
                    float[] ref = cs.reference();
                    for (Kernels kern : providers()) {
                        cs.check(cs.run(kern), ref, kern.name() + " " + cs);
                    }
                }
            }
        }
    }

    @Test
    void matchesReferenceOnOneThread() {
        checkAll(shapes(), 1);
    }

    @Test
    void matchesReferenceOnTwoThreads() {
        // With 2 threads the larger shapes take the parallel paths, including packing by columns
        // (few rows, many columns: e.g. 9 x 1000).
        checkAll(shapes(), 2);
    }

    @Test
    void matchesReferenceWhenSharedPanelIsSplit() {
        // A tiny cap forces the shared panel to be cut along k and along n (or m), exercising the
        // outer panel loops that only very large products reach with the default 8 MB cap.
        GemmDriver.sharedCap = 4096;
        List<int[]> shapes = List.of(new int[] {70, 300, 300}, new int[] {20, 600, 300}, new int[] {130, 40, 520});
        checkAll(shapes, 1);
        checkAll(shapes, 2);
    }

    @Test
    void bitIdenticalForAnyThreadCount() {
        // Shapes big enough to be split across tasks, one per path: packed by rows, packed by
        // columns, A read in place (n = 64), the axpy path (m <= 3) and the dot path (n <= 3, B transposed).
        int[][] shapes = {{257, 300, 130}, {1001, 64, 300}, {9, 1500, 80}, {2, 9000, 64}, {3000, 3, 90}, {128, 128, 2048}};
        for (Kernels kern : providers()) {
            long seed = 100;
            for (int[] s : shapes) {
                for (int form = 0; form < 4; form++) {
                    Case cs = new Case(seed++, (form & 2) != 0, (form & 1) != 0, s[0], s[1], s[2], form == 1, 3);
                    Parallel.setThreads(1);
                    assertSameBitsAtMoreThreads(kern, cs, cs.run(kern));
                }
            }
        }
    }

    /** {@code cs} at 2 and 3 threads gives {@code one} (its 1-thread result) to the bit. */
    private static void assertSameBitsAtMoreThreads(Kernels kern, Case cs, float[] one) {
        for (int t : new int[] {2, 3}) {
            Parallel.setThreads(t);
            float[] many = cs.run(kern);
            for (int x = 0; x < one.length; x++) {
                if (Float.floatToRawIntBits(one[x]) != Float.floatToRawIntBits(many[x])) {
                    fail(kern.name() + " " + cs + ": " + t + " threads differ from 1 thread at index " + x
                            + " (" + many[x] + " vs " + one[x] + ")");
                }
            }
        }
    }

    @Test
    void kBlockTasksKeepTheBitsInEveryForm() {
        // The weight-gradient path (k blocks as the tasks): every transposition form, storing and
        // accumulating, full and ragged edges, offsets; 2 and 3 threads against 1 (the row split).
        int[][] shapes = {{64, 64, 5000}, {70, 33, 1600}, {128, 40, 3000}};
        for (int[] s : shapes) {
            for (int t : new int[] {2, 3}) {
                String why = "shape " + java.util.Arrays.toString(s) + " at " + t + " threads no longer takes the k-block path: the test would not cover it";
                assertTrue(GemmDriver.takesKBlocks(ScalarGemm.KERNEL, s[0], s[1], s[2], t), "scalar: " + why);
                if (KernelProvider.panamaOrNull() != null) {   // PanamaGemm loads only with the vector module
                    assertTrue(GemmDriver.takesKBlocks(PanamaGemm.KERNEL, s[0], s[1], s[2], t), "panama: " + why);
                }
            }
        }
        for (Kernels kern : providers()) {
            long seed = 500;
            for (int[] s : shapes) {
                for (int form = 0; form < 4; form++) {
                    for (boolean acc : new boolean[] {false, true}) {
                        Case cs = new Case(seed++, (form & 2) != 0, (form & 1) != 0, s[0], s[1], s[2], acc, (int) (seed % 3) * 4);
                        Parallel.setThreads(1);
                        float[] one = cs.run(kern);
                        cs.check(one, cs.reference(), kern.name() + " " + cs);
                        assertSameBitsAtMoreThreads(kern, cs, one);
                    }
                }
            }
        }
    }

    @Test
    void transposedBlocksKeepTheBits() {
        // The weight gradients' form A^T B read in place (512-bit vectors only): against the packed
        // paths with the switch off, to the bit, storing and accumulating, m not a multiple of the
        // tile's 6 rows, k not a multiple of kc, offsets and padded rows; 1, 2 and 3 threads.
        Kernels p = KernelProvider.panamaOrNull();
        Assumptions.assumeTrue(p != null && PanamaGemm.KERNEL.transposedBlockWidth() > 0,
                "no transposed-block path here (needs 512-bit vectors)");
        int w = PanamaGemm.KERNEL.transposedBlockWidth();
        int[][] shapes = {{64, w, 5000}, {6, w, 300}, {7, 2 * w, 1425}, {13, w, 257}, {100, 6 * w, 700}, {384, w, 1425},
                {64, w, 1}, {64, w, 256}, {11, 3 * w, 2100}};
        long seed = 900;
        for (int[] s : shapes) {
            assertTrue(GemmDriver.takesTransposedBlocks(PanamaGemm.KERNEL, s[0], s[1], s[2], 1),
                    java.util.Arrays.toString(s) + " no longer takes the transposed-block path: the test would not cover it");
            for (boolean acc : new boolean[] {false, true}) {
                Case cs = new Case(seed++, true, false, s[0], s[1], s[2], acc, (int) (seed % 3) * 4);
                float[] packed;
                GemmDriver.transposedBlocks = false;
                try {
                    Parallel.setThreads(1);
                    packed = cs.run(p);
                } finally {
                    GemmDriver.transposedBlocks = true;
                }
                cs.check(packed, cs.reference(), "packed " + cs);
                for (int t : new int[] {1, 2, 3}) {
                    Parallel.setThreads(t);
                    float[] got = cs.run(p);
                    for (int x = 0; x < got.length; x++) {
                        if (Float.floatToRawIntBits(got[x]) != Float.floatToRawIntBits(packed[x])) {
                            fail(cs + " at " + t + " threads: index " + x + " is " + got[x] + ", the packed path gives " + packed[x]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void repeatedCallsGiveTheSameResult() {
        // Packing buffers are reused across calls: a stale buffer from a larger call must not leak in.
        for (Kernels kern : providers()) {
            Case big = new Case(7, false, true, 200, 180, 300, false, 0);
            Case small = new Case(8, true, false, 13, 17, 9, false, 2);
            float[] first = small.run(kern);
            big.run(kern);
            assertArrayEquals(first, small.run(kern), kern.name());
            small.check(first, small.reference(), kern.name() + " " + small);
        }
    }

    @Test
    void emptyInnerDimensionZeroesOrKeepsC() {
        for (Kernels kern : providers()) {
            Case zero = new Case(3, false, false, 5, 6, 0, false, 2);
            float[] c = zero.run(kern);
            zero.check(c, zero.reference(), kern.name());
            assertEquals(0f, c[zero.cOff], "k = 0 without accumulate must zero C");
            Case keep = new Case(4, true, true, 5, 6, 0, true, 2);
            assertArrayEquals(keep.c0, keep.run(kern), "k = 0 with accumulate must leave C as it was");
            Case none = new Case(5, false, false, 0, 6, 4, false, 1);
            assertArrayEquals(none.c0, none.run(kern), "m = 0 must not write");
        }
    }

    @Test
    void rejectsLeadingDimensionsAndOffsetsOutsideTheArrays() {
        for (Kernels kern : providers()) {
            float[] a = new float[6], b = new float[6], c = new float[4];
            // lda = 2 < k = 3: would silently read the wrong elements
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> kern.gemm(false, false, 2, 2, 3, a, 0, 2, b, 0, 2, c, 0, 2, false));
            assertTrue(e.getMessage().contains("leading dimension of A"), e.getMessage());
            // C of 2 x 2 at offset 1 needs 5 floats
            e = assertThrows(IllegalArgumentException.class,
                    () -> kern.gemm(false, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 1, 2, false));
            assertTrue(e.getMessage().contains("C"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> kern.gemm(false, true, 2, 2, 3, a, 0, 3, b, 1, 3, c, 0, 2, false));
        }
    }

    @Test
    void matmulComputesTheProductAndNamesShapesOnMismatch() {
        Tensor a = Tensor.of(2, 3, 1, 2, 3, 4, 5, 6);
        Tensor b = Tensor.of(3, 2, 7, 8, 9, 10, 11, 12);
        assertArrayEquals(new float[] {58, 64, 139, 154}, MatMul.matmul(a, b).toArray());
        assertArrayEquals(new float[] {58, 139, 64, 154}, MatMul.matmul(b, true, a, true).toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MatMul.matmul(a, a));
        String msg = e.getMessage();
        assertTrue(msg.contains("matmul"), msg);
        assertTrue(msg.contains("[2, 3]") && msg.indexOf("[2, 3]") != msg.lastIndexOf("[2, 3]"), "both shapes named: " + msg);
        Tensor wrongOut = new Tensor(3, 3);
        e = assertThrows(IllegalArgumentException.class, () -> MatMul.matmulInto(a, false, b, false, wrongOut, false));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[3, 2]"), e.getMessage());
    }

    /**
     * MatMul.work() (the op profile's GFLOP/s column) grows by 2 m n k per product, whichever path
     * the shape takes (packed, the skinny ones) and whichever provider runs it, and not for an
     * empty one.
     */
    @Test
    void countsEachProductsWork() {
        int[][] shapes = {{37, 29, 53}, {2, 300, 64}, {300, 3, 64}, {64, 0, 5}, {0, 8, 8}};
        for (Kernels kr : new Kernels[] {new ScalarKernels(), KernelProvider.kernels()}) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        float[] a = new float[Math.max(1, m * k)], b = new float[Math.max(1, k * n)], c = new float[Math.max(1, m * n)];
                        long before = MatMul.work();
                        kr.gemm(ta, tb, m, n, k, a, 0, ta ? Math.max(1, m) : Math.max(1, k), b, 0, tb ? Math.max(1, k) : Math.max(1, n),
                                c, 0, Math.max(1, n), false);
                        assertEquals(2L * m * n * k, MatMul.work() - before, kr.name() + " " + m + "x" + n + "x" + k + " " + ta + "/" + tb);
                    }
                }
            }
        }
    }
}
