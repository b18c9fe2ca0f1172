package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.models.data.DataFormatException;
import weft.models.data.Dataset;
import weft.models.data.SyntheticGenerator;
import weft.models.options.OptionException;
import weft.models.tune.SearchSpace;
import weft.models.tune.TuneReport;

class TuneTest {
    @TempDir
    Path tmp;

    /** Every model with something to train declares a grid large enough for the same --trials budget. */
    @Test
    void everyTrainableModelDeclaresAGridOfAtLeastTheCommonBudget() {
        for (ModelSpec m : Models.all()) {
            if (m.name().equals("popularity")) {
                assertTrue(SearchSpace.declared(m).isEmpty(), "popularity has nothing to tune");
                continue;
            }
            long size = SearchSpace.declared(m).size();
            assertTrue(size >= 20, m.name() + " declares a grid of only " + size + " points");
            // The defaults are a point of the grid, so a tune can only confirm or improve on them.
            ModelConfig mc = m.config();
            weft.models.train.TrainConfig tc = new weft.models.train.TrainConfig();
            Map<String, Object> dflt = Map.of("dim", mc.dim, "reg", (double) mc.reg, "layers", mc.layers, "lr", (double) tc.lr,
                    "batch", tc.batch);
            for (SearchSpace.Param p : SearchSpace.declared(m).params()) {
                Object d = dflt.containsKey(p.name()) ? dflt.get(p.name()) : p.option().defaultValue();
                String text = SearchSpace.canonical(p.option(), d instanceof Double x ? String.valueOf((float) (double) x) : String.valueOf(d));
                assertTrue(p.values().contains(text), m.name() + ": the grid of " + p.name() + " " + p.values() + " lacks the default " + text);
            }
        }
        SearchSpace lgcn = SearchSpace.declared(LightGcn.SPEC);
        assertEquals(List.of("reg", "layers"), lgcn.params().stream().map(SearchSpace.Param::name).toList());
        assertEquals(List.of("1e-6", "1e-5", "1e-4", "0.001", "0.01"), lgcn.params().get(0).values());
        assertEquals(List.of("reg", "lr"), SearchSpace.declared(BprMf.SPEC).params().stream().map(SearchSpace.Param::name).toList());
        assertTrue(SearchSpace.declared(Freedom.SPEC).params().stream().anyMatch(p -> p.name().equals("lambda")));
    }

    @Test
    void gridPointsDecodeWithTheFirstSettingSlowest() {
        SearchSpace s = SearchSpace.parse(LightGcn.SPEC, List.of("reg=1e-4,0.001,1E-2", "layers=1,2"));
        assertEquals(6, s.size());
        assertEquals(Map.of("reg", "1e-4", "layers", "1"), s.config(0));
        assertEquals(Map.of("reg", "1e-4", "layers", "2"), s.config(1));
        assertEquals(Map.of("reg", "0.01", "layers", "2"), s.config(5));
        assertEquals(List.of("reg", "layers"), List.copyOf(s.config(3).keySet()));
        assertEquals("reg=0.001 layers=2", SearchSpace.describe(s.config(3)));
        assertThrows(IllegalArgumentException.class, () -> s.config(6));
        assertEquals(Map.of("reg", List.of(1e-4, 1e-3, 1e-2), "layers", List.of(1L, 2L)), s.asJson());
    }

    @Test
    void gridEntriesAreCheckedByTheDeclarations() {
        OptionException unknown = assertThrows(OptionException.class, () -> SearchSpace.parse(LightGcn.SPEC, List.of("rho=0.5")));
        assertTrue(unknown.getMessage().contains("lightgcn has no setting 'rho'") && unknown.getMessage().contains("reg"),
                unknown.getMessage());
        OptionException bad = assertThrows(OptionException.class, () -> SearchSpace.parse(Freedom.SPEC, List.of("rho=0.5,1.5")));
        assertTrue(bad.getMessage().startsWith("--grid rho=0.5,1.5: --rho must be < 1"), bad.getMessage());
        OptionException text = assertThrows(OptionException.class, () -> SearchSpace.parse(LightGcn.SPEC, List.of("layers=two")));
        assertTrue(text.getMessage().contains("--layers must be an integer"), text.getMessage());
        assertThrows(OptionException.class, () -> SearchSpace.parse(LightGcn.SPEC, List.of("reg=1e-3", "reg=1e-4")));
        assertThrows(OptionException.class, () -> SearchSpace.parse(LightGcn.SPEC, List.of("reg=1e-3,0.001")));
        assertThrows(OptionException.class, () -> SearchSpace.parse(LightGcn.SPEC, List.of("reg=1e-3,")));
        assertThrows(OptionException.class, () -> SearchSpace.parse(LightGcn.SPEC, List.of("reg")));
        OptionException subset = assertThrows(OptionException.class, () -> SearchSpace.parse(DpRec.SPEC, List.of("align-levels=item")));
        assertTrue(subset.getMessage().contains("cannot be searched"), subset.getMessage());
        // A component switch is searched as true/false.
        SearchSpace t = SearchSpace.parse(HmaRec.SPEC, List.of("intra=true,false"));
        assertEquals(Map.of("intra", "false"), t.config(1));
        assertThrows(OptionException.class, () -> SearchSpace.parse(HmaRec.SPEC, List.of("intra=off")));
    }

