package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import weft.autograd.Var;
import weft.engine.Tensor;
import weft.graph.KnnGraph;
import weft.models.blocks.DotScorer;
import weft.models.coldstart.CatalogueExtension;
import weft.models.coldstart.ColdStartEval;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.Split;
import weft.models.data.UserItems;
import weft.models.options.Options;

class ColdStartTest {
    private static final List<String> FEATURE_MODELS = List.of("vbpr", "freedom", "hmarec", "crane", "dprec", "tmfun");

    @Test
    void featureModelsAreTheOnesThatReadFeatures() {
        assertEquals(FEATURE_MODELS, CatalogueExtension.featureModels());
    }

    @Test
    void heldOutItemsAreAbsentFromTrainingAndAreTheGroundTruth() {
        Dataset data = Fixtures.data();
        ColdStartEval.Holdout h = ColdStartEval.holdout(data, 0.2, 7);
        assertEquals(80, h.candidates());
        Dataset kept = h.kept();
        assertEquals(320, kept.numItems());
        assertEquals(data.numUsers(), kept.numUsers());
        Set<Integer> all = new HashSet<>();
        for (int i : h.keptItems()) all.add(i);
        for (int i : h.heldOut()) assertTrue(all.add(i), "item " + i + " both kept and held out");
        assertEquals(data.numItems(), all.size());
        Set<Integer> held = new HashSet<>();
        for (int i : h.heldOut()) held.add(i);

        int expectedPairs = 0, keptPairs = 0;
        UserItems[] orig = {data.train(), data.valid(), data.test()};
        UserItems[] mine = {kept.train(), kept.valid(), kept.test()};
        for (int part = 0; part < 3; part++) {
            for (int u = 0; u < data.numUsers(); u++) {
                for (int p = orig[part].start(u); p < orig[part].end(u); p++) {
                    if (!held.contains(orig[part].itemAt(p))) expectedPairs++;
                }
                for (int p = mine[part].start(u); p < mine[part].end(u); p++) {
                    int original = h.keptItems()[mine[part].itemAt(p)];
                    assertFalse(held.contains(original));
                    assertTrue(orig[part].contains(u, original), "kept pair (" + u + ", " + original + ") not in the original part");
                    keptPairs++;
                }
            }
        }
        assertEquals(expectedPairs, keptPairs);

        // Truth: the user's held-out items in any split, for users with kept training items.
        int ranked = 0, skipped = 0;
        for (int u = 0; u < data.numUsers(); u++) {
            Set<Integer> want = new HashSet<>();
            for (UserItems part : orig) {
                for (int p = part.start(u); p < part.end(u); p++) {
                    if (held.contains(part.itemAt(p))) want.add(part.itemAt(p));
                }
            }
            if (!want.isEmpty() && kept.train().count(u) == 0) {
                skipped++;
                want.clear();
            }
            Set<Integer> got = new HashSet<>();
            for (int p = h.truth().start(u); p < h.truth().end(u); p++) got.add(h.heldOut()[h.truth().itemAt(p)]);
            assertEquals(want, got, "user " + u);
            if (!want.isEmpty()) ranked++;
        }
        assertEquals(ranked, h.users());
        assertEquals(skipped, h.skippedUsers());
        assertTrue(ranked > 500, "most users interact with some held-out item: " + ranked);

        // Features are the kept items' rows, and the held-out items' rows (no --feature-norm here).
        for (String m : data.modalities().keySet()) {
            Tensor x = data.modality(m);
            for (int k = 0; k < kept.numItems(); k += 37) {
                assertArrayEquals(x.rowBlock(h.keptItems()[k], 1).toArray(), kept.modality(m).rowBlock(k, 1).toArray());
            }
            for (int j = 0; j < h.candidates(); j++) {
                assertArrayEquals(x.rowBlock(h.heldOut()[j], 1).toArray(), h.heldOutFeatures().get(m).rowBlock(j, 1).toArray());
            }
        }
        assertEquals(data.itemIds().raw(h.keptItems()[5]), kept.itemIds().raw(5));

        assertArrayEquals(h.heldOut(), ColdStartEval.holdout(data, 0.2, 7).heldOut(), "same seed, same items");
        assertFalse(java.util.Arrays.equals(h.heldOut(), ColdStartEval.holdout(data, 0.2, 8).heldOut()), "another seed, others");
    }

