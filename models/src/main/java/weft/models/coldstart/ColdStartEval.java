package weft.models.coldstart;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.blocks.DotScorer;
import weft.models.blocks.Features;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.IdMap;
import weft.models.data.Seeds;
import weft.models.data.Split;
import weft.models.data.UserItems;
import weft.models.eval.EvalResult;
import weft.models.eval.Evaluator;
import weft.models.eval.Scorer;

/**
 * The cold-start protocol of {@code weft coldstart}:
 * <ol>
 *   <li>a seeded share of the items is held out of training entirely: their interactions leave
 *       train, valid and test, the kept items are reindexed densely (in their original order) and
 *       their features subset; {@code --feature-norm} is re-fitted on the kept items, so nothing
 *       of the held-out items reaches training;</li>
 *   <li>the models train on the kept data under the usual protocol;</li>
 *   <li>the held-out items join the catalogue through their features ({@link CatalogueExtension}),
 *       and every user with held-out items (in any split of the original data) and at least one
 *       kept training item ranks the held-out items only: they are the candidates, so nothing is
 *       masked; the ground truth is the user's held-out items;</li>
 *   <li>Recall@20 and NDCG@20 are the MMRec definitions ({@link Evaluator}).</li>
 * </ol>
 * Users whose every training item was held out are left out (their user embedding was never
 * trained, and the kNN baseline has no profile): their number is reported.
 */
public final class ColdStartEval {
    /** The cut-offs reported. */
    public static final int[] KS = {10, 20, 50};

    private ColdStartEval() {}

    /**
     * A held-out split of a dataset.
     *
     * @param kept the training data: kept items only, reindexed
     * @param keptItems original index of each kept item (kept index -> original)
     * @param heldOut original index of each held-out item, ascending (candidate j -> original)
     * @param heldOutFeatures the held-out items' features per modality, normalised as {@code kept}'s
     *     (their rows in the order of {@code heldOut})
     * @param truth per user, the held-out candidates (0..heldOut.length) the user interacted with in
     *     any split, for the evaluated users only
     * @param skippedUsers users with held-out items but no kept training item
     */
    public record Holdout(Dataset kept, int[] keptItems, int[] heldOut, Map<String, Tensor> heldOutFeatures, UserItems truth,
                          int skippedUsers) {
        /** The held-out items' raw ids, in candidate order. */
        public List<String> heldOutIds(Dataset original) {
            List<String> ids = new ArrayList<>(heldOut.length);
            for (int i : heldOut) {
                ids.add(original.itemIds().raw(i));
            }
            return ids;
        }

        public int candidates() {
            return heldOut.length;
        }

        /** Number of users ranked. */
        public int users() {
            return truth.nonEmptyUsers();
        }
    }

    /** Holds out {@code round(share * items)} items drawn with {@code seed} (at least one, and one is kept). */
    public static Holdout holdout(Dataset data, double share, long seed) {
        if (!(share > 0 && share < 1)) {
            throw new IllegalArgumentException("the held-out share must be in (0, 1), got " + share);
        }
        int items = data.numItems();
        int n = (int) Math.round(share * items);
        if (n < 1 || n >= items) {
            throw new IllegalArgumentException("holding out " + share + " of " + items + " items leaves " + (n < 1 ? "none held out"
                    : "no item to train on"));
        }
        int[] perm = new int[items];
        for (int i = 0; i < items; i++) {
            perm[i] = i;
        }
        new Rng(Seeds.mix(seed, 0xC01D)).shuffle(perm, items);
        int[] heldOut = Arrays.copyOf(perm, n);
        Arrays.sort(heldOut);
        boolean[] out = new boolean[items];
        for (int i : heldOut) {
            out[i] = true;
        }
        int[] newIndex = new int[items];
        int[] keptItems = new int[items - n];
        int[] candidate = new int[items];
        for (int i = 0, k = 0, c = 0; i < items; i++) {
            if (out[i]) {
                newIndex[i] = -1;
                candidate[i] = c++;
            } else {
                newIndex[i] = k;
                candidate[i] = -1;
                keptItems[k++] = i;
            }
        }
        int users = data.numUsers();
        Split split = new Split(keep(data.train(), newIndex, keptItems.length), keep(data.valid(), newIndex, keptItems.length),
                keep(data.test(), newIndex, keptItems.length));

        // Features as stored, re-normalised on the kept items only.
        Map<String, Tensor> keptMods = new LinkedHashMap<>();
        Map<String, Tensor> heldMods = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            FeatureNorm.Fitted full = data.featureNorms().get(e.getKey());
            Tensor raw = full == null ? e.getValue() : unapply(full, e.getValue());
            Tensor keptRaw = rows(raw, keptItems), heldRaw = rows(raw, heldOut);
            FeatureNorm.Fitted fitted = full == null ? FeatureNorm.NONE.fit(keptRaw) : full.norm().fit(keptRaw);
            keptMods.put(e.getKey(), fitted.apply(keptRaw));
            heldMods.put(e.getKey(), fitted.apply(heldRaw));
        }
        Dataset kept = new Dataset(data.name(), split, keptMods);
        String[] ids = new String[keptItems.length];
        for (int k = 0; k < ids.length; k++) {
            ids[k] = data.itemIds().raw(keptItems[k]);
        }
        kept = kept.withIds(data.userIds(), IdMap.of(ids));

