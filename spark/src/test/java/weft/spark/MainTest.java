package weft.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.graph.CsrMatrix;
import weft.graph.KnnGraph;
import weft.models.data.Dataset;
import weft.models.data.ItemGraphFile;
import weft.models.data.Npy;

/** The weft-spark command line: the same answers as the single-JVM {@code weft recommend --users}, and one-line errors. */
class MainTest {
    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Fixtures.Trained t;

    @BeforeAll
    static void train() {
        spark = Fixtures.spark();
        t = Fixtures.lightgcn(Dataset.load(Fixtures.testData()), 1, tmp.resolve("model"));
    }

    record Run(int rc, String out, String err) {}

    static Run spark(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static Run weft(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = weft.models.cli.Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void recommendWritesWhatWeftRecommendUsersWrites() throws Exception {
        Path users = tmp.resolve("users.txt");
        StringBuilder sb = new StringBuilder("userID\n");
        for (int u = 0; u < 600; u += 3) sb.append(u).append("\n\n");
        Files.writeString(users, sb.toString());
        Path single = tmp.resolve("single.tsv");
        Run w = weft("recommend", "--model", t.dir().toString(), "--users", users.toString(), "--out", single.toString(), "--k", "20");
        assertEquals(0, w.rc(), w.err());
        Path out = tmp.resolve("recs");
        Run s = spark("recommend", "--model", t.dir().toString(), "--users", users.toString(), "--out", out.toString(), "--k", "20");
        assertEquals(0, s.rc(), s.err());
        assertTrue(Files.isRegularFile(out.resolve("_SUCCESS")));
        List<Row> rows = spark.read().parquet(out.toString()).orderBy("userId", "rank").collectAsList();
        List<String> got = new ArrayList<>();
        for (Row r : rows) {
            got.add(r.getAs("userId") + "\t" + r.getAs("rank") + "\t" + r.getAs("itemId") + "\t"
                    + String.format(Locale.ROOT, "%.6g", (float) r.getAs("score")));
        }
        List<String> want = new ArrayList<>(Files.readAllLines(single));
        assertEquals("userID\trank\titemID\tscore", want.remove(0));
        want.sort(java.util.Comparator.comparing((String l) -> l.split("\t")[0]).thenComparingInt(l -> Integer.parseInt(l.split("\t")[1])));
        // The same users, ranks and items; the scores are the evaluator's (one GEMM per block of users), which
        // can differ from weft recommend's per-user dot product in the last bit of a float.
        assertEquals(want.size(), got.size());
        for (int j = 0; j < want.size(); j++) {
            String[] wl = want.get(j).split("\t"), g = got.get(j).split("\t");
            assertEquals(String.join("\t", wl[0], wl[1], wl[2]), String.join("\t", g[0], g[1], g[2]), "line " + j);
            double ws = Double.parseDouble(wl[3]), gs = Double.parseDouble(g[3]);
            assertTrue(Math.abs(ws - gs) <= 1e-5 * Math.abs(ws), "score " + gs + " vs weft recommend's " + ws + ", line " + j);
        }
        // Again over the earlier output: replaced; no temporary folders left beside it.
        Files.writeString(users, "5\n");
        assertEquals(0, spark("recommend", "--model", t.dir().toString(), "--users", users.toString(), "--out", out.toString(), "--k", "3").rc());
        assertEquals(3, spark.read().parquet(out.toString()).count());
        try (var l = Files.list(tmp)) {
            assertFalse(l.anyMatch(p -> p.getFileName().toString().startsWith(".recs.")), "temporary folders left");
        }
        // CSV and TSV with a header; a named column.
        Files.writeString(tmp.resolve("u.csv"), "name,who\na,7\nb,9\n");
        Path o2 = tmp.resolve("o2");
        Run c = spark("recommend", "--model", t.dir().toString(), "--users", tmp.resolve("u.csv").toString(), "--user-column", "who",
                "--out", o2.toString(), "--k", "2");
        assertEquals(0, c.rc(), c.err());
        assertEquals(List.of("7", "7", "9", "9"), spark.read().parquet(o2.toString()).orderBy("userId", "rank").collectAsList().stream()
                .map(r -> (String) r.getAs("userId")).toList());
    }

    @Test
    void errorsAreOneLine() throws Exception {
        Path users = tmp.resolve("bad-users.txt");
        Files.writeString(users, "1\n2\nghost\n");
        Run r = spark("recommend", "--model", t.dir().toString(), "--users", users.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(2, r.rc());
        assertEquals("weft-spark recommend: unknown user 'ghost' (the model knows 600 users; ids look like '0', '1', ...) in the users\n",
                r.err());
        r = spark("recommend", "--model", tmp.resolve("nothing").toString(), "--users", users.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(1, r.rc());
        assertTrue(r.err().startsWith("weft-spark recommend: ") && r.err().contains("nothing: no such folder") && r.err().lines().count() == 1,
                r.err());
        r = spark("recommend", "--model", t.dir().toString(), "--users", tmp.resolve("none.txt").toString(), "--out", tmp.resolve("x").toString());
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("none.txt: no such file or folder (the users)"), r.err());
        Path file = Files.writeString(tmp.resolve("afile"), "x");
        r = spark("recommend", "--model", t.dir().toString(), "--users", users.toString(), "--out", file.toString());
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("is a file; the output is a Parquet folder"), r.err());
        r = spark("recommend", "--model", t.dir().toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().startsWith("weft-spark recommend: --users is required"), r.err());
        r = spark("knn", "--features", Fixtures.testData().resolve("synthetic.inter").toString(), "--out", tmp.resolve("g.tsv").toString());
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("synthetic.inter") && r.err().contains("not a .npy file"), r.err());
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void evaluateAndKnnCommands() throws Exception {
        Run r = spark("evaluate", "--model", t.dir().toString(), "--split", "test", "--ks", "20,10");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("\"Recall@20\": " + t.result().test.get("Recall@20") + ","), r.out());
        Path g = tmp.resolve("img.tsv");
        r = spark("knn", "--features", Fixtures.testData().resolve("image_feat.npy").toString(), "--k", "10", "--out", g.toString(), "--block", "64");
        assertEquals(0, r.rc(), r.err());
        CsrMatrix read = ItemGraphFile.read(g, 400);
        CsrMatrix want = KnnGraph.build(Npy.read(Fixtures.testData().resolve("image_feat.npy")), 10, KnnGraph.Weights.ONE_OVER_K);
        assertArrayEquals(want.colIdxCopy(), read.colIdxCopy());
    }
}
