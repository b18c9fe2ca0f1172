package weft.autograd.optim;

import java.util.List;
import java.util.Map;

import weft.autograd.Var;
import weft.engine.Tensor;

/** Updates a fixed list of parameters from their accumulated gradients. */
public abstract class Optimizer {
    protected final List<Var> params;
    protected float lr;

    protected Optimizer(List<Var> params, float lr) {
        if (!(lr >= 0f)) throw new IllegalArgumentException(getClass().getSimpleName() + ": learning rate must be >= 0, got " + lr);
        for (Var p : params) {
            if (!p.requiresGrad()) throw new IllegalArgumentException(getClass().getSimpleName() + ": " + p + " is not a trainable parameter");
        }
        this.params = List.copyOf(params);
        this.lr = lr;
    }

    /** One update of every parameter that has a gradient; parameters without one are left alone (as PyTorch). */
    public abstract void step();

    /** Forgets all gradients, before the next backward. */
    public void zeroGrad() {
        for (Var p : params) p.zeroGrad();
    }

    public float lr() {
        return lr;
    }

    public void setLr(float lr) {
        this.lr = lr;
    }

    public List<Var> params() {
        return params;
    }

    /**
     * What an optimiser accumulated over its steps (PyTorch's {@code state_dict()["state"]}):
     * named tensors (moments, momentum buffers; keys end in the parameter's index in
     * {@link #params()}) and named counters (step counts, one per parameter). The tensors are
     * copies. Hyper-parameters (learning rate, betas, weight decay, lazy tables) are not part of it:
     * they are the constructor's.
     */
    public record State(Map<String, Tensor> tensors, Map<String, long[]> counters) {
        public State {
            tensors = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tensors));
            counters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(counters));
        }
    }

    /**
     * A copy of the accumulated state, taken between steps: an optimiser of the same kind, on
     * parameters of the same shapes, that {@link #importState imports} it continues bit for bit as
     * this one would.
     */
    public abstract State exportState();

    /**
     * Replaces the accumulated state with {@code s} (from {@link #exportState} of an optimiser of
     * the same kind on parameters of the same shapes); the tensors are copied. A missing or
     * mis-shaped entry is an {@link IllegalArgumentException} naming it, and leaves this optimiser
     * unchanged.
     */
    public abstract void importState(State s);

    /** Checks a state tensor against parameter {@code index}'s shape. */
    protected Tensor requireLike(State s, String key, int index) {
        Tensor t = s.tensors().get(key);
        Tensor p = params.get(index).value;
        if (t == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " state: tensor '" + key + "' is missing");
        }
        if (t.rows != p.rows || t.cols != p.cols) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " state: tensor '" + key + "' has shape ["
                    + t.rows + ", " + t.cols + "], parameter " + index + " has [" + p.rows + ", " + p.cols + "]");
        }
        return t;
    }
}
