package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import weft.models.data.Dataset;
import weft.models.options.Options;
import weft.models.eval.EvalResult;
import weft.models.eval.Evaluator;
import weft.models.train.TrainConfig;
import weft.models.train.TrainResult;
import weft.models.train.Trainer;

/** Brief training of each ID model on the bundled synthetic data. */
class TrainingTest {
    static Dataset data;
    static double popularityRecall;

    @BeforeAll
    static void load() {
        data = Fixtures.data();
        popularityRecall = Fixtures.popularityRecall();
    }

    static TrainResult train(String model, int epochs, long seed) {
        ModelConfig mc = new ModelConfig();
        mc.seed = seed;
        TrainConfig tc = new TrainConfig();
        tc.epochs = epochs;
        tc.patience = epochs;
        tc.seed = seed;
        tc.lr = 1e-2f;
        tc.batch = 512;
        tc.verbose = false;
        Recommender r = Models.create(model, data, mc);
        return new Trainer(tc, new PrintStream(new ByteArrayOutputStream())).fit(r, data, mc.asMap());
    }

    @Test
    void lightGcnBeatsPopularity() {
        Fixtures.assertBeatsPopularity(LightGcn.SPEC, 15, 1.2);
    }

    @Test
    void bprMfBeatsPopularity() {
        Fixtures.assertBeatsPopularity(BprMf.SPEC, 25, 1.2);
    }

    @Test
    void sameSeedGivesIdenticalRuns() {
        TrainResult a = train("lightgcn", 3, 11);
        TrainResult b = train("lightgcn", 3, 11);
        for (int e = 0; e < 3; e++) {
            assertEquals(a.epochs.get(e).loss(), b.epochs.get(e).loss(), 0.0, "epoch " + e + " loss");
        }
        assertEquals(a.test.asMap(), b.test.asMap());
        TrainResult c = train("lightgcn", 3, 12);
        assertTrue(a.epochs.get(2).loss() != c.epochs.get(2).loss(), "another seed should give another run");
    }

    @Test
    void bestEpochParametersAreRestored() {
        ModelConfig mc = new ModelConfig();
        TrainConfig tc = new TrainConfig();
        tc.epochs = 6;
        tc.patience = 6;
        tc.lr = 5e-2f;
        tc.verbose = false;
        Recommender r = Models.create("bprmf", data, mc);
        TrainResult res = new Trainer(tc, new PrintStream(new ByteArrayOutputStream())).fit(r, data, mc.asMap());
        // After fit, the model holds the best epoch's parameters: evaluating valid again reproduces its metrics.
        EvalResult again = new Evaluator(data).valid(r.scorer());
        assertEquals(res.valid.get("Recall@20"), again.get("Recall@20"), 1e-12);
        assertEquals(res.epochs.get(res.bestEpoch).valid().get("Recall@20"), res.valid.get("Recall@20"), 0.0);
    }

    @Test
    void earlyStoppingHonoursPatience() {
        ModelConfig mc = new ModelConfig();
        TrainConfig tc = new TrainConfig();
        tc.epochs = 200;
        tc.patience = 2;
        tc.lr = 1e-6f; // too small to improve reliably, so patience must end the run early
        tc.verbose = false;
        TrainResult res = new Trainer(tc, new PrintStream(new ByteArrayOutputStream()))
                .fit(Models.create("bprmf", data, mc), data, mc.asMap());
        assertTrue(res.epochs.size() < 200, "should stop early, ran " + res.epochs.size());
        assertEquals(res.bestEpoch + 1 + tc.patience, res.epochs.size(), "stops exactly patience epochs after the best");
    }

    @Test
    void lightGcnWithZeroLayersScoresWithItsIdTable() {
        // With no propagation, LightGCN's score is the dot product of the user's and the item's
        // rows of its [U + I, d] ID table: checks the layer mean's L = 0 case and that the scorer
        // reads users from the first U rows and items from the rest.
        ModelConfig mc = new ModelConfig();
        mc.layers = 0;
        LightGcn m = new LightGcn(data, mc);
        weft.engine.Tensor table = m.parameters().get(0).value;
        int[] users = {0, 7, data.numUsers() - 1};
        weft.engine.Tensor scores = new weft.engine.Tensor(users.length, data.numItems());
        m.scorer().score(users, scores);
        for (int r = 0; r < users.length; r++) {
            for (int i : new int[] {0, 3, data.numItems() - 1}) {
                double dot = 0;
                for (int c = 0; c < mc.dim; c++) {
                    dot += (double) table.get(users[r], c) * table.get(data.numUsers() + i, c);
                }
                assertEquals(dot, scores.get(r, i), 1e-5, "user " + users[r] + ", item " + i);
            }
        }
    }

    @Test
    void lightGcnPropagatesOverTheNormalisedGraph() {
        // One layer: E = (E0 + A_hat E0) / 2, with A_hat's entries 1 / sqrt(d_u d_i). Checked on one
        // user row by hand from the training interactions.
        ModelConfig mc = new ModelConfig();
        mc.layers = 1;
        LightGcn m = new LightGcn(data, mc);
        weft.engine.Tensor e0 = m.parameters().get(0).value;
        weft.engine.Tensor e1 = m.propagate().value;
        int u = 5;
        int[] itemsOfU = data.train().itemsOf(u);
        int[] itemDegree = new int[data.numItems()];
        for (int i : data.trainItems()) {
            itemDegree[i]++;
        }
        for (int c = 0; c < mc.dim; c++) {
            double hop = 0;
            for (int i : itemsOfU) {
                hop += e0.get(data.numUsers() + i, c) / Math.sqrt((double) itemsOfU.length * itemDegree[i]);
            }
            assertEquals((e0.get(u, c) + hop) / 2, e1.get(u, c), 1e-5, "column " + c);
        }
    }

    @Test
    void popularityTrainsAsOneEvaluation() {
        TrainResult r = new Trainer(new TrainConfig(), new PrintStream(new ByteArrayOutputStream()))
                .fit(new Popularity(data), data, Map.of());
        assertEquals(1, r.epochs.size());
        assertEquals(0, r.bestEpoch);
        assertEquals(popularityRecall, r.test.get("Recall@20"), 0.0);
    }

    /** The README's Java example, line for line (one epoch, quiet, so the test stays short). */
    @Test
    void readmeJavaExampleRuns() {
        Dataset data = Dataset.load(Fixtures.testDataDir());
        Options opts = Options.defaults().with(HmaRec.TOKENS, 2).with(HmaRec.CROSS, false);
        ModelConfig cfg = HmaRec.SPEC.config();
        Recommender model = HmaRec.SPEC.create(data, cfg, opts);
        TrainConfig tc = new TrainConfig();
        tc.epochs = 1;
        tc.verbose = false;
        TrainResult r = new Trainer(tc, new PrintStream(new ByteArrayOutputStream())).fit(model, data, HmaRec.SPEC.config(cfg, opts));
        assertEquals(2, r.config.get("tokens"));
        assertEquals(false, r.config.get("cross"));
        assertEquals(1, r.epochs.size());
    }
}
