package weft.graph;

import java.util.Arrays;

import it.unimi.dsi.fastutil.doubles.DoubleArrays;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import weft.engine.Rng;

/**
 * Random sub-graphs of the user-item graph, as sorted lists of kept edge ids (entry ids of the
 * interaction matrix R, see {@link CsrMatrix}); {@link Adjacency#normalizedKept} turns a list into
 * the renormalised adjacency. Every draw is sequential from one seeded {@link Rng}, so the result
 * depends only on the seed, never on the thread count.
 *
 * <ul>
 * <li>Edge dropout: every edge is kept independently with probability 1 - p.</li>
 * <li>FREEDOM's degree-sensitive pruning: m = floor(|E| (1 - rho)) edges are drawn without
 * replacement, each draw choosing among the remaining edges with probability proportional to
 * w_e = 1 / sqrt(d_u d_i) (full-graph degrees), as {@code torch.multinomial(w, m)} does. Edges
 * between low-degree nodes are kept more often, so pruning removes mostly the redundant links of
 * popular users and items. Implemented with Efraimidis-Spirakis keys: with U_e uniform,
 * k_e = -ln(U_e) / w_e is exponential with rate w_e, and the m smallest keys are distributed
 * exactly as m successive weighted draws without replacement.</li>
 * </ul>
 */
public final class EdgeSampling {
    private EdgeSampling() {}

    /** Ids of the edges of r kept when each is dropped independently with probability p in [0, 1). */
    public static int[] dropout(CsrMatrix r, double p, Rng rng) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("EdgeSampling.dropout: drop probability must be in [0, 1), got " + p);
        }
        IntArrayList kept = new IntArrayList((int) (r.nnz() * (1 - p)) + 16);
        for (int e = 0; e < r.nnz(); e++) {
            if (rng.nextDouble() >= p) {
                kept.add(e);
            }
        }
        return kept.toIntArray();
    }

    /**
     * Ids (increasing) of floor(nnz (1 - rho)) edges of r drawn without replacement with probability
     * proportional to 1 / sqrt(d_u d_i) (FREEDOM's degree-sensitive pruning), rho in [0, 1).
     */
    public static int[] degreeSensitive(CsrMatrix r, double rho, Rng rng) {
        if (!(rho >= 0 && rho < 1)) {
            throw new IllegalArgumentException("EdgeSampling.degreeSensitive: pruning ratio rho must be in [0, 1), got " + rho);
        }
        int keep = (int) (r.nnz() * (1.0 - rho));
        return weightedWithoutReplacement(Adjacency.edgeNormWeights(r), keep, rng);
    }

    /**
     * {@code count} distinct indices of {@code weights}, drawn without replacement with probability
     * proportional to the weights (all positive and finite), returned in increasing order.
     */
    public static int[] weightedWithoutReplacement(float[] weights, int count, Rng rng) {
        int n = weights.length;
        if (count < 0 || count > n) {
            throw new IllegalArgumentException("EdgeSampling.weightedWithoutReplacement: cannot draw " + count + " of " + n + " items");
        }
        double[] keys = new double[n];
        for (int e = 0; e < n; e++) {
            float w = weights[e];
            if (!(w > 0) || !Float.isFinite(w)) {
                throw new IllegalArgumentException("EdgeSampling.weightedWithoutReplacement: weight " + w + " at index " + e
                        + " must be positive and finite");
            }
            double u = 1.0 - rng.nextDouble(); // in (0, 1], so the key is finite
            keys[e] = -Math.log(u) / w + 0.0; // + 0.0 turns -0.0 into 0.0
        }
        int[] perm = new int[n];
        for (int e = 0; e < n; e++) {
            perm[e] = e;
        }
        // Stable: equal keys (astronomically rare) keep index order, so the draw is deterministic.
        DoubleArrays.radixSortIndirect(perm, keys, true);
        int[] out = new int[count];
        for (int j = 0; j < count; j++) {
            out[j] = perm[j];
        }
        Arrays.sort(out);
        return out;
    }
}
