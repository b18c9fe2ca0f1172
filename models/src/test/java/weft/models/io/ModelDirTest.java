package weft.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.engine.Tensor;
import weft.graph.CsrMatrix;
import weft.graph.KnnGraph;
import weft.models.Freedom;
import weft.models.Fixtures;
import weft.models.LightGcn;
import weft.models.ModelConfig;
import weft.models.ModelSpec;
import weft.models.Recommender;
import weft.models.blocks.DotScorer;
import weft.models.data.DataFormatException;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.IdMap;
import weft.models.options.Options;
import weft.models.train.TrainConfig;
import weft.models.train.TrainResult;
import weft.models.train.Trainer;

class ModelDirTest {
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    static Path lightgcnDir;
    static Tensor lightgcnUsers, lightgcnItems;
    static TrainResult lightgcnResult;

    static TrainConfig oneEpoch() {
        TrainConfig tc = new TrainConfig();
        tc.epochs = 1;
        tc.lr = 0.01f;
        tc.verbose = false;
        return tc;
    }

    static TrainResult train(ModelSpec spec, Recommender model, Dataset data, ModelConfig mc, Options opts, TrainConfig tc) {
        return new Trainer(tc, new PrintStream(new ByteArrayOutputStream())).fit(model, data, spec.config(mc, opts));
    }

    @BeforeAll
    static void trainLightGcn() {
        Dataset data = Dataset.load(Fixtures.testDataDir());
        ModelConfig mc = LightGcn.SPEC.config();
        Recommender model = LightGcn.SPEC.create(data, mc, Options.defaults());
        TrainConfig tc = oneEpoch();
        lightgcnResult = train(LightGcn.SPEC, model, data, mc, Options.defaults(), tc);
        lightgcnDir = shared.resolve("lightgcn");
        ModelDir.save(lightgcnDir, LightGcn.SPEC, mc, Options.defaults(), tc, model, data, lightgcnResult);
        DotScorer s = model.scorer();
        lightgcnUsers = s.users().copy();
        lightgcnItems = s.items().copy();
    }

    private static float[] values(Tensor t) {
        return Arrays.copyOfRange(t.data, t.offset, t.offset + t.size());
    }

    private static void assertSameTable(Tensor expected, Tensor actual) {
        assertEquals(expected.rows, actual.rows);
        assertEquals(expected.cols, actual.cols);
        assertArrayEquals(values(expected), values(actual), "bit-identical tables");
    }

