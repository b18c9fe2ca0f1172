package weft.models.blocks;

import java.util.Arrays;
import java.util.List;

import weft.autograd.Ops;
import weft.autograd.Var;
import weft.graph.Adjacency;
import weft.engine.Tensor;
import weft.graph.CsrMatrix;
import weft.graph.KnnGraph;
import weft.graph.SpMM;
import weft.models.data.Dataset;

/**
 * The graphs the models propagate over, and the two ways they propagate.
 *
 * <pre>
 *   R                   the [U, I] training interactions (1 per user-item pair)
 *   A_hat               D^-1/2 [[0, R], [R^T, 0]] D^-1/2, users then items as nodes
 *   userMean(R)         D_u^-1 R: (userMean(R) X)_u is the mean of X over u's items
 *   layerMean(A, E, L)  mean(E, A E, ..., A^L E)          LightGCN's readout (E itself for L = 0)
 *   hops(A, E, L)       A^L E
 * </pre>
 */
public final class Graphs {
    private Graphs() {}

    /** R, the training interactions as a [users, items] matrix. */
    public static CsrMatrix interactions(Dataset data) {
        return Adjacency.interactions(data.numUsers(), data.numItems(), data.trainUsers(), data.trainItems());
    }

    /** A_hat, the symmetrically normalised (U+I) x (U+I) bipartite adjacency of R. */
    public static CsrMatrix normalizedAdjacency(CsrMatrix interactions) {
        return Adjacency.normalized(interactions);
    }

    /** {@code D^-1 R}: each user's row divided by its sum, so it averages over the user's items (empty rows stay empty). */
    public static CsrMatrix userMean(CsrMatrix r) {
        float[] sums = r.rowSums();
        float[] inv = new float[sums.length];
        for (int i = 0; i < sums.length; i++) {
            inv[i] = sums[i] > 0 ? 1f / sums[i] : 0f;
        }
        float[] ones = new float[r.cols()];
        Arrays.fill(ones, 1f);
        return r.scale(inv, ones);
    }

    /**
     * The item graph of several feature tables: each table's FREEDOM kNN graph
     * ({@link KnnGraph#freedom}, k neighbours), summed in order and symmetrically normalised.
     */
    public static CsrMatrix featureGraph(List<Tensor> features, int k) {
        CsrMatrix s = null;
        for (Tensor x : features) {
            CsrMatrix g = KnnGraph.freedom(x, k);
            s = s == null ? g : CsrMatrix.weightedSum(1f, s, 1f, g);
        }
        return KnnGraph.normalize(s, KnnGraph.Norm.SYM);
    }

    /** {@code mean(E, A E, ..., A^L E)}; E itself when L = 0. */
    public static Var layerMean(CsrMatrix a, Var e0, int layers) {
        Var e = e0;
        Var acc = e0;
        for (int k = 0; k < layers; k++) {
            e = SpMM.apply(a, e);
            acc = Ops.add(acc, e);
        }
        return layers == 0 ? acc : Ops.scale(acc, 1f / (layers + 1));
    }

    /** {@code A^L E}. */
    public static Var hops(CsrMatrix a, Var e, int hops) {
        for (int k = 0; k < hops; k++) {
            e = SpMM.apply(a, e);
        }
        return e;
    }
}
