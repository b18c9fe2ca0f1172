package weft.models.data;

import java.util.LinkedHashMap;
import java.util.Map;

import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * The robustness protocol's perturbations (docs/models.md): noisy features and sparser training
 * data. Valid and test sets are never touched. Seeded.
 */
public final class Perturbations {
    private Perturbations() {}

    /**
     * Every modality's features plus Gaussian noise with standard deviation {@code level} times
     * that feature column's standard deviation (so the noise is relative to each feature's scale).
     */
    public static Dataset featureNoise(Dataset data, double level, long seed) {
        if (!(level >= 0) || Double.isInfinite(level)) {
            throw new IllegalArgumentException("feature noise level must be a finite number >= 0, got " + level);
        }
        Rng rng = new Rng(seed);
        Map<String, Tensor> noisy = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            Tensor x = e.getValue();
            Tensor y = x.copy();
            double[] std = columnStd(x);
            for (int r = 0; r < y.rows; r++) {
                for (int c = 0; c < y.cols; c++) {
                    y.data[r * y.cols + c] += (float) (level * std[c] * rng.nextGaussian());
                }
            }
            noisy.put(e.getKey(), y);
        }
        return data.withModalities(noisy);
    }

    static double[] columnStd(Tensor x) {
        double[] sum = new double[x.cols], sq = new double[x.cols];
        for (int r = 0; r < x.rows; r++) {
            for (int c = 0; c < x.cols; c++) {
                double v = x.data[x.offset + r * x.cols + c];
                sum[c] += v;
                sq[c] += v * v;
            }
        }
        double[] std = new double[x.cols];
        for (int c = 0; c < x.cols; c++) {
            double mean = sum[c] / x.rows;
            std[c] = Math.sqrt(Math.max(0, sq[c] / x.rows - mean * mean));
        }
        return std;
    }

    /** The dataset with each training interaction dropped independently with probability {@code fraction}. */
    public static Dataset dropInteractions(Dataset data, double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("interaction drop fraction must be in [0, 1), got " + fraction);
        }
        int[] users = data.trainUsers(), items = data.trainItems();
        Rng rng = new Rng(seed);
        int n = 0;
        int[] ku = new int[users.length], ki = new int[items.length];
        for (int j = 0; j < users.length; j++) {
            if (rng.nextDouble() >= fraction) {
                ku[n] = users[j];
                ki[n] = items[j];
                n++;
            }
        }
        return data.withTrain(UserItems.fromPairs(data.numUsers(), data.numItems(),
                java.util.Arrays.copyOf(ku, n), java.util.Arrays.copyOf(ki, n)));
    }
}
