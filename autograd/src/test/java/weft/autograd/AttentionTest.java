package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

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

    /** The parts concatenated per sequence, as Tokens.sequences does, then the attention: what scaledDotProductOfParts replaces. */
    private static Var concatenated(Var q, int tq, List<Var> kParts, List<Var> vParts, int heads, Tensor m) {
        int d = q.cols(), batch = kParts.get(0).rows(), tk = 0;
        for (Var p : kParts) tk += p.cols() / d;
        Var k = ShapeOps.reshape(kParts.size() == 1 ? kParts.get(0) : ShapeOps.concatCols(kParts.toArray(new Var[0])), batch * tk, d);
        Var v = ShapeOps.reshape(vParts.size() == 1 ? vParts.get(0) : ShapeOps.concatCols(vParts.toArray(new Var[0])), batch * tk, d);
        return Attention.scaledDotProduct(q, tq, k, v, tk, heads, m);
    }

    /**
     * Keys and values read from parts side by side against their concatenation: the same output and
     * every gradient to the bit, at 1 to 3 threads. Parts of one and of two tokens, the four-head,
     * four-query shape with its own score kernel and a one-query shape (CRANE's), masks, a part that
     * is both a key and a value part, and one used twice; rows enough for several tasks.
     */
    @Test
    void partsGiveTheBitsOfTheirConcatenation() {
        int[][] shapes = {{64, 4, 4, 300}, {64, 4, 1, 301}, {12, 4, 2, 7}, {16, 1, 3, 5}};   // d, heads, Tq, B
        int saved = weft.engine.Parallel.threads();
        try {
            for (int[] s : shapes) {
                int d = s[0], heads = s[1], tq = s[2], batch = s[3];
                int[] tokens = {1, 2, 1};   // part widths in tokens: Tk = 4
                for (boolean masked : new boolean[] {false, true}) {
                    Rng rng = new Rng(17L * d + tq + batch + (masked ? 1 : 0));
                    Tensor q = rand(rng, batch * tq, d), g = rand(rng, batch * tq, d);
                    Tensor[] kt = new Tensor[3], vt = new Tensor[3];
                    for (int j = 0; j < 3; j++) {
                        kt[j] = rand(rng, batch, tokens[j] * d);
                        vt[j] = rand(rng, batch, tokens[j] * d);
                    }
                    Tensor m = masked ? mask(batch, 4) : null;
                    for (int t : new int[] {1, 2, 3}) {
                        weft.engine.Parallel.setThreads(t);
                        String what = "d " + d + ", " + heads + " heads, Tq " + tq + ", B " + batch + (masked ? ", masked" : "") + ", " + t + " threads";
                        Var[] r = params(q, kt, vt), f = params(q, kt, vt);
                        // values part 2 is keys part 0's Var (shape [B, d]): one Var as a key and a value part
                        List<Var> rk = List.of(r[1], r[2], r[3]), rv = List.of(r[4], r[5], r[1]);
                        List<Var> fk = List.of(f[1], f[2], f[3]), fv = List.of(f[4], f[5], f[1]);
                        Var ref = concatenated(r[0], tq, rk, rv, heads, m);
                        Var out = Attention.scaledDotProductOfParts(f[0], tq, fk, fv, heads, m);
                        assertBitsEqual(what + ": value", ref.value, out.value);
                        ref.backward(g);
                        out.backward(g);
                        for (int i = 0; i < 6; i++) {
                            assertBitsEqual(what + ": gradient of input " + i, r[i].grad(), f[i].grad());
                        }
                    }
                }
            }
        } finally {
            weft.engine.Parallel.setThreads(saved);
        }
    }

    /** q, then the key parts' and value parts' tensors, as fresh parameters (value part 2 is left out: the tests reuse key part 0). */
    private static Var[] params(Tensor q, Tensor[] kt, Tensor[] vt) {
        return new Var[] {Var.param(q.copy()), Var.param(kt[0].copy()), Var.param(kt[1].copy()), Var.param(kt[2].copy()),
                Var.param(vt[0].copy()), Var.param(vt[1].copy())};
    }

    /**
     * Queries that need no gradient, and parts of which only some do: the parts' gradients still
     * those of the concatenation, to the bit (the backward then skips the queries' gradient and
     * the copies only it needs).
     */
    @Test
    void partsWithConstantQueriesGiveTheBitsOfTheirConcatenation() {
        Rng rng = new Rng(21L);
        int d = 64, heads = 4, tq = 1, batch = 50;
        Tensor q = rand(rng, batch * tq, d), g = rand(rng, batch * tq, d);
        Tensor k0 = rand(rng, batch, d), k1 = rand(rng, batch, d), v0 = rand(rng, batch, d), v1 = rand(rng, batch, d);
        Var[] r = {Var.constant(q), Var.param(k0.copy()), Var.constant(k1), Var.param(v0.copy()), Var.param(v1.copy())};
        Var[] f = {Var.constant(q), Var.param(k0.copy()), Var.constant(k1), Var.param(v0.copy()), Var.param(v1.copy())};
        Var ref = concatenated(r[0], tq, List.of(r[1], r[2]), List.of(r[3], r[4]), heads, null);
        Var out = Attention.scaledDotProductOfParts(f[0], tq, List.of(f[1], f[2]), List.of(f[3], f[4]), heads, null);
        assertBitsEqual("value", ref.value, out.value);
        ref.backward(g);
        out.backward(g);
        for (int i : new int[] {1, 3, 4}) assertBitsEqual("gradient of input " + i, r[i].grad(), f[i].grad());
    }

    @Test
    void partsGradientCheckAndBadParts() {
        Rng rng = new Rng(9L);
        GradCheck.check("attention of parts", x -> Attention.scaledDotProductOfParts(x[0], 2, List.of(x[1], x[2]), List.of(x[3], x[2]), 2, null),
                rand(rng, 8, 4), rand(rng, 4, 4), rand(rng, 4, 8), rand(rng, 4, 4));
        Var q = Var.constant(new Tensor(8, 4)), a = Var.constant(new Tensor(4, 4)), b = Var.constant(new Tensor(4, 8)), c = Var.constant(new Tensor(3, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Attention.scaledDotProductOfParts(q, 2, List.of(a, b), List.of(a, a), 2, null));
        assertTrue(e.getMessage().contains("key part 1 [4, 8]") && e.getMessage().contains("[4, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.scaledDotProductOfParts(q, 2, List.of(a, c), List.of(a, c), 2, null));
        assertTrue(e.getMessage().contains("key part 1 [3, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.scaledDotProductOfParts(q, 2, List.of(a), List.of(), 2, null));
        assertTrue(e.getMessage().contains("1 key parts and 0 value parts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.scaledDotProductOfParts(q, 4, List.of(a), List.of(a), 2, null));
        assertTrue(e.getMessage().contains("(Tq = 4)"), e.getMessage());
    }
}
