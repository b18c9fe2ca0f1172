package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import weft.engine.Tensor;
import weft.models.cli.Args;
import weft.models.data.Dataset;
import weft.models.eval.Evaluator;
import weft.models.train.TrainResult;

/** CRANE: training on the bundled data, its gradient, its switches, its inputs. */
class CraneTest {
    static Dataset data;
    static double popularityRecall;

    @BeforeAll
    static void load() {
        data = Dataset.load(TrainingTest.TestData.dir());
        popularityRecall = new Evaluator(data).test(new Popularity(data).scorer()).get("Recall@20");
    }

    static Crane.Options tinyOptions() {
        Crane.Options o = new Crane.Options();
        o.heads = 2;
        o.knnK = 2;
        o.clWeight = 0.5f;
        return o;
    }

    static float lossAtStart(Recommender r) {
        try (NoGrad g = NoGrad.scope()) {
            return r.loss(HmaRecTest.TINY_BATCH).value.item();
        }
    }

    @Test
    void beatsPopularity() {
        TrainResult r = MultimodalTest.fit(new Crane(data, new ModelConfig()), data, 12);
        assertTrue(r.test.get("Recall@20") > 1.2 * popularityRecall,
                "CRANE test Recall@20 " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
    }

    @Test
    void gradientOfTheWholeLossMatchesFiniteDifferences() {
        Crane model = new Crane(HmaRecTest.tiny(2), HmaRecTest.tinyConfig(), tinyOptions());
        List<Var> params = model.parameters();
        // Order: ID table, the two modality projections (weight, bias each), joint (2), attention
        // (8), LayerNorm (2), output (2). Checked: the ID table, modality 0's projection, the joint
        // map, the attention's query and value weights, the LayerNorm gain and the output map.
        assertEquals(1 + 4 + 2 + 8 + 2 + 2, params.size());
        int[] checked = {0, 1, 2, 5, 7, 11, 15, 17};
        List<Tensor> inputs = new ArrayList<>();
        for (int i : checked) {
            inputs.add(params.get(i).value);
        }
        GradCheck.check("crane loss", vs -> {
            List<Var> p = new ArrayList<>(params);
            for (int k = 0; k < checked.length; k++) {
                p.set(checked[k], vs[k]);
            }
            return model.lossWith(HmaRecTest.TINY_BATCH, p);
        }, inputs.toArray(new Tensor[0]));
    }

    @Test
    void eachSwitchChangesTheLossAndStillTrains() {
        Dataset d = HmaRecTest.tiny(2);
        float full = lossAtStart(new Crane(d, HmaRecTest.tinyConfig(), tinyOptions()));
        Map<String, Consumer<Crane.Options>> switches = new LinkedHashMap<>();
        switches.put("rca-steps 0", o -> o.rcaSteps = 0);
        switches.put("rca-steps 1", o -> o.rcaSteps = 1);
        switches.put("no-profile", o -> o.profile = false);
        switches.put("no-semantic-graph", o -> o.semanticGraph = false);
        switches.put("no-contrast", o -> o.contrast = false);
        for (Map.Entry<String, Consumer<Crane.Options>> e : switches.entrySet()) {
            Crane.Options o = tinyOptions();
            e.getValue().accept(o);
            assertNotEquals(full, lossAtStart(new Crane(d, HmaRecTest.tinyConfig(), o)), 1e-6, e.getKey() + " should change the loss");
            Crane.Options big = new Crane.Options();
            e.getValue().accept(big);
            TrainResult r = MultimodalTest.fit(new Crane(data, new ModelConfig(), big), data, 4);
            assertTrue(r.epochs.get(3).loss() < r.epochs.get(0).loss(), e.getKey() + ": loss should fall, " + r.epochs);
            assertTrue(r.test.get("Recall@20") > popularityRecall,
                    e.getKey() + ": test Recall@20 " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
        }
    }

    @Test
    void zeroRcaStepsKeepsTheOtherInitialValues() {
        Dataset d = HmaRecTest.tiny(2);
        Crane full = new Crane(d, HmaRecTest.tinyConfig(), tinyOptions());
        Crane.Options o = tinyOptions();
        o.rcaSteps = 0;
        Crane plain = new Crane(d, HmaRecTest.tinyConfig(), o);
        assertEquals(full.parameters().size() - 12, plain.parameters().size(), "no joint map, attention or LayerNorm");
        List<Var> a = full.parameters(), b = plain.parameters();
        assertArrayEquals(a.get(a.size() - 2).value.toArray(), b.get(b.size() - 2).value.toArray(), "output map starts the same");
    }

    @Test
    void oneModalityAttendsToJointAndItself() {
        Dataset d = HmaRecTest.tiny(1);
        float loss = lossAtStart(new Crane(d, HmaRecTest.tinyConfig(), tinyOptions()));
        assertTrue(Float.isFinite(loss), "loss " + loss);
        Crane.Options o = tinyOptions();
        o.rcaSteps = 0;
        assertNotEquals(loss, lossAtStart(new Crane(d, HmaRecTest.tinyConfig(), o)), 1e-6);
    }

    @Test
    void sameSeedSameRun() {
        TrainResult a = MultimodalTest.fit(new Crane(data, new ModelConfig()), data, 2);
        TrainResult b = MultimodalTest.fit(new Crane(data, new ModelConfig()), data, 2);
        assertEquals(a.epochs.get(1).loss(), b.epochs.get(1).loss(), 0.0);
        assertEquals(a.test.asMap(), b.test.asMap());
    }

    @Test
    void withoutFeatureVectorsSaysWhatItNeeds() {
        Dataset none = data.withModalities(Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Crane(none, new ModelConfig()));
        assertTrue(e.getMessage().contains("crane needs item feature vectors"), e.getMessage());
    }

    @Test
    void flagsReachTheOptions() {
        Args a = new Args().valued(Models.flagsOf("crane").toArray(new String[0]))
                .switches(Models.switchesOf("crane").toArray(new String[0]))
                .parse(new String[] {"--rca-steps", "3", "--no-profile", "--knn-k", "5"}, 0);
        Map<String, Object> o = Models.create("crane", data, new ModelConfig(), a).options();
        assertEquals(3, o.get("rca_steps"));
        assertEquals(false, o.get("profile"));
        assertEquals(true, o.get("semantic_graph"));
        assertEquals(5, o.get("knn_k"));
        assertTrue(Models.ablationsOf("crane").contains(List.of("--rca-steps", "0")));
        Args bad = new Args().valued("cl-temp").parse(new String[] {"--cl-temp", "0"}, 0);
        assertThrows(Args.UsageException.class, () -> Models.create("crane", data, new ModelConfig(), bad));
    }
}
