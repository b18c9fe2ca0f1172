package weft.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import weft.engine.Rng;

class EdgeSamplingTest {

    @Test
    void dropoutKeepsAboutOneMinusPAndIsSeeded() {
        CsrMatrix r = Fixtures.randomInteractions(400, 100, 10, 1);
        int n = r.nnz();
        int[] kept = EdgeSampling.dropout(r, 0.3, new Rng(5));
        double rate = kept.length / (double) n;
        double sigma = Math.sqrt(0.3 * 0.7 / n);
        assertEquals(0.7, rate, 5 * sigma);
        for (int j = 1; j < kept.length; j++) {
            assertTrue(kept[j] > kept[j - 1]);
        }
        assertArrayEquals(kept, EdgeSampling.dropout(r, 0.3, new Rng(5)));
        assertFalse(Arrays.equals(kept, EdgeSampling.dropout(r, 0.3, new Rng(6))));
        assertEquals(n, EdgeSampling.dropout(r, 0.0, new Rng(5)).length);
        assertThrows(IllegalArgumentException.class, () -> EdgeSampling.dropout(r, 1.0, new Rng(5)));
    }

    @Test
    void singleWeightedDrawFollowsTheWeights() {
        float[] w = {1, 2, 3, 4};
        int trials = 20000;
        int[] hits = new int[4];
        Rng rng = new Rng(11);
        for (int t = 0; t < trials; t++) {
            hits[EdgeSampling.weightedWithoutReplacement(w, 1, rng)[0]]++;
        }
        for (int j = 0; j < 4; j++) {
            double p = w[j] / 10.0;
            assertEquals(p, hits[j] / (double) trials, 5 * Math.sqrt(p * (1 - p) / trials), "item " + j);
        }
    }

    @Test
    void twoDrawsWithoutReplacementMatchSequentialProbabilities() {
        // P({a, b}) = w_a/W * w_b/(W - w_a) + w_b/W * w_a/(W - w_b), W = 6.
        float[] w = {1, 2, 3};
        double[] expected = {
            (1 / 6.0) * (2 / 5.0) + (2 / 6.0) * (1 / 4.0), // {0, 1}
            (1 / 6.0) * (3 / 5.0) + (3 / 6.0) * (1 / 3.0), // {0, 2}
            (2 / 6.0) * (3 / 4.0) + (3 / 6.0) * (2 / 3.0), // {1, 2}
        };
        int trials = 20000;
        int[] hits = new int[3];
        Rng rng = new Rng(12);
        for (int t = 0; t < trials; t++) {
            int[] s = EdgeSampling.weightedWithoutReplacement(w, 2, rng);
            assertTrue(s[0] < s[1], "distinct and sorted");
            hits[s[0] + s[1] - 1]++; // {0,1} -> 0, {0,2} -> 1, {1,2} -> 2
        }
        for (int j = 0; j < 3; j++) {
            double p = expected[j];
            assertEquals(p, hits[j] / (double) trials, 5 * Math.sqrt(p * (1 - p) / trials), "pair " + j);
        }
    }

    @Test
    void degreeSensitivePruningKeepsLowDegreeEdgesMoreOften() {
        CsrMatrix r = Fixtures.randomInteractions(300, 60, 6, 2);
        int n = r.nnz();
        float[] w = Adjacency.edgeNormWeights(r);
        int rounds = 200;
        int[] keptCount = new int[n];
        Rng rng = new Rng(3);
        for (int t = 0; t < rounds; t++) {
            int[] kept = EdgeSampling.degreeSensitive(r, 0.8, rng);
            assertEquals((int) (n * 0.2), kept.length);
            for (int e : kept) {
                keptCount[e]++;
            }
        }
        // Compare the keep rate of the quarter of edges with the smallest weights (popular
        // endpoints) with the quarter with the largest (rare endpoints).
        Integer[] order = new Integer[n];
        for (int e = 0; e < n; e++) {
            order[e] = e;
        }
        Arrays.sort(order, (a, b) -> Float.compare(w[a], w[b]));
        double low = 0, high = 0;
        int q = n / 4;
        for (int j = 0; j < q; j++) {
            low += keptCount[order[j]];
            high += keptCount[order[n - 1 - j]];
        }
        low /= (double) q * rounds;
        high /= (double) q * rounds;
        double sigma = Math.sqrt(0.25 / ((double) q * rounds));
        assertTrue(high > low + 10 * sigma, "high-weight keep rate " + high + " vs low-weight " + low);
        // Uniform sampling would keep both at 0.2; the bias must be clearly present.
        assertTrue(low < 0.2 && high > 0.2, "low " + low + ", high " + high);
    }

    @Test
    void degreeSensitivePruningIsSeededAndValidated() {
        CsrMatrix r = Fixtures.randomInteractions(100, 30, 5, 4);
        int[] a = EdgeSampling.degreeSensitive(r, 0.9, new Rng(8));
        assertArrayEquals(a, EdgeSampling.degreeSensitive(r, 0.9, new Rng(8)));
        assertFalse(Arrays.equals(a, EdgeSampling.degreeSensitive(r, 0.9, new Rng(9))));
        for (int j = 1; j < a.length; j++) {
            assertTrue(a[j] > a[j - 1]);
        }
        CsrMatrix pruned = Adjacency.normalizedKept(r, a);
        assertEquals(2 * a.length, pruned.nnz());
        assertTrue(pruned.isSymmetric());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> EdgeSampling.degreeSensitive(r, 1.0, new Rng(1)));
        assertTrue(ex.getMessage().contains("rho"), ex.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> EdgeSampling.weightedWithoutReplacement(new float[] {1, 0, 2}, 1, new Rng(1)));
        assertThrows(IllegalArgumentException.class,
                () -> EdgeSampling.weightedWithoutReplacement(new float[] {1, 2}, 3, new Rng(1)));
    }
}
