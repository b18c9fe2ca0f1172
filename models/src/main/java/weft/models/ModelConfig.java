package weft.models;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hyperparameters shared by the models, with the protocol's defaults (docs/models.md):
 * d = 64, lr 1e-3, reg 1e-4, 3 propagation layers. Model-specific switches live in their classes.
 */
public final class ModelConfig {
    public int dim = 64;
    public float reg = 1e-4f;
    public int layers = 3;
    public long seed = 2024;

    /** A copy, to change for one model of a {@code compare}. */
    public ModelConfig copy() {
        ModelConfig c = new ModelConfig();
        c.dim = dim;
        c.reg = reg;
        c.layers = layers;
        c.seed = seed;
        return c;
    }

    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dim", dim);
        m.put("reg", reg); // a Float: Json writes it as Float.toString (1.0E-4)
        m.put("layers", layers);
        m.put("seed", seed);
        return m;
    }
}
