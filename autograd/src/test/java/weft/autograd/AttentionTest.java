package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * The fused {@link Attention} op: values and gradients equal to the composed ops it replaces up
 * to float rounding, bits that do not depend on the thread count, a float64 scalar reference,
 * and finite differences.
 */
class AttentionTest {

    /** The composition MultiHeadAttention used before the fused op: head split, bmm, scale, softmax, bmm, merge. */
    static Var composed(Var q, int tq, Var k, Var v, int tk, int heads, Tensor mask) {
        int batch = q.rows() / tq, dh = q.cols() / heads;
        Var qh = ShapeOps.splitHeads(q, tq, heads), kh = ShapeOps.splitHeads(k, tk, heads), vh = ShapeOps.splitHeads(v, tk, heads);
        Var scores = Ops.scale(Ops.bmm(qh, false, kh, true, batch * heads), (float) (1.0 / Math.sqrt(dh)));
        Var att = mask == null ? RowOps.rowSoftmax(scores) : RowOps.maskedRowSoftmax(scores, mask, heads * tq);
        return ShapeOps.mergeHeads(Ops.bmm(att, false, vh, false, batch * heads), tq, heads);
    }

    private static Tensor rand(Rng rng, int r, int c) {
        return rng.uniform(new Tensor(r, c), -1.5f, 1.5f);
    }

    /** A mask with some keys dropped, one sequence with every key dropped. */
    private static Tensor mask(int batch, int tk) {
        Tensor m = Tensor.full(batch, tk, 1f);
        for (int b = 0; b < batch; b++) {
            if (b % 3 == 1) m.data[b * tk + (b % tk)] = 0f;
        }
        java.util.Arrays.fill(m.data, 2 * tk, 3 * tk, 0f);
        return m;
    }

    /** Equal up to float rounding: |a - e| <= 1e-5 (1 + |e|) element by element. */
    private static void assertClose(String what, Tensor expected, Tensor actual) {
        assertEquals(expected.shape(), actual.shape(), what);
        for (int i = 0; i < expected.size(); i++) {
            float e = expected.data[expected.offset + i], a = actual.data[actual.offset + i];
            if (!(Math.abs(a - e) <= 1e-5f * (1f + Math.abs(e)))) {
                throw new AssertionError(what + ": element " + i + " is " + a + ", composed ops give " + e);
            }
        }
    }

    private static void assertBitsEqual(String what, Tensor expected, Tensor actual) {
        assertEquals(expected.shape(), actual.shape(), what);
        for (int i = 0; i < expected.size(); i++) {
            int e = Float.floatToRawIntBits(expected.data[expected.offset + i]), a = Float.floatToRawIntBits(actual.data[actual.offset + i]);
            if (e != a) {
                throw new AssertionError(what + ": element " + i + " is " + actual.data[actual.offset + i] + ", composed ops give "
                        + expected.data[expected.offset + i]);
            }
        }
    }

    @Test
    void equalToTheComposedOpsUpToRounding() {
        // dh = 16 and 4 use the four partial sums of the dot products, dh = 3 only their tail; Tk = 5 != Tq = 4 as cross-attention
        int[][] shapes = {{64, 4, 4, 4}, {64, 4, 4, 5}, {12, 4, 2, 3}, {16, 1, 8, 8}};
        for (int[] s : shapes) {
            int d = s[0], heads = s[1], tq = s[2], tk = s[3], batch = 7;
            for (boolean masked : new boolean[] {false, true}) {
                Rng rng = new Rng(31L * d + tk + (masked ? 1 : 0));
                Tensor q = rand(rng, batch * tq, d), k = rand(rng, batch * tk, d), v = rand(rng, batch * tk, d), g = rand(rng, batch * tq, d);
                Tensor m = masked ? mask(batch, tk) : null;
                Var[] a = {Var.param(q.copy()), Var.param(k.copy()), Var.param(v.copy())};
                Var[] b = {Var.param(q.copy()), Var.param(k.copy()), Var.param(v.copy())};
                Var fused = Attention.scaledDotProduct(a[0], tq, a[1], a[2], tk, heads, m);
                Var ref = composed(b[0], tq, b[1], b[2], tk, heads, m);
                String what = "d " + d + ", " + heads + " heads, Tq " + tq + ", Tk " + tk + (masked ? ", masked" : "");
                assertClose(what + ": value", ref.value, fused.value);
                fused.backward(g);
                ref.backward(g);
                for (int i = 0; i < 3; i++) {
                    assertClose(what + ": gradient of " + "qkv".charAt(i), b[i].grad(), a[i].grad());
                }
                if (masked) {   // sequence 2 has every key masked: zero context, no NaN
                    for (int i = 2 * tq * d; i < 3 * tq * d; i++) assertEquals(0f, fused.value.data[i], what);
                }
            }
        }
    }

