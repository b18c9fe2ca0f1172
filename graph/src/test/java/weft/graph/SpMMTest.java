package weft.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import weft.autograd.GradCheck;
import weft.autograd.Var;
import weft.engine.Tensor;

class SpMMTest {

    @Test
    void matchesDenseReferenceForOddWidths() {
        int[][] shapes = {{1, 1}, {17, 23}, {40, 31}, {5, 60}};
        int[] widths = {1, 7, 64, 65};
        long seed = 100;
        for (int[] s : shapes) {
            CsrMatrix a = Fixtures.randomCsr(s[0], s[1], 0.25, seed++);
            for (int d : widths) {
                Tensor x = Fixtures.randomTensor(s[1], d, seed++);
                Tensor want = Fixtures.denseProduct(a.toDense(), x);
                for (SpMM.Inner inner : SpMM.Inner.values()) {
                    Tensor y = Tensor.full(s[0], d, 9f); // overwritten, not accumulated
                    SpMM.multiplyInto(a, x, y, false, inner);
                    assertTrue(Fixtures.maxAbsDiff(want, y) < 1e-5, inner + " " + a + " d=" + d);
                }
                assertTrue(Fixtures.maxAbsDiff(want, SpMM.multiply(a, x)) < 1e-5);
            }
        }
    }

    @Test
    void blockedRowKernelGivesTheBitsOfOneAxpyPerEntry() {
        long seed = 300;
        for (int d : new int[] {1, 7, 16, 33, 64, 65, 128}) {
            CsrMatrix a = Fixtures.randomCsr(50, 40, 0.3, seed++);
            Tensor x = Fixtures.randomTensor(40, d, seed++);
            for (boolean acc : new boolean[] {false, true}) {
                Tensor blocked = Fixtures.randomTensor(50, d, seed), axpy = blocked.copy();
                SpMM.multiplyInto(a, x, blocked, acc, SpMM.Inner.BLOCKED);
                SpMM.multiplyInto(a, x, axpy, acc, SpMM.Inner.AXPY);
                for (int j = 0; j < blocked.size(); j++) {
                    assertEquals(Float.floatToRawIntBits(axpy.data[j]), Float.floatToRawIntBits(blocked.data[j]),
                            "d=" + d + " accumulate=" + acc + " element " + j);
                }
            }
        }
    }

    @Test
    void accumulatesWhenAsked() {
        CsrMatrix a = Fixtures.randomCsr(9, 6, 0.4, 1);
        Tensor x = Fixtures.randomTensor(6, 5, 2);
        Tensor y = Fixtures.randomTensor(9, 5, 3);
        Tensor want = Fixtures.denseProduct(a.toDense(), x);
        for (int j = 0; j < want.size(); j++) {
            want.data[j] += y.data[j];
        }
        SpMM.multiplyInto(a, x, y, true);
        assertTrue(Fixtures.maxAbsDiff(want, y) < 1e-5);
    }

    @Test
    void worksOnTensorViews() {
        CsrMatrix a = Fixtures.randomCsr(7, 4, 0.5, 4);
        Tensor big = Fixtures.randomTensor(10, 3, 5);
        Tensor x = big.rowBlock(3, 4);
        Tensor out = new Tensor(20, 3);
        Tensor y = out.rowBlock(5, 7);
        SpMM.multiplyInto(a, x, y, false);
        assertTrue(Fixtures.maxAbsDiff(Fixtures.denseProduct(a.toDense(), x.copy()), y) < 1e-6);
        assertEquals(0f, out.get(4, 2));
        assertEquals(0f, out.get(12, 0));
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        CsrMatrix a = Adjacency.normalized(Fixtures.randomInteractions(1500, 500, 8, 6));
        Tensor x = Fixtures.randomTensor(a.cols(), 33, 7);
        float[] one = Fixtures.withThreads(1, () -> SpMM.multiply(a, x).toArray());
        float[] two = Fixtures.withThreads(2, () -> SpMM.multiply(a, x).toArray());
        float[] five = Fixtures.withThreads(5, () -> SpMM.multiply(a, x).toArray());
        assertArrayEquals(one, two);
        assertArrayEquals(one, five);
        assertTrue(SpMM.rowBlocks(a, (long) a.nnz() * 33).length > 2, "the check must actually split the rows");
    }

