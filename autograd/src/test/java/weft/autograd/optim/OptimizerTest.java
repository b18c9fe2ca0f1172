package weft.autograd.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import weft.autograd.Ops;
import weft.autograd.RowOps;
import weft.autograd.Var;
import weft.autograd.nn.Embedding;
import weft.autograd.nn.Linear;
import weft.autograd.nn.Losses;
import weft.autograd.nn.Module;
import weft.engine.Rng;
import weft.engine.Tensor;

class OptimizerTest {
    private static final float[] P0 = {0.5f, -1f, 2f};
    private static final float[][] GRADS = {{0.1f, -0.3f, 2f}, {-0.2f, -0.3f, 0.5f}, {0.05f, 0f, -1f}};

    /** Runs steps where the gradient is exactly GRADS[t] (loss = sum(p * c)). */
    private static float[] run(Optimizer opt, Var p) {
        for (float[] g : GRADS) {
            opt.zeroGrad();
            Ops.sum(Ops.mul(p, Var.constant(Tensor.of(1, 3, g)))).backward();
            opt.step();
        }
        return p.value.toArray();
    }

    /** torch.optim.Adam's update written out in double. */
    private static double[] adamReference(double lr, double b1, double b2, double eps, double wd, boolean decoupled) {
        double[] p = new double[3], m = new double[3], v = new double[3];
        for (int i = 0; i < 3; i++) p[i] = P0[i];
        for (int t = 1; t <= GRADS.length; t++) {
            for (int i = 0; i < 3; i++) {
                double g = GRADS[t - 1][i];
                if (decoupled) p[i] *= 1 - lr * wd;
                else g += wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
                p[i] -= lr / (1 - Math.pow(b1, t)) * m[i] / denom;
            }
        }
        return p;
    }

    private static void assertClose(double[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-6, "element " + i);
    }

    @Test
    void adamMatchesHandComputedSteps() {
        Var p = Var.param(Tensor.of(1, 3, P0));
        Adam adam = new Adam(List.of(p), 0.1f);
        float[] got = run(adam, p);
        assertClose(adamReference(0.1, 0.9, 0.999, 1e-8, 0, false), got);
        assertEquals(3, adam.steps(p));
        // the first step moves every coordinate with a non-zero gradient by lr, whatever its size
        Var q = Var.param(Tensor.of(1, 3, P0));
        Adam one = new Adam(List.of(q), 0.1f);
        Ops.sum(Ops.mul(q, Var.constant(Tensor.of(1, 3, GRADS[0])))).backward();
        one.step();
        assertEquals(P0[2] - 0.1f, q.value.get(0, 2), 1e-6f);
    }

    @Test
    void adamWeightDecayCoupledAndDecoupled() {
        Var p = Var.param(Tensor.of(1, 3, P0));
        assertClose(adamReference(0.05, 0.8, 0.99, 1e-6, 0.1, false), run(new Adam(List.of(p), 0.05f, 0.8f, 0.99f, 1e-6f, 0.1f), p));
        Var q = Var.param(Tensor.of(1, 3, P0));
        assertClose(adamReference(0.05, 0.8, 0.99, 1e-6, 0.1, true),
                run(new Adam(List.of(q), 0.05f, 0.8f, 0.99f, 1e-6f, 0.1f).decoupled(true), q));
        assertFalse(Arrays.equals(p.value.toArray(), q.value.toArray()));
    }

    @Test
    void sgdWithMomentumAndDecayMatchesHandComputed() {
        Var p = Var.param(Tensor.of(1, 3, P0));
        float[] got = run(new Sgd(List.of(p), 0.1f, 0.9f, 0.01f), p);
        double[] w = new double[3], buf = new double[3];
        for (int i = 0; i < 3; i++) w[i] = P0[i];
        for (int t = 0; t < GRADS.length; t++) {
            for (int i = 0; i < 3; i++) {
                double g = GRADS[t][i] + 0.01 * w[i];
                buf[i] = t == 0 ? g : 0.9 * buf[i] + g;
                w[i] -= 0.1 * buf[i];
            }
        }
        assertClose(w, got);
    }

