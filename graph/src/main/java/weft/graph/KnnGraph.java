package weft.graph;

import weft.engine.MatMul;
import weft.engine.Parallel;
import weft.engine.Tensor;

/**
 * Item-item k-nearest-neighbour graphs on modality features (FREEDOM, LATTICE, DPRec, TMFUN).
 *
 * <p>With x_i the feature row of item i, the cosine similarity is
 * {@code s_ij = x_i . x_j / (||x_i|| ||x_j||)}; row i of the graph keeps the k largest s_ij over
 * all j, <b>the item itself included</b> (s_ii = 1 is normally the largest, so each item has
 * itself plus k - 1 neighbours), as MMRec's FREEDOM and LATTICE do ({@code torch.topk} on the
 * full similarity matrix without masking the diagonal). Equal similarities are broken toward the
 * lower column index, so the graph is deterministic. A zero feature row has similarity 0 to every
 * item (MMRec would produce NaN there) and so links to the k lowest-indexed items.
 *
 * <p>Values ({@link Weights}): every kept entry 1/k (FREEDOM: its ones matrix normalised with row
 * sums k gives exactly 1/k), or the similarity s_ij (LATTICE). {@link #normalize} with
 * {@link Norm#SYM} returns {@code D^-1/2 S D^-1/2} where D holds the <i>row</i> sums of S, as
 * MMRec's {@code compute_normalized_laplacian} computes it for the (not necessarily symmetric)
 * kNN matrix; rows with a sum <= 0 get a factor 0.
 *
 * <p>Computed blockwise so that no items x items matrix exists: for each block of B rows the
 * products {@code X_block X^T} [B, items] come from one GEMM, are scaled by the inverse norms,
 * and each row's top k is selected with a size-k heap. Memory is O(items k + B items), with
 * B items bounded by {@link #MAX_BLOCK_FLOATS} (20,000 items: blocks of 838 rows, 64 MiB).
 * Scaling the raw product by the norms instead of normalising X first avoids a second copy of the
 * features (20,000 x 4,096 floats would be 320 MiB).
 */
public final class KnnGraph {
    /** Upper bound on the floats of one similarity block (64 MiB). */
    public static final int MAX_BLOCK_FLOATS = 16 << 20;

    /** Values stored for kept neighbours. */
    public enum Weights {
        /** Every entry 1/k (FREEDOM). */
        ONE_OVER_K,
        /** The cosine similarity (LATTICE). */
        SIMILARITY
    }

    /** Normalisation applied by {@link #normalize}. */
    public enum Norm {
        NONE,
        /** {@code D^-1/2 S D^-1/2}, D the row sums of S. */
        SYM
    }

    private KnnGraph() {}

    /** The kNN graph of the rows of {@code features} [items, f], blocks sized automatically. */
    public static CsrMatrix build(Tensor features, int k, Weights weights) {
        return build(features, k, weights, 0);
    }

    /** As {@link #build(Tensor, int, Weights)} with {@code blockRows} similarity rows per block (0: automatic). */
    public static CsrMatrix build(Tensor features, int k, Weights weights, int blockRows) {
        final int n = features.rows;
        final int f = features.cols;
        if (n == 0) {
            throw new IllegalArgumentException("KnnGraph.build: features " + features.shape() + " have no items");
        }
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("KnnGraph.build: k = " + k + " must be in [1, items = " + n + "] for features "
                    + features.shape());
        }
        if (blockRows < 0) {
            throw new IllegalArgumentException("KnnGraph.build: blockRows must be >= 0, got " + blockRows);
        }
        final float[] inv = inverseNorms(features);
        final int block = blockRows > 0 ? Math.min(blockRows, n) : autoBlockRows(n);
        final Tensor sim = new Tensor(block, n);
        final int[] outCol = new int[n * k];
        final float[] outVal = new float[n * k];

