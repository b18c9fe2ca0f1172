package weft.autograd.optim;

import java.util.List;

import weft.autograd.Var;

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
}
