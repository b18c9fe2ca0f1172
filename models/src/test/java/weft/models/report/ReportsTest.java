package weft.models.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.models.data.DataFormatException;
import weft.models.util.Json;

/** Reading reports: the JSON reader, the shapes weft writes, tolerance of keys it does not know, seed groups. */
class ReportsTest {
    @TempDir
    Path tmp;

    @Test
    void jsonReadsBackWhatJsonWrites() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a \"q\" \\ \n\t\u0001 é");
        m.put("i", 42);
        m.put("d", 0.1 + 0.2);
        m.put("e", 1e-30);
        m.put("nan", Double.NaN);
        m.put("b", true);
        m.put("n", null);
        m.put("l", List.of(1, List.of(), Map.of()));
        Object back = Json.parse(Json.write(m));
        Map<?, ?> r = (Map<?, ?>) back;
        assertEquals(m.get("s"), r.get("s"));
        assertEquals(42L, r.get("i"));
        assertEquals(0.1 + 0.2, r.get("d"));
        assertEquals(1e-30, r.get("e"));
        assertNull(r.get("nan"), "NaN is written as null");
        assertEquals(true, r.get("b"));
        assertTrue(r.containsKey("n") && r.get("n") == null);
        assertEquals(List.of(1L, List.of(), Map.of()), r.get("l"));
        assertEquals(List.copyOf(m.keySet()), List.copyOf(r.keySet()), "key order kept");
        assertEquals("\u00e9x", Json.parse("\"\\u00e9x\""));
    }

    @Test
    void badJsonNamesLineAndColumn() throws Exception {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("{\n  \"a\": 1,\n  \"b\" 2\n}"));
        assertEquals(3, e.line);
        assertEquals(7, e.column);
        assertThrows(Json.ParseException.class, () -> Json.parse("[1, 2"));
        assertThrows(Json.ParseException.class, () -> Json.parse("{} x"));
        assertThrows(Json.ParseException.class, () -> Json.parse("\"open"));
        assertThrows(Json.ParseException.class, () -> Json.parse("-"));

        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"runs\": [\n  {\"model\": \"a\",}\n]}");
        DataFormatException d = assertThrows(DataFormatException.class, () -> Reports.read(bad));
        assertTrue(d.getMessage().startsWith(bad + ":2:"), d.getMessage());
        Path notReport = tmp.resolve("other.json");
        Files.writeString(notReport, "{\"name\": \"x\"}");
        d = assertThrows(DataFormatException.class, () -> Reports.read(notReport));
        assertTrue(d.getMessage().contains("not a weft report"), d.getMessage());
        d = assertThrows(DataFormatException.class, () -> Reports.read(tmp.resolve("absent.json")));
        assertTrue(d.getMessage().contains("no such file"), d.getMessage());
    }

    @Test
    void readsEveryShapeWeftWritesAndIgnoresUnknownKeys() {
        Map<String, Object> train = run("lightgcn", 2024, 0.39, 0.27);
        train.put("some_future_key", Map.of("x", List.of(1, 2)));
        Reports.Report t = Reports.of("t.json", Json.parse(Json.write(train)));
        assertEquals(Reports.Kind.TRAIN, t.kind());
        assertEquals("toy", t.dataset());
        Reports.Run r = t.runs().get(0);
        assertEquals("lightgcn", r.model());
        assertEquals(2, r.bestEpoch());
        assertEquals(4, r.epochs().size());
        assertEquals(0.39, r.test("Recall@20"), 1e-12);
        assertEquals(2024L, r.seed(), "seed from config.seed");
        assertEquals(3, r.lastEpoch());
        assertTrue(Double.isNaN(r.test("MAP@20")));

        Reports.Report c = Reports.of("c.json", Json.parse(Json.write(Map.of("dataset", "toy", "runs",
                List.of(run("lightgcn", 1, 0.39, 0.27), run("freedom", 1, 0.41, 0.28))))));
        assertEquals(Reports.Kind.COMPARE, c.kind());
        assertEquals(2, Reports.groups(c.runs()).size());

        Map<String, Object> full = labelled("variant", "full", run("hmarec", 1, 0.4, 0.28));
        Map<String, Object> noGate = labelled("variant", "--no-gate", run("hmarec", 1, 0.38, 0.27));
        Reports.Report a = Reports.of("a.json", Json.parse(Json.write(Map.of("dataset", "toy", "runs", List.of(full, noGate)))));
        assertEquals(Reports.Kind.ABLATION, a.kind());
        assertEquals("--no-gate", a.runs().get(1).label());
        assertEquals(2, Reports.groups(a.runs()).size(), "variants of one model are separate settings");

        Map<String, Object> clean = labelled("condition", "lightgcn: clean", run("lightgcn", 1, 0.4, 0.28));
        Map<String, Object> noise = labelled("condition", "lightgcn: feature noise 0.5", run("lightgcn", 1, 0.4, 0.28));
        Reports.Report rb = Reports.of("r.json", Json.parse(Json.write(Map.of("runs", List.of(clean, noise)))));
        assertEquals(Reports.Kind.ROBUSTNESS, rb.kind());
        assertEquals("toy", rb.dataset(), "dataset from the runs when the top level lacks it");
    }

    @Test
    void runsOfOneSettingWithDifferentSeedsAreOneGroup() {
        List<Object> runs = new ArrayList<>();
        for (int s = 1; s <= 3; s++) {
            Map<String, Object> r = run("lightgcn", 2024, 0.38 + 0.01 * s, 0.27);
            r.put("seed", s); // the top-level seed wins over config.seed
            runs.add(r);
            runs.add(run("freedom", s, 0.40 + 0.01 * s, 0.28));
        }
        Map<String, Object> other = run("freedom", 9, 0.5, 0.3);
        ((Map<String, Object>) other.get("config")).put("knn_k", 5);
        runs.add(other);
        Reports.Report rep = Reports.of("seeds.json", Json.parse(Json.write(Map.of("dataset", "toy", "seeds", runs))));
        List<Reports.Group> groups = Reports.groups(rep.runs());
        assertEquals(3, groups.size(), groups.toString());
        Reports.Group l = groups.get(0);
        assertEquals(3, l.runs().size());
        assertEquals(List.of(1L, 2L, 3L), l.runs().stream().map(Reports.Run::seed).toList());
        assertEquals(0.40, l.mean("Recall@20"), 1e-12);
        assertEquals(0.01, l.std("Recall@20"), 1e-12);
        assertEquals("freedom (knn_k=10)", groups.get(1).name());
        assertEquals("freedom (knn_k=5)", groups.get(2).name());
        assertTrue(Double.isNaN(groups.get(2).std("Recall@20")), "one run has no spread");
    }

    /** Per-seed runs nested under a setting's summary, as a multi-seed run may write them. */
    @Test
    void nestedPerSeedRunsAreReadAsOneGroup() {
        List<Object> lg = List.of(run("lightgcn", 1, 0.39, 0.27), run("lightgcn", 2, 0.41, 0.28));
        List<Object> fr = List.of(run("freedom", 1, 0.42, 0.30), run("freedom", 2, 0.44, 0.30));
        Map<String, Object> summaryL = new LinkedHashMap<>();
        summaryL.put("model", "lightgcn");
        summaryL.put("seeds", List.of(1, 2));
        summaryL.put("test_mean", Map.of("Recall@20", 0.40));
        summaryL.put("runs", lg);
        Map<String, Object> summaryF = Map.of("model", "freedom", "seeds", List.of(1, 2), "runs", fr);
        Reports.Report c = Reports.of("c.json", Json.parse(Json.write(Map.of("dataset", "toy", "runs", List.of(summaryL, summaryF)))));
        assertEquals(Reports.Kind.COMPARE, c.kind());
        assertEquals(4, c.runs().size());
        List<Reports.Group> groups = Reports.groups(c.runs());
        assertEquals(List.of("lightgcn", "freedom"), groups.stream().map(Reports.Group::name).toList());
        assertEquals(0.40, groups.get(0).mean("Recall@20"), 1e-12);
        assertEquals(2, groups.get(1).runs().size());

        Reports.Report one = Reports.of("one.json", Json.parse(Json.write(summaryL)));
        assertEquals(1, Reports.groups(one.runs()).size());
        assertEquals(2, one.runs().size());

        Map<String, Object> full = labelled("variant", "full", Map.of("model", "hmarec", "runs", List.of(run("hmarec", 1, 0.4, 0.3), run("hmarec", 2, 0.4, 0.3))));
        Map<String, Object> off = labelled("variant", "--no-gate", Map.of("model", "hmarec", "runs", List.of(run("hmarec", 1, 0.3, 0.2))));
        Reports.Report a = Reports.of("a.json", Json.parse(Json.write(Map.of("runs", List.of(full, off)))));
        assertEquals(Reports.Kind.ABLATION, a.kind());
        assertEquals(List.of("full", "full", "--no-gate"), a.runs().stream().map(Reports.Run::label).toList());
        assertEquals(2, Reports.groups(a.runs()).size());
    }

    /** A train report of 4 epochs, best at epoch 2. */
    static Map<String, Object> run(String model, long seed, double recall, double ndcg) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("dataset", "toy");
        m.put("best_epoch", 2);
        m.put("valid", Map.of("Recall@20", recall, "NDCG@20", ndcg));
        m.put("test", Map.of("Recall@20", recall, "NDCG@20", ndcg));
        List<Object> eps = new ArrayList<>();
        double[] curve = {0.5, 0.9, 1.0, 0.95};
        for (int e = 0; e < 4; e++) {
            eps.add(Map.of("epoch", e, "loss", 0.7 - 0.1 * e, "train_seconds", 0.5, "eval_seconds", 0.1,
                    "valid", Map.of("Recall@20", recall * curve[e], "NDCG@20", ndcg * curve[e])));
        }
        m.put("epochs", eps);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("dim", 64);
        cfg.put("knn_k", 10);
        cfg.put("seed", seed);
        m.put("config", cfg);
        m.put("heap", Map.of("peak_live_mib", 15.0, "max_heap_mib", 512.0));
        return m;
    }

    static Map<String, Object> labelled(String key, String label, Map<String, Object> run) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, label);
        m.putAll(run);
        return m;
    }
}
