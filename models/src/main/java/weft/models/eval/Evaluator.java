package weft.models.eval;

import weft.engine.Parallel;
import weft.engine.Tensor;
import weft.models.data.Dataset;
import weft.models.data.UserItems;

import java.util.Arrays;

/**
 * Full-ranking evaluation under the MMRec protocol (docs/models.md):
 * <ol>
 *   <li>only users with ground truth (a non-empty valid or test list) are evaluated;</li>
 *   <li>the model scores each of them against all items ({@link Scorer}, users in batches);</li>
 *   <li>the user's training items are masked out (for valid and for test alike; valid items are
 *       NOT masked when testing, as in MMRec);</li>
 *   <li>the top max(K) remaining items are selected per user ({@link TopK}; ties: lower item id
 *       first);</li>
 *   <li>{@link Metric}s at each K are computed per user and averaged over users.</li>
 * </ol>
 * A user with fewer than K unmasked items gets a shorter list; its missing positions count as
 * misses (Precision still divides by K).
 *
 * <p>Deterministic: each average is the exact sum of the per-user values ({@link ExactSum}),
 * rounded once, divided by the number of users, so it does not depend on the thread count, the
 * batch size, or the order or grouping in which users are evaluated: a distributed evaluation
 * that merges {@link ExactSum}s of its parts gives the same bits.
 */
public final class Evaluator {
    /** MMRec's cut-offs. */
    public static final int[] DEFAULT_KS = {5, 10, 20, 50};
    /** Score-buffer budget per batch (floats): 32 MB keeps memory flat whatever the catalogue size. */
    private static final int BATCH_FLOATS = 1 << 23;

    private final UserItems mask;
    private final int numItems;
    private final int[] ks;
    private final int batchUsers;
    private final Dataset dataset;

    /** Evaluates against {@code dataset}'s valid / test sets, masking its training items, at {@link #DEFAULT_KS}. */
    public Evaluator(Dataset dataset) {
        this(dataset, dataset.train(), DEFAULT_KS, 0);
    }

    /**
     * A general evaluator.
     *
     * @param mask items to exclude per user (the training set); may be null for no masking
     * @param ks cut-offs (distinct, positive; sorted here)
     * @param batchUsers users per scoring batch, or 0 to size batches from the catalogue
     */
    public Evaluator(UserItems mask, int numItems, int[] ks, int batchUsers) {
        this(null, mask, numItems, ks, batchUsers);
    }

    private Evaluator(Dataset dataset, UserItems mask, int[] ks, int batchUsers) {
        this(dataset, mask, dataset.numItems(), ks, batchUsers);
    }

    private Evaluator(Dataset dataset, UserItems mask, int numItems, int[] ks, int batchUsers) {
        if (ks.length == 0) {
            throw new IllegalArgumentException("Evaluator: no cut-offs K given");
        }
        int[] sorted = ks.clone();
        Arrays.sort(sorted);
        for (int j = 0; j < sorted.length; j++) {
            if (sorted[j] < 1 || (j > 0 && sorted[j] == sorted[j - 1])) {
                throw new IllegalArgumentException("Evaluator: cut-offs must be distinct positive integers, got " + Arrays.toString(ks));
            }
        }
        if (mask != null && mask.numItems() != numItems) {
            throw new IllegalArgumentException("Evaluator: mask has " + mask.numItems() + " items, catalogue " + numItems);
        }
        if (batchUsers < 0) {
            throw new IllegalArgumentException("Evaluator: batchUsers must be >= 0, got " + batchUsers);
        }
        this.dataset = dataset;
        this.mask = mask;
        this.numItems = numItems;
        this.ks = sorted;
        this.batchUsers = batchUsers > 0 ? batchUsers : Math.max(1, Math.min(1024, BATCH_FLOATS / Math.max(1, numItems)));
    }

    /** The same evaluator with other cut-offs. */
    public Evaluator withKs(int... newKs) {
        return new Evaluator(dataset, mask, numItems, newKs, batchUsers);
    }

    /** The same evaluator scoring {@code n} users per batch. */
    public Evaluator withBatchUsers(int n) {
        return new Evaluator(dataset, mask, numItems, ks, n);
    }

    /** Metrics on the dataset's validation set. */
    public EvalResult valid(Scorer scorer) {
        return evaluate(scorer, requireDataset().valid());
    }

    /** Metrics on the dataset's test set. */
    public EvalResult test(Scorer scorer) {
        return evaluate(scorer, requireDataset().test());
    }

    private Dataset requireDataset() {
        if (dataset == null) {
            throw new IllegalStateException("this Evaluator was built without a Dataset; call evaluate(scorer, truth)");
        }
        return dataset;
    }