    @Test
    void sampledTrialsAreSeededDistinctAndInTheGrid() {
        SearchSpace crane = SearchSpace.declared(Crane.SPEC);
        List<Long> a = crane.trials(12, 7), b = crane.trials(12, 7), c = crane.trials(12, 8);
        assertEquals(a, b, "same seed, same trials");
        assertNotEquals(a, c, "another seed draws other trials");
        assertEquals(12, new HashSet<>(a).size(), "distinct");
        assertEquals(crane.defaultPoint(), a.get(0), "the defaults first");
        for (int i = 0; i < a.size(); i++) {
            assertTrue(a.get(i) >= 0 && a.get(i) < crane.size());
            assertTrue(i <= 1 || a.get(i) > a.get(i - 1), "the sampled points ascending");
        }
        SearchSpace small = SearchSpace.parse(LightGcn.SPEC, List.of("layers=1,2,3"));
        assertEquals(List.of(0L, 1L, 2L), small.trials(null, 1));
        assertEquals(List.of(0L, 1L, 2L), small.trials(10, 1), "more trials than points: the whole grid");
        assertEquals(2, small.trials(2, 1).size());
    }

    /** A sampled search starts from the configuration the model trains with by default, so it never chooses worse on valid. */
    @Test
    void sampledTrialsStartFromTheModelsDefaults() {
        for (ModelSpec spec : Models.all()) {
            if (spec.searchSpace().isEmpty()) {
                continue;
            }
            SearchSpace s = SearchSpace.declared(spec);
            long d = s.defaultPoint();
            assertTrue(d >= 0, spec.name() + ": its defaults are a point of its declared grid");
            s.config(d).forEach((name, value) -> assertEquals(SearchSpace.canonical(SearchSpace.setting(spec, name),
                    String.valueOf(spec.defaultOf(SearchSpace.setting(spec, name)))), value, spec.name() + " --" + name));
            List<Long> t = s.trials(3, 11);
            assertEquals(d, t.get(0), spec.name());
            assertEquals(3, new HashSet<>(t).size(), spec.name());
        }
        // The model's own defaults, not the protocol's: BPR-MF trains with reg 0.1.
        assertEquals("0.1", SearchSpace.declared(BprMf.SPEC).config(SearchSpace.declared(BprMf.SPEC).defaultPoint()).get("reg"));
        assertEquals(Map.of("reg", "1e-4", "layers", "3"), SearchSpace.declared(LightGcn.SPEC).config(
                SearchSpace.declared(LightGcn.SPEC).defaultPoint()));
        // A grid without the default value: nothing to start from, all points drawn.
        SearchSpace g = SearchSpace.parse(LightGcn.SPEC, List.of("layers=1,2", "reg=1e-3,1e-2"));
        assertEquals(-1, g.defaultPoint());
        assertEquals(2, g.trials(2, 5).size());
    }

    @Test
    void theDeclaredGridLeavesOutSettingsFixedOnTheCommandLine() {
        SearchSpace s = SearchSpace.declared(LightGcn.SPEC).without(List.of("layers"));
        assertEquals(List.of("reg"), s.params().stream().map(SearchSpace.Param::name).toList());
        assertEquals(5, s.size());
    }

    @Test
    void reportResumesOnlyTheSameSearch() throws Exception {
        Path file = tmp.resolve("tune.json");
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("model", "lightgcn");
        header.put("grid", Map.of("reg", List.of(1e-4, 1e-3)));
        header.put("seeds", List.of(2024L));
        TuneReport r = TuneReport.open(file, header);
        assertNull(r.finished(1));
        Map<String, Object> trial = new LinkedHashMap<>();
        trial.put("trial", 1);
        trial.put("config", Map.of("reg", 1e-4));
        trial.put("valid", Map.of("Recall@20", 0.25));
        r.add(1, trial);
        assertTrue(Files.exists(file), "written after each trial");

        TuneReport again = TuneReport.open(file, header);
        assertNotNull(again.finished(1));
        assertEquals(0.25, ((Map<?, ?>) again.finished(1).get("valid")).get("Recall@20"));
        assertNull(again.finished(2));

        Map<String, Object> other = new LinkedHashMap<>(header);
        other.put("grid", Map.of("reg", List.of(1e-4, 1e-2)));
        other.put("seeds", List.of(2024L, 2025L));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TuneReport.open(file, other));
        assertTrue(e.getMessage().contains("another grid, seeds") && e.getMessage().contains(file.toString()), e.getMessage());

