package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import weft.autograd.GradCheck;
import weft.autograd.Var;
import weft.autograd.nn.Module;
import weft.autograd.optim.Adam;
import weft.engine.Tensor;
import weft.models.blocks.ContentSignal;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.options.OptionException;
import weft.models.options.Options;
import weft.models.train.TrainResult;

/** HMA-Rec: training on the bundled data, its gradient, its switches, its inputs, its options. */
class HmaRecTest {
    /** T = 2, 2 heads (d = 4) and a large alignment weight, so that the alignment term counts in the tiny checks. */
    static Options tinyOptions() {
        // k = 3: the tiny fixture has 5 items, fewer than the default item graph's 10 neighbours
        return Options.defaults().with(HmaRec.TOKENS, 2).with(HmaRec.HEADS, 2).with(HmaRec.CL_WEIGHT, 0.5).with(HmaRec.KNN_K, 3);
    }

    static HmaRec tiny(int modalities, Options o) {
        return new HmaRec(Fixtures.tiny(modalities), Fixtures.tinyConfig(), o);
    }

    @Test
    void beatsPopularity() {
        Fixtures.assertBeatsPopularity(HmaRec.SPEC, 4, 1.2);
    }

    @Test
    void gradientOfTheWholeLossMatchesFiniteDifferences() {
        HmaRec model = tiny(2, tinyOptions());
        // the ID table, then per modality: token projection (1 tensor), positions (1), intra MHA (8)
        // and LayerNorm (2), cross MHA (8) and LayerNorm (2), gate (2)
        assertEquals(1 + 2 * 24, model.parameters().size());
        // A path through every level, the LightGCN part and the alignment term.
        List<Var> checked = List.of(model.emb, model.tokenize[0].weight, model.pos[0], model.intra[0].wq.weight,
                model.intraNorm[0].gamma, model.crossNorm[0].gamma, model.gates[0].proj.weight,
                model.intra[1].wq.weight, model.cross[1].wq.weight);
        assertTrue(model.parameters().containsAll(checked));
        model.loss(Fixtures.TINY_BATCH).backward();
        for (Var p : checked) {
            assertTrue(nonZero(p.grad()), p + " must be on the loss's path");
            p.zeroGrad();
        }
        GradCheck.checkLoss("hmarec loss", () -> model.loss(Fixtures.TINY_BATCH), checked);
    }

    @Test
    void itemGraphAddsToTheItemsOnlyAndItsGradientMatchesFiniteDifferences() {
        Options graph = tinyOptions().with(HmaRec.ITEM_GRAPH_LAYERS, 1);
        HmaRec with = tiny(2, graph), without = tiny(2, tinyOptions().with(HmaRec.ITEM_GRAPH_LAYERS, 0));
        // the graph is built from the features, nothing is drawn for it: the same parameters, the same values
        assertEquals(without.parameters().size(), with.parameters().size());
        for (int i = 0; i < with.parameters().size(); i++) {
            assertArrayEquals(without.parameters().get(i).value.toArray(), with.parameters().get(i).value.toArray());
        }
        Tensor a = with.forward(with.content().fused()).value, b = without.forward(without.content().fused()).value;
        int users = Fixtures.tiny(2).numUsers(), d = a.cols;
        float[] av = a.toArray(), bv = b.toArray();
        for (int i = 0; i < users * d; i++) {
            assertEquals(Float.floatToIntBits(bv[i]), Float.floatToIntBits(av[i]), "user value " + i + " changed");
        }
        boolean itemsDiffer = false;
        for (int i = users * d; i < av.length; i++) itemsDiffer |= av[i] != bv[i];
        assertTrue(itemsDiffer, "the item graph's term is missing from the items");
        GradCheck.checkLoss("hmarec with its item graph", () -> with.loss(Fixtures.TINY_BATCH), List.of(with.emb));
        assertThrows(OptionException.class, () -> tiny(2, tinyOptions().with(HmaRec.ITEM_GRAPH_LAYERS, 1).with(HmaRec.KNN_K, 100_000)));
    }

