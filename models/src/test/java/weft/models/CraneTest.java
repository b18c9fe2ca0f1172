package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import weft.autograd.GradCheck;
import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.engine.Tensor;
import weft.models.blocks.ContentScale;
import weft.models.blocks.Tokens;
import weft.models.data.Dataset;
import weft.models.options.OptionException;
import weft.models.options.Options;
import weft.models.train.TrainResult;

/** CRANE: training on the bundled data, its gradient, its switches, its inputs, its options. */
class CraneTest {
    /** 2 heads (d = 4), k = 2 of the 5 items, a large contrast weight: the tiny datasets' options. */
    static Options tinyOptions() {
        return Options.defaults().with(Crane.HEADS, 2).with(Crane.KNN_K, 2).with(Crane.CL_WEIGHT, 0.5);
    }

    static Crane tiny(int modalities, Options o) {
        return new Crane(Fixtures.tiny(modalities), Fixtures.tinyConfig(), o);
    }

    @Test
    void beatsPopularity() {
        Fixtures.assertBeatsPopularity(Crane.SPEC, 4, 1.2);
    }

    @Test
    void gradientOfTheWholeLossMatchesFiniteDifferences() {
        gradientMatches(tiny(2, tinyOptions()));
    }

    /**
     * --learn-scale: s gets a learned scalar g that starts at 1 (the initial loss is the fixed-scale
     * model's to the bit), on the loss's path with a correct gradient; training moves it and the
     * trained facts report it.
     */
    @Test
    void learnedScaleStartsAtOneAndTrains() {
        Crane fixed = tiny(2, tinyOptions());
        Crane learned = tiny(2, tinyOptions().with(Crane.LEARN_SCALE, true));
        assertEquals(null, fixed.gain);
        assertEquals(fixed.parameters().size() + 1, learned.parameters().size());
        var b = Fixtures.TINY_BATCH;
        assertEquals(Fixtures.lossAt(fixed, b), Fixtures.lossAt(learned, b), 0f, "g = 1: the same loss");
        learned.loss(b).backward();
        assertTrue(HmaRecTest.nonZero(learned.gain.grad()), "g must be on the loss's path");
        learned.gain.zeroGrad();
        GradCheck.checkLoss("crane loss with --learn-scale", () -> learned.loss(b), List.of(learned.gain, learned.emb, learned.proj[0].weight));
        weft.autograd.optim.Adam opt = new weft.autograd.optim.Adam(learned.parameters(), 0.05f);
        for (int s = 0; s < 3; s++) {
            opt.zeroGrad();
            learned.loss(b).backward();
            opt.step();
        }
        float g = learned.gain.value.item();
        assertTrue(g != 1f, "training moves g");
        assertEquals(g, learned.trainedFacts().get("content_gain"));
    }

    /**
     * --leave-one-out: each positive is scored against Z_u + (mean of s over N(u) without p, minus p_u) / (L + 1), the
     * profile's layer-0 term without the positive, and nothing else changes. Checked against that
     * formula in doubles on the tiny data (every user has two items, so the left-out mean is the other
     * item's s), and its gradient against finite differences.
     */
    @Test
    void leaveOneOutReplacesTheProfilesLayerZeroTerm() {
        Crane plain = tiny(2, tinyOptions().with(Crane.LEAVE_ONE_OUT, false));
        Crane loo = tiny(2, tinyOptions().with(Crane.LEAVE_ONE_OUT, true));
        var b = Fixtures.TINY_BATCH;
        float lossPlain = Fixtures.lossAt(plain, b), lossLoo = Fixtures.lossAt(loo, b);
        Dataset tiny = Fixtures.tiny(2);
        int[] tu = tiny.trainUsers(), ti = tiny.trainItems();
        int users = tiny.numUsers(), layers = Fixtures.tinyConfig().layers, d = Fixtures.tinyConfig().dim;
        double expected = 0;
        try (NoGrad g = NoGrad.scope()) {
            Crane.Views v = loo.views();
            float[] all = loo.combine(v).value.toArray(), s = v.s().value.toArray(), p = v.p().value.toArray();
            for (int r = 0; r < b.size(); r++) {
                int u = b.users()[r], pos = b.pos()[r], neg = b.neg()[r];
                int other = -1;   // the user's one training item besides the positive (two each in the tiny data)
                for (int e = 0; e < tu.length; e++) {
                    if (tu[e] == u && ti[e] != pos) {
                        assertEquals(-1, other, "user " + u + " must have exactly two training items");
                        other = ti[e];
                    }
                }
                double sPlain = 0, sLoo = 0, sNeg = 0;
                for (int c = 0; c < d; c++) {
                    double zu = all[u * d + c];
                    double zLoo = zu + (s[other * d + c] - p[u * d + c]) / (layers + 1);
                    sPlain += zu * all[(users + pos) * d + c];
                    sLoo += zLoo * all[(users + pos) * d + c];
                    sNeg += zu * all[(users + neg) * d + c];
                }
                expected += (Math.log1p(Math.exp(-(sLoo - sNeg))) - Math.log1p(Math.exp(-(sPlain - sNeg)))) / b.size();
            }
        }
        assertTrue(Math.abs(expected) > 1e-4, "the tiny batch must show the difference: " + expected);
        assertEquals(expected, lossLoo - lossPlain, 1e-5, "loss with --leave-one-out minus the loss without");
        GradCheck.checkLoss("crane loss with --leave-one-out", () -> loo.loss(b), List.of(loo.emb, loo.proj[0].weight, loo.out.weight));
        Crane noProfile = tiny(2, tinyOptions().with(Crane.PROFILE, false).with(Crane.LEAVE_ONE_OUT, false));
        assertEquals(Fixtures.lossAt(noProfile, b),
                Fixtures.lossAt(tiny(2, tinyOptions().with(Crane.PROFILE, false).with(Crane.LEAVE_ONE_OUT, true)), b), 0f,
                "without profiles there is nothing to leave out");
    }

