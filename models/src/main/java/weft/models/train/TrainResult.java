package weft.models.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import weft.models.eval.EvalResult;

/** What a training run produced: the best-valid epoch, its valid and test metrics, and the epoch log. */
public final class TrainResult {
    /** One epoch's line of the log. */
    public record Epoch(int epoch, double loss, double trainSeconds, double evalSeconds, EvalResult valid) {}

    public final String model;
    public final String dataset;
    public final int bestEpoch;
    public final EvalResult valid;
    public final EvalResult test;
    public final List<Epoch> epochs;
    public final Map<String, Object> config;
    /** Peak heap during the run ({@link HeapMeter#asMap}). */
    public final Map<String, Object> heap;

    public TrainResult(String model, String dataset, int bestEpoch, EvalResult valid, EvalResult test,
                       List<Epoch> epochs, Map<String, Object> config, Map<String, Object> heap) {
        this.model = model;
        this.dataset = dataset;
        this.bestEpoch = bestEpoch;
        this.valid = valid;
        this.test = test;
        this.epochs = List.copyOf(epochs);
        this.config = config;
        this.heap = heap;
    }

    /** Peak live heap (after a collection) in MiB, or -1 where none was measured. */
    public double peakLiveMib() {
        return heap.get("peak_live_mib") instanceof Number n ? n.doubleValue() : -1;
    }

    /**
     * How far valid Recall@20 fell after the best epoch: {@code 1 - min_{e > best} v_e / v_best}
     * (0 when it never fell below the best, or when the best epoch was the last).
     */
    public double fallAfterBest() {
        double best = Double.NaN, min = Double.POSITIVE_INFINITY;
        for (Epoch e : epochs) {
            if (e.valid() == null) continue;
            if (e.epoch() == bestEpoch) best = e.valid().get(COLLAPSE_METRIC);
            else if (e.epoch() > bestEpoch) min = Math.min(min, e.valid().get(COLLAPSE_METRIC));
        }
        return Double.isNaN(best) || best <= 0 || min == Double.POSITIVE_INFINITY ? 0 : Math.max(0, 1 - min / best);
    }

    /** The metric of the collapse check, the early-stopping metric. */
    public static final String COLLAPSE_METRIC = "Recall@20";

    /**
     * The collapse check: the best valid epoch lies in the first 10 % of the run and a later
     * epoch's valid Recall@20 is more than 10 % below the best. A model that peaks this early and
     * then falls while it trains on is fitting something that does not carry to held-out items.
     */
    public boolean collapsed() {
        return bestEpoch < 0.1 * epochs.size() && fallAfterBest() > 0.1;
    }

    /** Mean training seconds per epoch. */
    public double trainSecondsPerEpoch() {
        return epochs.stream().mapToDouble(Epoch::trainSeconds).average().orElse(Double.NaN);
    }

    /** Mean evaluation seconds per epoch. */
    public double evalSecondsPerEpoch() {
        return epochs.stream().mapToDouble(Epoch::evalSeconds).average().orElse(Double.NaN);
    }

    /**
     * A result read back from its report object ({@link #toJsonObject}'s keys; others ignored), e.g.
     * a finished run that a rerun of {@code compare} takes from its report instead of training it
     * again. The metrics' user counts are not in the report: they read back as 0.
     *
     * @throws IllegalArgumentException naming the key that is missing or of the wrong type
     */
    @SuppressWarnings("unchecked")
    public static TrainResult fromJsonObject(Map<String, Object> m) {
        List<Epoch> epochs = new ArrayList<>();
        for (Object o : list(m, "epochs")) {
            if (!(o instanceof Map<?, ?> e)) {
                throw new IllegalArgumentException("run report: an item of \"epochs\" is not an object");
            }
            Map<String, Object> em = (Map<String, Object>) e;
            epochs.add(new Epoch((int) number(em, "epoch"), number(em, "loss"), number(em, "train_seconds"),
                    number(em, "eval_seconds"), metrics(em, "valid")));
        }
        Object cfg = m.get("config"), heap = m.get("heap");
        return new TrainResult(string(m, "model"), string(m, "dataset"), (int) number(m, "best_epoch"), metrics(m, "valid"),
                metrics(m, "test"), epochs, cfg instanceof Map<?, ?> c ? (Map<String, Object>) c : Map.of(),
                heap instanceof Map<?, ?> h ? (Map<String, Object>) h : Map.of());
    }

    private static Object required(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("run report: no \"" + key + "\"");
        }
        return v;
    }

    private static String string(Map<String, Object> m, String key) {
        return String.valueOf(required(m, key));
    }

    private static double number(Map<String, Object> m, String key) {
        if (!(required(m, key) instanceof Number n)) {
            throw new IllegalArgumentException("run report: \"" + key + "\" is not a number");
        }
        return n.doubleValue();
    }

    private static List<?> list(Map<String, Object> m, String key) {
        if (!(required(m, key) instanceof List<?> l)) {
            throw new IllegalArgumentException("run report: \"" + key + "\" is not a list");
        }
        return l;
    }

    /** Metrics keyed "Recall@20", ... back into an {@link EvalResult}: every metric at the cut-offs found. */
    private static EvalResult metrics(Map<String, Object> m, String key) {
        if (!(required(m, key) instanceof Map<?, ?> mm)) {
            throw new IllegalArgumentException("run report: \"" + key + "\" is not an object");
        }
        java.util.TreeSet<Integer> ks = new java.util.TreeSet<>();
        for (Object k : mm.keySet()) {
            String s = String.valueOf(k);
            int at = s.indexOf('@');
            if (at > 0) {
                try {
                    ks.add(Integer.parseInt(s.substring(at + 1)));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("run report: metric key \"" + s + "\" in \"" + key + "\" should look like Recall@20");
                }
            }
        }
        int[] kk = ks.stream().mapToInt(Integer::intValue).toArray();
        weft.models.eval.Metric[] metrics = weft.models.eval.Metric.values();
        double[][] values = new double[metrics.length][kk.length];
        for (weft.models.eval.Metric metric : metrics) {
            for (int j = 0; j < kk.length; j++) {
                Object v = mm.get(metric.key(kk[j]));
                if (!(v instanceof Number n)) {
                    throw new IllegalArgumentException("run report: \"" + key + "\" has no number for " + metric.key(kk[j]));
                }
                values[metric.ordinal()][j] = n.doubleValue();
            }
        }
        return EvalResult.of(kk, values, mm.get("users") instanceof Number n ? n.intValue() : 0);
    }

    /** The report object: {model, dataset, best_epoch, valid, test, epochs, config, heap}. */
    public Map<String, Object> toJsonObject() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("dataset", dataset);
        m.put("best_epoch", bestEpoch);
        m.put("valid", valid.asMap());
        m.put("test", test.asMap());
        List<Object> eps = new ArrayList<>();
        for (Epoch e : epochs) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("epoch", e.epoch());
            x.put("loss", e.loss());
            x.put("train_seconds", e.trainSeconds());
            x.put("eval_seconds", e.evalSeconds());
            x.put("valid", e.valid().asMap());
            eps.add(x);
        }
        m.put("epochs", eps);
        m.put("config", config);
        m.put("heap", heap);
        return m;
    }
}
