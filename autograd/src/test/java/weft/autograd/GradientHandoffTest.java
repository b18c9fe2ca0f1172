package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import weft.engine.Arena;
import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * A node's backward may hand its own gradient tensor to one parent instead of copying it
 * (add, sub, reshape, the head permutes). The cases where that could alias two gradients: the
 * same variable on both sides, two leaves that share a node, the root (whose gradient is kept),
 * and a parent that later receives more gradient from another path.
 */
class GradientHandoffTest {
    private static Var param(long seed, int r, int c) {
        return Var.param(new Rng(seed).normal(new Tensor(r, c), 0f, 1f));
    }

    /**
     * Inside a training step (engine Arena) the ops' outputs and gradients may be recycled arrays,
     * but a parameter keeps its gradient past the step, so it must never hold one: not through
     * the first-use copy, the zero-filled buffer, or the handoff (here reshape and add's second
     * operand, both handing their own recycled gradient on). The values are those of a step
     * without the arena, to the bit, over three steps (the arrays come back from the third on).
     */
    @Test
    void parametersNeverKeepARecycledGradient() {
        int rows = 128, cols = 64;   // 8192 floats: above Arena.MIN_LENGTH
        float[][][] plain = new float[3][][], recycled = new float[3][][];   // [step][parameter]
        for (boolean on : new boolean[] {false, true}) {
            Var a = param(11, rows, cols), b = param(12, rows, cols), w = param(13, cols, cols);
            Arena arena = new Arena();
            Arena.setEnabled(on);
            try {
                for (int step = 0; step < 3; step++) {
                    a.zeroGrad();
                    b.zeroGrad();
                    w.zeroGrad();
                    try (Arena.Step s = arena.open()) {
                        Var h = Ops.add(Ops.matmul(a, w), ShapeOps.reshape(ShapeOps.reshape(b, cols, rows), rows, cols));
                        Ops.sumSquares(Ops.add(Ops.relu(h), b)).backward();
                        for (Var p : new Var[] {a, b, w}) {
                            assertFalse(Arena.lends(p.grad().data), "step " + step + ": a parameter holds a recycled gradient");
                        }
                    }
                    (on ? recycled : plain)[step] = new float[][] {a.grad().toArray(), b.grad().toArray(), w.grad().toArray()};
                }
            } finally {
                Arena.setEnabled(true);
            }
            if (on) {
                assertTrue(arena.reused() > 0, "the third step reuses arrays");
            }
        }
        for (int step = 0; step < 3; step++) {
            for (int p = 0; p < 3; p++) {
                assertArrayEquals(plain[step][p], recycled[step][p], 0f, "step " + step + ", parameter " + p);
            }
        }
    }

    /**
     * A non-scalar root backpropagated with a seed inside a step (as the guard's forward+backward
     * benchmarks run): the copy of the seed that the root's backward hands on comes from the
     * arena, so a parameter that receives it must copy it out. Reshape hands its gradient to the
     * parameter as is; add hands it to its second operand. Three steps, so the arrays come back.
     */
    @Test
    void aSeededRootsHandedCopyNeverStaysWithAParameter() {
        int rows = 128, cols = 64;
        Var a = param(21, rows, cols), b = param(22, rows, cols);
        Tensor seed = new Rng(23).normal(new Tensor(rows, cols), 0f, 1f);
        float[] seedValues = seed.toArray();
        Arena arena = new Arena();
        for (int step = 0; step < 3; step++) {
            a.zeroGrad();
            b.zeroGrad();
            try (Arena.Step s = arena.open()) {
                long lent = Arena.bytesLent();
                ShapeOps.reshape(ShapeOps.reshape(a, cols, rows), rows, cols).backward(seed);
                Ops.add(a, b).backward(seed);
                // the add's output, and per backward the root's kept copy of the seed and the copy it
                // hands on (a fresh array, not counted, before the handed copy came from the arena)
                assertEquals(5 * 4L * rows * cols, Arena.bytesLent() - lent, "step " + step + ": bytes the arena lent");
                for (Var p : new Var[] {a, b}) {
                    assertFalse(Arena.lends(p.grad().data), "step " + step + ": a parameter holds a recycled gradient");
                }
            }
            // after the step (recycled arrays are NaN-filled under the tests' poison setting)
            for (int i = 0; i < seedValues.length; i++) {
                assertEquals(2 * seedValues[i], a.grad().data[i], 0f, "step " + step + ", a[" + i + "]");
                assertEquals(seedValues[i], b.grad().data[i], 0f, "step " + step + ", b[" + i + "]");
            }
        }
        assertArrayEquals(seedValues, seed.toArray(), 0f, "the caller's seed is left as it was");
    }