    @Test
    void standardizeIsRefittedOnTheKeptItemsOnly() {
        Dataset raw = Fixtures.data();
        Dataset std = Dataset.load(Fixtures.testDataDir(), new Dataset.Options().featureNorm(FeatureNorm.STANDARDIZE));
        ColdStartEval.Holdout h = ColdStartEval.holdout(std, 0.25, 3);
        Tensor keptRaw = ColdStartEval.holdout(raw, 0.25, 3).kept().modality("image");
        FeatureNorm.Fitted fit = FeatureNorm.STANDARDIZE.fit(keptRaw);
        Tensor want = fit.apply(keptRaw);
        Tensor got = h.kept().modality("image");
        for (int i = 0; i < want.data.length; i++) {
            assertEquals(want.data[i], got.data[i], 1e-4, "kept feature " + i);
        }
        Tensor heldRaw = ColdStartEval.holdout(raw, 0.25, 3).heldOutFeatures().get("image");
        Tensor wantHeld = fit.apply(heldRaw);
        for (int i = 0; i < wantHeld.data.length; i++) {
            assertEquals(wantHeld.data[i], h.heldOutFeatures().get("image").data[i], 1e-4, "held-out feature " + i);
        }
    }

    @Test
    void randomBaselineRecallIsKOverCandidatesAndFeatureKnnBeatsIt() {
        ColdStartEval.Holdout h = ColdStartEval.holdout(Fixtures.data(), 0.2, 11);
        double r = ColdStartEval.evaluate(h, ColdStartEval.randomScorer(5)).get("Recall@20");
        // Per user E[Recall@20] = 20 / N exactly (hits are hypergeometric, mean 20 t / N over t
        // relevant items); users draw independently and each recall is in [0, 1], so by Hoeffding
        // |mean - 20/N| <= sqrt(ln(2/delta) / (2 n)) with probability 1 - delta.
        double expected = 20.0 / h.candidates();
        double bound = Math.sqrt(Math.log(2 / 1e-6) / (2.0 * h.users()));
        assertTrue(Math.abs(r - expected) < bound, "random Recall@20 " + r + " vs " + expected + " +- " + bound);
        double r2 = ColdStartEval.evaluate(h, ColdStartEval.randomScorer(6)).get("Recall@20");
        assertNotEquals(r, r2, "another seed, other scores");
        assertEquals(r, ColdStartEval.evaluate(h, ColdStartEval.randomScorer(5)).get("Recall@20"), "same seed, same scores");
        // test-data's image features are cluster centroids plus noise, and users prefer clusters.
        double knn = ColdStartEval.evaluate(h, ColdStartEval.featureKnn(h)).get("Recall@20");
        assertTrue(knn > expected + 0.3, "feature-kNN Recall@20 " + knn + " vs random " + r);
    }

    @Test
    void featureKnnScoreIsMeanCosineOverTheUsersTrainingItems() {
        ColdStartEval.Holdout h = ColdStartEval.holdout(Fixtures.data(), 0.2, 11);
        DotScorer knn = ColdStartEval.featureKnn(h);
        int u = 3, j = 7;
        Dataset kept = h.kept();
        double sum = 0;
        for (int p = kept.train().start(u); p < kept.train().end(u); p++) {
            int i = kept.train().itemAt(p);
            double c = 0;
            for (String m : kept.modalities().keySet()) {
                c += cosine(kept.modality(m).rowBlock(i, 1), h.heldOutFeatures().get(m).rowBlock(j, 1));
            }
            sum += c / kept.modalities().size();
        }
        Tensor out = new Tensor(1, h.candidates());
        knn.score(new int[] {u}, out);
        assertEquals(sum / kept.train().count(u), out.get(0, j), 1e-5);
    }

