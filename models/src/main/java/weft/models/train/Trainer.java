package weft.models.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import weft.autograd.OpProfile;
import weft.autograd.Var;
import weft.autograd.optim.Adam;
import weft.engine.Arena;
import weft.engine.Kernels;
import weft.engine.Tensor;
import weft.models.Recommender;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.eval.EvalResult;
import weft.models.eval.Evaluator;
import weft.models.io.Fingerprint;

/**
 * MMRec's training loop: epochs of shuffled BPR mini-batches (one fresh negative per positive),
 * Adam, evaluation on valid after every epoch, early stopping after {@code patience} epochs
 * without a better valid Recall@20, then the best epoch's parameters restored and its test
 * metrics reported.
 *
 * <p>With {@link TrainConfig#checkpointDir} the full training state is kept there after every
 * {@link TrainConfig#checkpointEvery} epochs and when the loop stops ({@link Checkpoint});
 * with {@link TrainConfig#resumeDir} a run continues from such a checkpoint after checking that
 * it is of the same model, settings and data, and keeps checkpointing into the same folder
 * (or {@code checkpointDir}, when given). A resumed run ends with the same result, to the bit,
 * as one never interrupted; only the wall-clock fields (seconds of the epochs trained after the
 * resume, the heap) differ.
 */
public final class Trainer {
    public static final String SELECTION_METRIC = "Recall@20";

    private final TrainConfig cfg;
    private final PrintStream out;

    public Trainer(TrainConfig cfg, PrintStream out) {
        this.cfg = cfg;
        this.out = out;
    }

    public TrainResult fit(Recommender model, Dataset data, Map<String, Object> modelConfig) {
        List<Var> params = model.parameters();
        if (params.isEmpty()) {
            if (cfg.checkpointDir != null || cfg.resumeDir != null) {
                throw new IllegalArgumentException((cfg.resumeDir != null ? "--resume" : "--checkpoint") + ": " + model.name()
                        + " has nothing to train, so nothing to checkpoint or resume");
            }
            return evaluateOnly(model, data, modelConfig);
        }
        Map<String, Object> config = new LinkedHashMap<>(modelConfig);
        config.putAll(cfg.asMap());
        Adam opt = new Adam(params, cfg.lr);
        Checkpoint.Run run = new Checkpoint.Run();
        run.best = snapshot(params, null);
        Path dir = cfg.checkpointDir != null ? cfg.checkpointDir : cfg.resumeDir;
        Checkpoint.Identity id = dir == null ? null
                : new Checkpoint.Identity(model.name(), data.name(), config, Fingerprint.of(data));
        int every = Math.max(0, cfg.checkpointEvery);
        if (cfg.resumeDir != null) {
            Checkpoint.Loaded ck = Checkpoint.read(cfg.resumeDir);
            ck.requireMatches(id, "--resume " + cfg.resumeDir);
            ck.restore(params, opt, run);
            if (every == 0) {
                every = ck.every;
            }
            if (cfg.verbose) {
                out.println(String.format(Locale.ROOT, "resuming from %s after epoch %d (best epoch %d, valid %s %.4f, %d since)",
                        cfg.resumeDir, run.epoch, run.bestEpoch, SELECTION_METRIC, run.bestScore, run.sinceBest));
            }
            if (!ck.kernels.equals(Kernels.get().name()) && cfg.verbose) {
                out.println("warning: the checkpoint was trained with kernels " + ck.kernels + ", this run uses " + Kernels.get().name()
                        + ": the continued run is valid but not bit-identical to an uninterrupted one");
            }
        }
        if (cfg.checkpointDir != null && Checkpoint.exists(cfg.checkpointDir)
                && (cfg.resumeDir == null || !sameFolder(cfg.checkpointDir, cfg.resumeDir))) {
            throw new IllegalArgumentException("--checkpoint " + cfg.checkpointDir + " already holds a checkpoint; continue it with --resume "
                    + cfg.checkpointDir + " or choose another folder");
        }
        if (every == 0) {
            every = 1;
        }
        TrainBatches batches = new TrainBatches(data, cfg.batch, cfg.seed);
        Evaluator evaluator = new Evaluator(data);
        Progress progress = cfg.verbose ? new Progress(out, batches.batchesPerEpoch()) : null;

        AutoCloseable lock = dir == null ? null : Checkpoint.lock(dir, cfg.checkpointDir != null ? "--checkpoint" : "--resume");
        HeapMeter heap = new HeapMeter();
        try {
            Checkpointer ck = dir == null ? null : new Checkpointer(dir, id, every, params, opt);
            return fit(model, data, config, params, opt, batches, evaluator, progress, heap, run, ck);
        } finally {
            heap.close();
            if (lock != null) {
                try {
                    lock.close();
                } catch (Exception ignored) {
                    // the process ending releases it as well
                }
            }
        }
    }

