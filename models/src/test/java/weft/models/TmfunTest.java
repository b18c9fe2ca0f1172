package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import weft.autograd.GradCheck;
import weft.autograd.Var;
import weft.engine.Tensor;
import weft.models.data.Dataset;
import weft.models.options.Option;
import weft.models.options.OptionException;
import weft.models.options.Options;
import weft.models.train.TrainResult;

/** TMFUN: training on the bundled data, the gradient of its whole loss, its attention, options and errors. */
class TmfunTest {
    /** Tiny data, with a reg large enough that a wrong EmbLoss gradient shows. */
    static ModelConfig tinyConfig() {
        return Fixtures.tinyConfig(1e-2f);
    }

    static Options tinyOptions() {
        // A contrast weight large enough that a wrong contrast gradient shows beside BPR's.
        return Options.defaults().with(Tmfun.KNN_K, 2).with(Tmfun.FUSION_STEPS, 3).with(Tmfun.CL_WEIGHT, 0.5)
                .with(Tmfun.CL_TEMP, 0.5);
    }

    static float tinyLoss(Dataset d, Options o) {
        return Fixtures.lossAt(new Tmfun(d, tinyConfig(), o), Fixtures.REPEATS);
    }

    @Test
    void beatsPopularity() {
        Fixtures.assertBeatsPopularity(Tmfun.SPEC, 12, 1.2);
    }

    @Test
    void wholeLossGradientMatchesFiniteDifferences() {
        Tmfun m = new Tmfun(Fixtures.tiny(2), tinyConfig(), tinyOptions());
        // ID embeddings (query, item graph, LightGCN), both projections, the attention's query and key
        List<Var> checked = List.of(m.emb, m.proj[0].weight, m.proj[0].bias, m.proj[1].weight, m.query, m.key);
        m.loss(Fixtures.REPEATS).backward();
        for (Var p : checked) {
            Tensor g = p.grad();
            boolean nonZero = false;
            for (float v : g == null ? new float[0] : g.toArray()) {
                nonZero |= v != 0;
            }
            assertTrue(nonZero, p + " should be on the loss's path");
            p.zeroGrad();
        }
        GradCheck.checkLoss("tmfun loss", () -> m.loss(Fixtures.REPEATS), checked);
    }

    /**
     * --id-bpr w adds w times BPR on LightGCN's ID embeddings alone: the loss grows by exactly that
     * term (recomputed here from the ID rows), and the whole loss keeps a correct gradient.
     */
    @Test
    void idBprAddsTheIdOnlyTermAndKeepsTheGradient() {
        Dataset d = Fixtures.tiny(2);
        assertEquals(1.0, Options.defaults().get(Tmfun.ID_BPR), "TMFUN's default");
        assertEquals(0.0, Options.defaults().get(HmaRec.ID_BPR), "HMA-Rec keeps the shared default");
        Tmfun plain = new Tmfun(d, tinyConfig(), tinyOptions().with(Tmfun.ID_BPR, 0.0));
        Tmfun withId = new Tmfun(d, tinyConfig(), tinyOptions().with(Tmfun.ID_BPR, 0.5));
        var b = Fixtures.REPEATS;
        Var g = plain.forward().gcn();
        int u = plain.numUsers;
        int[] pos = new int[b.size()], neg = new int[b.size()];
        for (int r = 0; r < b.size(); r++) {
            pos[r] = b.pos()[r] + u;
            neg[r] = b.neg()[r] + u;
        }
        double expected = 0;
        for (int r = 0; r < b.size(); r++) {
            double x = 0;
            for (int c = 0; c < g.value.cols; c++) {
                x += (double) g.value.get(b.users()[r], c) * (g.value.get(pos[r], c) - g.value.get(neg[r], c));
            }
            expected += Math.log1p(Math.exp(-x)); // -log sigmoid(x)
        }
        expected = 0.5 * expected / b.size();
        assertEquals(expected, Fixtures.lossAt(withId, b) - Fixtures.lossAt(plain, b), 1e-5);

        List<Var> checked = List.of(withId.emb, withId.proj[0].weight, withId.query);
        GradCheck.checkLoss("tmfun loss with --id-bpr", () -> withId.loss(b), checked);
    }

