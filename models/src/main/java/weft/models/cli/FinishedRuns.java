package weft.models.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import weft.engine.Kernels;
import weft.models.ModelConfig;
import weft.models.ModelSpec;
import weft.models.data.DataFormatException;
import weft.models.data.Dataset;
import weft.models.io.Fingerprint;
import weft.models.options.Options;
import weft.models.train.TrainResult;
import weft.models.util.Json;

/**
 * The finished runs of a {@code compare}, kept in its report so that a rerun with the same
 * {@code --report} takes them from there instead of training them again: an interrupted
 * multi-seed comparison resumes at the run it lost, and a rerun with one more model trains only
 * that model. The report is rewritten (atomically) after every finished run, under
 * {@code "finished_runs"}: each item is the run's own report plus a {@code "resume_key"}, what
 * must be equal for a run to be taken: model, its configuration, the training settings with the
 * seed, the data's fingerprint (so a dropped-interactions regime or other features never match),
 * weft's version and the kernel provider.
 *
 * <p>The key does not see the code: after a change that moves a model's bits, give another
 * {@code --report} (or remove the file) to train again.
 */
final class FinishedRuns {
    static final String KEY = "resume_key", LIST = "finished_runs";

    private final Path file;
    private final List<Map<String, Object>> runs = new ArrayList<>();
    private final Map<Dataset, String> fingerprints = new IdentityHashMap<>();

    private FinishedRuns(Path file) {
        this.file = file;
    }

    /** Finished runs of the compare report at {@code file}; none when it is null or does not exist yet. */
    @SuppressWarnings("unchecked")
    static FinishedRuns open(Path file) {
        FinishedRuns f = new FinishedRuns(file);
        if (file == null || !Files.exists(file)) {
            return f;
        }
        Object parsed = Json.readFile(file, "not a compare report (give another --report or remove the file)");
        if (!(parsed instanceof Map<?, ?> m) || !"compare".equals(m.get("command"))) {
            throw DataFormatException.inFile(file, "not a report of weft compare (a rerun resumes from its own report only);"
                    + " give another --report or remove the file");
        }
        if (m.get(LIST) instanceof List<?> l) {
            for (Object o : l) {
                if (!(o instanceof Map<?, ?> r) || !(r.get(KEY) instanceof Map<?, ?>)) {
                    throw DataFormatException.inFile(file, "an item of \"" + LIST + "\" without its \"" + KEY + "\"");
                }
                f.runs.add((Map<String, Object>) r);
            }
        }
        return f;
    }

    /** How many finished runs the report held when opened, plus those added since. */
    int size() {
        return runs.size();
    }

    /** What identifies a run of {@code spec} with the setup {@code one} (its seed and data) and model flags {@code a}. */
    Map<String, Object> key(ModelSpec spec, Main.Setup one, Args a, Options opts) {
        ModelConfig mc = spec.withDefaults(one.model(), a.has("reg"), a.has("layers"));
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("model", spec.name());
        k.put("config", spec.config(mc, opts));
        k.put("train", one.train().asMap());
        k.put("data", fingerprints.computeIfAbsent(one.data(), Fingerprint::of));
        k.put("weft", Main.VERSION);
        k.put("kernels", Kernels.get().name());
        return normalised(k);
    }

    /** The finished run with this key, or null. */
    TrainResult get(Map<String, Object> key) {
        for (Map<String, Object> r : runs) {
            if (key.equals(r.get(KEY))) {
                try {
                    return TrainResult.fromJsonObject(r);
                } catch (IllegalArgumentException e) {
                    throw DataFormatException.inFile(file, e.getMessage());
                }
            }
        }
        return null;
    }

    /** Records a finished run and rewrites the report with {@code partial} (the compare's report so far) and every finished run. */
    void add(Map<String, Object> key, Map<String, Object> runReport, Map<String, Object> partial) {
        Map<String, Object> r = new LinkedHashMap<>(runReport);
        r.put(KEY, key);
        runs.add(r);
        if (file != null) {
            Json.writeFile(file, into(partial));
        }
    }

    /** {@code rep} with the command's name first and the finished runs last: what the report file holds. */
    Map<String, Object> into(Map<String, Object> rep) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("command", "compare");
        out.putAll(rep);
        out.put(LIST, runs);
        return out;
    }

    /** The key as it reads back from JSON (numbers as Long or Double, maps as maps), so that equality holds after a round trip. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> normalised(Map<String, Object> m) {
        return (Map<String, Object>) Json.parse(Json.write(m));
    }
}
