package weft.autograd.nn;

import java.util.List;

import weft.autograd.RowOps;
import weft.autograd.Var;
import weft.engine.Tensor;

/**
 * Layer normalisation over the last dimension (each row):
 * {@code y = gamma * (x - mean) / sqrt(var + eps) + beta}, gamma = 1 and beta = 0 at start,
 * eps = 1e-5 as PyTorch.
 */
public final class LayerNorm implements Module {
    public final Var gamma;
    public final Var beta;
    public final float eps;

    public LayerNorm(int dim, float eps) {
        if (dim <= 0) throw new IllegalArgumentException("LayerNorm: dim must be positive, got " + dim);
        this.gamma = Var.param("layerNorm.gamma", Tensor.full(1, dim, 1f));
        this.beta = Var.param("layerNorm.beta", new Tensor(1, dim));
        this.eps = eps;
    }

    /** On given gamma and beta, both {@code [1, d]}. */
    public LayerNorm(Var gamma, Var beta, float eps) {
        this.gamma = gamma;
        this.beta = beta;
        this.eps = eps;
    }

    public LayerNorm(int dim) {
        this(dim, 1e-5f);
    }

    public Var forward(Var x) {
        return RowOps.layerNorm(x, gamma, beta, eps);
    }

    @Override
    public List<Var> parameters() {
        return List.of(gamma, beta);
    }
}
