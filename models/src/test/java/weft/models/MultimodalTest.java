package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.graph.CsrMatrix;
import weft.graph.KnnGraph;
import weft.models.data.DataFormatException;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.ItemGraphFile;
import weft.models.options.OptionException;
import weft.models.options.Options;
import weft.models.train.TrainResult;
import weft.engine.Tensor;

/** The multimodal baselines on the bundled synthetic data, and the multimodal data path. */
class MultimodalTest {
    static Dataset data;
    static double popularityRecall;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        data = Fixtures.data();
        popularityRecall = Fixtures.popularityRecall();
    }

    static TrainResult fit(Recommender r, Dataset d, int epochs) {
        return Fixtures.fit(r, d, epochs);
    }

    @Test
    void vbprBeatsPopularity() {
        TrainResult r = fit(new Vbpr(data, new ModelConfig()), data, 25);
        assertTrue(r.test.get("Recall@20") > 1.2 * popularityRecall,
                "VBPR " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
    }

    @Test
    void freedomBeatsPopularity() {
        TrainResult r = fit(new Freedom(data), data, 15);
        assertTrue(r.test.get("Recall@20") > 1.2 * popularityRecall,
                "FREEDOM " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
    }

    @Test
    void freedomDefaultWeightsFollowThePaper() {
        Freedom f = new Freedom(data);
        assertEquals(Map.of("image", 0.1, "text", 0.9), f.usedWeights);
        Options o = Options.defaults().with(Freedom.MODALITY_WEIGHTS, Map.of("image", 0.5));
        OptionException e = assertThrows(OptionException.class, () -> new Freedom(data, Freedom.SPEC.config(), o),
                "a weight missing for text must be an error");
        assertTrue(e.getMessage().contains("--modality-weights") && e.getMessage().contains("text"), e.getMessage());
    }

    @Test
    void freedomFromGraphFilesEqualsFreedomFromVectors() throws Exception {
        // Writing the kNN graphs the vectors induce as files and loading them instead must give
        // the same model: same initial scores.
        Path dir = tmp.resolve("graphs");
        Files.createDirectories(dir);
        for (String f : new String[] {"synthetic.inter"}) {
            Files.copy(Fixtures.testDataDir().resolve(f), dir.resolve(f));
        }
        for (String m : new String[] {"image", "text"}) {
            CsrMatrix g = KnnGraph.build(data.modality(m), 10, KnnGraph.Weights.ONE_OVER_K);
            StringBuilder sb = new StringBuilder("itemID\tneighborID\n");
            for (int r = 0; r < g.rows(); r++) {
                for (int e = g.rowStart(r); e < g.rowEnd(r); e++) {
                    sb.append(r).append('\t').append(g.colAt(e)).append('\n');
                }
            }
            Files.writeString(dir.resolve(m + ".tsv"), sb.toString());
        }
        Dataset fromGraphs = Dataset.load(dir, new Dataset.Options().itemGraph("image", Path.of("image.tsv"))
                .itemGraph("text", Path.of("text.tsv")));
        ModelConfig mc = Freedom.SPEC.config();
        Options noBpr = Options.defaults().with(Freedom.LAMBDA, 0.0);
        Freedom a = new Freedom(data, mc, noBpr);
        Freedom b = new Freedom(fromGraphs, mc, noBpr);
        int[] users = {0, 1, 2, 3};
        Tensor sa = new Tensor(users.length, data.numItems());
        Tensor sb = new Tensor(users.length, data.numItems());
        a.scorer().score(users, sa);
        b.scorer().score(users, sb);
        float[] x = sa.toArray(), y = sb.toArray();
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], y[i], 1e-5f * Math.max(1f, Math.abs(x[i])), "score " + i);
        }
    }

    @Test
    void vbprWithoutVectorsSaysWhatItNeeds() throws Exception {
        Path dir = tmp.resolve("novec");
        Files.createDirectories(dir);
        Files.copy(Fixtures.testDataDir().resolve("synthetic.inter"), dir.resolve("synthetic.inter"));
        Dataset d = Dataset.load(dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Vbpr(d, new ModelConfig()));
        assertTrue(e.getMessage().contains("vbpr needs item feature vectors"), e.getMessage());
    }

    @Test
    void itemGraphFileErrorsNameFileLineAndColumn() throws Exception {
        Path f = tmp.resolve("g.tsv");
        Files.writeString(f, "itemID\tneighborID\n0\t1\n1\t400\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> ItemGraphFile.read(f, 400));
        assertTrue(e.getMessage().contains("g.tsv:3:2") && e.getMessage().contains("neighborID 400"), e.getMessage());
        Files.writeString(f, "item\tneighbour\n0\t1\n");
        e = assertThrows(DataFormatException.class, () -> ItemGraphFile.read(f, 400));
        assertTrue(e.getMessage().contains("itemID and neighborID"), e.getMessage());
        Files.writeString(f, "itemID\tneighborID\n0\tx\n");
        e = assertThrows(DataFormatException.class, () -> ItemGraphFile.read(f, 400));
        assertTrue(e.getMessage().contains("g.tsv:2:2"), e.getMessage());
        Files.writeString(f, "neighborID\titemID\tscore\n5\t3\t0.9\n5\t3\t0.9\n");
        CsrMatrix g = ItemGraphFile.read(f, 10);
        assertEquals(1, g.nnz(), "columns found by name, repeated edges once");
        assertEquals(1f, g.get(3, 5));
    }

    @Test
    void featureNormalisations() {
        Tensor x = Tensor.of(3, 2, 1, 10, 2, 10, 3, 10);
        Tensor z = FeatureNorm.STANDARDIZE.apply(x);
        assertEquals(-Math.sqrt(1.5), z.get(0, 0), 1e-5);
        assertEquals(0f, z.get(1, 0), 1e-6);
        assertEquals(0f, z.get(2, 1), 0f, "a constant column becomes 0");
        Tensor l = FeatureNorm.L2.apply(x);
        assertEquals(1.0, Math.hypot(l.get(2, 0), l.get(2, 1)), 1e-6);
        assertEquals(1f, x.get(0, 0), 0f, "input untouched");
        assertThrows(IllegalArgumentException.class, () -> FeatureNorm.parse("minmax"));
    }

    @Test
    void freedomOptionsAreCheckedWhereTheyAreDeclared() {
        OptionException e = assertThrows(OptionException.class,
                () -> Options.parse(Freedom.SPEC.options(), Map.of("rho", "1.5")));
        assertTrue(e.getMessage().contains("--rho") && e.getMessage().contains("< 1"), e.getMessage());
        e = assertThrows(OptionException.class, () -> Options.parse(Freedom.SPEC.options(), Map.of("modality-weights", "image:0.5")));
        assertTrue(e.getMessage().contains("--modality-weights takes NAME=W"), e.getMessage());
        Options o = Options.parse(Freedom.SPEC.options(), Map.of("rho", "0.9", "modality-weights", "image=0.5,text=0.5"));
        Map<String, Object> cfg = Freedom.SPEC.config(Freedom.SPEC.config(), o);
        assertEquals(0.9, cfg.get("rho"));
        assertEquals(2, cfg.get("layers"), "FREEDOM's own default of 2 user-item layers");
        assertEquals(List.of("--rho 0", "--lambda 0", "--mm-layers 0"),
                Freedom.SPEC.ablations().stream().map(ModelSpec.Variant::label).toList());
    }
}
