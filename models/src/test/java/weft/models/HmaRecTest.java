package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import weft.autograd.GradCheck;
import weft.autograd.NoGrad;
import weft.autograd.Var;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.cli.Args;
import weft.models.data.Dataset;
import weft.models.data.Split;
import weft.models.data.TrainBatches;
import weft.models.data.UserItems;
import weft.models.eval.Evaluator;
import weft.models.train.TrainResult;

/** HMA-Rec: training on the bundled data, its gradient, its switches, its inputs. */
class HmaRecTest {
    static Dataset data;
    static double popularityRecall;

    @BeforeAll
    static void load() {
        data = Dataset.load(TrainingTest.TestData.dir());
        popularityRecall = new Evaluator(data).test(new Popularity(data).scorer()).get("Recall@20");
    }

    /**
     * 6 users, 5 items, two modalities of width 3, and every user with a valid and a test item:
     * small enough for finite differences over whole parameter tensors.
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
        Map<String, Tensor> mods = new LinkedHashMap<>();
        Rng rng = new Rng(5);
        for (int m = 0; m < modalities; m++) {
            mods.put(m == 0 ? "image" : "text" + m, rng.normal(new Tensor(5, 3), 0f, 1f));
        }
        return new Dataset("tiny", split, mods);
    }

    static ModelConfig tinyConfig() {
        ModelConfig mc = new ModelConfig();
        mc.dim = 4;
        mc.layers = 2;
        mc.seed = 3;
        return mc;
    }

    static HmaRec.Options tinyOptions() {
        HmaRec.Options o = new HmaRec.Options();
        o.tokens = 2;
        o.heads = 2;
        o.clWeight = 0.5f;
        return o;
    }

    static final TrainBatches.Batch TINY_BATCH = new TrainBatches.Batch(new int[] {0, 1, 2, 3}, new int[] {1, 2, 3, 4},
            new int[] {3, 0, 4, 1});

    static float lossAtStart(Recommender r, TrainBatches.Batch b) {
        try (NoGrad g = NoGrad.scope()) {
            return r.loss(b).value.item();
        }
    }

    @Test
    void beatsPopularity() {
        TrainResult r = MultimodalTest.fit(new HmaRec(data, new ModelConfig()), data, 8);
        assertTrue(r.test.get("Recall@20") > 1.2 * popularityRecall,
                "HMA-Rec test Recall@20 " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
    }

    @Test
    void gradientOfTheWholeLossMatchesFiniteDifferences() {
        HmaRec model = new HmaRec(tiny(2), tinyConfig(), tinyOptions());
        List<Var> params = model.parameters();
        // Parameter order: the ID table, then per modality the token projection (1 tensor),
        // positions (1), intra MHA (8) and LayerNorm (2), cross MHA (8) and LayerNorm (2), gate (2):
        // 24 per modality. Checked: the ID table, modality 0's projection, positions, intra query
        // weight, both LayerNorm gains and gate weight, and modality 1's intra and cross query
        // weights: a path through every level, the LightGCN part and the alignment term.
        int[] checked = {0, 1, 2, 3, 11, 21, 23, 1 + 24 + 2, 1 + 24 + 12};
        assertEquals(1 + 2 * 24, params.size());
        List<Tensor> inputs = new ArrayList<>();
        for (int i : checked) {
            inputs.add(params.get(i).value);
        }
        GradCheck.check("hmarec loss", vs -> {
            List<Var> p = new ArrayList<>(params);
            for (int k = 0; k < checked.length; k++) {
                p.set(checked[k], vs[k]);
            }
            return model.lossWith(TINY_BATCH, p);
        }, inputs.toArray(new Tensor[0]));
    }

    @Test
    void eachSwitchChangesTheLossAndStillTrains() {
        Dataset d = tiny(2);
        float full = lossAtStart(new HmaRec(d, tinyConfig(), tinyOptions()), TINY_BATCH);
        Map<String, Consumer<HmaRec.Options>> switches = new LinkedHashMap<>();
        switches.put("no-intra", o -> o.intra = false);
        switches.put("no-cross", o -> o.cross = false);
        switches.put("no-gate", o -> o.gate = false);
        switches.put("no-align", o -> o.align = false);
        for (Map.Entry<String, Consumer<HmaRec.Options>> e : switches.entrySet()) {
            HmaRec.Options o = tinyOptions();
            e.getValue().accept(o);
            HmaRec m = new HmaRec(d, tinyConfig(), o);
            assertNotEquals(full, lossAtStart(m, TINY_BATCH), 1e-6, e.getKey() + " should change the loss");
            // a narrower model (d = 32, T = 2) keeps four trainings within the test's time
            ModelConfig small = new ModelConfig();
            small.dim = 32;
            HmaRec.Options so = switched(e.getValue());
            so.tokens = 2;
            TrainResult r = MultimodalTest.fit(new HmaRec(data, small, so), data, 3);
            assertTrue(r.epochs.get(2).loss() < r.epochs.get(0).loss(), e.getKey() + ": loss should fall, " + r.epochs);
            assertTrue(r.test.get("Recall@20") > popularityRecall,
                    e.getKey() + ": test Recall@20 " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
        }
    }

    private static HmaRec.Options switched(Consumer<HmaRec.Options> s) {
        HmaRec.Options o = new HmaRec.Options();
        s.accept(o);
        return o;
    }

    @Test
    void switchesKeepTheInitialValuesOfTheLayersTheyKeep() {
        Dataset d = tiny(2);
        HmaRec full = new HmaRec(d, tinyConfig(), tinyOptions());
        HmaRec.Options o = tinyOptions();
        o.intra = false;
        HmaRec noIntra = new HmaRec(d, tinyConfig(), o);
        // without intra attention, each modality loses its MHA (8 tensors) and LayerNorm (2)
        assertEquals(full.parameters().size() - 2 * 10, noIntra.parameters().size());
        Var lastFull = full.parameters().get(full.parameters().size() - 2);
        Var lastNoIntra = noIntra.parameters().get(noIntra.parameters().size() - 2);
        assertArrayEquals(lastFull.value.toArray(), lastNoIntra.value.toArray(), "modality 1's gate starts the same");
    }

    @Test
    void oneModalityFallsBackToItsOwnTokens() {
        Dataset d = tiny(1);
        HmaRec m = new HmaRec(d, tinyConfig(), tinyOptions());
        float loss = lossAtStart(m, TINY_BATCH);
        assertTrue(Float.isFinite(loss), "loss " + loss);
        // cross attention over the modality's own tokens plus the ID token still differs from none
        HmaRec.Options o = tinyOptions();
        o.cross = false;
        assertNotEquals(loss, lossAtStart(new HmaRec(d, tinyConfig(), o), TINY_BATCH), 1e-6);
        Map<String, Tensor> image = Map.of("image", data.modality("image"));
        TrainResult r = MultimodalTest.fit(new HmaRec(data.withModalities(image), new ModelConfig()), data.withModalities(image), 3);
        assertTrue(r.test.get("Recall@20") > popularityRecall, "one modality: " + r.test.get("Recall@20"));
    }

    @Test
    void sameSeedSameRun() {
        Dataset d = tiny(2);
        float a = trainedLoss(d), b = trainedLoss(d);
        assertEquals(a, b, 0f);
    }

    private static float trainedLoss(Dataset d) {
        HmaRec m = new HmaRec(d, tinyConfig(), tinyOptions());
        weft.autograd.optim.Adam opt = new weft.autograd.optim.Adam(m.parameters(), 0.05f);
        for (int s = 0; s < 5; s++) {
            opt.zeroGrad();
            Var l = m.loss(TINY_BATCH);
            l.backward();
            opt.step();
        }
        return lossAtStart(m, TINY_BATCH);
    }

    @Test
    void withoutFeatureVectorsSaysWhatItNeeds() {
        Dataset none = data.withModalities(Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HmaRec(none, new ModelConfig()));
        assertTrue(e.getMessage().contains("hmarec needs item feature vectors"), e.getMessage());
    }

    @Test
    void flagsReachTheOptions() {
        Args a = new Args().valued(Models.flagsOf("hmarec").toArray(new String[0]))
                .switches(Models.switchesOf("hmarec").toArray(new String[0]))
                .parse(new String[] {"--tokens", "2", "--cl-weight", "0.3", "--no-cross", "--input-norm", "l2"}, 0);
        Map<String, Object> o = Models.create("hmarec", data, new ModelConfig(), a).options();
        assertEquals(2, o.get("tokens"));
        assertEquals(0.3, (double) o.get("cl_weight"), 1e-6);
        assertEquals(false, o.get("cross"));
        assertEquals(true, o.get("intra"));
        assertEquals("l2", o.get("input_norm"));
        Args bad = new Args().valued("heads").parse(new String[] {"--heads", "5"}, 0);
        Args.UsageException e = assertThrows(Args.UsageException.class, () -> Models.create("hmarec", data, new ModelConfig(), bad));
        assertTrue(e.getMessage().contains("--heads 5"), e.getMessage());
        assertFalse(Models.ablationsOf("hmarec").isEmpty());
    }
}
