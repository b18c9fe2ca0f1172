package weft.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.engine.Tensor;
import weft.models.blocks.DotScorer;
import weft.models.data.Dataset;
import weft.models.data.UserItems;
import weft.models.eval.EvalResult;
import weft.models.eval.Metric;
import weft.models.eval.TopK;
import weft.models.serve.Recommendation;
import weft.models.serve.Weft;
import weft.models.serve.WeftModel;

/** Spark recommend and evaluate against the single-JVM results, on test-data (integer and string ids). */
class WeftSparkTest {
    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Fixtures.Trained ints, strings;

    @BeforeAll
    static void train() throws Exception {
        spark = Fixtures.spark();
        ints = Fixtures.lightgcn(Dataset.load(Fixtures.testData()), 2, tmp.resolve("ints"));
        // The same interactions with string ids: "u7", "i153" (natural order keeps the integer order).
        Path sdata = Files.createDirectories(tmp.resolve("strdata"));
        List<String> lines = Files.readAllLines(Fixtures.testData().resolve("synthetic.inter"));
        StringBuilder sb = new StringBuilder(lines.get(0)).append('\n');
        for (String l : lines.subList(1, lines.size())) {
            String[] f = l.split("\t");
            sb.append('u').append(f[0]).append('\t').append('i').append(f[1]).append('\t').append(f[2]).append('\n');
        }
        Files.writeString(sdata.resolve("s.inter"), sb.toString());
        strings = Fixtures.lightgcn(Dataset.load(sdata), 1, tmp.resolve("strings"));
    }

    static org.apache.spark.sql.Dataset<Row> ids(List<String> ids, String column) {
        List<Row> rows = new ArrayList<>();
        for (String s : ids) rows.add(RowFactory.create(s));
        return spark.createDataFrame(rows, new StructType().add(column, DataTypes.StringType));
    }

    static List<String> allUsers(Dataset d) {
        List<String> out = new ArrayList<>();
        for (int u = 0; u < d.numUsers(); u++) out.add(d.userIds().raw(u));
        return out;
    }

    /** userId -> the rows of that user, by rank. */
    static Map<String, List<Row>> byUser(List<Row> rows) {
        Map<String, List<Row>> m = new HashMap<>();
        for (Row r : rows) m.computeIfAbsent(r.getString(0), x -> new ArrayList<>()).add(r);
        for (List<Row> l : m.values()) l.sort(Comparator.comparingInt(r -> r.getInt(1)));
        return m;
    }

    /** The single-JVM evaluator's ranking of one user (GEMM over the tables, TopK with the mask): items and scores. */
    static void assertSameAsEvaluator(Fixtures.Trained t, Map<String, List<Row>> got, int k, UserItems mask) {
        DotScorer sc = DotScorer.of(t.model().scorer().users(), t.model().scorer().items());
        int users = t.data().numUsers(), items = t.data().numItems();
        TopK topk = new TopK(k);
        int[] best = new int[k];
        for (int from = 0; from < users; from += 100) {
            int n = Math.min(100, users - from);
            int[] batch = new int[n];
            for (int j = 0; j < n; j++) batch[j] = from + j;
            Tensor s = new Tensor(n, items);
            sc.score(batch, s);
            for (int j = 0; j < n; j++) {
                int len = topk.select(s.data, j * items, items, mask, from + j, best);
                List<Row> rows = got.get(t.data().userIds().raw(from + j));
                assertEquals(len, rows.size(), "user " + (from + j));
                for (int r = 0; r < len; r++) {
                    Row row = rows.get(r);
                    assertEquals(r + 1, row.getInt(1));
                    assertEquals(t.data().itemIds().raw(best[r]), row.getString(2), "user " + (from + j) + " rank " + (r + 1));
                    assertEquals(Float.floatToRawIntBits(s.data[j * items + best[r]]), Float.floatToRawIntBits(row.getFloat(3)),
                            "score of user " + (from + j) + " rank " + (r + 1));
                }
            }
        }
    }