    @Test
    void rowBlocksCoverAllRowsInOrder() {
        CsrMatrix a = Fixtures.randomCsrNnz(1000, 50, 20000, 8);
        int[] b = Fixtures.withThreads(3, () -> SpMM.rowBlocks(a, 1L << 30));
        assertEquals(13, b.length); // 4 blocks per thread
        int maxRow = java.util.Arrays.stream(a.rowCounts()).max().getAsInt();
        assertEquals(0, b[0]);
        assertEquals(1000, b[b.length - 1]);
        for (int j = 1; j < b.length; j++) {
            assertTrue(b[j] >= b[j - 1]);
            int blockNnz = a.rowStart(b[j]) - a.rowStart(b[j - 1]);
            assertTrue(blockNnz <= a.nnz() / 12 + maxRow + 1, "balanced by non-zeros: " + blockNnz);
        }
    }

    @Test
    void gradientOfNonSymmetricProduct() {
        CsrMatrix a = Fixtures.randomCsr(6, 5, 0.5, 9);
        assertTrue(!a.isSymmetric());
        GradCheck.check("spmm non-symmetric", v -> SpMM.apply(a, v[0]), Fixtures.randomTensor(5, 3, 10));
        // Square but not symmetric: using A instead of A^T in the backward pass would pass the
        // shape checks, so only the values can catch it.
        CsrMatrix sq = Fixtures.randomCsr(6, 6, 0.5, 18);
        GradCheck.check("spmm square non-symmetric", v -> SpMM.apply(sq, v[0]), Fixtures.randomTensor(6, 2, 19));
    }

    @Test
    void gradientOfSymmetricAdjacencyProduct() {
        CsrMatrix a = Adjacency.normalized(Fixtures.randomInteractions(4, 3, 2, 11));
        assertTrue(a.isSymmetric());
        GradCheck.check("spmm symmetric", v -> SpMM.apply(a, v[0]), Fixtures.randomTensor(7, 3, 12));
        // Two layers, as LightGCN stacks them.
        GradCheck.check("spmm two layers", v -> SpMM.apply(a, SpMM.apply(a, v[0])), Fixtures.randomTensor(7, 2, 13));
    }

    @Test
    void symmetricBackwardReusesTheMatrixAndOthersCacheTheTranspose() {
        CsrMatrix sym = Adjacency.normalized(Fixtures.randomInteractions(5, 4, 2, 14));
        assertTrue(sym.transpose() == sym);
        CsrMatrix a = Fixtures.randomCsr(6, 5, 0.5, 15);
        Var x = Var.param(Fixtures.randomTensor(5, 2, 16));
        SpMM.apply(a, x).backward(Tensor.full(6, 2, 1f));
        CsrMatrix t = a.transpose();
        assertNotSame(a, t);
        SpMM.apply(a, x).backward(Tensor.full(6, 2, 1f));
        assertTrue(t == a.transpose(), "transpose built once");
    }

    @Test
    void rejectsMismatchedShapes() {
        CsrMatrix a = Fixtures.randomCsr(4, 5, 0.5, 17);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SpMM.multiply(a, new Tensor(4, 3)));
        assertTrue(ex.getMessage().contains("[4, 5]") && ex.getMessage().contains("[4, 3]"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> SpMM.multiplyInto(a, new Tensor(5, 3), new Tensor(4, 2), false));
        assertTrue(ex.getMessage().contains("expected [4, 3]"), ex.getMessage());
        Tensor shared = new Tensor(9, 3);
        ex = assertThrows(IllegalArgumentException.class,
                () -> SpMM.multiplyInto(a, shared.rowBlock(0, 5), shared.rowBlock(4, 4), false));
        assertTrue(ex.getMessage().contains("overlaps"), ex.getMessage());
    }
}
