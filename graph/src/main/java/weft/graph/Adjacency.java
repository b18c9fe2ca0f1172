package weft.graph;

import java.util.Arrays;

/**
 * The user-item training graph and its normalised bipartite adjacency (LightGCN, FREEDOM).
 *
 * <p>With R the U x I interaction matrix, the graph over U + I nodes (users first, then items,
 * item i being node U + i) is
 * <pre>
 *   A     = [[0, R], [R^T, 0]]
 *   A_hat = D^-1/2 A D^-1/2,   D = diag(row sums of A)
 * </pre>
 * so {@code A_hat[u, U+i] = A_hat[U+i, u] = R_ui / sqrt(d_u d_i)} with d_u = sum_i R_ui and
 * d_i = sum_u R_ui. A node of degree 0 has an empty row and column (its propagated embedding is
 * 0), matching the {@code d^-1/2 = 0 where d = 0} convention of LightGCN's reference code.
 * The result is flagged symmetric, so {@link SpMM}'s backward pass reuses it as its own transpose.
 *
 * <p>Edges of R are identified by their entry id in R's CSR order (see {@link CsrMatrix});
 * {@link #normalizedKept} renormalises a subset of them by the subset's own degrees, which is how
 * FREEDOM's pruned graph and edge dropout are built.
 */
public final class Adjacency {
    private Adjacency() {}

    /**
     * The binary U x I interaction matrix of the pairs (users[j], items[j]); repeated pairs count
     * once (as MMRec's dictionary-built adjacency does).
     */
    public static CsrMatrix interactions(int numUsers, int numItems, int[] users, int[] items) {
        if (users.length != items.length) {
            throw new IllegalArgumentException("Adjacency.interactions: " + users.length + " users but " + items.length + " items");
        }
        CsrMatrix.Builder b = CsrMatrix.builder(numUsers, numItems);
        for (int j = 0; j < users.length; j++) {
            if (users[j] < 0 || users[j] >= numUsers || items[j] < 0 || items[j] >= numItems) {
                throw new IllegalArgumentException("Adjacency.interactions: pair #" + j + " (user " + users[j] + ", item " + items[j]
                        + ") out of range for " + numUsers + " users x " + numItems + " items");
            }
            b.add(users[j], items[j], 1f);
        }
        return b.build(CsrMatrix.Duplicates.MAX);
    }

    /** {@code A_hat} of the interaction matrix r (U x I), a symmetric (U+I) x (U+I) matrix. */
    public static CsrMatrix normalized(CsrMatrix r) {
        int u = r.rows;
        int i = r.cols;
        float[] invU = invSqrt(r.rowSums());
        float[] invI = invSqrt(r.colSums());
        CsrMatrix rt = r.transpose();
        int n = u + i;
        int nnz = r.nnz();
        int[] ptr = new int[n + 1];
        int[] col = new int[2 * nnz];
        float[] val = new float[2 * nnz];
        // User rows: entries of R shifted to item node ids; item rows: entries of R^T. Both keep
        // their sorted column order, so the result is valid CSR without sorting.
        for (int row = 0; row < u; row++) {
            for (int e = r.rowPtr[row]; e < r.rowPtr[row + 1]; e++) {
                int it = r.colIdx[e];
                col[e] = u + it;
                val[e] = r.values[e] * invU[row] * invI[it];
            }
            ptr[row + 1] = r.rowPtr[row + 1];
        }
        for (int it = 0; it < i; it++) {
            for (int e = rt.rowPtr[it]; e < rt.rowPtr[it + 1]; e++) {
                int us = rt.colIdx[e];
                col[nnz + e] = us;
                // Same product order as the user side, so A_hat is bit-exactly symmetric.
                val[nnz + e] = rt.values[e] * invU[us] * invI[it];
            }
            ptr[u + it + 1] = nnz + rt.rowPtr[it + 1];
        }
        return new CsrMatrix(n, n, ptr, col, val, true);
    }

    /**
     * {@code A_hat} of the sub-graph made of the kept edges of r (entry ids, strictly increasing),
     * normalised by the kept edges' own degrees (FREEDOM's pruned graph; dropout).
     */
    public static CsrMatrix normalizedKept(CsrMatrix r, int[] keptEdges) {
        return normalized(subset(r, keptEdges));
    }

    /** The U x I matrix holding only the given entries of r (ids strictly increasing). */
    public static CsrMatrix subset(CsrMatrix r, int[] keptEdges) {
        int nnz = r.nnz();
        int[] ptr = new int[r.rows + 1];
        int[] col = new int[keptEdges.length];
        float[] val = new float[keptEdges.length];
        int row = 0;
        for (int j = 0; j < keptEdges.length; j++) {
            int e = keptEdges[j];
            if (e < 0 || e >= nnz) {
                throw new IllegalArgumentException("Adjacency.subset: kept edge id " + e + " at position " + j
                        + " out of range [0, " + nnz + ") for " + r);
            }
            if (j > 0 && e <= keptEdges[j - 1]) {
                throw new IllegalArgumentException("Adjacency.subset: kept edge ids must be strictly increasing, got "
                        + keptEdges[j - 1] + " then " + e + " at position " + j);
            }
            while (r.rowPtr[row + 1] <= e) {
                ptr[++row] = j;
            }
            col[j] = r.colIdx[e];
            val[j] = r.values[e];
        }
        while (row < r.rows) {
            ptr[++row] = keptEdges.length;
        }
        return new CsrMatrix(r.rows, r.cols, ptr, col, val, false);
    }

    /** Per-edge weight {@code 1 / sqrt(d_u d_i)} on r's own degrees: FREEDOM's pruning weights. */
    public static float[] edgeNormWeights(CsrMatrix r) {
        float[] invU = invSqrt(r.rowSums());
        float[] invI = invSqrt(r.colSums());
        float[] w = new float[r.nnz()];
        for (int row = 0; row < r.rows; row++) {
            for (int e = r.rowPtr[row]; e < r.rowPtr[row + 1]; e++) {
                w[e] = invU[row] * invI[r.colIdx[e]];
            }
        }
        return w;
    }

    /** d^-1/2, with 0 where d <= 0 (an isolated node propagates nothing rather than NaN). */
    static float[] invSqrt(float[] d) {
        float[] out = new float[d.length];
        for (int j = 0; j < d.length; j++) {
            out[j] = d[j] > 0 ? (float) (1.0 / Math.sqrt(d[j])) : 0f;
        }
        return out;
    }

    /** Degrees of all U + I nodes of A (users then items): row sums of r, then its column sums. */
    public static float[] nodeDegrees(CsrMatrix r) {
        float[] du = r.rowSums();
        float[] di = r.colSums();
        float[] out = Arrays.copyOf(du, du.length + di.length);
        System.arraycopy(di, 0, out, du.length, di.length);
        return out;
    }
}
