package weft.models.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import weft.models.ModelConfig;
import weft.models.ModelSpec;
import weft.models.Recommender;
import weft.models.blocks.DotScorer;
import weft.models.coldstart.CatalogueExtension;
import weft.models.coldstart.ColdStartEval;
import weft.models.eval.EvalResult;
import weft.models.options.Options;
import weft.models.train.TrainResult;
import weft.models.train.Trainer;
import weft.models.util.Json;

/**
 * {@code weft coldstart --holdout-items 0.2 --models vbpr,freedom,...}: holds a seeded share of the
 * items out of training entirely, trains each model on the rest under the usual protocol, then
 * ranks the held-out items (through their features) for the users who interacted with them,
 * beside a random and a feature-kNN baseline ({@link ColdStartEval}).
 */
final class ColdstartCommand {
    static final double DEFAULT_SHARE = 0.2;

    private ColdstartCommand() {}

    static int run(String[] argv, PrintStream out) {
        Args a = Main.commonFlags("models", "holdout-items").parse(argv, 1);
        String list = a.string("models", null);
        if (list == null) {
            throw new Args.UsageException("--models is required, e.g. --models vbpr,freedom (feature-reading models: "
                    + String.join(", ", CatalogueExtension.featureModels()) + ")");
        }
        double share = a.real("holdout-items", DEFAULT_SHARE, 0);
        if (!(share > 0 && share < 1)) {
            throw new Args.UsageException("--holdout-items must be a share of the items in (0, 1), got " + a.string("holdout-items", ""));
        }
        if (a.has("report-html")) {
            throw new Args.UsageException("--report-html is not available for coldstart; use --report FILE.json");
        }
        if (a.integer("seeds", 1, 1) != 1) {
            throw new Args.UsageException("--seeds: coldstart runs one seed (--seed S)");
        }
        List<ModelSpec> models = new ArrayList<>();
        for (String m : list.split(",")) {
            if (!m.isBlank()) {
                ModelSpec spec = Main.requireModel(m.trim());
                if (!spec.readsFeatures()) {
                    throw new Args.UsageException("--models: " + spec.name() + " reads no item features, so it cannot score items "
                            + "unseen in training; cold start works with " + String.join(", ", CatalogueExtension.featureModels()));
                }
                if (!models.contains(spec)) {
                    models.add(spec);
                }
            }
        }
        if (models.isEmpty()) {
            throw new Args.UsageException("--models lists no model");
        }
        Main.checkModelFlags(a, models);
        List<Options> opts = new ArrayList<>();
        for (ModelSpec m : models) {
            opts.add(Main.modelOptions(m, a)); // a bad value fails before the first model trains
        }
        Main.Setup s = Main.setup(a, out);
        requireWritable(s.report());
        for (ModelSpec m : models) {
            CatalogueExtension.requireSupported(m, s.data());
        }
        long seed = s.train().seed;
        ColdStartEval.Holdout h = ColdStartEval.holdout(s.data(), share, seed);
        if (h.users() == 0) {
            throw new IllegalArgumentException("no user has both held-out items and kept training items; hold out more items");
        }
        String header = String.format(Locale.ROOT, "cold start on %s: %d of %d items held out (seed %d), %d users rank the %d held-out items"
                        + "%s", s.data().name(), h.candidates(), s.data().numItems(), seed, h.users(), h.candidates(),
                h.skippedUsers() == 0 ? "" : " (" + h.skippedUsers() + (h.skippedUsers() == 1 ? " user" : " users") + " whose every training item was held out " + (h.skippedUsers() == 1 ? "is" : "are") + " left out)");
        if (s.train().verbose) {
            out.println(header);
        }

        List<String> names = new ArrayList<>();
        List<EvalResult> results = new ArrayList<>();
        List<Integer> bestEpochs = new ArrayList<>();
        names.add("random");
        results.add(ColdStartEval.evaluate(h, ColdStartEval.randomScorer(seed)));
        bestEpochs.add(null);
        names.add("feature-knn");
        results.add(ColdStartEval.evaluate(h, ColdStartEval.featureKnn(h)));
        bestEpochs.add(null);

        Main.Setup kept = s.on(h.kept());
        List<Object> runs = new ArrayList<>();
        for (int k = 0; k < models.size(); k++) {
            ModelSpec spec = models.get(k);
            ModelConfig mc = spec.withDefaults(s.model(), a.has("reg"), a.has("layers"));
            Recommender rec = spec.create(h.kept(), mc, opts.get(k));
            Map<String, Object> cfg = spec.config(mc, opts.get(k));
            cfg.put("modalities", List.copyOf(h.kept().modalities().keySet()));
            cfg.putAll(rec.facts());
            if (s.train().verbose) {
                out.println("training " + spec.name() + " on the kept items: " + h.kept());
            }
            TrainResult r = new Trainer(kept.train(), out).fit(rec, h.kept(), cfg);
            DotScorer ext = CatalogueExtension.withNewItems(spec, h.kept(), mc, opts.get(k), rec, h.heldOutFeatures());
            EvalResult cold = ColdStartEval.evaluate(h, ColdStartEval.candidates(h, ext));
            names.add(spec.name());
            results.add(cold);
            bestEpochs.add(r.bestEpoch);
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("model", spec.name());
            run.put("cold", cold.asMap());
            run.put("warm", Main.runReport(r, h.kept()));
            runs.add(run);
        }
        out.println();
        out.print(table(header, names, results, bestEpochs));
        if (s.report() != null) {
            Map<String, Object> rep = new LinkedHashMap<>();
            rep.put("dataset", s.data().name());
            rep.put("protocol", "coldstart");
            rep.put("holdout_items", share);
            rep.put("seed", seed);
            rep.put("items", s.data().numItems());
            rep.put("held_out", h.candidates());
            rep.put("users_ranked", h.users());
            rep.put("users_left_out", h.skippedUsers());
            Map<String, Object> base = new LinkedHashMap<>();
            base.put("random", results.get(0).asMap());
            base.put("feature-knn", results.get(1).asMap());
            rep.put("baselines", base);
            rep.put("runs", runs);
            rep.put("held_out_ids", h.heldOutIds(s.data()));
            Json.writeFile(s.report(), rep);
            out.println("report written to " + s.report());
        }
        return 0;
    }

