package weft.models.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import weft.models.data.DataFormatException;
import weft.models.util.Json;

/**
 * Reads the JSON reports weft writes into runs to draw. Understood shapes (unknown keys are
 * ignored everywhere, missing numbers read as NaN):
 * <ul>
 * <li><b>train</b> ({@code weft train --report}): one run,
 * {@code {"model", "dataset", "best_epoch", "valid": {"Recall@20": ...}, "test": {...},
 * "epochs": [{"epoch", "loss", "train_seconds", "eval_seconds", "valid": {...}}], "config": {...},
 * "heap": {"peak_live_mib", ...}}}, optionally {@code "env": {"weft", "java", "kernels",
 * "threads", "date"}}, {@code "dataset_sizes": {"users", "items", "train", "valid", "test"}} and
 * {@code "seed"} (else {@code config.seed} is the seed).
 * <li><b>compare</b>: {@code {"dataset", "runs": [train report, ...]}}; a bare JSON array of
 * train reports reads the same.
 * <li><b>ablate</b>: runs that carry {@code "variant"} (the first, "full", is the reference).
 * <li><b>robustness</b>: runs that carry {@code "condition": "MODEL: clean"}, {@code "MODEL:
 * feature noise 0.5"}, ... (each model's "clean" run is its reference).
 * <li>where {@code "runs"} is absent, the first array-valued key whose items are objects with a
 * {@code "model"} is read as the runs (e.g. {@code "seeds"} or {@code "trials"}).
 * <li>multi-seed: an item of {@code "runs"} without {@code "epochs"} that has its own
 * {@code "runs"} (e.g. {@code {"model", "seeds", "test_mean", "test_std", "runs": [per-seed train
 * reports]}}, also as a whole file) stands for those runs, with its variant or condition; its
 * summary keys are not read, the page computes mean and std from the runs.
 * </ul>
 * Several runs of the same model, label and configuration that differ only in their seed are one
 * {@link Group}, drawn as a mean with a spread band (curves) or error bars (bars).
 */
public final class Reports {
    private Reports() {}

    /** What a report file holds. */
    public enum Kind { TRAIN, COMPARE, ABLATION, ROBUSTNESS }

    /** One epoch's line of a run's log. */
    public record Epoch(int epoch, double loss, double trainSeconds, double evalSeconds, Map<String, Double> valid) {}

    /**
     * One training run. {@code label} is the variant or condition (null for plain runs),
     * {@code seed} null where the report does not say.
     */
    public record Run(String model, String label, Long seed, String dataset, int bestEpoch, Map<String, Double> valid,
                      Map<String, Double> test, List<Epoch> epochs, Map<String, Object> config, Map<String, Object> heap,
                      Map<String, Object> env, Map<String, Object> sizes) {
        public double test(String metric) {
            return test.getOrDefault(metric, Double.NaN);
        }

        /** Mean seconds of training per epoch, NaN without epochs. */
        public double trainSecondsPerEpoch() {
            return epochs.stream().mapToDouble(Epoch::trainSeconds).filter(Double::isFinite).average().orElse(Double.NaN);
        }

        public double evalSecondsPerEpoch() {
            return epochs.stream().mapToDouble(Epoch::evalSeconds).filter(Double::isFinite).average().orElse(Double.NaN);
        }

        /** The last epoch in the log, or -1. */
        public int lastEpoch() {
            return epochs.isEmpty() ? -1 : epochs.get(epochs.size() - 1).epoch();
        }

        public double heap(String key) {
            return heap.get(key) instanceof Number x && x.doubleValue() >= 0 ? x.doubleValue() : Double.NaN;
        }

        /** {@code config} without the keys that only differ between seeds of one setting. */
        Map<String, Object> configWithoutSeed() {
            Map<String, Object> c = new LinkedHashMap<>(config);
            c.remove("seed");
            return c;
        }
    }

    /** One report file read: its kind, dataset and runs in file order. */
    public record Report(String source, Kind kind, String dataset, List<Run> runs) {}

