package weft.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transcendental loops and lane reductions for {@link PanamaKernels} that give the same bits
 * however they run: interpreted, C1- or C2-compiled, on any JDK and CPU.
 *
 * <p>Why: the Vector API's own {@code lanewise(EXP / LOG / LOG1P / TANH)} computes each lane
 * with {@code Math} / {@code StrictMath} in double while the code runs on the Java fallback
 * (interpreter, C1, C2 before it intrinsifies the method) and calls SVML-style stubs once C2 has
 * compiled it. The two differ in the last bit, so results depended on JIT timing and a training
 * with a fixed seed was not reproducible ({@code KernelDeterminismTest}). Likewise
 * {@code reduceLanes(ADD)} leaves the order of the additions open (its specification allows any
 * order for floats), so the fallback and an intrinsic may round differently.
 *
 * <p>How: everything here is built from operations that IEEE 754 and the Vector API define
 * exactly, lane by lane, so that the Java fallback and every intrinsic agree bit for bit: add,
 * sub, mul, div, fma (one rounding; the fallback is {@code Math.fma}), min/max (Java semantics),
 * compare and blend, and integer add / shift / and / or on the float bits
 * ({@code reinterpretAsInts} does not touch the bits). No float/int conversion is used: the
 * nearest integer n of a float y comes from the "magic number" trick, {@code y + 1.5 * 2^23}
 * (an ordinary rounded add, here fused into an fma) leaves n in the low mantissa bits.
 *
 * <p>exp (Cephes expf): clamp x to [-104, 89] (beyond, e^x is +0 or +Inf in float anyway; by
 * compare and blend, which keeps NaN and is cheaper than min/max with Java semantics), x =
 * n ln2 + r with n = round(x log2 e) and |r| &le; ln2 / 2 (ln 2 in two parts, the first product
 * exact), e^r = 1 + r + r^2 P(r) with P of degree 5, then the scale by 2^n = 2^h 2^(n - h), h =
 * floor(n / 2): both factors are normal floats for every n in [-150, 128], the first product is
 * exact and the second rounds once, so overflow to +Inf and gradual underflow through the
 * denormals down to +0 come from IEEE rounding itself.
 *
 * <p>log (Cephes logf): x = m 2^e with m in [sqrt(1/2), sqrt(2)) from the exponent and mantissa
 * bits (denormals scaled by 2^23 first), f = m - 1 (exact), log(1 + f) = f - f^2/2 + f^3 P(f)
 * with P of degree 8, plus e ln 2 in two parts; +-0 gives -Inf, +Inf gives +Inf, negative
 * numbers and NaN give NaN. log1p(y) for y = e^-|x| in (0, 1] (softplus, log-sigmoid): u = 1 + y
 * rounds, c = y - (u - 1) is exactly that rounding error, and log1p(y) = log(u) + c / u (the
 * classic correction, full relative accuracy also for tiny y, where u = 1).
 *
 * <p>tanh: for |x| &lt; 0.625 the odd polynomial |x| + |x|^3 P(x^2) of Cephes tanhf, else
 * 1 - 2 / (e^(2|x|) + 1) (which reaches 1, and stays there as e^(2|x|) overflows); the sign bit
 * of x is copied at the end, so tanh(-0) = -0. sigmoid = 1 / (1 + e) or e / (1 + e) with e =
 * e^-|x|, never overflowing. softplus(x) = max(x, 0) + log1p(e^-|x|) and log-sigmoid(x) =
 * -softplus(-x).
 *
 * <p>Accuracy against the scalar reference ({@link UnaryOp#apply}: double {@code Math}, rounded
 * once), maximum error in ulps of the reference value, measured on JDK 17 over 212 M inputs:
 * every 61st float bit pattern (the whole range: denormals, infinities and NaNs included),
 * every float in [0.25, 4], [-4, -0.25], [1e-3, 1e-2], [-1e-2, -1e-3], [86, 89] and [-105, -85],
 * and 16 M uniform in [-110, 110]. Since only exactly rounded operations are used, these bits are
 * the same on every JDK and CPU.
 * <pre>
 *   EXP          1 ulp   (denormal results: 1 denormal step)
 *   LOG          1 ulp
 *   TANH         1 ulp
 *   SIGMOID      2 ulp   (denormal results: 1 denormal step)
 *   SOFTPLUS     2 ulp   (denormal results: 1 denormal step)
 *   LOG_SIGMOID  2 ulp   (denormal results: 1 denormal step)
 * </pre>
 * Special values (NaN, +-Inf, +-0, overflow and underflow thresholds) match the reference
 * exactly; a NaN result's payload is unspecified, as in Java arithmetic.
 *
 * <p>Sums of lanes: {@code reduceLanes(ADD)} is not used anywhere in the engine. Its
 * specification leaves the order of the additions open, and the Java fallback (lanes in order
 * from 0) and an intrinsic (a shuffle tree, as on AArch64 in recent JDKs) need not round alike.
 * Each sum instead adds the lanes itself, in the fallback's order, ((0 + v0) + v1) + ..., so the
 * results equal what the fallback gave before. The lane indices are constants, written out up to
 * 16 lanes (branches on the constant L fold away): with {@code lane(j)} in a loop, C2 sometimes
 * kept the loop and extracted with a variable index, which the intrinsic does not handle, and
 * rowSoftmax became twice as slow. The block is repeated at each use, not put in a helper taking
 * a vector, for the reason below ("callee uses too much stack", measured).
 *
 * <p>Code shape: every function is written out inside its own loop, and nothing here passes a
 * vector to or from a method of our own. C2 inlines a helper taking and returning FloatVector
 * only while the helper has no big compiled code of its own; once it had been compiled on its
 * own (which tiered compilation does for a helper called per vector from interpreted or C1
 * code) the loops called it out of line with boxed vectors, 6 to 15 times slower (measured:
 * softplus 0.9 us instead of 0.14 ns per element... see the numbers in PanamaKernels). Hence
 * the repeated exp, log and lane-sum blocks, written from one pattern; {@code VectorMathCopiesTest}
 * checks that every copy is the same code up to its variable names.
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** The int lanes of the same shape: the float bits as reinterpretAsInts gives them. */
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());

    /** 1.5 * 2^23: y + MAGIC, for |y| &lt; 2^22, is MAGIC + round(y) exactly, with round(y) in the low bits. */
    private static final float MAGIC = 0x1.8p23f;
    private static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n LN2_HI is exact for |n| &lt; 2^15. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** e^x is +Inf above ln(MAX_VALUE) = 88.72...: 89 gives n = 128 and still +Inf. */
    private static final float EXP_HI = 89f;
    /** e^x rounds to +0 below ln(2^-150) = -103.97...: -104 gives n = -150 and still +0. */
    private static final float EXP_LO = -104f;
    /** Cephes expf: e^r = 1 + r + r^2 (E0 + E1 r + ... + E5 r^5) on [-ln2/2, ln2/2]. */
    private static final float E0 = 5.0000001201E-1f, E1 = 1.6666665459E-1f, E2 = 4.1665795894E-2f,
            E3 = 8.3334519073E-3f, E4 = 1.3981999507E-3f, E5 = 1.9875691500E-4f;

    private static final float SQRT_HALF = 0.70710678118654752440f;
    /** Cephes logf: log(1 + f) = f - f^2 / 2 + f^3 (L0 + L1 f + ... + L8 f^8) on [sqrt(1/2) - 1, sqrt(2) - 1]. */
    private static final float L0 = 3.3333331174E-1f, L1 = -2.4999993993E-1f, L2 = 2.0000714765E-1f,
            L3 = -1.6668057665E-1f, L4 = 1.4249322787E-1f, L5 = -1.2420140846E-1f, L6 = 1.1676998740E-1f,
            L7 = -1.1514610310E-1f, L8 = 7.0376836292E-2f;

    private static final float TANH_SMALL = 0.625f;
    /** Cephes tanhf: tanh(x) = x + x^3 (T0 + T1 x^2 + ... + T4 x^8) for |x| &lt; 0.625. */
    private static final float T0 = -3.33332819422E-1f, T1 = 1.33314422036E-1f, T2 = -5.37397155531E-2f,
            T3 = 2.06390887954E-2f, T4 = -5.70498872745E-3f;

    private static FloatVector bc(float c) {
        return FloatVector.broadcast(S, c);
    }

    private static IntVector ibc(int c) {
        return IntVector.broadcast(SI, c);
    }

    // ---------------------------------------------------------------- loops over [0, ub), ub a multiple of L

    static void exp(float[] a, int aOff, float[] out, int outOff, int ub) {
        FloatVector nLn2Hi = bc(-LN2_HI), nLn2Lo = bc(-LN2_LO);
        FloatVector e3 = bc(E3), e2 = bc(E2), e1 = bc(E1), e0 = bc(E0);
        FloatVector expHi = bc(EXP_HI), expLo = bc(EXP_LO), log2e = bc(LOG2E), magic = bc(MAGIC), e5 = bc(E5), e4 = bc(E4), one = bc(1f);
        IntVector magicBits = ibc(MAGIC_BITS), i127 = ibc(127);
        for (int i = 0; i < ub; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            // y = exp(x), see the class comment
            FloatVector yX = x.blend(expHi, x.compare(VectorOperators.GT, expHi));
            yX = yX.blend(expLo, yX.compare(VectorOperators.LT, expLo));
            FloatVector yT = yX.fma(log2e, magic);
            FloatVector yN = yT.sub(magic);
            FloatVector yR = yN.fma(nLn2Lo, yN.fma(nLn2Hi, yX));
            FloatVector yP = yR.fma(e5, e4).fma(yR, e3).fma(yR, e2).fma(yR, e1).fma(yR, e0);
            yP = yP.fma(yR.mul(yR), yR).add(one);
            IntVector yI = yT.reinterpretAsInts().sub(magicBits);
            IntVector yH = yI.lanewise(VectorOperators.ASHR, 1);
            FloatVector y = yP.mul(yH.add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(yI.sub(yH).add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            y.intoArray(out, outOff + i);
        }
    }

    /**
     * {@code max(c x)} over one row (over {@code x} itself when {@code scaled} is false): the
     * value of {@code PanamaKernels.max} on the row {@code binaryScalar} MUL would have stored,
     * without storing it (max is exact and order-independent; see {@link #rowMax}).
     */
    static float scaledRowMax(float[] x, int xi, int cols, boolean scaled, float c) {
        int ub = S.loopBound(cols);
        FloatVector vm = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xi + i);
            vm = vm.max(scaled ? v.mul(c) : v);
        }
        float m = vm.reduceLanes(VectorOperators.MAX);
        for (int i = ub; i < cols; i++) m = Math.max(m, scaled ? x[xi + i] * c : x[xi + i]);
        return m;
    }

    /**
     * {@code e = exp(c x - m)} over one row ({@code exp(x - m)} when {@code scaled} is false): the
     * values of {@code binaryScalar} MUL, then SUB, then {@code unary} EXP, in one loop (the same
     * vector and tail split: whole vectors through the exp above, the tail through
     * {@code Math.exp}). {@code e} may alias {@code x} at the same offset. The exp is written out
     * here (see "Code shape"), not run as a second loop over a stored {@code c x - m}: that
     * second pass made the row 1.5 to 1.8 times slower (docs/performance.md, thirteenth round).
     */
    static void expShiftedRow(float[] x, int xi, int cols, boolean scaled, float c, float m, float[] e, int ei) {
        FloatVector nLn2Hi = bc(-LN2_HI), nLn2Lo = bc(-LN2_LO);
        FloatVector e3 = bc(E3), e2 = bc(E2), e1 = bc(E1), e0 = bc(E0);
        FloatVector expHi = bc(EXP_HI), expLo = bc(EXP_LO), log2e = bc(LOG2E), magic = bc(MAGIC), e5 = bc(E5), e4 = bc(E4), one = bc(1f);
        IntVector magicBits = ibc(MAGIC_BITS), i127 = ibc(127);
        int ub = S.loopBound(cols);
        for (int i = 0; i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xi + i);
            FloatVector xv = (scaled ? v.mul(c) : v).sub(m);
            // y = exp(xv), see the class comment
            FloatVector yX = xv.blend(expHi, xv.compare(VectorOperators.GT, expHi));
            yX = yX.blend(expLo, yX.compare(VectorOperators.LT, expLo));
            FloatVector yT = yX.fma(log2e, magic);
            FloatVector yN = yT.sub(magic);
            FloatVector yR = yN.fma(nLn2Lo, yN.fma(nLn2Hi, yX));
            FloatVector yP = yR.fma(e5, e4).fma(yR, e3).fma(yR, e2).fma(yR, e1).fma(yR, e0);
            yP = yP.fma(yR.mul(yR), yR).add(one);
            IntVector yI = yT.reinterpretAsInts().sub(magicBits);
            IntVector yH = yI.lanewise(VectorOperators.ASHR, 1);
            FloatVector y = yP.mul(yH.add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(yI.sub(yH).add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            y.intoArray(e, ei + i);
        }
        for (int i = ub; i < cols; i++) {
            float z = scaled ? x[xi + i] * c : x[xi + i];
            e[ei + i] = (float) Math.exp(z - m);
        }
    }

    /**
     * Softmax of each row, as {@link ScalarKernels#rowSoftmax} but with this exp over the whole
     * vectors of a row (the tail calls {@code Math.exp}, like the reference). The whole row loop
     * lives here, exp written out inside it, so that C2 compiles it as one piece (see "Code
     * shape" above; calling a shared exp loop per row was 1.5 to 2 times slower).
     * The sum adds lane-wise over the vectors, then the lanes in order, then the tail.
     */
    static void rowSoftmax(float[] a, int aOff, int rows, int cols, float[] out, int outOff) {
        FloatVector nLn2Hi = bc(-LN2_HI), nLn2Lo = bc(-LN2_LO);
        FloatVector e3 = bc(E3), e2 = bc(E2), e1 = bc(E1), e0 = bc(E0);
        FloatVector expHi = bc(EXP_HI), expLo = bc(EXP_LO), log2e = bc(LOG2E), magic = bc(MAGIC), e5 = bc(E5), e4 = bc(E4), one = bc(1f);
        IntVector magicBits = ibc(MAGIC_BITS), i127 = ibc(127);
        int ub = S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int ai = aOff + r * cols, oi = outOff + r * cols;
            float m = rowMax(a, ai, cols, ub);
            FloatVector sum = FloatVector.zero(S);
            // Each element is read before it is written at the same index, so out may alias a.
            for (int c = 0; c < ub; c += L) {
                FloatVector x = FloatVector.fromArray(S, a, ai + c).sub(m);
                // y = exp(x), see the class comment
                FloatVector yX = x.blend(expHi, x.compare(VectorOperators.GT, expHi));
                yX = yX.blend(expLo, yX.compare(VectorOperators.LT, expLo));
                FloatVector yT = yX.fma(log2e, magic);
                FloatVector yN = yT.sub(magic);
                FloatVector yR = yN.fma(nLn2Lo, yN.fma(nLn2Hi, yX));
                FloatVector yP = yR.fma(e5, e4).fma(yR, e3).fma(yR, e2).fma(yR, e1).fma(yR, e0);
                yP = yP.fma(yR.mul(yR), yR).add(one);
                IntVector yI = yT.reinterpretAsInts().sub(magicBits);
                IntVector yH = yI.lanewise(VectorOperators.ASHR, 1);
                FloatVector y = yP.mul(yH.add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                        .mul(yI.sub(yH).add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                y.intoArray(out, oi + c);
                sum = sum.add(y);
            }
            // s = ((0 + sum[0]) + sum[1]) + ... in lane order, constant lane indices (see "Sums of lanes")
            float s = 0f + sum.lane(0);
            if (L > 1) s += sum.lane(1);
            if (L > 2) { s += sum.lane(2); s += sum.lane(3); }
            if (L > 4) { s += sum.lane(4); s += sum.lane(5); s += sum.lane(6); s += sum.lane(7); }
            if (L > 8) {
                s += sum.lane(8); s += sum.lane(9); s += sum.lane(10); s += sum.lane(11);
                s += sum.lane(12); s += sum.lane(13); s += sum.lane(14); s += sum.lane(15);
            }
            for (int j = 16; j < L; j++) s += sum.lane(j);
            for (int c = ub; c < cols; c++) {
                float e = (float) Math.exp(a[ai + c] - m);
                out[oi + c] = e;
                s += e;
            }
            float inv = 1f / s;
            int c = 0;
            for (; c < ub; c += L) FloatVector.fromArray(S, out, oi + c).mul(inv).intoArray(out, oi + c);
            for (; c < cols; c++) out[oi + c] *= inv;
        }
    }

    /** Log-softmax of each row: a - (m + log(sum exp(a - m))), the sum as in {@link #rowSoftmax}. */
    static void rowLogSoftmax(float[] a, int aOff, int rows, int cols, float[] out, int outOff) {
        FloatVector nLn2Hi = bc(-LN2_HI), nLn2Lo = bc(-LN2_LO);
        FloatVector e3 = bc(E3), e2 = bc(E2), e1 = bc(E1), e0 = bc(E0);
        FloatVector expHi = bc(EXP_HI), expLo = bc(EXP_LO), log2e = bc(LOG2E), magic = bc(MAGIC), e5 = bc(E5), e4 = bc(E4), one = bc(1f);
        IntVector magicBits = ibc(MAGIC_BITS), i127 = ibc(127);
        int ub = S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int ai = aOff + r * cols, oi = outOff + r * cols;
            float m = rowMax(a, ai, cols, ub);
            FloatVector sum = FloatVector.zero(S);
            for (int c = 0; c < ub; c += L) {
                FloatVector x = FloatVector.fromArray(S, a, ai + c).sub(m);
                // y = exp(x), see the class comment
                FloatVector yX = x.blend(expHi, x.compare(VectorOperators.GT, expHi));
                yX = yX.blend(expLo, yX.compare(VectorOperators.LT, expLo));
                FloatVector yT = yX.fma(log2e, magic);
                FloatVector yN = yT.sub(magic);
                FloatVector yR = yN.fma(nLn2Lo, yN.fma(nLn2Hi, yX));
                FloatVector yP = yR.fma(e5, e4).fma(yR, e3).fma(yR, e2).fma(yR, e1).fma(yR, e0);
                yP = yP.fma(yR.mul(yR), yR).add(one);
                IntVector yI = yT.reinterpretAsInts().sub(magicBits);
                IntVector yH = yI.lanewise(VectorOperators.ASHR, 1);
                FloatVector y = yP.mul(yH.add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                        .mul(yI.sub(yH).add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                sum = sum.add(y);
            }
            // s = ((0 + sum[0]) + sum[1]) + ... in lane order, constant lane indices (see "Sums of lanes")
            float s = 0f + sum.lane(0);
            if (L > 1) s += sum.lane(1);
            if (L > 2) { s += sum.lane(2); s += sum.lane(3); }
            if (L > 4) { s += sum.lane(4); s += sum.lane(5); s += sum.lane(6); s += sum.lane(7); }
            if (L > 8) {
                s += sum.lane(8); s += sum.lane(9); s += sum.lane(10); s += sum.lane(11);
                s += sum.lane(12); s += sum.lane(13); s += sum.lane(14); s += sum.lane(15);
            }
            for (int j = 16; j < L; j++) s += sum.lane(j);
            for (int c = ub; c < cols; c++) s += (float) Math.exp(a[ai + c] - m);
            float lse = m + (float) Math.log(s);
            int c = 0;
            for (; c < ub; c += L) FloatVector.fromArray(S, a, ai + c).sub(lse).intoArray(out, oi + c);
            for (; c < cols; c++) out[oi + c] = a[ai + c] - lse;
        }
    }

    /**
     * Max of a row with Math.max semantics, as PanamaKernels.max: reduceLanes(MAX) is exact and
     * order-independent (see there).
     */
    private static float rowMax(float[] a, int ai, int cols, int ub) {
        FloatVector vm = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int c = 0; c < ub; c += L) vm = vm.max(FloatVector.fromArray(S, a, ai + c));
        float m = vm.reduceLanes(VectorOperators.MAX);
        for (int c = ub; c < cols; c++) m = Math.max(m, a[ai + c]);
        return m;
    }

    static void log(float[] a, int aOff, float[] out, int outOff, int ub) {
        FloatVector l6 = bc(L6), l5 = bc(L5), l4 = bc(L4), l3 = bc(L3), l2 = bc(L2), l1 = bc(L1), l0 = bc(L0);
        FloatVector ln2Hi = bc(LN2_HI), ln2Lo = bc(LN2_LO), minusHalf = bc(-0.5f), magic = bc(MAGIC);
        FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < ub; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            VectorMask<Float> denormal = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
            FloatVector xs = x.blend(x.mul(0x1p23f), denormal);
            FloatVector adjust = zero.sub(23f, denormal);
            // y = log(xs) + (.add(adjust)) ln 2 for a positive normal xs, see the class comment
            IntVector yB = xs.reinterpretAsInts();
            FloatVector yM = yB.and(0x007fffff).or(0x3f000000).reinterpretAsFloats();
            FloatVector yE = yB.lanewise(VectorOperators.LSHR, 23).add(MAGIC_BITS - 126).reinterpretAsFloats().sub(magic).add(adjust);
            VectorMask<Float> yS = yM.compare(VectorOperators.LT, SQRT_HALF);
            yE = yE.sub(1f, yS);
            FloatVector yF = yM.add(yM, yS).sub(1f);
            FloatVector yZ = yF.mul(yF);
            FloatVector yP = yF.fma(L8, L7).fma(yF, l6).fma(yF, l5).fma(yF, l4).fma(yF, l3).fma(yF, l2).fma(yF, l1).fma(yF, l0);
            FloatVector yY = yZ.fma(minusHalf, yE.fma(ln2Lo, yP.mul(yF).mul(yZ)));
            FloatVector y = yE.fma(ln2Hi, yF.add(yY));
            y = y.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
            y = y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
            // Negative numbers and NaN (for which every comparison is false) give NaN.
            y.blend(Float.NaN, x.compare(VectorOperators.GE, 0f).not()).intoArray(out, outOff + i);
        }
    }

    static void tanh(float[] a, int aOff, float[] out, int outOff, int ub) {
        FloatVector nLn2Hi = bc(-LN2_HI), nLn2Lo = bc(-LN2_LO);
        FloatVector e3 = bc(E3), e2 = bc(E2), e1 = bc(E1), e0 = bc(E0);
        FloatVector expHi = bc(EXP_HI), expLo = bc(EXP_LO), log2e = bc(LOG2E), magic = bc(MAGIC), e5 = bc(E5), e4 = bc(E4), one = bc(1f);
        IntVector magicBits = ibc(MAGIC_BITS), i127 = ibc(127);
        FloatVector t3 = bc(T3), t2 = bc(T2), t1 = bc(T1), t0 = bc(T0), two = bc(2f);
        for (int i = 0; i < ub; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector ax = x.abs();
            FloatVector z = ax.mul(ax);
            FloatVector small = z.fma(T4, T3).fma(z, t2).fma(z, t1).fma(z, t0).mul(z).fma(ax, ax);
            FloatVector ax2 = ax.add(ax);
            // e = exp(ax2), see the class comment
            FloatVector eX = ax2.blend(expHi, ax2.compare(VectorOperators.GT, expHi));
            eX = eX.blend(expLo, eX.compare(VectorOperators.LT, expLo));
            FloatVector eT = eX.fma(log2e, magic);
            FloatVector eN = eT.sub(magic);
            FloatVector eR = eN.fma(nLn2Lo, eN.fma(nLn2Hi, eX));
            FloatVector eP = eR.fma(e5, e4).fma(eR, e3).fma(eR, e2).fma(eR, e1).fma(eR, e0);
            eP = eP.fma(eR.mul(eR), eR).add(one);
            IntVector eI = eT.reinterpretAsInts().sub(magicBits);
            IntVector eH = eI.lanewise(VectorOperators.ASHR, 1);
            FloatVector e = eP.mul(eH.add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(eI.sub(eH).add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector large = one.sub(two.div(e.add(1f)));
            FloatVector t = large.blend(small, ax.compare(VectorOperators.LT, TANH_SMALL));
            t.reinterpretAsInts().or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats().intoArray(out, outOff + i);
        }
    }

    static void sigmoid(float[] a, int aOff, float[] out, int outOff, int ub) {
        FloatVector nLn2Hi = bc(-LN2_HI), nLn2Lo = bc(-LN2_LO);
        FloatVector e3 = bc(E3), e2 = bc(E2), e1 = bc(E1), e0 = bc(E0);
        FloatVector expHi = bc(EXP_HI), expLo = bc(EXP_LO), log2e = bc(LOG2E), magic = bc(MAGIC), e5 = bc(E5), e4 = bc(E4), one = bc(1f);
        IntVector magicBits = ibc(MAGIC_BITS), i127 = ibc(127);
        for (int i = 0; i < ub; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector nax = x.abs().neg();
            // e = exp(nax), see the class comment
            FloatVector eX = nax.blend(expHi, nax.compare(VectorOperators.GT, expHi));
            eX = eX.blend(expLo, eX.compare(VectorOperators.LT, expLo));
            FloatVector eT = eX.fma(log2e, magic);
            FloatVector eN = eT.sub(magic);
            FloatVector eR = eN.fma(nLn2Lo, eN.fma(nLn2Hi, eX));
            FloatVector eP = eR.fma(e5, e4).fma(eR, e3).fma(eR, e2).fma(eR, e1).fma(eR, e0);
            eP = eP.fma(eR.mul(eR), eR).add(one);
            IntVector eI = eT.reinterpretAsInts().sub(magicBits);
            IntVector eH = eI.lanewise(VectorOperators.ASHR, 1);
            FloatVector e = eP.mul(eH.add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(eI.sub(eH).add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e.blend(1f, x.compare(VectorOperators.GE, 0f)).div(e.add(1f)).intoArray(out, outOff + i);
        }
    }

    /**
     * {@code out[i] = softplus(a[i]) = max(x, 0) + log1p(e^-|x|)}, or with {@code logSigmoid}
     * {@code min(x, 0) - log1p(e^-|x|) = -softplus(-x)}.
     */
    static void softplus(float[] a, int aOff, float[] out, int outOff, int ub, boolean logSigmoid) {
        FloatVector nLn2Hi = bc(-LN2_HI), nLn2Lo = bc(-LN2_LO);
        FloatVector e3 = bc(E3), e2 = bc(E2), e1 = bc(E1), e0 = bc(E0);
        FloatVector expHi = bc(EXP_HI), expLo = bc(EXP_LO), log2e = bc(LOG2E), magic = bc(MAGIC), e5 = bc(E5), e4 = bc(E4), one = bc(1f);
        IntVector magicBits = ibc(MAGIC_BITS), i127 = ibc(127);
        FloatVector l6 = bc(L6), l5 = bc(L5), l4 = bc(L4), l3 = bc(L3), l2 = bc(L2), l1 = bc(L1), l0 = bc(L0);
        FloatVector ln2Hi = bc(LN2_HI), ln2Lo = bc(LN2_LO), minusHalf = bc(-0.5f);
        for (int i = 0; i < ub; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + i);
            FloatVector nax = x.abs().neg();
            // e = exp(nax), see the class comment
            FloatVector eX = nax.blend(expHi, nax.compare(VectorOperators.GT, expHi));
            eX = eX.blend(expLo, eX.compare(VectorOperators.LT, expLo));
            FloatVector eT = eX.fma(log2e, magic);
            FloatVector eN = eT.sub(magic);
            FloatVector eR = eN.fma(nLn2Lo, eN.fma(nLn2Hi, eX));
            FloatVector eP = eR.fma(e5, e4).fma(eR, e3).fma(eR, e2).fma(eR, e1).fma(eR, e0);
            eP = eP.fma(eR.mul(eR), eR).add(one);
            IntVector eI = eT.reinterpretAsInts().sub(magicBits);
            IntVector eH = eI.lanewise(VectorOperators.ASHR, 1);
            FloatVector e = eP.mul(eH.add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(eI.sub(eH).add(i127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            // log1p(e) = log(u) + c / u, u = 1 + e in [1, 2], c its rounding error.
            FloatVector u = e.add(1f);
            FloatVector c = e.sub(u.sub(1f));
            // lu = log(u) + () ln 2 for a positive normal u, see the class comment
            IntVector luB = u.reinterpretAsInts();
            FloatVector luM = luB.and(0x007fffff).or(0x3f000000).reinterpretAsFloats();
            FloatVector luE = luB.lanewise(VectorOperators.LSHR, 23).add(MAGIC_BITS - 126).reinterpretAsFloats().sub(magic);
            VectorMask<Float> luS = luM.compare(VectorOperators.LT, SQRT_HALF);
            luE = luE.sub(1f, luS);
            FloatVector luF = luM.add(luM, luS).sub(1f);
            FloatVector luZ = luF.mul(luF);
            FloatVector luP = luF.fma(L8, L7).fma(luF, l6).fma(luF, l5).fma(luF, l4).fma(luF, l3).fma(luF, l2).fma(luF, l1).fma(luF, l0);
            FloatVector luY = luZ.fma(minusHalf, luE.fma(ln2Lo, luP.mul(luF).mul(luZ)));
            FloatVector lu = luE.fma(ln2Hi, luF.add(luY));
            FloatVector l = lu.add(c.div(u));
            (logSigmoid ? x.min(0f).sub(l) : x.max(0f).add(l)).intoArray(out, outOff + i);
        }
    }
}