        // Ground truth: each user's held-out items in any split, for users with kept training items.
        List<int[]> pairs = new ArrayList<>();
        int skipped = 0;
        for (int u = 0; u < users; u++) {
            List<Integer> mine = new ArrayList<>();
            for (UserItems part : List.of(data.train(), data.valid(), data.test())) {
                for (int p = part.start(u); p < part.end(u); p++) {
                    int c = candidate[part.itemAt(p)];
                    if (c >= 0) {
                        mine.add(c);
                    }
                }
            }
            if (mine.isEmpty()) {
                continue;
            }
            if (split.train().count(u) == 0) {
                skipped++;
                continue;
            }
            for (int c : mine) {
                pairs.add(new int[] {u, c});
            }
        }
        int[] tu = new int[pairs.size()], ti = new int[pairs.size()];
        for (int k = 0; k < tu.length; k++) {
            tu[k] = pairs.get(k)[0];
            ti[k] = pairs.get(k)[1];
        }
        return new Holdout(kept, keptItems, heldOut, heldMods, UserItems.fromPairs(users, n, tu, ti), skipped);
    }

    /** Recall, NDCG, ... at {@link #KS} of {@code scorer} (users x candidates) against the holdout's truth. */
    public static EvalResult evaluate(Holdout h, Scorer candidateScorer) {
        return new Evaluator(null, h.candidates(), KS, 0).evaluate(candidateScorer, h.truth());
    }

    /** The candidates' block of an extended model's scorer: all users against the held-out items (rows after the kept ones). */
    public static DotScorer candidates(Holdout h, DotScorer extended) {
        int kept = h.kept().numItems();
        if (extended.items().rows != kept + h.candidates()) {
            throw new IllegalArgumentException("extended scorer has " + extended.items().rows + " items, expected " + kept + " + "
                    + h.candidates());
        }
        return DotScorer.of(extended.users(), extended.items().rowBlock(kept, h.candidates()));
    }

    /** Uniform random scores, drawn per user from {@code (seed, user)} (the same whatever the batching). */
    public static Scorer randomScorer(long seed) {
        return (batch, out) -> {
            for (int r = 0; r < batch.length; r++) {
                Rng rng = new Rng(Seeds.mix(seed, 0x5A4D, batch[r]));
                int o = out.offset + r * out.cols;
                for (int c = 0; c < out.cols; c++) {
                    out.data[o + c] = rng.nextFloat();
                }
            }
        };
    }

    /**
     * The feature-kNN baseline: {@code score(u, j)} = mean over u's (kept) training items i of
     * cos(x_i, x_j), where x is every modality's features L2-normalised, concatenated and scaled
     * by 1/sqrt(M), so that the dot product of two such rows is the mean of the per-modality
     * cosines (equal weight per modality). As a dot product: the user's vector is the mean of the
     * training items' rows.
     */
    public static DotScorer featureKnn(Holdout h) {
        Tensor keptX = unitRows(h.kept().modalities());
        Tensor heldX = unitRows(h.heldOutFeatures());
        UserItems train = h.kept().train();
        Tensor users = new Tensor(train.numUsers(), keptX.cols);
        for (int u = 0; u < train.numUsers(); u++) {
            int cnt = train.count(u);
            if (cnt == 0) {
                continue;
            }
            int o = u * keptX.cols;
            for (int p = train.start(u); p < train.end(u); p++) {
                int io = keptX.offset + train.itemAt(p) * keptX.cols;
                for (int c = 0; c < keptX.cols; c++) {
                    users.data[o + c] += keptX.data[io + c];
                }
            }
            for (int c = 0; c < keptX.cols; c++) {
                users.data[o + c] /= cnt;
            }
        }
        return DotScorer.of(users, heldX);
    }

    /** Each modality row-L2-normalised, concatenated, times 1/sqrt(M). */
    static Tensor unitRows(Map<String, Tensor> mods) {
        List<Tensor> parts = new ArrayList<>();
        for (Tensor t : mods.values()) {
            parts.add(FeatureNorm.L2.apply(t));
        }
        Tensor x = Features.concatColumns(parts);
        float s = (float) (1 / Math.sqrt(parts.size()));
        for (int i = 0; i < x.data.length; i++) {
            x.data[i] *= s;
        }
        return x;
    }

    /** The lists with held-out items dropped and kept items renumbered. */
    private static UserItems keep(UserItems ui, int[] newIndex, int keptItems) {
        int[] us = ui.userColumn(), is = ui.itemColumn();
        int w = 0;
        for (int k = 0; k < us.length; k++) {
            int i = newIndex[is[k]];
            if (i >= 0) {
                us[w] = us[k];
                is[w++] = i;
            }
        }
        return UserItems.fromPairs(ui.numUsers(), keptItems, Arrays.copyOf(us, w), Arrays.copyOf(is, w));
    }

    private static Tensor rows(Tensor x, int[] idx) {
        Tensor out = new Tensor(idx.length, x.cols);
        for (int r = 0; r < idx.length; r++) {
            System.arraycopy(x.data, x.offset + idx[r] * x.cols, out.data, r * x.cols, x.cols);
        }
        return out;
    }

    /**
     * The features before a fitted normalisation: standardize is inverted (x / inv + mean; a
     * constant column, inv 0, is its mean); none and l2 are row-wise, so the rows are returned as
     * they are (l2 applied again is the identity).
     */
    static Tensor unapply(FeatureNorm.Fitted f, Tensor x) {
        if (f.norm() != FeatureNorm.STANDARDIZE) {
            return x;
        }
        double[] mean = f.mean(), inv = f.inverseStd();
        Tensor out = new Tensor(x.rows, x.cols);
        for (int r = 0; r < x.rows; r++) {
            for (int c = 0; c < x.cols; c++) {
                double v = x.data[x.offset + r * x.cols + c];
                out.data[r * x.cols + c] = (float) (inv[c] == 0 ? mean[c] : v / inv[c] + mean[c]);
            }
        }
        return out;
    }
}
