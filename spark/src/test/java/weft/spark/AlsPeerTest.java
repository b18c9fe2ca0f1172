package weft.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;

import org.junit.jupiter.api.Test;

import weft.models.Popularity;
import weft.models.data.Dataset;
import weft.models.eval.Evaluator;

/** MLlib ALS (implicit) trained on test-data's training split and scored by weft's evaluator: it learns, and selection reads valid only. */
class AlsPeerTest {
    @Test
    void alsLearnsAndIsChosenOnValid() {
        Dataset data = Dataset.load(Fixtures.testData());
        List<AlsPeer.Trial> trials = AlsPeer.grid(Fixtures.spark(), data, 16, 8, new double[] {0.1, 10}, new double[] {1},
                new PrintStream(new ByteArrayOutputStream()));
        assertEquals(2, trials.size());
        AlsPeer.Trial best = AlsPeer.choose(trials);
        for (AlsPeer.Trial t : trials) {
            assertTrue(best.valid().get("Recall@20") >= t.valid().get("Recall@20"));
        }
        double pop = new Evaluator(data).test(Popularity.SPEC.create(data, Popularity.SPEC.config(), weft.models.options.Options.defaults()).scorer())
                .get("Recall@20");
        assertTrue(best.test().get("Recall@20") > pop, "ALS " + best.test().get("Recall@20") + " vs popularity " + pop);
    }
}
