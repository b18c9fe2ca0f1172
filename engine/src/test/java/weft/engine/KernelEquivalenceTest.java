package weft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every non-GEMM kernel of {@link PanamaKernels} against the {@link ScalarKernels} reference
 * (GEMM has its own test).
 *
 * <p>Sizes straddle the vector length (1, 7, 8, 9, 63, 64, 65, 1000 and 0), inputs and outputs
 * start at nonzero offsets, and every array has a padding of random values after the data:
 * outputs are compared over the whole array, so a kernel writing outside its range fails too.
 *
 * <p>Tolerances:
 * <ul>
 * <li>Bitwise identical: NEG, ABS, SQUARE, SQRT, RECIPROCAL, RELU, LEAKY_RELU, every BinaryOp
 *     (also with a scalar operand), axpy, blockAxpy, blockDots, fma, linear, max, sumCols (also a
 *     column block), gatherRows, scatterAddRows, attention's row steps (attentionShift,
 *     attentionNormalize, attentionScoreGrad), layerNormParamGrads.
 *     These do the same IEEE operations per element in both providers (gatherRows is the
 *     inherited reference, see KEPT_SCALAR).</li>
 * <li>{@value #TRANSCENDENTAL_ULPS} ulp of the reference for EXP, LOG, TANH, SIGMOID, SOFTPLUS,
 *     LOG_SIGMOID: the reference works in double and rounds once; the vector code uses the JDK's
 *     float vector math (about 1 ulp) and composes up to three float operations. Measured
 *     maximum over 2^20 inputs in [-110, 110] on JDK 17 and 25: 1 ulp for EXP, LOG, TANH,
 *     SOFTPLUS, LOG_SIGMOID, 2 for SIGMOID.</li>
 * <li>Sums, dot products, sums of squares: both results must lie within the rigorous
 *     recursive-summation bound {@code (n + 1) * 2^-24 * sum|term|} of the exact (double)
 *     value; the vector code adds in another order, so the two need not agree bitwise.</li>
 * <li>Row softmax, log-softmax and L2 normalisation combine the two: see each test.</li>
 * <li>layerNormRows and layerNormBackwardRows: bitwise equal to the kernel sequence that defines
 *     them, run on the same provider; within 1e-4 across providers (their sums differ).</li>
 * </ul>
 */
class KernelEquivalenceTest {
    static final int TRANSCENDENTAL_ULPS = 4;
    private static final double U = 0x1.0p-24; // unit roundoff of float
    private static final int[] SIZES = {0, 1, 7, 8, 9, 63, 64, 65, 1000};
    private static final int[] ROWS = {1, 7, 9, 65};
    private static final int[] COLS = {1, 8, 63, 1000};
    private static final int PAD = 5;
    private static final EnumSet<UnaryOp> TRANSCENDENTAL = EnumSet.of(UnaryOp.EXP, UnaryOp.LOG, UnaryOp.TANH,
            UnaryOp.SIGMOID, UnaryOp.SOFTPLUS, UnaryOp.LOG_SIGMOID);

    /** Kernels methods PanamaKernels deliberately leaves to the scalar reference, with the reason. */
    private static final Map<String, String> KEPT_SCALAR = Map.of(
            "gatherRows", "System.arraycopy per row is already a vectorised intrinsic; a FloatVector copy measured slower");

    static Kernels ref;
    static Kernels simd;
    private final Rng rng = new Rng(20240611);

    @BeforeAll
    static void providers() {
        ref = KernelProvider.scalar();
        simd = KernelProvider.panamaOrNull();
        // Surefire starts the JVM with --add-modules jdk.incubator.vector, so this must load;
        // skipping instead would let a broken PanamaKernels pass silently.
        assertNotNull(simd, "PanamaKernels did not load although the build adds jdk.incubator.vector");
    }

    // ---------------------------------------------------------------- structure

    @Test
    void panamaOverridesEveryKernel() {
        List<String> missing = new ArrayList<>();
        for (Method m : Kernels.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || KEPT_SCALAR.containsKey(m.getName())) {
                continue;
            }
            try {
                PanamaKernels.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                missing.add(m.getName());
            }
        }
        assertTrue(missing.isEmpty(), "PanamaKernels inherits the scalar version of " + missing
                + "; vectorise them or list them in KEPT_SCALAR with the reason");
    }

    /** The exemption list must not go stale: a kept-scalar method really is inherited. */
    @Test
    void keptScalarMethodsAreReallyInherited() {
        for (String name : KEPT_SCALAR.keySet()) {
            for (Method m : PanamaKernels.class.getDeclaredMethods()) {
                assertTrue(!m.getName().equals(name), name + " is listed in KEPT_SCALAR but PanamaKernels overrides it");
            }
            boolean inKernels = false;
            for (Method m : Kernels.class.getMethods()) inKernels |= m.getName().equals(name);
            assertTrue(inKernels, name + " in KEPT_SCALAR is not a Kernels method");
        }
    }

    @Test
    void namesTellProvidersApart() {
        assertEquals("scalar", ref.name());
        assertEquals("panama-" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(), simd.name());
    }

    // ---------------------------------------------------------------- element-wise

    @Test
    void unaryMatchesReference() {
        for (UnaryOp op : UnaryOp.values()) {
            for (int n : SIZES) {
                // LOG and SQRT get mostly positive inputs so that the comparison is not all NaN.
                float lo = (op == UnaryOp.LOG || op == UnaryOp.SQRT) ? -0.5f : -30f;
                float[] a = rand(3, n, lo, 30f);
                float[] out0 = rand(5, n, -1f, 1f);
                float[][] r = both(out0, (k, out) -> k.unary(op, a, 3, out, 5, n, 0.01f));
                compareUnary(op + " n=" + n, op, r[0], r[1]);
            }
        }
    }

    @Test
    void unaryInPlace() {
        for (UnaryOp op : UnaryOp.values()) {
            for (int n : new int[] {9, 65}) {
                float[] a = rand(2, n, 0.1f, 8f);
                float[][] r = both(a, (k, x) -> k.unary(op, x, 2, x, 2, n, 0.3f));
                compareUnary(op + " in place n=" + n, op, r[0], r[1]);
            }
        }
    }

    /**
     * Extreme and special inputs: the stable formulations must stay finite wherever the function
     * is finite (no exp overflow inside sigmoid / softplus / log-sigmoid), and NaN / infinities
     * must come out as in the reference.
     */
    @Test
    void unarySpecialValues() {
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                1f, -1f, 1e-8f, -1e-8f, 1.0000001f, 0.9999999f, 20f, -20f, 50f, -50f, 88.7f, 89f, -87f,
                -103f, -110f, 100f, -100f, 1e4f, -1e4f, 1e30f, -1e30f};
        int n = 3 * special.length; // several full vectors and a tail
        float[] a = new float[1 + n];
        for (int i = 0; i < n; i++) a[1 + i] = special[i % special.length];
        for (UnaryOp op : UnaryOp.values()) {
            float[][] r = both(new float[n], (k, out) -> k.unary(op, a, 1, out, 0, n, 0.2f));
            compareUnary(op + " special", op, r[0], r[1]);
            if (op == UnaryOp.SIGMOID || op == UnaryOp.SOFTPLUS || op == UnaryOp.LOG_SIGMOID || op == UnaryOp.TANH) {
                for (int i = 0; i < n; i++) {
                    if (Float.isFinite(a[1 + i])) {
                        assertTrue(Float.isFinite(r[1][i]), op + "(" + a[1 + i] + ") = " + r[1][i]);
                    }
                }
            }
            if (op == UnaryOp.EXP) {
                for (int i = 0; i < n; i++) {
                    if (a[1 + i] < 88f) {
                        assertTrue(Float.isFinite(r[1][i]), "exp(" + a[1 + i] + ") = " + r[1][i]);
                    }
                }
            }
        }
        // The values themselves, not only agreement with the reference.
        float[] x = {100f, -100f, 0f, -100f, 100f, 0f, 1f, -1f, 100f, -100f};
        float[] sg = new float[x.length], sp = new float[x.length], ls = new float[x.length];
        simd.unary(UnaryOp.SIGMOID, x, 0, sg, 0, x.length, 0f);
        simd.unary(UnaryOp.SOFTPLUS, x, 0, sp, 0, x.length, 0f);
        simd.unary(UnaryOp.LOG_SIGMOID, x, 0, ls, 0, x.length, 0f);
        assertEquals(1f, sg[0]);
        assertEquals(Math.exp(-100), sg[1], 3e-45); // a denormal: 1.4e-45 steps
        assertTrue(sg[1] > 0f, "sigmoid(-100) underflowed to 0");
        assertEquals(0.5f, sg[2]);
        assertEquals(100f, sp[0]);
        assertTrue(sp[1] > 0f && sp[1] < 1e-43f, "softplus(-100) = " + sp[1]);
        assertEquals((float) Math.log(2), sp[2], 1e-7f);
        assertEquals(-100f, ls[1]);
        assertTrue(ls[0] < 0f && ls[0] > -1e-43f, "logSigmoid(100) = " + ls[0]);
    }

    /**
     * The vector math intrinsics (SVML on x86) only replace the Java fallback once C2 compiles
     * the loop; before that lanewise(EXP) computes in double per lane and agrees exactly. This
     * runs the transcendentals long enough to be compiled and checks the compiled code's
     * accuracy too. The iteration count, not time, bounds it.
     */
    @Test
    void transcendentalsAfterJitWarmup() {
        int n = 256;
        float[] a = rand(0, n, -40f, 40f);
        float[] e = new float[n], g = new float[n];
        for (int round = 0; round < 1500; round++) {
            for (UnaryOp op : TRANSCENDENTAL) {
                ref.unary(op, a, 0, e, 0, n, 0f);
                simd.unary(op, a, 0, g, 0, n, 0f);
                if (round % 100 == 99) {
                    compareUnary(op + " round " + round, op, e, g);
                }
            }
            a[round % n] = (float) (80 * rng.nextDouble() - 40);
        }
    }

    private static void compareUnary(String what, UnaryOp op, float[] expected, float[] actual) {
        if (TRANSCENDENTAL.contains(op)) {
            assertUlps(what, expected, actual, TRANSCENDENTAL_ULPS);
        } else {
            assertBitwise(what, expected, actual);
        }
    }

    @Test
    void binaryMatchesReference() {
        for (BinaryOp op : BinaryOp.values()) {
            for (int n : SIZES) {
                float[] a = rand(1, n, -4f, 4f);
                float[] b = rand(4, n, -4f, 4f);
                float[][] r = both(rand(2, n, 0f, 1f), (k, out) -> k.binary(op, a, 1, b, 4, out, 2, n));
                assertBitwise(op + " n=" + n, r[0], r[1]);
                float s = -1.75f;
                float[][] rs = both(rand(2, n, 0f, 1f), (k, out) -> k.binaryScalar(op, a, 1, s, out, 2, n));
                assertBitwise(op + " scalar n=" + n, rs[0], rs[1]);
            }
        }
    }

    @Test
    void binaryInPlaceAndSpecialValues() {
        float[] special = {Float.NaN, 0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f, 3e38f, 1e-45f};
        int n = 2 * special.length * special.length; // every pair, twice, with a tail
        float[] a = new float[n], b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = special[i % special.length];
            b[i] = special[(i / special.length) % special.length];
        }
        for (BinaryOp op : BinaryOp.values()) {
            float[][] r = both(new float[n], (k, out) -> k.binary(op, a, 0, b, 0, out, 0, n));
            assertBitwise(op + " special pairs", r[0], r[1]);
            for (float s : special) {
                float[][] rs = both(new float[n], (k, out) -> k.binaryScalar(op, a, 0, s, out, 0, n));
                assertBitwise(op + " special scalar " + s, rs[0], rs[1]);
            }
            // out aliasing a, and out aliasing b.
            float[] x = rand(0, 65, -3f, 3f), y = rand(0, 65, -3f, 3f);
            float[][] ra = both(x, (k, o) -> k.binary(op, o, 0, y, 0, o, 0, 65));
            assertBitwise(op + " out=a", ra[0], ra[1]);
            float[][] rb = both(y, (k, o) -> k.binary(op, x, 0, o, 0, o, 0, 65));
            assertBitwise(op + " out=b", rb[0], rb[1]);
            float[][] rsc = both(x, (k, o) -> k.binaryScalar(op, o, 0, 0.5f, o, 0, 65));
            assertBitwise(op + " scalar in place", rsc[0], rsc[1]);
        }
    }

    @Test
    void gatherAxpyMatchesReferenceAndOneAxpyPerEntry() {
        // widths below, at and off the vector length and its 4-vector block; 0 to 9 entries,
        // repeated columns, negative and zero values
        int rowsX = 7;
        for (int d : new int[] {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 128, 130}) {
            float[] x = rand(9, rowsX * d + 3, -2f, 2f);
            for (int nnz = 0; nnz <= 9; nnz++) {
                int[] col = new int[nnz + 2];
                float[] val = rand(10 + nnz, nnz + 2, -1.5f, 1.5f);
                for (int e = 0; e < col.length; e++) col[e] = (e * 5 + nnz) % rowsX;
                if (nnz > 2) val[2] = 0f;
                final int n = nnz;
                float[] y0 = rand(11, d + 4, -2f, 2f);
                float[][] r = both(y0, (k, y) -> k.gatherAxpy(val, col, 1, 1 + n, x, 3, d, y, 2));
                assertBitwise("gatherAxpy d=" + d + " nnz=" + n, r[0], r[1]);
                float[] perEntry = y0.clone();
                for (int e = 1; e < 1 + n; e++) ScalarKernels.INSTANCE.axpy(val[e], x, 3 + col[e] * d, perEntry, 2, d);
                assertBitwise("gatherAxpy = one axpy per entry, d=" + d + " nnz=" + n, perEntry, r[1]);
            }
        }
    }

    @Test
    void blockAxpyMatchesReferenceAndOneAxpyPerEntryAndBlock() {
        // block widths below, at, off and several times the vector length; 0 to 6 entries; the
        // weights strided as attention stores them (per block, then per entry) and the reverse
        for (int bw : new int[] {1, 3, 4, 8, 12, 16, 17, 24, 32, 48, 64}) {
            for (int blocks = 1; blocks <= 5; blocks++) {
                int d = blocks * bw, xStride = d + 3;
                for (int entries = 0; entries <= 6; entries++) {
                    for (boolean perBlockFirst : new boolean[] {true, false}) {
                        int wBlock = perBlockFirst ? entries + 2 : 1, wEntry = perBlockFirst ? 1 : blocks;
                        final int n = entries, nb = blocks, width = bw;
                        float[] w = rand(2, Math.max(1, blocks * wBlock + entries * wEntry), -1.5f, 1.5f);
                        if (w.length > 4) w[3] = 0f;
                        float[] x = rand(5, Math.max(1, entries) * xStride, -2f, 2f);
                        float[] y0 = rand(4, d, -2f, 2f);
                        float[][] r = both(y0, (k, y) -> k.blockAxpy(n, nb, width, w, 2, wBlock, wEntry, x, 5, xStride, y, 4));
                        String what = "blockAxpy bw=" + bw + " blocks=" + blocks + " entries=" + entries + " perBlockFirst=" + perBlockFirst;
                        assertBitwise(what, r[0], r[1]);
                        float[] perStep = y0.clone();
                        for (int e = 0; e < entries; e++) {
                            for (int h = 0; h < blocks; h++) {
                                ScalarKernels.INSTANCE.axpy(w[2 + h * wBlock + e * wEntry], x, 5 + e * xStride + h * bw, perStep, 4 + h * bw, bw);
                            }
                        }
                        assertBitwise(what + " = one axpy per (entry, block)", perStep, r[1]);
                    }
                }
            }
        }
    }

    @Test
    void blockDotsMatchReferenceAndTheFourChainOrder() {
        // the documented order, written out here: four fma chains over c = r, r + 4, ..., then
        // (s0 + s1) + (s2 + s3), then the tail; both providers must give exactly that
        for (int bw : new int[] {1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 24, 32, 33, 48, 64, 128}) {
            for (int blocks = 1; blocks <= 5; blocks++) {
                int d = blocks * bw;
                float[] x = rand(3, d, -2f, 2f), y = rand(6, d, -2f, 2f);
                final int nb = blocks, width = bw;
                float[][] r = both(rand(1, 2 * blocks, -1f, 1f), (k, out) -> k.blockDots(nb, width, x, 3, y, 6, out, 1, 2));
                String what = "blockDots bw=" + bw + " blocks=" + blocks;
                assertBitwise(what, r[0], r[1]);
                for (int h = 0; h < blocks; h++) {
                    float[] s = new float[4];
                    int c = 0;
                    for (; c + 4 <= bw; c += 4) {
                        for (int q = 0; q < 4; q++) s[q] = Math.fma(x[3 + h * bw + c + q], y[6 + h * bw + c + q], s[q]);
                    }
                    float e = (s[0] + s[1]) + (s[2] + s[3]);
                    for (; c < bw; c++) e = Math.fma(x[3 + h * bw + c], y[6 + h * bw + c], e);
                    assertEquals(Float.floatToRawIntBits(e), Float.floatToRawIntBits(r[1][1 + 2 * h]), what + " block " + h);
                }
            }
        }
    }

    @Test
    void attentionScoresMatchReferenceAndOneBlockDotsPerKeyAndQuery() {
        // the SIMD provider has its own path at four heads, four queries and dh a multiple of 16
        // (on 16 lanes); every other shape takes the reference, and all must give blockDots' bits
        for (int heads : new int[] {1, 2, 4, 8}) {
            for (int tq : new int[] {1, 3, 4, 5}) {
                for (int dh : new int[] {4, 8, 15, 16, 32, 48}) {
                    for (int tk : new int[] {1, 2, 4, 5, 7}) {
                        int d = heads * dh, rows = heads * tq;
                        float[] q = rand(3, tq * d, -2f, 2f), k = rand(6, tk * d, -2f, 2f);
                        final int h = heads, nq = tq, w = dh, nk = tk;
                        int work = Kernels.attentionScoresWork(tq, tk, heads, dh);
                        float[] out0 = rand(2, tk * rows, -1f, 1f);
                        float[][] r = both(out0,
                                (kern, out) -> kern.attentionScores(nq, nk, h, w, q, 3, k, 6, out, 2, rand(4, work, -9f, 9f), 4));
                        String what = "attentionScores heads=" + heads + " tq=" + tq + " dh=" + dh + " tk=" + tk;
                        assertBitwise(what, r[0], r[1]);
                        float[] perCall = out0.clone();
                        for (int j = 0; j < tk; j++) {
                            for (int i = 0; i < tq; i++) {
                                ScalarKernels.INSTANCE.blockDots(heads, dh, q, 3 + i * d, k, 6 + j * d, perCall, 2 + j * rows + i, tq);
                            }
                        }
                        assertBitwise(what + " = one blockDots per (key, query)", perCall, r[1]);
                    }
                }
            }
        }
    }

    @Test
    void axpyFmaLinearMatchReference() {
        for (int n : SIZES) {
            float[] x = rand(3, n, -2f, 2f);
            float[] b = rand(1, n, -2f, 2f);
            float[] c = rand(6, n, -2f, 2f);
            float[][] ax = both(rand(2, n, -2f, 2f), (k, y) -> k.axpy(-0.37f, x, 3, y, 2, n));
            assertBitwise("axpy n=" + n, ax[0], ax[1]);
            float[][] fm = both(rand(4, n, -2f, 2f), (k, out) -> k.fma(x, 3, b, 1, c, 6, out, 4, n));
            assertBitwise("fma n=" + n, fm[0], fm[1]);
            float[][] fmc = both(c, (k, out) -> k.fma(x, 3, b, 1, out, 6, out, 6, n));
            assertBitwise("fma out=c n=" + n, fmc[0], fmc[1]);
            float[][] li = both(rand(5, n, -2f, 2f), (k, out) -> k.linear(0.9f, x, 3, -1.3f, b, 1, out, 5, n));
            assertBitwise("linear n=" + n, li[0], li[1]);
            float[][] lia = both(x, (k, out) -> k.linear(0.9f, out, 3, -1.3f, b, 1, out, 3, n));
            assertBitwise("linear out=a n=" + n, lia[0], lia[1]);
        }
    }

    @Test
    void leakyReluGradMatchesReference() {
        for (int n : SIZES) {
            float[] a = rand(2, n, -2f, 2f);
            for (int i = 2; i < 2 + n; i += 7) a[i] = 0f;           // the boundary: not > 0
            for (int i = 5; i < 2 + n; i += 11) a[i] = -0f;
            for (int i = 9; i < 2 + n; i += 13) a[i] = Float.NaN;   // not > 0 either
            float[] g = rand(4, n, -3f, 3f);
            for (int i = 4; i < 4 + n; i += 5) g[i] = -g[i];
            for (float slope : new float[] {0f, 0.2f}) {
                for (boolean acc : new boolean[] {true, false}) {
                    String what = "leakyReluGrad n=" + n + " slope=" + slope + " accumulate=" + acc;
                    float[][] r = both(rand(3, n, -1f, 1f), (k, out) -> k.leakyReluGrad(a, 2, g, 4, slope, out, 3, n, acc));
                    assertBitwise(what, r[0], r[1]);
                    float[] out = rand(3, n, -1f, 1f), expect = out.clone();
                    for (int i = 0; i < n; i++) {   // the definition, element by element
                        float t = a[2 + i] > 0f ? g[4 + i] : slope * g[4 + i];
                        expect[3 + i] = acc ? out[3 + i] + t : t;
                    }
                    simd.leakyReluGrad(a, 2, g, 4, slope, out, 3, n, acc);
                    assertBitwise(what + " (definition)", expect, out);
                    float[][] inPlace = both(g, (k, gg) -> k.leakyReluGrad(a, 2, gg, 4, slope, gg, 4, n, acc));
                    assertBitwise(what + " out = g", inPlace[0], inPlace[1]);
                }
            }
        }
    }

    // ---------------------------------------------------------------- reductions

    @Test
    void reductionsWithinSummationBound() {
        for (int n : concat(SIZES, 100_003)) {
            float[] a = rand(3, n, -1f, 1f);
            float[] b = rand(7, n, -1f, 1f);
            double exact = 0, abs = 0, exactDot = 0, absDot = 0, exactSq = 0;
            for (int i = 0; i < n; i++) {
                exact += a[3 + i];
                abs += Math.abs(a[3 + i]);
                double p = (double) a[3 + i] * b[7 + i];
                exactDot += p;
                absDot += Math.abs(p);
                exactSq += (double) a[3 + i] * a[3 + i];
            }
            assertSummed("sum n=" + n, exact, abs, n, ref.sum(a, 3, n), simd.sum(a, 3, n));
            assertSummed("dot n=" + n, exactDot, absDot, n, ref.dot(a, 3, b, 7, n), simd.dot(a, 3, b, 7, n));
            assertSummed("sumSquares n=" + n, exactSq, exactSq, n, ref.sumSquares(a, 3, n), simd.sumSquares(a, 3, n));
            assertEquals(Float.floatToIntBits(ref.max(a, 3, n)), Float.floatToIntBits(simd.max(a, 3, n)), "max n=" + n);
        }
    }

    @Test
    void maxSpecialValues() {
        assertEquals(Float.NEGATIVE_INFINITY, simd.max(new float[0], 0, 0));
        for (int n : new int[] {7, 9, 64, 65}) {
            for (int pos = 0; pos < n; pos += Math.max(1, n / 5)) {
                float[] a = new float[n];
                java.util.Arrays.fill(a, -0f);
                a[pos] = 0f; // +0 must beat -0 wherever it is
                assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(simd.max(a, 0, n)), "+0 at " + pos + " of " + n);
                a[pos] = Float.NaN;
                assertTrue(Float.isNaN(simd.max(a, 0, n)), "NaN at " + pos + " of " + n + " must propagate");
                java.util.Arrays.fill(a, -5f);
                a[pos] = -1f;
                assertEquals(-1f, simd.max(a, 0, n));
            }
        }
    }

    @Test
    void rowReductionsMatchReference() {
        for (int rows : ROWS) {
            for (int cols : COLS) {
                String shape = rows + "x" + cols;
                float[] a = rand(3, rows * cols, -1f, 1f);
                float[] b = rand(2, rows * cols, -1f, 1f);
                for (boolean acc : new boolean[] {false, true}) {
                    float[][] sr = both(rand(1, rows, -1f, 1f), (k, out) -> k.sumRows(a, 3, rows, cols, out, 1, acc));
                    float[][] sc = both(rand(4, cols, -1f, 1f), (k, out) -> k.sumCols(a, 3, rows, cols, out, 4, acc));
                    assertBitwise("sumCols " + shape + " acc=" + acc, sc[0], sc[1]);
                    // a block of columns of a wider matrix (leading dimension cols + 5), from column 2
                    int lda = cols + 5, width = Math.max(1, cols - 2);
                    float[] wide = rand(3, rows * lda, -1f, 1f);
                    float[] start = rand(4, width, -1f, 1f);
                    float[][] sb = both(start, (k, out) -> k.sumCols(wide, 5, lda, rows, width, out, 4, acc));
                    assertBitwise("sumCols block " + shape + " acc=" + acc, sb[0], sb[1]);
                    float[] perRow = start.clone();
                    if (!acc) java.util.Arrays.fill(perRow, 4, 4 + width, 0f);
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < width; c++) perRow[4 + c] += wide[5 + r * lda + c];
                    }
                    assertBitwise("sumCols block = row after row " + shape + " acc=" + acc, perRow, sb[1]);
                    float[] tol = new float[sr[0].length];
                    for (int r = 0; r < rows; r++) {
                        double abs = acc ? Math.abs(sr[0][1 + r]) : 0;
                        for (int c = 0; c < cols; c++) abs += Math.abs(a[3 + r * cols + c]);
                        tol[1 + r] = (float) (2 * (cols + 2) * U * abs);
                    }
                    assertClose("sumRows " + shape + " acc=" + acc, sr[0], sr[1], tol);
                }
                float[][] rd = both(rand(6, rows, -1f, 1f), (k, out) -> k.rowDot(a, 3, b, 2, rows, cols, out, 6));
                float[] tol = new float[rd[0].length];
                for (int r = 0; r < rows; r++) {
                    double abs = 0;
                    for (int c = 0; c < cols; c++) abs += Math.abs(a[3 + r * cols + c] * b[2 + r * cols + c]);
                    tol[6 + r] = (float) (2 * (cols + 1) * U * abs);
                }
                assertClose("rowDot " + shape, rd[0], rd[1], tol);
            }
        }
    }

    // ---------------------------------------------------------------- row-wise

    /**
     * Softmax: each output is exp (a few ulp) times 1 / (sum of positive terms, relative error
     * at most (cols + 1) u in either order), so a relative bound of 8 ulp + 2 (cols + 1) u holds,
     * plus a few denormal steps for outputs that underflow.
     */
    @Test
    void rowSoftmaxMatchesReference() {
        for (int rows : ROWS) {
            for (int cols : COLS) {
                for (float spread : new float[] {3f, 60f}) {
                    String what = "rowSoftmax " + rows + "x" + cols + " spread " + spread;
                    float[] a = rand(2, rows * cols, -spread, spread);
                    float[][] r = both(rand(5, rows * cols, 0f, 1f), (k, out) -> k.rowSoftmax(a, 2, rows, cols, out, 5));
                    assertRelative(what, r[0], r[1], 8 * 2 * U + 2 * (cols + 1) * U);
                    float[][] inPlace = both(a, (k, x) -> k.rowSoftmax(x, 2, rows, cols, x, 2));
                    assertRelative(what + " in place", inPlace[0], inPlace[1], 8 * 2 * U + 2 * (cols + 1) * U);
                    for (int row = 0; row < rows; row++) {
                        assertEquals(1.0, sum(r[1], 5 + row * cols, cols), 1e-5 + cols * U, what + " row " + row + " sums to 1");
                    }
                }
            }
        }
    }

    /**
     * Log-softmax: out = a - (m + log s); the error of log s is the relative error of s,
     * at most (cols + 1) u, plus the roundings of a value of magnitude max(|a|, |out|).
     */
    @Test
    void rowLogSoftmaxMatchesReference() {
        for (int rows : ROWS) {
            for (int cols : COLS) {
                String what = "rowLogSoftmax " + rows + "x" + cols;
                float[] a = rand(4, rows * cols, -20f, 20f);
                float[][] r = both(rand(1, rows * cols, 0f, 1f), (k, out) -> k.rowLogSoftmax(a, 4, rows, cols, out, 1));
                float[] tol = new float[r[0].length];
                for (int i = 0; i < rows * cols; i++) {
                    float mag = Math.max(Math.abs(a[4 + i]), Math.abs(r[0][1 + i]));
                    tol[1 + i] = (float) (8 * Math.ulp(mag) + 2 * (cols + 1) * U);
                }
                assertClose(what, r[0], r[1], tol);
                float[][] inPlace = both(a, (k, x) -> k.rowLogSoftmax(x, 4, rows, cols, x, 4));
                float[] tolIn = new float[a.length];
                System.arraycopy(tol, 1, tolIn, 4, rows * cols);
                assertClose(what + " in place", inPlace[0], inPlace[1], tolIn);
            }
        }
    }

    /** Norm: sum of squares (relative (cols + 1) u), halved by sqrt; then one multiply per element. */
    @Test
    void rowL2NormalizeMatchesReference() {
        for (int rows : ROWS) {
            for (int cols : COLS) {
                String what = "rowL2Normalize " + rows + "x" + cols;
                float[] a = rand(1, rows * cols, -3f, 3f);
                java.util.Arrays.fill(a, 1, 1 + cols, 0f); // a zero row: clamped by eps, norm exactly 0
                float[] normsRef = rand(2, rows, 0f, 1f), normsSimd = normsRef.clone();
                float[] out0 = rand(3, rows * cols, 0f, 1f);
                float[] e = out0.clone(), g = out0.clone();
                ref.rowL2Normalize(a, 1, rows, cols, 1e-12f, e, 3, normsRef, 2);
                simd.rowL2Normalize(a, 1, rows, cols, 1e-12f, g, 3, normsSimd, 2);
                double rel = 4 * U + (cols + 1) * U;
                assertRelative(what, e, g, rel);
                assertRelative(what + " norms", normsRef, normsSimd, rel);
                assertEquals(0f, normsSimd[2], what + " zero row norm");
                float[][] inPlace = both(a, (k, x) -> k.rowL2Normalize(x, 1, rows, cols, 1e-12f, x, 1, null, 0));
                assertRelative(what + " in place, no norms", inPlace[0], inPlace[1], rel);
            }
        }
    }

    // ---------------------------------------------------------------- indexing

    @Test
    void gatherAndScatterMatchReference() {
        int tableRows = 23;
        for (int cols : new int[] {1, 7, 8, 9, 63, 64, 65}) {
            float[] table = rand(2, tableRows * cols, -1f, 1f);
            for (int count : new int[] {0, 1, 5, 40}) {
                int[] idx = new int[3 + count];
                for (int i = 0; i < count; i++) idx[3 + i] = rng.nextInt(tableRows); // repeats likely at 40
                String what = "cols=" + cols + " count=" + count;
                float[][] g = both(rand(4, count * cols, 0f, 1f), (k, out) -> k.gatherRows(table, 2, cols, idx, 3, count, out, 4));
                assertBitwise("gatherRows " + what, g[0], g[1]);
                for (int i = 0; i < count; i++) {
                    assertEquals(table[2 + idx[3 + i] * cols + cols - 1], g[1][4 + i * cols + cols - 1], "gathered row " + i);
                }
                float[] src = rand(1, count * cols, -1f, 1f);
                float[][] s = both(table, (k, dst) -> k.scatterAddRows(src, 1, cols, idx, 3, count, dst, 2));
                assertBitwise("scatterAddRows " + what, s[0], s[1]);
            }
        }
    }

    @Test
    void scatterAccumulatesRepeatedIndices() {
        float[] src = {1f, 2f, 10f, 20f, 100f, 200f};
        int[] idx = {1, 1, 0};
        float[] dst = new float[4];
        simd.scatterAddRows(src, 0, 2, idx, 0, 3, dst, 0);
        assertArrayEqualsBits(new float[] {100f, 200f, 11f, 22f}, dst);
    }

    @Test
    void badRowIndexFailsClearly() {
        for (Kernels k : new Kernels[] {ref, simd}) {
            float[] table = new float[3 + 4 * 9]; // 4 rows of 9 after an offset of 3
            float[] out = new float[9];
            IndexOutOfBoundsException neg = assertThrows(IndexOutOfBoundsException.class,
                    () -> k.gatherRows(table, 3, 9, new int[] {0, -1}, 0, 2, out, 0), k.name());
            assertTrue(neg.getMessage().contains("gatherRows") && neg.getMessage().contains("-1"), neg.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> k.gatherRows(table, 3, 9, new int[] {4}, 0, 1, out, 0), k.name());
            IndexOutOfBoundsException sc = assertThrows(IndexOutOfBoundsException.class,
                    () -> k.scatterAddRows(out, 0, 9, new int[] {-1}, 0, 1, table, 3), k.name());
            assertTrue(sc.getMessage().contains("scatterAddRows"), sc.getMessage());
            float[] before = table.clone();
            assertThrows(IndexOutOfBoundsException.class, () -> k.scatterAddRows(out, 0, 9, new int[] {4}, 0, 1, table, 3));
            assertArrayEqualsBits(before, table);
        }
    }

    // ---------------------------------------------------------------- attention's row steps

    /**
     * The key-major row steps do the same IEEE operations per row in both providers: bitwise equal,
     * with row counts around the vector length, rows whose keys are all masked (-inf scores, then
     * zero weights) and single masked keys.
     */
    @Test
    void attentionRowStepsMatchReference() {
        for (int rows : new int[] {1, 4, 15, 16, 17, 64, 80}) {
            for (int keys : new int[] {1, 2, 4, 5}) {
                String what = "attention rows=" + rows + " keys=" + keys;
                int n = rows * keys;
                float[] scores = rand(3, n, -6f, 6f);
                for (int r = 0; r < rows; r += 3) {   // rows 0, 6, 12, ... fully masked; some others lose their last key
                    for (int j = 0; j < keys; j++) {
                        if (r % 2 == 0 || (r % 5 == 1 && j == keys - 1)) scores[3 + j * rows + r] = Float.NEGATIVE_INFINITY;
                    }
                }
                float[][] shifted = both(scores, (k, a) -> k.attentionShift(a, 3, rows, keys, 0.3f));
                assertBitwise(what + " shift", shifted[0], shifted[1]);
                float[] w = shifted[0].clone();
                for (int i = 0; i < n; i++) w[3 + i] = (float) Math.exp(w[3 + i]);
                boolean[] zero = new boolean[2];
                float[][] normal = both(w, (k, a) -> zero[k == ref ? 0 : 1] = k.attentionNormalize(a, 3, rows, keys));
                assertBitwise(what + " normalize", normal[0], normal[1]);
                assertEquals(zero[0], zero[1], what + " zero-sum flag");
                assertTrue(zero[0], what + ": row 0 is fully masked, so its sum is 0");
                for (int j = 0; j < keys; j++) assertEquals(0f, normal[0][3 + j * rows], what + ": a masked row keeps zero weights");
                float[] dS = rand(2, n, -1f, 1f);
                float[][] grad = both(dS, (k, g) -> k.attentionScoreGrad(g, 2, normal[0], 3, rows, keys, 0.3f));
                assertBitwise(what + " score gradient", grad[0], grad[1]);
            }
        }
    }

    // ---------------------------------------------------------------- cross-entropy rows

    /**
     * The cross-entropy's row kernels give, on each provider, the bits of the kernel sequence they
     * are defined by (scale, max, subtract, exp, sum; scale, add, scale), in place and not, with
     * and without the scale; the two providers agree within the exp's and the sum's rounding.
     * Large logits (a row with 400) must not overflow: the maximum is subtracted first.
     */
    @Test
    void crossEntropyRowsAreTheirCompositionAndMatchTheReference() {
        for (int cols : LN_COLS) {
            for (int rows : new int[] {1, 3, 9}) {
                for (float c : new float[] {1f, 5f}) {
                    for (boolean inPlace : new boolean[] {false, true}) {
                        String what = "crossEntropyRows " + rows + "x" + cols + ", scale " + c + (inPlace ? ", in place" : "");
                        float[] x = rand(5, rows * cols + 2, -3f, 3f);
                        x[2] = 400f / c;
                        int[] t = new int[rows + 1];
                        for (int r = 0; r < t.length; r++) t[r] = (r * 5 + 2) % cols;
                        float[][] out = new float[6][];
                        for (int p = 0; p < 2; p++) {
                            Kernels k = p == 0 ? ref : simd;
                            float[] x1 = x.clone(), x2 = x.clone();
                            float[] e1 = inPlace ? x1 : rand(6, rows * cols + 3, -9f, 9f), e2 = inPlace ? x2 : e1.clone();
                            int eOff = inPlace ? 2 : 3;
                            float[] inv1 = new float[rows + 2], lp1 = new float[rows + 2], inv2 = inv1.clone(), lp2 = lp1.clone();
                            k.crossEntropyRows(x1, 2, rows, cols, c, t, 1, e1, eOff, inv1, lp1, 2);
                            Kernels.crossEntropyRowsComposed(k, x2, 2, rows, cols, c, t, 1, e2, eOff, inv2, lp2, 2);
                            assertBitwise(what + " e, " + k.name(), e2, e1);
                            assertBitwise(what + " invSum, " + k.name(), inv2, inv1);
                            assertBitwise(what + " logProb, " + k.name(), lp2, lp1);
                            for (float v : lp1) assertTrue(Float.isFinite(v), what + ": log-probability " + v);
                            // the backward, on the exponentials just made
                            float[] g1 = inPlace ? e1 : rand(7, rows * cols + 4, -9f, 9f), g2 = inPlace ? e2 : g1.clone();
                            int gOff = inPlace ? eOff : 4;
                            k.crossEntropyBackwardRows(e1, eOff, rows, cols, inv1, 2, 0.25f, -0.25f, c, t, 1, g1, gOff);
                            Kernels.crossEntropyBackwardRowsComposed(k, e2, eOff, rows, cols, inv2, 2, 0.25f, -0.25f, c, t, 1, g2, gOff);
                            assertBitwise(what + " backward, " + k.name(), g2, g1);
                            out[3 * p] = java.util.Arrays.copyOfRange(lp1, 2, 2 + rows);
                            out[3 * p + 1] = java.util.Arrays.copyOfRange(g1, gOff, gOff + rows * cols);
                            out[3 * p + 2] = java.util.Arrays.copyOfRange(inv1, 2, 2 + rows);
                        }
                        float[] tol = new float[rows * cols];
                        java.util.Arrays.fill(tol, 1e-5f);
                        assertClose(what + " backward, scalar vs SIMD", out[1], out[4], tol);
                        for (int r = 0; r < rows; r++) {
                            assertEquals(out[0][r], out[3][r], 1e-4f * (1f + Math.abs(out[0][r])), what + " logProb row " + r);
                            assertEquals(out[2][r], out[5][r], 1e-5f * out[2][r], what + " invSum row " + r);
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- layer normalisation

    private static final int[] LN_COLS = {1, 7, 16, 63, 64, 65, 100, 1000};

    /**
     * The fused row kernels give, on each provider, the bits of the kernel sequence they are defined
     * by on that provider (sum, binaryScalar, sumSquares, fma; binary, sum, dot, axpy); the two
     * providers agree to a few ulps of the row's scale (their sums add in different orders).
     */
    @Test
    void layerNormRowsAreTheirCompositionAndMatchTheReference() {
        for (int cols : LN_COLS) {
            for (int rows : new int[] {1, 3, 9}) {
                String what = "layerNormRows " + rows + "x" + cols;
                float[] x = rand(2, rows * cols, -3f, 5f), gamma = rand(1, cols, 0.5f, 1.5f), beta = rand(3, cols, -1f, 1f);
                float[] xh0 = rand(4, rows * cols, -9f, 9f), y0 = rand(1, rows * cols, -9f, 9f), inv0 = rand(2, rows, -9f, 9f);
                float[][] out = new float[4][];
                for (int p = 0; p < 2; p++) {
                    Kernels k = p == 0 ? ref : simd;
                    float[] xh = xh0.clone(), y = y0.clone(), inv = inv0.clone();
                    float[] xh2 = xh0.clone(), y2 = y0.clone(), inv2 = inv0.clone();
                    k.layerNormRows(x, 2, rows, cols, gamma, 1, beta, 3, 1e-5f, xh, 4, y, 1, inv, 2);
                    Kernels.layerNormRowsComposed(k, x, 2, rows, cols, gamma, 1, beta, 3, 1e-5f, xh2, 4, y2, 1, inv2, 2);
                    assertBitwise(what + " xhat, " + k.name(), xh2, xh);
                    assertBitwise(what + " y, " + k.name(), y2, y);
                    assertBitwise(what + " invStd, " + k.name(), inv2, inv);
                    out[2 * p] = y;
                    out[2 * p + 1] = inv;
                }
                float[] tol = new float[out[0].length];
                java.util.Arrays.fill(tol, 1e-4f);
                assertClose(what + " y, scalar vs SIMD", out[0], out[2], tol);
                for (int r = 0; r < rows; r++) {
                    assertEquals(out[1][2 + r], out[3][2 + r], 1e-4f * out[1][2 + r], what + " invStd row " + r);
                }
            }
        }
    }

    @Test
    void layerNormBackwardRowsAreTheirCompositionAndMatchTheReference() {
        for (int cols : LN_COLS) {
            for (int rows : new int[] {1, 3, 9}) {
                String what = "layerNormBackwardRows " + rows + "x" + cols;
                float[] g = rand(1, rows * cols, -1f, 1f), gamma = rand(2, cols, 0.5f, 1.5f);
                float[] xhat = rand(3, rows * cols, -2f, 2f), inv = rand(1, rows, 0.2f, 3f);
                float[] gx0 = rand(2, rows * cols, -1f, 1f);
                float[][] out = new float[2][];
                for (int p = 0; p < 2; p++) {
                    Kernels k = p == 0 ? ref : simd;
                    float[] gx = gx0.clone(), gx2 = gx0.clone();
                    k.layerNormBackwardRows(g, 1, rows, cols, gamma, 2, xhat, 3, inv, 1, gx, 2);
                    Kernels.layerNormBackwardRowsComposed(k, g, 1, rows, cols, gamma, 2, xhat, 3, inv, 1, gx2, 2);
                    assertBitwise(what + ", " + k.name(), gx2, gx);
                    out[p] = gx;
                }
                float[] tol = new float[out[0].length];
                java.util.Arrays.fill(tol, 1e-4f);
                assertClose(what + ", scalar vs SIMD", out[0], out[1], tol);
            }
        }
    }

    /** The gain's and shift's gradients do the same operations per element in both providers (sumCols' order). */
    @Test
    void layerNormParamGradsMatchReferenceAndSumCols() {
        for (int cols : LN_COLS) {
            for (int rows : new int[] {1, 3, 9, 65}) {
                String what = "layerNormParamGrads " + rows + "x" + cols;
                float[] g = rand(2, rows * cols, -1f, 1f), xhat = rand(1, rows * cols, -2f, 2f);
                float[] dg0 = rand(3, cols, -1f, 1f), db0 = rand(1, cols, -1f, 1f);
                float[][] gammas = both(dg0, (k, dg) -> k.layerNormParamGrads(g, 2, xhat, 1, rows, cols, dg, 3, null, 0));
                float[][] betas = both(db0, (k, db) -> k.layerNormParamGrads(g, 2, xhat, 1, rows, cols, null, 0, db, 1));
                assertBitwise(what + " gamma", gammas[0], gammas[1]);
                assertBitwise(what + " beta", betas[0], betas[1]);
                // the definition: the product rounded, then sumCols with accumulate
                float[] prod = new float[rows * cols], dg = dg0.clone(), db = db0.clone();
                ref.binary(BinaryOp.MUL, g, 2, xhat, 1, prod, 0, rows * cols);
                ref.sumCols(prod, 0, rows, cols, dg, 3, true);
                ref.sumCols(g, 2, rows, cols, db, 1, true);
                assertBitwise(what + " gamma against sumCols", dg, gammas[1]);
                assertBitwise(what + " beta against sumCols", db, betas[1]);
                float[][] togetherSimd = {dg0.clone(), db0.clone()};
                simd.layerNormParamGrads(g, 2, xhat, 1, rows, cols, togetherSimd[0], 3, togetherSimd[1], 1);
                assertBitwise(what + " gamma, both at once", dg, togetherSimd[0]);
                assertBitwise(what + " beta, both at once", db, togetherSimd[1]);
            }
        }
    }

    /** A column block of a wider matrix (rows {@code ld} apart) gives those columns' gradients of the whole call. */
    @Test
    void layerNormParamGradsOfAColumnBlockAreThoseColumnsOfTheWholeCall() {
        int rows = 37, ld = 100;
        float[] g = rand(2, rows * ld, -1f, 1f), xhat = rand(1, rows * ld, -2f, 2f);
        float[] dg0 = rand(3, ld, -1f, 1f), db0 = rand(1, ld, -1f, 1f);
        for (Kernels k : new Kernels[] {ref, simd}) {
            float[] dgAll = dg0.clone(), dbAll = db0.clone();
            k.layerNormParamGrads(g, 2, xhat, 1, rows, ld, dgAll, 3, dbAll, 1);
            for (int[] block : new int[][] {{0, 16}, {16, 48}, {48, 63}, {63, 100}, {5, 6}}) {
                int c0 = block[0], c1 = block[1];
                float[] dg = dg0.clone(), db = db0.clone();
                k.layerNormParamGrads(g, 2 + c0, xhat, 1 + c0, ld, rows, c1 - c0, dg, 3 + c0, db, 1 + c0);
                String what = k.name() + " layerNormParamGrads columns [" + c0 + ", " + c1 + ") of " + ld;
                for (int c = 0; c < ld; c++) {
                    boolean in = c >= c0 && c < c1;
                    assertEquals(Float.floatToRawIntBits(in ? dgAll[3 + c] : dg0[3 + c]), Float.floatToRawIntBits(dg[3 + c]), what + ", gamma column " + c);
                    assertEquals(Float.floatToRawIntBits(in ? dbAll[1 + c] : db0[1 + c]), Float.floatToRawIntBits(db[1 + c]), what + ", beta column " + c);
                }
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    @FunctionalInterface
    interface Call {
        void run(Kernels k, float[] out);
    }

    /** Runs the call on a copy of {@code out} for each provider: {reference result, SIMD result}. */
    private static float[][] both(float[] out, Call call) {
        float[] e = out.clone(), g = out.clone();
        call.run(ref, e);
        call.run(simd, g);
        return new float[][] {e, g};
    }

    /** {@code off + n + PAD} values uniform in [lo, hi): data and the guard values around it. */
    private float[] rand(int off, int n, float lo, float hi) {
        float[] a = new float[off + n + PAD];
        for (int i = 0; i < a.length; i++) a[i] = lo + (hi - lo) * rng.nextFloat();
        return a;
    }

    private static int[] concat(int[] a, int x) {
        int[] r = java.util.Arrays.copyOf(a, a.length + 1);
        r[a.length] = x;
        return r;
    }

    private static double sum(float[] a, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += a[off + i];
        return s;
    }

    static void assertArrayEqualsBits(float[] expected, float[] actual) {
        assertBitwise("array", expected, actual);
    }

    static void assertBitwise(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            // floatToIntBits folds all NaNs into one, so only NaN payloads may differ.
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + ": index " + i + " expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }

    static void assertUlps(String what, float[] expected, float[] actual, int ulps) {
        float[] tol = new float[expected.length];
        for (int i = 0; i < tol.length; i++) tol[i] = ulps * Math.ulp(expected[i]);
        assertClose(what + " (" + ulps + " ulp)", expected, actual, tol);
    }

    /** |expected - actual| &le; rel |expected| per element, plus 4 denormal steps for underflow. */
    static void assertRelative(String what, float[] expected, float[] actual, double rel) {
        float[] tol = new float[expected.length];
        for (int i = 0; i < tol.length; i++) tol[i] = (float) (rel * Math.abs(expected[i])) + 4 * Float.MIN_VALUE;
        assertClose(what, expected, actual, tol);
    }

    /** Per-element absolute tolerance; NaN and infinities must match exactly. */
    static void assertClose(String what, float[] expected, float[] actual, float[] tol) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            boolean ok = Float.isFinite(e) ? Math.abs((double) e - a) <= tol[i] : Float.compare(e, a) == 0;
            if (!ok) {
                fail(what + ": index " + i + " expected " + e + " but was " + a + " (tolerance " + tol[i] + ")");
            }
        }
    }

    /** Both results within the recursive-summation error bound of the exact value. */
    private static void assertSummed(String what, double exact, double absSum, int n, float reference, float vector) {
        double bound = (n + 1) * U * absSum;
        assertEquals(exact, reference, bound, what + " (reference)");
        assertEquals(exact, vector, bound, what + " (vector)");
    }
}
