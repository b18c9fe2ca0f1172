package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.engine.Tensor;
import weft.models.cli.Main;
import weft.models.data.Npy;
import weft.models.serve.Weft;
import weft.models.serve.WeftModel;

/** {@code weft recommend --new-items}: items unseen in training scored by a saved feature-reading model. */
class NewItemsCliTest {
    @TempDir
    static Path shared;

    static Path vbpr, lightgcn, image, text, ids;

    private static String[] runCaptured(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new String[] {Integer.toString(rc), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
    }

    /** Rows 5 and 9 of a test-data modality, as two new items. */
    private static Tensor rowsOf(String file) {
        Tensor all = Npy.read(Fixtures.testDataDir().resolve(file));
        Tensor t = new Tensor(2, all.cols);
        System.arraycopy(all.data, 5 * all.cols, t.data, 0, all.cols);
        System.arraycopy(all.data, 9 * all.cols, t.data, all.cols, all.cols);
        return t;
    }

    @BeforeAll
    static void trainAndSave() throws Exception {
        vbpr = shared.resolve("vbpr");
        lightgcn = shared.resolve("lightgcn");
        String data = Fixtures.testDataDir().toString();
        for (String[] m : new String[][] {{"vbpr", vbpr.toString()}, {"lightgcn", lightgcn.toString()}}) {
            String[] r = runCaptured("train", "--model", m[0], "--data", data, "--epochs", "2", "--lr", "0.01", "--quiet", "--save", m[1]);
            assertEquals("0", r[0], r[2]);
        }
        image = shared.resolve("new_image.npy");
        text = shared.resolve("new_text.npy");
        Npy.write(image, rowsOf("image_feat.npy"));
        Npy.write(text, rowsOf("text_feat.npy"));
        ids = shared.resolve("new_ids.txt");
        Files.writeString(ids, "fresh-a\nfresh-b\n");
    }

    @Test
    void newItemsAreRankedWithTheCatalogueAndMatchTheApi() {
        WeftModel plain = Weft.load(vbpr);
        int k = plain.numItems() + 2;
        String[] r = runCaptured("recommend", "--model", vbpr.toString(), "--user", "3", "--k", Integer.toString(k),
                "--new-items", "image=" + image, "--new-items", "text=" + text, "--new-ids", ids.toString());
        assertEquals("0", r[0], r[2]);
        Map<String, Float> scores = new HashMap<>();
        String[] lines = r[1].split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split("\t");
            scores.put(f[1], Float.parseFloat(f[2]));
        }
        assertTrue(scores.containsKey("fresh-a") && scores.containsKey("fresh-b"), r[1]);
        WeftModel ext = Weft.loadWithNewItems(vbpr, Map.of("image", rowsOf("image_feat.npy"), "text", rowsOf("text_feat.npy")),
                List.of("fresh-a", "fresh-b"));
        assertEquals(plain.numItems() + 2, ext.numItems());
        float[] s = ext.score("3", List.of("fresh-a", "fresh-b"));
        assertEquals(s[0], scores.get("fresh-a"), 1e-5f * Math.abs(s[0]) + 1e-6f);
        assertEquals(s[1], scores.get("fresh-b"), 1e-5f * Math.abs(s[1]) + 1e-6f);
        // Different features, different scores: the new items are scored from their features.
        assertNotEquals(s[0], s[1]);
        // VBPR's content path is the only one a new item has (zero ID embedding): its score differs from
        // the copied item's, which also has an ID part, but the old items' scores do not move.
        float[] old = plain.score("3", List.of("5", "9", "100"));
        float[] oldExt = ext.score("3", List.of("5", "9", "100"));
        for (int i = 0; i < 3; i++) {
            assertEquals(old[i], oldExt[i], 1e-5f * Math.abs(old[i]) + 1e-6f);
        }
    }

    @Test
    void aBareFileNeedsAOneModalityModelAndAModelWithoutFeaturesIsRefused() {
        String[] r = runCaptured("recommend", "--model", vbpr.toString(), "--user", "3", "--new-items", image.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("give one --new-items NAME=FILE.npy for each"), r[2]);
        r = runCaptured("recommend", "--model", lightgcn.toString(), "--user", "3", "--new-items", "image=" + image);
        assertNotEquals("0", r[0]);
        assertTrue(r[2].contains("lightgcn reads no item features"), r[2]);
        assertTrue(r[2].split("\n").length <= 2, "one-line error, got: " + r[2]);
        r = runCaptured("recommend", "--model", vbpr.toString(), "--user", "3", "--new-items", "image=" + text, "--new-items",
                "text=" + text);
        assertNotEquals("0", r[0]);
        assertTrue(r[2].contains("image"), r[2]);
        assertTrue(!r[2].contains("\tat "), "no stack trace: " + r[2]);
    }
}
