package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** DPRec: training on the bundled data, the gradient of its whole loss, its options and its errors. */
class DpRecTest {
    /** Tiny data, with a reg large enough that a wrong EmbLoss gradient shows. */
    static ModelConfig tinyConfig() {
        return Fixtures.tinyConfig(1e-2f);
    }

    static Options tinyOptions() {
        // Alignment weights large enough that a wrong alignment gradient shows beside BPR's.
        return Options.defaults().with(DpRec.KNN_K, 2).with(DpRec.HYPEREDGES, 3).with(DpRec.HYPER_TEMP, 0.5)
                .with(DpRec.ALIGN_TEMP, 0.5).with(DpRec.ITEM_ALIGN, 0.5).with(DpRec.USER_ALIGN, 0.5).with(DpRec.GROUP_ALIGN, 0.5);
    }

    static float tinyLoss(Dataset d, Options o) {
        return Fixtures.lossAt(new DpRec(d, tinyConfig(), o), Fixtures.REPEATS);
    }

    @Test
    void beatsPopularity() {
        Fixtures.assertBeatsPopularity(DpRec.SPEC, 12, 1.2);
    }

    @Test
    void wholeLossGradientMatchesFiniteDifferences() {
        DpRec m = new DpRec(Fixtures.tiny(2), tinyConfig(), tinyOptions());
        // ID embeddings (both perspectives, hypergraph, alignment), the image projection and gate, both modalities' hyperedges
        List<Var> checked = List.of(m.emb, m.proj[0].weight, m.proj[0].bias, m.gates[0].proj.weight, m.gates[0].proj.bias,
                m.hyperedges[0], m.hyperedges[1]);
        Var loss = m.loss(Fixtures.REPEATS);
        loss.backward();
        for (Var p : checked) {
            assertTrue(nonZero(p.grad()), p + " should be on the loss's path");
            p.zeroGrad();
        }
        GradCheck.checkLoss("dprec loss", () -> m.loss(Fixtures.REPEATS), checked);
    }