    @Test
    void itemGraphWeightIsTheSquaredContentWeight() {
        assertEquals(1f, HmaRec.graphWeight(null), "without --adapt-scale the graph term is not weighted");
        for (double lift : new double[] {1.0, 1.29, 1.5, 2.0, 3.0, Double.NaN}) {
            ContentSignal.Measured m = new ContentSignal.Measured(Map.of("image", lift), lift, ContentSignal.weight(lift));
            float w = (float) ContentSignal.weight(lift);
            assertEquals(w * w, HmaRec.graphWeight(m), 0f, "lift " + lift);
        }
        assertEquals(0.29f * 0.29f, HmaRec.graphWeight(new ContentSignal.Measured(Map.of(), 1.29, 0.29)), 1e-7f);
    }

    static boolean nonZero(Tensor g) {
        if (g != null) {
            for (float x : g.toArray()) {
                if (x != 0) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void eachSwitchChangesTheLossAndStillTrains() {
        assertEquals(List.of("--no-intra", "--no-cross", "--no-gate", "--no-align"),
                HmaRec.SPEC.ablations().stream().map(ModelSpec.Variant::label).toList());
        float full = Fixtures.lossAt(tiny(2, tinyOptions()), Fixtures.TINY_BATCH);
        Dataset data = Fixtures.data();
        ModelConfig small = new ModelConfig();   // d = 32 and T = 2 keep four trainings short
        small.dim = 32;
        for (ModelSpec.Variant v : HmaRec.SPEC.ablations()) {
            float off = Fixtures.lossAt(tiny(2, tinyOptions().with(v.options())), Fixtures.TINY_BATCH);
            assertNotEquals(full, off, 1e-6, v.label() + " should change the loss");
            TrainResult r = Fixtures.fit(new HmaRec(data, small, v.options().with(HmaRec.TOKENS, 2)), data, 2);
            assertTrue(r.epochs.get(1).loss() < r.epochs.get(0).loss(), v.label() + ": loss should fall, " + r.epochs);
            assertTrue(r.test.get("Recall@20") > Fixtures.popularityRecall(),
                    v.label() + ": test Recall@20 " + r.test.get("Recall@20") + " vs popularity " + Fixtures.popularityRecall());
        }
        assertNotEquals(full, Fixtures.lossAt(tiny(2, tinyOptions().with(HmaRec.LEAVE_ONE_OUT, true)), Fixtures.TINY_BATCH), 1e-6,
                "--leave-one-out true should change the loss");
    }

    @Test
    void switchesKeepTheInitialValuesOfTheLayersTheyKeep() {
        HmaRec full = tiny(2, tinyOptions());
        HmaRec noIntra = tiny(2, tinyOptions().with(HmaRec.INTRA, false));
        // each modality loses its intra MHA (8 tensors) and LayerNorm (2)
        assertEquals(full.parameters().size() - 2 * 10, noIntra.parameters().size());
        HmaRec noGate = tiny(2, tinyOptions().with(HmaRec.GATE, false));
        assertEquals(full.parameters().size() - 2 * 2, noGate.parameters().size());
        for (int m = 0; m < 2; m++) {
            assertNull(noIntra.intra[m]);
            assertNull(noIntra.intraNorm[m]);
            assertNull(noGate.gates[m]);
            assertSameStart(full.cross[m], noIntra.cross[m], "cross attention " + m);
            assertSameStart(full.gates[m], noIntra.gates[m], "gate " + m);
            assertSameStart(full.intra[m], noGate.intra[m], "intra attention " + m);
            assertSameStart(full.tokenize[m], noGate.tokenize[m], "token projection " + m);
        }
        assertArrayEquals(full.emb.value.toArray(), noIntra.emb.value.toArray());
    }

    static void assertSameStart(Module a, Module b, String what) {
        List<Var> pa = a.parameters(), pb = b.parameters();
        assertEquals(pa.size(), pb.size(), what);
        for (int i = 0; i < pa.size(); i++) {
            assertArrayEquals(pa.get(i).value.toArray(), pb.get(i).value.toArray(), what + " starts the same");
        }
    }

    @Test
    void oneModalityFallsBackToItsOwnTokens() {
        float loss = Fixtures.lossAt(tiny(1, tinyOptions()), Fixtures.TINY_BATCH);
        assertTrue(Float.isFinite(loss), "loss " + loss);
        // cross attention over the modality's own tokens plus the ID token still differs from none
        assertNotEquals(loss, Fixtures.lossAt(tiny(1, tinyOptions().with(HmaRec.CROSS, false)), Fixtures.TINY_BATCH), 1e-6);
        // and there is nothing to align
        assertEquals(loss, Fixtures.lossAt(tiny(1, tinyOptions().with(HmaRec.ALIGN, false)), Fixtures.TINY_BATCH), 0f);
        Dataset image = Fixtures.data().withModalities(Map.of("image", Fixtures.data().modality("image")));
        TrainResult r = Fixtures.fit(new HmaRec(image, new ModelConfig(), Options.defaults()), image, 3);
        assertTrue(r.test.get("Recall@20") > Fixtures.popularityRecall(), "one modality: " + r.test.get("Recall@20"));
    }

    @Test
    void sameSeedSameRun() {
        float a = trainedLoss(3), b = trainedLoss(3);
        assertEquals(a, b, 0f);
        assertNotEquals(a, trainedLoss(4), "another seed starts elsewhere");
    }

    private static float trainedLoss(long seed) {
        return trainedLoss(seed, tinyOptions());
    }

    private static float trainedLoss(long seed, Options o) {
        ModelConfig cfg = Fixtures.tinyConfig();
        cfg.seed = seed;
        return Fixtures.lossAfterSteps(new HmaRec(Fixtures.tiny(2), cfg, o), 5);
    }

    /**
     * --content-step s is a reparametrisation of the token projections: the same initial model
     * (s = 0.25 scales by powers of two, so to the bit), but Adam's steps on the projections are s
     * times smaller, so training takes another path.
     */
    @Test
    void contentStepKeepsTheInitialModelAndChangesTraining() {
        Options quarter = tinyOptions().with(HmaRec.CONTENT_STEP, 0.25);
        assertEquals(Fixtures.lossAt(tiny(2, tinyOptions()), Fixtures.TINY_BATCH),
                Fixtures.lossAt(tiny(2, quarter), Fixtures.TINY_BATCH), 0f, "same initial tokens, same loss");
        assertNotEquals(trainedLoss(3, tinyOptions()), trainedLoss(3, quarter), "smaller projection steps, another path");
    }

    /**
     * --learn-scale: the content term gets a learned scalar g that starts at 1, so the initial loss
     * is the fixed-scale model's to the bit; g is a parameter on the loss's path with a correct
     * gradient, moves in training, and is reported among the trained facts.
     */
    @Test
    void learnedScaleStartsAtOneAndTrains() {
        HmaRec fixed = tiny(2, tinyOptions());
        HmaRec learned = tiny(2, tinyOptions().with(HmaRec.LEARN_SCALE, true));
        assertNull(fixed.gain);
        assertEquals(fixed.parameters().size() + 1, learned.parameters().size());
        assertTrue(learned.parameters().contains(learned.gain));
        var b = Fixtures.TINY_BATCH;
        assertEquals(Fixtures.lossAt(fixed, b), Fixtures.lossAt(learned, b), 0f, "g = 1: the same loss");
        learned.loss(b).backward();
        assertTrue(nonZero(learned.gain.grad()), "g must be on the loss's path");
        learned.gain.zeroGrad();
        GradCheck.checkLoss("hmarec loss with --learn-scale", () -> learned.loss(b), List.of(learned.gain, learned.emb, learned.tokenize[0].weight));
        Adam opt = new Adam(learned.parameters(), 0.05f);
        for (int s = 0; s < 3; s++) {
            opt.zeroGrad();
            learned.loss(b).backward();
            opt.step();
        }
        float g = learned.gain.value.item();
        assertNotEquals(1f, g, "training moves g");
        assertEquals(g, learned.trainedFacts().get("content_gain"));
        assertFalse(fixed.trainedFacts().containsKey("content_gain"));
    }

    /** --id-bpr w adds w times BPR on LightGCN's ID embeddings alone, with a correct gradient. */
    @Test
    void idBprAddsTheIdOnlyTermAndKeepsTheGradient() {
        HmaRec plain = tiny(2, tinyOptions());
        HmaRec withId = tiny(2, tinyOptions().with(HmaRec.ID_BPR, 0.5));
        var b = Fixtures.TINY_BATCH;
        Var idOnly = weft.models.blocks.Bpr.ofRows(plain.embeddings(plain.content().fused()).gcn(), b, Fixtures.tiny(2).numUsers());
        assertEquals(0.5 * idOnly.value.get(0, 0), Fixtures.lossAt(withId, b) - Fixtures.lossAt(plain, b), 1e-5);
        GradCheck.checkLoss("hmarec loss with --id-bpr", () -> withId.loss(b), List.of(withId.emb, withId.tokenize[0].weight));
    }

    @Test
    void withoutFeatureVectorsSaysWhatItNeeds() {
        Dataset none = Fixtures.data().withModalities(Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HmaRec(none, new ModelConfig(), Options.defaults()));
        assertTrue(e.getMessage().contains("hmarec needs item feature vectors"), e.getMessage());
    }

    @Test
    void flagsReachTheModel() {
        Options o = Options.parse(HmaRec.SPEC.options(),
                Map.of("tokens", "2", "cl-weight", "0.3", "no-cross", "", "input-norm", "l2", "knn-k", "3"));
        Map<String, Object> c = HmaRec.SPEC.config(new ModelConfig(), o);
        assertEquals(2, c.get("tokens"));
        assertEquals(0.3, (double) c.get("cl_weight"), 0);
        assertEquals(false, c.get("cross"));
        assertEquals(true, c.get("intra"));
        assertEquals("l2", c.get("input_norm"));
        assertEquals(64, c.get("dim"));
        HmaRec m = (HmaRec) HmaRec.SPEC.create(Fixtures.tiny(2), Fixtures.tinyConfig(), o);
        assertEquals(2 * 4, m.tokenize[0].weight.value.rows, "T = 2 tokens of d = 4");
        assertNull(m.cross[0]);
        Options same = Options.defaults().with(HmaRec.TOKENS, 2).with(HmaRec.CL_WEIGHT, 0.3).with(HmaRec.CROSS, false)
                .with(HmaRec.INPUT_NORM, FeatureNorm.L2).with(HmaRec.KNN_K, 3);
        assertEquals(Fixtures.lossAt(m, Fixtures.TINY_BATCH), Fixtures.lossAt(tiny(2, same), Fixtures.TINY_BATCH), 0f);
    }

    @Test
    void badValuesAreRefusedNamingTheFlag() {
        Options heads5 = Options.parse(HmaRec.SPEC.options(), Map.of("heads", "5"));
        OptionException e = assertThrows(OptionException.class,
                () -> HmaRec.SPEC.create(Fixtures.data(), new ModelConfig(), heads5));
        assertTrue(e.getMessage().contains("--heads 5") && e.getMessage().contains("--dim 64"), e.getMessage());
        for (Map.Entry<String, String> bad : Map.of("tokens", "0", "cl-temp", "0", "cl-weight", "-1", "content-scale", "-0.5",
                "input-norm", "cube", "feature-dropout", "1").entrySet()) {
            OptionException b = assertThrows(OptionException.class, () -> Options.parse(HmaRec.SPEC.options(), Map.ofEntries(bad)));
            assertTrue(b.getMessage().contains("--" + bad.getKey()), b.getMessage());
        }
    }
}
