package weft.models.eval;

import org.junit.jupiter.api.Test;
import weft.engine.Parallel;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.data.UserItems;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class EvaluatorTest {
    private static final double EPS = 1e-12;

    private static double lg(int pos) {
        return Math.log(pos + 1) / Math.log(2);
    }

    /** Scores from a fixed [numUsers, numItems] matrix; records which users were asked for. */
    private static final class TableScorer implements Scorer {
        final float[][] table;
        final List<Integer> asked = new ArrayList<>();

        TableScorer(float[][] table) {
            this.table = table;
        }

        @Override
        public void score(int[] users, Tensor out) {
            assertEquals(users.length, out.rows);
            assertEquals(table[0].length, out.cols);
            for (int r = 0; r < users.length; r++) {
                asked.add(users[r]);
                for (int i = 0; i < out.cols; i++) out.set(r, i, table[users[r]][i]);
            }
        }
    }

    /*
     * Hand-worked example, 8 items, K in {1, 3, 5}.
     * user 0: train {0}, truth {2, 5, 6}, scores [9,1,8,2,7,6,0,5]
     *   item 0 masked -> ranking 2,4,5,7,3,1,6 ; hits at positions 1 and 3 (item 6 at 7 is past K)
     *   @1: R 1/3, P 1, NDCG 1/1, MAP (1/1)/1 = 1, Hit 1
     *   @3: R 2/3, P 2/3, DCG 1 + 1/log2(4) = 1.5, IDCG 1 + 1/log2(3) + 1/2, MAP (1 + 2/3)/3
     *   @5: R 2/3, P 2/5, NDCG as @3 (IDCG over min(3, 5) = 3), MAP (1 + 2/3)/3
     * user 1: train {}, truth {7}, scores [1,1,3,3,0,0,0,3]
     *   ties at 3 rank lower id first -> 2,3,7,0,1,... ; hit at position 3
     *   @1: all 0 ; @3: R 1, P 1/3, NDCG 1/log2(4) = 0.5 (IDCG = 1), MAP (1/3)/1, Hit 1 ; @5: P 1/5, rest as @3
     * user 2: no ground truth -> skipped (never scored)
     * user 3: train {1..6}, truth {0}, scores [0,9,9,9,9,9,9,1]
     *   only items 7, 0 remain -> ranking 7,0 (shorter than K) ; hit at position 2
     *   @1: all 0 ; @3: R 1, P 1/3, NDCG 1/log2(3), MAP (1/2)/1, Hit 1 ; @5: P 1/5, rest as @3
     */
    @Test
    void handWorkedExample() {
        int nI = 8;
        UserItems train = UserItems.fromPairs(4, nI, new int[] {0, 3, 3, 3, 3, 3, 3, 2}, new int[] {0, 1, 2, 3, 4, 5, 6, 3});
        UserItems truth = UserItems.fromPairs(4, nI, new int[] {0, 0, 0, 1, 3}, new int[] {2, 5, 6, 7, 0});
        float[][] scores = {
            {9, 1, 8, 2, 7, 6, 0, 5},
            {1, 1, 3, 3, 0, 0, 0, 3},
            {Float.NaN, 0, 0, 0, 0, 0, 0, 0}, // would fail if user 2 were scored
            {0, 9, 9, 9, 9, 9, 9, 1},
        };
        TableScorer scorer = new TableScorer(scores);
        EvalResult res = new Evaluator(train, nI, new int[] {5, 1, 3}, 2).evaluate(scorer, truth);
        assertEquals(List.of(0, 1, 3), scorer.asked, "only users with ground truth are scored");
        assertEquals(3, res.users());
        assertArrayEquals(new int[] {1, 3, 5}, res.ks());

        double idcg3 = 1 + 1 / lg(2) + 1 / lg(3);
        double[] u0at3 = {2.0 / 3, 1.5 / idcg3, 2.0 / 3, (1 + 2.0 / 3) / 3, 1};
        double[] u1at3 = {1, 0.5, 1.0 / 3, 1.0 / 3, 1};
        double[] u3at3 = {1, 1 / lg(2), 1.0 / 3, 0.5, 1};
        Metric[] order = {Metric.RECALL, Metric.NDCG, Metric.PRECISION, Metric.MAP, Metric.HIT};
        for (int m = 0; m < order.length; m++) {
            assertEquals((u0at3[m] + u1at3[m] + u3at3[m]) / 3, res.get(order[m], 3), EPS, order[m] + "@3");
        }
        assertEquals((1.0 / 3) / 3, res.get("Recall@1"), EPS);
        assertEquals(1.0 / 3, res.get("NDCG@1"), EPS);
        assertEquals(1.0 / 3, res.get("Precision@1"), EPS);
        assertEquals(1.0 / 3, res.get("MAP@1"), EPS);
        assertEquals(1.0 / 3, res.get("Hit@1"), EPS);
        assertEquals((0.4 + 0.2 + 0.2) / 3, res.get("Precision@5"), EPS);
        assertEquals((2.0 / 3 + 1 + 1) / 3, res.get("Recall@5"), EPS);
        assertEquals(res.get("NDCG@3"), res.get("NDCG@5"), EPS, "no new hits between 3 and 5, IDCG capped at |T| = 3");
        assertEquals(res.get("MAP@3"), res.get("MAP@5"), EPS);
        assertEquals(1.0, res.get("hit@5"), EPS);
    }

    @Test
    void mapNormalisesByMinOfTruthAndK() {
        // |T| = 4, K = 2, ranking hits at 1 and 2: MAP@2 = (1/1 + 2/2) / min(4, 2) = 1 (MMRec), not 2/4.
        UserItems truth = UserItems.fromPairs(1, 6, new int[] {0, 0, 0, 0}, new int[] {0, 1, 2, 3});
        double[] out = new double[5 * 2];
        Evaluator.userMetrics(new int[] {0, 1, 4, 5}, 4, truth, 0, new int[] {2, 4}, out);
        assertEquals(1.0, out[Metric.MAP.ordinal() * 2], EPS);
        assertEquals(1.0, out[Metric.NDCG.ordinal() * 2], EPS, "ideal over min(|T|, K) = 2 positions");
        assertEquals(0.5, out[Metric.RECALL.ordinal() * 2], EPS);
        // @4: hits at 1, 2 -> MAP (1 + 1) / 4 = 0.5; NDCG (1 + 1/log2 3) / (1 + 1/log2 3 + 1/2 + 1/log2 5)
        assertEquals(0.5, out[Metric.MAP.ordinal() * 2 + 1], EPS);
        assertEquals((1 + 1 / lg(2)) / (1 + 1 / lg(2) + 1 / lg(3) + 1 / lg(4)), out[Metric.NDCG.ordinal() * 2 + 1], EPS);
    }

    /** Brute force: full sort of each user's unmasked items, metrics straight from the definitions. */
    private static double[][] reference(float[][] s, UserItems mask, UserItems truth, int[] ks) {
        int nI = s[0].length;
        double[][] sum = new double[5][ks.length];
        int users = 0;
        for (int u = 0; u < truth.numUsers(); u++) {
            if (truth.count(u) == 0) continue;
            users++;
            int[] ranked = TopKTest.bySorting(s[u], 0, nI, mask, u, nI);
            int nT = truth.count(u);
            for (int j = 0; j < ks.length; j++) {
                int k = ks[j];
                int hits = 0;
                double dcg = 0, ap = 0, idcg = 0;
                for (int p = 1; p <= Math.min(k, ranked.length); p++) {
                    if (truth.contains(u, ranked[p - 1])) {
                        hits++;
                        dcg += 1 / lg(p);
                        ap += hits / (double) p;
                    }
                }
                for (int p = 1; p <= Math.min(nT, k); p++) idcg += 1 / lg(p);
                sum[Metric.RECALL.ordinal()][j] += hits / (double) nT;
                sum[Metric.NDCG.ordinal()][j] += dcg / idcg;
                sum[Metric.PRECISION.ordinal()][j] += hits / (double) k;
                sum[Metric.MAP.ordinal()][j] += ap / Math.min(nT, k);
                sum[Metric.HIT.ordinal()][j] += hits > 0 ? 1 : 0;
            }
        }
        for (double[] row : sum) for (int j = 0; j < ks.length; j++) row[j] /= users;
        return sum;
    }

    @Test
    void matchesBruteForceOnRandomDataForAnyBatchingAndThreadCount() {
        Rng r = new Rng(5);
        int nU = 120, nI = 70;
        float[][] s = new float[nU][nI];
        for (float[] row : s) for (int i = 0; i < nI; i++) row[i] = r.nextInt(6); // many ties
        int nTrain = 1500, nTruth = 300;
        int[] tu = new int[nTrain], ti = new int[nTrain], gu = new int[nTruth], gi = new int[nTruth];
        for (int k = 0; k < nTrain; k++) { tu[k] = r.nextInt(nU); ti[k] = r.nextInt(nI); }
        for (int k = 0; k < nTruth; k++) { gu[k] = r.nextInt(nU); gi[k] = r.nextInt(nI); }
        UserItems train = UserItems.fromPairs(nU, nI, tu, ti);
        UserItems truth = UserItems.fromPairs(nU, nI, gu, gi);
        assertTrue(truth.nonEmptyUsers() < nU, "some users have no ground truth");
        int[] ks = Evaluator.DEFAULT_KS;
        double[][] want = reference(s, train, truth, ks);
        int before = Parallel.threads();
        try {
            EvalResult first = null;
            for (int threads : new int[] {1, 3}) {
                Parallel.setThreads(threads);
                for (int batch : new int[] {1, 17, 0}) {
                    EvalResult res = new Evaluator(train, nI, ks, batch).evaluate(new TableScorer(s), truth);
                    assertEquals(truth.nonEmptyUsers(), res.users());
                    for (Metric m : Metric.values()) {
                        for (int j = 0; j < ks.length; j++) {
                            assertEquals(want[m.ordinal()][j], res.get(m, ks[j]), 1e-12, m.key(ks[j]) + " batch " + batch);
                        }
                    }
                    if (first == null) first = res;
                    assertEquals(first.asMap(), res.asMap(), "bit-identical whatever the split of work");
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void trainingItemsAreMaskedAndValidItemsAreNot() {
        // One user: train {0}, valid {1}, test {2}; the model scores 0 > 1 > 2 > rest.
        int nI = 10;
        UserItems train = UserItems.fromPairs(1, nI, new int[] {0}, new int[] {0});
        UserItems test = UserItems.fromPairs(1, nI, new int[] {0}, new int[] {2});
        float[][] s = {{10, 9, 8, 0, 0, 0, 0, 0, 0, 0}};
        EvalResult masked = new Evaluator(train, nI, new int[] {1, 2}, 0).evaluate(new TableScorer(s), test);
        // ranking without item 0: 1, 2, ... -> test item at position 2
        assertEquals(0.0, masked.get("Hit@1"), EPS);
        assertEquals(1.0, masked.get("Hit@2"), EPS);
        assertEquals(1 / lg(2), masked.get("NDCG@2"), EPS);
        EvalResult unmasked = new Evaluator(null, nI, new int[] {1, 2}, 0).evaluate(new TableScorer(s), test);
        assertEquals(0.0, unmasked.get("Hit@2"), EPS, "without the mask the train item takes a slot");
    }

    @Test
    void noEvaluableUsersGivesZeros() {
        UserItems empty = UserItems.fromPairs(3, 5, new int[0], new int[0]);
        EvalResult res = new Evaluator(empty, 5, new int[] {2}, 0).evaluate((u, out) -> fail("nobody to score"), empty);
        assertEquals(0, res.users());
        assertEquals(0.0, res.get("Recall@2"));
    }

    @Test
    void resultFormatting() {
        UserItems train = UserItems.fromPairs(1, 4, new int[0], new int[0]);
        UserItems truth = UserItems.fromPairs(1, 4, new int[] {0}, new int[] {1});
        EvalResult res = new Evaluator(train, 4, new int[] {1, 2}, 0).evaluate(new TableScorer(new float[][] {{1, 2, 0, 0}}), truth);
        Map<String, Double> m = res.asMap();
        assertEquals(List.of("Recall@1", "Recall@2", "NDCG@1", "NDCG@2", "Precision@1", "Precision@2", "MAP@1", "MAP@2", "Hit@1", "Hit@2"),
                List.copyOf(m.keySet()));
        assertEquals("{\"users\": 1, \"Recall@1\": 1.0, \"Recall@2\": 1.0, \"NDCG@1\": 1.0, \"NDCG@2\": 1.0, \"Precision@1\": 1.0, "
                + "\"Precision@2\": 0.5, \"MAP@1\": 1.0, \"MAP@2\": 1.0, \"Hit@1\": 1.0, \"Hit@2\": 1.0}", res.toJson());
        String table = res.toTable();
        assertTrue(table.contains("Precision    1.0000   0.5000"), table);
        assertTrue(table.startsWith("users 1          @1       @2"), table);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> res.get("Recall@7"));
        assertTrue(e.getMessage().contains("K = 7"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> res.get("F1@1"));
    }

    @Test
    void rejectsBadCutOffs() {
        UserItems t = UserItems.fromPairs(1, 4, new int[0], new int[0]);
        assertThrows(IllegalArgumentException.class, () -> new Evaluator(t, 4, new int[] {5, 5}, 0));
        assertThrows(IllegalArgumentException.class, () -> new Evaluator(t, 4, new int[] {0}, 0));
        assertThrows(IllegalArgumentException.class, () -> new Evaluator(t, 4, new int[0], 0));
    }
}