    private static boolean sameFolder(Path a, Path b) {
        try {
            return java.nio.file.Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    /** Writes the run's state every {@code every} epochs and when the loop stops. */
    private record Checkpointer(Path dir, Checkpoint.Identity id, int every, List<Var> params, Adam opt) {
        void after(Checkpoint.Run run, boolean last) {
            if ((run.epoch + 1) % every == 0 || last) {
                Checkpoint.write(dir, id, every, run, params, opt);
            }
        }
    }

    private TrainResult fit(Recommender model, Dataset data, Map<String, Object> config, List<Var> params, Adam opt,
                            TrainBatches batches, Evaluator evaluator, Progress progress, HeapMeter heap,
                            Checkpoint.Run run, Checkpointer ck) {
        Arena arena = new Arena();
        OpProfile.startRun();
        for (int epoch = run.epoch + 1; epoch < cfg.epochs && run.sinceBest < cfg.patience; epoch++) {
            OpProfile.epoch(epoch);
            long t0 = System.nanoTime();
            model.startEpoch(epoch);
            double lossSum = 0;
            int nb = 0;
            for (TrainBatches.Batch b : batches.epoch(epoch)) {
                float lv;
                try (Arena.Step step = arena.open()) {   // the step's tensors are recycled by the next step
                    OpProfile.step();
                    OpProfile.mark("(trainer: batch, and the evaluation between epochs)");
                    opt.zeroGrad();
                    OpProfile.mark("(trainer: zero gradients)");
                    Var loss = model.loss(b);
                    lv = loss.value.item();
                    if (!Float.isFinite(lv)) {
                        throw new IllegalStateException(String.format(Locale.ROOT,
                                "%s: loss became %s at epoch %d, batch %d (try a smaller --lr)", model.name(), lv, epoch, nb));
                    }
                    loss.backward();
                    OpProfile.mark("(backward: the rest)");
                    opt.step();
                    OpProfile.mark("(optimizer step)");
                }
                lossSum += lv;
                nb++;
                if (progress != null) {
                    progress.batch(epoch, nb, lossSum / nb);
                }
            }
            long t1 = System.nanoTime();
            // the arena is kept across evaluation: it holds its arrays weakly (see Arena)
            EvalResult valid = evaluator.valid(model.scorer());
            long t2 = System.nanoTime();
            TrainResult.Epoch e = new TrainResult.Epoch(epoch, lossSum / Math.max(1, nb), (t1 - t0) / 1e9, (t2 - t1) / 1e9, valid);
            run.history.add(e);
            run.epoch = epoch;
            double score = valid.get(SELECTION_METRIC);
            boolean improved = score > run.bestScore;
            if (improved) {
                run.bestScore = score;
                run.bestEpoch = epoch;
                run.bestValid = valid;
                run.sinceBest = 0;
                run.best = snapshot(params, run.best);
            } else {
                run.sinceBest++;
            }
            if (progress != null) {
                progress.epochDone(e, improved);
            }
            if (ck != null) {
                ck.after(run, epoch + 1 >= cfg.epochs || run.sinceBest >= cfg.patience);
            }
        }
        if (OpProfile.enabled()) {
            System.err.print(OpProfile.table(model.name() + " on " + data.name(), 40));
        }
        if (run.bestEpoch < 0) {
            throw new IllegalStateException("no epoch was trained (--epochs " + cfg.epochs + ")");
        }
        restore(params, run.best);
        EvalResult test = evaluator.test(model.scorer());
        Map<String, Object> trained = model.trainedFacts();
        Map<String, Object> cfgOut = config;
        if (!trained.isEmpty()) {
            cfgOut = new LinkedHashMap<>(config);
            cfgOut.put("after_training", trained);
        }
        return new TrainResult(model.name(), data.name(), run.bestEpoch, run.bestValid, test, run.history, cfgOut, heap.asMap());
    }

    /** A model with nothing to train (popularity): one evaluation, reported as epoch 0 with loss 0. */
    private TrainResult evaluateOnly(Recommender model, Dataset data, Map<String, Object> modelConfig) {
        try (HeapMeter heap = new HeapMeter()) {
            Evaluator evaluator = new Evaluator(data);
            long t0 = System.nanoTime();
            EvalResult valid = evaluator.valid(model.scorer());
            TrainResult.Epoch e = new TrainResult.Epoch(0, 0, 0, (System.nanoTime() - t0) / 1e9, valid);
            if (cfg.verbose) {
                new Progress(out, 1).epochDone(e, true);
            }
            EvalResult test = evaluator.test(model.scorer());
            Map<String, Object> config = new LinkedHashMap<>(modelConfig);
            config.putAll(cfg.asMap());
            return new TrainResult(model.name(), data.name(), 0, valid, test, List.of(e), config, heap.asMap());
        }
    }

    private static Tensor[] snapshot(List<Var> params, Tensor[] into) {
        Tensor[] s = into != null ? into : new Tensor[params.size()];
        for (int i = 0; i < s.length; i++) {
            Tensor v = params.get(i).value;
            if (s[i] == null) {
                s[i] = v.copy();
            } else {
                s[i].copyFrom(v);
            }
        }
        return s;
    }

    private static void restore(List<Var> params, Tensor[] saved) {
        for (int i = 0; i < saved.length; i++) {
            params.get(i).value.copyFrom(saved[i]);
        }
    }

    /** A progress bar on a terminal; one plain line per epoch otherwise. */
    private static final class Progress {
        private final PrintStream out;
        private final int batchesPerEpoch;
        private final boolean terminal = System.console() != null;
        private long lastDraw;

        Progress(PrintStream out, int batchesPerEpoch) {
            this.out = out;
            this.batchesPerEpoch = batchesPerEpoch;
        }

        void batch(int epoch, int done, double meanLoss) {
            if (!terminal) {
                return;
            }
            long now = System.nanoTime();
            if (now - lastDraw < 100_000_000L && done < batchesPerEpoch) {
                return;
            }
            lastDraw = now;
            int width = 30;
            int filled = (int) ((long) width * done / batchesPerEpoch);
            out.print(String.format(Locale.ROOT, "\repoch %4d [%s%s] %d/%d loss %.4f", epoch,
                    "=".repeat(filled), " ".repeat(width - filled), done, batchesPerEpoch, meanLoss));
            out.flush();
        }

        void epochDone(TrainResult.Epoch e, boolean improved) {
            if (terminal) {
                out.print("\r\033[K");
            }
            out.println(String.format(Locale.ROOT,
                    "epoch %4d  loss %.4f  train %.2fs  eval %.2fs  valid Recall@20 %.4f  NDCG@20 %.4f%s",
                    e.epoch(), e.loss(), e.trainSeconds(), e.evalSeconds(),
                    e.valid().get("Recall@20"), e.valid().get("NDCG@20"), improved ? "  *" : ""));
            out.flush();
        }
    }
}
