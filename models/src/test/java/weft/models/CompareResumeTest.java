package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.models.cli.Main;
import weft.models.util.Json;

/** A compare rerun with the same report takes the runs it finished from there instead of training them again. */
class CompareResumeTest {
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

    private static int taken(String text) {
        return text.split("taken from the report", -1).length - 1;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(Path p) throws Exception {
        return (Map<String, Object>) Json.parse(Files.readString(p));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return (List<Map<String, Object>>) o;
    }

    private String[] compare(Path report, String models, String... more) {
        List<String> a = new ArrayList<>(List.of("compare", "--models", models, "--data", Fixtures.testDataDir().toString(), "--epochs",
                "2", "--quiet", "--seed", "5", "--seeds", "2", "--threads", "1", "--report", report.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** Test metrics of every per-seed run in the report's "runs", model by model. */
    private static List<Object> testMetrics(Map<String, Object> rep) {
        List<Object> t = new ArrayList<>();
        for (Map<String, Object> m : list(rep.get("runs"))) {
            for (Map<String, Object> r : list(m.get("runs"))) {
                t.add(List.of(r.get("model"), r.get("best_epoch"), r.get("test"), r.get("epochs").toString().replaceAll("_seconds=[0-9.E-]+", "")));
            }
        }
        return t;
    }

    @Test
    void anInterruptedCompareResumesAndAnAddedModelTrainsAlone() throws Exception {
        Path report = tmp.resolve("cmp.json");
        assertEquals(0, run(compare(report, "lightgcn,bprmf", "--baseline", "lightgcn")), err());
        assertEquals(0, taken(out()), out());
        Map<String, Object> full = json(report);
        assertEquals("compare", full.get("command"));
        assertEquals(4, list(full.get("finished_runs")).size(), "two models, two seeds");

        // As if interrupted after the first run: the report a compare writes after each run.
        Map<String, Object> cut = new LinkedHashMap<>();
        cut.put("command", "compare");
        cut.put("dataset", full.get("dataset"));
        cut.put("finished_runs", list(full.get("finished_runs")).subList(0, 1));
        Json.writeFile(report, cut);
        assertEquals(0, run(compare(report, "lightgcn,bprmf", "--baseline", "lightgcn")), err());
        String text = out();
        assertTrue(text.contains("resuming from") && text.contains("1 finished run there"), text);
        assertEquals(1, taken(text), text);
        assertTrue(text.contains("lightgcn seed 5: taken from the report"), text);
        Map<String, Object> again = json(report);
        assertEquals(testMetrics(full), testMetrics(again), "same runs, same metrics, taken or trained again");
        assertEquals(4, list(again.get("finished_runs")).size());

        // One more model: only its runs train.
        assertEquals(0, run(compare(report, "lightgcn,bprmf,popularity", "--baseline", "lightgcn")), err());
        assertEquals(4, taken(out()), out());
        assertEquals(6, list(json(report).get("finished_runs")).size());

        // Another setting is another run: nothing is taken for it.
        assertEquals(0, run(compare(report, "bprmf", "--lr", "0.02")), err());
        assertEquals(0, taken(out()), out());
        assertEquals(0, run(compare(report, "bprmf", "--drop-interactions", "0.3")), err());
        assertEquals(0, taken(out()), out());
        assertEquals(0, run(compare(report, "bprmf", "--drop-interactions", "0.3")), err());
        assertEquals(2, taken(out()), "the same drop, the same seeds: the same data\n" + out());
    }

    @Test
    void aReportOfAnotherCommandIsRefusedAndLeftAlone() throws Exception {
        Path report = tmp.resolve("train.json");
        assertEquals(0, run("train", "--model", "bprmf", "--data", Fixtures.testDataDir().toString(), "--epochs", "1", "--quiet",
                "--report", report.toString()), err());
        String before = Files.readString(report);
        assertEquals(1, run(compare(report, "bprmf")));
        assertTrue(err().contains(report.toString()) && err().contains("not a report of weft compare"), err());
        assertEquals(before, Files.readString(report), "the refused run left the file alone");
    }
}
