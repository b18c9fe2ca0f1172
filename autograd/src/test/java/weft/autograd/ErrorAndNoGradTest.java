package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import weft.autograd.nn.Linear;
import weft.autograd.nn.Losses;
import weft.autograd.nn.MultiHeadAttention;
import weft.engine.Rng;
import weft.engine.Tensor;

/** Bad input fails with a message naming the op and the shapes; NoGrad records nothing. */
class ErrorAndNoGradTest {
    private static Var v(int r, int c) {
        return Var.param(new Tensor(r, c));
    }

    private static void fails(Executable e, String... parts) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        for (String p : parts) assertTrue(ex.getMessage().contains(p), "message '" + ex.getMessage() + "' should name " + p);
    }

    @Test
    void shapeMismatchesNameOpAndBothShapes() {
        fails(() -> Ops.add(v(3, 5), v(2, 5)), "add", "[3, 5]", "[2, 5]");
        fails(() -> Ops.sub(v(3, 5), v(3, 2)), "sub", "[3, 5]", "[3, 2]");
        fails(() -> Ops.mul(v(1, 5), v(3, 4)), "mul", "[1, 5]", "[3, 4]");
        fails(() -> Ops.matmul(v(3, 5), false, v(4, 2), false), "matmul", "[3, 5]", "[4, 2]");
        fails(() -> Ops.bmm(v(6, 5), false, v(6, 4), true, 3), "bmm", "[6, 5]", "[6, 4]");
        fails(() -> Ops.bmm(v(6, 5), false, v(7, 5), true, 3), "bmm", "[6, 5]", "[7, 5]");
        fails(() -> Ops.rowDot(v(3, 5), v(3, 4)), "rowDot", "[3, 5]", "[3, 4]");
        fails(() -> ShapeOps.concatCols(v(3, 5), v(2, 5)), "concatCols", "[3, 5]", "[2, 5]");
        fails(() -> ShapeOps.concatRows(v(3, 5), v(3, 4)), "concatRows", "[3, 5]", "[3, 4]");
        fails(() -> ShapeOps.reshape(v(3, 5), 4, 4), "reshape", "[3, 5]", "[4, 4]");
        fails(() -> ShapeOps.splitCols(v(3, 5), 2, 2), "splitCols", "[3, 5]");
        fails(() -> ShapeOps.sliceCols(v(3, 5), 4, 2), "sliceCols", "[3, 5]");
        fails(() -> ShapeOps.splitHeads(v(5, 6), 3, 2), "splitHeads", "[5, 6]");
        fails(() -> ShapeOps.gatherRows(v(4, 2), new int[] {0, 4}), "gatherRows", "4", "[4, 2]");
        fails(() -> RowOps.layerNorm(v(3, 5), v(1, 4), v(1, 5), 1e-5f), "layerNorm", "[1, 4]", "[3, 5]");
        fails(() -> RowOps.maskedRowSoftmax(v(6, 4), new Tensor(2, 3), 3), "maskedRowSoftmax", "[2, 3]", "[6, 4]");
        fails(() -> RowOps.dropout(v(3, 5), new Tensor(3, 4)), "dropout", "[3, 5]", "[3, 4]");
        fails(() -> RowOps.dropout(v(3, 5), 1f, new Rng(1), true), "dropout", "[3, 5]");
        fails(() -> RowOps.pick(v(3, 5), new int[] {0, 5, 1}), "pick", "[3, 5]");
        fails(() -> Losses.bpr(v(4, 1), v(3, 1)), "bpr", "[4, 1]", "[3, 1]");
        fails(() -> Losses.infoNce(v(4, 8), v(4, 6), 0.2f), "infoNce", "[4, 8]", "[4, 6]");
        fails(() -> new Linear(5, 3, new Rng(1)).forward(v(2, 4)), "Linear", "[2, 4]", "[3, 5]");
        fails(() -> new MultiHeadAttention(6, 4, new Rng(1)), "MultiHeadAttention", "6", "4");
        fails(() -> new MultiHeadAttention(4, 2, new Rng(1)).forward(v(6, 4), 3, new Tensor(3, 3)), "MultiHeadAttention", "[3, 3]", "[2, 3]");
    }

    @Test
    void noGradScopeRecordsNoParents() {
        Var a = v(3, 5), b = v(1, 5);
        Var recorded = Ops.mul(Ops.add(a, b), a);
        assertTrue(recorded.requiresGrad());
        assertEquals(2, recorded.parents().size());
        try (NoGrad g = NoGrad.scope()) {
            Var y = Ops.mul(Ops.add(a, b), a);
            assertFalse(y.requiresGrad());
            assertTrue(y.parents().isEmpty());
            Var z = new Linear(5, 2, new Rng(1)).forward(a);
            assertTrue(z.parents().isEmpty());
        }
        assertFalse(NoGrad.active());
        // constants alone record nothing either
        Var k = Ops.exp(Var.constant(new Tensor(2, 2)));
        assertTrue(k.parents().isEmpty());
    }

    @Test
    void gradientsAccumulateOverUsesAndReachOnlyParameters() {
        Var a = Var.param(Tensor.of(1, 2, 1f, 2f));
        Var k = Var.constant(Tensor.of(1, 2, 3f, 4f));
        Ops.sum(Ops.add(Ops.mul(a, k), Ops.scale(a, 2f))).backward();
        assertEquals(5f, a.grad().get(0, 0));
        assertEquals(6f, a.grad().get(0, 1));
        assertEquals(null, k.grad());
    }
}
