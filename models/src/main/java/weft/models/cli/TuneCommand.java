package weft.models.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import weft.models.ModelSpec;
import weft.models.io.Fingerprint;
import weft.models.train.SeedRuns;
import weft.models.train.TrainResult;
import weft.models.train.Trainer;
import weft.models.tune.SearchSpace;
import weft.models.tune.TuneReport;
import weft.models.util.Json;

/**
 * {@code weft tune}: hyperparameter search on the validation set. Each trial trains one grid
 * point of the model's search space (its declared one, or the {@code --grid} entries) once per
 * seed and is scored by its mean valid Recall@20 over the seeds (ties: mean valid NDCG@20, then
 * the earlier trial). The trial table shows valid metrics only; test metrics are shown for the
 * chosen configuration alone, at the end. The chosen configuration is written as a
 * {@link RunConfig} file ({@code --out}); the report ({@code --report}) is rewritten after every
 * trial, and a rerun with the same report skips the trials it holds.
 */
final class TuneCommand {
    private static final String R20 = Trainer.SELECTION_METRIC, N20 = "NDCG@20";

    private TuneCommand() {}

    private static Args flags() {
        return Main.commonFlags("model", "trials", "out").repeatable("grid");
    }

    static int run(String[] argv, PrintStream out) {
        Supplier<Args> flags = TuneCommand::flags;
        Args a = flags.get().parse(argv, 1);
        ModelSpec spec = Main.requireModel(a.string("model", null));
        Main.checkModelFlags(a, List.of(spec));
        Main.modelOptions(spec, a);
        if (a.has("report-html")) {
            throw new Args.UsageException("--report-html does not apply to tune; run 'weft report' on the train reports instead");
        }
        Integer trials = a.has("trials") ? a.integer("trials", 1, 1) : null;
        Map<String, String> fixed = RunConfig.given(spec, a);
        SearchSpace space;
        if (a.has("grid")) {
            space = SearchSpace.parse(spec, a.all("grid"));
            for (SearchSpace.Param p : space.params()) {
                if (fixed.containsKey(p.name())) {
                    throw new Args.UsageException("--" + p.name() + " is both fixed on the command line and searched by --grid; give one");
                }
            }
        } else {
            space = SearchSpace.declared(spec).without(fixed.keySet());
        }
        if (space.isEmpty()) {
            throw new Args.UsageException(spec.name() + " has no search space" + (fixed.isEmpty() ? "" : " left after the flags given")
                    + "; give --grid NAME=V1,V2,... (settings: " + String.join(", ", SearchSpace.settingNames(spec)) + ")");
        }
        Path outFile = a.has("out") ? Path.of(a.string("out", null)) : null;
        Main.Setup s = Main.setup(a, out);
        List<Long> points = space.trials(trials, s.train().seed);

        Map<String, Object> header = new LinkedHashMap<>();
        header.put("model", spec.name());
        header.put("dataset", s.data().name());
        header.put("fingerprint", Fingerprint.of(s.data()));
        header.put("grid", space.asJson());
        header.put("grid_points", space.size());
        header.put("trials", points);
        header.put("sample_seed", s.train().seed);
        header.put("seeds", s.seedList());
        header.put("fixed", SearchSpace.typedConfig(spec, fixed));
        Map<String, Object> train = new LinkedHashMap<>(s.train().asMap());
        train.remove("seed");
        header.put("train", train);
        header.put("selection", "valid " + R20 + ", mean over seeds");
        TuneReport report = TuneReport.open(s.report(), header);

        out.println(String.format(Locale.ROOT, "tune %s on %s: %d trial%s of a %d-point grid over %s; seeds %s; chosen by valid %s",
                spec.name(), s.data().name(), points.size(), points.size() == 1 ? "" : "s", space.size(),
                String.join(", ", space.params().stream().map(SearchSpace.Param::name).toList()), s.seedList(), R20));
        if (trials != null && trials > space.size()) {
            out.println("note: --trials " + trials + " exceeds the grid's " + space.size() + " points; all of them are trained");
        }
        String row = "%-7s %-44s %17s %17s %7s %9s%n";
        out.print(String.format(Locale.ROOT, row, "trial", "config", "valid Recall@20", "valid NDCG@20", "best", "seconds"));

        Map<Integer, SeedRuns> ranHere = new HashMap<>();
        List<Map<String, Object>> records = new ArrayList<>();
        for (int t = 1; t <= points.size(); t++) {
            Map<String, String> cfg = space.config(points.get(t - 1));
            Map<String, Object> rec = report.finished(t);
            String note = "";
            if (rec != null) {
                if (!SearchSpace.typedConfig(spec, cfg).equals(rec.get("config"))) {
                    throw new IllegalArgumentException("--report " + s.report() + ": trial " + t + " holds another configuration; give another"
                            + " --report, or remove the file to start again");
                }
                note = "  (from the report)";
            } else {
                long t0 = System.nanoTime();
                try {
                    Main.Seeded runs = train(spec, s, argv, cfg, flags, out);
                    ranHere.put(t, runs.runs());
                    rec = record(t, spec, cfg, runs.runs(), (System.nanoTime() - t0) / 1e9);
                } catch (IllegalStateException e) { // e.g. the loss diverged at this point of the grid
                    rec = new LinkedHashMap<>();
                    rec.put("trial", t);
                    rec.put("config", SearchSpace.typedConfig(spec, cfg));
                    rec.put("failed", e.getMessage());
                    rec.put("seconds", (System.nanoTime() - t0) / 1e9);
                }
                report.add(t, rec);
            }
            records.add(rec);
            if (rec.containsKey("failed")) {
                out.println(String.format(Locale.ROOT, "%-7s %-44s failed: %s%s", t + "/" + points.size(), SearchSpace.describe(cfg),
                        rec.get("failed"), note));
                continue;
            }
            out.print(String.format(Locale.ROOT, row, t + "/" + points.size(), SearchSpace.describe(cfg), meanStd(rec, R20),
                    meanStd(rec, N20), String.format(Locale.ROOT, s.seeds() == 1 ? "%.0f" : "%.1f", num(rec.get("best_epoch_mean"))),
                    String.format(Locale.ROOT, "%.1f", num(rec.get("seconds")))).stripTrailing() + note + "\n");
            out.flush();
        }

        Map<String, Object> best = null;
        for (Map<String, Object> r : records) {
            if (!r.containsKey("failed") && (best == null || better(r, best))) {
                best = r;
            }
        }
        if (best == null) {
            throw new IllegalStateException("every trial failed; nothing to choose (see the rows above)");
        }
        int bt = (int) num(best.get("trial"));
        Map<String, String> bestCfg = space.config(points.get(bt - 1));
        out.println();
        out.println(String.format(Locale.ROOT, "chosen: trial %d, %s (valid %s %s)", bt, SearchSpace.describe(bestCfg), R20,
                meanStd(best, R20)));
        SeedRuns chosen = ranHere.get(bt);
        if (chosen == null) {
            out.println("training the chosen configuration again for its test metrics (its trial ran before this session)");
            chosen = train(spec, s, argv, bestCfg, flags, out).runs();
        }
        out.println(String.format(Locale.ROOT, "test metrics of the chosen configuration at its best-valid epoch, seeds %s:", s.seedList()));
        for (String k : List.of("Recall@10", "Recall@20", "NDCG@10", "NDCG@20")) {
            out.println(String.format(Locale.ROOT, "  %-10s %s", k, chosen.format(k)));
        }

        Map<String, Object> full = new LinkedHashMap<>(SearchSpace.typedConfig(spec, fixed));
        full.putAll(SearchSpace.typedConfig(spec, bestCfg));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", spec.name());
        result.put("config", full);
        result.put("note", "weft train --config FILE / weft compare --config " + spec.name()
                + "=FILE apply this config; a flag on their command line overrides the file's value");
        result.put("dataset", s.data().name());
        result.put("fingerprint", header.get("fingerprint"));
        result.put("trial", bt);
        result.put("seeds", s.seedList());
        result.put("selection", header.get("selection"));
        result.put("valid", best.get("valid"));
        result.put("test", testOf(chosen));
        report.choose(result);
        if (outFile != null) {
            Json.writeFile(outFile, result);
            out.println("configuration written to " + outFile + " (weft train --config " + outFile + ")");
        }
        if (s.report() != null) {
            out.println("report written to " + s.report());
        }
        return 0;
    }

