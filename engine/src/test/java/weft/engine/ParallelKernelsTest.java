package weft.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ParallelKernels splits large loops over the pool: every result must have the bits of one
 * sequential call of the provider it wraps, for sizes above and below the split threshold, off the
 * alignment, at offsets, and for any thread count.
 */
class ParallelKernelsTest {
    private static final int BIG = 2 * ParallelKernels.MIN_PER_TASK * 3 + 37;   // several tasks, a ragged tail
    private int savedThreads;

    @BeforeEach
    void threads() {
        savedThreads = Parallel.threads();
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(savedThreads);
    }

    private static float[] random(int n, long seed, float scale) {
        Rng rng = new Rng(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rng.nextFloat() * 2f - 1f) * scale;
        return a;
    }

    private static void bits(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])
                    && !(Float.isNaN(expected[i]) && Float.isNaN(actual[i]))) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    /** Both providers, each wrapped, at 1, 2 and 3 threads, against the unwrapped provider. */
    private interface Check {
        void run(Kernels wrapped, Kernels base, String label);
    }

    private static void forEachSetup(Check c) {
        for (Kernels base : new Kernels[] {KernelProvider.scalar(), KernelProvider.panamaOrNull()}) {
            if (base == null) continue;
            for (int t : new int[] {1, 2, 3}) {
                Parallel.setThreads(t);
                c.run(new ParallelKernels(base), base, base.name() + ", " + t + " threads");
            }
        }
    }

    @Test
    void elementWiseOpsKeepTheirBits() {
        forEachSetup((w, b, label) -> {
            for (int n : new int[] {100, ParallelKernels.MIN_PER_TASK * 2, BIG}) {
                int off = 3;
                float[] a = random(n + off, 1, 4f), bb = random(n + off, 2, 4f), c = random(n + off, 3, 1f);
                for (UnaryOp op : UnaryOp.values()) {
                    float[] src = op == UnaryOp.LOG || op == UnaryOp.SQRT ? abs(a) : a;
                    float[] e = new float[n + off], g = new float[n + off];
                    b.unary(op, src, off, e, off, n, 0.1f);
                    w.unary(op, src, off, g, off, n, 0.1f);
                    bits(label + " " + op + " n=" + n, e, g);
                }
                for (BinaryOp op : BinaryOp.values()) {
                    float[] e = new float[n + off], g = new float[n + off];
                    b.binary(op, a, off, bb, off, e, off, n);
                    w.binary(op, a, off, bb, off, g, off, n);
                    bits(label + " binary " + op, e, g);
                    b.binaryScalar(op, a, off, 0.7f, e, off, n);
                    w.binaryScalar(op, a, off, 0.7f, g, off, n);
                    bits(label + " binaryScalar " + op, e, g);
                }
                float[] e = c.clone(), g = c.clone();
                b.axpy(0.3f, a, off, e, off, n);
                w.axpy(0.3f, a, off, g, off, n);
                bits(label + " axpy", e, g);
                e = new float[n + off];
                g = new float[n + off];
                b.fma(a, off, bb, off, c, off, e, off, n);
                w.fma(a, off, bb, off, c, off, g, off, n);
                bits(label + " fma", e, g);
                b.linear(0.3f, a, off, -1.7f, bb, off, e, off, n);
                w.linear(0.3f, a, off, -1.7f, bb, off, g, off, n);
                bits(label + " linear", e, g);
                // in place (out aliases a)
                e = a.clone();
                g = a.clone();
                b.unary(UnaryOp.TANH, e, off, e, off, n, 0f);
                w.unary(UnaryOp.TANH, g, off, g, off, n, 0f);
                bits(label + " tanh in place", e, g);
            }
        });
    }

    @Test
    void rowWiseOpsKeepTheirBits() {
        forEachSetup((w, b, label) -> {
            for (int[] shape : new int[][] {{7, 5}, {1500, 1499}, {40000, 3}, {3, 70000}, {5700, 64}, {700, 100}}) {
                int rows = shape[0], cols = shape[1], n = rows * cols, off = 5;
                float[] a = random(n + off, 4, 8f), bb = random(n + off, 5, 1f);
                float[] e = new float[n + off], g = new float[n + off];
                b.rowSoftmax(a, off, rows, cols, e, off);
                w.rowSoftmax(a, off, rows, cols, g, off);
                bits(label + " rowSoftmax " + Arrays.toString(shape), e, g);
                b.rowLogSoftmax(a, off, rows, cols, e, off);
                w.rowLogSoftmax(a, off, rows, cols, g, off);
                bits(label + " rowLogSoftmax", e, g);
                float[] ne = new float[rows + 2], ng = new float[rows + 2];
                b.rowL2Normalize(a, off, rows, cols, 1e-12f, e, off, ne, 2);
                w.rowL2Normalize(a, off, rows, cols, 1e-12f, g, off, ng, 2);
                bits(label + " rowL2Normalize", e, g);
                bits(label + " rowL2Normalize norms", ne, ng);
                b.rowL2Normalize(a, off, rows, cols, 1e-12f, e, off, null, 0);
                w.rowL2Normalize(a, off, rows, cols, 1e-12f, g, off, null, 0);
                bits(label + " rowL2Normalize without norms", e, g);
                b.rowDot(a, off, bb, off, rows, cols, ne, 1);
                w.rowDot(a, off, bb, off, rows, cols, ng, 1);
                bits(label + " rowDot", ne, ng);
                float[] se = random(rows + 1, 6, 1f), sg = se.clone();
                b.sumRows(a, off, rows, cols, se, 1, true);
                w.sumRows(a, off, rows, cols, sg, 1, true);
                bits(label + " sumRows", se, sg);
                int[] tg = new int[rows + 1];
                for (int r = 0; r < tg.length; r++) tg[r] = (r * 7 + 1) % cols;
                float[] ie2 = new float[rows + 2], ig2 = new float[rows + 2], le = new float[rows + 2], lg = new float[rows + 2];
                b.crossEntropyRows(a, off, rows, cols, 5f, tg, 1, e, off, ie2, le, 2);
                w.crossEntropyRows(a, off, rows, cols, 5f, tg, 1, g, off, ig2, lg, 2);
                bits(label + " crossEntropyRows e", e, g);
                bits(label + " crossEntropyRows invSum", ie2, ig2);
                bits(label + " crossEntropyRows logProb", le, lg);
                float[] xe = random(n + off, 12, 1f), xg = xe.clone();
                b.crossEntropyBackwardRows(e, off, rows, cols, ie2, 2, 0.5f, -0.5f, 5f, tg, 1, xe, off);
                w.crossEntropyBackwardRows(g, off, rows, cols, ig2, 2, 0.5f, -0.5f, 5f, tg, 1, xg, off);
                bits(label + " crossEntropyBackwardRows", xe, xg);
                float[] gam = random(cols + 1, 8, 1.5f), bet = random(cols + 2, 9, 1f);
                float[] he = new float[n + off], hg = new float[n + off], ie = new float[rows + 2], ig = new float[rows + 2];
                b.layerNormRows(a, off, rows, cols, gam, 1, bet, 2, 1e-5f, he, off, e, off, ie, 2);
                w.layerNormRows(a, off, rows, cols, gam, 1, bet, 2, 1e-5f, hg, off, g, off, ig, 2);
                bits(label + " layerNormRows y", e, g);
                bits(label + " layerNormRows xhat", he, hg);
                bits(label + " layerNormRows invStd", ie, ig);
                float[] gxe = random(n + off, 10, 1f), gxg = gxe.clone();
                b.layerNormBackwardRows(bb, off, rows, cols, gam, 1, he, off, ie, 2, gxe, off);
                w.layerNormBackwardRows(bb, off, rows, cols, gam, 1, hg, off, ig, 2, gxg, off);
                bits(label + " layerNormBackwardRows", gxe, gxg);
                float[] pe = random(2 * cols + 2, 11, 1f), pg = pe.clone();
                b.layerNormParamGrads(bb, off, he, off, rows, cols, pe, 0, pe, cols + 2);
                w.layerNormParamGrads(bb, off, hg, off, rows, cols, pg, 0, pg, cols + 2);
                bits(label + " layerNormParamGrads", pe, pg);
                for (boolean acc : new boolean[] {true, false}) {   // split between columns
                    float[] ce = random(cols + 3, 7, 1f), cg = ce.clone();
                    b.sumCols(a, off, rows, cols, ce, 2, acc);
                    w.sumCols(a, off, rows, cols, cg, 2, acc);
                    bits(label + " sumCols acc=" + acc, ce, cg);
                }
                int[] idx = new int[rows];
                for (int i = 0; i < rows; i++) idx[i] = (i * 7919) % rows;
                b.gatherRows(a, off, cols, idx, 0, rows, e, off);
                w.gatherRows(a, off, cols, idx, 0, rows, g, off);
                bits(label + " gatherRows", e, g);
            }
        });
    }

    @Test
    void largeLoopsAreReallySplitAndSmallOnesAreNot() {
        // A provider that counts its calls: the bit-identity tests above would also pass if nothing
        // were ever split, so check that the split happens where it should, and at aligned cuts.
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ConcurrentLinkedQueue<Integer> starts = new java.util.concurrent.ConcurrentLinkedQueue<>();
        Kernels counting = (Kernels) java.lang.reflect.Proxy.newProxyInstance(Kernels.class.getClassLoader(),
                new Class<?>[] {Kernels.class}, (proxy, m, args) -> {
                    if (m.getName().equals("unary") || m.getName().equals("rowSoftmax")) {
                        calls.incrementAndGet();
                        if (m.getName().equals("unary")) starts.add((Integer) args[2]);
                    }
                    try {
                        return m.invoke(KernelProvider.scalar(), args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ParallelKernels w = new ParallelKernels(counting);
        float[] a = random(BIG, 3, 1f), out = new float[BIG];
        Parallel.setThreads(2);
        w.unary(UnaryOp.EXP, a, 0, out, 0, BIG, 0f);
        // 196,645 elements = 3,073 blocks of 64, at least 512 blocks (2^15 elements) a range: 7 ranges
        assertEquals(7, calls.get(), "2 threads: ranges of at least 2^15 elements, at most 4 a thread");
        for (int start : starts) assertEquals(0, start % ParallelKernels.ALIGN, "cut at " + start);
        calls.set(0);
        w.unary(UnaryOp.EXP, a, 0, out, 0, 1000, 0f);
        assertEquals(1, calls.get(), "a small loop runs in one call");
        calls.set(0);
        w.rowSoftmax(a, 0, 1000, 100, out, 0);
        assertEquals(4, calls.get(), "1000 rows of 100: ranges of at least 327 rows (2^15 elements)");
        calls.set(0);
        Parallel.setThreads(1);
        w.unary(UnaryOp.EXP, a, 0, out, 0, BIG, 0f);
        assertEquals(1, calls.get(), "1 thread: never split");
    }

    @Test
    void theChosenProviderIsWrappedAndNamedAsItsBase() {
        Kernels k = Kernels.get();
        assertEquals(KernelProvider.base().name(), k.name());
        float[] a = random(BIG, 9, 3f), e = new float[BIG], g = new float[BIG];
        KernelProvider.base().unary(UnaryOp.SIGMOID, a, 0, e, 0, BIG, 0f);
        Parallel.setThreads(2);
        k.unary(UnaryOp.SIGMOID, a, 0, g, 0, BIG, 0f);
        assertArrayEquals(e, g);
    }

    private static float[] abs(float[] a) {
        float[] r = a.clone();
        for (int i = 0; i < r.length; i++) r[i] = Math.abs(r[i]) + 1e-3f;
        return r;
    }
}
