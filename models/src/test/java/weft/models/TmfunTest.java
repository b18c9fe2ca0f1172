package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.autograd.GradCheck;
import weft.autograd.Var;
import weft.engine.Tensor;
import weft.models.cli.Args;
import weft.models.data.Dataset;
import weft.models.eval.Evaluator;
import weft.models.train.TrainResult;

/** TMFUN: training on the bundled data, the gradient of its whole loss, its attention, switches and errors. */
class TmfunTest {
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
        TrainResult r = MultimodalTest.fit(new Tmfun(data, new ModelConfig()), data, 12);
        assertTrue(r.test.get("Recall@20") > 1.2 * popularityRecall,
                "TMFUN " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
    }

    static Tmfun.Options tinyOptions() {
        Tmfun.Options o = new Tmfun.Options();
        o.knnK = 2;
        o.fusionSteps = 3;
        o.clWeight = 0.5f; // large enough that a wrong contrast gradient shows beside BPR's
        o.clTemp = 0.5f;
        return o;
    }

    @Test
    void wholeLossGradientMatchesFiniteDifferences() {
        Tmfun m = new Tmfun(DpRecTest.tiny(), DpRecTest.tinyConfig(), tinyOptions());
        List<Var> ps = m.parameters();
        // embedding, image projection W and b, attention query and key
        int[] checked = {0, 1, 2, ps.size() - 2, ps.size() - 1};
        Tensor[] inputs = new Tensor[checked.length];
        for (int j = 0; j < checked.length; j++) {
            inputs[j] = ps.get(checked[j]).value;
        }
        GradCheck.check("tmfun loss", vars -> {
            Var[] p = m.parameterArray();
            for (int j = 0; j < checked.length; j++) {
                p[checked[j]] = vars[j];
            }
            return m.loss(DpRecTest.TINY_BATCH, p);
        }, inputs);
    }

    @Test
    void attentionWeighsModalitiesPerItem() {
        Tmfun m = new Tmfun(DpRecTest.tiny(), DpRecTest.tinyConfig(), tinyOptions());
        Tensor a = m.attentionWeights();
        assertEquals(5, a.rows);
        assertEquals(2, a.cols);
        boolean varies = false;
        for (int i = 0; i < a.rows; i++) {
            assertEquals(1f, a.get(i, 0) + a.get(i, 1), 1e-6f, "item " + i + " weights sum to 1");
            varies |= Math.abs(a.get(i, 0) - a.get(0, 0)) > 1e-4f;
        }
        assertTrue(varies, "weights depend on the item");
        Tmfun.Options o = tinyOptions();
        o.earlyFusion = false;
        Tensor mean = new Tmfun(DpRecTest.tiny(), DpRecTest.tinyConfig(), o).attentionWeights();
        for (float v : mean.toArray()) {
            assertEquals(0.5f, v, 0f);
        }
    }

    @Test
    void everySwitchChangesTheLossAndStillTrains() {
        Dataset d = DpRecTest.tiny();
        float full = new Tmfun(d, DpRecTest.tinyConfig(), tinyOptions()).loss(DpRecTest.TINY_BATCH).value.item();
        Map<String, Consumer<Tmfun.Options>> variants = new LinkedHashMap<>();
        variants.put("no-early-fusion", o -> o.earlyFusion = false);
        variants.put("no-item-graph", o -> o.itemGraph = false);
        variants.put("no-contrast", o -> o.contrast = false);
        variants.put("fusion-steps 1", o -> o.fusionSteps = 1);
        variants.put("fusion-steps 2", o -> o.fusionSteps = 2);
        variants.put("item graph without ID embeddings", o -> o.itemGraphIds = false);
        variants.put("content for users", o -> o.userContent = !o.userContent);
        variants.put("content through LightGCN", o -> o.propagateContent = !o.propagateContent);
        for (Map.Entry<String, Consumer<Tmfun.Options>> v : variants.entrySet()) {
            Tmfun.Options o = tinyOptions();
            v.getValue().accept(o);
            float loss = new Tmfun(d, DpRecTest.tinyConfig(), o).loss(DpRecTest.TINY_BATCH).value.item();
            assertNotEquals(full, loss, v.getKey() + " should change the loss");
        }
        String[][] flags = {{"--no-early-fusion"}, {"--no-item-graph"}, {"--no-contrast"}, {"--fusion-steps", "1"}};
        for (String[] f : flags) {
            Args a = new Args().valued(Tmfun.FLAGS.toArray(new String[0])).switches(Tmfun.SWITCHES.toArray(new String[0])).parse(f, 0);
            TrainResult r = MultimodalTest.fit(Models.create("tmfun", data, new ModelConfig(), a), data, 3);
            assertTrue(r.epochs.get(2).loss() < r.epochs.get(0).loss(), String.join(" ", f) + ": loss should fall");
            assertTrue(r.test.get("Recall@20") > popularityRecall,
                    String.join(" ", f) + ": " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
        }
    }

    @Test
    void sameSeedSameLossAndOneModalityWorks() {
        Dataset d = DpRecTest.tiny();
        float a = new Tmfun(d, DpRecTest.tinyConfig(), tinyOptions()).loss(DpRecTest.TINY_BATCH).value.item();
        float b = new Tmfun(d, DpRecTest.tinyConfig(), tinyOptions()).loss(DpRecTest.TINY_BATCH).value.item();
        assertEquals(a, b, 0f);
        Dataset imageOnly = d.withModalities(Map.of("image", d.modality("image")));
        float one = new Tmfun(imageOnly, DpRecTest.tinyConfig(), tinyOptions()).loss(DpRecTest.TINY_BATCH).value.item();
        assertTrue(Float.isFinite(one) && one > 0, "one modality: loss " + one);
    }

    @Test
    void flagsAndErrors() throws Exception {
        Args a = new Args().valued(Tmfun.FLAGS.toArray(new String[0])).switches(Tmfun.SWITCHES.toArray(new String[0]))
                .parse(new String[] {"--knn-k", "2", "--fusion-steps", "3", "--cl-weight", "0.1", "--no-item-graph", "--item-graph-ids", "false"}, 0);
        Map<String, Object> o = Models.create("tmfun", DpRecTest.tiny(), DpRecTest.tinyConfig(), a).options();
        assertEquals(3, o.get("fusion_steps"));
        assertEquals(0.1, (double) o.get("cl_weight"), 1e-7);
        assertEquals(false, o.get("item_graph"));
        assertEquals(false, o.get("item_graph_ids"));
        Args four = new Args().valued(Tmfun.FLAGS.toArray(new String[0])).parse(new String[] {"--fusion-steps", "4"}, 0);
        assertThrows(Args.UsageException.class, () -> Models.create("tmfun", DpRecTest.tiny(), DpRecTest.tinyConfig(), four));
        Args yes = new Args().valued(Tmfun.FLAGS.toArray(new String[0])).parse(new String[] {"--item-graph-ids", "yes"}, 0);
        assertThrows(Args.UsageException.class, () -> Models.create("tmfun", DpRecTest.tiny(), DpRecTest.tinyConfig(), yes));

        Path dir = tmp.resolve("novec");
        Files.createDirectories(dir);
        Files.copy(TrainingTest.TestData.dir().resolve("synthetic.inter"), dir.resolve("synthetic.inter"));
        Dataset none = Dataset.load(dir);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new Tmfun(none, new ModelConfig()));
        assertTrue(ex.getMessage().contains("tmfun needs item feature vectors"), ex.getMessage());
        assertEquals(4, Models.ablationsOf("tmfun").size());
    }
}
