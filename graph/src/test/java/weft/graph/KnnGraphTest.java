package weft.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import weft.engine.Tensor;

class KnnGraphTest {

    /** Row i's top k of the float64 cosine similarity, sorted by column, and its margin to the (k+1)-th. */
    private static int[][] bruteForce(Tensor x, int k, double[][] simOut, double[] gapOut) {
        int n = x.rows;
        double[] norm = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int c = 0; c < x.cols; c++) {
                s += (double) x.get(i, c) * x.get(i, c);
            }
            norm[i] = Math.sqrt(s);
        }
        int[][] out = new int[n][];
        for (int i = 0; i < n; i++) {
            double[] sim = new double[n];
            Integer[] order = new Integer[n];
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int c = 0; c < x.cols; c++) {
                    s += (double) x.get(i, c) * x.get(j, c);
                }
                sim[j] = s / (norm[i] * norm[j]);
                order[j] = j;
            }
            Arrays.sort(order, (a, b) -> Double.compare(sim[b], sim[a]));
            out[i] = new int[k];
            for (int j = 0; j < k; j++) {
                out[i][j] = order[j];
            }
            Arrays.sort(out[i]);
            simOut[i] = sim;
            gapOut[i] = k < n ? sim[order[k - 1]] - sim[order[k]] : Double.POSITIVE_INFINITY;
        }
        return out;
    }

    @Test
    void matchesBruteForceForEveryBlockSize() {
        int n = 150, f = 12, k = 7;
        Tensor x = Fixtures.randomTensor(n, f, 21);
        double[][] sim = new double[n][];
        double[] gap = new double[n];
        int[][] want = bruteForce(x, k, sim, gap);
        // The data must be tie-free at the cut for float32 to agree with float64.
        assertTrue(Arrays.stream(gap).min().getAsDouble() > 1e-5, "test data has a near tie; change the seed");
        for (int block : new int[] {1, 7, 64, 150, 0}) {
            CsrMatrix g = KnnGraph.build(x, k, KnnGraph.Weights.SIMILARITY, block);
            assertEquals(n * k, g.nnz());
            for (int i = 0; i < n; i++) {
                int[] cols = Arrays.copyOfRange(g.colIdxCopy(), g.rowStart(i), g.rowEnd(i));
                assertArrayEquals(want[i], cols, "row " + i + " block " + block);
                for (int e = g.rowStart(i); e < g.rowEnd(i); e++) {
                    assertEquals(sim[i][g.colAt(e)], g.valueAt(e), 1e-5, "similarity value");
                }
                assertTrue(g.indexOf(i, i) >= 0, "item itself included");
            }
        }
    }

    @Test
    void freedomGraphHasValuesOneOverKAndSymNormalisationKeepsThem() {
        Tensor x = Fixtures.randomTensor(40, 6, 22);
        CsrMatrix g = KnnGraph.freedom(x, 10);
        for (int e = 0; e < g.nnz(); e++) {
            assertEquals(0.1f, g.valueAt(e));
        }
        // MMRec builds a ones matrix and sym-normalises with row sums k: 1/sqrt(k) 1/sqrt(k) = 1/k.
        CsrMatrix ones = g.withValues(filled(g.nnz(), 1f));
        CsrMatrix sym = KnnGraph.normalize(ones, KnnGraph.Norm.SYM);
        for (int e = 0; e < g.nnz(); e++) {
            assertEquals(0.1f, sym.valueAt(e), 1e-7f);
        }
        assertTrue(KnnGraph.normalize(g, KnnGraph.Norm.NONE) == g);
    }

    @Test
    void symNormalisationUsesRowSumsOnBothSides() {
        CsrMatrix s = CsrMatrix.fromDense(Tensor.of(3, 3, 1, 2, 0, 0, 4, 0, 3, 0, 1));
        CsrMatrix n = KnnGraph.normalize(s, KnnGraph.Norm.SYM);
        float[] d = {3, 4, 4};
        Tensor dense = s.toDense();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(dense.get(i, j) / Math.sqrt(d[i] * d[j]), n.get(i, j), 1e-6, "(" + i + ", " + j + ")");
            }
        }
    }

    @Test
    void symNormalisationOfASymmetricMatrixStaysSymmetric() {
        CsrMatrix s = CsrMatrix.weightedSum(0.3f, Adjacency.normalized(Fixtures.randomInteractions(40, 30, 5, 28)),
                0.7f, Adjacency.normalized(Fixtures.randomInteractions(40, 30, 5, 29)));
        assertTrue(s.isSymmetric());
        CsrMatrix n = KnnGraph.normalize(s, KnnGraph.Norm.SYM);
        assertTrue(n.isSymmetric());
        n.withValues(n.valuesCopy()).checkSymmetric(); // the flag is honest
    }

    @Test
    void weightedSumOfTwoModalityGraphs() {
        CsrMatrix img = KnnGraph.freedom(Fixtures.randomTensor(30, 8, 23), 5);
        CsrMatrix txt = KnnGraph.freedom(Fixtures.randomTensor(30, 12, 24), 5);
        CsrMatrix s = CsrMatrix.weightedSum(0.1f, img, 0.9f, txt);
        float[] rowSums = s.rowSums();
        for (int i = 0; i < 30; i++) {
            assertEquals(1f, rowSums[i], 1e-6f, "each row of S is a convex combination of two 1/k rows");
            assertEquals(0.2f, s.get(i, i), 1e-6f, "self in both graphs");
        }
    }

    @Test
    void tiesGoToTheLowerIndexAndZeroRowsAreSafe() {
        // Items 1 and 3 point the same way as item 0; item 2 is orthogonal; item 4 is zero.
        Tensor x = Tensor.of(5, 2, 1, 0, 2, 0, 0, 1, 3, 0, 0, 0);
        CsrMatrix g = KnnGraph.build(x, 2, KnnGraph.Weights.SIMILARITY);
        assertArrayEquals(new int[] {0, 1}, Arrays.copyOfRange(g.colIdxCopy(), g.rowStart(3), g.rowEnd(3)));
        assertArrayEquals(new int[] {0, 1}, Arrays.copyOfRange(g.colIdxCopy(), g.rowStart(4), g.rowEnd(4)));
        assertEquals(0f, g.get(4, 0));
    }

    @Test
    void resultDoesNotDependOnThreadCount() {
        Tensor x = Fixtures.randomTensor(300, 20, 25);
        CsrMatrix one = Fixtures.withThreads(1, () -> KnnGraph.build(x, 10, KnnGraph.Weights.SIMILARITY, 50));
        CsrMatrix three = Fixtures.withThreads(3, () -> KnnGraph.build(x, 10, KnnGraph.Weights.SIMILARITY, 50));
        assertArrayEquals(one.colIdxCopy(), three.colIdxCopy());
        assertArrayEquals(one.valuesCopy(), three.valuesCopy());
    }

    @Test
    void largeKUsesTheSameOrdering() {
        Tensor x = Fixtures.randomTensor(60, 5, 26);
        CsrMatrix all = KnnGraph.build(x, 60, KnnGraph.Weights.SIMILARITY);
        for (int i = 0; i < 60; i++) {
            assertEquals(60, all.rowEnd(i) - all.rowStart(i));
        }
        CsrMatrix some = KnnGraph.build(x, 40, KnnGraph.Weights.SIMILARITY, 13);
        for (int i = 0; i < 60; i++) {
            for (int e = some.rowStart(i); e < some.rowEnd(i); e++) {
                assertEquals(all.get(i, some.colAt(e)), some.valueAt(e));
            }
        }
    }

    @Test
    void blockSizeIsBounded() {
        int n = 20_000;
        int block = KnnGraph.autoBlockRows(n);
        assertTrue((long) block * n <= KnnGraph.MAX_BLOCK_FLOATS);
        assertEquals(838, block);
        assertEquals(2_379, KnnGraph.autoBlockRows(7_050)); // floor(16 Mi / 7,050)
        assertEquals(100, KnnGraph.autoBlockRows(100), "small item counts fit in one block");
    }

    @Test
    void rejectsBadArguments() {
        Tensor x = Fixtures.randomTensor(5, 3, 27);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> KnnGraph.build(x, 6, KnnGraph.Weights.ONE_OVER_K));
        assertTrue(ex.getMessage().contains("k = 6") && ex.getMessage().contains("[5, 3]"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KnnGraph.build(x, 0, KnnGraph.Weights.ONE_OVER_K));
        Tensor bad = x.copy();
        bad.set(2, 1, Float.NaN);
        ex = assertThrows(IllegalArgumentException.class, () -> KnnGraph.build(bad, 2, KnnGraph.Weights.ONE_OVER_K));
        assertTrue(ex.getMessage().contains("item 2, column 1"), ex.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> KnnGraph.normalize(Fixtures.randomCsr(3, 4, 0.5, 1), KnnGraph.Norm.SYM));
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }
}