    @Test
    void attentionWeighsModalitiesPerItem() {
        Dataset d = Fixtures.tiny(2);
        Tensor a = new Tmfun(d, tinyConfig(), tinyOptions()).attentionWeights();
        assertEquals(5, a.rows);
        assertEquals(2, a.cols);
        boolean varies = false;
        for (int i = 0; i < a.rows; i++) {
            assertEquals(1f, a.get(i, 0) + a.get(i, 1), 1e-6f, "item " + i + " weights sum to 1");
            varies |= Math.abs(a.get(i, 0) - a.get(0, 0)) > 1e-4f;
        }
        assertTrue(varies, "weights depend on the item");
        Tensor mean = new Tmfun(d, tinyConfig(), tinyOptions().with(Tmfun.EARLY_FUSION, false)).attentionWeights();
        for (float v : mean.toArray()) {
            assertEquals(0.5f, v, 0f);
        }
    }

    @Test
    void everyVariantChangesTheLossAndStillTrains() {
        Dataset d = Fixtures.tiny(2);
        float full = tinyLoss(d, tinyOptions());
        for (ModelSpec.Variant v : Tmfun.SPEC.ablations()) {
            assertNotEquals(full, tinyLoss(d, tinyOptions().with(v.options())), v.label() + " should change the loss");
        }
        Map<String, Options> other = new LinkedHashMap<>();
        other.put("--fusion-steps 2", Options.defaults().with(Tmfun.FUSION_STEPS, 2));
        other.put("--item-graph-ids true", Options.defaults().with(Tmfun.ITEM_GRAPH_IDS, true));
        other.put("--user-content false", Options.defaults().with(Tmfun.USER_CONTENT, false));
        other.put("--propagate-content true", Options.defaults().with(Tmfun.PROPAGATE_CONTENT, true));
        other.put("--item-graph-layers 2", Options.defaults().with(Tmfun.ITEM_GRAPH_LAYERS, 2));
        other.put("--leave-one-out false", Options.defaults().with(Tmfun.LEAVE_ONE_OUT, false));
        other.put("--item-graph-mean true", Options.defaults().with(Tmfun.ITEM_GRAPH_MEAN, true));
        other.put("--id-bpr 0", Options.defaults().with(Tmfun.ID_BPR, 0.0));
        other.forEach((label, o) -> assertNotEquals(full, tinyLoss(d, tinyOptions().with(o)), label + " should change the loss"));

        // Brief training on the bundled data: every ablation variant still learns beyond popularity.
        for (ModelSpec.Variant v : Tmfun.SPEC.ablations()) {
            TrainResult r = Fixtures.fit(Tmfun.SPEC.create(Fixtures.data(), Tmfun.SPEC.config(), v.options()), Fixtures.data(), 3);
            assertTrue(r.epochs.get(2).loss() < r.epochs.get(0).loss(), v.label() + ": loss should fall");
            assertTrue(r.test.get("Recall@20") > Fixtures.popularityRecall(),
                    v.label() + ": " + r.test.get("Recall@20") + " vs popularity " + Fixtures.popularityRecall());
        }
    }

    /**
     * --content-step s is a reparametrisation: the same initial model (s = 0.25 scales by powers
     * of two, so to the bit), but Adam's steps on the projections are s times smaller, so training
     * takes another path.
     */
    @Test
    void contentStepKeepsTheInitialModelAndChangesTraining() {
        Dataset d = Fixtures.tiny(2);
        Options quarter = tinyOptions().with(Tmfun.CONTENT_STEP, 0.25);
        assertEquals(tinyLoss(d, tinyOptions()), tinyLoss(d, quarter), 0f, "same initial embeddings, same loss");
        TrainResult a = Fixtures.fit(new Tmfun(Fixtures.data(), Tmfun.SPEC.config(), Options.defaults()), Fixtures.data(), 2);
        TrainResult b = Fixtures.fit(new Tmfun(Fixtures.data(), Tmfun.SPEC.config(), Options.defaults().with(Tmfun.CONTENT_STEP, 0.25)),
                Fixtures.data(), 2);
        assertNotEquals(a.epochs.get(1).loss(), b.epochs.get(1).loss(), "smaller projection steps, another second epoch");
    }