    private static Path copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q);
            }
        }
        return to;
    }

    @Test
    void lightgcnSavedThenRebuiltScoresExactlyAsSaved() {
        ModelDir md = ModelDir.open(lightgcnDir);
        assertEquals("lightgcn", md.model());
        assertEquals(600, md.numUsers());
        assertEquals(400, md.numItems());
        ModelDir.Embeddings e = md.embeddings();
        assertSameTable(lightgcnUsers, e.users());
        assertSameTable(lightgcnItems, e.items());

        ModelDir.Rebuilt r = md.rebuild();
        DotScorer s = r.model().scorer();
        assertSameTable(e.users(), s.users());
        assertSameTable(e.items(), s.items());
        // The parameters were loaded: a fresh model of the same seed scores differently.
        DotScorer fresh = LightGcn.SPEC.create(r.data(), r.config(), r.options()).scorer();
        assertFalse(Arrays.equals(values(fresh.items()), values(e.items())));
        // The dataset comes back whole.
        Map<String, Object> ds = castMap(md.manifest().get("dataset"));
        assertEquals(ds.get("fingerprint"), Fingerprint.of(r.data()));
        assertEquals(Fingerprint.of(Dataset.load(Fixtures.testDataDir())), Fingerprint.of(r.data()));
        assertEquals(List.of("image", "text"), new ArrayList<>(r.data().modalities().keySet()));
        Map<String, Object> result = castMap(md.manifest().get("result"));
        assertEquals((long) lightgcnResult.bestEpoch, result.get("best_epoch"));
        assertEquals(lightgcnResult.test.get("Recall@20"), castMap(result.get("test")).get("Recall@20"));
        assertEquals(1L, md.manifest().get("format_version"));
        assertEquals(0.01, (Double) castMap(md.manifest().get("train_config")).get("lr"), 1e-9);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }

    @Test
    void freedomWithStandardizedFeaturesAnItemGraphAndStringIdsRoundTrips() throws Exception {
        Path dir = tmp.resolve("data");
        Files.createDirectories(dir);
        for (String f : new String[] {"synthetic.inter", "image_feat.npy", "text_feat.npy"}) {
            Files.copy(Fixtures.testDataDir().resolve(f), dir.resolve(f));
        }
        Dataset plain = Dataset.load(dir);
        CsrMatrix g = KnnGraph.build(plain.modality("image"), 5, KnnGraph.Weights.ONE_OVER_K);
        StringBuilder sb = new StringBuilder("itemID\tneighborID\n");
        for (int r = 0; r < g.rows(); r++) {
            for (int e = g.rowStart(r); e < g.rowEnd(r); e++) {
                sb.append(r).append('\t').append(g.colAt(e)).append('\n');
            }
        }
        Files.writeString(dir.resolve("knn.tsv"), sb.toString());
        Dataset loaded = Dataset.load(dir, new Dataset.Options().featureNorm(FeatureNorm.STANDARDIZE).itemGraph("knn", Path.of("knn.tsv")));
        String[] users = new String[loaded.numUsers()], items = new String[loaded.numItems()];
        for (int i = 0; i < users.length; i++) users[i] = "u" + (users.length - i);
        for (int i = 0; i < items.length; i++) items[i] = "item-" + Integer.toHexString(i * 7919);
        Dataset data = loaded.withIds(IdMap.of(users), IdMap.of(items));

        ModelConfig mc = Freedom.SPEC.config();
        Options opts = Options.defaults().with(Freedom.RHO, 0.5).with(Freedom.KNN_K, 5);
        Recommender model = Freedom.SPEC.create(data, mc, opts);
        TrainConfig tc = oneEpoch();
        TrainResult res = train(Freedom.SPEC, model, data, mc, opts, tc);
        Path md = tmp.resolve("freedom");
        ModelDir.save(md, Freedom.SPEC, mc, opts, tc, model, data, res);
        assertTrue(Files.isRegularFile(md.resolve(ModelDir.USER_IDS)));
        assertEquals("u600", Files.readAllLines(md.resolve(ModelDir.USER_IDS)).get(0));

        ModelDir opened = ModelDir.open(md);
        ModelDir.Rebuilt r = opened.rebuild();
        DotScorer saved = model.scorer();
        DotScorer again = r.model().scorer();
        assertSameTable(saved.users(), again.users());
        assertSameTable(saved.items(), again.items());
        assertSameTable(opened.embeddings().items(), again.items());

        assertEquals(0.5, r.options().get(Freedom.RHO));
        assertEquals(5, r.options().get(Freedom.KNN_K));
        assertEquals(mc.reg, r.config().reg);
        assertEquals(mc.layers, r.config().layers);
        Dataset d = r.data();
        assertEquals(Fingerprint.of(data), Fingerprint.of(d));
        assertEquals(data.userIds(), d.userIds());
        assertEquals(data.itemIds(), d.itemIds());
        assertEquals("item-" + Integer.toHexString(3 * 7919), d.itemIds().raw(3));
        assertArrayEquals(values(data.modality("text")), values(d.modality("text")));
        FeatureNorm.Fitted f = d.featureNorms().get("image");
        assertEquals(FeatureNorm.STANDARDIZE, f.norm());
        assertArrayEquals(data.featureNorms().get("image").mean(), f.mean());
        assertArrayEquals(data.featureNorms().get("image").inverseStd(), f.inverseStd());
        CsrMatrix g2 = d.itemGraphs().get("knn");
        assertArrayEquals(data.itemGraphs().get("knn").rowPtrCopy(), g2.rowPtrCopy());
        assertArrayEquals(data.itemGraphs().get("knn").colIdxCopy(), g2.colIdxCopy());
        assertArrayEquals(data.itemGraphs().get("knn").valuesCopy(), g2.valuesCopy());
        assertEquals(data.valid().size(), d.valid().size());
        assertEquals(data.test().size(), d.test().size());
    }

    @Test
    void everyModelRebuildsToItsSavedTables() {
        // Untrained, but with every parameter moved off its initial value, so only loading them reproduces the tables.
        Dataset data = Dataset.load(Fixtures.testDataDir());
        for (ModelSpec spec : weft.models.Models.all()) {
            ModelConfig mc = spec.config();
            mc.dim = 16;
            Recommender model = spec.create(data, mc, Options.defaults());
            weft.engine.Rng rng = new weft.engine.Rng(5);
            for (weft.autograd.Var v : model.parameters()) {
                for (int k = 0; k < v.value.size(); k++) {
                    v.value.data[v.value.offset + k] += (float) (0.05 * rng.nextGaussian());
                }
            }
            Path d = tmp.resolve(spec.name());
            ModelDir.save(d, spec, mc, Options.defaults(), new TrainConfig(), model, data, null);
            DotScorer saved = model.scorer();
            ModelDir.Rebuilt r = ModelDir.open(d).rebuild();
            DotScorer again = r.model().scorer();
            assertSameTable(saved.users(), again.users());
            assertSameTable(saved.items(), again.items());
            assertEquals(spec, r.spec());
        }
    }

    @Test
    void aManifestWithoutANewerOptionLoadsAsTheModelItWas() throws Exception {
        // HMA-Rec's item graph was added off, then made the default: a model saved before the option existed
        // (its manifest lacks item_graph_layers) had no item graph and must load without one.
        loadsAsSavedWithoutTheOption("hmarec", weft.models.HmaRec.ITEM_GRAPH_LAYERS, 0, 1, "\"item_graph_layers\":\\s*0,\\s*");
    }

    @Test
    void aCraneSavedBeforeItsViewWasWeighedLoadsWithoutTheWeight() throws Exception {
        // CRANE's --adapt-view was added off, then made the default: a manifest without adapt_view is a model
        // whose view 2 counted fully, and must load as one.
        loadsAsSavedWithoutTheOption("crane", weft.models.Crane.ADAPT_VIEW, false, true, "\"adapt_view\":\\s*false,\\s*");
    }

    @Test
    void aCraneSavedBeforeItsContrastWasWeighedLoadsWithLambdaAsGiven() throws Exception {
        // CRANE's --adapt-contrast was added off, then made the default: a manifest without adapt_contrast is a
        // model trained with the contrast at lambda_cl itself, and must load (and train on) as one.
        loadsAsSavedWithoutTheOption("crane", weft.models.Crane.ADAPT_CONTRAST, false, true, "\"adapt_contrast\":\\s*false,\\s*");
    }

    @Test
    void anHmaRecSavedBeforeItsContentPowerLoadsWithTheWeightItself() throws Exception {
        // HMA-Rec's --adapt-power was added at 1, then made 2: a manifest without adapt_power weighed its content by w.
        loadsAsSavedWithoutTheOption("hmarec", weft.models.HmaRec.ADAPT_POWER, 1, 2, "\"adapt_power\":\\s*1,\\s*");
    }

    @Test
    void aDpRecSavedBeforeItsHypergraphWasCentredLoadsUncentred() throws Exception {
        // DPRec's --hyper-center was added off, then made the default: a manifest without hyper_center added the whole term.
        loadsAsSavedWithoutTheOption("dprec", weft.models.DpRec.HYPER_CENTER, false, true, "\"hyper_center\":\\s*false,\\s*");
    }

    @Test
    void aDpRecSavedWithTenNeighboursLoadsWithTen() throws Exception {
        // DPRec's --knn-k went from 10 to 20: a manifest records knn_k, so a model saved at 10 rebuilds its kNN graphs at 10.
        Saved s = saveWith("dprec", weft.models.DpRec.KNN_K, 10);
        assertTrue(Files.readString(s.dir().resolve(ModelDir.MANIFEST)).matches("(?s).*\"knn_k\":\\s*10\\b.*"));
        ModelDir.Rebuilt r = ModelDir.open(s.dir()).rebuild();
        assertEquals(10, r.options().get(weft.models.DpRec.KNN_K));
        assertSameTable(s.model().scorer().items(), r.model().scorer().items());
        assertEquals(20, weft.models.DpRec.KNN_K.defaultValue(), "the default the test guards against");
    }

    /** Saves a model with {@code option} at {@code old}, removes the option from its manifest, and loads it: it must come back with {@code old}. */
    private <T> void loadsAsSavedWithoutTheOption(String name, weft.models.options.Option<T> option, T old, T dflt, String entry)
            throws Exception {
        Saved s = saveWith(name, option, old);
        Path mf = s.dir().resolve(ModelDir.MANIFEST);
        String text = Files.readString(mf);
        String without = text.replaceFirst(entry, "");
        assertNotEquals(text, without, "the manifest should have held " + option.name());
        Files.writeString(mf, without);
        ModelDir.Rebuilt r = ModelDir.open(s.dir()).rebuild();
        assertEquals(old, r.options().get(option));
        assertSameTable(s.model().scorer().items(), r.model().scorer().items());
        assertEquals(dflt, option.defaultValue(), "the default the test guards against");
    }

    private record Saved(Recommender model, Path dir) {}

    /** A model {@code name} (d = 16) on test-data with {@code option} at {@code value}, untrained, saved to its own folder. */
    private <T> Saved saveWith(String name, weft.models.options.Option<T> option, T value) throws Exception {
        Dataset data = Dataset.load(Fixtures.testDataDir());
        ModelSpec spec = weft.models.Models.spec(name);
        ModelConfig mc = spec.config();
        mc.dim = 16;
        Options opts = Options.defaults().with(option, value);
        Recommender model = spec.create(data, mc, opts);
        Path d = tmp.resolve(name + "-" + option.name() + "-" + value);
        ModelDir.save(d, spec, mc, opts, new TrainConfig(), model, data, null);
        return new Saved(model, d);
    }

    private static String refusal(Path dir) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> ModelDir.open(dir));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void refusesMissingIncompleteAndNewerFolders() throws Exception {
        assertTrue(refusal(tmp.resolve("absent")).endsWith("no such folder"));
        Path d = copy(lightgcnDir, tmp.resolve("m"));
        Files.delete(d.resolve(ModelDir.MANIFEST));
        String m = refusal(d);
        assertTrue(m.startsWith(d.toString()) && m.contains("has no manifest.json"), m);

        Path n = copy(lightgcnDir, tmp.resolve("newer"));
        Path mf = n.resolve(ModelDir.MANIFEST);
        Files.writeString(mf, Files.readString(mf).replace("\"format_version\": 1", "\"format_version\": 2"));
        m = refusal(n);
        assertTrue(m.contains("manifest.json: written by a newer weft: format_version 2, this weft reads up to 1"), m);

        Path bad = copy(lightgcnDir, tmp.resolve("badjson"));
        Files.writeString(bad.resolve(ModelDir.MANIFEST), "{\"format\": ");
        assertTrue(refusal(bad).contains("manifest.json: is not valid JSON"));
    }

    @Test
    void refusesTruncatedCorruptedMissingAndMismatchedFiles() throws Exception {
        Path t = copy(lightgcnDir, tmp.resolve("trunc"));
        Path emb = t.resolve(ModelDir.EMBEDDINGS);
        byte[] b = Files.readAllBytes(emb);
        Files.write(emb, Arrays.copyOf(b, b.length - 100));
        String m = refusal(t);
        assertTrue(m.startsWith(emb.toString()) && m.contains("truncated: " + (b.length - 100) + " bytes"), m);

        Path c = copy(lightgcnDir, tmp.resolve("flip"));
        Path params = c.resolve(ModelDir.PARAMETERS);
        byte[] p = Files.readAllBytes(params);
        p[p.length / 2] ^= 0x01;
        Files.write(params, p);
        m = refusal(c);
        assertTrue(m.startsWith(params.toString()) && m.contains("corrupted: checksum mismatch"), m);

        Path gone = copy(lightgcnDir, tmp.resolve("gone"));
        Files.delete(gone.resolve(ModelDir.DATA));
        assertTrue(refusal(gone).contains("data.safetensors: is missing (listed in manifest.json)"));

        Path shape = copy(lightgcnDir, tmp.resolve("shape"));
        Path mf = shape.resolve(ModelDir.MANIFEST);
        Files.writeString(mf, Files.readString(mf).replace("\"users\": 600", "\"users\": 601"));
        m = refusal(shape);
        assertTrue(m.contains("tensor 'users' has shape [600, 64], but manifest.json records 601 users"), m);

        Path unknown = copy(lightgcnDir, tmp.resolve("unknown"));
        mf = unknown.resolve(ModelDir.MANIFEST);
        Files.writeString(mf, Files.readString(mf).replace("\"model\": \"lightgcn\"", "\"model\": \"gpt\""));
        ModelDir md = ModelDir.open(unknown);
        DataFormatException e = assertThrows(DataFormatException.class, md::rebuild);
        assertTrue(e.getMessage().contains("model 'gpt' is not one this weft knows"), e.getMessage());
    }

    @Test
    void savingOverAModelReplacesItAndOddTargetsAreRefused() throws Exception {
        Path d = copy(lightgcnDir, tmp.resolve("again"));
        Dataset data = Dataset.load(Fixtures.testDataDir());
        ModelConfig mc = LightGcn.SPEC.config();
        mc.dim = 8;
        Recommender model = LightGcn.SPEC.create(data, mc, Options.defaults());
        ModelDir.save(d, LightGcn.SPEC, mc, Options.defaults(), new TrainConfig(), model, data, null);
        ModelDir md = ModelDir.open(d);
        assertEquals(8, md.dim());
        assertEquals(8, md.embeddings().users().cols);
        try (var files = Files.list(d)) {
            assertEquals(4, files.count(), "manifest and three tensor files, no temporary files");
        }

        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelDir.checkWritable(file));
        assertTrue(e.getMessage().contains("is a file"), e.getMessage());
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("notes.txt"), "mine");
        e = assertThrows(IllegalArgumentException.class, () -> ModelDir.checkWritable(other));
        assertTrue(e.getMessage().contains("holds other files"), e.getMessage());
        ModelDir.checkWritable(tmp.resolve("new/deeper"));
        assertTrue(Files.isDirectory(tmp.resolve("new/deeper")));
    }
}
