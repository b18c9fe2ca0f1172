package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.autograd.GradCheck;
import weft.autograd.Var;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.cli.Args;
import weft.models.data.Dataset;
import weft.models.data.Split;
import weft.models.data.TrainBatches;
import weft.models.eval.Evaluator;
import weft.models.train.TrainResult;

/** DPRec: training on the bundled data, the gradient of its whole loss, its switches and its errors. */
class DpRecTest {
    static Dataset data;
    static double popularityRecall;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        data = Dataset.load(TrainingTest.TestData.dir());
        popularityRecall = new Evaluator(data).test(new Popularity(data).scorer()).get("Recall@20");
    }

    @Test
    void beatsPopularity() {
        TrainResult r = MultimodalTest.fit(new DpRec(data, new ModelConfig()), data, 12);
        assertTrue(r.test.get("Recall@20") > 1.2 * popularityRecall,
                "DPRec " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
    }

    /** 6 users, 5 items, two modalities of width 3. */
    static Dataset tiny() {
        int[] users = {0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 5};
        int[] items = {0, 1, 2, 1, 3, 0, 2, 4, 3, 4, 0, 1, 2, 3, 4};
        byte[] labels = {0, 0, 1, 0, 2, 0, 0, 1, 0, 2, 0, 1, 0, 0, 2};
        Split split = Split.fromLabels(6, 5, users, items, labels);
        Rng rng = new Rng(5);
        Map<String, Tensor> mods = new LinkedHashMap<>();
        mods.put("image", rng.normal(new Tensor(5, 3), 0f, 1f));
        mods.put("text", rng.normal(new Tensor(5, 3), 0f, 1f));
        return new Dataset("tiny", split, mods);
    }

    static ModelConfig tinyConfig() {
        ModelConfig mc = new ModelConfig();
        mc.dim = 4;
        mc.layers = 2;
        mc.reg = 1e-2f;
        mc.seed = 3;
        return mc;
    }

    static DpRec.Options tinyOptions() {
        DpRec.Options o = new DpRec.Options();
        o.knnK = 2;
        o.hyperedges = 3;
        o.hyperTemp = 0.5f;
        o.alignTemp = 0.5f;
        // Large enough that a wrong alignment gradient shows beside BPR's.
        o.itemAlign = 0.5f;
        o.userAlign = 0.5f;
        o.groupAlign = 0.5f;
        return o;
    }

    static final TrainBatches.Batch TINY_BATCH = new TrainBatches.Batch(new int[] {0, 1, 2, 3, 5, 0}, new int[] {0, 1, 4, 3, 2, 1},
            new int[] {3, 0, 1, 2, 0, 4});

    @Test
    void wholeLossGradientMatchesFiniteDifferences() {
        DpRec m = new DpRec(tiny(), tinyConfig(), tinyOptions());
        List<Var> ps = m.parameters();
        // embedding, image projection W, image gate W, image hyperedges, text hyperedges
        int[] checked = {0, 1, 3, 5, ps.size() - 1};
        Tensor[] inputs = new Tensor[checked.length];
        for (int j = 0; j < checked.length; j++) {
            inputs[j] = ps.get(checked[j]).value;
        }
        GradCheck.check("dprec loss", vars -> {
            Var[] p = m.parameterArray();
            for (int j = 0; j < checked.length; j++) {
                p[checked[j]] = vars[j];
            }
            return m.loss(TINY_BATCH, p);
        }, inputs);
    }

    @Test
    void everySwitchChangesTheLossAndStillTrains() {
        Dataset d = tiny();
        float full = new DpRec(d, tinyConfig(), tinyOptions()).loss(TINY_BATCH).value.item();
        Map<String, Consumer<DpRec.Options>> variants = new LinkedHashMap<>();
        variants.put("no-memory", o -> o.memory = false);
        variants.put("no-expansion", o -> o.expansion = false);
        variants.put("no-hypergraph", o -> o.hypergraph = false);
        variants.put("no item alignment", o -> o.alignLevels.remove("item"));
        variants.put("no user alignment", o -> o.alignLevels.remove("user"));
        variants.put("no group alignment", o -> o.alignLevels.remove("group"));
        for (Map.Entry<String, Consumer<DpRec.Options>> v : variants.entrySet()) {
            DpRec.Options o = tinyOptions();
            v.getValue().accept(o);
            float loss = new DpRec(d, tinyConfig(), o).loss(TINY_BATCH).value.item();
            assertNotEquals(full, loss, v.getKey() + " should change the loss");
        }
        // Brief training on the bundled data: every variant still learns something beyond popularity.
        String[][] flags = {{"--no-memory"}, {"--no-expansion"}, {"--no-hypergraph"}, {"--align-levels", ""}};
        for (String[] f : flags) {
            Args a = new Args().valued(DpRec.FLAGS.toArray(new String[0])).switches(DpRec.SWITCHES.toArray(new String[0])).parse(f, 0);
            TrainResult r = MultimodalTest.fit(Models.create("dprec", data, new ModelConfig(), a), data, 3);
            assertTrue(r.epochs.get(2).loss() < r.epochs.get(0).loss(), String.join(" ", f) + ": loss should fall");
            assertTrue(r.test.get("Recall@20") > popularityRecall,
                    String.join(" ", f) + ": " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
        }
    }

    @Test
    void sameSeedSameLossesAndOneModalityWorks() {
        Dataset d = tiny();
        DpRec a = new DpRec(d, tinyConfig(), tinyOptions());
        DpRec b = new DpRec(d, tinyConfig(), tinyOptions());
        assertEquals(a.loss(TINY_BATCH).value.item(), b.loss(TINY_BATCH).value.item(), 0f);
        assertArrayEquals(a.parameters().get(0).value.toArray(), b.parameters().get(0).value.toArray());

        Dataset textOnly = d.withModalities(Map.of("text", d.modality("text")));
        DpRec one = new DpRec(textOnly, tinyConfig(), tinyOptions());
        float l = one.loss(TINY_BATCH).value.item();
        assertTrue(Float.isFinite(l) && l > 0, "one modality: loss " + l);
    }

    @Test
    void flagsAndErrors() throws Exception {
        Args a = new Args().valued(DpRec.FLAGS.toArray(new String[0])).switches(DpRec.SWITCHES.toArray(new String[0]))
                .parse(new String[] {"--knn-k", "2", "--align-levels", "item,group", "--hyperedges", "5", "--hyper-temp", "0.3", "--no-hypergraph"}, 0);
        Recommender r = Models.create("dprec", tiny(), tinyConfig(), a);
        Map<String, Object> o = r.options();
        assertEquals("item,group", o.get("align_levels"));
        assertEquals(5, o.get("hyperedges"));
        assertEquals(false, o.get("hypergraph"));
        assertEquals(true, o.get("memory"));

        Args bad = new Args().valued(DpRec.FLAGS.toArray(new String[0])).parse(new String[] {"--align-levels", "item,moon"}, 0);
        Args.UsageException e = assertThrows(Args.UsageException.class, () -> Models.create("dprec", tiny(), tinyConfig(), bad));
        assertTrue(e.getMessage().contains("moon"), e.getMessage());
        Args both = new Args().switches(DpRec.SWITCHES.toArray(new String[0])).parse(new String[] {"--no-memory", "--no-expansion"}, 0);
        assertThrows(Args.UsageException.class, () -> Models.create("dprec", tiny(), tinyConfig(), both));

        Path dir = tmp.resolve("novec");
        Files.createDirectories(dir);
        Files.copy(TrainingTest.TestData.dir().resolve("synthetic.inter"), dir.resolve("synthetic.inter"));
        Dataset none = Dataset.load(dir);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new DpRec(none, new ModelConfig()));
        assertTrue(ex.getMessage().contains("dprec needs item feature vectors"), ex.getMessage());
        assertTrue(Models.names().contains("dprec"));
        assertEquals(6, Models.ablationsOf("dprec").size());
        assertTrue(new LinkedHashSet<>(Models.switchesOf("dprec")).containsAll(DpRec.SWITCHES));
    }
}
