package weft.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import weft.engine.Tensor;

class AdjacencyTest {
    // 2 users, 4 items: u0 -> i0, i1; u1 -> i1, i2 (and u1 -> i1 repeated); i3 has no interaction.
    private static CsrMatrix tiny() {
        return Adjacency.interactions(2, 4, new int[] {0, 0, 1, 1, 1}, new int[] {0, 1, 1, 2, 1});
    }

    @Test
    void interactionsCollapseRepeatedPairs() {
        CsrMatrix r = tiny();
        assertEquals(4, r.nnz());
        assertEquals(1f, r.get(1, 1));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Adjacency.interactions(2, 4, new int[] {0, 2}, new int[] {0, 0}));
        assertTrue(ex.getMessage().contains("pair #1") && ex.getMessage().contains("user 2"), ex.getMessage());
    }

    @Test
    void normalizedAdjacencyOfTinyGraphByHand() {
        CsrMatrix a = Adjacency.normalized(tiny());
        // Node order u0, u1, i0, i1, i2, i3; degrees 2, 2, 1, 2, 1, 0.
        float h = (float) (1 / Math.sqrt(2)); // 1/sqrt(2*1)
        float q = 0.5f;                        // 1/sqrt(2*2)
        float[] expected = {
            0, 0, h, q, 0, 0,
            0, 0, 0, q, h, 0,
            h, 0, 0, 0, 0, 0,
            q, q, 0, 0, 0, 0,
            0, h, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0,
        };
        float[] actual = a.toDense().toArray();
        for (int j = 0; j < expected.length; j++) {
            assertEquals(expected[j], actual[j], 1e-7f, "entry " + j);
        }
        assertTrue(a.isSymmetric());
        assertEquals(0, a.rowEnd(5) - a.rowStart(5), "isolated item has an empty row");
        assertArrayEquals(new float[] {2, 2, 1, 2, 1, 0}, Adjacency.nodeDegrees(tiny()));
        // The symmetric flag is honest: the matrix passes the exact check.
        a.withValues(a.valuesCopy()).checkSymmetric();
    }

    @Test
    void normalizedRandomGraphMatchesDenseFormula() {
        CsrMatrix r = Fixtures.randomInteractions(30, 20, 4, 7);
        CsrMatrix a = Adjacency.normalized(r);
        Tensor rd = r.toDense();
        float[] du = r.rowSums(), di = r.colSums();
        for (int u = 0; u < 30; u++) {
            for (int i = 0; i < 20; i++) {
                float want = rd.get(u, i) == 0 ? 0f : (float) (1 / Math.sqrt((double) du[u] * di[i]));
                assertEquals(want, a.get(u, 30 + i), 1e-6f);
                assertEquals(want, a.get(30 + i, u), 1e-6f);
            }
        }
        assertEquals(2 * r.nnz(), a.nnz());
    }

    @Test
    void keptSubsetIsRenormalisedByItsOwnDegrees() {
        CsrMatrix r = tiny();
        // Keep u0-i1 (entry 1) and u1-i1 (entry 2): degrees u0 1, u1 1, i1 2.
        CsrMatrix a = Adjacency.normalizedKept(r, new int[] {1, 2});
        float w = (float) (1 / Math.sqrt(2));
        assertEquals(w, a.get(0, 3), 1e-7f);
        assertEquals(w, a.get(1, 3), 1e-7f);
        assertEquals(w, a.get(3, 1), 1e-7f);
        assertEquals(0f, a.get(0, 2));
        assertEquals(4, a.nnz());
        assertTrue(a.isSymmetric());
        CsrMatrix sub = Adjacency.subset(r, new int[] {0, 3});
        assertArrayEquals(new int[] {0, 1, 2}, sub.rowPtrCopy());
        assertArrayEquals(new int[] {0, 2}, sub.colIdxCopy());
    }

    @Test
    void keptSubsetRejectsBadIds() {
        CsrMatrix r = tiny();
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Adjacency.subset(r, new int[] {0, 4}));
        assertTrue(ex.getMessage().contains("kept edge id 4"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> Adjacency.subset(r, new int[] {2, 1}));
        assertTrue(ex.getMessage().contains("strictly increasing"), ex.getMessage());
    }

    @Test
    void edgeNormWeightsAreInverseSqrtDegreeProducts() {
        float[] w = Adjacency.edgeNormWeights(tiny());
        float h = (float) (1 / Math.sqrt(2));
        assertArrayEquals(new float[] {h, 0.5f, 0.5f, h}, w, 1e-7f);
    }
}
