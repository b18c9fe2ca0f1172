package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import weft.engine.Parallel;
import weft.engine.Rng;
import weft.engine.Tensor;

/** Mean pooling of row groups as one op, against the slices, additions and scale it replaces: the same bits. */
class MeanOfRowGroupsTest {

    /** The composition the op replaces: the [B*T, d] rows seen as [B, T*d], T column slices added in order, times 1/T. */
    static Var composed(Var x, int group) {
        int d = x.cols(), b = x.rows() / group;
        Var side = ShapeOps.reshape(x, b, group * d);
        Var sum = ShapeOps.sliceCols(side, 0, d);
        for (int t = 1; t < group; t++) sum = Ops.add(sum, ShapeOps.sliceCols(side, t * d, d));
        return Ops.scale(sum, 1f / group);
    }

    /**
     * Values and the input's gradient to the bit, at 1, 2 and 3 threads, for shapes with a vector
     * tail and groups of 2 to 7 rows. The input is used a second time (its gradient is added to),
     * and the upstream gradient holds +0, -0 and values whose product with 1/T is inexact.
     */
    @Test
    void sameBitsAsTheComposition() {
        int[][] shapes = {{1, 3, 2}, {5, 17, 4}, {1425, 64, 4}, {40, 33, 7}, {9, 5, 3}};
        int saved = Parallel.threads();
        try {
            for (int[] sh : shapes) {
                int b = sh[0], d = sh[1], t = sh[2];
                Rng rng = new Rng(b * 131L + d * 7L + t);
                Tensor xt = rng.uniform(new Tensor(b * t, d), -3f, 3f);
                Tensor up = rng.uniform(new Tensor(b, d), -1f, 1f);
                up.data[0] = -0f;
                if (up.size() > 1) up.data[1] = 0f;
                Tensor other = rng.uniform(new Tensor(b * t, d), -1f, 1f);
                String what = "[" + b + "*" + t + ", " + d + "]";
                for (int threads : new int[] {1, 2, 3}) {
                    Parallel.setThreads(threads);
                    Var x1 = Var.param(xt.copy()), x2 = Var.param(xt.copy());
                    Var y1 = Ops.meanOfRowGroups(x1, t), y2 = composed(x2, t);
                    assertArrayEquals(y2.value.toArray(), y1.value.toArray(), what + ", " + threads + " threads: values");
                    Ops.add(Ops.sum(Ops.mul(y1, Var.constant(up))), Ops.sum(Ops.mul(x1, Var.constant(other)))).backward();
                    Ops.add(Ops.sum(Ops.mul(y2, Var.constant(up))), Ops.sum(Ops.mul(x2, Var.constant(other)))).backward();
                    assertArrayEquals(x2.grad().toArray(), x1.grad().toArray(), what + ", " + threads + " threads: gradient");
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** A zero upstream gradient of either sign reaches every row of the group as +0, as the composition's zero-filled buffers give it. */
    @Test
    void zeroGradientsArePositiveZeros() {
        Var x = Var.param(new Tensor(4, 2));
        Var y = Ops.meanOfRowGroups(x, 4);
        y.backward(Tensor.of(1, 2, -0f, 0f));
        for (float v : x.grad().toArray()) assertTrue(Float.floatToRawIntBits(v) == 0, "gradient " + v + " is not +0");
    }

    @Test
    void groupsOfOneRowAreTheInputAndBadShapesSayWhich() {
        Var x = Var.param(new Tensor(6, 3));
        assertSame(x, Ops.meanOfRowGroups(x, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.meanOfRowGroups(x, 4));
        assertTrue(e.getMessage().contains("[6, 3]") && e.getMessage().contains("B*4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Ops.meanOfRowGroups(x, 0));
        assertTrue(e.getMessage().contains("B*0"), e.getMessage());
    }
}
