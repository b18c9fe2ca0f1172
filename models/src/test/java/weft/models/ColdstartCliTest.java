package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.models.cli.Main;
import weft.models.util.Json;

class ColdstartCliTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    @SuppressWarnings("unchecked")
    void printsTheTableAndWritesTheReport() throws Exception {
        Path report = tmp.resolve("cold.json");
        int rc = run("coldstart", "--models", "vbpr,tmfun", "--data", Fixtures.testDataDir().toString(), "--holdout-items", "0.2",
                "--epochs", "2", "--lr", "0.01", "--dim", "16", "--quiet", "--report", report.toString());
        assertEquals(0, rc, err());
        String text = out();
        assertTrue(text.contains("cold start on synthetic: 80 of 400 items held out (seed 2024)"), text);
        assertTrue(text.contains("Recall@20") && text.contains("NDCG@20"), text);
        for (String row : List.of("random", "feature-knn", "vbpr", "tmfun")) {
            assertTrue(text.lines().anyMatch(l -> l.startsWith(row + " ")), "no row for " + row + ":\n" + text);
        }
        Map<String, Object> rep = (Map<String, Object>) Json.parse(Files.readString(report));
        assertEquals(80.0, ((Number) rep.get("held_out")).doubleValue());
        assertEquals(80, ((List<Object>) rep.get("held_out_ids")).size());
        Map<String, Object> base = (Map<String, Object>) rep.get("baselines");
        double random = ((Number) ((Map<String, Object>) base.get("random")).get("Recall@20")).doubleValue();
        double knn = ((Number) ((Map<String, Object>) base.get("feature-knn")).get("Recall@20")).doubleValue();
        assertTrue(knn > random, knn + " vs " + random);
        List<Object> runs = (List<Object>) rep.get("runs");
        assertEquals(2, runs.size());
        Map<String, Object> vbpr = (Map<String, Object>) runs.get(0);
        assertEquals("vbpr", vbpr.get("model"));
        double cold = ((Number) ((Map<String, Object>) vbpr.get("cold")).get("Recall@20")).doubleValue();
        assertTrue(cold > random, "vbpr's cold Recall@20 " + cold + " should beat random's " + random);
        Map<String, Object> warm = (Map<String, Object>) vbpr.get("warm");
        assertEquals(320.0, ((Number) ((Map<String, Object>) warm.get("dataset_sizes")).get("items")).doubleValue(),
                "trained on the kept items only");
    }

    @Test
    void refusesBadFlagsBeforeTraining() {
        String data = Fixtures.testDataDir().toString();
        assertEquals(2, run("coldstart", "--models", "vbpr,lightgcn", "--data", data));
        assertTrue(err().contains("weft coldstart: --models: lightgcn reads no item features"), err());
        assertFalse(err().contains("Exception"), err());
        assertEquals(2, run("coldstart", "--models", "vbpr", "--data", data, "--holdout-items", "1"));
        assertTrue(err().contains("--holdout-items must be a share of the items in (0, 1), got 1"), err());
        assertEquals(2, run("coldstart", "--data", data));
        assertTrue(err().contains("--models is required"), err());
        assertEquals(2, run("coldstart", "--models", "vbpr", "--data", data, "--rho", "0.5"));
        assertTrue(err().contains("--rho does not apply to vbpr"), err());
        assertEquals(1, run("coldstart", "--models", "freedom", "--data", data, "--holdout-items", "0.001"));
        assertTrue(err().contains("holding out 0.001 of 400 items leaves none held out"), err());
        assertEquals(2, run("coldstart", "--models", "vbpr", "--data", data, "--report", tmp.toString()));
        assertTrue(err().contains("--report: '" + tmp + "' is a folder"), err());
        assertEquals("", out().strip().lines().filter(l -> l.startsWith("epoch")).findFirst().orElse(""), "nothing trained");
    }
}
