package weft.models.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Metric averages from one evaluation: a value per {@link Metric} and cut-off K, keyed
 * "Recall@20", "NDCG@10", ..., plus the number of users averaged over.
 */
public final class EvalResult {
    private final int[] ks;
    private final double[][] values; // [metric ordinal][index of k]
    private final int users;

    EvalResult(int[] ks, double[][] values, int users) {
        this.ks = ks.clone();
        this.values = values;
        this.users = users;
    }

    /**
     * A result from its parts, e.g. read back from a checkpoint: {@code values[metric ordinal][index
     * of k]} for the ascending cut-offs {@code ks}.
     */
    public static EvalResult of(int[] ks, double[][] values, int users) {
        if (values.length != Metric.values().length) {
            throw new IllegalArgumentException("EvalResult: " + values.length + " metric rows, expected " + Metric.values().length);
        }
        double[][] copy = new double[values.length][];
        for (int m = 0; m < values.length; m++) {
            if (values[m].length != ks.length) {
                throw new IllegalArgumentException("EvalResult: " + values[m].length + " values for " + ks.length + " cut-offs");
            }
            copy[m] = values[m].clone();
        }
        for (int j = 1; j < ks.length; j++) {
            if (ks[j] <= ks[j - 1]) {
                throw new IllegalArgumentException("EvalResult: cut-offs must ascend, got " + Arrays.toString(ks));
            }
        }
        return new EvalResult(ks, copy, users);
    }

    /** Cut-offs, ascending. */
    public int[] ks() {
        return ks.clone();
    }

    /** Number of users evaluated (those with ground truth); 0 gives all-zero metrics. */
    public int users() {
        return users;
    }

    public double get(Metric m, int k) {
        int idx = Arrays.binarySearch(ks, k);
        if (idx < 0) {
            throw new IllegalArgumentException("no metrics at K = " + k + "; evaluated at " + Arrays.toString(ks));
        }
        return values[m.ordinal()][idx];
    }

    /** The value for a key such as "Recall@20" (metric name case-insensitive). */
    public double get(String key) {
        int at = key.indexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("metric key '" + key + "' should look like Recall@20");
        }
        int k;
        try {
            k = Integer.parseInt(key.substring(at + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("metric key '" + key + "' should look like Recall@20");
        }
        return get(Metric.byLabel(key.substring(0, at).trim()), k);
    }

    /** All values in a fixed order (metric, then K), e.g. for logging or JSON. */
    public Map<String, Double> asMap() {
        LinkedHashMap<String, Double> out = new LinkedHashMap<>();
        for (Metric m : Metric.values()) {
            for (int j = 0; j < ks.length; j++) {
                out.put(m.key(ks[j]), values[m.ordinal()][j]);
            }
        }
        return out;
    }

    /** A JSON object {"users": N, "Recall@5": 0.0123, ...}; values in full precision (round-trip). */
    public String toJson() {
        StringBuilder s = new StringBuilder("{\"users\": ").append(users);
        for (Map.Entry<String, Double> e : asMap().entrySet()) {
            s.append(", \"").append(e.getKey()).append("\": ").append(jsonNumber(e.getValue()));
        }
        return s.append('}').toString();
    }

    private static String jsonNumber(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    /**
     * A table, metrics down and K across, four decimals as papers print them:
     * <pre>
     *             @5      @10     @20     @50
     * Recall      0.0312  0.0501  0.0773  0.1290
     * ...
     * </pre>
     */
    public String toTable() {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-10s", "users " + users));
        for (int k : ks) {
            s.append(String.format(Locale.ROOT, "%9s", "@" + k));
        }
        s.append('\n');
        for (Metric m : Metric.values()) {
            s.append(String.format(Locale.ROOT, "%-10s", m.label()));
            for (int j = 0; j < ks.length; j++) {
                s.append(String.format(Locale.ROOT, "%9.4f", values[m.ordinal()][j]));
            }
            s.append('\n');
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return toTable();
    }
}