    @Test
    void recommendEqualsTheSingleJvmRankingToTheBit() {
        List<Row> rows = WeftSpark.recommend(spark, ints.dir(), ids(allUsers(ints.data()), "userID").repartition(3), 20).collectAsList();
        assertEquals(ints.data().numUsers() * 20, rows.size());
        assertSameAsEvaluator(ints, byUser(rows), 20, ints.data().train());
    }

    @Test
    void recommendMatchesWeftModelOnStringIdsAndPassesRawIdsThrough() {
        WeftModel m = Weft.load(strings.dir());
        List<Row> rows = WeftSpark.recommend(spark, strings.dir(), ids(allUsers(strings.data()), "user"), 10).collectAsList();
        Map<String, List<Row>> got = byUser(rows);
        assertEquals(strings.data().numUsers(), got.size());
        assertTrue(got.containsKey("u0") && got.get("u0").get(0).getString(2).startsWith("i"));
        assertSameAsEvaluator(strings, got, 10, strings.data().train());
        int differ = 0;
        for (String u : got.keySet()) {
            List<Recommendation> want = m.recommend(u, 10);
            List<Row> have = got.get(u);
            for (int r = 0; r < 10; r++) {
                assertEquals(want.get(r).score(), have.get(r).getFloat(3), 1e-5f * Math.max(1f, Math.abs(want.get(r).score())));
                if (!want.get(r).itemId().equals(have.get(r).getString(2))) differ++;
            }
        }
        assertEquals(0, differ, "items that differ from WeftModel.recommend");
    }

