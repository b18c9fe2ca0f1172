package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import weft.autograd.nn.Losses;
import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * The fused {@link RowOps#crossEntropy}: equal to the chain of ops it replaces up to float
 * rounding, the same bits for any thread count, large logits without overflow, and its gradient.
 */
class CrossEntropyFusedTest {

    /** The chain Losses.crossEntropy and infoNce used before the fused op. */
    static Var composed(Var x, float c, int[] t) {
        Var logits = c == 1f ? x : Ops.scale(x, c);
        return Ops.neg(Ops.mean(RowOps.pick(RowOps.rowLogSoftmax(logits), t)));
    }

    /** |a - e| <= 1e-5 (1 + |e|) element by element. */
    private static void assertClose(String what, Tensor expected, Tensor actual) {
        assertEquals(expected.shape(), actual.shape(), what);
        for (int i = 0; i < expected.size(); i++) {
            float e = expected.data[expected.offset + i], a = actual.data[actual.offset + i];
            if (!(Math.abs(a - e) <= 1e-5f * (1f + Math.abs(e)))) {
                throw new AssertionError(what + ": element " + i + " is " + a + ", the composed ops give " + e);
            }
        }
    }

    private static void assertBitsEqual(String what, Tensor expected, Tensor actual) {
        assertEquals(expected.shape(), actual.shape(), what);
        for (int i = 0; i < expected.size(); i++) {
            float e = expected.data[expected.offset + i], a = actual.data[actual.offset + i];
            if (Float.floatToRawIntBits(e) != Float.floatToRawIntBits(a)) {
                throw new AssertionError(what + ": element " + i + " is " + a + ", expected " + e);
            }
        }
    }

    @Test
    void equalToTheComposedOpsUpToRounding() {
        // widths below, at and off the vector length; the last (37 x 37) leaves a tail in the flat exp
        int[][] shapes = {{3, 5}, {8, 8}, {16, 16}, {37, 37}, {64, 24}, {200, 200}};
        for (int[] s : shapes) {
            for (float c : new float[] {1f, 5f, 1f / 0.2f}) {
                Rng rng = new Rng(s[0] * 131L + s[1]);
                Tensor x = rng.uniform(new Tensor(s[0], s[1]), -3f, 3f);
                int[] t = new int[s[0]];
                for (int i = 0; i < t.length; i++) t[i] = (i * 7 + 3) % s[1];
                Var a = Var.param(x.copy()), b = Var.param(x.copy());
                Var fused = RowOps.crossEntropy(a, c, t), ref = composed(b, c, t);
                String what = s[0] + " x " + s[1] + ", scale " + c;
                assertClose(what + ": loss", ref.value, fused.value);
                Tensor seed = Tensor.scalar(0.37f);
                fused.backward(seed);
                ref.backward(seed);
                assertClose(what + ": gradient", b.grad(), a.grad());
            }
        }
    }

    @Test
    void infoNceIsTheComposedChain() {
        Rng rng = new Rng(9L);
        Tensor z1 = rng.uniform(new Tensor(50, 16), -1f, 1f), z2 = rng.uniform(new Tensor(50, 16), -1f, 1f);
        Var a1 = Var.param(z1.copy()), a2 = Var.param(z2.copy()), b1 = Var.param(z1.copy()), b2 = Var.param(z2.copy());
        Var fused = Losses.infoNce(a1, a2, 0.2f);
        int[] diag = new int[50];
        for (int i = 0; i < 50; i++) diag[i] = i;
        Var ref = composed(Ops.matmul(RowOps.rowL2Normalize(b1, 1e-12f), false, RowOps.rowL2Normalize(b2, 1e-12f), true), 1f / 0.2f, diag);
        assertClose("infoNce loss", ref.value, fused.value);
        fused.backward();
        ref.backward();
        assertClose("infoNce gradient of z1", b1.grad(), a1.grad());
        assertClose("infoNce gradient of z2", b2.grad(), a2.grad());
    }

    @Test
    void sameBitsForAnyThreadCountAndNoOverflow() {
        Rng rng = new Rng(4L);
        int n = 700;   // [700, 700]: split over the team at 2 and 3 threads
        Tensor x = rng.uniform(new Tensor(n, n), -1f, 1f);
        x.data[5] = 400f;   // exp(400) overflows float: the row maximum is subtracted first
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = i;
        int saved = weft.engine.Parallel.threads();
        Tensor lossAt1 = null, gradAt1 = null;
        try {
            for (int threads : new int[] {1, 2, 3}) {
                weft.engine.Parallel.setThreads(threads);
                Var a = Var.param(x.copy());
                Var loss = RowOps.crossEntropy(a, 5f, t);
                loss.backward();
                assertTrue(Float.isFinite(loss.value.item()), "loss " + loss.value.item());
                for (float g : a.grad().data) assertTrue(Float.isFinite(g));
                if (lossAt1 == null) {
                    lossAt1 = loss.value;
                    gradAt1 = a.grad();
                } else {
                    assertBitsEqual(threads + " threads: loss", lossAt1, loss.value);
                    assertBitsEqual(threads + " threads: gradient", gradAt1, a.grad());
                }
            }
        } finally {
            weft.engine.Parallel.setThreads(saved);
        }
    }

    @Test
    void gradientCheckScaled() {
        Rng rng = new Rng(4L);
        GradCheck.check("crossEntropy scaled", x -> RowOps.crossEntropy(x[0], 2.5f, new int[] {0, 3, 2, 2}),
                rng.uniform(new Tensor(4, 5), -1f, 1f));
    }

    /**
     * crossEntropyOfProduct against crossEntropy(matmul(a, b^T)), value and both gradients to the
     * bit: shapes with vector tails and a k longer than one GEMM k block (300), at 1 to 3 threads,
     * with an upstream gradient that is not 1 (the backward's v and a), a scale of 1 and of 5.
     */
    @Test
    void crossEntropyOfProductIsTheProductThenTheCrossEntropyToTheBit() {
        int[][] shapes = {{5, 7, 3}, {37, 53, 19}, {130, 90, 64}, {40, 33, 300}};
        int saved = weft.engine.Parallel.threads();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                weft.engine.Parallel.setThreads(threads);
                for (int[] s : shapes) {
                    for (float c : new float[] {1f, 5f}) {
                        Rng rng = new Rng(s[0] * 31L + s[1] * 7L + s[2]);
                        Tensor x = rng.uniform(new Tensor(s[0], s[2]), -1f, 1f), y = rng.uniform(new Tensor(s[1], s[2]), -1f, 1f);
                        int[] t = new int[s[0]];
                        for (int i = 0; i < t.length; i++) t[i] = (i * 5 + 1) % s[1];
                        Var a1 = Var.param(x.copy()), b1 = Var.param(y.copy()), a2 = Var.param(x.copy()), b2 = Var.param(y.copy());
                        Var fused = RowOps.crossEntropyOfProduct(a1, b1, c, t);
                        Var ref = RowOps.crossEntropy(Ops.matmul(a2, false, b2, true), c, t);
                        String what = threads + " threads, " + s[0] + " x " + s[2] + " times (" + s[1] + " x " + s[2] + ")^T, scale " + c;
                        assertBitsEqual(what + ": loss", ref.value, fused.value);
                        Ops.scale(fused, 0.3f).backward();
                        Ops.scale(ref, 0.3f).backward();
                        assertBitsEqual(what + ": gradient of a", a2.grad(), a1.grad());
                        assertBitsEqual(what + ": gradient of b", b2.grad(), b1.grad());
                    }
                }
            }
        } finally {
            weft.engine.Parallel.setThreads(saved);
        }
    }

    /**
     * The logits' array holds the gradient after a backward; a second backward over the same graph
     * must not read it as exponentials, and must give what the composed ops give.
     */
    @Test
    void crossEntropyOfProductSurvivesASecondBackward() {
        Rng rng = new Rng(12L);
        Tensor x = rng.uniform(new Tensor(20, 8), -1f, 1f), y = rng.uniform(new Tensor(25, 8), -1f, 1f);
        int[] t = new int[20];
        for (int i = 0; i < 20; i++) t[i] = i;
        Var a1 = Var.param(x.copy()), b1 = Var.param(y.copy()), a2 = Var.param(x.copy()), b2 = Var.param(y.copy());
        Var fused = RowOps.crossEntropyOfProduct(a1, b1, 5f, t);
        Var ref = RowOps.crossEntropy(Ops.matmul(a2, false, b2, true), 5f, t);
        backwardTwice(fused, ref, a1, b1, a2, b2, true);
    }

    /**
     * Two backwards over each of {@code fused} (inputs a1, b1) and {@code ref} (a2, b2), the
     * gradients zeroed before each: after both, the gradients agree to the bit or up to rounding.
     */
    private static void backwardTwice(Var fused, Var ref, Var a1, Var b1, Var a2, Var b2, boolean bits) {
        for (int pass = 1; pass <= 2; pass++) {
            for (Var v : new Var[] {a1, b1, a2, b2}) v.zeroGrad();
            fused.backward();
            ref.backward();
            if (bits) {
                assertBitsEqual("backward " + pass + ": gradient of a", a2.grad(), a1.grad());
                assertBitsEqual("backward " + pass + ": gradient of b", b2.grad(), b1.grad());
            } else {
                assertClose("backward " + pass + ": gradient of a", a2.grad(), a1.grad());
                assertClose("backward " + pass + ": gradient of b", b2.grad(), b1.grad());
            }
        }
    }

    @Test
    void gradientCheckOfProduct() {
        Rng rng = new Rng(5L);
        GradCheck.check("crossEntropyOfProduct", v -> RowOps.crossEntropyOfProduct(v[0], v[1], 2.5f, new int[] {0, 3, 2, 5}),
                rng.uniform(new Tensor(4, 3), -1f, 1f), rng.uniform(new Tensor(6, 3), -1f, 1f));
    }

    @Test
    void crossEntropyOfProductNamesBadShapesAndTargets() {
        Var a = Var.constant(new Tensor(3, 4)), b = Var.constant(new Tensor(5, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RowOps.crossEntropyOfProduct(a, b, 1f, new int[] {0, 1, 2}));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5, 2]"), e.getMessage());
        Var b4 = Var.constant(new Tensor(5, 4));
        e = assertThrows(IllegalArgumentException.class, () -> RowOps.crossEntropyOfProduct(a, b4, 1f, new int[] {0, 5, 1}));
        assertTrue(e.getMessage().contains("target 5") && e.getMessage().contains("[3, 5]"), e.getMessage());
    }

    /** The two directions as separate ops: what crossEntropyOfProductBothWays replaces. */
    private static Var bothDirections(Var a, Var b, float c) {
        int[] d = new int[a.rows()];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return Ops.add(RowOps.crossEntropyOfProduct(a, b, c, d), RowOps.crossEntropyOfProduct(b, a, c, d));
    }

    /**
     * Both directions in one op against the two crossEntropyOfProduct calls: the loss and both
     * gradients up to rounding (assertClose) (shapes with vector tails, more rows than a column block, k over
     * one GEMM block; an upstream gradient that is not 1), and the same bits at 1, 2 and 3 threads.
     */
    @Test
    void bothWaysIsTheTwoDirectionsAndTheSameForAnyThreadCount() {
        int[][] shapes = {{1, 3}, {5, 3}, {37, 19}, {300, 64}, {40, 300}};
        int saved = weft.engine.Parallel.threads();
        try {
            for (int[] s : shapes) {
                for (float c : new float[] {1f, 5f}) {
                    Rng rng = new Rng(s[0] * 17L + s[1]);
                    Tensor x = rng.uniform(new Tensor(s[0], s[1]), -1f, 1f), y = rng.uniform(new Tensor(s[0], s[1]), -1f, 1f);
                    String what = s[0] + " x " + s[1] + ", scale " + c;
                    Tensor[] first = null;
                    for (int threads : new int[] {1, 2, 3}) {
                        weft.engine.Parallel.setThreads(threads);
                        Var a1 = Var.param(x.copy()), b1 = Var.param(y.copy()), a2 = Var.param(x.copy()), b2 = Var.param(y.copy());
                        Var fused = RowOps.crossEntropyOfProductBothWays(a1, b1, c);
                        Var ref = bothDirections(a2, b2, c);
                        assertClose(what + ": loss", ref.value, fused.value);
                        Ops.scale(fused, 0.3f).backward();
                        Ops.scale(ref, 0.3f).backward();
                        assertClose(what + ": gradient of a", a2.grad(), a1.grad());
                        assertClose(what + ": gradient of b", b2.grad(), b1.grad());
                        Tensor[] now = {fused.value.copy(), a1.grad().copy(), b1.grad().copy()};
                        if (first == null) {
                            first = now;
                        } else {
                            for (int i = 0; i < 3; i++) assertBitsEqual(what + ", " + threads + " threads against 1: output " + i, first[i], now[i]);
                        }
                    }
                }
            }
        } finally {
            weft.engine.Parallel.setThreads(saved);
        }
    }

    /** Rows whose largest scores lie far apart at a large scale: the op computes the two directions apart, to the bit. */
    @Test
    void bothWaysFallsBackToTheTwoDirectionsWhenTheRowsSpreadTooFar() {
        Rng rng = new Rng(21L);
        Tensor x = rng.uniform(new Tensor(6, 4), -1f, 1f), y = rng.uniform(new Tensor(6, 4), -1f, 1f);
        for (int j = 0; j < 4; j++) x.data[j] *= 60f;   // row 0's scores reach far above the others'
        Var a1 = Var.param(x.copy()), b1 = Var.param(y.copy()), a2 = Var.param(x.copy()), b2 = Var.param(y.copy());
        Var fused = RowOps.crossEntropyOfProductBothWays(a1, b1, 50f);
        Var ref = bothDirections(a2, b2, 50f);
        assertTrue(Float.isFinite(ref.value.item()), "the reference must be finite: " + ref.value.item());
        assertBitsEqual("loss", ref.value, fused.value);
        fused.backward();
        ref.backward();
        assertBitsEqual("gradient of a", a2.grad(), a1.grad());
        assertBitsEqual("gradient of b", b2.grad(), b1.grad());
    }

    /** As crossEntropyOfProductSurvivesASecondBackward: the second backward must not read the gradient as exponentials. */
    @Test
    void bothWaysSurvivesASecondBackward() {
        Rng rng = new Rng(13L);
        Tensor x = rng.uniform(new Tensor(20, 8), -1f, 1f), y = rng.uniform(new Tensor(20, 8), -1f, 1f);
        Var a1 = Var.param(x.copy()), b1 = Var.param(y.copy()), a2 = Var.param(x.copy()), b2 = Var.param(y.copy());
        Var fused = RowOps.crossEntropyOfProductBothWays(a1, b1, 5f);
        Var ref = bothDirections(a2, b2, 5f);
        backwardTwice(fused, ref, a1, b1, a2, b2, false);
    }

    @Test
    void gradientCheckOfBothWays() {
        Rng rng = new Rng(6L);
        GradCheck.check("crossEntropyOfProductBothWays", v -> RowOps.crossEntropyOfProductBothWays(v[0], v[1], 2.5f),
                rng.uniform(new Tensor(5, 3), -1f, 1f), rng.uniform(new Tensor(5, 3), -1f, 1f));
    }

    @Test
    void bothWaysNamesBadShapesAndScales() {
        Var a = Var.constant(new Tensor(3, 4)), b = Var.constant(new Tensor(4, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RowOps.crossEntropyOfProductBothWays(a, b, 1f));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[4, 4]"), e.getMessage());
        Var a3 = Var.constant(new Tensor(4, 4));
        e = assertThrows(IllegalArgumentException.class, () -> RowOps.crossEntropyOfProductBothWays(a3, b, 0f));
        assertTrue(e.getMessage().contains("scale") && e.getMessage().contains("[4, 4]"), e.getMessage());
    }

    @Test
    void badTargetsNameTheLogits() {
        Var x = Var.constant(new Tensor(3, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RowOps.crossEntropy(x, 1f, new int[] {0, 4, 1}));
        assertTrue(e.getMessage().contains("4") && e.getMessage().contains("[3, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RowOps.crossEntropy(x, 1f, new int[] {0, 1}));
        assertTrue(e.getMessage().contains("2 targets"), e.getMessage());
    }
}
