package weft.bench.guard;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import weft.models.data.AtomicFiles;
import weft.models.util.Json;

/**
 * The guard's verdict, from JMH's JSON results ({@code -rf json}): every guarded benchmark's
 * time as a ratio to the reference kernel measured in the same run ({@link ReferenceBenchmark};
 * the geometric mean of its measurements when there are several, before and after the guarded
 * set), compared with the committed baseline of ratios.
 *
 * <pre>
 *   java -cp benchmarks.jar weft.bench.guard.Guard [--update] [--tolerance 0.25] --baseline FILE RESULT.json...
 * </pre>
 *
 * Exit status 0 when no ratio is more than {@code tolerance} above its baseline, 1 when one is (or
 * a guarded benchmark of the baseline was not measured), 2 for bad arguments or unreadable input.
 * With {@code --update} the baseline is rewritten from this run instead (exit 0).
 *
 * <p>{@code --subset} says the run measured only part of the guarded set on purpose
 * ({@code WEFT_GUARD_ONLY}): the baseline's other benchmarks are listed but not a failure, and
 * {@code --update --subset} replaces only the measured lines of the existing baseline.
 *
 * <p>The baseline is a tab-separated file: {@code #} comment lines (when and where it was
 * recorded), then one {@code benchmark<TAB>ratio} line per guarded benchmark.
 */
public final class Guard {
    static final String REFERENCE = ReferenceBenchmark.class.getSimpleName() + ".";

    /** One JMH result: its display name and its time per operation in nanoseconds. */
    record Result(String name, double nanos, String score) {}