    /** One trial: the tune's flags with the trial's settings added, trained once per seed, quietly. */
    private static Main.Seeded train(ModelSpec spec, Main.Setup s, String[] argv, Map<String, String> cfg, Supplier<Args> flags,
                                     PrintStream out) {
        Args at = flags.get().parse(RunConfig.withSettings(argv, spec, cfg, null), 1);
        Main.Setup st = RunConfig.reconfigure(s, at);
        st.train().verbose = false;
        return Main.trainSeeds(spec, st, at, Main.modelOptions(spec, at), out);
    }

    /** A trial's record: config, valid metrics (mean, std, per seed), best epochs and seconds; no test metrics. */
    private static Map<String, Object> record(int trial, ModelSpec spec, Map<String, String> cfg, SeedRuns runs, double seconds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trial", trial);
        m.put("config", SearchSpace.typedConfig(spec, cfg));
        Map<String, Object> mean = new LinkedHashMap<>(), std = new LinkedHashMap<>();
        for (String k : runs.runs.get(0).valid.asMap().keySet()) {
            double[] v = runs.runs.stream().mapToDouble(r -> r.valid.get(k)).toArray();
            mean.put(k, mean(v));
            std.put(k, std(v));
        }
        m.put("valid", mean);
        m.put("valid_std", std);
        List<Object> per = new ArrayList<>();
        for (int i = 0; i < runs.runs.size(); i++) {
            TrainResult r = runs.runs.get(i);
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("seed", runs.seeds.get(i));
            x.put("best_epoch", r.bestEpoch);
            x.put("epochs_run", r.epochs.size());
            x.put("valid", r.valid.asMap());
            per.add(x);
        }
        m.put("runs", per);
        m.put("best_epoch_mean", runs.meanBestEpoch());
        m.put("seconds", seconds);
        return m;
    }

    private static Map<String, Object> testOf(SeedRuns runs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String k : runs.runs.get(0).test.asMap().keySet()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("mean", runs.mean(k));
            x.put("std", runs.std(k));
            m.put(k, x);
        }
        return m;
    }

    private static boolean better(Map<String, Object> a, Map<String, Object> b) {
        int c = Double.compare(metric(a, R20), metric(b, R20));
        if (c == 0) {
            c = Double.compare(metric(a, N20), metric(b, N20));
        }
        return c > 0;
    }

    private static double metric(Map<String, Object> rec, String k) {
        return num(((Map<?, ?>) rec.get("valid")).get(k));
    }

    private static String meanStd(Map<String, Object> rec, String k) {
        double sd = num(((Map<?, ?>) rec.get("valid_std")).get(k));
        List<?> runs = (List<?>) rec.get("runs");
        return runs.size() == 1 ? String.format(Locale.ROOT, "%.4f", metric(rec, k))
                : String.format(Locale.ROOT, "%.4f ± %.4f", metric(rec, k), sd);
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    private static double std(double[] x) {
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
