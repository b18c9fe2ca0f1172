package weft.models.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import weft.engine.KernelProvider;
import weft.engine.Kernels;
import weft.engine.Parallel;
import weft.models.ModelConfig;
import weft.models.ModelSpec;
import weft.models.Models;
import weft.models.Recommender;
import weft.models.data.DataFormatException;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.Perturbations;
import weft.models.options.Option;
import weft.models.options.OptionException;
import weft.models.options.Options;
import weft.models.report.HtmlReport;
import weft.models.report.Reports;
import weft.models.train.TrainConfig;
import weft.models.train.SeedRuns;
import weft.models.train.TrainResult;
import weft.models.train.Trainer;
import weft.models.util.Json;

/** The {@code weft} command line. */
public final class Main {
    public static final String VERSION = "0.1.0";

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command and returns the process exit code: 0 success, 1 bad data or failure, 2 bad usage. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println(usage());
            return 2;
        }
        try {
            if (Parallel.propertyError() != null) {
                throw new Args.UsageException(Parallel.propertyError() + " (unset it or give a count; --threads T also works)");
            }
            switch (args[0]) {
                case "help":
                case "--help":
                case "-h":
                    return help(args, out);
                case "models":
                    return models(args, out);
                case "info":
                    return info(out);
                case "version":
                case "--version":
                    out.println("weft " + VERSION);
                    return 0;
                case "train":
                    return train(args, out);
                case "compare":
                    return compare(args, out);
                case "ablate":
                    return ablate(args, out);
                case "robustness":
                    return robustness(args, out);
                case "report":
                    return report(args, out);
                case "coldstart":
                    return ColdstartCommand.run(args, out);
                case "recommend":
                    return RecommendCommand.run(args, out);
                case "export":
                    return ExportCommand.run(args, out);
                case "tune":
                    return TuneCommand.run(args, out);
                default:
                    throw new Args.UsageException("unknown command '" + args[0] + "'");
            }
        } catch (Args.UsageException | OptionException e) {
            err.println("weft " + args[0] + ": " + e.getMessage());
            err.println("run 'weft help' for usage");
            return 2;
        } catch (weft.models.serve.UnknownIdException e) {
            err.println("weft " + args[0] + ": " + e.getMessage());
            return 2;
        } catch (DataFormatException e) {
            err.println("weft: " + e.getMessage());
            return 1;
        } catch (UncheckedIOException e) {
            err.println("weft: " + e.getCause().getMessage());
            return 1;
        } catch (IOException e) {
            err.println("weft: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("weft " + args[0] + ": " + e.getMessage());
            return 1;
        } catch (OutOfMemoryError e) {
            err.println("weft " + args[0] + ": " + outOfMemoryMessage(Runtime.getRuntime().maxMemory()));
            return 1;
        }
    }

    /** The one line for an OutOfMemoryError: the heap limit in force and how to raise it. */
    public static String outOfMemoryMessage(long maxHeapBytes) {
        String limit = maxHeapBytes == Long.MAX_VALUE ? "unlimited" : (maxHeapBytes >> 20) + " MiB";
        long suggest = maxHeapBytes == Long.MAX_VALUE ? 8 : Math.max(2, 2 * ((maxHeapBytes + (1L << 30) - 1) >> 30));
        return "out of memory: the Java heap limit (Runtime.maxMemory) is " + limit + "; raise it, e.g. WEFT_JAVA_OPTS=-Xmx"
                + suggest + "g ./weft ..., or use a smaller --dim / --batch";
    }

    static int info(PrintStream out) {
        out.println("weft " + VERSION);
        out.println("java: " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        out.println("kernels: " + Kernels.get().name() + " (" + KernelProvider.reason() + ")");
        out.println("threads: " + Parallel.threads());
        return 0;
    }

    /** The folder used when --data is absent: test-data/ of the weft installation. */
    static Path defaultData() {
        String home = System.getProperty("weft.home");
        return home != null ? Path.of(home, "test-data") : Path.of("test-data");
    }

    /** Flags shared by train, compare and the commands built on them. */
    static Args commonFlags(String... extra) {
        Args a = new Args()
                .valued("data", "epochs", "patience", "dim", "lr", "reg", "layers", "batch", "seed", "seeds", "threads", "report",
                        "report-html", "feature-norm", "checkpoint", "checkpoint-every", "resume")
                .repeatable("modality", "item-graph")
                .switches("quiet");
        for (ModelSpec spec : Models.all()) {
            for (Option<?> o : spec.options()) {
                if (o.isToggle()) {
                    a.switches(o.flagName());
                } else {
                    a.valued(o.flagName());
                }
            }
        }
        a.valued(extra);
        return a;
    }

    /** The run's settings read from the flags; {@code seeds} runs use seeds train.seed, train.seed + 1, ... */
    record Setup(Dataset data, ModelConfig model, TrainConfig train, Path report, Path reportHtml, int seeds) {
        /** The same settings on other data (a perturbed copy), writing no report. */
        Setup on(Dataset other) {
            return new Setup(other, model, train, null, null, seeds);
        }

        /** The same settings with {@code seed} for the model's initialisation and the training batches. */
        Setup withSeed(long seed) {
            ModelConfig mc = model.copy();
            TrainConfig tc = train.copy();
            mc.seed = seed;
            tc.seed = seed;
            return new Setup(data, mc, tc, report, reportHtml, seeds);
        }

        /** The same run with other shared hyperparameters (a --config file's, a tune trial's). */
        Setup withConfigs(ModelConfig mc, TrainConfig tc) {
            return new Setup(data, mc, tc, report, reportHtml, seeds);
        }

        List<Long> seedList() {
            return SeedRuns.seeds(train.seed, seeds);
        }
    }

    static Setup setup(Args a) {
        return setup(a, System.out);
    }

    /** The settings; the dataset's load summary line, when it has one, goes to {@code out}. */
    static Setup setup(Args a, PrintStream out) {
        ModelConfig mc = new ModelConfig();
        TrainConfig tc = new TrainConfig();
        mc.dim = a.integer("dim", mc.dim, 1);
        mc.layers = a.integer("layers", mc.layers, 0);
        mc.reg = (float) a.real("reg", mc.reg, 0);
        tc.epochs = a.integer("epochs", tc.epochs, 1);
        tc.patience = a.integer("patience", tc.patience, 1);
        tc.lr = (float) a.realAbove("lr", tc.lr, 0);
        tc.batch = a.integer("batch", tc.batch, 1);
        tc.seed = a.longValue("seed", tc.seed);
        mc.seed = tc.seed;
        tc.verbose = !a.has("quiet");
        tc.checkpointDir = a.has("checkpoint") ? Path.of(a.string("checkpoint", null)) : null;
        tc.checkpointEvery = a.integer("checkpoint-every", 0, 1);
        tc.resumeDir = a.has("resume") ? Path.of(a.string("resume", null)) : null;
        if (a.has("checkpoint-every") && tc.checkpointDir == null && tc.resumeDir == null) {
            throw new Args.UsageException("--checkpoint-every needs --checkpoint DIR (the folder to keep the state in)");
        }
        if (a.has("threads")) {
            int t = a.integer("threads", Parallel.threads(), 1);
            try {
                Parallel.checkThreads("--threads", t);
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException(e.getMessage());
            }
            Parallel.setThreads(t);
        }
        Path report = a.has("report") ? Path.of(a.string("report", null)) : null;
        Path reportHtml = a.has("report-html") ? Path.of(a.string("report-html", null)) : null;
        if (report != null) {
            OutputPaths.requireWritable("--report", report);
        }
        if (reportHtml != null) {
            OutputPaths.requireWritable("--report-html", reportHtml);
        }
        if (report != null && reportHtml != null && report.toAbsolutePath().normalize().equals(reportHtml.toAbsolutePath().normalize())) {
            throw new Args.UsageException("--report and --report-html name the same file '" + report + "'");
        }
        Path dir = a.has("data") ? Path.of(a.string("data", null)) : defaultData();
        if (!Files.isDirectory(dir)) {
            throw new Args.UsageException("--data: '" + dir + "' is not a folder");
        }
        Dataset.Options opts = new Dataset.Options();
        try {
            for (String m : a.all("modality")) {
                String[] kv = nameEqualsFile("modality", m);
                opts.modality(kv[0], kv[1]);
            }
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("--modality: " + e.getMessage());
        }
        try {
            for (String g : a.all("item-graph")) {
                String[] kv = nameEqualsFile("item-graph", g);
                opts.itemGraph(kv[0], Path.of(kv[1]));
            }
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("--item-graph: " + e.getMessage());
        }
        if (a.has("feature-norm")) {
            try {
                opts.featureNorm(FeatureNorm.parse(a.string("feature-norm", "none")));
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("--feature-norm: " + e.getMessage());
            }
        }
        int seeds = a.integer("seeds", 1, 1);
        Dataset data = Dataset.load(dir, opts);
        if (data.loadSummary() != null) {
            out.println(data.loadSummary());
        }
        return new Setup(data, mc, tc, report, reportHtml, seeds);
    }

    /** --checkpoint, --checkpoint-every and --resume keep one training run's state: train only. */
    static void refuseCheckpointFlags(Args a, String command) {
        for (String f : List.of("checkpoint", "checkpoint-every", "resume")) {
            if (a.has(f)) {
                throw new Args.UsageException("--" + f + " applies to weft train only (one run); " + command + " trains several");
            }
        }
    }

    private static String[] nameEqualsFile(String flag, String v) {
        String[] kv = v.split("=", 2);
        if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
            throw new Args.UsageException("--" + flag + " takes NAME=FILE, got '" + v + "'");
        }
        return kv;
    }

    /** Models that read precomputed item graphs ({@code --item-graph}); the others ignore them. */
    static final java.util.Set<String> GRAPH_MODELS = java.util.Set.of("freedom");

    /**
     * Rejects model-specific flags that none of {@code models} accepts, {@code --modality} /
     * {@code --feature-norm} when none reads features, {@code --item-graph} when none reads item graphs.
     */
    static void checkModelFlags(Args a, List<ModelSpec> models) {
        String names = String.join(", ", models.stream().map(ModelSpec::name).toList());
        if (a.has("item-graph") && models.stream().noneMatch(m -> GRAPH_MODELS.contains(m.name()))) {
            throw new Args.UsageException("--item-graph does not apply to " + names + " (only " + String.join(", ", GRAPH_MODELS)
                    + " reads precomputed item graphs)");
        }
        for (String flag : List.of("modality", "feature-norm")) {
            if (a.has(flag) && models.stream().noneMatch(ModelSpec::readsFeatures)) {
                throw new Args.UsageException("--" + flag + " does not apply to " + names + " (it reads no item features)");
            }
        }
        for (ModelSpec spec : Models.all()) {
            for (Option<?> o : spec.options()) {
                if (a.has(o.flagName()) && models.stream().noneMatch(m -> accepts(m, o.flagName()))) {
                    throw new Args.UsageException(o.flag() + " does not apply to "
                            + String.join(", ", models.stream().map(ModelSpec::name).toList()));
                }
            }
        }
    }

    private static boolean accepts(ModelSpec spec, String flagName) {
        return spec.options().stream().anyMatch(o -> o.flagName().equals(flagName));
    }

    /** The options of {@code spec} given as flags (checked by their declarations; errors name the flag). */
    static Options modelOptions(ModelSpec spec, Args a) {
        Map<String, String> given = new LinkedHashMap<>();
        for (Option<?> o : spec.options()) {
            if (a.has(o.flagName())) {
                given.put(o.flagName(), o.isToggle() ? "" : a.string(o.flagName(), null));
            }
        }
        return Options.parse(spec.options(), given);
    }

    static ModelSpec requireModel(String model) {
        if (model == null) {
            throw new Args.UsageException("--model is required (one of " + String.join(", ", Models.names()) + ")");
        }
        ModelSpec spec = Models.find(model);
        if (spec == null) {
            throw new Args.UsageException("unknown model '" + model + "'; known: " + String.join(", ", Models.names()));
        }
        return spec;
    }

    /** Trains {@code spec} with the run's settings and the model options given as flags. */
    static TrainResult trainOne(ModelSpec spec, Setup s, Args a, PrintStream out) {
        return trainOne(spec, s, a, modelOptions(spec, a), out);
    }

    static TrainResult trainOne(ModelSpec spec, Setup s, Args a, Options opts, PrintStream out) {
        return trainModel(spec, s, a, opts, out).result();
    }

    /** A trained model (holding its best epoch's parameters), the configuration it was built with, and its result. */
    record Trained(Recommender model, ModelConfig config, TrainResult result) {}

    static Trained trainModel(ModelSpec spec, Setup s, Args a, Options opts, PrintStream out) {
        ModelConfig mc = spec.withDefaults(s.model(), a.has("reg"), a.has("layers"));
        Recommender rec = spec.create(s.data(), mc, opts);
        Map<String, Object> cfg = spec.config(mc, opts);
        if (spec.readsFeatures()) {
            cfg.put("modalities", List.copyOf(s.data().modalities().keySet()));
            if (!s.data().itemGraphs().isEmpty()) {
                cfg.put("item_graphs", List.copyOf(s.data().itemGraphs().keySet()));
            }
        }
        cfg.putAll(rec.facts());
        if (s.train().verbose) {
            out.println(String.format(Locale.ROOT, "weft %s | %s | %s | kernels %s, %d threads", VERSION, spec.name(), s.data(),
                    Kernels.get().name(), Parallel.threads()));
            String warning = spec.readsFeatures() ? FeatureNorm.scaleWarning(s.data().modalities()) : null;
            if (warning != null) {
                out.println("warning: " + warning);
            }
        }
        return new Trained(rec, mc, new Trainer(s.train(), out).fit(rec, s.data(), cfg));
    }

    /** A model trained once per seed of the setup, with the per-seed reports. */
    record Seeded(SeedRuns runs, List<Map<String, Object>> reports) {
        /** The report: the run's own for one seed, else {model, seeds, test_mean, test_std, runs}. */
        Object report() {
            return reports.size() == 1 ? reports.get(0) : runs.toJsonObject(reports);
        }
    }

    static Seeded trainSeeds(ModelSpec spec, Setup s, Args a, Options opts, PrintStream out) {
        return trainSeeds(spec, s, a, opts, out, null, null);
    }

    /**
     * {@code spec} trained once per seed of the setup, on {@code dataFor.apply(seed)} when given
     * (data perturbed with that seed), else on the setup's data. With several seeds each run ends
     * with one line of its own test metrics, so a long multi-seed run's log holds every finished run.
     */
    static Seeded trainSeeds(ModelSpec spec, Setup s, Args a, Options opts, PrintStream out,
            java.util.function.LongFunction<Dataset> dataFor, Resume resume) {
        List<TrainResult> runs = new ArrayList<>();
        List<Map<String, Object>> reports = new ArrayList<>();
        for (long seed : s.seedList()) {
            Setup one = s.seeds() == 1 && dataFor == null ? s : s.withSeed(seed);
            if (dataFor != null) {
                one = one.on(dataFor.apply(seed));
            }
            Map<String, Object> key = resume == null ? null : resume.finished().key(spec, one, a, opts);
            TrainResult r = key == null ? null : resume.finished().get(key);
            Map<String, Object> report;
            if (r != null) {
                out.println(String.format(Locale.ROOT, "%s seed %d: taken from the report (finished in an earlier run)", spec.name(), seed));
                report = runReport(r, one.data());
            } else {
                r = trainOne(spec, one, a, opts, out);
                report = runReport(r, one.data());
                if (key != null) {
                    resume.finished().add(key, report, resume.partial().get());
                }
            }
            runs.add(r);
            reports.add(report);
            if (s.seeds() > 1) {
                out.println(String.format(Locale.ROOT, "%s seed %d: best epoch %d of %d, valid Recall@20 %.4f, test Recall@20 %.4f NDCG@20 %.4f%s",
                        spec.name(), seed, r.bestEpoch, r.epochs.size(), r.valid.get("Recall@20"), r.test.get("Recall@20"),
                        r.test.get("NDCG@20"), r.collapsed() ? " (collapse)" : ""));
                out.flush();
            }
        }
        return new Seeded(new SeedRuns(spec.name(), s.seedList(), runs), reports);
    }

    static int train(String[] argv, PrintStream out) throws IOException {
        Args a = RunConfig.train(argv, () -> commonFlags("model", "config", "save"));
        ModelSpec model = requireModel(a.string("model", null));
        checkModelFlags(a, List.of(model));
        Options opts = modelOptions(model, a);
        Path save = a.has("save") ? Path.of(a.string("save", null)) : null;
        if (save != null) {
            if (a.integer("seeds", 1, 1) > 1) {
                throw new Args.UsageException("--save keeps one trained model; it cannot be combined with --seeds > 1");
            }
            try {
                weft.models.io.ModelDir.checkWritable(save);
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("--save: " + e.getMessage());
            }
        }
        Setup s = setup(a, out);
        if (s.seeds() > 1 && (a.has("checkpoint") || a.has("resume"))) {
            throw new Args.UsageException("--" + (a.has("resume") ? "resume" : "checkpoint") + " keeps one run's state; it cannot be"
                    + " combined with --seeds " + s.seeds());
        }
        Seeded runs;
        if (save != null) {
            Trained t = trainModel(model, s, a, opts, out);
            runs = new Seeded(new SeedRuns(model.name(), s.seedList(), List.of(t.result())), List.of(runReport(t.result(), s.data())));
            weft.models.io.ModelDir.save(save, model, t.config(), opts, s.train(), t.model(), s.data(), t.result());
        } else {
            runs = trainSeeds(model, s, a, opts, out);
        }
        if (s.seeds() == 1) {
            printResult(out, runs.runs().runs.get(0));
        } else {
            out.println();
            out.print(seedTable(s.data().name(), List.of(runs.runs()), null));
        }
        Object rep = runs.report();
        writeReports(s, rep instanceof Map<?, ?> m ? castMap(m) : Map.of("runs", rep), out);
        if (save != null) {
            out.println("model saved to " + save + " (weft recommend --model " + save + " --user ID)");
        }
        return 0;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    static int compare(String[] argv, PrintStream out) throws IOException {
        java.util.function.Supplier<Args> flags = () -> commonFlags("models", "baseline", "drop-interactions").repeatable("config");
        Args a = flags.get().parse(argv, 1);
        refuseCheckpointFlags(a, "compare");
        String list = a.string("models", null);
        if (list == null) {
            throw new Args.UsageException("--models is required, e.g. --models lightgcn,vbpr,freedom");
        }
        List<ModelSpec> models = new ArrayList<>();
        for (String m : list.split(",")) {
            if (!m.isBlank()) {
                models.add(requireModel(m));
            }
        }
        checkModelFlags(a, models);
        Map<ModelSpec, Args> perModel = RunConfig.compare(argv, a, models, flags);
        for (ModelSpec m : models) {
            modelOptions(m, perModel.get(m)); // a bad value fails before the first model trains
        }
        Double drop = a.has("drop-interactions") ? a.real("drop-interactions", 0, 0) : null;
        if (drop != null && drop >= 1) {
            throw new Args.UsageException("--drop-interactions must be in [0, 1), got " + drop);
        }
        ModelSpec baseline = null;
        if (a.has("baseline")) {
            baseline = requireModel(a.string("baseline", null));
            if (!models.contains(baseline)) {
                throw new Args.UsageException("--baseline " + baseline.name() + " is not among --models");
            }
        }
        Setup s = setup(a, out);
        // The same seeded drop of training interactions for every model (robustness's, for the same seed).
        Map<Long, Dataset> dropped = new java.util.HashMap<>();
        java.util.function.LongFunction<Dataset> dropFor = seed -> dropped.computeIfAbsent(seed,
                k -> Perturbations.dropInteractions(s.data(), drop, k ^ 0xD20BL));
        String dataName = drop == null ? s.data().name() : s.data().name() + " with " + drop + " of training interactions dropped";
        List<SeedRuns> runs = new ArrayList<>();
        List<Object> rs = new ArrayList<>();
        FinishedRuns finished = FinishedRuns.open(s.report());
        if (finished.size() > 0) {
            out.println("resuming from " + s.report() + ": " + finished.size() + " finished run" + (finished.size() == 1 ? "" : "s")
                    + " there; runs with the same model, configuration, seed, training settings and data are taken from it");
        }
        Resume resume = s.report() == null ? null : new Resume(finished, () -> {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("dataset", s.data().name());
            p.put("status", "partial: " + rs.size() + " of " + models.size() + " models finished");
            return p;
        });
        for (ModelSpec m : models) {
            Args am = perModel.get(m);
            Setup sm = RunConfig.reconfigure(s, am);
            Seeded r = trainSeeds(m, sm, am, modelOptions(m, am), out, drop == null ? null : dropFor, resume);
            runs.add(r.runs());
            rs.add(r.report());
        }
        out.println();
        if (s.seeds() == 1 && baseline == null) {
            out.print(compareTable(dataName, runs.stream().map(r -> r.runs.get(0)).toList()));
        } else {
            if (baseline == null && models.stream().anyMatch(m -> m.name().equals("lightgcn"))) {
                baseline = Models.spec("lightgcn");
            }
            out.print(seedTable(dataName, runs, baseline == null ? null : baseline.name()));
        }
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("dataset", s.data().name());
        if (drop != null) {
            rep.put("drop_interactions", drop);
        }
        if (a.has("config")) {
            rep.put("configs", RunConfig.files(a));
        }
        if (s.seeds() > 1) {
            rep.put("seeds", s.seedList());
        }
        if (baseline != null) {
            rep.put("baseline", baseline.name());
        }
        rep.put("runs", rs);
        writeReports(s, finished.into(rep), out);
        return 0;
    }

    /**
     * One row per model over the seeds: mean ± std of test Recall@20 and NDCG@20, the mean best
     * epoch and seconds per epoch, and against {@code baseline} (when given) the mean relative
     * difference of Recall@20, seed by seed, and in how many seeds the model beat it.
     */
    static String seedTable(String dataset, List<SeedRuns> runs, String baseline) {
        SeedRuns base = baseline == null ? null : runs.stream().filter(r -> r.model.equals(baseline)).findFirst().orElse(null);
        int n = runs.get(0).seeds.size();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "test metrics at each model's best-valid epoch on %s, %d seed%s %s%n", dataset, n,
                n == 1 ? "" : "s", runs.get(0).seeds));
        sb.append(String.format(Locale.ROOT, "%-12s %17s %17s %7s %6s %8s %10s%s%n", "model", "Recall@20", "NDCG@20", "best", "fall",
                "collapse", "train s/ep", base == null ? "" : String.format(Locale.ROOT, " %18s %6s", "R@20 vs " + base.model, "wins")));
        for (SeedRuns r : runs) {
            sb.append(String.format(Locale.ROOT, "%-12s %17s %17s %7.1f %5.1f%% %8s %10.2f", r.model, r.format("Recall@20"),
                    r.format("NDCG@20"), r.meanBestEpoch(), 100 * r.meanFallAfterBest(), r.collapsed() + "/" + n,
                    r.trainSecondsPerEpoch()));
            if (base != null) {
                sb.append(r == base ? String.format(Locale.ROOT, " %18s %6s", "baseline", "-")
                        : String.format(Locale.ROOT, " %+17.1f%% %6s", 100 * r.meanRelativeTo(base, "Recall@20"),
                                r.wins(base, "Recall@20") + "/" + n));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * Trains the model as configured, then once per ablation variant (its registered switches
     * turned off one at a time), and prints each variant's test metrics beside the full model's.
     */
    static int ablate(String[] argv, PrintStream out) throws IOException {
        Args a = commonFlags("model").parse(argv, 1);
        refuseCheckpointFlags(a, "ablate");
        ModelSpec model = requireModel(a.string("model", null));
        checkModelFlags(a, List.of(model));
        List<ModelSpec.Variant> variants = model.ablations();
        if (variants.isEmpty()) {
            throw new Args.UsageException(model.name() + " has no switches to ablate");
        }
        Options base = modelOptions(model, a);
        Setup s = setup(a, out);
        List<String> labels = new ArrayList<>();
        List<SeedRuns> runs = new ArrayList<>();
        List<Object> reports = new ArrayList<>();
        labels.add("full");
        Seeded full = trainSeeds(model, s, a, base, out);
        runs.add(full.runs());
        reports.add(full.report());
        for (ModelSpec.Variant v : variants) {
            labels.add(v.label());
            Seeded r = trainSeeds(model, s, a, base.with(v.options()), out);
            runs.add(r.runs());
            reports.add(r.report());
        }
        out.println();
        out.print(relativeTable("ablation of " + model + " on " + s.data().name(), labels, runs));
        writeRuns(s, labels, reports, "variant", out);
        return 0;
    }

    /**
     * The robustness protocol (docs/models.md): each model trained on clean data, under Gaussian
     * feature noise (scaled to each feature's standard deviation) and with training interactions
     * dropped at random; metrics printed relative to the model's clean run.
     */
    static int robustness(String[] argv, PrintStream out) throws IOException {
        Args a = commonFlags("model", "models", "feature-noise", "drop-interactions").parse(argv, 1);
        refuseCheckpointFlags(a, "robustness");
        List<ModelSpec> models = new ArrayList<>();
        if (a.has("model")) {
            models.add(requireModel(a.string("model", null)));
        }
        for (String m : a.string("models", "").split(",")) {
            if (!m.isBlank()) {
                models.add(requireModel(m));
            }
        }
        if (models.isEmpty()) {
            throw new Args.UsageException("--model NAME or --models A,B is required");
        }
        checkModelFlags(a, models);
        double[] noise = a.reals("feature-noise", new double[] {0.1, 0.3, 0.5});
        double[] drop = a.reals("drop-interactions", new double[] {0.2, 0.4});
        for (double d : drop) {
            if (!(d >= 0 && d < 1)) {
                throw new Args.UsageException("--drop-interactions values must be in [0, 1), got " + d);
            }
        }
        for (double x : noise) {
            if (!(x >= 0) || Double.isInfinite(x)) {
                throw new Args.UsageException("--feature-noise values must be finite and >= 0, got " + x);
            }
        }
        Setup s = setup(a, out);
        List<String> labels = new ArrayList<>();
        List<Object> reports = new ArrayList<>();
        StringBuilder table = new StringBuilder();
        for (ModelSpec m : models) {
            modelOptions(m, a);
        }
        for (ModelSpec m : models) {
            List<String> ml = new ArrayList<>();
            List<SeedRuns> mr = new ArrayList<>();
            ml.add("clean");
            Seeded clean = trainSeeds(m, s, a, modelOptions(m, a), out);
            mr.add(clean.runs());
            reports.add(clean.report());
            for (double x : noise) {
                ml.add("feature noise " + x);
                if (!m.readsFeatures() || s.data().modalities().isEmpty()) {
                    mr.add(clean.runs()); // the model reads no feature vectors: noise cannot change it
                    reports.add(clean.report());
                } else {
                    Seeded r = perturbed(m, s, a, out, seed -> Perturbations.featureNoise(s.data(), x, seed ^ 0x5EEDL));
                    mr.add(r.runs());
                    reports.add(r.report());
                }
            }
            for (double d : drop) {
                ml.add("drop interactions " + d);
                Seeded r = perturbed(m, s, a, out, seed -> Perturbations.dropInteractions(s.data(), d, seed ^ 0xD20BL));
                mr.add(r.runs());
                reports.add(r.report());
            }
            table.append(relativeTable("robustness of " + m.name() + " on " + s.data().name(), ml, mr)).append('\n');
            for (int i = 0; i < ml.size(); i++) {
                labels.add(m.name() + ": " + ml.get(i));
            }
        }
        out.println();
        out.print(table);
        writeRuns(s, labels, reports, "condition", out);
        return 0;
    }

    /** Rows of test Recall@20 / NDCG@20 (mean ± std over seeds) and the ratio of their means to the first row's. */
    static String relativeTable(String title, List<String> labels, List<SeedRuns> runs) {
        int n = runs.get(0).seeds.size();
        StringBuilder sb = new StringBuilder(title).append(" (test metrics at the best-valid epoch")
                .append(n == 1 ? ")\n" : ", mean ± std over seeds " + runs.get(0).seeds + ")\n");
        int w = n == 1 ? 9 : 17;
        String head = "%-28s %" + w + "s %" + w + "s %9s %9s %6s%n";
        sb.append(String.format(Locale.ROOT, head, "", "Recall@20", "NDCG@20", "R@20 rel", "N@20 rel", "best"));
        double r0 = runs.get(0).mean("Recall@20"), n0 = runs.get(0).mean("NDCG@20");
        for (int i = 0; i < runs.size(); i++) {
            SeedRuns r = runs.get(i);
            double rr = r.mean("Recall@20"), nn = r.mean("NDCG@20");
            sb.append(String.format(Locale.ROOT, "%-28s %" + w + "s %" + w + "s %9.3f %9.3f %6.0f%n", labels.get(i), r.format("Recall@20"),
                    r.format("NDCG@20"), r0 > 0 ? rr / r0 : Double.NaN, n0 > 0 ? nn / n0 : Double.NaN, r.meanBestEpoch()));
        }
        return sb.toString();
    }

    /** {@code m} trained once per seed on data perturbed with that seed. */
    private static Seeded perturbed(ModelSpec m, Setup s, Args a, PrintStream out, java.util.function.LongFunction<Dataset> data) {
        return trainSeeds(m, s, a, modelOptions(m, a), out, data, null);
    }

    /** Where a compare keeps its finished runs, and the report so far to write beside them. */
    record Resume(FinishedRuns finished, java.util.function.Supplier<Map<String, Object>> partial) {}

    @SuppressWarnings("unchecked")
    private static void writeRuns(Setup s, List<String> labels, List<Object> runs, String key, PrintStream out) {
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("dataset", s.data().name());
        List<Object> rs = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put(key, labels.get(i));
            r.putAll((Map<String, Object>) runs.get(i));
            rs.add(r);
        }
        rep.put("runs", rs);
        writeReports(s, rep, out);
    }

    /**
     * A train report: {@link TrainResult#toJsonObject}'s keys, then {@code dataset_sizes} (of the
     * data the run trained on) and {@code env}: weft version, JVM, kernel provider, threads and the
     * ISO date the run ended.
     */
    static Map<String, Object> runReport(TrainResult r, Dataset data) {
        Map<String, Object> m = r.toJsonObject();
        Map<String, Object> sizes = new LinkedHashMap<>();
        sizes.put("users", data.numUsers());
        sizes.put("items", data.numItems());
        sizes.put("train", data.train().size());
        sizes.put("valid", data.valid().size());
        sizes.put("test", data.test().size());
        m.put("dataset_sizes", sizes);
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("weft", VERSION);
        env.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        env.put("kernels", Kernels.get().name());
        env.put("threads", Parallel.threads());
        env.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("env", env);
        return m;
    }

    /** Writes the JSON report and the HTML page where --report / --report-html asked for them (each atomically). */
    private static void writeReports(Setup s, Map<String, Object> rep, PrintStream out) {
        if (s.report() != null) {
            Json.writeFile(s.report(), rep);
            out.println("report written to " + s.report());
        }
        if (s.reportHtml() != null) {
            String source = s.report() != null ? String.valueOf(s.report().getFileName()) : "this run";
            HtmlReport.write(s.reportHtml(), List.of(Reports.of(source, Json.parse(Json.write(rep)))));
            out.println("report page written to " + s.reportHtml());
        }
    }

    /** {@code weft report FILE.json... --out FILE.html}: one HTML page for the reports weft wrote. */
    static int report(String[] argv, PrintStream out) {
        List<String> files = new ArrayList<>();
        List<String> flags = new ArrayList<>();
        for (int i = 1; i < argv.length; i++) {
            if (argv[i].startsWith("--")) {
                flags.add(argv[i]);
                if (argv[i].equals("--out") && i + 1 < argv.length) {
                    flags.add(argv[++i]);
                }
            } else {
                files.add(argv[i]);
            }
        }
        Args a = new Args().valued("out").parse(flags.toArray(new String[0]), 0);
        if (files.isEmpty()) {
            throw new Args.UsageException("give one or more report files: weft report FILE.json... --out report.html");
        }
        if (!a.has("out")) {
            throw new Args.UsageException("--out FILE.html is required");
        }
        List<Reports.Report> reports = new ArrayList<>();
        for (String f : files) {
            reports.add(Reports.read(Path.of(f)));
        }
        Path page = Path.of(a.string("out", null));
        HtmlReport.write(page, reports);
        out.println("report page written to " + page + " (" + reports.size() + (reports.size() == 1 ? " report)" : " reports)"));
        return 0;
    }

    /**
     * One row per model: test metrics at its best-valid epoch, seconds per epoch (and relative to
     * LightGCN's when it ran too), and the peak live heap.
     */
    static String compareTable(String dataset, List<TrainResult> runs) {
        double ref = Double.NaN;
        for (TrainResult r : runs) {
            if (r.model.equals("lightgcn")) {
                ref = r.trainSecondsPerEpoch();
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("test metrics at each model's best-valid epoch on ").append(dataset).append('\n');
        sb.append(String.format(Locale.ROOT, "%-12s %9s %9s %9s %9s %6s %10s %10s %10s %9s%n",
                "model", "Recall@10", "Recall@20", "NDCG@10", "NDCG@20", "best", "train s/ep", "x lightgcn",
                "eval s/ep", "heap MiB"));
        for (TrainResult r : runs) {
            double rel = r.trainSecondsPerEpoch() / ref;
            double live = r.peakLiveMib();
            sb.append(String.format(Locale.ROOT, "%-12s %9.4f %9.4f %9.4f %9.4f %6d %10.2f %10s %10.2f %9s%n", r.model,
                    r.test.get("Recall@10"), r.test.get("Recall@20"), r.test.get("NDCG@10"), r.test.get("NDCG@20"),
                    r.bestEpoch, r.trainSecondsPerEpoch(), Double.isNaN(rel) ? "-" : String.format(Locale.ROOT, "%.2f", rel),
                    r.evalSecondsPerEpoch(), live < 0 ? "-" : String.format(Locale.ROOT, "%.0f", live)));
        }
        return sb.toString();
    }

    static void printResult(PrintStream out, TrainResult r) {
        out.println();
        out.println(String.format(Locale.ROOT, "%s on %s: best epoch %d of %d (%.2fs train, %.2fs eval per epoch)",
                r.model, r.dataset, r.bestEpoch, r.epochs.size(), r.trainSecondsPerEpoch(), r.evalSecondsPerEpoch()));
        out.println(String.format(Locale.ROOT, "peak heap: %s MiB occupied after a collection, %s MiB used, of %s MiB",
                r.heap.get("peak_live_mib"), r.heap.get("peak_used_mib"), r.heap.get("max_heap_mib")));
        if (r.config.get("after_training") != null) {
            out.println("after training: " + r.config.get("after_training"));
        }
        if (r.collapsed()) {
            out.println(String.format(Locale.ROOT, "collapse: the best valid epoch is in the first 10 %% of the run and valid %s later fell %.1f %% below it",
                    TrainResult.COLLAPSE_METRIC, 100 * r.fallAfterBest()));
        }
        out.println("valid");
        out.print(r.valid.toTable());
        out.println("test");
        out.print(r.test.toTable());
    }

    static String usage() {
        return String.join("\n",
                "usage: weft COMMAND [options]",
                "commands:",
                "  train      train a model and report valid/test metrics at the best-valid epoch",
                "             --model " + String.join("|", Models.names()) + " [--data DIR (default test-data/)]",
                "             [--epochs 1000] [--patience 20] [--dim 64] [--lr 1e-3] [--reg 1e-4, bprmf 0.1] [--layers 3]",
                "             [--batch 2048] [--seed S] [--seeds N (runs seeds S..S+N-1; tables show mean ± std)] [--threads T]",
                "             [--report FILE.json] [--report-html FILE.html] [--save DIR (the best-valid model)] [--quiet]",
                "             [--checkpoint DIR [--checkpoint-every N (default 1)]] [--resume DIR (same flags as the run it continues)]",
                "             [--modality NAME=FILE.npy]... [--item-graph NAME=FILE.tsv]... [--feature-norm none|standardize|l2]",
                "             [model options: see below, or 'weft help MODEL'] [--config FILE.json (from tune --out; flags override it)]",
                "  compare    train several models with the same seed and print one table of test metrics",
                "             --models lightgcn,vbpr,freedom [--baseline lightgcn (mean relative difference, wins per seed)] [train's flags]",
                "             [--config MODEL=FILE.json]... [--drop-interactions F (seeded, training interactions only, same for all)]",
                "             [--report FILE.json (rewritten after every run; a rerun with it trains only the runs it lacks)]",
                "  tune       hyperparameter search on the valid set; test metrics of the chosen configuration only",
                "             --model NAME [--grid NAME=V1,V2,...]... (default: the model's declared grid) [--trials N (sampled)]",
                "             [--seeds N (each trial averaged)] [--out best.json] [--report FILE.json (rerun resumes)] [train's flags]",
                "  ablate     train a model, then once with each of its switches off; table relative to the full model",
                "             --model NAME [train's flags]",
                "  robustness train under feature noise and dropped training interactions; metrics relative to clean",
                "             --model NAME | --models A,B [--feature-noise 0.1,0.3,0.5] [--drop-interactions 0.2,0.4]",
                "  coldstart  hold items out of training, train, then rank them from their features for their users",
                "             --holdout-items 0.2 --models vbpr,freedom,... [train's flags]; vs random and feature-kNN baselines",
                "  report     one self-contained HTML page (charts, tables, run facts) from reports of train, compare,",
                "             ablate and robustness: FILE.json... --out report.html",
                "  recommend  top-k items from a saved model: --model DIR --user ID | --users FILE --out FILE.tsv",
                "             | --item ID (similar items) | --items A,B,C (a new user folded in) [--k 20] [--include-seen]",
                "             [--skip-unknown]; --new-items NAME=FILE.npy [--new-ids FILE] adds items unseen in",
                "             training from their feature rows (cold start, feature-reading models)",
                "  export     a saved model's embeddings for other tools: --model DIR --out FOLDER",
                "             (user_embeddings.npy, item_embeddings.npy, users.tsv, items.tsv)",
                "  models     the models, one per line (--markdown: the README's table)",
                "  info       version, JVM and the kernel provider in use",
                "  version    print the version",
                "  help MODEL one model's options with their defaults",
                "models (their own flags with defaults; docs/models.md says how the defaults were chosen):",
                modelHelp());
    }

    /** One line per model: name, what it is, then its own flags and switches with defaults. */
    static String modelHelp() {
        StringBuilder sb = new StringBuilder();
        for (ModelSpec m : Models.all()) {
            sb.append(String.format(Locale.ROOT, "  %-11s%s%n", m.name(), m.description()));
            String own = m.flagsHelp();
            if (!own.isEmpty()) {
                sb.append("             ").append(own).append('\n');
            }
        }
        return sb.toString().stripTrailing();
    }

    /** {@code weft help [MODEL]}: the usage, or one model's options. */
    static int help(String[] args, PrintStream out) {
        if (args.length < 2) {
            out.println(usage());
            return 0;
        }
        ModelSpec spec = requireModel(args[1]);
        out.println(spec.name() + ": " + spec.description());
        String opts = spec.optionsHelp();
        out.print(opts.isEmpty() ? "  no options of its own\n" : opts);
        if (!spec.ablations().isEmpty()) {
            out.println("ablation variants (weft ablate): "
                    + String.join(", ", spec.ablations().stream().map(ModelSpec.Variant::label).toList()));
        }
        return 0;
    }

    /** {@code weft models [--markdown]}: the models, or the README's table of them. */
    static int models(String[] args, PrintStream out) {
        Args a = new Args().switches("markdown").parse(args, 1);
        if (a.has("markdown")) {
            out.print(Models.markdownTable());
        } else {
            for (ModelSpec m : Models.all()) {
                out.println(String.format(Locale.ROOT, "%-11s %s", m.name(), m.description()));
            }
        }
        return 0;
    }
}