    /**
     * Runs that are one setting: the same model, label and configuration (seed aside). {@code name}
     * is what the page calls it: the label, else the model, with the settings that tell it apart
     * from other runs of the same model where there are such.
     */
    public record Group(String name, String model, String label, List<Run> runs) {
        public Run first() {
            return runs.get(0);
        }

        /** Mean of a test metric over the runs (NaN values skipped). */
        public double mean(String metric) {
            return Reports.mean(runs.stream().mapToDouble(r -> r.test(metric)).toArray());
        }

        /** Sample standard deviation of a test metric over the runs; NaN for fewer than two. */
        public double std(String metric) {
            return Reports.std(runs.stream().mapToDouble(r -> r.test(metric)).toArray());
        }
    }

    /** Reads {@code file}; errors name the file (and line and column for bad JSON). */
    public static Report read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw DataFormatException.inFile(file, "no such file");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw DataFormatException.io(file, e);
        }
        Object json;
        try {
            json = Json.parse(text);
        } catch (Json.ParseException e) {
            throw DataFormatException.at(file, e.line, e.column, "not JSON: " + e.getMessage().replaceFirst("^line \\d+, column \\d+: ", ""));
        }
        try {
            return of(String.valueOf(file.getFileName()), json);
        } catch (IllegalArgumentException e) {
            throw DataFormatException.inFile(file, e.getMessage());
        }
    }

    /** Reads a parsed report ({@link Json#parse}); {@code source} names it on the page. */
    public static Report of(String source, Object json) {
        if (json instanceof List<?> list) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("runs", list);
            json = m;
        }
        if (!(json instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException("not a weft report: expected a JSON object");
        }
        List<?> runs = top.get("runs") instanceof List<?> l ? l : null;
        if (runs == null) {
            if (top.containsKey("model") || top.containsKey("epochs")) {
                Run r = run(top, null, null);
                return new Report(source, Kind.TRAIN, r.dataset(), List.of(r));
            }
            for (Object v : top.values()) {
                if (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map<?, ?> m0 && m0.containsKey("model")) {
                    runs = l;
                    break;
                }
            }
        }
        if (runs == null) {
            throw new IllegalArgumentException("not a weft report: no \"model\" and no \"runs\" (keys: " + top.keySet() + ")");
        }
        String dataset = top.get("dataset") instanceof String s ? s : null;
        Kind[] kind = {Kind.COMPARE};
        List<Run> out = new ArrayList<>();
        collect(runs, null, dataset, out, kind, 0);
        if (out.isEmpty()) {
            throw new IllegalArgumentException("the report has no runs");
        }
        if (dataset == null) {
            dataset = out.get(0).dataset();
        }
        return new Report(source, kind[0], dataset, out);
    }

    /**
     * Adds the runs in {@code items} to {@code out}; an item that holds its own {@code "runs"}
     * (one setting's per-seed runs) adds those, with the item's variant or condition.
     */
    private static void collect(List<?> items, String label, String dataset, List<Run> out, Kind[] kind, int depth) {
        for (Object o : items) {
            if (!(o instanceof Map<?, ?> m)) {
                continue;
            }
            String l = label;
            if (m.get("variant") != null) {
                kind[0] = Kind.ABLATION;
                l = String.valueOf(m.get("variant"));
            } else if (m.get("condition") != null) {
                kind[0] = Kind.ROBUSTNESS;
                l = String.valueOf(m.get("condition"));
            }
            if (m.get("runs") instanceof List<?> inner && !m.containsKey("epochs") && depth < 4) {
                collect(inner, l, dataset, out, kind, depth + 1);
            } else {
                out.add(run(m, l, dataset));
            }
        }
    }

    private static Run run(Map<?, ?> m, String label, String dataset) {
        String model = m.get("model") instanceof String s ? s : "?";
        Map<String, Object> config = object(m.get("config"));
        Long seed = m.get("seed") instanceof Number n ? n.longValue()
                : config.get("seed") instanceof Number n2 ? n2.longValue() : null;
        List<Epoch> epochs = new ArrayList<>();
        if (m.get("epochs") instanceof List<?> l) {
            int i = 0;
            for (Object e : l) {
                if (e instanceof Map<?, ?> em) {
                    double ep = num(em.get("epoch"));
                    epochs.add(new Epoch(Double.isFinite(ep) ? (int) ep : i, num(em.get("loss")), num(em.get("train_seconds")),
                            num(em.get("eval_seconds")), metrics(em.get("valid"))));
                }
                i++;
            }
        }
        double best = num(m.get("best_epoch"));
        int bestEpoch = Double.isFinite(best) ? (int) best : bestFromLog(epochs);
        String ds = m.get("dataset") instanceof String s ? s : dataset;
        return new Run(model, label, seed, ds == null ? "?" : ds, bestEpoch, metrics(m.get("valid")), metrics(m.get("test")),
                List.copyOf(epochs), config, object(m.get("heap")), object(m.get("env")), object(m.get("dataset_sizes")));
    }

    /** The epoch with the highest validation Recall@20, or -1. */
    private static int bestFromLog(List<Epoch> epochs) {
        int best = -1;
        double score = Double.NEGATIVE_INFINITY;
        for (Epoch e : epochs) {
            double v = e.valid().getOrDefault("Recall@20", Double.NaN);
            if (v > score) {
                score = v;
                best = e.epoch();
            }
        }
        return best;
    }

    private static Map<String, Object> object(Object o) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(String.valueOf(e.getKey()), e.getValue());
            }
        }
        return out;
    }

    private static Map<String, Double> metrics(Object o) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() instanceof Number || e.getValue() == null) {
                    out.put(String.valueOf(e.getKey()), num(e.getValue()));
                }
            }
        }
        return out;
    }

    static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /**
     * The runs grouped into settings, in order of first appearance: runs with the same model,
     * label and configuration apart from the seed are one group.
     */
    public static List<Group> groups(List<Run> runs) {
        Map<List<Object>, List<Run>> byKey = new LinkedHashMap<>();
        for (Run r : runs) {
            byKey.computeIfAbsent(List.of(r.model(), Objects.toString(r.label(), ""), r.configWithoutSeed()), k -> new ArrayList<>()).add(r);
        }
        Map<String, Integer> perModel = new LinkedHashMap<>();
        for (List<Object> k : byKey.keySet()) {
            if (((String) k.get(1)).isEmpty()) {
                perModel.merge((String) k.get(0), 1, Integer::sum);
            }
        }
        List<Group> out = new ArrayList<>();
        for (Map.Entry<List<Object>, List<Run>> e : byKey.entrySet()) {
            Run r0 = e.getValue().get(0);
            String name = r0.label() != null ? r0.label() : r0.model();
            if (r0.label() == null && perModel.getOrDefault(r0.model(), 0) > 1) {
                name = r0.model() + distinguishing(r0, runs);
            }
            out.add(new Group(name, r0.model(), r0.label(), List.copyOf(e.getValue())));
        }
        return out;
    }

    /** " (k=v, ...)": the settings in which {@code r} differs from another run of its model. */
    private static String distinguishing(Run r, List<Run> runs) {
        List<String> parts = new ArrayList<>();
        Map<String, Object> mine = r.configWithoutSeed();
        for (Map.Entry<String, Object> e : mine.entrySet()) {
            for (Run o : runs) {
                if (o != r && o.model().equals(r.model()) && o.label() == null
                        && !Objects.equals(o.configWithoutSeed().get(e.getKey()), e.getValue())) {
                    parts.add(e.getKey() + "=" + HtmlReport.value(e.getValue()));
                    break;
                }
            }
        }
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }

    /** Mean of the finite values; NaN for none. */
    static double mean(double[] v) {
        double s = 0;
        int n = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                s += x;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    /** Sample standard deviation of the finite values; NaN for fewer than two. */
    static double std(double[] v) {
        double m = mean(v);
        double s = 0;
        int n = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                s += (x - m) * (x - m);
                n++;
            }
        }
        return n < 2 ? Double.NaN : Math.sqrt(s / (n - 1));
    }
}