    /**
     * An add whose second operand already has a gradient when its backward runs hands g to the
     * first (no copy) and adds it into the second's: the values must be those of the other order,
     * checked against finite differences with the second operand reached first and last, and the
     * two operands' gradients must stay apart. The copy saved is counted in the arena's bytes, for
     * add and for sub (whose second operand then takes -g without a negated copy); both counts
     * fail on the code before, which made the copy either way.
     */
    @Test
    void anAddHandsItsGradientToWhicheverOperandHasNone() {
        for (boolean otherPathFirst : new boolean[] {true, false}) {
            GradCheck.check("add, second operand reached " + (otherPathFirst ? "first" : "last"), in -> {
                Var a = Ops.tanh(in[0]), h = Ops.mul(in[1], in[1]);
                Var other = Ops.sum(Ops.mul(h, Ops.sigmoid(in[0])));
                Var viaAdd = Ops.sum(Ops.mul(Ops.add(a, h), Ops.add(a, in[1])));
                return otherPathFirst ? Ops.add(viaAdd, other) : Ops.add(other, viaAdd);
            }, new Rng(31).normal(new Tensor(3, 4), 0f, 1f), new Rng(32).normal(new Tensor(3, 4), 0f, 1f));
        }
        Var a = param(33, 2, 3), b = param(34, 2, 3);
        Var h = Ops.scale(b, 2f);
        Ops.add(Ops.sum(Ops.mul(h, h)), Ops.sum(Ops.add(Ops.tanh(a), h))).backward();
        assertNotSame(a.grad().data, b.grad().data);
        // The copy it saves, counted: in a step, add(u, v)'s backward lends nothing once v already
        // has a gradient (u keeps g), and one [128, 64] copy for u when v has none yet.
        assertEquals(List.of(0L, 4L * 128 * 64), backwardBytes("add", Ops::add));
        assertEquals(List.of(0L, 4L * 128 * 64), backwardBytes("sub", Ops::sub), "sub: the negated copy only where v has no gradient yet");
    }

    /**
     * Bytes the step's arena lends inside the backward of {@code op(u, v)} ({@code u = tanh(P)},
     * {@code v = tanh(Q)}, [128, 64]): first with v's other use backpropagated before op's
     * backward, then after it.
     */
    private static List<Long> backwardBytes(String name, java.util.function.BinaryOperator<Var> op) {
        List<Long> out = new java.util.ArrayList<>();
        Tensor m1 = new Rng(51).normal(new Tensor(128, 64), 0f, 1f), m2 = new Rng(52).normal(new Tensor(128, 64), 0f, 1f);
        Arena arena = new Arena();
        for (boolean otherFirst : new boolean[] {true, false}) {
            Var p = param(53, 128, 64), q = param(54, 128, 64);
            try (Arena.Step s = arena.open()) {
                Var u = Ops.tanh(p), v = Ops.tanh(q);
                Var viaOp = Ops.mul(op.apply(u, v), Var.constant(m1));
                Var other = Ops.mul(v, Var.constant(m2));
                // the loss's operand order decides the backward's order (a depth-first topological
                // order): with other second, its backward runs first and v has a gradient before op's
                Var loss = otherFirst ? Ops.add(Ops.sum(viaOp), Ops.sum(other)) : Ops.add(Ops.sum(other), Ops.sum(viaOp));
                OpProfile.setFirstEpoch(0);
                try {
                    OpProfile.startRun();
                    OpProfile.epoch(0);
                    loss.backward();
                    long[] t = OpProfile.totals().stream().filter(e -> e.getKey().equals(name + " backward"))
                            .findFirst().orElseThrow().getValue();
                    out.add(t[2]);
                } finally {
                    OpProfile.setFirstEpoch(-1);
                }
            }
        }
        return out;
    }

