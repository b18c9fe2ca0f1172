package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.graph.CsrMatrix;
import weft.graph.KnnGraph;
import weft.models.cli.Args;
import weft.models.data.DataFormatException;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.ItemGraphFile;
import weft.models.eval.Evaluator;
import weft.models.train.TrainConfig;
import weft.models.train.TrainResult;
import weft.models.train.Trainer;
import weft.engine.Tensor;

/** The multimodal baselines on the bundled synthetic data, and the multimodal data path. */
class MultimodalTest {
    static Dataset data;
    static double popularityRecall;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        data = Dataset.load(TrainingTest.TestData.dir());
        popularityRecall = new Evaluator(data).test(new Popularity(data).scorer()).get("Recall@20");
    }

    static TrainResult fit(Recommender r, Dataset d, int epochs) {
        TrainConfig tc = new TrainConfig();
        tc.epochs = epochs;
        tc.patience = epochs;
        tc.lr = 1e-2f;
        tc.batch = 512;
        tc.verbose = false;
        return new Trainer(tc, new PrintStream(new ByteArrayOutputStream())).fit(r, d, Map.of());
    }

    @Test
    void vbprBeatsPopularity() {
        TrainResult r = fit(new Vbpr(data, new ModelConfig()), data, 25);
        assertTrue(r.test.get("Recall@20") > 1.2 * popularityRecall,
                "VBPR " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
    }

    @Test
    void freedomBeatsPopularity() {
        TrainResult r = fit(new Freedom(data, new ModelConfig()), data, 15);
        assertTrue(r.test.get("Recall@20") > 1.2 * popularityRecall,
                "FREEDOM " + r.test.get("Recall@20") + " vs popularity " + popularityRecall);
    }

    @Test
    void freedomDefaultWeightsFollowThePaper() {
        Freedom f = new Freedom(data, new ModelConfig());
        assertEquals(Map.of("image", 0.1, "text", 0.9), f.usedWeights);
        Freedom.Options o = new Freedom.Options();
        o.weights.put("image", 0.5);
        assertThrows(IllegalArgumentException.class, () -> new Freedom(data, new ModelConfig(), o),
                "a weight missing for text must be an error");
    }

    @Test
    void freedomFromGraphFilesEqualsFreedomFromVectors() throws Exception {
        // Writing the kNN graphs the vectors induce as files and loading them instead must give
        // the same model: same initial scores.
        Path dir = tmp.resolve("graphs");
        Files.createDirectories(dir);
        for (String f : new String[] {"synthetic.inter"}) {
            Files.copy(TrainingTest.TestData.dir().resolve(f), dir.resolve(f));
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
        ModelConfig mc = new ModelConfig();
        Freedom.Options noBpr = new Freedom.Options();
        noBpr.lambda = 0;
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
        Files.copy(TrainingTest.TestData.dir().resolve("synthetic.inter"), dir.resolve("synthetic.inter"));
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
    void freedomRejectsBadFlags() {
        Args a = new Args().valued("rho").parse(new String[] {"--rho", "1.5"}, 0);
        assertThrows(Args.UsageException.class, () -> Models.create("freedom", data, new ModelConfig(), a));
    }
}
