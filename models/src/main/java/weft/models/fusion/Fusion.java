package weft.models.fusion;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import weft.autograd.Ops;
import weft.autograd.RowOps;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.Losses;
import weft.engine.Tensor;
import weft.graph.CsrMatrix;
import weft.graph.SpMM;
import weft.models.data.Dataset;

/**
 * Building blocks shared by the fusion models (DPRec, TMFUN): whole-table ops over all items or
 * all users at once, so that nothing in a training step loops over items in Java.
 *
 * <pre>
 *   layerMean(A, E, L)       = mean(E, A E, ..., A^L E)                       (LightGCN's readout)
 *   rowMean(R)               = D_u^-1 R                                         (a user = mean of its items)
 *   attend(q, V^1..V^M)      = sum_m alpha^m V^m,  alpha = softmax_m(q W_q^T . V^m W_k^T / sqrt(d))
 *   hyperedgeNormalize(H)    = H D_e^-1/2,  D_e = diag(column sums of H)
 *   pairwiseInfoNce(Z, rows) = sum_{a < b} InfoNCE(Z^a[rows], Z^b[rows], tau)
 * </pre>
 */
public final class Fusion {
    private Fusion() {}

    /**
     * The modalities given as feature vectors, each centred (column means subtracted) and divided
     * by its mean row norm: the projection inputs. Extractors differ in range by orders of
     * magnitude (VGGish values in the hundreds, sentence embeddings of unit norm), and their
     * embeddings share a large common direction (MiniLM's items have mean pairwise cosine far
     * above 0); projected as is, that common part gives every item the same content score and
     * drowns the differences the model should learn from. The projections have a bias, so
     * centring loses nothing they can express; it only changes where training starts. Fails
     * naming the model when the dataset has no vectors. (kNN graphs are built on the raw vectors.)
     */
    public static Map<String, Tensor> projectionInputs(Dataset data, String model) {
        if (data.modalities().isEmpty()) {
            String graphs = data.itemGraphs().isEmpty() ? ""
                    : " (item graph files " + data.itemGraphs().keySet() + " are not enough: it projects the vectors themselves)";
            throw new IllegalArgumentException(model + " needs item feature vectors (--modality NAME=FILE.npy); dataset '"
                    + data.name() + "' has none" + graphs);
        }
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            out.put(e.getKey(), unitScaled(centred(e.getValue())));
        }
        return out;
    }

    /** A copy of x with each column's mean subtracted (float64 sums). */
    public static Tensor centred(Tensor x) {
        double[] mean = new double[x.cols];
        for (int r = 0; r < x.rows; r++) {
            for (int c = 0; c < x.cols; c++) {
                mean[c] += x.data[x.offset + r * x.cols + c];
            }
        }
        Tensor out = x.copy();
        for (int r = 0; r < x.rows; r++) {
            for (int c = 0; c < x.cols; c++) {
                out.data[r * x.cols + c] -= (float) (mean[c] / x.rows);
            }
        }
        return out;
    }

    /** A copy of x divided by its mean row L2 norm (unchanged when all rows are zero). */
    public static Tensor unitScaled(Tensor x) {
        double sum = 0;
        for (int r = 0; r < x.rows; r++) {
            double s = 0;
            int o = x.offset + r * x.cols;
            for (int c = 0; c < x.cols; c++) {
                s += (double) x.data[o + c] * x.data[o + c];
            }
            sum += Math.sqrt(s);
        }
        Tensor out = x.copy();
        double mean = sum / Math.max(1, x.rows);
        if (mean > 0) {
            float inv = (float) (1 / mean);
            for (int i = 0; i < out.data.length; i++) {
                out.data[i] *= inv;
            }
        }
        return out;
    }

    /** {@code D^-1 R}: each row divided by its sum (empty rows stay empty). */
    public static CsrMatrix rowMean(CsrMatrix r) {
        float[] sums = r.rowSums();
        float[] inv = new float[sums.length];
        for (int i = 0; i < sums.length; i++) {
            inv[i] = sums[i] > 0 ? 1f / sums[i] : 0f;
        }
        float[] ones = new float[r.cols()];
        Arrays.fill(ones, 1f);
        return r.scale(inv, ones);
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

    /** Attention weights and the fused rows of {@link #attend}. */
    public record Attended(Var fused, Var alpha) {}

    /**
     * Attention with one query per row over that row's M modality embeddings (M tokens of one
     * item), for all rows at once: the M scores of each row form an [n, M] matrix and one row
     * softmax normalises them, so no per-item sequence object is built. With {@code wq == null}
     * the weights are uniform (1 / M: the plain mean).
     *
     * @param query  [n, d], e.g. the items' ID embeddings
     * @param values M tensors [n, d]; keys are {@code V^m W_k^T}
     * @param wq     [d, d] query projection (Linear layout: y = x W^T), or null for the mean
     * @param wk     [d, d] key projection
     */
    public static Attended attend(Var query, List<Var> values, Var wq, Var wk) {
        int m = values.size();
        if (m == 0) {
            throw new IllegalArgumentException("Fusion.attend: no modality embeddings");
        }
        if (wq == null || m == 1) {
            Var sum = values.get(0);
            for (int j = 1; j < m; j++) {
                sum = Ops.add(sum, values.get(j));
            }
            Tensor uniform = Tensor.full(query.rows(), m, 1f / m);
            return new Attended(m == 1 ? sum : Ops.scale(sum, 1f / m), Var.constant(uniform));
        }
        Var q = Ops.matmul(query, false, wq, true);
        Var[] scores = new Var[m];
        for (int j = 0; j < m; j++) {
            scores[j] = Ops.rowDot(q, Ops.matmul(values.get(j), false, wk, true));
        }
        Var alpha = RowOps.rowSoftmax(Ops.scale(ShapeOps.concatCols(scores), (float) (1 / Math.sqrt(query.cols()))));
        Var fused = null;
        for (int j = 0; j < m; j++) {
            Var term = Ops.mul(ShapeOps.sliceCols(alpha, j, 1), values.get(j)); // [n, 1] broadcast over d
            fused = fused == null ? term : Ops.add(fused, term);
        }
        return new Attended(fused, alpha);
    }

    /**
     * {@code H D_e^-1/2} with D_e the hyperedge degrees (column sums of H), so that
     * {@code Hn (Hn^T E)} averages each hyperedge's members instead of summing them: without it
     * the convolution grows with the number of nodes per hyperedge (hundreds), swamping the other
     * terms of the embedding. Differentiable in H (sqrt as exp(-log / 2)).
     */
    public static Var hyperedgeNormalize(Var h) {
        Var degree = Ops.add(Ops.sumCols(h), Var.constant(Tensor.scalar(1e-6f)));
        return Ops.mul(h, Ops.exp(Ops.scale(Ops.log(degree), -0.5f)));
    }

    /** Sum over modality pairs a < b of InfoNCE between rows {@code rows} of the two views; null for one view. */
    public static Var pairwiseInfoNce(List<Var> views, int[] rows, float tau) {
        Var total = null;
        for (int a = 0; a < views.size(); a++) {
            for (int b = a + 1; b < views.size(); b++) {
                Var za = rows == null ? views.get(a) : ShapeOps.gatherRows(views.get(a), rows);
                Var zb = rows == null ? views.get(b) : ShapeOps.gatherRows(views.get(b), rows);
                Var l = Losses.infoNce(za, zb, tau);
                total = total == null ? l : Ops.add(total, l);
            }
        }
        return total;
    }

    /**
     * The distinct values of {@code ids}, ascending. InfoNCE treats every other row as a negative,
     * so a user or item repeated in a batch would be its own negative.
     */
    public static int[] distinct(int[] ids) {
        int[] s = ids.clone();
        Arrays.sort(s);
        int n = 0;
        for (int i = 0; i < s.length; i++) {
            if (i == 0 || s[i] != s[i - 1]) {
                s[n++] = s[i];
            }
        }
        return Arrays.copyOf(s, n);
    }

    /**
     * MMRec's BPR loss on the final embeddings {@code all} ([users + items, d]) plus EmbLoss on
     * the batch's layer-0 rows of {@code emb}; {@code pos} and {@code neg} are item ids already
     * offset by the number of users (see {@link #offset}).
     */
    public static Var bprWithEmbLoss(Var all, Var emb, int[] users, int[] pos, int[] neg, float reg, int batchSize) {
        Var u = ShapeOps.gatherRows(all, users);
        Var loss = Losses.bpr(Ops.rowDot(u, ShapeOps.gatherRows(all, pos)), Ops.rowDot(u, ShapeOps.gatherRows(all, neg)));
        return Ops.add(loss, Losses.embLoss(reg, batchSize, ShapeOps.gatherRows(emb, users), ShapeOps.gatherRows(emb, pos),
                ShapeOps.gatherRows(emb, neg)));
    }

    /** {@code ids[j] + by} for each j (item ids as rows of a users-then-items table). */
    public static int[] offset(int[] ids, int by) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i] + by;
        }
        return out;
    }
}
