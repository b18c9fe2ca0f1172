package weft.models.train;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import weft.autograd.Var;
import weft.autograd.optim.Adam;
import weft.engine.Tensor;
import weft.models.Recommender;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.eval.EvalResult;
import weft.models.eval.Evaluator;

/**
 * MMRec's training loop: epochs of shuffled BPR mini-batches (one fresh negative per positive),
 * Adam, evaluation on valid after every epoch, early stopping after {@code patience} epochs
 * without a better valid Recall@20, then the best epoch's parameters restored and its test
 * metrics reported.
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
            return evaluateOnly(model, data, modelConfig);
        }
        Adam opt = new Adam(params, cfg.lr);
        TrainBatches batches = new TrainBatches(data, cfg.batch, cfg.seed);
        Evaluator evaluator = new Evaluator(data);
        Progress progress = cfg.verbose ? new Progress(out, batches.batchesPerEpoch()) : null;

        HeapMeter heap = new HeapMeter();
        try {
            return fit(model, data, modelConfig, params, opt, batches, evaluator, progress, heap);
        } finally {
            heap.close();
        }
    }

    private TrainResult fit(Recommender model, Dataset data, Map<String, Object> modelConfig, List<Var> params,
                            Adam opt, TrainBatches batches, Evaluator evaluator, Progress progress, HeapMeter heap) {
        List<TrainResult.Epoch> log = new ArrayList<>();
        Tensor[] best = snapshot(params, null);
        double bestScore = Double.NEGATIVE_INFINITY;
        int bestEpoch = -1;
        EvalResult bestValid = null;
        int sinceBest = 0;
        for (int epoch = 0; epoch < cfg.epochs; epoch++) {
            long t0 = System.nanoTime();
            model.startEpoch(epoch);
            double lossSum = 0;
            int nb = 0;
            for (TrainBatches.Batch b : batches.epoch(epoch)) {
                opt.zeroGrad();
                Var loss = model.loss(b);
                float lv = loss.value.item();
                if (!Float.isFinite(lv)) {
                    throw new IllegalStateException(String.format(Locale.ROOT,
                            "%s: loss became %s at epoch %d, batch %d (try a smaller --lr)", model.name(), lv, epoch, nb));
                }
                loss.backward();
                opt.step();
                lossSum += lv;
                nb++;
                if (progress != null) {
                    progress.batch(epoch, nb, lossSum / nb);
                }
            }
            long t1 = System.nanoTime();
            EvalResult valid = evaluator.valid(model.scorer());
            long t2 = System.nanoTime();
            TrainResult.Epoch e = new TrainResult.Epoch(epoch, lossSum / Math.max(1, nb), (t1 - t0) / 1e9, (t2 - t1) / 1e9, valid);
            log.add(e);
            double score = valid.get(SELECTION_METRIC);
            boolean improved = score > bestScore;
            if (improved) {
                bestScore = score;
                bestEpoch = epoch;
                bestValid = valid;
                sinceBest = 0;
                best = snapshot(params, best);
            } else {
                sinceBest++;
            }
            if (progress != null) {
                progress.epochDone(e, improved);
            }
            if (sinceBest >= cfg.patience) {
                break;
            }
        }
        if (bestEpoch < 0) {
            throw new IllegalStateException("no epoch was trained (--epochs " + cfg.epochs + ")");
        }
        restore(params, best);
        EvalResult test = evaluator.test(model.scorer());
        Map<String, Object> config = new LinkedHashMap<>(modelConfig);
        config.putAll(cfg.asMap());
        return new TrainResult(model.name(), data.name(), bestEpoch, bestValid, test, log, config, heap.asMap());
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
