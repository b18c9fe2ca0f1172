package weft.models.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.engine.Tensor;
import weft.models.Fixtures;
import weft.models.LightGcn;
import weft.models.ModelConfig;
import weft.models.Recommender;
import weft.models.blocks.DotScorer;
import weft.models.data.Dataset;
import weft.models.data.IdMap;
import weft.models.data.UserItems;
import weft.models.eval.TopK;
import weft.models.io.ModelDir;
import weft.models.options.Options;
import weft.models.train.TrainConfig;
import weft.models.train.TrainResult;
import weft.models.train.Trainer;

class WeftModelTest {
    @TempDir
    static Path shared;

    static Path dir;
    static Dataset data;
    static DotScorer scorer;
    static WeftModel model;

    @BeforeAll
    static void trainAndLoad() {
        data = Dataset.load(Fixtures.testDataDir());
        ModelConfig mc = LightGcn.SPEC.config();
        Recommender rec = LightGcn.SPEC.create(data, mc, Options.defaults());
        TrainConfig tc = new TrainConfig();
        tc.epochs = 1;
        tc.lr = 0.01f;
        tc.verbose = false;
        TrainResult r = new Trainer(tc, new PrintStream(new ByteArrayOutputStream())).fit(rec, data, LightGcn.SPEC.config(mc, Options.defaults()));
        dir = shared.resolve("lightgcn");
        ModelDir.save(dir, LightGcn.SPEC, mc, Options.defaults(), tc, rec, data, r);
        scorer = rec.scorer();
        model = Weft.load(dir);
    }

    /** The evaluator's top-k of every user: a GEMM over blocks of users, then TopK with the training mask. */
    private static int[][] evaluatorRanking(int k, UserItems mask) {
        int users = data.numUsers(), items = data.numItems();
        int[][] out = new int[users][];
        TopK topk = new TopK(k);
        for (int from = 0; from < users; from += 128) {
            int n = Math.min(128, users - from);
            int[] batch = new int[n];
            for (int j = 0; j < n; j++) batch[j] = from + j;
            Tensor s = new Tensor(n, items);
            scorer.score(batch, s);
            for (int j = 0; j < n; j++) {
                int[] best = new int[k];
                int got = topk.select(s.data, j * items, items, mask, from + j, best);
                out[from + j] = java.util.Arrays.copyOf(best, got);
            }
        }
        return out;
    }

    private static int[] indices(List<Recommendation> recs) {
        return recs.stream().mapToInt(Recommendation::index).toArray();
    }

    @Test
    void recommendEqualsTheEvaluatorsRankingForEveryUser() {
        int[][] expected = evaluatorRanking(20, data.train());
        int[][] seen = evaluatorRanking(20, null);
        for (int u = 0; u < data.numUsers(); u++) {
            List<Recommendation> recs = model.recommend(Integer.toString(u), 20);
            assertArrayEquals(expected[u], indices(recs), "user " + u);
            for (Recommendation r : recs) {
                assertFalse(data.train().contains(u, r.index()), "training item " + r.index() + " of user " + u);
                assertEquals(Integer.toString(r.index()), r.itemId());
            }
            assertArrayEquals(seen[u], indices(model.recommend(Integer.toString(u), 20, true)), "user " + u + " with seen items");
        }
        // With training items kept, users' top lists do hold some of them.
        int seenHits = 0;
        for (int u = 0; u < data.numUsers(); u++) {
            for (int i : seen[u]) if (data.train().contains(u, i)) seenHits++;
        }
        assertTrue(seenHits > 0);
    }

    @Test
    void scoresAreDotProductsOfTheSavedTables() {
        Tensor s = new Tensor(1, data.numItems());
        scorer.score(new int[] {5}, s);
        float[] got = model.score("5", List.of("0", "17", "399"));
        assertEquals(s.data[0], got[0], 1e-5f * Math.max(1, Math.abs(s.data[0])));
        assertEquals(s.data[17], got[1], 1e-5f * Math.max(1, Math.abs(s.data[17])));
        assertEquals(s.data[399], got[2], 1e-5f * Math.max(1, Math.abs(s.data[399])));
        List<Recommendation> r = model.recommend("5", 3);
        assertArrayEquals(new float[] {r.get(0).score(), r.get(1).score()},
                model.score("5", List.of(r.get(0).itemId(), r.get(1).itemId())));
    }

    @Test
    void similarItemsRankByCosineAndLeaveTheItemOut() {
        Tensor items = scorer.items();
        int d = items.cols, q = 11;
        List<Recommendation> sim = model.similarItems("11", 10);
        assertEquals(10, sim.size());
        for (int j = 0; j < sim.size(); j++) {
            Recommendation r = sim.get(j);
            assertTrue(r.index() != q, "the item itself is left out");
            double dot = 0, na = 0, nb = 0;
            for (int c = 0; c < d; c++) {
                float a = items.data[items.offset + q * d + c], b = items.data[items.offset + r.index() * d + c];
                dot += a * b;
                na += a * a;
                nb += b * b;
            }
            assertEquals(dot / Math.sqrt(na * nb), r.score(), 1e-5);
            if (j > 0) assertTrue(sim.get(j - 1).score() >= r.score());
        }
        // No other item has a higher cosine than the 10th.
        float tenth = sim.get(9).score();
        int above = 0;
        for (int i = 0; i < data.numItems(); i++) {
            if (i == q) continue;
            double dot = 0, na = 0, nb = 0;
            for (int c = 0; c < d; c++) {
                float a = items.data[items.offset + q * d + c], b = items.data[items.offset + i * d + c];
                dot += a * b;
                na += a * a;
                nb += b * b;
            }
            if (dot / Math.sqrt(na * nb) > tenth + 1e-5) above++;
        }
        assertTrue(above <= 9, above + " items above the 10th");
    }

