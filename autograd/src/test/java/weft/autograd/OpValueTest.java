package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import weft.autograd.nn.Losses;
import weft.engine.MatMul;
import weft.engine.Rng;
import weft.engine.Tensor;

/** Forward values of the ops against hand-computed or independently computed references. */
class OpValueTest {
    private static final Rng RNG = new Rng(7L);

    private static Var c(int r, int c, float... v) {
        return Var.constant(Tensor.of(r, c, v));
    }

    private static Var rand(int r, int c) {
        return Var.param(RNG.uniform(new Tensor(r, c), -1f, 1f));
    }

    @Test
    void broadcastingArithmetic() {
        Var a = c(2, 3, 1, 2, 3, 4, 5, 6);
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, Ops.add(a, c(1, 3, 10, 20, 30)).value.toArray());
        assertArrayEquals(new float[] {0, 1, 2, 2, 3, 4}, Ops.sub(a, c(2, 1, 1, 2)).value.toArray());
        assertArrayEquals(new float[] {-0, -1, -2, -2, -3, -4}, Ops.sub(c(2, 1, 1, 2), a).value.toArray());
        assertArrayEquals(new float[] {6, 3, 2, 1.5f, 1.2f, 1}, Ops.div(c(1, 1, 6), a).value.toArray(), 1e-6f);
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, Ops.mul(c(1, 1, 2), a).value.toArray());
        assertArrayEquals(new float[] {-2, -4, -6, -8, -10, -12}, Ops.scale(a, -2f).value.toArray());
    }

    @Test
    void bmmMatchesMatMulPerBlock() {
        int blocks = 4, m = 3, k = 5, n = 2;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Var a = ta ? rand(blocks * k, m) : rand(blocks * m, k);
                Var b = tb ? rand(blocks * n, k) : rand(blocks * k, n);
                Tensor out = Ops.bmm(a, ta, b, tb, blocks).value;
                assertEquals(blocks * m, out.rows);
                for (int i = 0; i < blocks; i++) {
                    Tensor ai = a.value.rowBlock(i * a.rows() / blocks, a.rows() / blocks);
                    Tensor bi = b.value.rowBlock(i * b.rows() / blocks, b.rows() / blocks);
                    assertArrayEquals(MatMul.matmul(ai, ta, bi, tb).toArray(), out.rowBlock(i * m, m).toArray(), 1e-5f, "block " + i);
                }
            }
        }
    }

    @Test
    void reductions() {
        Var a = c(2, 3, 1, 2, 3, 4, 5, 6);
        assertEquals(21f, Ops.sum(a).value.item());
        assertEquals(3.5f, Ops.mean(a).value.item());
        assertArrayEquals(new float[] {6, 15}, Ops.sumRows(a).value.toArray());
        assertArrayEquals(new float[] {2.5f, 3.5f, 4.5f}, Ops.meanCols(a).value.toArray());
        assertEquals(91f, Ops.sumSquares(a).value.item());
        assertEquals(5f, Ops.norm(c(1, 2, 3, 4)).value.item(), 1e-6f);
        assertArrayEquals(new float[] {14, 77}, Ops.rowDot(a, a).value.toArray());
    }

    @Test
    void softmaxRowsSumToOneAndMaskedKeysGetZero() {
        Var x = rand(6, 4);
        Tensor y = RowOps.rowSoftmax(x).value;
        for (int r = 0; r < 6; r++) assertEquals(1f, Ops.sum(Var.constant(y.rowBlock(r, 1))).value.item(), 1e-6f);
        Tensor mask = Tensor.of(2, 4, 1, 0, 1, 0, 0, 0, 0, 0);
        Tensor m = RowOps.maskedRowSoftmax(x, mask, 3).value;
        for (int r = 0; r < 3; r++) {
            assertEquals(0f, m.get(r, 1));
            assertEquals(0f, m.get(r, 3));
            assertEquals(1f, m.get(r, 0) + m.get(r, 2), 1e-6f);
            // the kept keys keep their relative weights
            assertEquals(Math.exp(x.value.get(r, 0) - x.value.get(r, 2)), m.get(r, 0) / m.get(r, 2), 1e-4);
        }
        for (int r = 3; r < 6; r++) for (int col = 0; col < 4; col++) assertEquals(0f, m.get(r, col), "all-masked row is zeros, not NaN");
        Tensor ls = RowOps.rowLogSoftmax(x).value;
        for (int i = 0; i < y.size(); i++) assertEquals(Math.log(y.data[i]), ls.data[i], 1e-5);
    }

    @Test
    void normalisations() {
        Var x = rand(3, 5);
        Tensor n = RowOps.rowL2Normalize(x, 1e-12f).value;
        for (int r = 0; r < 3; r++) assertEquals(1f, Ops.norm(Var.constant(n.rowBlock(r, 1))).value.item(), 1e-5f);
        Tensor ln = RowOps.layerNorm(x, Var.constant(Tensor.full(1, 5, 1f)), Var.constant(new Tensor(1, 5)), 1e-5f).value;
        for (int r = 0; r < 3; r++) {
            Var row = Var.constant(ln.rowBlock(r, 1));
            assertEquals(0f, Ops.mean(row).value.item(), 1e-5f);
            assertEquals(1f, Ops.sumSquares(row).value.item() / 5, 1e-3f);
        }
    }

    @Test
    void headSplitLayoutAndInverse() {
        int b = 2, t = 3, h = 2, dh = 3;
        Var x = rand(b * t, h * dh);
        Tensor s = ShapeOps.splitHeads(x, t, h).value;
        assertEquals(b * h * t, s.rows);
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int ti = 0; ti < t; ti++)
                    for (int j = 0; j < dh; j++) assertEquals(x.value.get(bi * t + ti, hi * dh + j), s.get((bi * h + hi) * t + ti, j));
        assertArrayEquals(x.value.toArray(), ShapeOps.mergeHeads(Var.constant(s), t, h).value.toArray());
    }

    @Test
    void shapeOps() {
        Var a = c(2, 2, 1, 2, 3, 4), b = c(2, 1, 5, 6);
        Var cat = ShapeOps.concatCols(a, b);
        assertArrayEquals(new float[] {1, 2, 5, 3, 4, 6}, cat.value.toArray());
        Var[] parts = ShapeOps.splitCols(cat, 2, 1);
        assertArrayEquals(a.value.toArray(), parts[0].value.toArray());
        assertArrayEquals(b.value.toArray(), parts[1].value.toArray());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, ShapeOps.concatRows(a, ShapeOps.reshape(b, 1, 2)).value.toArray());
        assertArrayEquals(new float[] {3, 4}, ShapeOps.sliceRows(a, 1, 1).value.toArray());
        assertArrayEquals(new float[] {3, 4, 1, 2, 3, 4}, ShapeOps.gatherRows(a, new int[] {1, 0, 1}).value.toArray());
        assertArrayEquals(new float[] {2, 3}, RowOps.pick(a, new int[] {1, 0}).value.toArray());
    }

    @Test
    void dropoutScalesSurvivorsAndIsIdentityOffTraining() {
        Var x = Var.param(Tensor.full(100, 50, 1f));
        assertSame(x, RowOps.dropout(x, 0.3f, new Rng(1), false));
        try (NoGrad g = NoGrad.scope()) {
            assertSame(x, RowOps.dropout(x, 0.3f, new Rng(1), true));
        }
        Tensor y = RowOps.dropout(x, 0.3f, new Rng(1), true).value;
        int zeros = 0;
        for (float v : y.toArray()) {
            if (v == 0f) zeros++;
            else assertEquals(1f / 0.7f, v, 1e-6f);
        }
        assertEquals(0.3, zeros / 5000.0, 0.03);
        assertArrayEquals(y.toArray(), RowOps.dropout(x, 0.3f, new Rng(1), true).value.toArray(), "same seed, same mask");
    }

    @Test
    void lossValues() {
        Var pos = c(2, 1, 2f, 0f), neg = c(2, 1, 1f, 1f);
        double bpr = (Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(1))) / 2;
        assertEquals(bpr, Losses.bpr(pos, neg).value.item(), 1e-6);

        Var z1 = rand(3, 4), z2 = rand(3, 4);
        double tau = 0.2, expected = 0;
        for (int i = 0; i < 3; i++) {
            double[] logits = new double[3];
            for (int j = 0; j < 3; j++) logits[j] = cosine(z1.value, i, z2.value, j) / tau;
            double lse = 0;
            for (double l : logits) lse += Math.exp(l);
            expected += Math.log(lse) - logits[i];
        }
        assertEquals(expected / 3, Losses.infoNce(z1, z2, (float) tau).value.item(), 1e-5);

        Var e1 = c(1, 2, 3, 4), e2 = c(1, 1, 12);
        assertEquals(0.5 * (5 + 12) / 4, Losses.embLoss(0.5f, 4, e1, e2).value.item(), 1e-6, "Frobenius norms, not squared");
        assertEquals(0.5 * (25 + 144) / 4, Losses.l2(0.5f, 4, e1, e2).value.item(), 1e-4);
    }

    private static double cosine(Tensor a, int i, Tensor b, int j) {
        double dot = 0, na = 0, nb = 0;
        for (int k = 0; k < a.cols; k++) {
            dot += a.get(i, k) * b.get(j, k);
            na += a.get(i, k) * a.get(i, k);
            nb += b.get(j, k) * b.get(j, k);
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void unaryFunctions() {
        Var x = c(1, 4, -2f, -0.5f, 0.5f, 3f);
        float[] v = x.value.toArray();
        float[] sig = Ops.sigmoid(x).value.toArray(), sp = Ops.softplus(x).value.toArray(), ls = Ops.logSigmoid(x).value.toArray();
        float[] lr = Ops.leakyRelu(x, 0.1f).value.toArray(), r = Ops.relu(x).value.toArray(), th = Ops.tanh(x).value.toArray();
        for (int i = 0; i < 4; i++) {
            assertEquals(1 / (1 + Math.exp(-v[i])), sig[i], 1e-6);
            assertEquals(Math.log1p(Math.exp(v[i])), sp[i], 1e-6);
            assertEquals(Math.log(1 / (1 + Math.exp(-v[i]))), ls[i], 1e-6);
            assertEquals(v[i] > 0 ? v[i] : 0.1f * v[i], lr[i], 1e-7);
            assertEquals(Math.max(v[i], 0), r[i]);
            assertEquals(Math.tanh(v[i]), th[i], 1e-6);
        }
        assertTrue(Float.isFinite(Ops.logSigmoid(c(1, 1, -200f)).value.item()), "logSigmoid is stable for large |x|");
        assertEquals(Math.exp(0.5), Ops.exp(c(1, 1, 0.5f)).value.item(), 1e-6);
        assertEquals(Math.log(0.5), Ops.log(c(1, 1, 0.5f)).value.item(), 1e-6);
    }
}
