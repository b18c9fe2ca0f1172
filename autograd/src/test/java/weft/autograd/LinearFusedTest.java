package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * {@link Ops#linear}: bit-identical to add(matmul(x, W^T), b), also when the layer and the input are used twice; with a
 * residual, bit-identical to adding it after the layer.
 */
class LinearFusedTest {

    private static void assertBitsEqual(String what, Tensor expected, Tensor actual) {
        assertEquals(expected.shape(), actual.shape(), what);
        for (int i = 0; i < expected.size(); i++) {
            float e = expected.data[expected.offset + i], a = actual.data[actual.offset + i];
            if (Float.floatToRawIntBits(e) != Float.floatToRawIntBits(a)) {
                throw new AssertionError(what + ": element " + i + " is " + a + ", the composed ops give " + e);
            }
        }
    }

    /** Two uses of one layer on x and on tanh(x), then a weighted sum: every gradient has two contributions. */
    private static Var net(Var x, Var w, Var b, boolean fused, Tensor mix) {
        Var y1 = fused ? Ops.linear(x, w, b) : Ops.add(Ops.matmul(x, false, w, true), b);
        Var x2 = Ops.tanh(x);
        Var y2 = fused ? Ops.linear(x2, w, b) : Ops.add(Ops.matmul(x2, false, w, true), b);
        return Ops.sum(Ops.mul(Ops.add(y1, Ops.sigmoid(y2)), Var.constant(mix)));
    }

    @Test
    void bitIdenticalToAddOfMatmul() {
        for (int[] s : new int[][] {{1, 7, 5}, {37, 64, 64}, {300, 384, 64}, {50, 13, 19}}) {
            Rng rng = new Rng(s[0] + 17L * s[1]);
            Tensor x = rng.uniform(new Tensor(s[0], s[1]), -1f, 1f), w = rng.uniform(new Tensor(s[2], s[1]), -1f, 1f);
            Tensor b = rng.uniform(new Tensor(1, s[2]), -1f, 1f), mix = rng.uniform(new Tensor(s[0], s[2]), -1f, 1f);
            Var[] f = {Var.param(x.copy()), Var.param(w.copy()), Var.param(b.copy())};
            Var[] r = {Var.param(x.copy()), Var.param(w.copy()), Var.param(b.copy())};
            Var lf = net(f[0], f[1], f[2], true, mix), lr = net(r[0], r[1], r[2], false, mix);
            String what = "x " + x.shape() + ", W " + w.shape();
            assertBitsEqual(what + ": value", lr.value, lf.value);
            lf.backward();
            lr.backward();
            for (int i = 0; i < 3; i++) assertBitsEqual(what + ": gradient " + i, r[i].grad(), f[i].grad());
        }
    }

    @Test
    void gradientCheck() {
        Rng rng = new Rng(2L);
        GradCheck.check("linear", x -> Ops.linear(x[0], x[1], x[2]), rng.uniform(new Tensor(4, 3), -1f, 1f),
                rng.uniform(new Tensor(5, 3), -1f, 1f), rng.uniform(new Tensor(1, 5), -1f, 1f));
    }

    /**
     * {@code r + (x W^T + b)} as one op against {@code add(r, linear(x, W, b))}: the residual gets
     * gradient from another path too (before and after, in the tape's order), and in the square
     * case the residual is the layer's own input, which must then get its parts in the add's order.
     */
    private static Var residualNet(Var x, Var w, Var b, Var r, boolean fused, Tensor mix) {
        Var pre = Ops.tanh(r);                                           // r's other path, backpropagated after
        Var y = fused ? Ops.linear(x, w, b, r) : Ops.add(r, Ops.linear(x, w, b));
        Var post = Ops.mul(Ops.sigmoid(r), Var.constant(mix));           // and one backpropagated before
        return Ops.sum(Ops.mul(Ops.add(Ops.add(y, pre), post), Var.constant(mix)));
    }

    @Test
    void withAResidualBitIdenticalToAddingIt() {
        for (int[] s : new int[][] {{1, 7, 5}, {37, 64, 64}, {300, 384, 64}, {50, 13, 19}, {40, 16, 16}}) {
            Rng rng = new Rng(s[0] + 31L * s[1]);
            Tensor x = rng.uniform(new Tensor(s[0], s[1]), -1f, 1f), w = rng.uniform(new Tensor(s[2], s[1]), -1f, 1f);
            Tensor b = rng.uniform(new Tensor(1, s[2]), -1f, 1f), res = rng.uniform(new Tensor(s[0], s[2]), -1f, 1f);
            Tensor mix = rng.uniform(new Tensor(s[0], s[2]), -1f, 1f);
            for (boolean selfResidual : new boolean[] {false, true}) {
                if (selfResidual && s[1] != s[2]) continue;   // r = x needs a square layer
                Var[] f = {Var.param(x.copy()), Var.param(w.copy()), Var.param(b.copy()), Var.param(res.copy())};
                Var[] c = {Var.param(x.copy()), Var.param(w.copy()), Var.param(b.copy()), Var.param(res.copy())};
                Var lf = residualNet(f[0], f[1], f[2], selfResidual ? f[0] : f[3], true, mix);
                Var lc = residualNet(c[0], c[1], c[2], selfResidual ? c[0] : c[3], false, mix);
                String what = "x " + x.shape() + ", W " + w.shape() + (selfResidual ? ", r = x" : "");
                assertBitsEqual(what + ": value", lc.value, lf.value);
                lf.backward();
                lc.backward();
                for (int i = 0; i < (selfResidual ? 3 : 4); i++) assertBitsEqual(what + ": gradient " + i, c[i].grad(), f[i].grad());
            }
        }
    }

    @Test
    void residualShapeIsChecked() {
        Var x = Var.constant(new Tensor(2, 3)), w = Var.constant(new Tensor(4, 3)), b = Var.constant(new Tensor(1, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.linear(x, w, b, Var.constant(new Tensor(2, 3))));
        assertEquals("linear: residual [2, 3] does not match the output [2, 4] of input [2, 3] and weight [4, 3]", e.getMessage());
    }

    @Test
    void biasShapeIsChecked() {
        Var x = Var.constant(new Tensor(2, 3)), w = Var.constant(new Tensor(4, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.linear(x, w, Var.constant(new Tensor(1, 3))));
        assertEquals("linear: bias [1, 3] does not match weight [4, 3]", e.getMessage());
    }
}
