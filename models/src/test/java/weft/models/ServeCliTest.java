package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.engine.Tensor;
import weft.models.cli.Main;
import weft.models.data.Npy;
import weft.models.io.ModelDir;
import weft.models.serve.Recommendation;
import weft.models.serve.Weft;
import weft.models.serve.WeftModel;

/** {@code weft train --save}, {@code weft recommend} and {@code weft export} through {@link Main#run}. */
class ServeCliTest {
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    static Path model;
    static WeftModel api;

    private ByteArrayOutputStream out = new ByteArrayOutputStream();
    private ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void reset() {
        out = new ByteArrayOutputStream();
        err = new ByteArrayOutputStream();
    }

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @BeforeAll
    static void trainAndSave() {
        model = shared.resolve("model");
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"train", "--model", "lightgcn", "--data", Fixtures.testDataDir().toString(), "--epochs", "1",
                "--lr", "0.01", "--quiet", "--save", model.toString()}, new PrintStream(o), new PrintStream(e));
        assertEquals(0, rc, e.toString());
        assertTrue(o.toString().contains("model saved to " + model), o.toString());
        api = Weft.load(model);
    }

    @Test
    void recommendPrintsTheApisTopK() {
        assertEquals(0, run("recommend", "--model", model.toString(), "--user", "42", "--k", "5"), err());
        String[] lines = out().split("\n");
        assertEquals("rank\titemID\tscore", lines[0]);
        assertEquals(6, lines.length);
        List<Recommendation> recs = api.recommend("42", 5);
        for (int r = 0; r < 5; r++) {
            String[] f = lines[r + 1].split("\t");
            assertEquals(Integer.toString(r + 1), f[0]);
            assertEquals(recs.get(r).itemId(), f[1]);
            assertEquals(recs.get(r).score(), Float.parseFloat(f[2]), 1e-5 * Math.abs(recs.get(r).score()));
        }
        reset();
        assertEquals(0, run("recommend", "--model", model.toString(), "--user", "42", "--k", "5", "--include-seen"));
        assertEquals(api.recommend("42", 5, true).get(0).itemId(), out().split("\n")[1].split("\t")[1]);
    }

    @Test
    void similarItemsAndFoldIn() {
        assertEquals(0, run("recommend", "--model", model.toString(), "--item", "7", "--k", "3"), err());
        String[] lines = out().split("\n");
        assertEquals(4, lines.length);
        assertEquals(api.similarItems("7", 3).get(2).itemId(), lines[3].split("\t")[1]);
        reset();
        assertEquals(0, run("recommend", "--model", model.toString(), "--items", "3,7, 11", "--k", "4"), err());
        lines = out().split("\n");
        assertEquals(api.recommendForItems(List.of("3", "7", "11"), 4).get(0).itemId(), lines[1].split("\t")[1]);
    }

    @Test
    void unknownIdsExitTwoWithOneLine() {
        assertEquals(2, run("recommend", "--model", model.toString(), "--user", "u-17"));
        assertEquals("weft recommend: unknown user 'u-17' (the model knows 600 users; ids look like '0', '1', ...)\n", err());
        reset();
        assertEquals(2, run("recommend", "--model", model.toString(), "--item", "4000"));
        assertTrue(err().startsWith("weft recommend: unknown item '4000'"), err());
        reset();
        assertEquals(2, run("recommend", "--model", model.toString(), "--items", "1,zz"));
        assertTrue(err().contains("unknown item 'zz'"), err());
    }

    @Test
    void usersFileStreamsInInputOrderAndNamesTheLineOfAnUnknownId() throws Exception {
        Path users = Files.writeString(tmp.resolve("users.txt"), "userID\n42\n\n7\n599\n42\n");
        Path tsv = tmp.resolve("out/recs.tsv");
        assertEquals(0, run("recommend", "--model", model.toString(), "--users", users.toString(), "--out", tsv.toString(), "--k", "3"),
                err());
        List<String> lines = Files.readAllLines(tsv);
        assertEquals("userID\trank\titemID\tscore", lines.get(0));
        assertEquals(1 + 4 * 3, lines.size());
        String[] order = {"42", "7", "599", "42"};
        for (int j = 0; j < order.length; j++) {
            List<Recommendation> recs = api.recommend(order[j], 3);
            for (int r = 0; r < 3; r++) {
                String[] f = lines.get(1 + j * 3 + r).split("\t");
                assertEquals(order[j], f[0]);
                assertEquals(Integer.toString(r + 1), f[1]);
                assertEquals(recs.get(r).itemId(), f[2]);
            }
        }
        assertTrue(out().contains("recommendations for 4 users written to " + tsv), out());

        Path bad = Files.writeString(tmp.resolve("bad.txt"), "1\n2\nnobody\n3\n");
        Path tsv2 = tmp.resolve("bad.tsv");
        reset();
        assertEquals(2, run("recommend", "--model", model.toString(), "--users", bad.toString(), "--out", tsv2.toString()));
        assertTrue(err().startsWith("weft recommend: " + bad + ":3: unknown user 'nobody'"), err());
        assertFalse(Files.exists(tsv2), "no output file after an error");
        try (var files = Files.list(tmp)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
        reset();
        assertEquals(0, run("recommend", "--model", model.toString(), "--users", bad.toString(), "--out", tsv2.toString(), "--k", "2",
                "--skip-unknown"), err());
        assertEquals(1 + 3 * 2, Files.readAllLines(tsv2).size());
        assertTrue(out().contains("skipped 1 unknown users, first 'nobody' at line 3"), out());
    }

    @Test
    void badUsageIsRefusedWithExitTwo() {
        assertEquals(2, run("recommend", "--model", model.toString()));
        assertTrue(err().contains("give exactly one of --user ID, --users FILE, --item ID, --items A,B,C"), err());
        reset();
        assertEquals(2, run("recommend", "--model", model.toString(), "--user", "1", "--k", "0"));
        reset();
        assertEquals(2, run("recommend", "--model", model.toString(), "--users", "x.txt"));
        assertTrue(err().contains("--users FILE needs --out FILE.tsv"), err());
        reset();
        assertEquals(2, run("recommend", "--user", "1"));
        assertTrue(err().contains("--model DIR is required"), err());
        reset();
        assertEquals(2, run("recommend", "--model", model.toString(), "--user", "1", "--new-items", "new.npy"));
        assertTrue(err().contains("--new-items"), err());
    }

    @Test
    void aDamagedModelFolderIsNamedAndExitsOne() throws Exception {
        Path copy = tmp.resolve("damaged");
        Files.createDirectories(copy);
        try (var files = Files.list(model)) {
            for (Path p : files.toList()) Files.copy(p, copy.resolve(p.getFileName()));
        }
        Path emb = copy.resolve(ModelDir.EMBEDDINGS);
        byte[] b = Files.readAllBytes(emb);
        b[b.length - 1] ^= 0x40;
        Files.write(emb, b);
        assertEquals(1, run("recommend", "--model", copy.toString(), "--user", "1"));
        assertEquals("weft: " + emb + ": corrupted: checksum mismatch", err().split(" \\(SHA")[0]);
        reset();
        assertEquals(1, run("export", "--model", tmp.resolve("none").toString(), "--out", tmp.resolve("e").toString()));
        assertTrue(err().contains("no such folder"), err());
    }

    @Test
    void saveTargetIsCheckedBeforeTraining() throws Exception {
        Path file = Files.writeString(tmp.resolve("taken"), "x");
        assertEquals(2, run("train", "--model", "lightgcn", "--data", Fixtures.testDataDir().toString(), "--epochs", "1", "--save",
                file.toString()));
        assertTrue(err().startsWith("weft train: --save: '" + file + "' is a file"), err());
        assertEquals("", out(), "nothing trained");
        reset();
        assertEquals(2, run("train", "--model", "lightgcn", "--data", Fixtures.testDataDir().toString(), "--seeds", "2", "--save",
                tmp.resolve("m").toString()));
        assertTrue(err().contains("--save keeps one trained model"), err());
    }

    @Test
    void exportWritesNpyTablesAndIdMaps() throws Exception {
        Path folder = tmp.resolve("export");
        assertEquals(0, run("export", "--model", model.toString(), "--out", folder.toString()), err());
        ModelDir.Embeddings e = ModelDir.open(model).embeddings();
        Tensor users = Npy.read(folder.resolve("user_embeddings.npy"));
        Tensor items = Npy.read(folder.resolve("item_embeddings.npy"));
        assertArrayEquals(e.users().toArray(), users.toArray());
        assertArrayEquals(e.items().toArray(), items.toArray());
        assertEquals(600, users.rows);
        assertEquals(400, items.rows);
        List<String> u = Files.readAllLines(folder.resolve("users.tsv"));
        assertEquals("index\tuserID", u.get(0));
        assertEquals(601, u.size());
        assertEquals("599\t599", u.get(600));
        List<String> i = Files.readAllLines(folder.resolve("items.tsv"));
        assertEquals("index\titemID", i.get(0));
        assertEquals(401, i.size());
        assertTrue(out().contains("exported 600 users and 400 items (d = 64)"), out());
        try (var files = Files.list(folder)) {
            assertEquals(4, files.count());
        }
    }
}
