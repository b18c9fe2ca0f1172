package weft.models.train;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import weft.autograd.Var;
import weft.autograd.optim.Optimizer;
import weft.engine.Kernels;
import weft.engine.Tensor;
import weft.models.data.AtomicFiles;
import weft.models.data.DataFormatException;
import weft.models.eval.EvalResult;
import weft.models.eval.Metric;
import weft.models.io.SafeTensors;
import weft.models.util.Json;

/**
 * The latest full state of a training run, kept in a folder so that the run can be continued
 * ({@code weft train --checkpoint DIR --checkpoint-every N}, then {@code --resume DIR}) and end
 * with the same report, bit for bit, as a run never interrupted (wall-clock fields aside).
 *
 * <p>The folder holds two files:
 * <ul>
 *   <li>{@code state-EEEEEE.safetensors} (E the last epoch trained): every model parameter
 *       ({@code param.I}, I its index in {@code model.parameters()}), the best-valid epoch's
 *       parameters ({@code best.I}), and the optimiser's state ({@code opt.tensor.KEY} F32 and
 *       {@code opt.counter.KEY} I64, see {@link Optimizer#exportState}: Adam's m, v and
 *       per-parameter step counters, lazy tables included);</li>
 *   <li>{@code checkpoint.json}: format and version, the model's name, the run's full config map
 *       (as the report prints it), the dataset's name and {@code Fingerprint}, the epoch reached,
 *       the interval, the kernel provider, the early-stopping state (best score, best epoch, epochs since the best,
 *       the best epoch's valid metrics), the per-epoch history (loss, timings, valid metrics) and
 *       the state file's name, size and SHA-256.</li>
 * </ul>
 * Nothing else is needed: the training batches of epoch e are a pure function of (seed, e), and
 * the one model with randomness across epochs (FREEDOM's pruned graph) draws it from
 * (seed, epoch) in {@code startEpoch}; every other model's state is its parameters.
 *
 * <p>Writes go in this order: the new state file (to a temporary name, forced to disk, renamed,
 * folder forced), then {@code checkpoint.json} the same way, naming the new file and its
 * checksum, then the previous state file (and any leftover of an interrupted write) is deleted.
 * A {@code kill -9} at any moment therefore leaves {@code checkpoint.json} naming a complete state
 * file, the previous one or the new one. A run holds a lock on {@code DIR/.lock} while it
 * checkpoints, so two runs cannot write one folder.
 */
public final class Checkpoint {
    public static final String FORMAT = "weft-checkpoint";
    public static final int VERSION = 1;
    public static final String JSON_FILE = "checkpoint.json";

    private static final Pattern STATE_FILE = Pattern.compile("state-\\d{6,}\\.safetensors");
    private static final Pattern LEFTOVER = Pattern.compile("\\.(state-\\d{6,}\\.safetensors|checkpoint\\.json)\\..*\\.tmp");

    private Checkpoint() {}

    /** What a checkpoint must match to be resumed: the model, the run's config map and the data. */
    public record Identity(String model, String dataset, Map<String, Object> config, String fingerprint) {
        public Identity {
            config = normalised(config);
        }
    }

    /**
     * The training loop's position: the last epoch trained (-1 before the first), the early
     * stopping state, the best epoch's parameters and the per-epoch history.
     */
    static final class Run {
        int epoch = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        int bestEpoch = -1;
        int sinceBest;
        EvalResult bestValid;
        Tensor[] best;
        final List<TrainResult.Epoch> history = new ArrayList<>();
    }

    /** Whether {@code dir} holds a checkpoint (its {@code checkpoint.json}). */
    public static boolean exists(Path dir) {
        return Files.exists(dir.resolve(JSON_FILE));
    }