    /** Metrics of {@code scorer} against ground truth {@code truth} (per-user relevant items). */
    public EvalResult evaluate(Scorer scorer, UserItems truth) {
        if (truth.numItems() != numItems) {
            throw new IllegalArgumentException("Evaluator: ground truth has " + truth.numItems() + " items, catalogue " + numItems);
        }
        if (mask != null && truth.numUsers() > mask.numUsers()) {
            throw new IllegalArgumentException("Evaluator: ground truth has " + truth.numUsers() + " users, mask " + mask.numUsers());
        }
        int nUsers = 0;
        for (int u = 0; u < truth.numUsers(); u++) {
            if (truth.count(u) > 0) nUsers++;
        }
        int[] evalUsers = new int[nUsers];
        for (int u = 0, w = 0; u < truth.numUsers(); u++) {
            if (truth.count(u) > 0) evalUsers[w++] = u;
        }
        final int nk = ks.length, nm = Metric.values().length, stride = nm * nk;
        final int maxK = ks[nk - 1];
        double[] perUser = new double[nUsers * stride];
        Tensor buffer = nUsers == 0 ? null : new Tensor(Math.min(batchUsers, nUsers), numItems);
        for (int b0 = 0; b0 < nUsers; b0 += batchUsers) {
            final int b = Math.min(batchUsers, nUsers - b0);
            final int base = b0;
            int[] batch = Arrays.copyOfRange(evalUsers, b0, b0 + b);
            Tensor scores = buffer.rowBlock(0, b);
            scorer.score(batch, scores);
            Parallel.forRange(b, 16, (from, to) -> {
                TopK topK = new TopK(maxK);
                int[] ranked = new int[maxK];
                double[] vals = new double[stride];
                for (int r = from; r < to; r++) {
                    int u = batch[r];
                    int len = topK.select(scores.data, scores.offset + r * numItems, numItems, mask, u, ranked);
                    userMetrics(ranked, len, truth, u, ks, vals);
                    System.arraycopy(vals, 0, perUser, (base + r) * stride, stride);
                }
            });
        }
        ExactSum[] sums = newSums(stride);
        for (int w = 0; w < nUsers; w++) {
            for (int c = 0; c < stride; c++) {
                sums[c].add(perUser[w * stride + c]);
            }
        }
        return result(ks, sums, nUsers);
    }

    /** One {@link ExactSum} per metric and cut-off, indexed {@code metric.ordinal() * ks.length + j}. */
    public static ExactSum[] newSums(int stride) {
        ExactSum[] s = new ExactSum[stride];
        for (int c = 0; c < stride; c++) {
            s[c] = new ExactSum();
        }
        return s;
    }

    /**
     * The averages from the exact sums of the per-user values of {@link #userMetrics} (indexed as
     * its output) over {@code nUsers} users: what {@link #evaluate} returns.
     */
    public static EvalResult result(int[] ks, ExactSum[] sums, int nUsers) {
        int nk = ks.length, nm = Metric.values().length;
        if (sums.length != nm * nk) {
            throw new IllegalArgumentException("Evaluator: " + sums.length + " sums for " + nm + " metrics x " + nk + " cut-offs");
        }
        double[][] avg = new double[nm][nk];
        for (int m = 0; m < nm; m++) {
            for (int j = 0; j < nk; j++) {
                avg[m][j] = nUsers > 0 ? sums[m * nk + j].value() / nUsers : 0.0;
            }
        }
        return new EvalResult(ks, avg, nUsers);
    }

    /** The cut-offs, ascending. */
    public int[] ks() {
        return ks.clone();
    }

    /**
     * One user's metrics from the ranked list {@code ranked[0..len)} (best first) against the
     * user's relevant items in {@code truth}; writes {@code out[metric.ordinal() * ks.length + j]}
     * for cut-off {@code ks[j]} (ks ascending). See {@link Metric} for the formulas.
     */
    public static void userMetrics(int[] ranked, int len, UserItems truth, int user, int[] ks, double[] out) {
        int nT = truth.count(user);
        if (nT == 0) {
            throw new IllegalArgumentException("user " + user + " has no ground truth; such users are skipped, not scored");
        }
        int nk = ks.length;
        int j = 0, hits = 0;
        double dcg = 0, idcg = 0, apSum = 0;
        // Walk positions 1..maxK once, emitting each metric as a cut-off is reached.
        int maxK = ks[nk - 1];
        for (int pos = 1; pos <= maxK && j < nk; pos++) {
            double disc = 1.0 / (Math.log(pos + 1) / Math.log(2));
            if (pos <= nT) {
                idcg += disc;
            }
            if (pos <= len && truth.contains(user, ranked[pos - 1])) {
                hits++;
                dcg += disc;
                apSum += (double) hits / pos;
            }
            while (j < nk && ks[j] == pos) {
                int k = ks[j];
                out[Metric.RECALL.ordinal() * nk + j] = (double) hits / nT;
                out[Metric.NDCG.ordinal() * nk + j] = dcg / idcg;
                out[Metric.PRECISION.ordinal() * nk + j] = (double) hits / k;
                out[Metric.MAP.ordinal() * nk + j] = apSum / Math.min(nT, k);
                out[Metric.HIT.ordinal() * nk + j] = hits > 0 ? 1.0 : 0.0;
                j++;
            }
        }
    }
}
