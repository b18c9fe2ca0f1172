package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.engine.Parallel;
import weft.engine.Tensor;
import weft.models.cli.Main;
import weft.models.data.Npy;

/**
 * Hostile input on the command line: each case is one clear line on stderr and a non-zero exit
 * (or, for irregular but usable data, one load summary line), never a stack trace.
 */
class BadInputTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Runs {@code args}, expects exit {@code rc} and a first stderr line containing {@code message}, and no training. */
    private void refused(int rc, String message, String... args) {
        int got = run(args);
        String e = err();
        assertEquals(rc, got, "exit code; stderr: " + e + "\nstdout: " + out());
        String first = e.lines().findFirst().orElse("");
        assertTrue(first.contains(message), "expected '" + message + "' in: " + e);
        assertFalse(e.contains("\tat ") || e.contains("Exception"), "no stack trace or exception name: " + e);
        assertFalse(out().contains("epoch"), "refused before training: " + out());
    }

    private String data() {
        return Fixtures.testDataDir().toString();
    }

    /** A copy of test-data/ in a temp folder, to break. */
    private Path copyOfTestData() throws Exception {
        Path d = tmp.resolve("data");
        Files.createDirectories(d);
        try (var files = Files.list(Fixtures.testDataDir())) {
            for (Path f : files.toList()) {
                Files.copy(f, d.resolve(f.getFileName()));
            }
        }
        return d;
    }

    private Path folder(String inter) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("small"));
        Files.writeString(d.resolve("small.inter"), inter);
        return d;
    }

    @Test
    void noValidOrNoTrainRowsAreRefused() throws Exception {
        Path d = folder("userID\titemID\tx_label\n0\t0\t0\n0\t1\t2\n1\t1\t0\n");
        refused(1, "small.inter: no validation interactions (x_label 1) of a user with training interactions", "train", "--model",
                "lightgcn", "--data", d.toString());
        Files.writeString(d.resolve("small.inter"), "userID\titemID\tx_label\n0\t0\t1\n0\t1\t2\n");
        refused(1, "small.inter: no training interactions (x_label 0): there is nothing to train on", "train", "--model", "bprmf",
                "--data", d.toString());
    }

    @Test
    void outOfMemoryNamesTheHeapLimitAndHowToRaiseIt() {
        String m = Main.outOfMemoryMessage(512L << 20);
        assertEquals("out of memory: the Java heap limit (Runtime.maxMemory) is 512 MiB; raise it, e.g. WEFT_JAVA_OPTS=-Xmx2g ./weft ..., "
                + "or use a smaller --dim / --batch", m);
        assertTrue(Main.outOfMemoryMessage(3L << 30).contains("is 3072 MiB; raise it, e.g. WEFT_JAVA_OPTS=-Xmx6g"));
    }

    /** Runs the CLI in a fresh JVM (for what is fixed at class-load time or by the heap size). */
    private static String[] subprocess(List<String> jvm, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        p.getOutputStream().close();
        byte[] o = p.getInputStream().readAllBytes(), e = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "subprocess ended");
        return new String[] {String.valueOf(p.exitValue()), new String(o, StandardCharsets.UTF_8), new String(e, StandardCharsets.UTF_8)};
    }

    @Test
    void realOutOfMemoryIsOneLine() throws Exception {
        String[] r = subprocess(List.of("-Xmx40m", "-XX:-UseCompressedOops"), "train", "--model", "lightgcn", "--data", data(),
                "--epochs", "1", "--dim", "200000", "--quiet");
        String e = r[2].replaceAll("(?m)^WARNING: Using incubator modules.*\\R", "");
        assertEquals("1", r[0], e);
        assertTrue(e.startsWith("weft train: out of memory: the Java heap limit (Runtime.maxMemory) is "), e);
        assertTrue(e.contains("WEFT_JAVA_OPTS=-Xmx"), e);
        assertEquals(1, e.lines().count(), e);
    }

    @Test
    void badThreadsPropertyIsAUsageErrorNotAnInitializerError() throws Exception {
        String[] r = subprocess(List.of("-Dweft.threads=abc"), "info");
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].contains("weft info: -Dweft.threads must be a positive integer, got 'abc'"), r[2]);
        assertFalse(r[2].contains("ExceptionInInitializerError"), r[2]);
    }

    @Test
    void absurdThreadCountsAreRefusedWithTheBound() {
        int max = Parallel.maxThreads();
        refused(2, "--threads must be at most " + max + " (4 x the", "train", "--model", "lightgcn", "--data", data(), "--threads", "40000");
        refused(2, "--threads must be at most " + max, "train", "--model", "lightgcn", "--data", data(), "--threads", "1000");
        refused(2, "--threads must be >= 1, got 0", "train", "--model", "lightgcn", "--data", data(), "--threads", "0");
    }

    @Test
    void reportTargetsAreCheckedBeforeTraining() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("out"));
        refused(2, "--report: '" + dir + "' is a folder; give a file path", "train", "--model", "lightgcn", "--data", data(),
                "--report", dir.toString());
        Path file = Files.writeString(tmp.resolve("plain"), "x");
        refused(2, "--report-html: cannot write '" + file.resolve("r.html") + "': '" + file + "' is not a folder", "train", "--model",
                "lightgcn", "--data", data(), "--report-html", file.resolve("r.html").toString());
        assertFalse(err().contains(".tmp"), "no temp file named");
        try (var files = Files.list(tmp)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith(".weft")), "the probe file is removed");
        }
        // a read-only folder (root bypasses permission bits, so this part needs an ordinary user)
        assumeTrue(!"root".equals(System.getProperty("user.name")), "running as root");
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        assumeTrue(ro.toFile().setWritable(false, false));
        try {
            refused(2, "--report: cannot write '" + ro.resolve("r.json") + "': folder '" + ro + "' is not writable", "train", "--model",
                    "lightgcn", "--data", data(), "--report", ro.resolve("r.json").toString());
        } finally {
            ro.toFile().setWritable(true, false);
        }
    }

    @Test
    void readOnlyReportFileIsRefused() throws Exception {
        assumeTrue(!"root".equals(System.getProperty("user.name")), "root writes read-only files");
        Path f = Files.writeString(tmp.resolve("r.json"), "{}");
        assumeTrue(f.toFile().setWritable(false, false));
        refused(2, "--report: cannot write '" + f + "' (", "train", "--model", "lightgcn", "--data", data(), "--report", f.toString());
        assertEquals("{}", Files.readString(f), "the existing file is untouched");
    }

    @Test
    void immutableReportFileIsRefusedBeforeTraining() throws Exception {
        Path f = Files.writeString(tmp.resolve("locked.json"), "{}");
        boolean locked;
        try {
            locked = new ProcessBuilder("chattr", "+i", f.toString()).start().waitFor() == 0;
        } catch (java.io.IOException e) {
            locked = false;
        }
        assumeTrue(locked, "chattr +i is not available here (needs root and a file system with attributes)");
        try {
            refused(2, "--report: cannot write '" + f + "' (Operation not permitted)", "train", "--model", "lightgcn", "--data", data(),
                    "--report", f.toString());
        } finally {
            new ProcessBuilder("chattr", "-i", f.toString()).start().waitFor();
        }
        assertEquals("{}", Files.readString(f));
    }

    @Test
    void danglingLinkOrFolderImageFeaturesAreErrors() throws Exception {
        Path d = copyOfTestData();
        Files.delete(d.resolve("image_feat.npy"));
        Files.createSymbolicLink(d.resolve("image_feat.npy"), d.resolve("missing.npy"));
        refused(1, "image_feat.npy: is a symbolic link to '" + d.resolve("missing.npy") + "', which does not exist", "train", "--model",
                "vbpr", "--data", d.toString());
        Files.delete(d.resolve("image_feat.npy"));
        Files.createDirectory(d.resolve("image_feat.npy"));
        refused(1, "image_feat.npy: is a folder, expected a file", "train", "--model", "vbpr", "--data", d.toString());
    }

    @Test
    void sameModalityOrGraphNameTwiceIsRefused() {
        refused(2, "weft train: --modality: modality 'audio' given twice (image_feat.npy and text_feat.npy)", "train", "--model", "vbpr",
                "--data", data(), "--modality", "audio=image_feat.npy", "--modality", "audio=text_feat.npy");
        refused(2, "weft train: --item-graph: item graph 'g' given twice (a.tsv and b.tsv)", "train", "--model", "freedom", "--data",
                data(), "--item-graph", "g=a.tsv", "--item-graph", "g=b.tsv");
    }

    @Test
    void zeroColumnFeatureMatrixIsRefusedAtLoad() throws Exception {
        Path d = copyOfTestData();
        int items = Npy.readHeader(d.resolve("image_feat.npy")).shape()[0] > 0 ? (int) Npy.readHeader(d.resolve("image_feat.npy")).shape()[0] : 0;
        Npy.write(d.resolve("image_feat.npy"), new Tensor(items, 0));
        refused(1, "image_feat.npy: shape (" + items + ", 0): modality 'image' has no feature columns", "train", "--model", "freedom",
                "--data", d.toString());
    }

    @Test
    void itemGraphOrModalityForAModelThatIgnoresThemIsRefused() {
        refused(2, "--item-graph does not apply to lightgcn (only freedom reads precomputed item graphs)", "train", "--model", "lightgcn",
                "--data", data(), "--item-graph", "g=g.tsv");
        refused(2, "--item-graph does not apply to vbpr", "train", "--model", "vbpr", "--data", data(), "--item-graph", "g=g.tsv");
        refused(2, "--modality does not apply to bprmf (it reads no item features)", "train", "--model", "bprmf", "--data", data(),
                "--modality", "a=image_feat.npy");
    }

    @Test
    void irregularIdsAndSplitsGiveOneSummaryLine() throws Exception {
        // users 0, 1, 3 (2 is a gap); item 9 unused; two duplicate lines; user 4 only in test
        StringBuilder sb = new StringBuilder("userID\titemID\tx_label\n");
        for (int u : new int[] {0, 1, 3}) {
            for (int i = 0; i < 8; i++) sb.append(u).append('\t').append((i + u) % 9).append('\t').append(i < 6 ? 0 : i - 5).append('\n');
        }
        sb.append("0\t0\t0\n0\t0\t0\n4\t10\t2\n");
        Path d = folder(sb.toString());
        Path report = tmp.resolve("r.json");
        assertEquals(0, run("train", "--model", "lightgcn", "--data", d.toString(), "--epochs", "1", "--report", report.toString()), err());
        List<String> lines = out().lines().filter(l -> l.startsWith("load: ")).toList();
        assertEquals(List.of("load: 2 duplicate lines dropped, 1 user without training data (not evaluated), 1 user id unused "
                + "(no interactions), 1 item id without interactions (still ranked)"), lines);
        String json = Files.readString(report);
        assertTrue(json.contains("\"lr\": 0.001,"), "a Float config value is written without float noise:\n" + json);
        assertTrue(json.contains("\"reg\": 1.0E-4,"), json);
        assertTrue(json.contains("\"test\": 3\n"), "of the 4 test lines, user 4's test line is not evaluated:\n" + json);
        assertEquals(0, run("train", "--model", "lightgcn", "--data", data(), "--epochs", "1", "--quiet"), err());
        assertFalse(out().contains("load: "), "regular data prints no summary line");
    }

    @Test
    void pairInTrainAndTestIsRefusedWithBothLines() throws Exception {
        Path d = folder("userID\titemID\tx_label\n0\t0\t0\n0\t1\t0\n0\t2\t1\n0\t1\t2\n");
        refused(1, "small.inter:5: user '0' item '1' is in test here and in train at line 3", "train", "--model", "lightgcn", "--data",
                d.toString());
    }

    @Test
    void overflowingFeatureValuesAreRefusedAtLoadNotBlamedOnLr() throws Exception {
        Path d = copyOfTestData();
        Tensor t = Npy.read(d.resolve("text_feat.npy"));
        t.data[t.cols * 4 + 2] = 3e38f;
        Npy.write(d.resolve("text_feat.npy"), t);
        refused(1, "text_feat.npy: value at row 4, column 2 is 3.0E38: features beyond 1e15 in magnitude overflow float32", "train",
                "--model", "vbpr", "--data", d.toString());
    }

    @Test
    void allZeroModalityIsNamed() throws Exception {
        Path d = copyOfTestData();
        Tensor t = Npy.read(d.resolve("text_feat.npy"));
        Npy.write(d.resolve("text_feat.npy"), new Tensor(t.rows, t.cols));
        refused(1, "text_feat.npy: modality 'text' is all zeros", "train", "--model", "vbpr", "--data", d.toString());
    }

    @Test
    void hugeIntegersAndNonPositiveRatesAreNamed() {
        refused(2, "--epochs must be at most 2147483647, got 99999999999", "train", "--model", "lightgcn", "--data", data(), "--epochs",
                "99999999999");
        refused(2, "--epochs must be an integer, got '1e3'", "train", "--model", "lightgcn", "--data", data(), "--epochs", "1e3");
        refused(2, "--lr must be a finite number > 0, got 0", "train", "--model", "lightgcn", "--data", data(), "--lr", "0");
        refused(2, "--lr must be a finite number > 0, got -0.01", "train", "--model", "lightgcn", "--data", data(), "--lr", "-0.01");
        refused(2, "--seed must be between", "train", "--model", "lightgcn", "--data", data(), "--seed", "99999999999999999999");
    }

    @Test
    void negativeOrNanModalityWeightsAreRefusedNamingTheFlag() {
        refused(2, "--modality-weights", "train", "--model", "freedom", "--data", data(), "--modality-weights", "image=-1,text=1");
        assertTrue(err().contains("-1"), err());
        refused(2, "--modality-weights", "train", "--model", "freedom", "--data", data(), "--modality-weights", "image=NaN,text=1");
        assertTrue(err().contains("NaN"), err());
    }

    @Test
    void nonUtf8InterLineIsNamed() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("latin"));
        byte[] a = "userID\titemID\tx_label\n0\t1\t0\n0\tcaf".getBytes(StandardCharsets.US_ASCII);
        byte[] b = "\t0\n".getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[a.length + 1 + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        all[a.length] = (byte) 0xE9;
        System.arraycopy(b, 0, all, a.length + 1, b.length);
        Files.write(d.resolve("l.inter"), all);
        refused(1, "l.inter:3:2: byte 0xe9 (character 6 of the line", "train", "--model", "lightgcn", "--data", d.toString());
    }
}
