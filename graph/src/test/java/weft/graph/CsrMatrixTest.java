package weft.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import weft.engine.Tensor;

class CsrMatrixTest {

    private static CsrMatrix.Builder unsortedWithDuplicates() {
        // Row 1 inserted out of column order; (1, 2) appears twice.
        return CsrMatrix.builder(3, 4)
                .add(1, 3, 5f)
                .add(0, 1, 1f)
                .add(1, 2, 2f)
                .add(1, 0, 4f)
                .add(1, 2, 3f);
    }

    @Test
    void identityIsTheIdentity() {
        CsrMatrix id = CsrMatrix.identity(4);
        Tensor eye = new Tensor(4, 4);
        for (int i = 0; i < 4; i++) eye.data[i * 4 + i] = 1f;
        assertArrayEquals(eye.data, id.toDense().data, 0f);
        assertTrue(id.isSymmetric());
        CsrMatrix m = CsrMatrix.fromDense(new Tensor(new float[] {0f, 2f, 3f, 0f}, 0, 2, 2));
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.75f, 0.5f}, CsrMatrix.weightedSum(0.25f, m, 0.5f, CsrMatrix.identity(2)).toDense().data, 0f,
                "w S + (1 - w) I");
        assertEquals(0, CsrMatrix.identity(0).nnz());
    }

    @Test
    void buildSortsColumnsAndSumsDuplicates() {
        CsrMatrix m = unsortedWithDuplicates().build(CsrMatrix.Duplicates.SUM);
        assertEquals(4, m.nnz());
        assertArrayEquals(new int[] {0, 1, 4, 4}, m.rowPtrCopy());
        assertArrayEquals(new int[] {1, 0, 2, 3}, m.colIdxCopy());
        assertArrayEquals(new float[] {1f, 4f, 5f, 5f}, m.valuesCopy());
        assertEquals(5f, m.get(1, 2));
        assertEquals(0f, m.get(2, 2));
        assertEquals(2, m.indexOf(1, 2));
        assertEquals(-1, m.indexOf(0, 0));
    }

    @Test
    void buildKeepsMaxOrRejectsDuplicates() {
        CsrMatrix m = unsortedWithDuplicates().build(CsrMatrix.Duplicates.MAX);
        assertEquals(3f, m.get(1, 2));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> unsortedWithDuplicates().build(CsrMatrix.Duplicates.REJECT));
        assertTrue(ex.getMessage().contains("duplicate entry at (1, 2)"), ex.getMessage());
    }

    @Test
    void builderRejectsOutOfBoundsAndNonFinite() {
        CsrMatrix.Builder b = CsrMatrix.builder(2, 3);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> b.add(2, 0, 1f));
        assertTrue(ex.getMessage().contains("(2, 0)") && ex.getMessage().contains("[2, 3]"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.add(0, -1, 1f));
        ex = assertThrows(IllegalArgumentException.class, () -> b.add(0, 0, Float.NaN));
        assertTrue(ex.getMessage().contains("non-finite"), ex.getMessage());
    }

    @Test
    void ofValidatesArrays() {
        CsrMatrix ok = CsrMatrix.of(2, 3, new int[] {0, 2, 3}, new int[] {0, 2, 1}, new float[] {1, 2, 3});
        assertEquals(3f, ok.get(1, 1));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> CsrMatrix.of(2, 3, new int[] {0, 2, 3}, new int[] {2, 0, 1}, new float[] {1, 2, 3}));
        assertTrue(ex.getMessage().contains("row 0") && ex.getMessage().contains("strictly increasing"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class,
                () -> CsrMatrix.of(2, 3, new int[] {0, 2, 3}, new int[] {0, 2, 3}, new float[] {1, 2, 3}));
        assertTrue(ex.getMessage().contains("column 3 at row 1"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class,
                () -> CsrMatrix.of(2, 3, new int[] {0, 3}, new int[] {0, 1, 2}, new float[] {1, 2, 3}));
        assertTrue(ex.getMessage().contains("rows+1"), ex.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> CsrMatrix.of(2, 3, new int[] {0, 2, 1}, new int[] {0, 1, 2}, new float[] {1, 2, 3}));
    }

    @Test
    void transposeMatchesDenseAndIsCached() {
        CsrMatrix m = Fixtures.randomCsr(13, 9, 0.3, 1);
        CsrMatrix t = m.transpose();
        assertArrayEquals(Fixtures.transposeDense(m.toDense()).toArray(), t.toDense().toArray());
        for (int r = 0; r < t.rows(); r++) {
            for (int e = t.rowStart(r) + 1; e < t.rowEnd(r); e++) {
                assertTrue(t.colAt(e - 1) < t.colAt(e), "transpose rows sorted");
            }
        }
        assertSame(t, m.transpose());
        assertSame(m, t.transpose());
    }

    @Test
    void degreesCountAndSum() {
        CsrMatrix m = unsortedWithDuplicates().build(CsrMatrix.Duplicates.SUM);
        assertArrayEquals(new int[] {1, 3, 0}, m.rowCounts());
        assertArrayEquals(new int[] {1, 1, 1, 1}, m.colCounts());
        assertArrayEquals(new float[] {1f, 14f, 0f}, m.rowSums());
        assertArrayEquals(new float[] {4f, 1f, 5f, 5f}, m.colSums());
        assertArrayEquals(new int[] {0, 1, 1, 1}, m.rowIndexOfEntries());
    }

    @Test
    void weightedSumOverUnionOfPatterns() {
        CsrMatrix a = Fixtures.randomCsr(8, 8, 0.3, 2);
        CsrMatrix b = Fixtures.randomCsr(8, 8, 0.3, 3);
        CsrMatrix s = CsrMatrix.weightedSum(0.1f, a, 0.9f, b);
        Tensor da = a.toDense(), db = b.toDense(), ds = s.toDense();
        for (int j = 0; j < ds.size(); j++) {
            assertEquals(0.1f * da.data[j] + 0.9f * db.data[j], ds.data[j], 1e-6f);
        }
        assertFalse(s.isSymmetric());
        assertThrows(IllegalArgumentException.class, () -> CsrMatrix.weightedSum(1f, a, 1f, Fixtures.randomCsr(8, 7, 0.3, 4)));
    }

    @Test
    void checkSymmetricFlagsOrNamesTheAsymmetry() {
        Tensor d = Tensor.of(3, 3, 0, 1, 2, 1, 0, 0, 2, 0, 5);
        CsrMatrix s = CsrMatrix.fromDense(d).checkSymmetric();
        assertTrue(s.isSymmetric());
        assertSame(s, s.transpose());
        Tensor bad = Tensor.of(3, 3, 0, 1, 2, 1, 0, 0, 3, 0, 5);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> CsrMatrix.fromDense(bad).checkSymmetric());
        assertTrue(ex.getMessage().contains("asymmetric"), ex.getMessage());
    }

    @Test
    void scaleAndWithValues() {
        CsrMatrix m = CsrMatrix.fromDense(Tensor.of(2, 2, 1, 2, 0, 3));
        CsrMatrix s = m.scale(new float[] {2, 3}, new float[] {5, 7});
        assertArrayEquals(new float[] {10, 28, 0, 63}, s.toDense().toArray());
        assertThrows(IllegalArgumentException.class, () -> m.scale(new float[] {1}, null));
        assertArrayEquals(new float[] {9, 8, 0, 7}, m.withValues(new float[] {9, 8, 7}).toDense().toArray());
        assertThrows(IllegalArgumentException.class, () -> m.withValues(new float[] {1, 2}));
    }
}