    @Test
    void parametersWithoutGradientAreLeftAloneAndZeroGradClears() {
        Var used = Var.param(Tensor.of(1, 1, 1f)), unused = Var.param(Tensor.of(1, 1, 1f));
        Adam adam = new Adam(List.of(used, unused), 0.1f);
        Ops.sum(Ops.scale(used, 3f)).backward();
        adam.step();
        assertEquals(1f, unused.value.item());
        assertNull(adam.moments(unused));
        assertEquals(0.9f, used.value.item(), 1e-6f);
        adam.zeroGrad();
        assertNull(used.grad());
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(Var.constant(new Tensor(1, 1))), 0.1f));
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(used), 0.1f, 1f, 0.999f, 1e-8f, 0f));
    }

    @Test
    void lazyAdamUpdatesOnlyGatheredRows() {
        Embedding lazyTable = new Embedding(6, 3, new Rng(3)), denseTable = new Embedding(6, 3, new Rng(3));
        Adam lazy = new Adam(lazyTable.parameters(), 0.1f).lazy(lazyTable);
        Adam dense = new Adam(denseTable.parameters(), 0.1f);
        float[] before = lazyTable.weight().value.toArray();
        int[][] batches = {{1, 4, 1}, {1}};
        for (int s = 0; s < batches.length; s++) {
            for (Object[] pair : new Object[][] {{lazyTable, lazy}, {denseTable, dense}}) {
                Embedding e = (Embedding) pair[0];
                Optimizer o = (Optimizer) pair[1];
                o.zeroGrad();
                Ops.sumSquares(e.lookup(batches[s])).backward();
                o.step();
            }
            float[] l = lazyTable.weight().value.toArray(), d = denseTable.weight().value.toArray();
            if (s == 0) {
                // first step: rows without gradient do not move under dense Adam either (m = 0)
                assertArrayEquals(d, l);
            } else {
                // row 4 got no gradient this step: dense Adam still moves it on its momentum, lazy does not
                assertFalse(Arrays.equals(Arrays.copyOfRange(d, 12, 15), Arrays.copyOfRange(l, 12, 15)));
                assertArrayEquals(Arrays.copyOfRange(d, 3, 6), Arrays.copyOfRange(l, 3, 6), 1e-6f, "row 1 moves alike");
            }
            for (int r : new int[] {0, 2, 3, 5}) {
                assertArrayEquals(Arrays.copyOfRange(before, 3 * r, 3 * r + 3), Arrays.copyOfRange(l, 3 * r, 3 * r + 3), "untouched row " + r);
            }
        }
        assertArrayEquals(new int[0], lazyTable.touchedRows(), "the step clears the touched set");
        lazyTable.all();
        assertNull(lazyTable.touchedRows(), "dense use marks the whole table");
    }

    /** A small embedding + MLP model trained with dropout and Adam; returns all parameters' values. */
    private static float[] train(long seed) {
        Rng rng = new Rng(seed);
        Embedding users = new Embedding(10, 6, rng), items = new Embedding(12, 6, rng);
        Linear l1 = new Linear(6, 7, rng), l2 = new Linear(7, 6, rng);
        List<Var> params = Module.collect(users, items, l1, l2);
        Adam adam = new Adam(params, 0.01f).lazy(items);
        for (int step = 0; step < 4; step++) {
            int[] u = new int[5], pos = new int[5], neg = new int[5];
            for (int i = 0; i < 5; i++) {
                u[i] = rng.nextInt(10);
                pos[i] = rng.nextInt(12);
                neg[i] = rng.nextInt(12);
            }
            Var h = l2.forward(RowOps.dropout(Ops.relu(l1.forward(users.lookup(u))), 0.2f, rng, true));
            Var loss = Ops.add(Losses.bpr(Ops.rowDot(h, items.lookup(pos)), Ops.rowDot(h, items.lookup(neg))),
                    Losses.l2(1e-3f, 5, users.lookup(u)));
            adam.zeroGrad();
            loss.backward();
            adam.step();
        }
        float[] all = new float[0];
        for (Var p : params) {
            float[] v = p.value.toArray();
            all = Arrays.copyOf(all, all.length + v.length);
            System.arraycopy(v, 0, all, all.length - v.length, v.length);
        }
        return all;
    }

    @Test
    void sameSeedGivesBitIdenticalParameters() {
        float[] a = train(42), b = train(42);
        assertArrayEquals(a, b);   // exact: assertArrayEquals on floats without delta compares bits
        assertFalse(Arrays.equals(a, train(43)));
    }
}