    /** Whether {@code t} is present and has an element other than 0. */
    static boolean nonZero(Tensor t) {
        if (t != null) {
            for (float v : t.toArray()) {
                if (v != 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * --gate-bias b starts every perspective gate's bias at b, drawing nothing (the weights are the
     * default model's), so the gate starts near sigmoid(b) on the memory side; the loss changes
     * and its gradient stays correct.
     */
    @Test
    void gateBiasStartsTheGateOnTheMemorySide() {
        Dataset d = Fixtures.tiny(2);
        DpRec plain = new DpRec(d, tinyConfig(), tinyOptions());
        DpRec biased = new DpRec(d, tinyConfig(), tinyOptions().with(DpRec.GATE_BIAS, 2.0));
        for (int m = 0; m < 2; m++) {
            assertArrayEquals(new float[plain.gates[m].proj.bias.value.size()], plain.gates[m].proj.bias.value.toArray(), 0f);
            for (float b : biased.gates[m].proj.bias.value.toArray()) assertEquals(2f, b, 0f);
            assertArrayEquals(plain.gates[m].proj.weight.value.toArray(), biased.gates[m].proj.weight.value.toArray(), 0f);
        }
        assertArrayEquals(plain.emb.value.toArray(), biased.emb.value.toArray(), 0f, "no extra draw");
        assertNotEquals(Fixtures.lossAt(plain, Fixtures.REPEATS), Fixtures.lossAt(biased, Fixtures.REPEATS));
        GradCheck.checkLoss("dprec loss with --gate-bias", () -> biased.loss(Fixtures.REPEATS),
                List.of(biased.emb, biased.gates[0].proj.weight, biased.gates[0].proj.bias));
    }

    /** --id-bpr w adds w times BPR on LightGCN's ID embeddings alone, with a correct gradient. */
    @Test
    void idBprAddsTheIdOnlyTermAndKeepsTheGradient() {
        Dataset d = Fixtures.tiny(2);
        DpRec plain = new DpRec(d, tinyConfig(), tinyOptions());
        DpRec withId = new DpRec(d, tinyConfig(), tinyOptions().with(DpRec.ID_BPR, 0.5));
        var b = Fixtures.REPEATS;
        Var idOnly = weft.models.blocks.Bpr.ofRows(plain.idOnly(), b, d.numUsers());
        assertTrue(idOnly.value.get(0, 0) > 0, "the ID-only BPR term is a positive loss");
        assertEquals(0.5 * idOnly.value.get(0, 0), Fixtures.lossAt(withId, b) - Fixtures.lossAt(plain, b), 1e-5);
        GradCheck.checkLoss("dprec loss with --id-bpr", () -> withId.loss(b), List.of(withId.emb, withId.proj[0].weight));
    }

    /**
     * The hypergraph term at uniform memberships is the plain mean of the node type's ID embeddings
     * (each hyperedge holds everyone equally), and --hyper-center subtracts exactly that: with the
     * hyperedge embeddings at zero (uniform memberships) the centred model scores as the model
     * without a hypergraph, the uncentred one adds beta times the means (over the modalities); with
     * learned memberships centring moves every row by the same mean. The loss's gradient stays correct.
     */
    @Test
    void hyperCenterRemovesWhatAUniformHypergraphAdds() {
        Dataset d = Fixtures.tiny(2);
        Options o = tinyOptions().with(DpRec.HYPER_WEIGHT, 0.5);
        DpRec none = new DpRec(d, tinyConfig(), o.with(DpRec.HYPERGRAPH, false));
        DpRec plain = new DpRec(d, tinyConfig(), o.with(DpRec.HYPER_CENTER, false));
        DpRec centred = new DpRec(d, tinyConfig(), o.with(DpRec.HYPER_CENTER, true));
        int users = d.numUsers();
        Tensor e = centred.emb.value;
        int dim = e.cols;
        double[] userMean = new double[dim], itemMean = new double[dim];
        for (int r = 0; r < e.rows; r++) {
            for (int c = 0; c < dim; c++) {
                if (r < users) userMean[c] += e.get(r, c) / users;
                else itemMean[c] += e.get(r, c) / (e.rows - users);
            }
        }
        // learned (here: drawn) memberships: centring moves each row by beta times its node type's mean
        Tensor a = plain.forward().all().value, b = centred.forward().all().value;
        for (int r = 0; r < a.rows; r++) {
            for (int c = 0; c < dim; c++) {
                double mean = r < users ? userMean[c] : itemMean[c];
                assertEquals(a.get(r, c) - 0.5 * mean, b.get(r, c), 1e-5, "row " + r + ", column " + c);
            }
        }
        // uniform memberships: the centred term vanishes, the plain one is the mean
        for (DpRec m : List.of(plain, centred)) {
            for (Var h : m.hyperedges) h.value.fill(0f);
        }
        Tensor without = none.forward().all().value;
        a = plain.forward().all().value;
        b = centred.forward().all().value;
        for (int r = 0; r < a.rows; r++) {
            for (int c = 0; c < dim; c++) {
                double mean = r < users ? userMean[c] : itemMean[c];
                assertEquals(without.get(r, c), b.get(r, c), 1e-5, "centred, row " + r + ", column " + c);
                assertEquals(without.get(r, c) + 0.5 * mean, a.get(r, c), 1e-5, "plain, row " + r + ", column " + c);
            }
        }
        DpRec fresh = new DpRec(d, tinyConfig(), tinyOptions().with(DpRec.HYPER_CENTER, true));
        GradCheck.checkLoss("dprec loss with --hyper-center", () -> fresh.loss(Fixtures.REPEATS),
                List.of(fresh.emb, fresh.hyperedges[0], fresh.hyperedges[1]));
    }

    /**
     * --hyper-mean-constant keeps the uncentred term's value (the same bits: forward pass and loss)
     * and centres only its gradient: the ID embeddings' gradient differs from the uncentred one's by
     * what reaches every row through the mean, the same vector for every user and the same for every
     * item; the hyperedges, on which the mean does not depend, get the uncentred gradient.
     */
    @Test
    void hyperMeanConstantKeepsTheValueAndCentresTheGradient() {
        Dataset d = Fixtures.tiny(2);
        Options o = tinyOptions().with(DpRec.HYPER_WEIGHT, 0.5);
        DpRec plain = new DpRec(d, tinyConfig(), o.with(DpRec.HYPER_CENTER, false));
        DpRec constant = new DpRec(d, tinyConfig(), o.with(DpRec.HYPER_MEAN_CONSTANT, true));
        assertArrayEquals(plain.forward().all().value.toArray(), constant.forward().all().value.toArray());
        assertEquals(Fixtures.lossAt(plain, Fixtures.REPEATS), Fixtures.lossAt(constant, Fixtures.REPEATS));
        plain.loss(Fixtures.REPEATS).backward();
        constant.loss(Fixtures.REPEATS).backward();
        Tensor gp = plain.emb.grad(), gc = constant.emb.grad();
        int users = d.numUsers(), dim = gp.cols;
        double largest = 0;
        for (int r = 0; r < gp.rows; r++) {
            int first = r < users ? 0 : users;   // the row every user's (item's) difference is compared with
            for (int c = 0; c < dim; c++) {
                double diff = gc.get(r, c) - gp.get(r, c);
                assertEquals(gc.get(first, c) - gp.get(first, c), diff, 1e-6, "row " + r + ", column " + c);
                largest = Math.max(largest, Math.abs(diff));
            }
        }
        assertTrue(largest > 1e-4, "the mean's share of the gradient should be removed, largest difference " + largest);
        for (int m = 0; m < plain.hyperedges.length; m++) {
            assertArrayEquals(plain.hyperedges[m].grad().toArray(), constant.hyperedges[m].grad().toArray(), 1e-6f);
        }
    }

    /**
     * --fusion add keeps the memory perspective whole and adds the expansion as far as the gate lets
     * it: Z = M + g X. With the gate shut (weights 0, bias -100: g = sigmoid(-100), about 4e-44) the
     * model is the one without the expansion perspective, in the forward pass and in the loss (whose
     * leave-one-out users go through the same fusion); with the gate at one half, M + X / 2 differs
     * from the convex mix (M + X) / 2. The loss's gradient against finite differences.
     */
    @Test
    void additiveFusionKeepsTheMemoryWhole() {
        Dataset d = Fixtures.tiny(2);
        Options add = tinyOptions().with(DpRec.FUSION, DpRec.GateFusion.ADD);
        DpRec shut = new DpRec(d, tinyConfig(), add);
        for (var g : shut.gates) {
            g.proj.weight.value.fill(0f);
            g.proj.bias.value.fill(-100f);
        }
        DpRec memoryOnly = new DpRec(d, tinyConfig(), tinyOptions().with(DpRec.EXPANSION, false));
        Tensor a = memoryOnly.forward().all().value, b = shut.forward().all().value;
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.data[i], b.data[i], 1e-6f, "element " + i);
        }
        assertEquals(Fixtures.lossAt(memoryOnly, Fixtures.REPEATS), Fixtures.lossAt(shut, Fixtures.REPEATS), 1e-5f);

        DpRec half = new DpRec(d, tinyConfig(), add), mix = new DpRec(d, tinyConfig(), tinyOptions());
        for (DpRec m : List.of(half, mix)) {
            for (var g : m.gates) {
                g.proj.weight.value.fill(0f);
                g.proj.bias.value.fill(0f);
            }
        }
        assertNotEquals(Fixtures.lossAt(mix, Fixtures.REPEATS), Fixtures.lossAt(half, Fixtures.REPEATS));

        DpRec fresh = new DpRec(d, tinyConfig(), add);
        GradCheck.checkLoss("dprec loss with --fusion add", () -> fresh.loss(Fixtures.REPEATS),
                List.of(fresh.emb, fresh.gates[0].proj.weight, fresh.gates[0].proj.bias, fresh.proj[1].weight));
    }

    /**
     * The trained facts' expansion_weight: per modality, the mean share of the expansion in Z over
     * users' and items' rows, 1 - g under mix and g under add, read from the gate values the forward
     * pass used. A gate with weights 0 and bias b gives sigmoid(b) everywhere.
     */
    @Test
    void expansionWeightReportsTheGatesShareOfTheExpansion() {
        Dataset d = Fixtures.tiny(2);
        float bias = 1.5f;
        double s = 1 / (1 + Math.exp(-bias));
        for (DpRec.GateFusion f : DpRec.GateFusion.values()) {
            DpRec m = new DpRec(d, tinyConfig(), tinyOptions().with(DpRec.FUSION, f));
            for (var g : m.gates) {
                g.proj.weight.value.fill(0f);
                g.proj.bias.value.fill(bias);
            }
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> w = (Map<String, Map<String, Object>>) m.trainedFacts().get("expansion_weight");
            assertEquals(2, w.size(), "one entry per modality");
            double expected = f == DpRec.GateFusion.MIX ? 1 - s : s;
            for (Map<String, Object> side : w.values()) {
                assertEquals(expected, (Double) side.get("users"), 1e-4, f + ", users");
                assertEquals(expected, (Double) side.get("items"), 1e-4, f + ", items");
            }
        }
        DpRec memoryOnly = new DpRec(d, tinyConfig(), tinyOptions().with(DpRec.EXPANSION, false));
        assertTrue(!memoryOnly.trainedFacts().containsKey("expansion_weight"), "nothing to weigh without the expansion");
    }

    @Test
    void everyVariantChangesTheLossAndStillTrains() {
        Dataset d = Fixtures.tiny(2);
        float full = tinyLoss(d, tinyOptions());
        for (ModelSpec.Variant v : DpRec.SPEC.ablations()) {
            assertNotEquals(full, tinyLoss(d, tinyOptions().with(v.options())), v.label() + " should change the loss");
        }
        Map<String, Options> tuned = Map.of("--hyper-weight 0.5", Options.defaults().with(DpRec.HYPER_WEIGHT, 0.5),
                "--expansion-layers 2", Options.defaults().with(DpRec.EXPANSION_LAYERS, 2),
                "--align-temp 0.2", Options.defaults().with(DpRec.ALIGN_TEMP, 0.2),
                "--leave-one-out false", Options.defaults().with(DpRec.LEAVE_ONE_OUT, false),
                "--hyper-center false", Options.defaults().with(DpRec.HYPER_CENTER, false));
        tuned.forEach((label, o) -> assertNotEquals(full, tinyLoss(d, tinyOptions().with(o)), label + " should change the loss"));

        // Brief training on the bundled data: each perspective alone, and no alignment, still learn beyond popularity.
        List<Options> variants = List.of(Options.defaults().with(DpRec.MEMORY, false), Options.defaults().with(DpRec.EXPANSION, false),
                Options.defaults().with(DpRec.HYPERGRAPH, false), Options.defaults().with(DpRec.ALIGN_LEVELS, DpRec.levels()));
        for (Options o : variants) {
            TrainResult r = Fixtures.fit(DpRec.SPEC.create(Fixtures.data(), DpRec.SPEC.config(), o), Fixtures.data(), 3);
            assertTrue(r.epochs.get(2).loss() < r.epochs.get(0).loss(), o + ": loss should fall");
            assertTrue(r.test.get("Recall@20") > Fixtures.popularityRecall(),
                    o + ": " + r.test.get("Recall@20") + " vs popularity " + Fixtures.popularityRecall());
        }
    }

    @Test
    void sameSeedSameModelAndOneModalityHasNothingToAlign() {
        Dataset d = Fixtures.tiny(2);
        DpRec a = new DpRec(d, tinyConfig(), tinyOptions());
        DpRec b = new DpRec(d, tinyConfig(), tinyOptions());
        assertEquals(Fixtures.lossAt(a, Fixtures.REPEATS), Fixtures.lossAt(b, Fixtures.REPEATS), 0f);
        assertEquals(a.parameters().size(), b.parameters().size());
        for (int i = 0; i < a.parameters().size(); i++) {
            assertArrayEquals(a.parameters().get(i).value.toArray(), b.parameters().get(i).value.toArray());
        }
        // embedding, then per modality: projection W and b, gate W and b, hyperedges
        assertEquals(1 + 2 * 5, a.parameters().size());

        Dataset textOnly = d.withModalities(Map.of("text1", d.modality("text1")));
        float aligned = tinyLoss(textOnly, tinyOptions());
        assertTrue(Float.isFinite(aligned) && aligned > 0, "one modality: loss " + aligned);
        assertEquals(aligned, tinyLoss(textOnly, tinyOptions().with(DpRec.ALIGN_LEVELS, DpRec.levels())), 0f,
                "one modality: the alignment terms vanish");
    }

    @Test
    void optionsReachTheModel() {
        Options parsed = Options.parse(DpRec.SPEC.options(),
                Map.of("align-levels", "user,group", "no-hypergraph", "", "hyperedges", "5", "knn-k", "2"));
        Map<String, Object> c = DpRec.SPEC.config(tinyConfig(), parsed);
        assertEquals("user,group", c.get("align_levels"));
        assertEquals(false, c.get("hypergraph"));
        assertEquals(true, c.get("memory"));
        assertEquals(5, c.get("hyperedges"));
        assertEquals(2, c.get("knn_k"));
        assertEquals(1, c.get("expansion_layers"));
        assertEquals(0.01, (double) c.get("item_align"));
        assertEquals(0.2, (double) c.get("hyper_temp"));
        // DPRec's kNN graphs default to 20 neighbours (docs/models.md, section 4); the models sharing the option keep 10.
        assertEquals(20, DpRec.SPEC.config(tinyConfig(), Options.parse(DpRec.SPEC.options(), Map.of())).get("knn_k"));
        assertEquals(10, weft.models.options.SharedOptions.KNN_K.defaultValue());
        assertEquals(10, Freedom.KNN_K.defaultValue());

        Options same = Options.defaults().with(DpRec.KNN_K, 2).with(DpRec.HYPEREDGES, 5).with(DpRec.HYPERGRAPH, false)
                .with(DpRec.ALIGN_LEVELS, DpRec.levels("user", "group"));
        Dataset d = Fixtures.tiny(2);
        float viaSpec = Fixtures.lossAt(DpRec.SPEC.create(d, tinyConfig(), parsed), Fixtures.REPEATS);
        assertEquals(tinyLoss(d, same), viaSpec, 0f);
        assertNotEquals(tinyLoss(d, Options.defaults().with(DpRec.KNN_K, 2)), viaSpec);

        for (Option<?> o : DpRec.SPEC.searchSpace().keySet()) {
            assertTrue(o.searchSpace().contains(o.defaultValue()), o + "'s search space should contain its default");
        }
        assertTrue(DpRec.SPEC.searchSpace().keySet().containsAll(List.of(DpRec.KNN_K, DpRec.HYPEREDGES, DpRec.HYPER_TEMP,
                DpRec.ITEM_ALIGN, DpRec.ALIGN_TEMP)));
        assertSame(DpRec.SPEC, Models.find("dprec"));
        assertEquals(List.of("--no-memory", "--no-expansion", "--no-hypergraph", "--align-levels user,group",
                        "--align-levels item,group", "--align-levels item,user"),
                DpRec.SPEC.ablations().stream().map(ModelSpec.Variant::label).toList());
    }

    @Test
    void badValuesFailNamingTheFlag() {
        List<Option<?>> declared = DpRec.SPEC.options();
        OptionException e = assertThrows(OptionException.class, () -> Options.parse(declared, Map.of("align-levels", "item,bogus")));
        assertTrue(e.getMessage().contains("--align-levels") && e.getMessage().contains("bogus"), e.getMessage());
        e = assertThrows(OptionException.class, () -> Options.parse(declared, Map.of("hyperedges", "0")));
        assertTrue(e.getMessage().contains("--hyperedges"), e.getMessage());
        e = assertThrows(OptionException.class, () -> Options.parse(declared, Map.of("hyper-temp", "0")));
        assertTrue(e.getMessage().contains("--hyper-temp"), e.getMessage());
        e = assertThrows(OptionException.class, () -> Options.defaults().with(DpRec.ITEM_ALIGN, -0.1));
        assertTrue(e.getMessage().contains("--item-align"), e.getMessage());

        Dataset d = Fixtures.tiny(2);
        Options neither = Options.parse(declared, Map.of("no-memory", "", "no-expansion", "", "knn-k", "2"));
        e = assertThrows(OptionException.class, () -> DpRec.SPEC.create(d, tinyConfig(), neither));
        assertTrue(e.getMessage().contains("--no-memory") && e.getMessage().contains("--no-expansion"), e.getMessage());
        e = assertThrows(OptionException.class, () -> new DpRec(d, tinyConfig(), Options.defaults().with(DpRec.KNN_K, 6)));
        assertTrue(e.getMessage().contains("--knn-k"), e.getMessage());
        Options meanWithoutCentre = tinyOptions().with(DpRec.HYPER_CENTER, false).with(DpRec.HYPER_MEAN_CONSTANT, true);
        e = assertThrows(OptionException.class, () -> new DpRec(d, tinyConfig(), meanWithoutCentre));
        assertTrue(e.getMessage().contains("--hyper-mean-constant") && e.getMessage().contains("--hyper-center"), e.getMessage());

        Dataset none = d.withModalities(Map.of());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new DpRec(none, tinyConfig(), Options.defaults()));
        assertTrue(ex.getMessage().contains("dprec needs item feature vectors"), ex.getMessage());
    }

    @Test
    @SuppressWarnings("unchecked")
    void hyperedgeStatsMeasureHowSharpTheMembershipsAre() {
        Dataset d = Fixtures.tiny(2);
        DpRec m = new DpRec(d, tinyConfig(), tinyOptions());
        Map<String, Object> stats = m.hyperedgeStats();
        assertEquals(d.modalities().keySet(), stats.keySet());
        for (Object o : stats.values()) {
            Map<String, Object> s = (Map<String, Object>) o;
            double e = (Double) s.get("entropy"), max = (Double) s.get("max");
            assertTrue(e > 0 && e <= 1 + 1e-9, "entropy " + e);
            assertTrue(max > 0 && max <= 1, "max " + max);
        }
        // Hyperedge 0 far ahead for items whose features sum above 0, hyperedge 1 for the others:
        // memberships near one-hot, entropy near 0, at most two hyperedges anyone's largest.
        Tensor w = m.hyperedges[0].value;
        java.util.Arrays.fill(w.data, 0f);
        for (int c = 0; c < w.cols; c++) {
            w.set(0, c, 1e4f);
            w.set(1, c, -1e4f);
        }
        Map<String, Object> sharp = (Map<String, Object>) m.hyperedgeStats().get(d.modalities().keySet().iterator().next());
        assertTrue((Integer) sharp.get("used") <= 2, "one of two hyperedges per item: " + sharp);
        assertTrue((Double) sharp.get("entropy") < 0.05, "near one-hot: " + sharp);
        assertTrue((Double) sharp.get("max") > 0.95, "near one-hot: " + sharp);
        assertTrue(new DpRec(d, tinyConfig(), tinyOptions().with(DpRec.HYPERGRAPH, false)).hyperedgeStats().isEmpty());
    }
}
