package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import weft.engine.Parallel;
import weft.engine.Rng;
import weft.engine.Tensor;

/** One query per row attending over M value rows, as one op, against the composition it replaces. */
class AttendRowsTest {

    /** The composed ops: rowDot per value, concatCols, rowSoftmax, then sum_j sliceCols(w, j) * V^j. */
    static Var composed(Var r, List<Var> values) {
        Var[] s = new Var[values.size()];
        for (int j = 0; j < s.length; j++) s[j] = Ops.rowDot(r, values.get(j));
        Var w = RowOps.rowSoftmax(ShapeOps.concatCols(s));
        Var out = null;
        for (int j = 0; j < s.length; j++) {
            Var term = Ops.mul(ShapeOps.sliceCols(w, j, 1), values.get(j));
            out = out == null ? term : Ops.add(out, term);
        }
        return out;
    }

    static void assertClose(String what, Tensor expected, Tensor actual) {
        assertEquals(expected.rows, actual.rows, what);
        assertEquals(expected.cols, actual.cols, what);
        for (int i = 0; i < expected.size(); i++) {
            float e = expected.data[expected.offset + i], a = actual.data[actual.offset + i];
            assertEquals(e, a, 1e-5f * Math.max(1f, Math.abs(e)), what + " [" + i + "]");
        }
    }

    /**
     * Values, weights and every input's gradient against the composition (rows beyond one task,
     * d with a vector tail, an upstream gradient that is not 1), and the same bits at 1, 2 and 3
     * threads.
     */
    @Test
    void matchesTheCompositionAndNotTheThreadCount() {
        int[][] shapes = {{1, 3, 2}, {7, 5, 3}, {3000, 64, 2}, {257, 19, 4}};
        int saved = Parallel.threads();
        try {
            for (int[] sh : shapes) {
                int n = sh[0], d = sh[1], m = sh[2];
                Rng rng = new Rng(n * 31L + d * 7L + m);
                Tensor rt = rng.uniform(new Tensor(n, d), -1f, 1f);
                List<Tensor> vt = new ArrayList<>();
                for (int j = 0; j < m; j++) vt.add(rng.uniform(new Tensor(n, d), -1f, 1f));
                Tensor up = rng.uniform(new Tensor(n, d), -1f, 1f);
                String what = n + " x " + d + ", " + m + " values";
                List<Tensor> first = null;
                for (int threads : new int[] {1, 2, 3}) {
                    Parallel.setThreads(threads);
                    Var r1 = Var.param(rt.copy()), r2 = Var.param(rt.copy());
                    List<Var> v1 = new ArrayList<>(), v2 = new ArrayList<>();
                    for (Tensor t : vt) {
                        v1.add(Var.param(t.copy()));
                        v2.add(Var.param(t.copy()));
                    }
                    RowOps.Attended a = RowOps.attendRows(r1, v1);
                    Var ref = composed(r2, v2);
                    assertClose(what + ": rows", ref.value, a.out().value);
                    for (int i = 0; i < n; i++) {
                        float total = 0;
                        for (int j = 0; j < m; j++) total += a.weights().get(i, j);
                        assertEquals(1f, total, 1e-5f, what + ": weights of row " + i);
                    }
                    Ops.sum(Ops.mul(a.out(), Var.constant(up))).backward();
                    Ops.sum(Ops.mul(ref, Var.constant(up))).backward();
                    assertClose(what + ": gradient of the queries", r2.grad(), r1.grad());
                    for (int j = 0; j < m; j++) assertClose(what + ": gradient of value " + j, v2.get(j).grad(), v1.get(j).grad());
                    List<Tensor> now = new ArrayList<>(List.of(a.out().value.copy(), a.weights().copy(), r1.grad().copy()));
                    for (Var v : v1) now.add(v.grad().copy());
                    if (first == null) {
                        first = now;
                    } else {
                        for (int i = 0; i < now.size(); i++) {
                            assertArrayEquals(first.get(i).toArray(), now.get(i).toArray(), what + ", " + threads + " threads against 1: output " + i);
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** A caller may reuse its list of values after the call (a model's fusion steps do): the backward keeps the values it was given. */
    @Test
    void theBackwardUsesTheValuesOfTheCallNotTheListsLaterContents() {
        Rng rng = new Rng(5);
        Tensor rt = rng.uniform(new Tensor(4, 6), -1f, 1f), at = rng.uniform(new Tensor(4, 6), -1f, 1f), bt = rng.uniform(new Tensor(4, 6), -1f, 1f);
        Var r1 = Var.param(rt.copy()), a1 = Var.param(at.copy()), b1 = Var.param(bt.copy());
        List<Var> list = new ArrayList<>(List.of(a1, b1));
        Var out = RowOps.attendRows(r1, list).out();
        list.set(0, Var.param(bt.copy()));   // the list now names another value
        list.set(1, Var.param(at.copy()));
        Ops.sumSquares(out).backward();
        Var r2 = Var.param(rt.copy()), a2 = Var.param(at.copy()), b2 = Var.param(bt.copy());
        Ops.sumSquares(composed(r2, List.of(a2, b2))).backward();
        assertClose("gradient of the queries", r2.grad(), r1.grad());
        assertClose("gradient of the first value", a2.grad(), a1.grad());
        assertClose("gradient of the second value", b2.grad(), b1.grad());
    }

    /**
     * Scores of 4e5 and 2e5, whose exponentials overflow even a double: the weights stay finite and
     * pick the best-scoring value (a softmax without the shift by the row's largest score gives NaN).
     */
    @Test
    void largeScoresDoNotOverflow() {
        Tensor r = Tensor.full(2, 4, 1000f);
        Tensor a = Tensor.full(2, 4, 100f), b = Tensor.full(2, 4, 50f);
        RowOps.Attended at = RowOps.attendRows(Var.constant(r), List.of(Var.constant(a), Var.constant(b)));
        for (int i = 0; i < 2; i++) {
            assertEquals(1f, at.weights().get(i, 0), 0f);
            assertEquals(0f, at.weights().get(i, 1), 0f);
            for (int c = 0; c < 4; c++) assertEquals(100f, at.out().value.get(i, c), 0f);
        }
    }

    @Test
    void badShapesSayWhich() {
        Var r = Var.constant(new Tensor(3, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RowOps.attendRows(r, List.of(Var.constant(new Tensor(3, 4)), Var.constant(new Tensor(3, 5)))));
        assertTrue(e.getMessage().contains("value 1 is [3, 5]") && e.getMessage().contains("[3, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RowOps.attendRows(r, List.of()));
        assertTrue(e.getMessage().contains("no values"), e.getMessage());
    }
}