    private Guard() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return guard(args, out);
        } catch (IllegalArgumentException | IOException | Json.ParseException e) {
            err.println("guard: " + e.getMessage());
            return 2;
        }
    }

    private static int guard(String[] args, PrintStream out) throws IOException {
        boolean update = false, subset = false;
        double tolerance = 0.25;
        Path baseline = null;
        List<Path> inputs = new ArrayList<>();
        for (int k = 0; k < args.length; k++) {
            String a = args[k];
            switch (a) {
                case "--update" -> update = true;
                case "--subset" -> subset = true;
                case "--tolerance" -> tolerance = parseTolerance(value(args, ++k, a));
                case "--baseline" -> baseline = Path.of(value(args, ++k, a));
                default -> {
                    if (a.startsWith("--")) throw new IllegalArgumentException("unknown flag " + a);
                    inputs.add(Path.of(a));
                }
            }
        }
        if (baseline == null) throw new IllegalArgumentException("--baseline FILE is required");
        if (inputs.isEmpty()) throw new IllegalArgumentException("no JMH result file given");

        List<Double> reference = new ArrayList<>();
        Map<String, Result> guarded = new LinkedHashMap<>();
        for (Path p : inputs) {
            for (Result r : read(p)) {
                if (r.name.startsWith(REFERENCE)) {
                    reference.add(r.nanos);
                } else {
                    guarded.put(r.name, r);
                }
            }
        }
        if (reference.isEmpty()) throw new IllegalArgumentException("no ReferenceBenchmark result in " + inputs);
        if (guarded.isEmpty()) throw new IllegalArgumentException("no guarded benchmark result in " + inputs);
        double logSum = 0;
        for (double v : reference) logSum += Math.log(v);
        double ref = Math.exp(logSum / reference.size());
        StringBuilder refs = new StringBuilder();
        for (double v : reference) refs.append(refs.length() > 0 ? ", " : "").append(fmt(v / 1e3)).append(" us");
        double spread = reference.size() > 1 ? maxOver(reference) - 1 : 0;
        out.printf(Locale.ROOT, "reference GEMM 256^3: %s us (measured %s; spread %.1f %%)%n", fmt(ref / 1e3), refs, 100 * spread);

        Map<String, Double> base = update ? Map.of() : readBaseline(baseline);
        List<String> worse = new ArrayList<>();
        int width = 10;
        for (String n : guarded.keySet()) width = Math.max(width, n.length());
        String head = "%-" + width + "s  %14s  %10s  %10s  %8s  %s%n";
        out.printf(Locale.ROOT, head, "benchmark", "time", "ratio", "baseline", "change", "");
        Map<String, Double> ratios = new LinkedHashMap<>();
        for (Result r : guarded.values()) {
            double ratio = r.nanos / ref;
            ratios.put(r.name, ratio);
            Double b = base.get(r.name);
            String change = b == null ? "" : String.format(Locale.ROOT, "%+.1f%%", 100 * (ratio / b - 1));
            String verdict;
            if (update) {
                verdict = "";
            } else if (b == null) {
                verdict = "new (not in the baseline)";
            } else if (ratio > b * (1 + tolerance)) {
                verdict = "SLOWER";
                worse.add(String.format(Locale.ROOT, "%s: ratio %.4g vs baseline %.4g (%s)", r.name, ratio, b, change));
            } else {
                verdict = "ok";
            }
            out.printf(Locale.ROOT, head, r.name, r.score, String.format(Locale.ROOT, "%.4g", ratio),
                    b == null ? "-" : String.format(Locale.ROOT, "%.4g", b), change, verdict);
        }
        if (update) {
            if (subset) {
                Map<String, Double> merged = new LinkedHashMap<>(readBaseline(baseline));
                merged.putAll(ratios);
                ratios = merged;
            }
            writeBaseline(baseline, ratios, ref);
            out.println("baseline written: " + baseline + " (" + ratios.size() + " benchmarks)");
            return 0;
        }
        List<String> missing = new ArrayList<>();
        for (String n : base.keySet()) if (!guarded.containsKey(n)) missing.add(n);
        if (!missing.isEmpty()) {
            out.println("not measured in this run, but in the baseline: " + String.join(", ", missing));
        }
        if (!worse.isEmpty()) {
            out.printf(Locale.ROOT, "FAIL: %d of %d benchmarks more than %.0f %% slower than the baseline (as ratios to the reference):%n",
                    worse.size(), guarded.size(), 100 * tolerance);
            for (String w : worse) out.println("  " + w);
            return 1;
        }
        if (!missing.isEmpty() && !subset) {
            out.println("FAIL: " + missing.size() + " guarded benchmarks missing from the results");
            return 1;
        }
        out.printf(Locale.ROOT, "OK: all %d benchmarks%s within %.0f %% of the baseline%n", guarded.size(),
                subset ? " of this subset" : "", 100 * tolerance);
        return 0;
    }

    private static double maxOver(List<Double> v) {
        double lo = Double.MAX_VALUE, hi = 0;
        for (double x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        return hi / lo;
    }

    private static String value(String[] args, int k, String flag) {
        if (k >= args.length) throw new IllegalArgumentException(flag + " needs a value");
        return args[k];
    }

    private static double parseTolerance(String s) {
        try {
            double t = Double.parseDouble(s);
            if (t > 0 && t < 10) return t;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("--tolerance must be a fraction above 0 (0.25 = 25 %), got '" + s + "'");
    }

    /** The results of one JMH JSON file, named {@code Class.method} plus its parameters. */
    static List<Result> read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new IllegalArgumentException(file + ": not JSON (" + e.getMessage() + ")");
        }
        if (!(root instanceof List<?> list)) throw new IllegalArgumentException(file + ": not a JMH result list (expected a JSON array)");
        List<Result> results = new ArrayList<>();
        int k = 0;
        for (Object o : list) {
            String where = file + ": result " + k++;
            if (!(o instanceof Map<?, ?> m) || !(m.get("benchmark") instanceof String full)
                    || !(m.get("primaryMetric") instanceof Map<?, ?> pm) || !(pm.get("score") instanceof Number score)
                    || !(pm.get("scoreUnit") instanceof String unit)) {
                throw new IllegalArgumentException(where + ": no benchmark, primaryMetric.score or scoreUnit");
            }
            String mode = String.valueOf(m.get("mode"));
            if (!mode.equals("avgt") && !mode.equals("ss")) {
                throw new IllegalArgumentException(where + " (" + full + "): mode " + mode + "; the guard compares times (avgt or ss)");
            }
            StringBuilder name = new StringBuilder(full.substring(full.lastIndexOf('.', full.lastIndexOf('.') - 1) + 1));
            if (m.get("params") instanceof Map<?, ?> params) {
                for (Map.Entry<?, ?> e : params.entrySet()) name.append(' ').append(e.getKey()).append('=').append(e.getValue());
            }
            double v = score.doubleValue();
            results.add(new Result(name.toString(), v * nanosPer(unit, where), String.format(Locale.ROOT, "%s %s", fmt(v), unit)));
        }
        return results;
    }

    private static double nanosPer(String unit, String where) {
        return switch (unit) {
            case "ns/op" -> 1;
            case "us/op" -> 1e3;
            case "ms/op" -> 1e6;
            case "s/op" -> 1e9;
            default -> throw new IllegalArgumentException(where + ": unit " + unit + " is not a time per operation");
        };
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 10 ? String.format(Locale.ROOT, "%.1f", v)
                : String.format(Locale.ROOT, "%.3g", v);
    }

    static Map<String, Double> readBaseline(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no baseline yet; record one with benchmarks/guard --update");
        }
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isBlank() || l.startsWith("#")) continue;
            String[] f = l.split("\t");
            double r;
            try {
                r = f.length == 2 ? Double.parseDouble(f[1]) : Double.NaN;
            } catch (NumberFormatException e) {
                r = Double.NaN;
            }
            if (!(r > 0) || Double.isInfinite(r)) {
                throw new IllegalArgumentException(file + ", line " + (i + 1) + ": expected 'benchmark<TAB>ratio' with a positive ratio, got '" + l + "'");
            }
            if (m.put(f[0], r) != null) {
                throw new IllegalArgumentException(file + ", line " + (i + 1) + ": benchmark '" + f[0] + "' listed twice");
            }
        }
        return m;
    }

    private static void writeBaseline(Path file, Map<String, Double> ratios, double refNanos) {
        StringBuilder sb = new StringBuilder();
        sb.append("# weft JMH guard baseline: each benchmark's time / the reference GEMM 256^3 (ReferenceBenchmark) of the same run.\n");
        sb.append("# Rewrite with: benchmarks/guard --update\n");
        sb.append(String.format(Locale.ROOT, "# recorded %s; reference %s us; %s %s; %d processors; weft.threads=%s%n",
                java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), fmt(refNanos / 1e3),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                System.getProperty("weft.threads", "default")));
        for (Map.Entry<String, Double> e : ratios.entrySet()) {
            sb.append(e.getKey()).append('\t').append(String.format(Locale.ROOT, "%.6g", e.getValue())).append('\n');
        }
        AtomicFiles.write(file, os -> os.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