    @Test
    void seenItemsComeFromTheInteractionsGiven() {
        List<String> users = allUsers(ints.data());
        // Include-seen: the unmasked ranking.
        Map<String, List<Row>> all = byUser(WeftSpark.recommend(spark, ints.dir(), ids(users, "userId"), 15,
                WeftSpark.RecommendOptions.defaults().includeSeen(true)).collectAsList());
        assertSameAsEvaluator(ints, all, 15, null);
        // Excluding interactions given as a dataset of raw ids (the training pairs, as longs) equals the default.
        List<Row> pairs = new ArrayList<>();
        UserItems train = ints.data().train();
        for (int u = 0; u < ints.data().numUsers(); u++) {
            for (int i : train.itemsOf(u)) pairs.add(RowFactory.create((long) u, (long) i));
        }
        org.apache.spark.sql.Dataset<Row> inter = spark.createDataFrame(pairs,
                new StructType().add("userID", DataTypes.LongType).add("itemID", DataTypes.LongType));
        Map<String, List<Row>> a = byUser(WeftSpark.recommend(spark, ints.dir(), ids(users, "userId"), 15).collectAsList());
        Map<String, List<Row>> b = byUser(WeftSpark.recommend(spark, ints.dir(), ids(users, "userId"), 15,
                WeftSpark.RecommendOptions.defaults().exclude(inter, null, null)).collectAsList());
        assertEquals(a, b);
        assertTrue(!a.equals(all), "masking changed nothing");
        // Excluding no interactions gives the unmasked ranking.
        assertEquals(all, byUser(WeftSpark.recommend(spark, ints.dir(), ids(users, "userId"), 15,
                WeftSpark.RecommendOptions.defaults().exclude(inter.limit(0), null, null)).collectAsList()));
        // An unknown item in the interactions is an error naming it.
        org.apache.spark.sql.Dataset<Row> bad = inter.union(spark.createDataFrame(List.of(RowFactory.create(1L, 4000L)), inter.schema()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeftSpark.recommend(spark, ints.dir(),
                ids(users, "userId"), 15, WeftSpark.RecommendOptions.defaults().exclude(bad, null, null)));
        assertTrue(e.getMessage().startsWith("unknown item '4000'") && e.getMessage().endsWith("in the interactions"), e.getMessage());
    }

    @Test
    void unknownUsersFailOnTheDriverOrAreSkipped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeftSpark.recommend(spark, ints.dir(), ids(List.of("3", "nope", "5"), "userId"), 5));
        assertTrue(e.getMessage().startsWith("unknown user 'nope' (the model knows 600 users; ids look like '0', '1', ...)"), e.getMessage());
        List<Row> rows = WeftSpark.recommend(spark, strings.dir(), ids(List.of("u3", "3", "u5"), "userId"), 5,
                WeftSpark.RecommendOptions.defaults().skipUnknown(true)).collectAsList();
        assertEquals(List.of("u3", "u5"), byUser(rows).keySet().stream().sorted().toList());
        e = assertThrows(IllegalArgumentException.class, () -> WeftSpark.recommend(spark, ints.dir(), ids(List.of("1"), "a"),
                5, WeftSpark.RecommendOptions.defaults().userColumn("b")));
        assertTrue(e.getMessage().contains("no column 'b'"), e.getMessage());
        assertThrows(weft.models.data.DataFormatException.class,
                () -> WeftSpark.recommend(spark, tmp.resolve("missing"), ids(List.of("1"), "a"), 5));
    }

    static void assertBitsEqual(EvalResult want, EvalResult got) {
        assertEquals(want.users(), got.users(), "users");
        assertEquals(java.util.Arrays.toString(want.ks()), java.util.Arrays.toString(got.ks()));
        for (Metric m : Metric.values()) {
            for (int k : want.ks()) {
                assertEquals(Double.doubleToRawLongBits(want.get(m, k)), Double.doubleToRawLongBits(got.get(m, k)),
                        m.key(k) + ": " + want.get(m, k) + " vs " + got.get(m, k));
            }
        }
    }

    @Test
    void evaluateEqualsTheTrainersMetricsToTheLastDigit() {
        assertBitsEqual(ints.result().test, WeftSpark.evaluateSplit(spark, ints.dir(), "test"));
        assertBitsEqual(ints.result().valid, WeftSpark.evaluateSplit(spark, ints.dir(), "valid"));
        assertBitsEqual(strings.result().test, WeftSpark.evaluateSplit(spark, strings.dir(), "test"));
        // Ground truth as a dataset of raw ids, in any partitioning.
        List<Row> pairs = new ArrayList<>();
        UserItems test = strings.data().test();
        for (int u = 0; u < strings.data().numUsers(); u++) {
            for (int i : test.itemsOf(u)) pairs.add(RowFactory.create(strings.data().userIds().raw(u), strings.data().itemIds().raw(i)));
        }
        org.apache.spark.sql.Dataset<Row> truth = spark.createDataFrame(pairs,
                new StructType().add("userID", DataTypes.StringType).add("itemID", DataTypes.StringType));
        assertBitsEqual(strings.result().test, WeftSpark.evaluate(spark, strings.dir(), truth.repartition(7), null, null));
        assertBitsEqual(strings.result().test, WeftSpark.evaluate(spark, strings.dir(), truth.coalesce(1), null, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeftSpark.evaluate(spark, strings.dir(),
                truth.union(spark.createDataFrame(List.of(RowFactory.create("u1", "i999")), truth.schema())), null, null));
        assertTrue(e.getMessage().startsWith("unknown item 'i999'"), e.getMessage());
    }

    @Test
    void evaluateEqualsTheTrainerOnAmazonBaby() {
        Path baby = Fixtures.sharedData().resolve("amazon-baby");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(baby), "no " + baby);
        Fixtures.Trained t = Fixtures.lightgcn(Dataset.load(baby), 1, tmp.resolve("baby"));
        assertBitsEqual(t.result().test, WeftSpark.evaluateSplit(spark, t.dir(), "test"));
        assertBitsEqual(t.result().valid, WeftSpark.evaluateSplit(spark, t.dir(), "valid"));
    }

    static String out(ByteArrayOutputStream b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    static PrintStream ps(ByteArrayOutputStream b) {
        return new PrintStream(b, true, StandardCharsets.UTF_8);
    }
}
