package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import weft.models.data.Dataset;
import weft.models.eval.EvalResult;
import weft.models.eval.Evaluator;
import weft.models.train.SeedRuns;
import weft.models.train.TrainResult;

/** Multi-seed summaries: mean, sample std, paired relative difference and wins against a baseline. */
class SeedRunsTest {
    static final Dataset TINY = Fixtures.tiny(1);

    /** A run whose test metrics are those of ranking item {@code first} first for every user. */
    static TrainResult run(String model, int first) {
        EvalResult e = new Evaluator(TINY).test((users, out) -> {
            for (int r = 0; r < users.length; r++) {
                for (int i = 0; i < out.cols; i++) {
                    out.data[out.offset + r * out.cols + i] = i == first ? 10 : -i;
                }
            }
        });
        return new TrainResult(model, "tiny", 0, e, e, List.of(), Map.of(), Map.of());
    }

    static SeedRuns runs(String model, int... firsts) {
        List<TrainResult> rs = new ArrayList<>();
        for (int f : firsts) {
            rs.add(run(model, f));
        }
        return new SeedRuns(model, SeedRuns.seeds(7, firsts.length), rs);
    }

    @Test
    void meanStdAndPairedComparison() {
        double[] p = new double[5];
        for (int i = 0; i < 5; i++) {
            p[i] = run("x", i).test.get("NDCG@5");
        }
        SeedRuns a = runs("a", 1, 4, 2);
        SeedRuns b = runs("b", 4, 1, 3);
        double mean = (p[1] + p[4] + p[2]) / 3;
        assertEquals(mean, a.mean("NDCG@5"), 1e-12);
        double var = (Math.pow(p[1] - mean, 2) + Math.pow(p[4] - mean, 2) + Math.pow(p[2] - mean, 2)) / 2;
        assertEquals(Math.sqrt(var), a.std("NDCG@5"), 1e-12);
        int wins = (p[1] > p[4] ? 1 : 0) + (p[4] > p[1] ? 1 : 0) + (p[2] > p[3] ? 1 : 0);
        assertEquals(wins, a.wins(b, "NDCG@5"));
        double rel = ((p[1] / p[4] - 1) + (p[4] / p[1] - 1) + (p[2] / p[3] - 1)) / 3;
        assertEquals(rel, a.meanRelativeTo(b, "NDCG@5"), 1e-12);
        assertEquals(List.of(7L, 8L, 9L), a.seeds);
        assertEquals(0, runs("one", 2).std("NDCG@5"), 0.0, "one seed has no spread");
        assertTrue(a.format("NDCG@5").contains(" ± "), a.format("NDCG@5"));
    }

    @Test
    void relativeDifferenceIsAveragedSeedBySeed() {
        SeedRuns a = runs("a", 0, 0);
        SeedRuns b = runs("b", 0, 0);
        assertEquals(0.0, a.meanRelativeTo(b, "Recall@5"), 1e-12);
        SeedRuns other = new SeedRuns("c", SeedRuns.seeds(1, 2), a.runs);
        assertThrows(IllegalArgumentException.class, () -> a.meanRelativeTo(other, "Recall@5"), "seeds must match");
        Map<String, Object> json = a.toJsonObject();
        assertEquals(List.of(7L, 8L), json.get("seeds"));
        assertEquals(2, ((List<?>) json.get("runs")).size());
        assertTrue(((Map<?, ?>) json.get("test_mean")).containsKey("Recall@20"));
    }

    /** A run whose valid Recall@20 per epoch is {@code curve}, best at {@code best}. */
    static TrainResult curve(int best, double... curve) {
        List<TrainResult.Epoch> eps = new ArrayList<>();
        for (int e = 0; e < curve.length; e++) {
            double[][] v = new double[weft.models.eval.Metric.values().length][1];
            v[weft.models.eval.Metric.RECALL.ordinal()][0] = curve[e];
            eps.add(new TrainResult.Epoch(e, 1, 0, 0, EvalResult.of(new int[] {20}, v, 10)));
        }
        EvalResult t = eps.get(best).valid();
        return new TrainResult("m", "tiny", best, t, t, eps, Map.of(), Map.of());
    }

    @Test
    void fallAfterBestAndTheCollapseCheck() {
        double[] early = new double[21];
        for (int e = 0; e < early.length; e++) {
            early[e] = e == 1 ? 0.40 : e < 1 ? 0.2 : 0.39 - 0.005 * e;   // best at epoch 1 of 21, then falling to 0.29
        }
        TrainResult c = curve(1, early);
        assertEquals(1 - 0.29 / 0.40, c.fallAfterBest(), 1e-9);
        assertTrue(c.collapsed(), "best in the first 10 % and a fall of 27 %");

        double[] late = early.clone();
        late[3] = 0.41;   // the best now at epoch 3 of 21: 14 % into the run
        assertEquals(false, curve(3, late).collapsed(), "best after the first 10 % of the run");

        double[] shallow = new double[21];
        java.util.Arrays.fill(shallow, 0.37);
        shallow[1] = 0.40;
        TrainResult s = curve(1, shallow);
        assertEquals(1 - 0.37 / 0.40, s.fallAfterBest(), 1e-9);
        assertEquals(false, s.collapsed(), "a fall of 7.5 % is within the check's 10 %");

        assertEquals(0, curve(2, 0.1, 0.2, 0.3).fallAfterBest(), 0.0, "best at the last epoch: nothing after it");
        SeedRuns r = new SeedRuns("m", SeedRuns.seeds(1, 2), List.of(c, s));
        assertEquals(1, r.collapsed());
        assertEquals((c.fallAfterBest() + s.fallAfterBest()) / 2, r.meanFallAfterBest(), 1e-12);
    }
}
