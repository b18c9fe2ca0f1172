package weft.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.autograd.Var;
import weft.models.Fixtures;
import weft.models.ModelConfig;
import weft.models.ModelSpec;
import weft.models.Models;
import weft.models.Recommender;
import weft.models.blocks.DotScorer;
import weft.models.data.DataFormatException;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.TrainBatches;
import weft.models.cli.Main;
import weft.models.options.Options;
import weft.models.util.Json;

/** Checkpoints and resume: an interrupted and resumed run equals an uninterrupted one to the bit. */
class CheckpointTest {
    static Dataset data;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        data = Dataset.load(Fixtures.testDataDir());
    }

    /** Thrown by {@link Interrupted} where the process would have been killed. */
    static final class Kill extends RuntimeException {
        Kill(int epoch) {
            super("killed before epoch " + epoch);
        }
    }

    /** A model that dies when epoch {@code at} starts, like a process killed in the middle of it. */
    record Interrupted(Recommender m, int at) implements Recommender {
        @Override
        public String name() {
            return m.name();
        }

        @Override
        public Map<String, Object> facts() {
            return m.facts();
        }

        @Override
        public void startEpoch(int epoch) {
            if (epoch == at) {
                throw new Kill(epoch);
            }
            m.startEpoch(epoch);
        }

        @Override
        public Var loss(TrainBatches.Batch batch) {
            return m.loss(batch);
        }

        @Override
        public DotScorer scorer() {
            return m.scorer();
        }

        @Override
        public List<Var> parameters() {
            return m.parameters();
        }
    }

    /** A run's settings; the model is made fresh (same seed) for every fit, as a new process would. */
    record Run(String model, int dim, int epochs, int patience, float lr, Options opts) {
        Recommender create(Dataset d) {
            ModelSpec spec = Models.spec(model);
            return spec.create(d, config(spec), opts);
        }

        ModelConfig config(ModelSpec spec) {
            ModelConfig mc = spec.config();
            mc.dim = dim;
            mc.seed = 7;
            return mc;
        }

        Map<String, Object> reportConfig() {
            ModelSpec spec = Models.spec(model);
            return spec.config(config(spec), opts);
        }

        TrainConfig train() {
            TrainConfig tc = new TrainConfig();
            tc.epochs = epochs;
            tc.patience = patience;
            tc.lr = lr;
            tc.batch = 1024;
            tc.seed = 7;
            tc.verbose = false;
            return tc;
        }
    }

    static TrainResult fit(Recommender r, Dataset d, Map<String, Object> config, TrainConfig tc) {
        return new Trainer(tc, new PrintStream(new ByteArrayOutputStream())).fit(r, d, config);
    }

    static TrainResult fit(Run run, TrainConfig tc) {
        return fit(run.create(data), data, run.reportConfig(), tc);
    }

    /** Everything but wall-clock fields, and the final (best-epoch) parameters, are equal to the bit. */
    static void assertSameRun(TrainResult a, Recommender ma, TrainResult b, Recommender mb) {
        assertEquals(a.epochs.size(), b.epochs.size(), "epochs trained");
        for (int e = 0; e < a.epochs.size(); e++) {
            TrainResult.Epoch x = a.epochs.get(e), y = b.epochs.get(e);
            assertEquals(x.epoch(), y.epoch());
            assertEquals(Double.doubleToLongBits(x.loss()), Double.doubleToLongBits(y.loss()), "loss of epoch " + e);
            assertEquals(x.valid().asMap(), y.valid().asMap(), "valid metrics of epoch " + e);
            assertEquals(x.valid().users(), y.valid().users());
        }
        assertEquals(a.bestEpoch, b.bestEpoch, "best epoch");
        assertEquals(a.valid.asMap(), b.valid.asMap(), "best valid metrics");
        assertEquals(a.test.asMap(), b.test.asMap(), "test metrics");
        assertEquals(a.config, b.config, "config");
        List<Var> pa = ma.parameters(), pb = mb.parameters();
        assertEquals(pa.size(), pb.size());
        for (int i = 0; i < pa.size(); i++) {
            assertArrayEquals(pa.get(i).value.toArray(), pb.get(i).value.toArray(), 0f, "parameter " + i + " " + pa.get(i));
        }
    }

    /** Straight through vs killed when epoch {@code killAt} starts, checkpointing every {@code every}, then resumed. */
    TrainResult[] straightAndResumed(Run run, int killAt, int every, Path dir) {
        Recommender straight = run.create(data);
        TrainResult a = fit(straight, data, run.reportConfig(), run.train());

        TrainConfig first = run.train();
        first.checkpointDir = dir;
        first.checkpointEvery = every;
        Recommender dying = new Interrupted(run.create(data), killAt);
        assertThrows(Kill.class, () -> fit(dying, data, run.reportConfig(), first));

        TrainConfig second = run.train();
        second.resumeDir = dir;
        Recommender resumed = run.create(data);
        TrainResult b = fit(resumed, data, run.reportConfig(), second);
        assertSameRun(a, straight, b, resumed);
        return new TrainResult[] {a, b};
    }

    @Test
    void lightGcnKilledAndResumedEqualsUninterrupted() {
        Run run = new Run("lightgcn", 16, 6, 50, 1e-2f, Options.defaults());
        Path dir = tmp.resolve("ck");
        straightAndResumed(run, 3, 1, dir);
        // the resumed run kept checkpointing into the folder: the last state is that of the last epoch
        Checkpoint.Loaded ck = Checkpoint.read(dir);
        assertEquals(5, ck.epoch());
        assertEquals(List.of("checkpoint.json", "state-000005.safetensors"), files(dir), "one state file, no leftovers");
    }

    @Test
    void seedModelKilledAndResumedEqualsUninterrupted() {
        Run run = new Run("tmfun", 8, 5, 50, 1e-2f, Options.defaults());
        straightAndResumed(run, 2, 1, tmp.resolve("ck"));
    }

    @Test
    void freedomWithItsPerEpochPrunedGraphResumesExactly() {
        Run run = new Run("freedom", 8, 4, 50, 1e-2f, Options.defaults());
        straightAndResumed(run, 2, 1, tmp.resolve("ck"));
    }

    @Test
    void intervalKeepsTheLatestMultipleAndTheResumeRedoesTheRest() {
        Run run = new Run("lightgcn", 16, 7, 50, 1e-2f, Options.defaults());
        Path dir = tmp.resolve("ck");
        TrainConfig tc = run.train();
        tc.checkpointDir = dir;
        tc.checkpointEvery = 3;
        assertThrows(Kill.class, () -> fit(new Interrupted(run.create(data), 5), data, run.reportConfig(), tc));
        Checkpoint.Loaded ck = Checkpoint.read(dir);
        assertEquals(2, ck.epoch(), "written after epochs 0-2; epochs 3 and 4 are lost, as promised");
        assertEquals(3, ck.every);
        straightAndResumed(run, 5, 3, tmp.resolve("ck2"));
    }

    @Test
    void earlyStoppingStateSurvivesTheResume() {
        // a high learning rate and patience 2: the best epoch comes early and the run stops on its own
        Run run = new Run("lightgcn", 16, 60, 2, 0.1f, Options.defaults());
        TrainResult a = fit(run, run.train());
        int last = a.epochs.size() - 1;
        assertTrue(last < 59, "the run should stop early, trained " + a.epochs.size());
        assertEquals(last, a.bestEpoch + 2);
        // killed as the last epoch starts: the checkpoint is one epoch after the best, patience in progress
        Path dir = tmp.resolve("ck");
        TrainResult[] ab = straightAndResumed(run, last, 1, dir);
        assertEquals(a.bestEpoch, ab[1].bestEpoch);
        Checkpoint.Loaded ck = Checkpoint.read(dir);
        assertEquals(last, ck.epoch(), "the resumed run checkpointed the epoch it stopped at");
        assertEquals(2, ck.sinceBest);
        assertEquals(a.bestEpoch, ck.bestEpoch());
    }

    @Test
    void checkpointHoldsTheAfterKillPositionWithPatienceInProgress() {
        Run run = new Run("lightgcn", 16, 60, 2, 0.1f, Options.defaults());
        TrainResult a = fit(run, run.train());
        int last = a.epochs.size() - 1;
        Path dir = tmp.resolve("ck");
        TrainConfig tc = run.train();
        tc.checkpointDir = dir;
        assertThrows(Kill.class, () -> fit(new Interrupted(run.create(data), last), data, run.reportConfig(), tc));
        Checkpoint.Loaded ck = Checkpoint.read(dir);
        assertEquals(last - 1, ck.epoch());
        assertEquals(1, ck.sinceBest, "one epoch without improvement when killed");
        assertEquals(a.bestEpoch, ck.bestEpoch());
        assertEquals(a.bestEpoch, ck.history.size() - 2);
        assertEquals(a.valid.asMap(), ck.bestValid.asMap());
    }

    @Test
    void resumingAFinishedRunRetrainsNothingAndGivesTheSameResult() {
        Run run = new Run("lightgcn", 16, 3, 50, 1e-2f, Options.defaults());
        Path dir = tmp.resolve("ck");
        TrainConfig tc = run.train();
        tc.checkpointDir = dir;
        Recommender ma = run.create(data);
        TrainResult a = fit(ma, data, run.reportConfig(), tc);
        TrainConfig again = run.train();
        again.resumeDir = dir;
        Recommender mb = run.create(data);
        TrainResult b = fit(mb, data, run.reportConfig(), again);
        assertSameRun(a, ma, b, mb);
        for (int e = 0; e < 3; e++) {
            assertEquals(a.epochs.get(e).trainSeconds(), b.epochs.get(e).trainSeconds(), "timings of checkpointed epochs are kept");
        }
    }

    @Test
    void aFinishedRunCanBeContinuedForMoreEpochsAndEqualsALongerRun() {
        Run shortRun = new Run("lightgcn", 16, 3, 50, 1e-2f, Options.defaults());
        Run longRun = new Run("lightgcn", 16, 5, 50, 1e-2f, Options.defaults());
        Path dir = tmp.resolve("ck");
        TrainConfig tc = shortRun.train();
        tc.checkpointDir = dir;
        fit(shortRun, tc);
        TrainConfig more = longRun.train();
        more.resumeDir = dir;
        Recommender mb = longRun.create(data);
        TrainResult b = fit(mb, data, longRun.reportConfig(), more);
        Recommender ma = longRun.create(data);
        TrainResult a = fit(ma, data, longRun.reportConfig(), longRun.train());
        assertSameRun(a, ma, b, mb);
        assertEquals(4, Checkpoint.read(dir).epoch());
        // fewer epochs than the checkpoint has trained cannot be an uninterrupted run's
        Run shorter = new Run("lightgcn", 16, 4, 50, 1e-2f, Options.defaults());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resume(shorter, dir));
        assertEquals("--resume " + dir + ": the checkpoint has trained 5 epochs, more than this run's epochs = 4", e.getMessage());
    }

    /** A finished 2-epoch LightGCN run checkpointed into {@code dir}. */
    Run checkpointed(Path dir) {
        Run run = new Run("lightgcn", 8, 2, 50, 1e-2f, Options.defaults());
        TrainConfig tc = run.train();
        tc.checkpointDir = dir;
        fit(run, tc);
        return run;
    }

    TrainResult resume(Run run, Path dir) {
        TrainConfig tc = run.train();
        tc.resumeDir = dir;
        return fit(run, tc);
    }

    @Test
    void aFlippedByteIsRefusedAsCorrupted() throws IOException {
        Path dir = tmp.resolve("ck");
        Run run = checkpointed(dir);
        Path state = dir.resolve("state-000001.safetensors");
        byte[] b = Files.readAllBytes(state);
        b[b.length / 2] ^= 0x10;
        Files.write(state, b);
        DataFormatException e = assertThrows(DataFormatException.class, () -> resume(run, dir));
        assertEquals(state + ": checkpoint state is corrupted (SHA-256 mismatch)", e.getMessage());
    }

    @Test
    void aTruncatedOrMissingStateFileIsRefused() throws IOException {
        Path dir = tmp.resolve("ck");
        Run run = checkpointed(dir);
        Path state = dir.resolve("state-000001.safetensors");
        byte[] b = Files.readAllBytes(state);
        Files.write(state, java.util.Arrays.copyOf(b, b.length - 100));
        DataFormatException e = assertThrows(DataFormatException.class, () -> resume(run, dir));
        assertEquals(state + ": checkpoint state is truncated (" + (b.length - 100) + " of " + b.length + " bytes)", e.getMessage());
        Files.delete(state);
        e = assertThrows(DataFormatException.class, () -> resume(run, dir));
        assertTrue(e.getMessage().startsWith(state + ": no such file"), e.getMessage());
    }

    @Test
    void aDamagedOrNewerCheckpointJsonIsRefused() throws IOException {
        Path dir = tmp.resolve("ck");
        Run run = checkpointed(dir);
        Path json = dir.resolve("checkpoint.json");
        String text = Files.readString(json);

        Files.writeString(json, text.replace("\"version\": 1", "\"version\": 2"));
        DataFormatException e = assertThrows(DataFormatException.class, () -> resume(run, dir));
        assertTrue(e.getMessage().contains("checkpoint format version 2 is newer than this weft reads (1)"), e.getMessage());

        Files.writeString(json, text.substring(0, text.length() / 2));
        e = assertThrows(DataFormatException.class, () -> resume(run, dir));
        assertTrue(e.getMessage().startsWith(json + ":"), e.getMessage());

        Files.writeString(json, text.replace("\"since_best\"", "\"since_bets\""));
        e = assertThrows(DataFormatException.class, () -> resume(run, dir));
        assertEquals(json + ": field 'early_stopping.since_best' is missing", e.getMessage());

        Files.writeString(json, text.replaceFirst("\"file\": \"state-000001.safetensors\"", "\"file\": \"../x.safetensors\""));
        e = assertThrows(DataFormatException.class, () -> resume(run, dir));
        assertTrue(e.getMessage().contains("should be named state-NNNNNN.safetensors"), e.getMessage());

        Files.delete(json);
        e = assertThrows(DataFormatException.class, () -> resume(run, dir));
        assertEquals(dir + ": not a checkpoint folder (it has no checkpoint.json)", e.getMessage());
        e = assertThrows(DataFormatException.class, () -> resume(run, tmp.resolve("nowhere")));
        assertEquals(tmp.resolve("nowhere") + ": no such checkpoint folder", e.getMessage());
    }

    @Test
    void aCheckpointOfOtherSettingsModelOrDataIsRefusedNamingTheDifference() {
        Path dir = tmp.resolve("ck");
        Run run = checkpointed(dir);

        Run otherLr = new Run(run.model(), run.dim(), run.epochs(), run.patience(), 5e-3f, run.opts());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resume(otherLr, dir));
        assertTrue(e.getMessage().startsWith("--resume " + dir + ": the checkpoint was made with lr = 0.01"), e.getMessage());
        assertTrue(e.getMessage().contains("this run has lr = 0.005"), e.getMessage());

        Run otherDim = new Run(run.model(), 16, run.epochs(), run.patience(), run.lr(), run.opts());
        e = assertThrows(IllegalArgumentException.class, () -> resume(otherDim, dir));
        assertTrue(e.getMessage().contains("made with dim = 8, this run has dim = 16"), e.getMessage());

        Run otherModel = new Run("bprmf", run.dim(), run.epochs(), run.patience(), run.lr(), run.opts());
        e = assertThrows(IllegalArgumentException.class, () -> resume(otherModel, dir));
        assertTrue(e.getMessage().contains("the checkpoint is of model lightgcn, this run trains bprmf"), e.getMessage());

        Dataset standardized = Dataset.load(Fixtures.testDataDir(), new Dataset.Options().featureNorm(FeatureNorm.parse("standardize")));
        TrainConfig tc = run.train();
        tc.resumeDir = dir;
        e = assertThrows(IllegalArgumentException.class, () -> fit(run.create(standardized), standardized, run.reportConfig(), tc));
        assertTrue(e.getMessage().contains("the checkpoint was trained on other data"), e.getMessage());
    }

    @Test
    void aFolderHoldingACheckpointIsNotOverwrittenByAFreshRun() {
        Path dir = tmp.resolve("ck");
        Run run = checkpointed(dir);
        TrainConfig tc = run.train();
        tc.checkpointDir = dir;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fit(run, tc));
        assertTrue(e.getMessage().contains("already holds a checkpoint; continue it with --resume"), e.getMessage());
    }

    @Test
    void aFolderInUseOrAFileInItsPlaceIsRefusedBeforeTraining() throws Exception {
        Run run = new Run("lightgcn", 8, 2, 50, 1e-2f, Options.defaults());
        Path dir = tmp.resolve("ck");
        TrainConfig tc = run.train();
        tc.checkpointDir = dir;
        try (AutoCloseable held = Checkpoint.lock(dir, "--checkpoint")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fit(run, tc));
            assertEquals("--checkpoint " + dir + ": another weft run is checkpointing into this folder", e.getMessage());
        }
        assertEquals(List.of(), files(dir), "nothing was trained or written");
        Path file = tmp.resolve("plain");
        Files.writeString(file, "x");
        tc.checkpointDir = file;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fit(run, tc));
        assertEquals("--checkpoint " + file + ": is a file, not a folder", e.getMessage());
    }

    @Test
    void leftoversOfAnInterruptedWriteAreIgnoredThenRemoved() throws IOException {
        // killed after the new state file was renamed into place but before checkpoint.json named it,
        // and earlier in the middle of writing a temporary file
        Run run = new Run("lightgcn", 8, 4, 50, 1e-2f, Options.defaults());
        Path dir = tmp.resolve("ck");
        TrainConfig tc = run.train();
        tc.checkpointDir = dir;
        assertThrows(Kill.class, () -> fit(new Interrupted(run.create(data), 2), data, run.reportConfig(), tc));
        Files.write(dir.resolve("state-000002.safetensors"), "half a file".getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve(".state-000003.safetensors.123456.tmp"), new byte[10]);
        Files.write(dir.resolve(".checkpoint.json.98765.tmp"), new byte[3]);
        assertEquals(1, Checkpoint.read(dir).epoch(), "checkpoint.json still names the complete epoch-1 state");

        Recommender straight = run.create(data);
        TrainResult a = fit(straight, data, run.reportConfig(), run.train());
        TrainConfig again = run.train();
        again.resumeDir = dir;
        Recommender resumed = run.create(data);
        TrainResult b = fit(resumed, data, run.reportConfig(), again);
        assertSameRun(a, straight, b, resumed);
        assertEquals(List.of("checkpoint.json", "state-000003.safetensors"), files(dir));
    }

    @Test
    void aModelWithNothingToTrainRefusesCheckpoints() {
        TrainConfig tc = new TrainConfig();
        tc.verbose = false;
        tc.checkpointDir = tmp.resolve("ck");
        Recommender pop = Models.spec("popularity").create(data);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fit(pop, data, Map.of(), tc));
        assertTrue(e.getMessage().contains("popularity has nothing to train"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("ck")));
    }

    /** Runs the command line: {exit code, stdout, stderr}. */
    static Object[] cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Object[] {rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    static String[] trainArgs(String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("train", "--model", "lightgcn", "--data", Fixtures.testDataDir().toString(),
                "--epochs", "3", "--dim", "8", "--batch", "1024", "--quiet"));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    @Test
    void cliResumedReportEqualsTheCheckpointedRunsAndCarriesNoCheckpointSettings() throws IOException {
        Path dir = tmp.resolve("ck"), a = tmp.resolve("a.json"), b = tmp.resolve("b.json");
        Object[] r = cli(trainArgs("--checkpoint", dir.toString(), "--checkpoint-every", "2", "--report", a.toString()));
        assertEquals(0, r[0], String.valueOf(r[2]));
        assertEquals(List.of("checkpoint.json", "state-000002.safetensors"), files(dir), "the last epoch is kept as well");
        r = cli(trainArgs("--resume", dir.toString(), "--report", b.toString()));
        assertEquals(0, r[0], String.valueOf(r[2]));
        Object ja = Json.parse(Files.readString(a)), jb = Json.parse(Files.readString(b));
        assertEquals(List.of(), ReportDiff.diff(ja, jb));
        String text = Files.readString(a);
        assertFalse(text.contains("checkpoint") || text.contains("resume"), "checkpoint settings stay out of the report");
        // the comparison does catch a difference in the numbers
        Files.writeString(b, Files.readString(b).replaceFirst("\"loss\": [0-9.E-]+", "\"loss\": 0.5"));
        assertEquals(1, ReportDiff.diff(ja, Json.parse(Files.readString(b))).size());
    }

    @Test
    void cliRefusesCheckpointFlagsWhereTheyCannotWork() {
        Path dir = tmp.resolve("ck");
        Object[] r = cli(trainArgs("--checkpoint", dir.toString(), "--seeds", "2"));
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).startsWith("weft train: --checkpoint keeps one run's state; it cannot be combined with --seeds 2"), (String) r[2]);
        r = cli("compare", "--models", "lightgcn,bprmf", "--checkpoint", dir.toString());
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).startsWith("weft compare: --checkpoint applies to weft train only (one run); compare trains several"), (String) r[2]);
        r = cli("ablate", "--model", "freedom", "--resume", dir.toString());
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).startsWith("weft ablate: --resume applies to weft train only"), (String) r[2]);
        r = cli(trainArgs("--checkpoint-every", "2"));
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).startsWith("weft train: --checkpoint-every needs --checkpoint DIR"), (String) r[2]);
        r = cli(trainArgs("--checkpoint", dir.toString(), "--checkpoint-every", "0"));
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).startsWith("weft train: --checkpoint-every must be >= 1, got 0"), (String) r[2]);
        assertFalse(Files.exists(dir), "nothing written by refused commands");
    }

    @Test
    void cliNamesACorruptedOrMismatchedCheckpointInOneLine() throws IOException {
        Path dir = tmp.resolve("ck");
        assertEquals(0, cli(trainArgs("--checkpoint", dir.toString()))[0]);
        Object[] r = cli(trainArgs("--resume", dir.toString(), "--lr", "0.01"));
        assertEquals(1, r[0]);
        assertEquals("weft train: --resume " + dir + ": the checkpoint was made with lr = 0.001, this run has lr = 0.01 (resume with the same settings)",
                ((String) r[2]).strip());
        Path state = dir.resolve("state-000002.safetensors");
        byte[] bytes = Files.readAllBytes(state);
        bytes[bytes.length - 1] ^= 1;
        Files.write(state, bytes);
        r = cli(trainArgs("--resume", dir.toString()));
        assertEquals(1, r[0]);
        assertEquals("weft: " + state + ": checkpoint state is corrupted (SHA-256 mismatch)", ((String) r[2]).strip());
    }

    /** The folder's files, the lock file aside, sorted. */
    static List<String> files(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals(".lock")).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