        for (int b0 = 0; b0 < n; b0 += block) {
            final int nb = Math.min(block, n - b0);
            final int start = b0;
            Tensor s = nb == block ? sim : sim.rowBlock(0, nb);
            MatMul.matmulInto(features.rowBlock(start, nb), false, features, true, s, false);
            Parallel.forRange(nb, Math.max(1, (1 << 16) / n), (from, to) -> {
                float[] hs = new float[k];
                int[] hi = new int[k];
                for (int r = from; r < to; r++) {
                    int row = start + r;
                    selectTopK(s.data, s.offset + r * n, n, inv[row], inv, k, hs, hi);
                    sortByColumn(hi, hs, k);
                    for (int j = 0; j < k; j++) {
                        outCol[row * k + j] = hi[j];
                        outVal[row * k + j] = weights == Weights.ONE_OVER_K ? 1f / k : hs[j];
                    }
                }
            });
        }
        int[] ptr = new int[n + 1];
        for (int r = 0; r <= n; r++) {
            ptr[r] = r * k;
        }
        return new CsrMatrix(n, n, ptr, outCol, outVal, false);
    }

    /** Similarity rows per block chosen by {@link #build(Tensor, int, Weights)}: as many as fit {@link #MAX_BLOCK_FLOATS}. */
    public static int autoBlockRows(int items) {
        return Math.max(1, Math.min(items, MAX_BLOCK_FLOATS / Math.max(1, items)));
    }

    /** FREEDOM's frozen modality graph: k nearest neighbours (self included), every value 1/k. */
    public static CsrMatrix freedom(Tensor features, int k) {
        return build(features, k, Weights.ONE_OVER_K);
    }

    /** {@code S} unchanged ({@link Norm#NONE}) or {@code D^-1/2 S D^-1/2} with D = row sums of S ({@link Norm#SYM}). */
    public static CsrMatrix normalize(CsrMatrix s, Norm norm) {
        if (norm == Norm.NONE) {
            return s;
        }
        if (s.rows != s.cols) {
            throw new IllegalArgumentException("KnnGraph.normalize: SYM needs a square matrix, got " + s.shape());
        }
        float[] inv = Adjacency.invSqrt(s.rowSums());
        CsrMatrix out = s.scale(inv, inv);
        return s.isSymmetric() ? out.checkSymmetric() : out;
    }

    /**
     * 1 / ||x_i|| (float64 sums), 0 for a zero row; rejects non-finite features. Row by row, so
     * the norms of a block of rows equal those of the same rows in the whole table.
     */
    public static float[] inverseNorms(Tensor x) {
        float[] inv = new float[x.rows];
        for (int r = 0; r < x.rows; r++) {
            double s = 0;
            int o = x.offset + r * x.cols;
            for (int c = 0; c < x.cols; c++) {
                float v = x.data[o + c];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("KnnGraph: non-finite feature " + v + " at item " + r + ", column " + c
                            + " of " + x.shape());
                }
                s += (double) v * v;
            }
            inv[r] = s > 0 ? (float) (1.0 / Math.sqrt(s)) : 0f;
        }
        return inv;
    }

    /**
     * The k largest of {@code dot[off + j] * invRow * inv[j]} over j in [0, n), ties to the lower
     * j, into (hs, hi) in no particular order. A min-heap of the current best k: its root is the
     * worst kept candidate, so most j cost one comparison. Requires k &lt;= n. {@link #build}'s rows
     * are this over the GEMM row of all items; a distributed build runs it on column blocks of
     * that row (indices local to the block) and merges the blocks' lists.
     */
    public static void selectTopK(float[] dot, int off, int n, float invRow, float[] inv, int k, float[] hs, int[] hi) {
        int size = 0;
        for (int j = 0; j < n; j++) {
            float v = dot[off + j] * invRow * inv[j];
            if (size < k) {
                // Sift up: the parent must be worse than or equal to the child.
                int c = size++;
                while (c > 0) {
                    int p = (c - 1) >>> 1;
                    if (!worse(v, j, hs[p], hi[p])) {
                        break;
                    }
                    hs[c] = hs[p];
                    hi[c] = hi[p];
                    c = p;
                }
                hs[c] = v;
                hi[c] = j;
            } else if (worse(hs[0], hi[0], v, j)) {
                siftDown(hs, hi, k, v, j);
            }
        }
    }

    /** Whether candidate (va, ja) ranks below (vb, jb): smaller value, or equal value and larger index. */
    private static boolean worse(float va, int ja, float vb, int jb) {
        return va < vb || (va == vb && ja > jb);
    }

    /** Replaces the heap root with (v, j) and restores the heap. */
    private static void siftDown(float[] hs, int[] hi, int k, float v, int j) {
        int c = 0;
        while (true) {
            int l = 2 * c + 1;
            if (l >= k) {
                break;
            }
            int m = l;
            if (l + 1 < k && worse(hs[l + 1], hi[l + 1], hs[l], hi[l])) {
                m = l + 1;
            }
            if (!worse(hs[m], hi[m], v, j)) {
                break;
            }
            hs[c] = hs[m];
            hi[c] = hi[m];
            c = m;
        }
        hs[c] = v;
        hi[c] = j;
    }

    /** Sorts the k (index, value) pairs by index: insertion sort for the usual small k. */
    private static void sortByColumn(int[] hi, float[] hs, int k) {
        if (k > 32) {
            long[] packed = new long[k];
            for (int a = 0; a < k; a++) {
                packed[a] = ((long) hi[a] << 32) | (Float.floatToRawIntBits(hs[a]) & 0xFFFFFFFFL);
            }
            java.util.Arrays.sort(packed);
            for (int a = 0; a < k; a++) {
                hi[a] = (int) (packed[a] >>> 32);
                hs[a] = Float.intBitsToFloat((int) packed[a]);
            }
            return;
        }
        for (int a = 1; a < k; a++) {
            int j = hi[a];
            float v = hs[a];
            int b = a - 1;
            while (b >= 0 && hi[b] > j) {
                hi[b + 1] = hi[b];
                hs[b + 1] = hs[b];
                b--;
            }
            hi[b + 1] = j;
            hs[b + 1] = v;
        }
    }
}
