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
}
