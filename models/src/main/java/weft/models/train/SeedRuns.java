package weft.models.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One model trained with several seeds ({@code --seeds N}: seeds s, s+1, ..., s+N-1): the per-seed
 * runs and the mean and sample standard deviation of each test metric over them. Against a
 * baseline trained with the same seeds, the relative difference is taken seed by seed (the same
 * seed gives both models the same split of batches and negatives) and then averaged.
 */
public final class SeedRuns {
    public final String model;
    public final List<Long> seeds;
    public final List<TrainResult> runs;

    public SeedRuns(String model, List<Long> seeds, List<TrainResult> runs) {
        if (runs.isEmpty() || seeds.size() != runs.size()) {
            throw new IllegalArgumentException("SeedRuns: " + runs.size() + " runs for " + seeds.size() + " seeds");
        }
        this.model = model;
        this.seeds = List.copyOf(seeds);
        this.runs = List.copyOf(runs);
    }

    /** The seeds {@code first, first + 1, ..., first + count - 1}. */
    public static List<Long> seeds(long first, int count) {
        List<Long> s = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            s.add(first + i);
        }
        return s;
    }

    /** Test {@code metric} (e.g. "Recall@20") of each seed's run. */
    public double[] test(String metric) {
        return runs.stream().mapToDouble(r -> r.test.get(metric)).toArray();
    }

    public double mean(String metric) {
        return mean(test(metric));
    }

    /** Sample standard deviation (n - 1); 0 for one seed. */
    public double std(String metric) {
        return std(test(metric));
    }

    /** Mean over seeds of {@code this / baseline - 1} for {@code metric}; the seeds must match. */
    public double meanRelativeTo(SeedRuns baseline, String metric) {
        double[] a = test(metric), b = paired(baseline).test(metric);
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] / b[i] - 1;
        }
        return s / a.length;
    }

    /** In how many seeds this model's {@code metric} is above the baseline's. */
    public int wins(SeedRuns baseline, String metric) {
        double[] a = test(metric), b = paired(baseline).test(metric);
        int w = 0;
        for (int i = 0; i < a.length; i++) {
            w += a[i] > b[i] ? 1 : 0;
        }
        return w;
    }

    private SeedRuns paired(SeedRuns baseline) {
        if (!baseline.seeds.equals(seeds)) {
            throw new IllegalArgumentException("SeedRuns: " + model + " ran seeds " + seeds + ", baseline " + baseline.model
                    + " ran " + baseline.seeds);
        }
        return baseline;
    }

    /** "0.4012 ± 0.0031" (mean ± std), or the value alone for one seed. */
    public String format(String metric) {
        return runs.size() == 1 ? String.format(Locale.ROOT, "%.4f", mean(metric))
                : String.format(Locale.ROOT, "%.4f ± %.4f", mean(metric), std(metric));
    }

    /** Mean training seconds per epoch over the seeds. */
    public double trainSecondsPerEpoch() {
        return mean(runs.stream().mapToDouble(TrainResult::trainSecondsPerEpoch).toArray());
    }

    /** Mean evaluation seconds per epoch over the seeds. */
    public double evalSecondsPerEpoch() {
        return mean(runs.stream().mapToDouble(TrainResult::evalSecondsPerEpoch).toArray());
    }

    /** The largest peak live heap of the seeds' runs, or -1. */
    public double peakLiveMib() {
        return runs.stream().mapToDouble(TrainResult::peakLiveMib).max().orElse(-1);
    }

    /** The mean best epoch. */
    /** Mean over the seeds of how far valid Recall@20 fell after the best epoch (TrainResult.fallAfterBest). */
    public double meanFallAfterBest() {
        return runs.stream().mapToDouble(TrainResult::fallAfterBest).average().orElse(0);
    }

    /** In how many seeds the run failed the collapse check (TrainResult.collapsed). */
    public int collapsed() {
        return (int) runs.stream().filter(TrainResult::collapsed).count();
    }

    public double meanBestEpoch() {
        return mean(runs.stream().mapToDouble(r -> r.bestEpoch).toArray());
    }

    /** {model, seeds, test_mean, test_std, runs: [per-seed reports]}. */
    public Map<String, Object> toJsonObject() {
        List<Object> rs = new ArrayList<>();
        for (TrainResult r : runs) {
            rs.add(r.toJsonObject());
        }
        return toJsonObject(rs);
    }

    /** The same with the given per-seed reports (e.g. with the run's environment added). */
    public Map<String, Object> toJsonObject(List<?> runReports) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("seeds", seeds);
        Map<String, Object> means = new LinkedHashMap<>(), stds = new LinkedHashMap<>();
        for (String k : runs.get(0).test.asMap().keySet()) {
            means.put(k, mean(k));
            stds.put(k, std(k));
        }
        m.put("test_mean", means);
        m.put("test_std", stds);
        m.put("runs", runReports);
        return m;
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return x.length == 0 ? Double.NaN : s / x.length;
    }

    static double std(double[] x) {
        if (x.length < 2) {
            return 0;
        }
        double m = mean(x), s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / (x.length - 1));
    }
}