        Path notTune = tmp.resolve("train.json");
        Files.writeString(notTune, "{\"model\": \"lightgcn\", \"best_epoch\": 3}");
        DataFormatException d = assertThrows(DataFormatException.class, () -> TuneReport.open(notTune, header));
        assertTrue(d.getMessage().startsWith(notTune + ": not a tune report"), d.getMessage());
        Files.writeString(notTune, "{\"command\": ");
        assertThrows(DataFormatException.class, () -> TuneReport.open(notTune, header));
    }

    /** The sparse preset: users with 4-10 interactions and two 128-d modalities; defaults are untouched. */
    @Test
    void sparsePresetHasSparseUsersAndTwo128dModalities() {
        SyntheticGenerator.Config c = SyntheticGenerator.preset("sparse");
        assertEquals(4, c.minInter);
        assertEquals(10, c.maxInter);
        c.users = 300;
        c.items = 200;
        SyntheticGenerator.write(c, tmp);
        Dataset d = Dataset.load(tmp);
        assertEquals(300, d.numUsers());
        assertEquals(List.of(128, 128), d.modalities().values().stream().map(t -> t.cols).toList());
        double total = 0;
        for (int u = 0; u < d.numUsers(); u++) {
            int n = d.train().count(u) + d.valid().count(u) + d.test().count(u);
            assertTrue(n >= 4 && n <= 10, "user " + u + " has " + n);
            total += n;
        }
        assertEquals(7.0, total / d.numUsers(), 0.5, "about 7 interactions per user");
        SyntheticGenerator.Config dflt = SyntheticGenerator.preset("default");
        assertEquals(1.0, dflt.imageSignal);
        assertEquals(1.0, dflt.textNoise);
        assertThrows(IllegalArgumentException.class, () -> SyntheticGenerator.preset("dense"));
        // sparse-weak: the sparse shape with harder interactions and weaker features
        SyntheticGenerator.Config weak = SyntheticGenerator.preset("sparse-weak");
        assertEquals(9308, weak.users);
        assertEquals(6710, weak.items);
        assertEquals(64, weak.clusters);
        assertEquals(0.5, weak.noise);
        assertEquals(0.15, weak.imageSignal);
        assertEquals(0.15, weak.textSignal);
        assertTrue(weak.imageSignal < SyntheticGenerator.sparse().imageSignal && weak.textSignal < SyntheticGenerator.sparse().textSignal, "weaker than sparse");
    }

    /** Signal and noise settings: with no noise, items of one cluster share their feature row; with no signal, rows are noise. */
    @Test
    void signalAndNoiseSettingsShapeTheFeatures() {
        SyntheticGenerator.Config c = SyntheticGenerator.sparse();
        c.users = 100;
        c.items = 60;
        c.clusters = 3;
        c.imageSignal = 0;
        c.imageNoise = 0;
        c.textNoise = 0;
        c.textSignal = 2;
        SyntheticGenerator.Interactions g = SyntheticGenerator.write(c, tmp);
        weft.engine.Tensor image = weft.models.data.Npy.read(tmp.resolve("image_feat.npy"));
        weft.engine.Tensor text = weft.models.data.Npy.read(tmp.resolve("text_feat.npy"));
        for (float v : image.toArray()) {
            assertTrue(v == 0f, "no signal, no noise: zero image features");
        }
        // ... which the loader refuses as a modality without information.
        Exception refused = assertThrows(weft.models.data.DataFormatException.class,
                () -> Dataset.load(tmp, new Dataset.Options().featureNorm(weft.models.data.FeatureNorm.NONE)));
        assertTrue(refused.getMessage().contains("all zeros"), refused.getMessage());
        int a = -1, b = -1, other = -1;
        for (int i = 0; i < c.items; i++) {
            if (g.itemCluster[i] == 0) {
                if (a < 0) a = i; else if (b < 0) b = i;
            } else if (other < 0) {
                other = i;
            }
        }
        float[] t = text.toArray();
        boolean sameRow = true, otherDiffers = false;
        for (int k = 0; k < text.cols; k++) {
            sameRow &= t[a * text.cols + k] == t[b * text.cols + k];
            otherDiffers |= t[a * text.cols + k] != t[other * text.cols + k];
        }
        assertTrue(sameRow && otherDiffers, "without noise an item's text row is its cluster's centroid");
        String usage = SyntheticGenerator.usage();
        for (String flag : new String[] {"--preset", "--image-signal", "--text-noise"}) {
            assertTrue(usage.contains(flag), usage);
        }
    }
}
