package weft.models.data;

import java.util.Locale;
import java.util.Map;

import weft.engine.Kernels;
import weft.engine.Tensor;

/** Per-modality preprocessing of item features, chosen by option. */
public enum FeatureNorm {
    /** Features as stored. */
    NONE,
    /** Each column shifted to mean 0 and scaled to standard deviation 1 (constant columns become 0). */
    STANDARDIZE,
    /** Each row scaled to unit L2 norm (zero rows stay zero). */
    L2;

    /** A new tensor; the input is not modified. */
    public Tensor apply(Tensor x) {
        return fit(x).apply(x);
    }

    /**
     * The transform this normalisation learns from a catalogue's features: for {@link #STANDARDIZE}
     * each column's mean and inverse standard deviation, so that rows of items added later (cold
     * start) are normalised exactly as the training items were.
     */
    public Fitted fit(Tensor x) {
        if (this != STANDARDIZE) {
            return new Fitted(this, null, null);
        }
        double[] mean = new double[x.cols], inv = new double[x.cols];
        for (int c = 0; c < x.cols; c++) {
            double sum = 0, sq = 0;
            for (int r = 0; r < x.rows; r++) {
                double v = x.data[x.offset + r * x.cols + c];
                sum += v;
                sq += v * v;
            }
            double m = sum / x.rows;
            double var = Math.max(0, sq / x.rows - m * m);
            mean[c] = m;
            inv[c] = var > 1e-24 ? 1 / Math.sqrt(var) : 0;
        }
        return new Fitted(this, mean, inv);
    }

    /** A fitted normalisation: {@link #apply} maps rows of the same width the same way. */
    public static final class Fitted {
        private final FeatureNorm norm;
        private final double[] mean, inv;

        public Fitted(FeatureNorm norm, double[] mean, double[] inv) {
            if (norm == STANDARDIZE && (mean == null || inv == null || mean.length != inv.length)) {
                throw new IllegalArgumentException("standardize needs a mean and an inverse std per column");
            }
            this.norm = norm;
            this.mean = norm == STANDARDIZE ? mean.clone() : null;
            this.inv = norm == STANDARDIZE ? inv.clone() : null;
        }

        public FeatureNorm norm() {
            return norm;
        }

        /** Column means (standardize only; null otherwise). */
        public double[] mean() {
            return mean == null ? null : mean.clone();
        }

        /** Column inverse standard deviations, 0 for constant columns (standardize only). */
        public double[] inverseStd() {
            return inv == null ? null : inv.clone();
        }

        /** A new tensor; the input is not modified. */
        public Tensor apply(Tensor x) {
            Tensor out = x.copy();
            switch (norm) {
                case NONE:
                    return out;
                case L2:
                    Kernels.get().rowL2Normalize(out.data, 0, out.rows, out.cols, 1e-12f, out.data, 0, null, 0);
                    return out;
                case STANDARDIZE:
                    if (x.cols != mean.length) {
                        throw new IllegalArgumentException("features have " + x.cols + " columns, the normalisation was fitted on "
                                + mean.length);
                    }
                    for (int c = 0; c < out.cols; c++) {
                        for (int r = 0; r < out.rows; r++) {
                            int i = r * out.cols + c;
                            out.data[i] = (float) ((out.data[i] - mean[c]) * inv[c]);
                        }
                    }
                    return out;
                default:
                    throw new AssertionError(norm);
            }
        }
    }

    /** Other spellings {@link #parse} accepts. */
    public static final java.util.Map<String, FeatureNorm> ALIASES = java.util.Map.of("standardise", STANDARDIZE, "zscore", STANDARDIZE);

    public static FeatureNorm parse(String s) {
        switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "none": return NONE;
            case "standardize": case "standardise": case "zscore": return STANDARDIZE;
            case "l2": return L2;
            default: throw new IllegalArgumentException("feature normalisation must be none, standardize or l2, got '" + s + "'");
        }
    }

    /** Modalities whose mean row norms differ by more than this factor draw {@link #scaleWarning}. */
    public static final double SCALE_RATIO_WARNING = 100;

    /**
     * A warning when the modalities' scales differ wildly (the largest mean row L2 norm over the
     * smallest above {@link #SCALE_RATIO_WARNING}), or null. Raw VGGish audio rows, for instance,
     * have norm ~1500 where MiniLM text rows have norm 1: a model that concatenates or sums raw
     * vectors then hardly sees the smaller modality.
     */
    public static String scaleWarning(Map<String, Tensor> modalities) {
        String big = null, small = null;
        double max = 0, min = Double.POSITIVE_INFINITY;
        for (Map.Entry<String, Tensor> e : modalities.entrySet()) {
            double n = meanRowNorm(e.getValue());
            if (n > max) {
                max = n;
                big = e.getKey();
            }
            if (n < min) {
                min = n;
                small = e.getKey();
            }
        }
        if (big == null || big.equals(small) || !(max > SCALE_RATIO_WARNING * min)) {
            return null;
        }
        return String.format(Locale.ROOT, "modality scales differ: '%s' rows have mean L2 norm %.3g, '%s' rows %.3g (x%.0f); "
                + "a model fed raw vectors mostly sees '%s'. --feature-norm standardize or l2 evens them", big, max, small, min,
                max / min, big);
    }

    static double meanRowNorm(Tensor x) {
        double total = 0;
        for (int r = 0; r < x.rows; r++) {
            double sq = 0;
            for (int c = 0; c < x.cols; c++) {
                double v = x.data[x.offset + r * x.cols + c];
                sq += v * v;
            }
            total += Math.sqrt(sq);
        }
        return x.rows == 0 ? 0 : total / x.rows;
    }
}
