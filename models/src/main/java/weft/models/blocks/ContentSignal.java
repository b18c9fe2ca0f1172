package weft.models.blocks;

import java.util.LinkedHashMap;
import java.util.Map;

import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.CsrMatrix;
import weft.graph.KnnGraph;
import weft.models.data.Dataset;

/**
 * How much the item features say about which items share users, measured on the training
 * interactions only, and the weight of the content term that follows from it.
 *
 * <p>For each modality, with N(i) the {@value #NEIGHBOURS} nearest items to item i by cosine
 * similarity of the raw feature rows (i itself left out), the <i>lift</i> is
 * <pre>
 *   P(i and j share a training user | j in N(i))  /  P(i and j share a training user | j a random item)
 * </pre>
 * over the items i with at least one training interaction; the random items are
 * {@value #RANDOM_PER_ITEM} per such item, drawn uniformly (j != i) from a stream with a fixed
 * seed, so the lift is a property of the data, the same for every run seed. A lift of 1 means
 * that a feature neighbour is no more likely than any item to be bought by the same user: the
 * features say nothing about the interactions. Measured: Last.fm-2K's MiniLM text 3.5 and VGGish
 * audio 1.7 (5.5-5.9 and 2.2 with 70 % of the training interactions dropped); the generated
 * sparse-calibrated set 4.7 and 4.9; the generated sparse-weak set, whose features are nearly
 * noise, 1.12 and 1.29 (docs/models.md, section 4).
 *
 * <p>The weight of the content term is {@code w = min(1, max(0, lift - 1))} for the largest lift
 * over the modalities: full weight once a feature neighbour is at least twice as likely as a
 * random item to share a user, nothing when it is no more likely, linear between. Where the
 * random pairs share users fewer than {@value #MIN_EVIDENCE} times, or the catalogue has at most
 * {@link #SMALLEST_CATALOGUE} items (the neighbours would be a quarter of it or more), the lift is
 * not measured (too little to tell) and w = 1, the model as designed.
 */
public final class ContentSignal {
    private ContentSignal() {}

    /** Feature neighbours per item. */
    public static final int NEIGHBOURS = 10;
    /** Random items per item, for the chance rate. */
    public static final int RANDOM_PER_ITEM = 40;
    /** Shared-user random pairs below which the lift is not measured. */
    public static final int MIN_EVIDENCE = 20;
    /** Items at or below which the lift is not measured: the neighbours would be a quarter of the catalogue or more. */
    public static final int SMALLEST_CATALOGUE = 4 * NEIGHBOURS;
    private static final long SEED = 0x5EED_C0DEL;

    /**
     * The lifts per modality (NaN where not measured), the largest measured one (NaN if none),
     * and the content weight w in [0, 1].
     */
    public record Measured(Map<String, Double> lifts, double lift, double weight) {
        /** For a model's trained facts: {@code content_lift_<modality>} where measured, and {@code content_weight}. */
        public Map<String, Object> facts() {
            Map<String, Object> f = new LinkedHashMap<>();
            lifts.forEach((m, l) -> {
                if (!Double.isNaN(l)) f.put("content_lift_" + m, l);
            });
            f.put("content_weight", weight);
            return f;
        }
    }

    /** The lifts of {@code modalities} (item features, [items, f] each) on {@code data}'s training interactions. */
    public static Measured of(Dataset data, Map<String, Tensor> modalities) {
        CsrMatrix itemUsers = Graphs.interactions(data).transpose();
        Map<String, Double> lifts = new LinkedHashMap<>();
        double best = Double.NaN;
        for (Map.Entry<String, Tensor> m : modalities.entrySet()) {
            double l = lift(itemUsers, m.getValue());
            lifts.put(m.getKey(), l);
            if (!Double.isNaN(l) && (Double.isNaN(best) || l > best)) {
                best = l;
            }
        }
        return new Measured(lifts, best, weight(best));
    }

    /**
     * An item graph built from the features, trusted as far as the features are: {@code w S + (1 - w) I}
     * for w below 1, {@code graph} itself (the same object, so the same bits) at w = 1. A row-stochastic
     * graph stays row-stochastic; at w = 0 a hop over it is no hop.
     */
    public static CsrMatrix trusted(CsrMatrix graph, double w) {
        if (w >= 1) {
            return graph;
        }
        return CsrMatrix.weightedSum((float) w, graph, (float) (1 - w), CsrMatrix.identity(graph.rows()));
    }

    /** {@code min(1, max(0, lift - 1))}; 1 for an unmeasured (NaN) lift. */
    public static double weight(double lift) {
        return Double.isNaN(lift) ? 1.0 : Math.min(1.0, Math.max(0.0, lift - 1.0));
    }

    /**
     * The lift of one modality, or NaN where the random pairs share users fewer than
     * {@link #MIN_EVIDENCE} times or there are at most {@link #SMALLEST_CATALOGUE} items.
     * {@code itemUsers} is [items, users] (the transposed interactions); {@code features} has one
     * row per item.
     */
    public static double lift(CsrMatrix itemUsers, Tensor features) {
        int n = itemUsers.rows();
        if (features.rows != n) {
            throw new IllegalArgumentException("content signal: features " + features.shape() + " have " + features.rows
                    + " rows for " + n + " items");
        }
        if (n <= SMALLEST_CATALOGUE) {
            return Double.NaN;
        }
        // NEIGHBOURS + 1 nearest: the item itself is normally among them (n > SMALLEST_CATALOGUE, so they exist)
        CsrMatrix knn = KnnGraph.build(features, NEIGHBOURS + 1, KnnGraph.Weights.SIMILARITY);
        int[] stamp = new int[itemUsers.cols()];   // stamp[u] == i + 1: u interacted with item i
        long nearPairs = 0, nearShared = 0, randomPairs = 0, randomShared = 0;
        Rng rng = new Rng(SEED);
        for (int i = 0; i < n; i++) {
            if (itemUsers.rowEnd(i) == itemUsers.rowStart(i)) {
                continue;
            }
            for (int e = itemUsers.rowStart(i); e < itemUsers.rowEnd(i); e++) stamp[itemUsers.colAt(e)] = i + 1;
            for (int e = knn.rowStart(i), taken = 0; e < knn.rowEnd(i) && taken < NEIGHBOURS; e++) {
                int j = knn.colAt(e);
                if (j != i) {
                    taken++;
                    nearPairs++;
                    nearShared += shares(itemUsers, j, stamp, i + 1);
                }
            }
            for (int r = 0; r < RANDOM_PER_ITEM; r++) {
                int j = rng.nextInt(n - 1);
                if (j >= i) j++;   // uniform over the other items
                randomPairs++;
                randomShared += shares(itemUsers, j, stamp, i + 1);
            }
        }
        if (randomShared < MIN_EVIDENCE || nearPairs == 0) {
            return Double.NaN;
        }
        return ((double) nearShared / nearPairs) / ((double) randomShared / randomPairs);
    }

    private static int shares(CsrMatrix itemUsers, int j, int[] stamp, int mark) {
        for (int e = itemUsers.rowStart(j); e < itemUsers.rowEnd(j); e++) {
            if (stamp[itemUsers.colAt(e)] == mark) return 1;
        }
        return 0;
    }
}
