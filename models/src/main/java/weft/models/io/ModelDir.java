package weft.models.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import weft.autograd.Var;
import weft.engine.Tensor;
import weft.graph.CsrMatrix;
import weft.models.ModelConfig;
import weft.models.ModelSpec;
import weft.models.Models;
import weft.models.Recommender;
import weft.models.blocks.DotScorer;
import weft.models.data.AtomicFiles;
import weft.models.data.DataFormatException;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.IdMap;
import weft.models.data.Split;
import weft.models.data.UserItems;
import weft.models.options.Option;
import weft.models.options.Options;
import weft.models.train.TrainConfig;
import weft.models.train.TrainResult;
import weft.models.util.Json;

/**
 * A trained model on disk ({@code weft train --save DIR}), format {@value #FORMAT} version
 * {@value #FORMAT_VERSION}:
 *
 * <pre>
 *   manifest.json            written last: a folder without it is incomplete (see below)
 *   parameters.safetensors   every model.parameters() Var, F32, named "NN.name" (index, then the Var's name or "param")
 *   embeddings.safetensors   "users" [U, d] and "items" [I, d]: the final tables of model.scorer(), what serving reads
 *   data.safetensors         what rebuilding the model needs:
 *                              train.users, train.items, valid.users, valid.items, test.users, test.items   I32 pair columns
 *                              modality.NAME                     F32 [I, dim], the features as the dataset holds them (normalised)
 *                              norm.NAME.mean, norm.NAME.inv_std F64 [dim], the fitted statistics (standardize only)
 *                              graph.NAME.row_ptr, graph.NAME.col_idx  I32, graph.NAME.values  F32 [nnz]: each item graph in CSR
 *   ids/users.tsv, ids/items.tsv   one raw id per line, line i = index i; only for string ids
 * </pre>
 *
 * The manifest holds {@code format}, {@code format_version}, {@code weft_version}, {@code model},
 * {@code options} (the model's own options, typed, keyed as in reports), {@code model_config} and
 * {@code train_config}, {@code dataset} (name, fingerprint ({@link Fingerprint#of}), sizes, modalities
 * in order with their normalisation, item graph names), {@code ids} ({@code "integer"} for integer ids,
 * else the id file), {@code result} (best epoch, its valid and test metrics) and {@code files}: name to
 * {@code {bytes, sha256}} for every other file.
 *
 * <p>Every file is written atomically. Saving over an existing model folder first removes its
 * manifest, then writes the files, then the new manifest, so an interrupted save leaves a folder
 * that {@link #open} refuses as incomplete rather than a mix of two models. {@link #open} checks the
 * manifest, the format version, each file's size and SHA-256, and the tables' shapes.
 */
public final class ModelDir {
    public static final String FORMAT = "weft-model";
    public static final int FORMAT_VERSION = 1;
    public static final String MANIFEST = "manifest.json";
    public static final String PARAMETERS = "parameters.safetensors";
    public static final String EMBEDDINGS = "embeddings.safetensors";
    public static final String DATA = "data.safetensors";
    public static final String USER_IDS = "ids/users.tsv";
    public static final String ITEM_IDS = "ids/items.tsv";

    private final Path dir;
    private final Map<String, Object> manifest;
    private final int numUsers, numItems, dim;

    private ModelDir(Path dir, Map<String, Object> manifest, int numUsers, int numItems, int dim) {
        this.dir = dir;
        this.manifest = manifest;
        this.numUsers = numUsers;
        this.numItems = numItems;
        this.dim = dim;
    }

    // ---------------------------------------------------------------- writing