    /**
     * sub's backward subtracts g straight from a second operand that already has a gradient (one
     * fma with -1): the bits of adding a negated copy, checked against add(a, scale(b, -1)), whose
     * backward adds the same values, with b reached by another path before and after the sub.
     */
    @Test
    void subtractingFromAnExistingGradientKeepsTheBitsOfTheNegatedCopy() {
        Tensor m1 = new Rng(41).normal(new Tensor(4, 5), 0f, 1f), m2 = new Rng(42).normal(new Tensor(4, 5), 0f, 1f);
        for (boolean otherPathFirst : new boolean[] {true, false}) {
            float[][] grads = new float[2][];
            for (int variant = 0; variant < 2; variant++) {
                Var a = param(43, 4, 5), b0 = param(44, 4, 5);
                Var b = Ops.tanh(b0);   // an op node: its gradient is the one sub adds into
                Var d = variant == 0 ? Ops.sub(a, b) : Ops.add(a, Ops.scale(b, -1f));
                Var viaSub = Ops.sum(Ops.mul(Ops.mul(d, d), Var.constant(m1)));
                Var other = Ops.sum(Ops.mul(Ops.sigmoid(b), Var.constant(m2)));
                (otherPathFirst ? Ops.add(viaSub, other) : Ops.add(other, viaSub)).backward();
                float[] ga = a.grad().toArray(), gb = b0.grad().toArray();
                grads[variant] = new float[ga.length + gb.length];
                System.arraycopy(ga, 0, grads[variant], 0, ga.length);
                System.arraycopy(gb, 0, grads[variant], ga.length, gb.length);
            }
            for (int i = 0; i < grads[0].length; i++) {
                assertEquals(Float.floatToRawIntBits(grads[1][i]), Float.floatToRawIntBits(grads[0][i]),
                        "other path " + (otherPathFirst ? "first" : "last") + ", gradient element " + i);
            }
        }
    }

    @Test
    void sameVariableOnBothSides() {
        Var a = param(1, 3, 4);
        Ops.sum(Ops.add(a, a)).backward();
        for (float g : a.grad().toArray()) assertEquals(2f, g, 0f);
        a.zeroGrad();
        Ops.sum(Ops.sub(a, a)).backward();
        for (float g : a.grad().toArray()) assertEquals(0f, g, 0f);
    }

    @Test
    void twoLeavesOfOneAddGetTheirOwnGradients() {
        Var a = param(2, 3, 4), b = param(3, 3, 4);
        Ops.sum(Ops.add(a, b)).backward();
        assertNotSame(a.grad(), b.grad());
        assertNotSame(a.grad().data, b.grad().data);
        a.grad().data[0] = 7f;   // writing one must not change the other
        assertEquals(1f, b.grad().data[0], 0f);
        Var c = param(4, 3, 4), d = param(5, 3, 4);
        Ops.sum(Ops.sub(c, d)).backward();
        assertNotSame(c.grad().data, d.grad().data);
        for (float g : c.grad().toArray()) assertEquals(1f, g, 0f);
        for (float g : d.grad().toArray()) assertEquals(-1f, g, 0f);
    }

    @Test
    void theRootKeepsItsOwnGradient() {
        Var a = param(6, 2, 3), b = param(7, 2, 3);
        Var root = Ops.add(a, b);   // a non-scalar root, backpropagated with a seed
        Tensor seed = new Rng(8).normal(new Tensor(2, 3), 0f, 1f);
        root.backward(seed);
        assertArrayEquals(seed.toArray(), root.grad().toArray(), 0f);
        assertArrayEquals(seed.toArray(), b.grad().toArray(), 0f);
        assertNotSame(root.grad().data, b.grad().data);
        b.grad().data[0] += 1f;
        assertEquals(seed.data[0], root.grad().data[0], 0f, "b's gradient must not be the root's");
        Var r = ShapeOps.reshape(a, 3, 2);
        a.zeroGrad();
        r.backward(new Tensor(3, 2).fill(1f));
        a.grad().data[0] = 5f;
        assertEquals(1f, r.grad().data[0], 0f);
    }

    /**
     * A parent that keeps a child's gradient and then receives more from another path: the values
     * must be those of the copying code, checked against finite differences, through reshape,
     * add and sub chains that reuse one variable several times.
     */
    @Test
    void chainsThatReuseAVariableMatchFiniteDifferences() {
        GradCheck.check("reshape/add/sub chain", in -> {
            Var x = in[0], y = in[1];
            Var s = Ops.add(x, y);                                   // s keeps nothing of its own
            Var t = ShapeOps.reshape(Ops.sub(s, x), 4, 3);           // sub hands g to s; reshape to sub
            Var u = Ops.add(ShapeOps.reshape(t, 3, 4), s);           // s receives again
            return Ops.sum(Ops.mul(u, Ops.add(u, y)));
        }, new Rng(9).normal(new Tensor(3, 4), 0f, 1f), new Rng(10).normal(new Tensor(3, 4), 0f, 1f));
    }
}
