package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.models.cli.Main;
import weft.models.options.Option;

class CliTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private String data() {
        return Fixtures.testDataDir().toString();
    }

    @Test
    void trainWritesReportWithBestEpochMetrics() throws Exception {
        Path report = tmp.resolve("sub/report.json");
        int rc = run("train", "--model", "lightgcn", "--data", data(), "--epochs", "2", "--lr", "0.01", "--quiet",
                "--report", report.toString());
        assertEquals(0, rc, err());
        String json = Files.readString(report);
        for (String key : new String[] {"\"model\": \"lightgcn\"", "\"dataset\"", "\"best_epoch\"", "\"valid\"", "\"test\"",
                "\"epochs\"", "\"train_seconds\"", "\"eval_seconds\"", "\"config\"", "\"Recall@20\"", "\"NDCG@50\"",
                "\"heap\"", "\"peak_live_mib\""}) {
            assertTrue(json.contains(key), "report lacks " + key + ":\n" + json);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("test") && text.contains("Recall"), text);
        try (var files = Files.list(report.getParent())) {
            assertEquals(1, files.count(), "no temporary file left beside the report");
        }
    }

    @Test
    void helpListsEveryModelWithItsFlagsAndSwitches() {
        assertEquals(0, run("help"));
        String help = out.toString(StandardCharsets.UTF_8);
        for (ModelSpec m : Models.all()) {
            assertTrue(help.contains("\n  " + m.name() + " "), "help lacks model " + m);
            for (Option<?> o : m.options()) {
                assertTrue(help.contains(o.flag()), "help lacks " + m + "'s flag " + o.flag());
            }
        }
        out.reset();
        assertEquals(0, run("help", "crane"));
        String crane = out.toString(StandardCharsets.UTF_8);
        for (Option<?> o : Crane.SPEC.options()) {
            assertTrue(crane.contains(o.flag()) && crane.contains(o.help()), "help crane lacks " + o.flag() + ":\n" + crane);
        }
        assertTrue(crane.contains("--rca-steps 0"), "ablation variants listed:\n" + crane);
    }

    /** The README's model table is the one the declarations generate ({@code weft models --markdown}). */
    @Test
    void readmeModelTableIsGeneratedFromTheDeclarations() throws Exception {
        assertEquals(0, run("models", "--markdown"));
        String table = out.toString(StandardCharsets.UTF_8);
        assertEquals(Models.markdownTable(), table);
        Path readme = Fixtures.testDataDir().resolveSibling("README.md");
        assertTrue(Files.readString(readme).contains(table),
                "README.md's model table is stale; replace it with the output of 'weft models --markdown':\n" + table);
    }

    @Test
    void reportConfigHasEveryOptionAndTheModalitiesRead() throws Exception {
        Path report = tmp.resolve("crane.json");
        assertEquals(0, run("train", "--model", "crane", "--data", data(), "--epochs", "1", "--quiet", "--dim", "16",
                "--rca-steps", "1", "--no-profile", "--report", report.toString()), err());
        String json = Files.readString(report);
        for (Option<?> o : Crane.SPEC.options()) {
            assertTrue(json.contains("\"" + o.reportKey() + "\""), "config lacks " + o.reportKey() + ":\n" + json);
        }
        assertTrue(json.contains("\"rca_steps\": 1") && json.contains("\"profile\": false") && json.contains("\"dim\": 16"), json);
        assertTrue(json.replaceAll("\\s+", "").contains("\"modalities\":[\"image\",\"text\"]"), json);
    }

    @Test
    void severalSeedsGiveMeanAndSpreadAndPairedWins() throws Exception {
        Path report = tmp.resolve("seeds.json");
        assertEquals(0, run("compare", "--models", "lightgcn,bprmf", "--data", data(), "--epochs", "2", "--quiet", "--seed", "5",
                "--seeds", "3", "--baseline", "lightgcn", "--report", report.toString()), err());
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("3 seeds [5, 6, 7]") && text.contains(" ± ") && text.contains("/3"), text);
        String json = Files.readString(report).replaceAll("\\s+", "");
        assertTrue(json.contains("\"seeds\":[5,6,7]") && json.contains("\"baseline\":\"lightgcn\"")
                && json.contains("\"test_mean\"") && json.contains("\"test_std\""), json);
        // each seed's run is kept, with its own seed in its config
        for (int seed : new int[] {5, 6, 7}) {
            assertTrue(json.contains("\"seed\":" + seed + ","), "run of seed " + seed + " missing");
        }
        out.reset();
        assertEquals(0, run("train", "--model", "lightgcn", "--data", data(), "--epochs", "2", "--quiet", "--seed", "5",
                "--seeds", "2"), err());
        text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("2 seeds [5, 6]") && text.contains(" ± "), text);
        assertEquals(2, run("compare", "--models", "lightgcn,bprmf", "--data", data(), "--baseline", "vbpr"));
        assertTrue(err().contains("--baseline vbpr is not among --models"), err());
        assertEquals(2, run("train", "--model", "lightgcn", "--data", data(), "--seeds", "0"));
    }

    @Test
    void popularityTrainsAndReports() {
        assertEquals(0, run("train", "--model", "popularity", "--data", data(), "--quiet"), err());
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("popularity on synthetic: best epoch 0 of 1") && text.contains("Recall"), text);
    }

    @Test
    void modelOptionErrorsNameTheFlag() {
        assertEquals(2, run("train", "--model", "crane", "--data", data(), "--heads", "5"));
        assertTrue(err().contains("--heads") && err().contains("--dim"), err());
        err.reset();
        assertEquals(2, run("train", "--model", "tmfun", "--data", data(), "--fusion-steps", "9"));
        assertTrue(err().contains("--fusion-steps must be <= 3, got 9"), err());
        err.reset();
        assertEquals(2, run("train", "--model", "lightgcn", "--data", data(), "--rho", "0.5"));
        assertTrue(err().contains("--rho does not apply to lightgcn"), err());
        err.reset();
        assertEquals(2, run("compare", "--models", "lightgcn,freedom", "--data", data(), "--rho", "2"));
        assertTrue(err().contains("--rho must be < 1, got 2"), err());
    }

    /** BPR-MF's own default reg (0.1, declared in its spec) applies unless --reg is given; others keep 1e-4. */
    @Test
    void bprmfHasItsOwnDefaultRegUnlessRegIsGiven() throws Exception {
        Path a = tmp.resolve("a.json"), b = tmp.resolve("b.json");
        assertEquals(0, run("compare", "--models", "bprmf,lightgcn", "--data", data(), "--epochs", "1", "--quiet",
                "--report", a.toString()), err());
        String ja = Files.readString(a);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"reg\": ([0-9.eE-]+)").matcher(ja);
        assertTrue(m.find());
        assertEquals(0.1, Double.parseDouble(m.group(1)), 1e-6, "bprmf's default reg");
        assertTrue(m.find());
        assertEquals(1e-4, Double.parseDouble(m.group(1)), 1e-9, "lightgcn's default reg");
        assertEquals(0, run("train", "--model", "bprmf", "--data", data(), "--epochs", "1", "--quiet", "--reg", "0.001",
                "--report", b.toString()), err());
        m = java.util.regex.Pattern.compile("\"reg\": ([0-9.eE-]+)").matcher(Files.readString(b));
        assertTrue(m.find());
        assertEquals(1e-3, Double.parseDouble(m.group(1)), 1e-9, "--reg overrides the model's default");
    }

    @Test
    void unknownFlagIsAUsageError() {
        assertEquals(2, run("train", "--model", "lightgcn", "--epoch", "3"));
        assertTrue(err().contains("unknown flag --epoch"), err());
    }

    @Test
    void badNumberNamesTheFlag() {
        assertEquals(2, run("train", "--model", "lightgcn", "--lr", "fast"));
        assertTrue(err().contains("--lr must be a number, got 'fast'"), err());
    }

    @Test
    void unknownModelListsKnownOnes() {
        assertEquals(2, run("train", "--model", "nope", "--data", data()));
        assertTrue(err().contains("unknown model 'nope'") && err().contains("lightgcn"), err());
    }

    @Test
    void missingDataFolderIsReported() {
        assertEquals(2, run("train", "--model", "bprmf", "--data", tmp.resolve("absent").toString()));
        assertTrue(err().contains("is not a folder"), err());
    }

    @Test
    void badInterFileGivesOneLineWithFileAndLine() throws Exception {
        Path dir = tmp.resolve("bad");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("bad.inter"), "userID\titemID\tx_label\n0\t1\t0\n1\t \t0\n");
        assertEquals(1, run("train", "--model", "bprmf", "--data", dir.toString(), "--epochs", "1"));
        String e = err();
        assertTrue(e.contains("bad.inter:3:2") && e.contains("itemID"), e);
        assertFalse(e.contains("\tat "), "no stack trace: " + e);
    }

    @Test
    void commandIsRequired() {
        assertEquals(2, run());
        assertEquals(2, run("frobnicate"));
        assertTrue(err().contains("unknown command 'frobnicate'"), err());
    }
}