    /**
     * Makes {@code dir} (creating it) ready for checkpoints and locks it for this run; the lock is
     * released by closing the returned handle (or by the process ending, however it ends).
     */
    static AutoCloseable lock(Path dir, String flag) {
        String where = flag + " " + dir;
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(where + ": is a file, not a folder");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": cannot create the folder (" + e.getMessage() + ")");
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException(where + ": the folder is not writable");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": cannot create " + dir.resolve(".lock") + " (" + e.getMessage() + ")");
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            closeQuietly(ch);
            throw new IllegalArgumentException(where + ": another weft run is checkpointing into this folder");
        }
        FileLock held = lock;
        return () -> {
            try {
                held.release();
            } finally {
                ch.close();
            }
        };
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was written through it
        }
    }

    /**
     * Writes the state after epoch {@code run.epoch} into {@code dir} (see the class comment for
     * the order that makes it crash-safe) and returns the state file written.
     */
    static Path write(Path dir, Identity id, int every, Run run, List<Var> params, Optimizer opt) {
        String name = String.format(Locale.ROOT, "state-%06d.safetensors", run.epoch);
        Path file = dir.resolve(name);
        SafeTensors.Writer w = SafeTensors.writer().meta("format", FORMAT).meta("epoch", Integer.toString(run.epoch));
        for (int i = 0; i < params.size(); i++) {
            w.put("param." + i, params.get(i).value);
        }
        for (int i = 0; i < run.best.length; i++) {
            w.put("best." + i, run.best[i]);
        }
        Optimizer.State os = opt.exportState();
        for (Map.Entry<String, Tensor> e : os.tensors().entrySet()) {
            w.put("opt.tensor." + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, long[]> e : os.counters().entrySet()) {
            w.put("opt.counter." + e.getKey(), e.getValue());
        }
        MessageDigest md = sha256();
        long[] size = {0};
        AtomicFiles.write(file, out -> w.writeTo(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                md.update((byte) b);
                size[0]++;
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                md.update(b, off, len);
                size[0] += len;
                out.write(b, off, len);
            }
        }));

        Map<String, Object> j = new LinkedHashMap<>();
        j.put("format", FORMAT);
        j.put("version", VERSION);
        j.put("model", id.model());
        j.put("dataset", id.dataset());
        j.put("dataset_fingerprint", id.fingerprint());
        j.put("config", id.config());
        j.put("epoch", run.epoch);
        j.put("checkpoint_every", every);
        j.put("kernels", Kernels.get().name());
        Map<String, Object> es = new LinkedHashMap<>();
        es.put("best_score", run.bestScore);
        es.put("best_epoch", run.bestEpoch);
        es.put("since_best", run.sinceBest);
        es.put("best_valid", run.bestValid == null ? null : evalToJson(run.bestValid));
        j.put("early_stopping", es);
        List<Object> hist = new ArrayList<>();
        for (TrainResult.Epoch e : run.history) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("epoch", e.epoch());
            x.put("loss", e.loss());
            x.put("train_seconds", e.trainSeconds());
            x.put("eval_seconds", e.evalSeconds());
            x.put("valid", evalToJson(e.valid()));
            hist.add(x);
        }
        j.put("history", hist);
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("file", name);
        st.put("bytes", size[0]);
        st.put("sha256", HexFormat.of().formatHex(md.digest()));
        j.put("state", st);
        Json.writeFile(dir.resolve(JSON_FILE), j);

        // The new checkpoint is durable: what it does not name is garbage.
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if ((STATE_FILE.matcher(n).matches() && !n.equals(name)) || LEFTOVER.matcher(n).matches()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + dir + ": cannot remove the previous state file: " + e.getMessage(), e);
        }
        return file;
    }

    /** A checkpoint read back and verified against its checksum, ready to be matched and restored. */
    public static final class Loaded {
        final Path dir;
        final Path stateFile;
        final String model, dataset, fingerprint;
        final Map<String, Object> config;
        final int epoch, every;
        final String kernels;
        final double bestScore;
        final int bestEpoch, sinceBest;
        final EvalResult bestValid;
        final List<TrainResult.Epoch> history;
        final SafeTensors.Contents tensors;

        private Loaded(Path dir, Path stateFile, Map<String, Object> j, SafeTensors.Contents tensors, Path json) {
            this.dir = dir;
            this.stateFile = stateFile;
            this.tensors = tensors;
            Fields f = new Fields(json, j);
            model = f.string("model");
            dataset = f.string("dataset");
            fingerprint = f.string("dataset_fingerprint");
            config = f.map("config");
            epoch = f.integer("epoch", 0);
            every = f.integer("checkpoint_every", 1);
            kernels = f.string("kernels");
            Fields es = f.object("early_stopping");
            Object bs = es.raw("best_score");
            bestScore = bs == null ? Double.NEGATIVE_INFINITY : es.number("best_score");
            bestEpoch = es.integer("best_epoch", -1);
            sinceBest = es.integer("since_best", 0);
            bestValid = es.raw("best_valid") == null ? null : evalFromJson(es.object("best_valid"));
            List<TrainResult.Epoch> h = new ArrayList<>();
            for (Fields e : f.objects("history")) {
                h.add(new TrainResult.Epoch(e.integer("epoch", 0), e.number("loss"), e.number("train_seconds"),
                        e.number("eval_seconds"), evalFromJson(e.object("valid"))));
            }
            if (h.size() != epoch + 1 || bestEpoch > epoch) {
                throw DataFormatException.inFile(json, "inconsistent checkpoint: history has " + h.size() + " epochs for epoch " + epoch
                        + " (best epoch " + bestEpoch + ")");
            }
            history = h;
        }

        /** The last epoch trained. */
        public int epoch() {
            return epoch;
        }

        public int bestEpoch() {
            return bestEpoch;
        }

        public String model() {
            return model;
        }

        /**
         * Refuses a checkpoint of another model, other settings or other data, naming the first
         * difference; {@code flag} is how the command line named the folder ("--resume DIR").
         * Only {@code epochs} may differ, and only upwards from the epochs already trained: the
         * first epochs of a run do not depend on how many follow, so a run continued for more
         * epochs equals one started with that many.
         */
        public void requireMatches(Identity id, String flag) {
            if (!model.equals(id.model())) {
                throw new IllegalArgumentException(flag + ": the checkpoint is of model " + model + ", this run trains " + id.model());
            }
            LinkedHashSet<String> keys = new LinkedHashSet<>(id.config().keySet());
            keys.addAll(config.keySet());
            for (String k : keys) {
                Object mine = id.config().get(k), theirs = config.get(k);
                if (k.equals("epochs") && mine instanceof Long n && theirs instanceof Long) {
                    // a run may be continued for more epochs: its first ones are those of any longer run
                    if (n < epoch + 1) {
                        throw new IllegalArgumentException(flag + ": the checkpoint has trained " + (epoch + 1)
                                + " epochs, more than this run's epochs = " + n);
                    }
                    continue;
                }
                if (!Objects.equals(mine, theirs)) {
                    throw new IllegalArgumentException(flag + ": the checkpoint was made with " + k + " = " + show(config, k)
                            + ", this run has " + k + " = " + show(id.config(), k) + " (resume with the same settings)");
                }
            }
            if (!fingerprint.equals(id.fingerprint())) {
                throw new IllegalArgumentException(flag + ": the checkpoint was trained on other data (dataset " + dataset
                        + ", fingerprint " + fingerprint.substring(0, Math.min(12, fingerprint.length())) + "...; this run's data "
                        + id.dataset() + ", " + id.fingerprint().substring(0, 12) + "...)");
            }
        }

        private static String show(Map<String, Object> m, String k) {
            if (!m.containsKey(k)) {
                return "(not set)";
            }
            Object v = m.get(k);
            if (v instanceof Double d && (double) (float) (double) d == d) {
                return Float.toString((float) (double) d);   // a float setting as the flag gave it: 0.001, not 0.0010000000474974513
            }
            return Json.compact(v);
        }

        /** Puts the saved parameters, optimiser state and loop position into a fresh run's objects. */
        void restore(List<Var> params, Optimizer opt, Run run) {
            int n = 0;
            while (tensors.has("param." + n)) n++;
            if (n != params.size()) {
                throw DataFormatException.inFile(stateFile, "checkpoint state holds " + n + " parameters, the model has " + params.size());
            }
            Tensor[] values = new Tensor[n], best = new Tensor[n];
            for (int i = 0; i < n; i++) {
                values[i] = like(params.get(i), "param." + i);
                best[i] = like(params.get(i), "best." + i);
            }
            Map<String, Tensor> ot = new LinkedHashMap<>();
            Map<String, long[]> oc = new LinkedHashMap<>();
            for (String name : tensors.names()) {
                if (name.startsWith("opt.tensor.")) {
                    ot.put(name.substring("opt.tensor.".length()), tensors.floats(name));
                } else if (name.startsWith("opt.counter.")) {
                    oc.put(name.substring("opt.counter.".length()), tensors.longs(name));
                }
            }
            try {
                opt.importState(new Optimizer.State(ot, oc));
            } catch (IllegalArgumentException e) {
                throw DataFormatException.inFile(stateFile, e.getMessage());
            }
            for (int i = 0; i < n; i++) {
                params.get(i).value.copyFrom(values[i]);
            }
            run.best = best;
            run.epoch = epoch;
            run.bestScore = bestScore;
            run.bestEpoch = bestEpoch;
            run.sinceBest = sinceBest;
            run.bestValid = bestValid;
            run.history.clear();
            run.history.addAll(history);
        }

        private Tensor like(Var p, String name) {
            if (!tensors.has(name)) {
                throw DataFormatException.inFile(stateFile, "checkpoint state has no tensor '" + name + "'");
            }
            Tensor t = tensors.floats(name);
            if (t.rows != p.value.rows || t.cols != p.value.cols) {
                throw DataFormatException.inFile(stateFile, "tensor '" + name + "' has shape [" + t.rows + ", " + t.cols
                        + "], the model's parameter " + p.value.rows + " x " + p.value.cols);
            }
            return t;
        }
    }

    /** Reads the checkpoint in {@code dir}: its JSON, then the state file it names, verified by size and SHA-256. */
    public static Loaded read(Path dir) {
        Path json = dir.resolve(JSON_FILE);
        if (!Files.isDirectory(dir)) {
            throw DataFormatException.inFile(dir, "no such checkpoint folder");
        }
        String text;
        try {
            text = Files.readString(json, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw DataFormatException.inFile(dir, "not a checkpoint folder (it has no " + JSON_FILE + ")");
        } catch (IOException e) {
            throw DataFormatException.io(json, e);
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.ParseException e) {
            throw DataFormatException.at(json, e.line, e.column, e.getMessage().replaceFirst("^line \\d+, column \\d+: ", ""));
        }
        if (!(parsed instanceof Map<?, ?> m)) {
            throw DataFormatException.inFile(json, "not a checkpoint (not a JSON object)");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> j = (Map<String, Object>) m;
        Fields f = new Fields(json, j);
        if (!FORMAT.equals(j.get("format"))) {
            throw DataFormatException.inFile(json, "not a weft checkpoint (format should be \"" + FORMAT + "\")");
        }
        int version = f.integer("version", 1);
        if (version > VERSION) {
            throw DataFormatException.inFile(json, "checkpoint format version " + version + " is newer than this weft reads (" + VERSION
                    + "); resume it with the weft that wrote it");
        }
        Fields st = f.object("state");
        String name = st.string("file");
        if (!STATE_FILE.matcher(name).matches()) {
            throw DataFormatException.inFile(json, "state file '" + name + "' should be named state-NNNNNN.safetensors");
        }
        long bytes = st.longValue("bytes");
        String sha = st.string("sha256");
        Path file = dir.resolve(name);
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw DataFormatException.inFile(file, "no such file (the checkpoint's state, named by " + JSON_FILE + ")");
        } catch (IOException e) {
            throw DataFormatException.io(file, e);
        }
        if (content.length < bytes) {
            throw DataFormatException.inFile(file, "checkpoint state is truncated (" + content.length + " of " + bytes + " bytes)");
        }
        if (content.length != bytes) {
            throw DataFormatException.inFile(file, "checkpoint state has " + content.length + " bytes, " + JSON_FILE + " says " + bytes);
        }
        MessageDigest md = sha256();
        if (!HexFormat.of().formatHex(md.digest(content)).equalsIgnoreCase(sha)) {
            throw DataFormatException.inFile(file, "checkpoint state is corrupted (SHA-256 mismatch)");
        }
        content = null;
        SafeTensors.Contents tensors = SafeTensors.read(file);
        return new Loaded(dir, file, j, tensors, json);
    }

    private static final class Fields {
        final Path file;
        final Map<String, Object> m;
        final String path;

        Fields(Path file, Map<String, Object> m) {
            this(file, m, "");
        }

        Fields(Path file, Map<String, Object> m, String path) {
            this.file = file;
            this.m = m;
            this.path = path;
        }

        Object raw(String k) {
            return m.get(k);
        }

        DataFormatException bad(String k, String what) {
            return DataFormatException.inFile(file, "field '" + path + k + "' is " + (m.containsKey(k) ? "not " + what : "missing"));
        }

        String string(String k) {
            if (m.get(k) instanceof String s) return s;
            throw bad(k, "a string");
        }

        double number(String k) {
            Object v = m.get(k);
            if (v == null && m.containsKey(k)) return Double.NaN;   // non-finite numbers are written as null
            if (v instanceof Number x) return x.doubleValue();
            throw bad(k, "a number");
        }

        long longValue(String k) {
            if (m.get(k) instanceof Long x) return x;
            throw bad(k, "an integer");
        }

        int integer(String k, int min) {
            if (m.get(k) instanceof Long x && x >= min && x <= Integer.MAX_VALUE) return (int) (long) x;
            throw bad(k, "an integer >= " + min);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> map(String k) {
            if (m.get(k) instanceof Map<?, ?> x) return (Map<String, Object>) x;
            throw bad(k, "an object");
        }

        Fields object(String k) {
            return new Fields(file, map(k), path + k + ".");
        }

        @SuppressWarnings("unchecked")
        List<Fields> objects(String k) {
            if (!(m.get(k) instanceof List<?> l)) throw bad(k, "a list");
            List<Fields> out = new ArrayList<>();
            for (int i = 0; i < l.size(); i++) {
                if (!(l.get(i) instanceof Map<?, ?> x)) throw bad(k, "a list of objects");
                out.add(new Fields(file, (Map<String, Object>) x, path + k + "[" + i + "]."));
            }
            return out;
        }

        int[] ints(String k) {
            if (!(m.get(k) instanceof List<?> l)) throw bad(k, "a list");
            int[] out = new int[l.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(l.get(i) instanceof Long x) || x < 1 || x > Integer.MAX_VALUE) throw bad(k, "a list of positive integers");
                out[i] = (int) (long) x;
            }
            return out;
        }
    }

    /** {"users": N, "ks": [5, 10, ...], "Recall@5": ..., ...}: every value of an EvalResult. */
    static Map<String, Object> evalToJson(EvalResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("users", r.users());
        List<Object> ks = new ArrayList<>();
        for (int k : r.ks()) ks.add(k);
        m.put("ks", ks);
        m.putAll(r.asMap());
        return m;
    }

    private static EvalResult evalFromJson(Fields f) {
        int[] ks = f.ints("ks");
        double[][] values = new double[Metric.values().length][ks.length];
        for (Metric metric : Metric.values()) {
            for (int j = 0; j < ks.length; j++) {
                values[metric.ordinal()][j] = f.number(metric.key(ks[j]));
            }
        }
        try {
            return EvalResult.of(ks, values, f.integer("users", 0));
        } catch (IllegalArgumentException e) {
            throw DataFormatException.inFile(f.file, "field '" + f.path + "ks': " + e.getMessage());
        }
    }

    /** The config map as its JSON reads back, so that a written and a live map compare equal. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> normalised(Map<String, Object> config) {
        return (Map<String, Object>) Json.parse(Json.write(config));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
