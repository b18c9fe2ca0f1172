package weft.models;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import weft.autograd.NoGrad;
import weft.autograd.optim.Adam;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.data.Dataset;
import weft.models.data.Split;
import weft.models.data.TrainBatches;
import weft.models.data.UserItems;
import weft.models.eval.Evaluator;
import weft.models.options.Options;
import weft.models.train.TrainConfig;
import weft.models.train.TrainResult;
import weft.models.train.Trainer;

/** The datasets, configurations and helpers the model tests share. */
public final class Fixtures {
    private Fixtures() {}

    private static Dataset bundled;
    private static double popularityRecall = Double.NaN;

    /** The bundled test-data folder. */
    public static Path testDataDir() {
        Path p = Path.of("test-data");
        for (int up = 0; up < 3 && !p.resolve("synthetic.inter").toFile().exists(); up++) {
            p = Path.of("..").resolve(p);
        }
        return p;
    }

    /** The bundled synthetic dataset (600 users, 400 items, image and text features), loaded once. */
    static synchronized Dataset data() {
        if (bundled == null) {
            bundled = Dataset.load(testDataDir());
        }
        return bundled;
    }

    /** Test Recall@20 of item popularity on {@link #data()}: the floor every model must beat. */
    static synchronized double popularityRecall() {
        if (Double.isNaN(popularityRecall)) {
            popularityRecall = new Evaluator(data()).test(new Popularity(data()).scorer()).get("Recall@20");
        }
        return popularityRecall;
    }

    /**
     * 6 users, 5 items, {@code modalities} random modalities of width 3 ("image", then "text1",
     * ...), and every user with a valid and a test item: small enough for finite differences over
     * whole parameter tensors.
     */
    static Dataset tiny(int modalities) {
        int[][] train = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 0}, {0, 2}};
        List<Integer> us = new ArrayList<>(), is = new ArrayList<>();
        for (int u = 0; u < train.length; u++) {
            for (int i : train[u]) {
                us.add(u);
                is.add(i);
            }
        }
        int[] users = us.stream().mapToInt(Integer::intValue).toArray();
        int[] items = is.stream().mapToInt(Integer::intValue).toArray();
        int[] vu = {0, 1, 2, 3, 4, 5}, vi = {3, 4, 0, 1, 2, 4}, ti = {4, 0, 1, 2, 3, 1};
        Split split = new Split(UserItems.fromPairs(6, 5, users, items), UserItems.fromPairs(6, 5, vu, vi),
                UserItems.fromPairs(6, 5, vu, ti));
        return new Dataset("tiny", split, randomModalities(modalities, "image", "text"));
    }

    /** {@code count} random [5, 3] modalities: the first named {@code first}, the others {@code rest + m}. */
    static Map<String, Tensor> randomModalities(int count, String first, String rest) {
        Map<String, Tensor> mods = new LinkedHashMap<>();
        Rng rng = new Rng(5);
        for (int m = 0; m < count; m++) {
            mods.put(m == 0 ? first : rest + m, rng.normal(new Tensor(5, 3), 0f, 1f));
        }
        return mods;
    }

    /** d = 4, 2 layers, seed 3: the tiny datasets' model size. */
    static ModelConfig tinyConfig() {
        ModelConfig mc = new ModelConfig();
        mc.dim = 4;
        mc.layers = 2;
        mc.seed = 3;
        return mc;
    }

    /** A batch of the tiny datasets: users 0-3, one positive and one negative each. */
    static final TrainBatches.Batch TINY_BATCH = new TrainBatches.Batch(new int[] {0, 1, 2, 3}, new int[] {1, 2, 3, 4},
            new int[] {3, 0, 4, 1});

    /** A batch of the tiny datasets with user 0 and item 2 twice, so gathers accumulate and InfoNCE rows are deduplicated. */
    static final TrainBatches.Batch REPEATS = new TrainBatches.Batch(new int[] {0, 1, 2, 3, 5, 0}, new int[] {1, 2, 3, 4, 2, 0},
            new int[] {3, 0, 4, 1, 4, 2});

    /** {@link #tinyConfig()} with {@code reg} (large enough that a wrong EmbLoss gradient shows). */
    static ModelConfig tinyConfig(float reg) {
        ModelConfig mc = tinyConfig();
        mc.reg = reg;
        return mc;
    }

    /**
     * Trains {@code spec}'s model with its defaults on the bundled data for {@code epochs} and
     * asserts that its test Recall@20 beats item popularity's by {@code factor}.
     */
    static TrainResult assertBeatsPopularity(ModelSpec spec, int epochs, double factor) {
        TrainResult r = fit(spec.create(data()), data(), epochs);
        double recall = r.test.get("Recall@20");
        org.junit.jupiter.api.Assertions.assertTrue(recall > factor * popularityRecall(),
                spec.name() + " test Recall@20 " + recall + " should beat " + factor + " x popularity's " + popularityRecall());
        return r;
    }

    /** The loss of {@code b} without recording a graph. */
    static float lossAt(Recommender r, TrainBatches.Batch b) {
        try (NoGrad g = NoGrad.scope()) {
            return r.loss(b).value.item();
        }
    }

    /** {@code steps} Adam steps (lr 0.05) on {@link #TINY_BATCH}, then the loss there without a gradient. */
    static float lossAfterSteps(Recommender r, int steps) {
        Adam opt = new Adam(r.parameters(), 0.05f);
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            r.loss(TINY_BATCH).backward();
            opt.step();
        }
        return lossAt(r, TINY_BATCH);
    }

    /** Trains briefly (lr 1e-2, batch 512, no early stop) and returns the result. */
    static TrainResult fit(Recommender r, Dataset d, int epochs) {
        TrainConfig tc = new TrainConfig();
        tc.epochs = epochs;
        tc.patience = epochs;
        tc.lr = 1e-2f;
        tc.batch = 512;
        tc.verbose = false;
        return new Trainer(tc, new PrintStream(new ByteArrayOutputStream())).fit(r, d, Map.of());
    }

    /** Builds {@code spec}'s model with options {@code o} on the bundled data. */
    static Recommender create(ModelSpec spec, ModelConfig cfg, Options o) {
        return spec.create(data(), cfg, o);
    }
}