    @Test
    void sameBitsForAnyThreadCount() {
        int d = 64, heads = 4, tq = 4, tk = 5, batch = 301;
        Rng rng = new Rng(5);
        Tensor q = rand(rng, batch * tq, d), k = rand(rng, batch * tk, d), v = rand(rng, batch * tk, d), g = rand(rng, batch * tq, d);
        Tensor m = mask(batch, tk);
        int saved = weft.engine.Parallel.threads();
        Tensor[] first = null;
        try {
            for (int t : new int[] {1, 2, 3}) {
                weft.engine.Parallel.setThreads(t);
                Var[] a = {Var.param(q.copy()), Var.param(k.copy()), Var.param(v.copy())};
                Var out = Attention.scaledDotProduct(a[0], tq, a[1], a[2], tk, heads, m);
                out.backward(g);
                Tensor[] now = {out.value, a[0].grad(), a[1].grad(), a[2].grad()};
                if (first == null) {
                    first = now;
                } else {
                    for (int i = 0; i < now.length; i++) assertBitsEqual(t + " threads, output " + i, first[i], now[i]);
                }
            }
        } finally {
            weft.engine.Parallel.setThreads(saved);
        }
    }

    @Test
    void sameVarAsQueriesKeysAndValues() {
        Rng rng = new Rng(5L);
        Tensor x = rand(rng, 3 * 4, 8), g = rand(rng, 3 * 4, 8);
        Var a = Var.param(x.copy()), b = Var.param(x.copy());
        Attention.scaledDotProduct(a, 4, a, a, 4, 2, null).backward(g);
        composed(b, 4, b, b, 4, 2, null).backward(g);
        assertArrayEquals(b.grad().toArray(), a.grad().toArray(), 1e-6f);
    }

    @Test
    void matchesAFloat64Reference() {
        int d = 8, heads = 2, tq = 3, tk = 4, batch = 5, dh = d / heads;
        Rng rng = new Rng(11L);
        Tensor q = rand(rng, batch * tq, d), k = rand(rng, batch * tk, d), v = rand(rng, batch * tk, d);
        Tensor out = Attention.scaledDotProduct(Var.constant(q), tq, Var.constant(k), Var.constant(v), tk, heads, null).value;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < tq; i++) {
                    double[] s = new double[tk];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < tk; j++) {
                        for (int c = 0; c < dh; c++) s[j] += (double) q.get(b * tq + i, h * dh + c) * k.get(b * tk + j, h * dh + c);
                        s[j] /= Math.sqrt(dh);
                        max = Math.max(max, s[j]);
                    }
                    for (int j = 0; j < tk; j++) sum += s[j] = Math.exp(s[j] - max);
                    for (int c = 0; c < dh; c++) {
                        double o = 0;
                        for (int j = 0; j < tk; j++) o += s[j] / sum * v.get(b * tk + j, h * dh + c);
                        assertEquals(o, out.get(b * tq + i, h * dh + c), 1e-5, "sequence " + b + ", head " + h + ", query " + i);
                    }
                }
            }
        }
    }

    @Test
    void gradientCheck() {
        Rng rng = new Rng(3L);
        Tensor m = mask(4, 3);
        m.data[0] = 0f;
        GradCheck.check("attention", x -> Attention.scaledDotProduct(x[0], 2, x[1], x[2], 3, 2, null),
                rand(rng, 8, 4), rand(rng, 12, 4), rand(rng, 12, 4));
        GradCheck.check("attention masked", x -> Attention.scaledDotProduct(x[0], 2, x[1], x[2], 3, 2, m),
                rand(rng, 8, 4), rand(rng, 12, 4), rand(rng, 12, 4));
    }

    @Test
    void badShapesNameThem() {
        Var q = Var.constant(new Tensor(8, 4)), k = Var.constant(new Tensor(9, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Attention.scaledDotProduct(q, 2, k, k, 2, 2, null));
        assertTrue(e.getMessage().contains("[9, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attention.scaledDotProduct(q, 2, q, q, 2, 2, new Tensor(3, 2)));
        assertTrue(e.getMessage().contains("[4, 2]"), e.getMessage());
    }
}
