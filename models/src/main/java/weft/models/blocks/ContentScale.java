package weft.models.blocks;

import java.util.LinkedHashMap;
import java.util.Map;

import weft.autograd.Ops;
import weft.autograd.RowOps;
import weft.autograd.Var;
import weft.engine.Tensor;

/**
 * The content term that HMA-Rec and CRANE add to the ID embeddings: each row L2-normalised, times
 * the fixed norm a ({@code --content-scale}), times the content weight w that the training
 * interactions give the features where {@code --adapt-scale} is on ({@link ContentSignal}; w = 1
 * leaves a exactly as it is), times a learned scalar g where {@code --learn-scale} is on. g is a
 * {@code [1, 1]} parameter that starts at 1, so the initial model is the fixed-scale one to the
 * bit (x * 1 = x).
 */
public final class ContentScale {
    private ContentScale() {}

    /** The learned scale g, starting at 1, or null when it is off. */
    public static Var gain(boolean learned) {
        return learned ? Var.param("content.gain", Tensor.scalar(1f)) : null;
    }

    /** {@code g * a * x_i / ||x_i||} for every row i of x; g = 1 when {@code gain} is null. */
    public static Var apply(Var x, float a, Var gain) {
        Var scaled = Ops.scale(RowOps.rowL2Normalize(x, 1e-12f), a);
        return gain == null ? scaled : Ops.mul(scaled, gain);
    }

    /** a, times the measured content weight w where {@code signal} is not null ({@code --adapt-scale}). */
    public static float scale(float a, ContentSignal.Measured signal) {
        return scale(a, signal, 1);
    }

    /**
     * a, times w^p where {@code signal} is not null (the power taken in double, then rounded once;
     * p = 1 gives {@code a * (float) w}, what {@link #scale(float, ContentSignal.Measured)} always gave).
     */
    public static float scale(float a, ContentSignal.Measured signal, int p) {
        if (signal == null) {
            return a;
        }
        double f = 1;
        for (int k = 0; k < p; k++) {
            f *= signal.weight();
        }
        return a * (float) f;
    }

    /**
     * For a model's trained facts: {@code "content_gain": g} when g is on, and the measured lifts
     * and content weight when {@code signal} is not null.
     */
    public static Map<String, Object> facts(Var gain, ContentSignal.Measured signal) {
        Map<String, Object> f = new LinkedHashMap<>();
        if (gain != null) {
            f.put("content_gain", gain.value.item());
        }
        if (signal != null) {
            f.putAll(signal.facts());
        }
        return f;
    }
}