    /** Fails naming --report when the report could not be written at the end (checked before any training). */
    static void requireWritable(Path report) {
        if (report == null) {
            return;
        }
        if (Files.isDirectory(report)) {
            throw new Args.UsageException("--report: '" + report + "' is a folder; give a file name, e.g. " + report.resolve("coldstart.json"));
        }
        if (Files.exists(report) && !Files.isWritable(report)) {
            throw new Args.UsageException("--report: '" + report + "' is not writable");
        }
        Path dir = report.toAbsolutePath().getParent();
        while (dir != null && !Files.exists(dir)) {
            dir = dir.getParent();
        }
        if (dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new Args.UsageException("--report: cannot create '" + report + "' (" + (dir == null ? "no folder" : "'" + dir + "' is not a writable folder") + ")");
        }
    }

    /** Recall@20 and NDCG@20 over the held-out candidates, one row per baseline and model. */
    static String table(String header, List<String> names, List<EvalResult> results, List<Integer> bestEpochs) {
        StringBuilder sb = new StringBuilder(header).append('\n');
        sb.append(String.format(Locale.ROOT, "%-12s %9s %9s %9s %9s %6s%n", "", "Recall@20", "NDCG@20", "Recall@50", "NDCG@50", "best"));
        for (int i = 0; i < names.size(); i++) {
            EvalResult r = results.get(i);
            sb.append(String.format(Locale.ROOT, "%-12s %9.4f %9.4f %9.4f %9.4f %6s%n", names.get(i), r.get("Recall@20"), r.get("NDCG@20"),
                    r.get("Recall@50"), r.get("NDCG@50"), bestEpochs.get(i) == null ? "-" : bestEpochs.get(i).toString()));
        }
        return sb.toString();
    }
}