    @Test
    void gradientMatchesUnderBothReadingsOfTheJointVector() {
        // R = 3, so that J(1) and J(2) are rebuilt from refined modalities under the recursive
        // reading, and J(0) is reused twice under the fixed one; the default reading is covered above.
        for (Crane.Joint j : Crane.Joint.values()) {
            gradientMatches(tiny(2, tinyOptions().with(Crane.JOINT, j).with(Crane.RCA_STEPS, 3)));
        }
    }

    @Test
    void theTwoReadingsOfTheJointVectorDifferFromTwoStepsOnAndAgreeBelow() {
        // Step 0 builds J from v(0) under both readings, so R = 0 and R = 1 are the same model; from
        // R = 2 the recursive J(1) is built from v(1), the fixed one stays J(0).
        for (int modalities = 1; modalities <= 2; modalities++) {
            for (int steps = 0; steps <= 3; steps++) {
                Options base = tinyOptions().with(Crane.RCA_STEPS, steps);
                Crane rec = tiny(modalities, base.with(Crane.JOINT, Crane.Joint.RECURSIVE));
                Crane fix = tiny(modalities, base.with(Crane.JOINT, Crane.Joint.FIXED));
                float[] sr, sf;
                try (NoGrad g = NoGrad.scope()) {
                    sr = rec.semantics().value.toArray();
                    sf = fix.semantics().value.toArray();
                }
                String what = modalities + " modalities, R = " + steps;
                if (steps < 2) {
                    assertArrayEquals(sf, sr, 0f, what + ": the readings must agree");
                    assertEquals(Fixtures.lossAt(fix, Fixtures.TINY_BATCH), Fixtures.lossAt(rec, Fixtures.TINY_BATCH), 0f, what);
                } else {
                    double diff = 0;
                    for (int i = 0; i < sr.length; i++) {
                        diff = Math.max(diff, Math.abs(sr[i] - sf[i]));
                    }
                    assertTrue(diff > 1e-4, what + ": the readings must differ, max |s_rec - s_fix| " + diff);
                    assertNotEquals(Fixtures.lossAt(fix, Fixtures.TINY_BATCH), Fixtures.lossAt(rec, Fixtures.TINY_BATCH), 1e-7, what);
                }
            }
        }
    }

    @Test
    void jointReadingFlagReachesTheModelAndTheReport() {
        assertEquals(Crane.Joint.RECURSIVE, Options.parse(Crane.SPEC.options(), Map.of("joint", "recursive")).get(Crane.JOINT));
        Options fixed = Options.parse(Crane.SPEC.options(), Map.of("joint", "fixed"));
        assertEquals("fixed", Crane.SPEC.config(new ModelConfig(), fixed).get("joint"));
        OptionException e = assertThrows(OptionException.class, () -> Options.parse(Crane.SPEC.options(), Map.of("joint", "once")));
        assertTrue(e.getMessage().contains("--joint"), e.getMessage());
    }

    private static void gradientMatches(Crane model) {
        // the ID table, the two modality projections (weight, bias each), joint (2), attention (8),
        // LayerNorm (2), output (2)
        assertEquals(1 + 4 + 2 + 8 + 2 + 2, model.parameters().size());
        // RCA end to end (projection, joint map, attention queries and values, LayerNorm, output),
        // and through s and the ID table both views, the profiles and the contrast term.
        List<Var> checked = List.of(model.emb, model.proj[0].weight, model.proj[0].bias, model.joint.weight,
                model.attention.wq.weight, model.attention.wv.weight, model.norm.gamma, model.out.weight);
        assertTrue(model.parameters().containsAll(checked));
        model.loss(Fixtures.TINY_BATCH).backward();
        for (Var p : checked) {
            assertTrue(HmaRecTest.nonZero(p.grad()), p + " must be on the loss's path");
            p.zeroGrad();
        }
        GradCheck.checkLoss("crane loss", () -> model.loss(Fixtures.TINY_BATCH), checked);
    }