    /** Every feature-reading model: new items get non-zero embeddings that follow their features. */
    @Test
    void newItemsAreScoredThroughTheirFeaturesByEveryFeatureModel() {
        Dataset data = Fixtures.data();
        int a = 17;
        int b = leastSimilar(data.modality("image"), a);
        Map<String, Tensor> fresh = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            Tensor t = new Tensor(2, e.getValue().cols);
            t.rowBlock(0, 1).copyFrom(e.getValue().rowBlock(a, 1));
            t.rowBlock(1, 1).copyFrom(e.getValue().rowBlock(b, 1));
            fresh.put(e.getKey(), t);
        }
        StringBuilder report = new StringBuilder();
        for (String name : FEATURE_MODELS) {
            ModelSpec spec = Models.spec(name);
            ModelConfig cfg = spec.config();
            cfg.dim = 16;
            Recommender trained = spec.create(data, cfg, Options.defaults());
            Fixtures.fit(trained, data, 2);
            DotScorer ext = CatalogueExtension.withNewItems(spec, data, cfg, Options.defaults(), trained, fresh);
            assertEquals(data.numItems() + 2, ext.items().rows, name);
            assertEquals(data.numUsers(), ext.users().rows, name);
            int n0 = data.numItems(), n1 = data.numItems() + 1;
            assertTrue(norm(ext.items().rowBlock(n0, 1)) > 1e-3 && norm(ext.items().rowBlock(n1, 1)) > 1e-3, name + ": zero embedding");
            Tensor scores = new Tensor(data.numUsers(), ext.items().rows);
            int[] users = new int[data.numUsers()];
            for (int u = 0; u < users.length; u++) users[u] = u;
            ext.score(users, scores);
            double[] sa = column(scores, a), sb = column(scores, b), s0 = column(scores, n0), s1 = column(scores, n1);
            double diff = 0;
            for (int u = 0; u < users.length; u++) diff = Math.max(diff, Math.abs(s0[u] - s1[u]));
            assertTrue(diff > 1e-3, name + ": two new items with different features score alike");
            double same = pearson(s0, sa), other = pearson(s0, sb), same1 = pearson(s1, sb);
            report.append(String.format("%s: corr(copy of a, a) %.3f, (copy of a, b) %.3f, (copy of b, b) %.3f%n", name, same, other, same1));
            assertTrue(same > 0.7 && same > other + 0.5 && same1 > 0.7, name + ": " + report);
        }
        System.out.print(report);
    }

    @Test
    void vbprKeepsTheTrainedEmbeddingsOfEveryoneAndNewIdRowsAreZero() {
        Dataset data = Fixtures.data();
        ModelConfig cfg = Vbpr.SPEC.config();
        cfg.dim = 8;
        Recommender trained = Vbpr.SPEC.create(data, cfg, Options.defaults());
        Fixtures.fit(trained, data, 1);
        DotScorer before = trained.scorer();
        Map<String, Tensor> fresh = newRows(data, 3);
        Recommender ext = CatalogueExtension.extendedModel(Vbpr.SPEC, data, cfg, Options.defaults(), trained, fresh);
        DotScorer after = ext.scorer();
        assertArrayEquals(before.users().toArray(), after.users().toArray());
        assertArrayEquals(before.items().toArray(), after.items().rowBlock(0, data.numItems()).toArray());
        Var ids = ext.parameters().get(1);
        assertEquals("item_emb", ids.name());
        assertArrayEquals(new float[3 * cfg.dim], ids.value.rowBlock(data.numItems(), 3).toArray());
        Dataset extended = CatalogueExtension.extendedData(data, fresh, null);
        assertEquals("new:2", extended.itemIds().raw(data.numItems() + 2));
        assertEquals(data.numItems(), extended.itemIds().indexOf("new:0"));
        assertEquals(data.train().size(), extended.train().size());
    }

    @Test
    void nodeTablesGetOldRowsAndZeroRowsForNewItems() {
        Dataset data = Fixtures.data();
        ModelConfig cfg = Freedom.SPEC.config();
        cfg.dim = 8;
        Recommender trained = Freedom.SPEC.create(data, cfg, Options.defaults());
        Fixtures.fit(trained, data, 1);
        Recommender ext = CatalogueExtension.extendedModel(Freedom.SPEC, data, cfg, Options.defaults(), trained, newRows(data, 2));
        Tensor before = trained.parameters().get(0).value, after = ext.parameters().get(0).value;
        assertEquals("embedding", ext.parameters().get(0).name());
        int old = data.numUsers() + data.numItems();
        assertArrayEquals(before.toArray(), after.rowBlock(0, old).toArray());
        assertArrayEquals(new float[2 * cfg.dim], after.rowBlock(old, 2).toArray());
        // FREEDOM's trained feature copies keep the new items' features.
        Var imageFeat = ext.parameters().get(1);
        assertEquals("image_feat", imageFeat.name());
        assertArrayEquals(newRows(data, 2).get("image").toArray(), imageFeat.value.rowBlock(data.numItems(), 2).toArray());
    }

    @Test
    void refusesWhatCannotScoreNewItemsWithClearMessages() {
        Dataset data = Fixtures.data();
        Map<String, Tensor> fresh = newRows(data, 2);
        for (String name : List.of("popularity", "bprmf", "lightgcn")) {
            ModelSpec spec = Models.spec(name);
            Recommender r = spec.create(data);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CatalogueExtension.withNewItems(spec, data, spec.config(), Options.defaults(), r, fresh));
            assertTrue(e.getMessage().startsWith(name + " reads no item features"), e.getMessage());
        }
        Dataset graphsOnly = new Dataset("graphs", new Split(data.train(), data.valid(), data.test()), Map.of(),
                Map.of("image", KnnGraph.freedom(data.modality("image"), 10)));
        Recommender f = Freedom.SPEC.create(graphsOnly);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CatalogueExtension.withNewItems(Freedom.SPEC,
                graphsOnly, Freedom.SPEC.config(), Options.defaults(), f, fresh));
        assertTrue(e.getMessage().contains("no item feature vectors") && e.getMessage().contains("precomputed item graphs"), e.getMessage());

        Dataset mixed = new Dataset("mixed", new Split(data.train(), data.valid(), data.test()), Map.of("image", data.modality("image")),
                Map.of("text", KnnGraph.freedom(data.modality("text"), 10)));
        Recommender fm = Freedom.SPEC.create(mixed);
        e = assertThrows(IllegalArgumentException.class, () -> CatalogueExtension.withNewItems(Freedom.SPEC, mixed,
                Freedom.SPEC.config(), Options.defaults(), fm, Map.of("image", new Tensor(2, 64))));
        assertTrue(e.getMessage().contains("precomputed item graphs [text] (--item-graph) cannot take new items in"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CatalogueExtension.extendedData(data, fresh, List.of("new", "7")));
        assertTrue(e.getMessage().contains("new item id '7' is already an item of the catalogue"), e.getMessage());

        ModelConfig cfg = Vbpr.SPEC.config();
        cfg.dim = 4;
        Recommender v = Vbpr.SPEC.create(data, cfg, Options.defaults());
        Map<String, Tensor> noText = new LinkedHashMap<>(fresh);
        noText.remove("text");
        e = assertThrows(IllegalArgumentException.class, () -> CatalogueExtension.withNewItems(Vbpr.SPEC, data, cfg, Options.defaults(), v, noText));
        assertTrue(e.getMessage().contains("no features given for modality 'text'"), e.getMessage());
        Map<String, Tensor> narrow = new LinkedHashMap<>(fresh);
        narrow.put("text", new Tensor(2, 5));
        e = assertThrows(IllegalArgumentException.class, () -> CatalogueExtension.withNewItems(Vbpr.SPEC, data, cfg, Options.defaults(), v, narrow));
        assertTrue(e.getMessage().contains("'text' features are 5 wide, the training items' 32"), e.getMessage());
        Map<String, Tensor> extra = new LinkedHashMap<>(fresh);
        extra.put("audio", new Tensor(2, 5));
        e = assertThrows(IllegalArgumentException.class, () -> CatalogueExtension.withNewItems(Vbpr.SPEC, data, cfg, Options.defaults(), v, extra));
        assertTrue(e.getMessage().contains("modality 'audio'"), e.getMessage());
        Map<String, Tensor> nan = newRows(data, 2);
        nan.get("image").set(1, 3, Float.NaN);
        e = assertThrows(IllegalArgumentException.class, () -> CatalogueExtension.withNewItems(Vbpr.SPEC, data, cfg, Options.defaults(), v, nan));
        assertTrue(e.getMessage().contains("new item 1 has a non-finite 'image' feature (column 3)"), e.getMessage());

        ModelConfig wider = cfg.copy();
        wider.dim = 8; // not the configuration the model was trained with
        e = assertThrows(IllegalArgumentException.class, () -> CatalogueExtension.withNewItems(Vbpr.SPEC, data, wider, Options.defaults(), v, fresh));
        assertTrue(e.getMessage().contains("parameter 0 'user_emb' is [600, 8] in the trained model but [600, 16]"), e.getMessage());
    }

    private static Map<String, Tensor> newRows(Dataset data, int n) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        weft.engine.Rng rng = new weft.engine.Rng(99);
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            m.put(e.getKey(), rng.normal(new Tensor(n, e.getValue().cols), 0f, 1f));
        }
        return m;
    }

    private static int leastSimilar(Tensor x, int a) {
        int best = -1;
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < x.rows; i++) {
            double c = cosine(x.rowBlock(a, 1), x.rowBlock(i, 1));
            if (c < min) {
                min = c;
                best = i;
            }
        }
        return best;
    }

    private static double cosine(Tensor p, Tensor q) {
        double d = 0, np = 0, nq = 0;
        for (int c = 0; c < p.cols; c++) {
            double x = p.data[p.offset + c], y = q.data[q.offset + c];
            d += x * y;
            np += x * x;
            nq += y * y;
        }
        return np == 0 || nq == 0 ? 0 : d / Math.sqrt(np * nq);
    }

    private static double norm(Tensor t) {
        double s = 0;
        for (float v : t.toArray()) s += v * v;
        return Math.sqrt(s);
    }

    private static double[] column(Tensor t, int c) {
        double[] out = new double[t.rows];
        for (int r = 0; r < t.rows; r++) out[r] = t.get(r, c);
        return out;
    }

    private static double pearson(double[] x, double[] y) {
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= x.length;
        my /= y.length;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }
}
