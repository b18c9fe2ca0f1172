package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

class TuneCliTest {
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

    private static String data() {
        return Fixtures.testDataDir().toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(Path p) throws Exception {
        return (Map<String, Object>) Json.parse(Files.readString(p));
    }

    private static double num(Object o) {
        return ((Number) o).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return (List<Map<String, Object>>) o;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private String[] tune(Path report, Path best, String... extra) {
        List<String> a = new ArrayList<>(List.of("tune", "--model", "lightgcn", "--data", data(), "--epochs", "2", "--lr", "0.01",
                "--grid", "reg=1e-4,0.01", "--grid", "layers=1,2", "--report", report.toString(), "--out", best.toString()));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    /**
     * A tune prints one row per trial with valid metrics only, picks the trial with the best valid
     * Recall@20, shows test metrics for it alone, and writes a configuration that train accepts
     * and reproduces.
     */
    @Test
    void tuneSelectsOnValidAndWritesAConfigThatTrainReproduces() throws Exception {
        Path report = tmp.resolve("tune.json"), best = tmp.resolve("best.json");
        assertEquals(0, run(tune(report, best)), err());
        String text = out();
        for (int t = 1; t <= 4; t++) {
            assertTrue(text.contains("\n" + t + "/4 "), "row of trial " + t + ":\n" + text);
        }
        assertTrue(text.contains("reg=1e-4 layers=1") && text.contains("reg=0.01 layers=2"), text);
        assertEquals(1, text.split("test metrics", -1).length - 1, "test metrics shown once, for the chosen configuration:\n" + text);
        assertTrue(text.indexOf("test metrics") > text.indexOf("4/4 "), "after the last trial");

        Map<String, Object> rep = json(report);
        List<Map<String, Object>> trials = list(rep.get("trials"));
        assertEquals(4, trials.size());
        Map<String, Object> top = trials.get(0);
        for (Map<String, Object> t : trials) {
            assertFalse(t.containsKey("test"), "a trial keeps no test metrics: " + t);
            assertFalse(Json.write(t).contains("\"test\""), "no test metrics anywhere in a trial");
            if (num(map(t.get("valid")).get("Recall@20")) > num(map(top.get("valid")).get("Recall@20"))) {
                top = t;
            }
        }
        Map<String, Object> chosen = map(rep.get("chosen"));
        assertEquals(top.get("trial"), chosen.get("trial"), "the chosen trial has the best valid Recall@20");
        assertTrue(map(chosen.get("test")).containsKey("Recall@20"));

        Map<String, Object> cfg = json(best);
        assertEquals("lightgcn", cfg.get("model"));
        Map<String, Object> expected = new LinkedHashMap<>(Map.of("lr", 0.01));
        expected.putAll(map(top.get("config")));
        assertEquals(expected, cfg.get("config"), "the flags the tune fixed, then the chosen trial's reg and layers");

        // train --config FILE reproduces the chosen trial's valid numbers (same seed, same numbers).
        Path run = tmp.resolve("train.json");
        assertEquals(0, run("train", "--config", best.toString(), "--data", data(), "--epochs", "2", "--lr", "0.01", "--quiet",
                "--report", run.toString()), err());
        Map<String, Object> tr = json(run);
        assertEquals("lightgcn", tr.get("model"));
        assertEquals(num(map(top.get("valid")).get("Recall@20")), num(map(tr.get("valid")).get("Recall@20")), 1e-12);
        assertEquals(num(map(map(chosen.get("test")).get("Recall@20")).get("mean")), num(map(tr.get("test")).get("Recall@20")), 1e-12);
        assertEquals(num(map(cfg.get("config")).get("layers")), num(map(tr.get("config")).get("layers")));
        assertEquals(num(map(cfg.get("config")).get("reg")), num(map(tr.get("config")).get("reg")), 1e-6);

        // A flag on the command line overrides the file.
        int other = (int) num(map(cfg.get("config")).get("layers")) == 1 ? 3 : 1;
        assertEquals(0, run("train", "--config", best.toString(), "--layers", String.valueOf(other), "--data", data(), "--epochs", "1",
                "--quiet", "--report", run.toString()), err());
        assertEquals(other, (int) num(map(json(run).get("config")).get("layers")));
        assertEquals(num(map(cfg.get("config")).get("reg")), num(map(json(run).get("config")).get("reg")), 1e-6);

        // A configuration for another model is refused before training.
        assertEquals(2, run("train", "--model", "freedom", "--config", best.toString(), "--data", data(), "--epochs", "1"));
        assertTrue(err().contains("is a configuration for lightgcn, not freedom"), err());
        assertEquals(2, run("compare", "--models", "freedom,lightgcn", "--config", "freedom=" + best, "--data", data(), "--epochs", "1"));
        assertTrue(err().contains("the file is a configuration for lightgcn, not freedom"), err());
    }

    /** An interrupted tune rerun with the same report trains only the trials it lacks, and selects as before. */
    @Test
    void rerunWithTheSameReportSkipsFinishedTrials() throws Exception {
        Path report = tmp.resolve("tune.json"), best = tmp.resolve("best.json");
        assertEquals(0, run(tune(report, best)), err());
        Map<String, Object> full = json(report);
        String firstBest = Files.readString(best);

        // As if interrupted after trial 2: the report holds trials 1 and 2 and no choice.
        Map<String, Object> cut = new LinkedHashMap<>(full);
        cut.put("trials", list(full.get("trials")).subList(0, 2));
        cut.remove("chosen");
        Json.writeFile(report, cut);
        assertEquals(0, run(tune(report, best)), err());
        String text = out();
        assertEquals(2, text.split("\\(from the report\\)", -1).length - 1, text);
        assertTrue(text.contains("3/4 ") && text.contains("4/4 "), text);
        Map<String, Object> again = json(report);
        assertEquals(4, list(again.get("trials")).size());
        assertEquals(map(full.get("chosen")).get("trial"), map(again.get("chosen")).get("trial"));
        assertEquals(map(full.get("chosen")).get("test"), map(again.get("chosen")).get("test"));
        for (int t = 0; t < 4; t++) {
            assertEquals(list(full.get("trials")).get(t).get("valid"), list(again.get("trials")).get(t).get("valid"), "trial " + (t + 1));
        }
        assertEquals(json(tmp.resolve("best.json")).get("config"), ((Map<?, ?>) Json.parse(firstBest)).get("config"));

        // Another grid, seed list or data on the same report is refused, naming what differs.
        assertEquals(1, run("tune", "--model", "lightgcn", "--data", data(), "--epochs", "2", "--lr", "0.01", "--grid", "reg=1e-4,0.1",
                "--grid", "layers=1,2", "--report", report.toString()));
        assertTrue(err().contains("holds a tune with another grid"), err());
        assertEquals(1, run(tune(report, best, "--seeds", "2")));
        assertTrue(err().contains("another") && err().contains("seeds"), err());
        assertEquals(4, list(json(report).get("trials")).size(), "the refused run left the report alone");
    }

    /** --trials samples the model's declared grid; --seeds averages each trial (mean ± std). */
    @Test
    void trialsSampleTheDeclaredGridAndSeedsAverageEachTrial() throws Exception {
        Path report = tmp.resolve("r.json");
        assertEquals(0, run("tune", "--model", "lightgcn", "--data", data(), "--epochs", "1", "--trials", "2", "--seeds", "2",
                "--report", report.toString()), err());
        String text = out();
        assertTrue(text.contains("2 trials of a 20-point grid over reg, layers"), text);
        assertTrue(text.contains("1/2 ") && text.contains("2/2 ") && !text.contains("3/2"), text);
        assertTrue(text.contains("±"), "mean ± std over two seeds:\n" + text);
        Map<String, Object> rep = json(report);
        for (Map<String, Object> t : list(rep.get("trials"))) {
            assertEquals(2, list(t.get("runs")).size(), "one run per seed");
            assertNotEquals(list(t.get("runs")).get(0).get("seed"), list(t.get("runs")).get(1).get("seed"));
        }
        assertEquals(List.of(2024L, 2025L), map(rep.get("search")).get("seeds"));
    }

    @Test
    void badTuneInputIsOneLineNamingTheProblem() throws Exception {
        assertEquals(2, run("tune", "--model", "lightgcn", "--data", data(), "--grid", "rho=0.5"));
        assertTrue(err().startsWith("weft tune: --grid rho=0.5: lightgcn has no setting 'rho'"), err());
        assertEquals(2, run("tune", "--model", "lightgcn", "--data", data(), "--grid", "reg=abc"));
        assertTrue(err().contains("--reg must be a number"), err());
        assertEquals(2, run("tune", "--model", "lightgcn", "--data", data(), "--grid", "reg=1e-3,1e-2", "--reg", "1e-4"));
        assertTrue(err().contains("--reg is both fixed on the command line and searched by --grid"), err());
        assertEquals(2, run("tune", "--model", "popularity", "--data", data()));
        assertTrue(err().contains("popularity has no search space"), err());
        assertEquals(2, run("tune", "--model", "lightgcn", "--data", data(), "--trials", "0"));
        assertTrue(err().contains("--trials must be >= 1"), err());
        assertEquals(2, run("tune", "--data", data()));
        assertTrue(err().contains("--model is required"), err());

        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"model\": \"lightgcn\", \"config\": {\"layers\": 2,");
        assertEquals(1, run("train", "--config", bad.toString(), "--data", data(), "--epochs", "1"));
        assertTrue(err().startsWith("weft: " + bad + ": not JSON"), err());
        Files.writeString(bad, "{\"model\": \"lightgcn\", \"config\": {\"rho\": 0.5}}");
        assertEquals(1, run("train", "--config", bad.toString(), "--data", data(), "--epochs", "1"));
        assertTrue(err().startsWith("weft: " + bad + ": config.rho: lightgcn has no setting 'rho'"), err());
        Files.writeString(bad, "{\"model\": \"lightgcn\", \"config\": {\"layers\": -1}}");
        assertEquals(1, run("train", "--config", bad.toString(), "--data", data(), "--epochs", "1"));
        assertTrue(err().startsWith("weft: " + bad + ": config.layers: --layers must be >= 0"), err());
        assertEquals(1, run("train", "--config", tmp.resolve("missing.json").toString(), "--data", data(), "--epochs", "1"));
        assertTrue(err().contains("missing.json: cannot read"), err());
        assertEquals(2, run("compare", "--models", "lightgcn", "--config", "lightgcn", "--data", data()));
        assertTrue(err().contains("--config takes MODEL=FILE"), err());
        assertEquals(2, run("compare", "--models", "lightgcn", "--config", "bprmf=" + bad, "--data", data()));
        assertTrue(err().contains("bprmf is not among --models"), err());
        assertEquals(2, run("compare", "--models", "lightgcn", "--drop-interactions", "1", "--data", data()));
        assertTrue(err().contains("--drop-interactions must be in [0, 1)"), err());
    }

    /**
     * compare --drop-interactions trains every model on the same seeded subset of the training
     * interactions (valid and test untouched); --config applies to its model only.
     */
    @Test
    void compareDropsTheSameTrainingInteractionsForEveryModelAndAppliesConfigsPerModel() throws Exception {
        Path cfg = tmp.resolve("lgcn.json");
        Files.writeString(cfg, "{\"model\": \"lightgcn\", \"config\": {\"layers\": 1, \"reg\": 0.01, \"lr\": 0.01}}");
        Path report = tmp.resolve("compare.json");
        assertEquals(0, run("compare", "--models", "lightgcn,bprmf", "--config", "lightgcn=" + cfg, "--drop-interactions", "0.5",
                "--data", data(), "--epochs", "1", "--quiet", "--report", report.toString()), err());
        assertTrue(out().contains("with 0.5 of training interactions dropped"), out());
        Map<String, Object> rep = json(report);
        assertEquals(0.5, num(rep.get("drop_interactions")));
        assertEquals(Map.of("lightgcn", cfg.toString()), rep.get("configs"));
        List<Map<String, Object>> runs = list(rep.get("runs"));
        Map<String, Object> lg = map(runs.get(0).get("dataset_sizes")), bpr = map(runs.get(1).get("dataset_sizes"));
        assertEquals(lg, bpr, "the same drop for both models");
        double train = num(lg.get("train"));
        assertTrue(train > 0.45 * 9423 && train < 0.55 * 9423, "about half of the 9,423 training interactions: " + train);
        assertEquals(1151.0, num(lg.get("valid")));
        assertEquals(1483.0, num(lg.get("test")));
        Map<String, Object> lc = map(runs.get(0).get("config")), bc = map(runs.get(1).get("config"));
        assertEquals(1.0, num(lc.get("layers")));
        assertEquals(0.01, num(lc.get("reg")), 1e-6);
        assertEquals(0.01, num(lc.get("lr")), 1e-6);
        assertEquals(0.1, num(bc.get("reg")), 1e-6, "bprmf keeps its own default reg");
        assertEquals(0.001, num(bc.get("lr")), 1e-6, "the file's lr applies to lightgcn only");

        // The drop is robustness's for the same seed: the same subset.
        Path rob = tmp.resolve("rob.json");
        assertEquals(0, run("robustness", "--model", "bprmf", "--feature-noise", "0", "--drop-interactions", "0.5", "--data", data(),
                "--epochs", "1", "--quiet", "--report", rob.toString()), err());
        List<Map<String, Object>> rr = list(json(rob).get("runs"));
        assertEquals(num(runs.get(1).get("best_epoch")), num(rr.get(rr.size() - 1).get("best_epoch")));
        assertEquals(map(runs.get(1).get("test")), map(rr.get(rr.size() - 1).get("test")), "bprmf on the same dropped data");
    }

    /** A toggle set to false in a config file turns its component off, as --no-NAME does. */
    @Test
    void aToggleInAConfigFileIsItsSwitch() throws Exception {
        Path cfg = tmp.resolve("hma.json");
        Files.writeString(cfg, "{\"model\": \"hmarec\", \"config\": {\"intra\": false, \"tokens\": 2}}");
        Path report = tmp.resolve("t.json");
        assertEquals(0, run("train", "--config", cfg.toString(), "--data", data(), "--epochs", "1", "--quiet", "--report",
                report.toString()), err());
        Map<String, Object> c = map(json(report).get("config"));
        assertEquals(false, c.get("intra"));
        assertEquals(true, c.get("cross"));
        assertEquals(2L, c.get("tokens"));
    }

    /** A trial whose training fails (a diverging lr) is recorded as failed and never chosen; the tune goes on. */
    @Test
    void aFailedTrialIsRecordedAndSkippedBySelection() throws Exception {
        Path report = tmp.resolve("f.json");
        assertEquals(0, run("tune", "--model", "lightgcn", "--data", data(), "--epochs", "1", "--grid", "lr=1e30,0.01", "--report",
                report.toString()), err());
        assertTrue(out().contains("1/2     lr=1e30") && out().contains("failed: lightgcn: loss became"), out());
        Map<String, Object> rep = json(report);
        assertTrue(list(rep.get("trials")).get(0).containsKey("failed"));
        assertEquals(2L, map(rep.get("chosen")).get("trial"));
        assertEquals(1, run("tune", "--model", "lightgcn", "--data", data(), "--epochs", "1", "--grid", "lr=1e30"));
        assertTrue(err().contains("every trial failed"), err());
    }
}