    @Test
    void eachSwitchChangesTheLossAndStillTrains() {
        assertEquals(List.of("--no-profile", "--no-semantic-graph", "--no-contrast", "--rca-steps 0"),
                Crane.SPEC.ablations().stream().map(ModelSpec.Variant::label).toList());
        List<Options> variants = new ArrayList<>();
        Crane.SPEC.ablations().forEach(v -> variants.add(v.options()));
        variants.add(Options.defaults().with(Crane.RCA_STEPS, 1));
        Crane.Joint other = Crane.JOINT.defaultValue() == Crane.Joint.FIXED ? Crane.Joint.RECURSIVE : Crane.Joint.FIXED;
        variants.add(Options.defaults().with(Crane.JOINT, other));   // the reading that is not the default
        float full = Fixtures.lossAt(tiny(2, tinyOptions()), Fixtures.TINY_BATCH);
        Dataset data = Fixtures.data();
        ModelConfig small = new ModelConfig();   // d = 32 keeps five trainings short
        small.dim = 32;
        for (Options v : variants) {
            float off = Fixtures.lossAt(tiny(2, tinyOptions().with(v)), Fixtures.TINY_BATCH);
            assertNotEquals(full, off, 1e-6, v + " should change the loss");
            TrainResult r = Fixtures.fit(new Crane(data, small, v), data, 4);
            assertTrue(r.epochs.get(3).loss() < r.epochs.get(0).loss(), v + ": loss should fall, " + r.epochs);
            assertTrue(r.test.get("Recall@20") > Fixtures.popularityRecall(),
                    v + ": test Recall@20 " + r.test.get("Recall@20") + " vs popularity " + Fixtures.popularityRecall());
        }
    }

    @Test
    void zeroRcaStepsKeepsTheOtherInitialValues() {
        Crane full = tiny(2, tinyOptions());
        Crane plain = tiny(2, tinyOptions().with(Crane.RCA_STEPS, 0));
        assertEquals(full.parameters().size() - 12, plain.parameters().size(), "no joint map, attention or LayerNorm");
        assertNull(plain.joint);
        assertNull(plain.attention);
        assertNull(plain.norm);
        HmaRecTest.assertSameStart(full.out, plain.out, "output map");
        HmaRecTest.assertSameStart(full.proj[1], plain.proj[1], "projection 1");
        assertArrayEquals(full.emb.value.toArray(), plain.emb.value.toArray());
    }

    @Test
    void keyTokensProjectedOnceGiveTheValuesOfProjectingEachSequence() {
        // semantics() projects J and each modality once per step and places the projected rows in
        // every key sequence that holds them; the reference projects each modality's key sequence
        // whole, as the recursion is written. A linear layer maps each row on its own, so the
        // values must agree to the bit (only the gradients' summation order differs).
        for (int modalities = 1; modalities <= 2; modalities++) {
            for (Crane.Joint j : Crane.Joint.values()) {
                for (int steps = 1; steps <= 3; steps++) {
                    Crane c = tiny(modalities, tinyOptions().with(Crane.JOINT, j).with(Crane.RCA_STEPS, steps));
                    try (NoGrad g = NoGrad.scope()) {
                        assertArrayEquals(semanticsProjectingEachSequence(c, j).toArray(), c.semantics().value.toArray(), 0f,
                                modalities + " modalities, " + j + ", R = " + steps);
                    }
                }
            }
        }
    }

    /** CRANE's s with each key sequence [J ; v_o, o != m] projected whole by the attention's wk and wv. */
    private static Tensor semanticsProjectingEachSequence(Crane c, Crane.Joint reading) {
        int mods = c.features.length, dim = c.attention.dim;
        Var[] v = new Var[mods];
        for (int m = 0; m < mods; m++) {
            v[m] = c.proj[m].forward(c.features[m]);   // no feature dropout (the default, and no training step)
        }
        Var j = null;
        for (int step = 0; step < c.opts.get(Crane.RCA_STEPS); step++) {
            if (j == null || reading == Crane.Joint.RECURSIVE) {
                j = c.joint.forward(mods == 1 ? v[0] : ShapeOps.concatCols(v));
            }
            Var[] next = new Var[mods];
            for (int m = 0; m < mods; m++) {
                List<Var> keys = new ArrayList<>();
                keys.add(j);
                for (int o = 0; o < mods; o++) {
                    if (o != m || mods == 1) {
                        keys.add(v[o]);
                    }
                }
                Var kv = Tokens.sequences(dim, keys.toArray(new Var[0]));
                next[m] = c.norm.forward(Ops.add(v[m], c.attention.forward(v[m], 1, kv, kv, keys.size(), null)));
            }
            v = next;
        }
        Var s = c.out.forward(mods == 1 ? v[0] : ShapeOps.concatCols(v));
        return ContentScale.apply(s, c.contentScale, c.gain).value;
    }

