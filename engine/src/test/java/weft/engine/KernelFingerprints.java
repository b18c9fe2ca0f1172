package weft.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Fingerprints of every kernel's output bits over fixed inputs, for {@link KernelDeterminismTest}.
 * {@link #main} prints them, one {@code name=hex} line each, so that a child JVM started with
 * other JIT settings ({@code -Xint}, C1 only) can be compared with the test's own JVM.
 *
 * <p>Inputs come from a fixed {@link Rng} seed: values uniform in the ranges the models use,
 * random bit patterns (the whole float range: denormals, huge values, NaNs with payloads) and
 * a list of special values. Sizes are small, because {@code -Xint} runs the Vector API's Java
 * fallback at a few microseconds per vector operation, but straddle the vector loops: 5 (tail
 * only for L = 8), 37 and 203 (vector loop, the 4-accumulator loop of the reductions, and a tail).
 *
 * <p>Each output float is hashed through {@link Float#floatToIntBits}, which folds every NaN
 * into one: Java leaves NaN payloads unspecified (hardware and Java fallback legitimately differ
 * there), every other bit counts.
 */
public final class KernelFingerprints {
    private KernelFingerprints() {}

    static final int[] SIZES = {5, 37, 203};

    static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, 0x1.fffffcp-127f,
            Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 1e-8f, -1e-8f, 1.0000001f, 0.9999999f, 0.5f, -0.5f,
            0.625f, -0.625f, 9f, -9f, 20f, -20f, 50f, -50f, 88.72283f, 88.72284f, 89f, -87.33655f, -103.97208f,
            -103.97209f, -104f, -110f, 100f, -100f, 1e4f, -1e4f, 1e30f, -1e30f, 1.4142135f, 0.70710677f,
            2f, 3f, 1e-30f, -1e-30f, 0x1p-20f, -0x1p-20f, 1e-40f};

    /** Fingerprints of every kernel of {@code k}, in a fixed order, keyed by kernel and size. */
    public static Map<String, Long> compute(Kernels k) {
        Map<String, Long> fp = new LinkedHashMap<>();
        for (int n : SIZES) {
            Rng rng = new Rng(77 + n);
            float[] wide = uniform(rng, n, -110f, 110f);
            float[] narrow = uniform(rng, n, -4f, 4f);
            float[] positive = uniform(rng, n, 0f, 30f);
            float[] bits = randomBits(rng, n);
            float[] special = new float[n];
            for (int i = 0; i < n; i++) special[i] = SPECIAL[(i * 7) % SPECIAL.length];
            float[] b = uniform(rng, n, -2f, 2f);
            float[] c = uniform(rng, n, -2f, 2f);
            float[][] inputs = {wide, narrow, positive, bits, special};
            float[] out = new float[n];

            for (UnaryOp op : UnaryOp.values()) {
                long h = 17;
                for (float[] a : inputs) {
                    k.unary(op, a, 0, out, 0, n, 0.01f);
                    h = mix(h, out, n);
                }
                fp.put("unary." + op + ".n" + n, h);
            }
            for (BinaryOp op : BinaryOp.values()) {
                long h = 17;
                k.binary(op, narrow, 0, b, 0, out, 0, n);
                h = mix(h, out, n);
                k.binary(op, special, 0, bits, 0, out, 0, n);
                h = mix(h, out, n);
                k.binaryScalar(op, narrow, 0, -1.75f, out, 0, n);
                h = mix(h, out, n);
                fp.put("binary." + op + ".n" + n, h);
            }
            float[] y = b.clone();
            k.axpy(-0.37f, narrow, 0, y, 0, n);
            fp.put("axpy.n" + n, mix(17, y, n));
            k.fma(narrow, 0, b, 0, c, 0, out, 0, n);
            fp.put("fma.n" + n, mix(17, out, n));
            k.linear(0.9f, narrow, 0, -1.3f, b, 0, out, 0, n);
            fp.put("linear.n" + n, mix(17, out, n));

            long hs = 17;
            for (float[] a : inputs) {
                hs = mix(hs, k.sum(a, 0, n));
                hs = mix(hs, k.dot(a, 0, b, 0, n));
                hs = mix(hs, k.sumSquares(a, 0, n));
                hs = mix(hs, k.max(a, 0, n));
            }
            fp.put("reductions.n" + n, hs);

            // Row-wise kernels on an n x 8 and an 8 x n matrix (row length 8 is one AVX2 vector
            // and a tail of AVX-512; n covers tail-only, vector + tail).
            int[][] shapes = {{n, 8}, {8, n}};
            for (int[] shape : shapes) {
                int rows = shape[0], cols = shape[1];
                String s = rows + "x" + cols;
                float[] m = uniform(rng, rows * cols, -30f, 30f);
                float[] m2 = uniform(rng, rows * cols, -1f, 1f);
                float[] mo = new float[rows * cols];
                float[] ro = new float[Math.max(rows, cols)];
                k.sumRows(m, 0, rows, cols, ro, 0, false);
                fp.put("sumRows." + s, mix(17, ro, rows));
                k.sumCols(m, 0, rows, cols, ro, 0, false);
                fp.put("sumCols." + s, mix(17, ro, cols));
                k.rowDot(m, 0, m2, 0, rows, cols, ro, 0);
                fp.put("rowDot." + s, mix(17, ro, rows));
                k.rowSoftmax(m, 0, rows, cols, mo, 0);
                fp.put("rowSoftmax." + s, mix(17, mo, rows * cols));
                k.rowLogSoftmax(m, 0, rows, cols, mo, 0);
                fp.put("rowLogSoftmax." + s, mix(17, mo, rows * cols));
                k.rowL2Normalize(m, 0, rows, cols, 1e-12f, mo, 0, ro, 0);
                fp.put("rowL2Normalize." + s, mix(mix(17, mo, rows * cols), ro, rows));
                int[] idx = new int[rows];
                for (int i = 0; i < rows; i++) idx[i] = rng.nextInt(rows);
                k.gatherRows(m, 0, cols, idx, 0, rows, mo, 0);
                fp.put("gatherRows." + s, mix(17, mo, rows * cols));
                float[] dst = m2.clone();
                k.scatterAddRows(m, 0, cols, idx, 0, rows, dst, 0);
                fp.put("scatterAddRows." + s, mix(17, dst, rows * cols));
            }

            // Attention's per-head kernels: n blocks of width 16 (one AVX-512 vector, two AVX2
            // ones) and of width n + 3 (vector body and tail, or tail only), 3 entries.
            for (int bw : new int[] {16, n + 3}) {
                int blocks = Math.max(1, Math.min(n, 4)), d = blocks * bw;
                float[] bx = uniform(rng, 3 * d, -2f, 2f), by = uniform(rng, d, -2f, 2f);
                float[] bwts = uniform(rng, 3 * blocks, -1.5f, 1.5f);
                k.blockAxpy(3, blocks, bw, bwts, 0, 3, 1, bx, 0, d, by, 0);
                fp.put("blockAxpy.bw" + bw + ".n" + n, mix(17, by, d));
                float[] dots = new float[blocks];
                k.blockDots(blocks, bw, bx, 0, bx, d, dots, 0, 1);
                fp.put("blockDots.bw" + bw + ".n" + n, mix(17, dots, blocks));
            }

            // A whole sequence's scores: four heads and four queries (the SIMD provider's own path
            // on 16 lanes) with dh = 16 and 32, and three heads (the reference loop); its own Rng,
            // so the inputs of the kernels after it stay as they were.
            Rng srng = new Rng(91 + n);
            int tk = 1 + n % 5;
            for (int[] shape : new int[][] {{4, 16}, {4, 32}, {3, 16}}) {
                int heads = shape[0], dh = shape[1], d = heads * dh;
                float[] sq = uniform(srng, 4 * d, -2f, 2f), sk = uniform(srng, tk * d, -2f, 2f);
                float[] scores = new float[tk * heads * 4];
                k.attentionScores(4, tk, heads, dh, sq, 0, sk, 0, scores, 0, new float[Kernels.attentionScoresWork(4, tk, heads, dh)], 0);
                fp.put("attentionScores.h" + heads + ".dh" + dh + ".n" + n, mix(17, scores, scores.length));
            }

            // GEMM, small enough for the interpreter; k = n makes the dot products of the
            // transposed cases run their vector loop and tail.
            int gm = 7, gn = 9;
            float[] ga = uniform(rng, gm * n, -1f, 1f);
            float[] gb = uniform(rng, n * gn, -1f, 1f);
            long hg = 17;
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    float[] gc = uniform(rng, gm * gn, -1f, 1f);
                    k.gemm(ta, tb, gm, gn, n, ga, 0, ta ? gm : n, gb, 0, tb ? n : gn, gc, 0, gn, true);
                    hg = mix(hg, gc, gm * gn);
                }
            }
            fp.put("gemm.n" + n, hg);
        }
        return fp;
    }

    private static float[] uniform(Rng rng, int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.nextFloat();
        return a;
    }

    private static float[] randomBits(Rng rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = Float.intBitsToFloat((int) rng.nextLong());
        return a;
    }

    private static long mix(long h, float[] a, int n) {
        for (int i = 0; i < n; i++) h = mix(h, a[i]);
        return h;
    }

    private static long mix(long h, float x) {
        // Order-sensitive: the same bits at another index give another hash.
        h = (h ^ Float.floatToIntBits(x)) * 0x100000001b3L;
        return h ^ (h >>> 29);
    }

    /**
     * Prints {@code provider.kernel=hex} for the Panama kernels (when the vector module is
     * present) and the scalar reference.
     */
    public static void main(String[] args) {
        StringBuilder sb = new StringBuilder();
        Kernels panama = KernelProvider.panamaOrNull();
        if (panama != null) {
            compute(panama).forEach((key, v) -> sb.append("panama.").append(key).append('=').append(Long.toHexString(v)).append('\n'));
        }
        compute(KernelProvider.scalar()).forEach((key, v) -> sb.append("scalar.").append(key).append('=').append(Long.toHexString(v)).append('\n'));
        System.out.print(sb);
        System.out.flush();
    }
}