    @Test
    void sameSeedSameLossAndOneModalityNeedsNoAttention() {
        Dataset d = Fixtures.tiny(2);
        Tmfun a = new Tmfun(d, tinyConfig(), tinyOptions());
        assertEquals(tinyLoss(d, tinyOptions()), Fixtures.lossAt(a, Fixtures.REPEATS), 0f);
        // embedding, then W and b per modality, then query and key
        assertEquals(1 + 2 * 2 + 2, a.parameters().size());
        assertSame(a.query, a.parameters().get(5));

        Dataset imageOnly = d.withModalities(Map.of("image", d.modality("image")));
        float one = tinyLoss(imageOnly, tinyOptions());
        assertTrue(Float.isFinite(one) && one > 0, "one modality: loss " + one);
        assertEquals(one, tinyLoss(imageOnly, tinyOptions().with(Tmfun.EARLY_FUSION, false)), 0f,
                "one modality: attention over a single modality is the identity");
    }

    @Test
    void optionsReachTheModel() {
        Options parsed = Options.parse(Tmfun.SPEC.options(),
                Map.of("knn-k", "2", "fusion-steps", "2", "cl-weight", "0.1", "no-item-graph", "", "user-content", "false"));
        Map<String, Object> c = Tmfun.SPEC.config(tinyConfig(), parsed);
        assertEquals(2, c.get("fusion_steps"));
        assertEquals(0.1, (double) c.get("cl_weight"));
        assertEquals(false, c.get("item_graph"));
        assertEquals(false, c.get("user_content"));
        assertEquals(false, c.get("item_graph_ids"));
        assertEquals(true, c.get("leave_one_out"));
        assertEquals(false, c.get("propagate_content"));
        assertEquals(true, c.get("early_fusion"));
        assertEquals(1, c.get("item_graph_layers"));

        Options same = Options.defaults().with(Tmfun.KNN_K, 2).with(Tmfun.FUSION_STEPS, 2).with(Tmfun.CL_WEIGHT, 0.1)
                .with(Tmfun.ITEM_GRAPH, false).with(Tmfun.USER_CONTENT, false);
        Dataset d = Fixtures.tiny(2);
        float viaSpec = Fixtures.lossAt(Tmfun.SPEC.create(d, tinyConfig(), parsed), Fixtures.REPEATS);
        assertEquals(tinyLoss(d, same), viaSpec, 0f);
        assertNotEquals(tinyLoss(d, Options.defaults().with(Tmfun.KNN_K, 2)), viaSpec);

        for (Option<?> o : Tmfun.SPEC.searchSpace().keySet()) {
            assertTrue(o.searchSpace().contains(o.defaultValue()), o + "'s search space should contain its default");
        }
        assertEquals(List.of(1, 2, 3), Tmfun.FUSION_STEPS.searchSpace());
        assertSame(Tmfun.SPEC, Models.find("tmfun"));
        assertEquals(List.of("--no-early-fusion", "--no-item-graph", "--no-contrast", "--fusion-steps 1"),
                Tmfun.SPEC.ablations().stream().map(ModelSpec.Variant::label).toList());
    }

    @Test
    void badValuesFailNamingTheFlag() {
        List<Option<?>> declared = Tmfun.SPEC.options();
        for (String steps : List.of("4", "0")) {
            OptionException e = assertThrows(OptionException.class, () -> Options.parse(declared, Map.of("fusion-steps", steps)));
            assertTrue(e.getMessage().contains("--fusion-steps"), e.getMessage());
        }
        OptionException e = assertThrows(OptionException.class, () -> Options.parse(declared, Map.of("item-graph-ids", "yes")));
        assertTrue(e.getMessage().contains("--item-graph-ids"), e.getMessage());
        e = assertThrows(OptionException.class, () -> Options.parse(declared, Map.of("cl-temp", "0")));
        assertTrue(e.getMessage().contains("--cl-temp"), e.getMessage());
        e = assertThrows(OptionException.class, () -> Options.parse(declared, Map.of("item-graph-layers", "0")));
        assertTrue(e.getMessage().contains("--item-graph-layers"), e.getMessage());

        Dataset d = Fixtures.tiny(2);
        e = assertThrows(OptionException.class, () -> new Tmfun(d, tinyConfig(), Options.defaults().with(Tmfun.KNN_K, 6)));
        assertTrue(e.getMessage().contains("--knn-k"), e.getMessage());
        Dataset none = d.withModalities(Map.of());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new Tmfun(none, tinyConfig(), Options.defaults()));
        assertTrue(ex.getMessage().contains("tmfun needs item feature vectors"), ex.getMessage());
    }
}
