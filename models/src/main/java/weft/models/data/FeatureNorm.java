package weft.models.data;

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
        Tensor out = x.copy();
        switch (this) {
            case NONE:
                return out;
            case L2:
                Kernels.get().rowL2Normalize(out.data, 0, out.rows, out.cols, 1e-12f, out.data, 0, null, 0);
                return out;
            case STANDARDIZE:
                for (int c = 0; c < out.cols; c++) {
                    double sum = 0, sq = 0;
                    for (int r = 0; r < out.rows; r++) {
                        double v = out.data[r * out.cols + c];
                        sum += v;
                        sq += v * v;
                    }
                    double mean = sum / out.rows;
                    double var = Math.max(0, sq / out.rows - mean * mean);
                    double inv = var > 1e-24 ? 1 / Math.sqrt(var) : 0;
                    for (int r = 0; r < out.rows; r++) {
                        int i = r * out.cols + c;
                        out.data[i] = (float) ((out.data[i] - mean) * inv);
                    }
                }
                return out;
            default:
                throw new AssertionError(this);
        }
    }

    public static FeatureNorm parse(String s) {
        switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "none": return NONE;
            case "standardize": case "standardise": case "zscore": return STANDARDIZE;
            case "l2": return L2;
            default: throw new IllegalArgumentException("feature normalisation must be none, standardize or l2, got '" + s + "'");
        }
    }
}
