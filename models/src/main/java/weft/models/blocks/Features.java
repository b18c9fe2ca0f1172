package weft.models.blocks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import weft.autograd.NoGrad;
import weft.autograd.RowOps;
import weft.autograd.Var;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.data.Dataset;

/** Item feature vectors as the models read them. */
public final class Features {
    private Features() {}

    /** The dataset's feature vectors by modality; fails naming the model when there are none. */
    public static Map<String, Tensor> require(Dataset data, String model) {
        if (data.modalities().isEmpty()) {
            String graphs = data.itemGraphs().isEmpty() ? ""
                    : " (item graph files " + data.itemGraphs().keySet() + " carry no feature vectors)";
            throw new IllegalArgumentException(model + " needs item feature vectors (one .npy per modality, --modality NAME=FILE.npy); dataset '"
                    + data.name() + "' has none" + graphs);
        }
        return data.modalities();
    }

    /**
     * The modalities' feature vectors, each centred (column means subtracted) and divided by its
     * mean row norm: the projection inputs. Extractors differ in range by orders of magnitude
     * (VGGish values in the hundreds, sentence embeddings of unit norm), and their embeddings share
     * a large common direction (sentence embeddings' items have mean pairwise cosine far above 0);
     * projected as is, that common part gives every item the same content score and drowns the
     * differences the model should learn from. The projections have a bias, so centring loses
     * nothing they can express; it only changes where training starts.
     */
    public static Map<String, Tensor> projectionInputs(Dataset data, String model) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : require(data, model).entrySet()) {
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

    /** The tensors side by side: {@code [rows, sum of cols]}. */
    public static Tensor concatColumns(List<Tensor> parts) {
        int rows = parts.get(0).rows;
        int cols = parts.stream().mapToInt(t -> t.cols).sum();
        Tensor out = new Tensor(rows, cols);
        for (int r = 0; r < rows; r++) {
            int c0 = 0;
            for (Tensor t : parts) {
                if (t.rows != rows) {
                    throw new IllegalArgumentException("concatColumns: " + t.shape() + " has not " + rows + " rows");
                }
                System.arraycopy(t.data, t.offset + r * t.cols, out.data, r * cols + c0, t.cols);
                c0 += t.cols;
            }
        }
        return out;
    }

    /** The stream that draws {@code --feature-dropout}'s masks: seeded by the run's seed, apart from the initialisation's. */
    public static Rng dropoutRng(long seed) {
        return new Rng(seed ^ 0x5DEECE66DL);
    }

    /**
     * {@code --feature-dropout p}: the features x with each value zeroed with probability p and the
     * rest scaled by 1 / (1 - p) in a training step; x itself inside a {@link NoGrad} scope, where
     * evaluation and scoring run, and when p = 0.
     */
    public static Var dropout(Var x, float p, Rng rng) {
        return RowOps.dropout(x, p, rng, !NoGrad.active());
    }
}