    @Test
    void foldInIsTheMeanOfTheGivenItemsAndLeavesThemOut() {
        List<String> given = List.of("3", "40", "41");
        List<Recommendation> recs = model.recommendForItems(given, 15);
        assertEquals(15, recs.size());
        Tensor items = scorer.items();
        int d = items.cols;
        float[] u = model.foldIn(new int[] {3, 40, 41});
        for (int c = 0; c < d; c++) {
            float mean = (items.data[items.offset + 3 * d + c] + items.data[items.offset + 40 * d + c]
                    + items.data[items.offset + 41 * d + c]) / 3f;
            assertEquals(mean, u[c], 1e-6f);
        }
        Set<Integer> excluded = Set.of(3, 40, 41);
        for (Recommendation r : recs) {
            assertFalse(excluded.contains(r.index()));
            double dot = 0;
            for (int c = 0; c < d; c++) dot += u[c] * items.data[items.offset + r.index() * d + c];
            assertEquals(dot, r.score(), 1e-5);
        }
    }

    @Test
    void unknownIdsAndBadArgumentsGetClearMessages() {
        UnknownIdException e = assertThrows(UnknownIdException.class, () -> model.recommend("x", 5));
        assertEquals("unknown user 'x' (the model knows 600 users; ids look like '0', '1', ...)", e.getMessage());
        assertThrows(UnknownIdException.class, () -> model.recommend("600", 5));
        assertThrows(UnknownIdException.class, () -> model.recommend("007", 5));
        e = assertThrows(UnknownIdException.class, () -> model.similarItems("400", 5));
        assertEquals("unknown item '400' (the model knows 400 items; ids look like '0', '1', ...)", e.getMessage());
        assertThrows(UnknownIdException.class, () -> model.score("1", List.of("2", "nope")));
        assertThrows(UnknownIdException.class, () -> model.recommendForItems(List.of("1", "-3"), 5));
        assertThrows(IllegalArgumentException.class, () -> model.recommend("1", 0));
        assertThrows(IllegalArgumentException.class, () -> model.recommendForItems(List.of(), 5));
        // More than the catalogue: every unseen item once.
        int unseen = data.numItems() - data.train().count(1);
        assertEquals(unseen, model.recommend("1", 10_000).size());
        assertEquals(data.numItems() - 1, model.similarItems("1", 10_000).size());
    }

    @Test
    void stringIdsComeBackAsRawIds() {
        Tensor users = new Tensor(new float[] {1, 0, 0, 1}, 0, 2, 2);
        Tensor items = new Tensor(new float[] {3, 0, 2, 0, 0, 1}, 0, 3, 2);
        UserItems train = UserItems.fromPairs(2, 3, new int[] {0}, new int[] {0});
        WeftModel m = WeftModel.of("test", users, items, train, IdMap.of("alice", "bob"), IdMap.of("B0001", "B0002", "B0003"));
        List<Recommendation> r = m.recommend("alice", 5);
        assertEquals(List.of("B0002", "B0003"), r.stream().map(Recommendation::itemId).toList());
        assertEquals(2f, r.get(0).score());
        assertEquals("B0003", m.recommend("bob", 1).get(0).itemId());
        UnknownIdException e = assertThrows(UnknownIdException.class, () -> m.recommend("carol", 1));
        assertEquals("unknown user 'carol' (the model knows 2 users; ids look like 'alice', 'bob')", e.getMessage());
    }

    @Test
    void concurrentCallersGetTheSequentialAnswers() throws Exception {
        int calls = 200;
        List<List<Recommendation>> sequential = new ArrayList<>();
        for (int c = 0; c < calls; c++) {
            sequential.add(call(c));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<List<Recommendation>>>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int shift = t * 37;
                futures.add(pool.submit(() -> {
                    List<List<Recommendation>> mine = new ArrayList<>();
                    for (int c = 0; c < calls; c++) mine.add(call((c + shift) % calls));
                    return mine;
                }));
            }
            for (int t = 0; t < 4; t++) {
                List<List<Recommendation>> mine = futures.get(t).get();
                for (int c = 0; c < calls; c++) {
                    assertEquals(sequential.get((c + t * 37) % calls), mine.get(c), "thread " + t + " call " + c);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(new HashSet<>(sequential).size() > calls / 2, "the calls ask different questions");
    }

    /** Call c: a mix of the API's queries, different for each c. */
    private static List<Recommendation> call(int c) {
        String id = Integer.toString(c % 400);
        switch (c % 3) {
            case 0: return model.recommend(id, 10 + c % 7);
            case 1: return model.similarItems(id, 10);
            default: return model.recommendForItems(List.of(id, Integer.toString((c * 13) % 400)), 10);
        }
    }

    @Test
    void readmeJavaExampleRuns() {
        Path dir = WeftModelTest.dir;   // the README has Path.of("lightgcn-model")
        // --- the README's lines, unchanged below this one ---
        WeftModel model = Weft.load(dir);                                        // checks every file's SHA-256
        for (Recommendation r : model.recommend("42", 10)) {                     // the user's training items excluded
            System.out.println(r.itemId() + "\t" + r.score());
        }
        List<Recommendation> similar = model.similarItems("7", 5);               // cosine of final item embeddings
        List<Recommendation> newUser = model.recommendForItems(List.of("3", "7", "11"), 10);  // fold-in
        float[] scores = model.score("42", List.of("3", "7"));
        // --- end ---
        assertEquals(5, similar.size());
        assertEquals(10, newUser.size());
        assertEquals(2, scores.length);
    }
}