    @Test
    void oneModalityAttendsToJointAndItself() {
        float loss = Fixtures.lossAt(tiny(1, tinyOptions()), Fixtures.TINY_BATCH);
        assertTrue(Float.isFinite(loss), "loss " + loss);
        assertNotEquals(loss, Fixtures.lossAt(tiny(1, tinyOptions().with(Crane.RCA_STEPS, 0)), Fixtures.TINY_BATCH), 1e-6);
    }

    @Test
    void sameSeedSameRun() {
        Dataset d = Fixtures.tiny(2);
        TrainResult a = Fixtures.fit(tiny(2, tinyOptions()), d, 5);
        TrainResult b = Fixtures.fit(tiny(2, tinyOptions()), d, 5);
        for (int e = 0; e < 5; e++) {
            assertEquals(a.epochs.get(e).loss(), b.epochs.get(e).loss(), 0.0);
        }
        assertEquals(a.test.asMap(), b.test.asMap());
        ModelConfig other = Fixtures.tinyConfig();
        other.seed = 4;
        TrainResult c = Fixtures.fit(new Crane(d, other, tinyOptions()), d, 5);
        assertNotEquals(a.epochs.get(4).loss(), c.epochs.get(4).loss(), "another seed starts elsewhere");
    }

    @Test
    void withoutFeatureVectorsSaysWhatItNeeds() {
        Dataset none = Fixtures.data().withModalities(Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Crane(none, new ModelConfig(), Options.defaults()));
        assertTrue(e.getMessage().contains("crane needs item feature vectors"), e.getMessage());
    }

    @Test
    void flagsReachTheModel() {
        Options o = Options.parse(Crane.SPEC.options(), Map.of("rca-steps", "3", "no-profile", "", "knn-k", "3", "heads", "2"));
        Map<String, Object> c = Crane.SPEC.config(new ModelConfig(), o);
        assertEquals(3, c.get("rca_steps"));
        assertEquals(false, c.get("profile"));
        assertEquals(true, c.get("semantic_graph"));
        assertEquals(3, c.get("knn_k"));
        assertEquals(0.01, (double) c.get("cl_weight"), 0);
        assertEquals("standardize", c.get("input_norm"));
        Recommender m = Crane.SPEC.create(Fixtures.tiny(2), Fixtures.tinyConfig(), o);
        Options same = Options.defaults().with(Crane.RCA_STEPS, 3).with(Crane.PROFILE, false).with(Crane.KNN_K, 3)
                .with(Crane.HEADS, 2);
        float loss = Fixtures.lossAt(m, Fixtures.TINY_BATCH);
        assertEquals(loss, Fixtures.lossAt(tiny(2, same), Fixtures.TINY_BATCH), 0f);
        assertNotEquals(loss, Fixtures.lossAt(tiny(2, Options.defaults().with(Crane.HEADS, 2).with(Crane.KNN_K, 3)),
                Fixtures.TINY_BATCH), 1e-6);
    }

    @Test
    void badValuesAreRefusedNamingTheFlag() {
        Options heads5 = Options.parse(Crane.SPEC.options(), Map.of("heads", "5"));
        OptionException e = assertThrows(OptionException.class, () -> Crane.SPEC.create(Fixtures.data(), new ModelConfig(), heads5));
        assertTrue(e.getMessage().contains("--heads 5") && e.getMessage().contains("--dim 64"), e.getMessage());
        Options k6 = tinyOptions().with(Crane.KNN_K, 6);
        OptionException k = assertThrows(OptionException.class, () -> tiny(2, k6));
        assertTrue(k.getMessage().contains("--knn-k 6") && k.getMessage().contains("(5)"), k.getMessage());
        tiny(2, k6.with(Crane.SEMANTIC_GRAPH, false));   // no item graph, no k to check
        for (Map.Entry<String, String> bad : Map.of("rca-steps", "-1", "cl-temp", "0", "knn-k", "0", "item-layers", "-1",
                "content-scale", "-1").entrySet()) {
            OptionException b = assertThrows(OptionException.class, () -> Options.parse(Crane.SPEC.options(), Map.ofEntries(bad)));
            assertTrue(b.getMessage().contains("--" + bad.getKey()), b.getMessage());
        }
    }
}
