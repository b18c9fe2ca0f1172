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
        return TrainingTest.TestData.dir().toString();
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
        for (String m : Models.names()) {
            assertTrue(help.contains("\n  " + m + " "), "help lacks model " + m);
            for (String f : Models.flagsOf(m)) {
                assertTrue(help.contains("--" + f + " V"), "help lacks " + m + "'s flag --" + f);
            }
            for (String sw : Models.switchesOf(m)) {
                assertTrue(help.contains("--" + sw), "help lacks " + m + "'s switch --" + sw);
            }
        }
    }

    /** BPR-MF's own default reg (0.1, see Models.defaultReg) applies unless --reg is given; others keep 1e-4. */
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
        Files.writeString(dir.resolve("bad.inter"), "userID\titemID\tx_label\n0\t1\t0\n1\tx\t0\n");
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