    /**
     * Checks, before any training, that {@code dir} can become a model folder: it is a folder
     * (or can be created), it is empty or already a model folder, and a file can be created in it.
     *
     * @throws IllegalArgumentException saying what is wrong with the path
     */
    public static void checkWritable(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("'" + dir + "' is a file; a model is saved as a folder");
        }
        try {
            if (Files.isDirectory(dir) && !Files.exists(dir.resolve(MANIFEST))) {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                    if (s.iterator().hasNext()) {
                        throw new IllegalArgumentException("'" + dir + "' is a folder that holds other files and no " + MANIFEST
                                + "; give an empty or new folder, or an earlier model folder to replace");
                    }
                }
            }
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".weft-write-check.", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write into '" + dir + "': " + e.getMessage(), e);
        }
    }

    /**
     * Saves {@code model} (holding the parameters to keep: the trainer's best epoch) with what it was
     * trained on and how.
     */
    public static void save(Path dir, ModelSpec spec, ModelConfig mc, Options opts, TrainConfig tc, Recommender model,
                            Dataset data, TrainResult result) {
        checkWritable(dir);
        try {
            Files.deleteIfExists(dir.resolve(MANIFEST));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot replace " + dir.resolve(MANIFEST) + ": " + e.getMessage(), e);
        }
        SafeTensors.Writer params = SafeTensors.writer().meta("format", FORMAT).meta("model", spec.name());
        List<Var> vars = model.parameters();
        int width = Math.max(2, Integer.toString(Math.max(0, vars.size() - 1)).length());
        for (int i = 0; i < vars.size(); i++) {
            params.put(paramName(i, width, vars.get(i)), vars.get(i).value);
        }
        params.write(dir.resolve(PARAMETERS));

        DotScorer scorer = model.scorer();
        SafeTensors.writer().meta("format", FORMAT).meta("model", spec.name())
                .put("users", scorer.users()).put("items", scorer.items()).write(dir.resolve(EMBEDDINGS));

        SafeTensors.Writer dw = SafeTensors.writer().meta("format", FORMAT);
        putPairs(dw, "train", data.train());
        putPairs(dw, "valid", data.valid());
        putPairs(dw, "test", data.test());
        List<Object> mods = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            String name = e.getKey();
            dw.put("modality." + name, e.getValue());
            FeatureNorm.Fitted f = data.featureNorms().get(name);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("rows", e.getValue().rows);
            m.put("cols", e.getValue().cols);
            m.put("norm", f == null ? "none" : f.norm().name().toLowerCase(java.util.Locale.ROOT));
            if (f != null && f.norm() == FeatureNorm.STANDARDIZE) {
                dw.put("norm." + name + ".mean", f.mean());
                dw.put("norm." + name + ".inv_std", f.inverseStd());
            }
            mods.add(m);
        }
        for (Map.Entry<String, CsrMatrix> e : data.itemGraphs().entrySet()) {
            CsrMatrix g = e.getValue();
            dw.put("graph." + e.getKey() + ".row_ptr", g.rowPtrCopy());
            dw.put("graph." + e.getKey() + ".col_idx", g.colIdxCopy());
            float[] v = g.valuesCopy();
            dw.putVector("graph." + e.getKey() + ".values", new Tensor(v, 0, 1, v.length));
        }
        dw.write(dir.resolve(DATA));

        List<String> files = new ArrayList<>(List.of(PARAMETERS, EMBEDDINGS, DATA));
        Map<String, Object> ids = new LinkedHashMap<>();
        ids.put("users", writeIds(dir, USER_IDS, data.userIds(), files));
        ids.put("items", writeIds(dir, ITEM_IDS, data.itemIds(), files));

        Map<String, Object> man = new LinkedHashMap<>();
        man.put("format", FORMAT);
        man.put("format_version", FORMAT_VERSION);
        man.put("weft_version", weft.models.cli.Main.VERSION);
        man.put("model", spec.name());
        man.put("options", opts.asMap(spec.options()));
        man.put("model_config", mc.asMap());
        man.put("train_config", tc.asMap());
        Map<String, Object> ds = new LinkedHashMap<>();
        ds.put("name", data.name());
        ds.put("fingerprint", Fingerprint.of(data));
        ds.put("users", data.numUsers());
        ds.put("items", data.numItems());
        ds.put("train", data.train().size());
        ds.put("valid", data.valid().size());
        ds.put("test", data.test().size());
        ds.put("modalities", mods);
        ds.put("item_graphs", new ArrayList<>(data.itemGraphs().keySet()));
        man.put("dataset", ds);
        man.put("ids", ids);
        man.put("embedding_dim", scorer.users().cols);
        if (result != null) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("best_epoch", result.bestEpoch);
            r.put("valid", result.valid.asMap());
            r.put("test", result.test.asMap());
            man.put("result", r);
        }
        Map<String, Object> fm = new LinkedHashMap<>();
        for (String f : files) {
            Path p = dir.resolve(f);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("bytes", size(p));
            e.put("sha256", sha256(p));
            fm.put(f, e);
        }
        man.put("files", fm);
        Json.writeFile(dir.resolve(MANIFEST), man);
    }

    static String paramName(int index, int width, Var v) {
        String n = v.name() == null || v.name().isBlank() ? "param" : v.name();
        return String.format(java.util.Locale.ROOT, "%0" + width + "d.%s", index, n);
    }

    private static void putPairs(SafeTensors.Writer w, String part, UserItems ui) {
        w.put(part + ".users", ui.userColumn());
        w.put(part + ".items", ui.itemColumn());
    }

    private static String writeIds(Path dir, String file, IdMap ids, List<String> files) {
        if (ids.isIdentity()) {
            return "integer";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.size(); i++) {
            sb.append(ids.raw(i)).append('\n');
        }
        byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve(file), out -> out.write(b));
        files.add(file);
        return file;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Opens and verifies a model folder: the manifest, its format version, each listed file's
     * size and SHA-256, and the embedding tables' shapes against the recorded sizes.
     *
     * @throws DataFormatException naming the folder or file and what is wrong with it
     */
    public static ModelDir open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw DataFormatException.inFile(dir, Files.exists(dir) ? "is not a folder; a saved model is a folder (weft train --save DIR)"
                    : "no such folder");
        }
        Path mf = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(mf)) {
            throw DataFormatException.inFile(dir, "has no " + MANIFEST + ": not a weft model folder, or its saving did not finish");
        }
        Object parsed;
        try {
            parsed = Json.parse(Files.readString(mf, StandardCharsets.UTF_8));
        } catch (Json.ParseException e) {
            throw DataFormatException.inFile(mf, "is not valid JSON (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw DataFormatException.inFile(mf, "cannot be read: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> pm)) {
            throw DataFormatException.inFile(mf, "is not a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> man = (Map<String, Object>) pm;
        if (!FORMAT.equals(man.get("format"))) {
            throw DataFormatException.inFile(mf, "format is " + man.get("format") + ", expected \"" + FORMAT + "\"");
        }
        long version = number(mf, man, "format_version");
        if (version > FORMAT_VERSION) {
            throw DataFormatException.inFile(mf, "written by a newer weft: format_version " + version + ", this weft reads up to "
                    + FORMAT_VERSION);
        }
        if (version < 1) {
            throw DataFormatException.inFile(mf, "format_version " + version + " is not valid");
        }
        Map<String, Object> files = map(mf, man, "files");
        for (String f : List.of(PARAMETERS, EMBEDDINGS, DATA)) {
            if (!files.containsKey(f)) {
                throw DataFormatException.inFile(mf, "does not list " + f);
            }
        }
        for (Map.Entry<String, Object> e : files.entrySet()) {
            Path p = dir.resolve(e.getKey());
            if (!(e.getValue() instanceof Map<?, ?> fe) || !(fe.get("bytes") instanceof Number n) || !(fe.get("sha256") instanceof String sha)) {
                throw DataFormatException.inFile(mf, "files entry '" + e.getKey() + "' needs bytes and sha256");
            }
            if (!Files.isRegularFile(p)) {
                throw DataFormatException.inFile(p, "is missing (listed in " + MANIFEST + ")");
            }
            long have = size(p);
            if (have < n.longValue()) {
                throw DataFormatException.inFile(p, "truncated: " + have + " bytes, " + MANIFEST + " records " + n.longValue());
            }
            if (have != n.longValue()) {
                throw DataFormatException.inFile(p, "has " + have + " bytes, " + MANIFEST + " records " + n.longValue()
                        + " (changed since it was saved)");
            }
            String actual = sha256(p);
            if (!actual.equals(sha)) {
                throw DataFormatException.inFile(p, "corrupted: checksum mismatch (SHA-256 " + actual + ", " + MANIFEST + " records " + sha + ")");
            }
        }
        Map<String, Object> ds = map(mf, man, "dataset");
        int users = (int) number(mf, ds, "users");
        int items = (int) number(mf, ds, "items");
        int dim = (int) number(mf, man, "embedding_dim");
        Path emb = dir.resolve(EMBEDDINGS);
        SafeTensors.Contents header = SafeTensors.read(emb, List.of());
        ModelDir md = new ModelDir(dir, man, users, items, dim);
        md.checkShape(emb, header, "users", users, "users");
        md.checkShape(emb, header, "items", items, "items");
        return md;
    }

    private void checkShape(Path file, SafeTensors.Contents c, String name, int rows, String what) {
        long[] shape = c.shapeOf(name);
        if (shape.length != 2 || shape[0] != rows || shape[1] != dim) {
            throw DataFormatException.inFile(file, "tensor '" + name + "' has shape " + java.util.Arrays.toString(shape) + ", but "
                    + MANIFEST + " records " + rows + " " + what + " of dimension " + dim);
        }
    }

    public Path dir() {
        return dir;
    }

    /** The manifest as parsed (unmodified). */
    public Map<String, Object> manifest() {
        return manifest;
    }

    /** The model's name, e.g. "lightgcn". */
    public String model() {
        return String.valueOf(manifest.get("model"));
    }

    public int numUsers() {
        return numUsers;
    }

    public int numItems() {
        return numItems;
    }

    public int dim() {
        return dim;
    }

    /** The final user and item tables. */
    public record Embeddings(Tensor users, Tensor items) {}

    public Embeddings embeddings() {
        SafeTensors.Contents c = SafeTensors.read(dir.resolve(EMBEDDINGS), List.of("users", "items"));
        return new Embeddings(c.floats("users"), c.floats("items"));
    }

    /** The training interactions (what serving excludes from a user's recommendations). */
    public UserItems train() {
        SafeTensors.Contents c = SafeTensors.read(dir.resolve(DATA), List.of("train.users", "train.items"));
        return pairs(c, "train");
    }

    private UserItems pairs(SafeTensors.Contents c, String part) {
        int[] u = c.ints(part + ".users"), i = c.ints(part + ".items");
        try {
            return UserItems.fromPairs(numUsers, numItems, u, i);
        } catch (IllegalArgumentException e) {
            throw DataFormatException.inFile(dir.resolve(DATA), part + " pairs: " + e.getMessage());
        }
    }

    public IdMap userIds() {
        return ids("users", numUsers);
    }

    public IdMap itemIds() {
        return ids("items", numItems);
    }

    private IdMap ids(String key, int count) {
        Object v = map(dir.resolve(MANIFEST), manifest, "ids").get(key);
        if ("integer".equals(v)) {
            return IdMap.identity(count);
        }
        if (!(v instanceof String file) || !files().containsKey(file)) {
            throw DataFormatException.inFile(dir.resolve(MANIFEST), "ids." + key + " is neither \"integer\" nor a listed id file");
        }
        Path p = dir.resolve(file);
        List<String> lines;
        try {
            lines = Files.readAllLines(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw DataFormatException.inFile(p, "cannot be read: " + e.getMessage());
        }
        if (lines.size() != count) {
            throw DataFormatException.inFile(p, "holds " + lines.size() + " ids, " + MANIFEST + " records " + count + " " + key);
        }
        try {
            return IdMap.of(lines);
        } catch (IllegalArgumentException e) {
            throw DataFormatException.inFile(p, e.getMessage());
        }
    }

    private Map<String, Object> files() {
        return map(dir.resolve(MANIFEST), manifest, "files");
    }

    // ---------------------------------------------------------------- rebuilding

    /** A saved model rebuilt: the dataset it trained on, the model with its parameters loaded, and how it was built. */
    public record Rebuilt(Dataset data, Recommender model, ModelSpec spec, ModelConfig config, Options options) {}

    /**
     * Reconstructs the training dataset (train / valid / test, modalities, item graphs, id maps,
     * feature normalisation) and the model, built by its spec with the recorded options and
     * configuration, with the saved parameters loaded (names and shapes checked).
     */
    public Rebuilt rebuild() {
        Path mf = dir.resolve(MANIFEST);
        ModelSpec spec = Models.find(model());
        if (spec == null) {
            throw DataFormatException.inFile(mf, "model '" + model() + "' is not one this weft knows (" + String.join(", ", Models.names()) + ")");
        }
        Map<String, Object> mcm = map(mf, manifest, "model_config");
        ModelConfig mc = new ModelConfig();
        mc.dim = (int) number(mf, mcm, "dim");
        mc.layers = (int) number(mf, mcm, "layers");
        mc.seed = number(mf, mcm, "seed");
        if (!(mcm.get("reg") instanceof Number reg)) {
            throw DataFormatException.inFile(mf, "model_config.reg is missing");
        }
        mc.reg = reg.floatValue();
        Options opts = options(spec, map(mf, manifest, "options"), mf);
        Dataset data = dataset();
        Recommender model = spec.create(data, mc, opts);
        Path pf = dir.resolve(PARAMETERS);
        SafeTensors.Contents pc = SafeTensors.read(pf);
        List<Var> vars = model.parameters();
        List<String> names = pc.names();
        if (names.size() != vars.size()) {
            throw DataFormatException.inFile(pf, "holds " + names.size() + " tensors, the rebuilt " + spec.name() + " has " + vars.size()
                    + " parameters");
        }
        int width = Math.max(2, Integer.toString(Math.max(0, vars.size() - 1)).length());
        for (int i = 0; i < vars.size(); i++) {
            Var v = vars.get(i);
            String name = paramName(i, width, v);
            if (!pc.has(name)) {
                throw DataFormatException.inFile(pf, "has no tensor '" + name + "' for parameter " + i + " of the rebuilt " + spec.name());
            }
            Tensor t = pc.floats(name);
            if (t.rows != v.value.rows || t.cols != v.value.cols) {
                throw DataFormatException.inFile(pf, "tensor '" + name + "' is [" + t.rows + ", " + t.cols + "], the rebuilt parameter is "
                        + v.value.shape());
            }
            System.arraycopy(t.data, t.offset, v.value.data, v.value.offset, t.size());
        }
        return new Rebuilt(data, model, spec, mc, opts);
    }

    /** The training dataset as saved. */
    public Dataset dataset() {
        Path mf = dir.resolve(MANIFEST);
        Path df = dir.resolve(DATA);
        SafeTensors.Contents c = SafeTensors.read(df);
        Map<String, Object> ds = map(mf, manifest, "dataset");
        Split split = new Split(pairs(c, "train"), pairs(c, "valid"), pairs(c, "test"));
        LinkedHashMap<String, Tensor> mods = new LinkedHashMap<>();
        LinkedHashMap<String, FeatureNorm.Fitted> norms = new LinkedHashMap<>();
        if (!(ds.get("modalities") instanceof List<?> ml)) {
            throw DataFormatException.inFile(mf, "dataset.modalities is missing");
        }
        for (Object o : ml) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("name") instanceof String name)) {
                throw DataFormatException.inFile(mf, "dataset.modalities holds an entry without a name");
            }
            Tensor t = c.floats("modality." + name);
            mods.put(name, t);
            FeatureNorm norm;
            try {
                norm = FeatureNorm.parse(String.valueOf(m.get("norm")));
            } catch (IllegalArgumentException e) {
                throw DataFormatException.inFile(mf, "modality '" + name + "': " + e.getMessage());
            }
            norms.put(name, norm == FeatureNorm.STANDARDIZE
                    ? new FeatureNorm.Fitted(norm, c.doubles("norm." + name + ".mean"), c.doubles("norm." + name + ".inv_std"))
                    : new FeatureNorm.Fitted(norm, null, null));
        }
        LinkedHashMap<String, CsrMatrix> graphs = new LinkedHashMap<>();
        if (ds.get("item_graphs") instanceof List<?> gl) {
            for (Object o : gl) {
                String g = String.valueOf(o);
                float[] values = c.floats("graph." + g + ".values").data;
                try {
                    graphs.put(g, CsrMatrix.of(numItems, numItems, c.ints("graph." + g + ".row_ptr"), c.ints("graph." + g + ".col_idx"),
                            values));
                } catch (IllegalArgumentException e) {
                    throw DataFormatException.inFile(df, "item graph '" + g + "': " + e.getMessage());
                }
            }
        }
        Dataset d;
        try {
            d = new Dataset(String.valueOf(ds.get("name")), split, mods, graphs);
        } catch (IllegalArgumentException e) {
            throw DataFormatException.inFile(df, e.getMessage());
        }
        IdMap u = userIds(), i = itemIds();
        if (!u.isIdentity() || !i.isIdentity()) {
            d = d.withIds(u, i);
        }
        return d.withFeatureNorms(norms);
    }

    /** The model's options from the manifest's typed values (keyed by {@link Option#reportKey()}). */
    static Options options(ModelSpec spec, Map<String, Object> values, Path mf) {
        Options o = Options.defaults();
        // An option the manifest lacks was added after the model was saved: the value the model computed with then.
        for (Option<?> opt : spec.options()) {
            if (!values.containsKey(opt.reportKey())) {
                o = unsaved(o, opt);
            }
        }
        for (Map.Entry<String, Object> e : values.entrySet()) {
            Option<?> opt = spec.options().stream().filter(x -> x.reportKey().equals(e.getKey())).findFirst().orElse(null);
            if (opt == null) {
                throw DataFormatException.inFile(mf, "option '" + e.getKey() + "' is not an option of " + spec.name());
            }
            try {
                o = withValue(o, opt, e.getValue());
            } catch (IllegalArgumentException ex) {
                throw DataFormatException.inFile(mf, "option '" + e.getKey() + "': " + ex.getMessage());
            }
        }
        return o;
    }

    private static <T> Options unsaved(Options o, Option<T> opt) {
        return Objects.equals(opt.unsavedValue(), opt.defaultValue()) ? o : o.with(opt, opt.unsavedValue());
    }

    @SuppressWarnings("unchecked")
    private static <T> Options withValue(Options o, Option<T> opt, Object v) {
        if (v == null) {
            throw new IllegalArgumentException("no value");
        }
        switch (opt.kind()) {
            case TOGGLE:
            case BOOL:
                if (!(v instanceof Boolean)) throw new IllegalArgumentException("expected true or false, got " + v);
                return o.with(opt, (T) v);
            case INT:
                if (!(v instanceof Number n)) throw new IllegalArgumentException("expected an integer, got " + v);
                return o.with(opt, opt.parse(Long.toString(n.longValue())));
            case REAL:
                if (!(v instanceof Number n)) throw new IllegalArgumentException("expected a number, got " + v);
                return o.with(opt, opt.parse(Double.toString(n.doubleValue())));
            case WEIGHTS: {
                if (!(v instanceof Map<?, ?> m)) throw new IllegalArgumentException("expected NAME: weight pairs, got " + v);
                List<String> parts = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getValue() instanceof Number n)) throw new IllegalArgumentException("weight of " + e.getKey() + " is not a number");
                    parts.add(e.getKey() + "=" + Double.toString(n.doubleValue()));
                }
                return o.with(opt, opt.parse(String.join(",", parts)));
            }
            default:
                return o.with(opt, opt.parse(String.valueOf(v)));
        }
    }

    // ---------------------------------------------------------------- helpers

    private static long number(Path file, Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw DataFormatException.inFile(file, "'" + key + "' is missing or not an integer");
        }
        return n.longValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Path file, Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Map<?, ?> v)) {
            throw DataFormatException.inFile(file, "'" + key + "' is missing or not an object");
        }
        return (Map<String, Object>) v;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw DataFormatException.inFile(p, "cannot be read: " + e.getMessage());
        }
    }

    /** Lower-case hex SHA-256 of a file's bytes, read in chunks. */
    static String sha256(Path p) {
        MessageDigest md = Fingerprint.digest();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(p)) {
            for (int r; (r = in.read(buf)) > 0; ) {
                md.update(buf, 0, r);
            }
        } catch (IOException e) {
            throw DataFormatException.inFile(p, "cannot be read: " + e.getMessage());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
