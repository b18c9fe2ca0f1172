package weft.autograd.nn;

import java.util.List;

import weft.autograd.Ops;
import weft.autograd.Var;
import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * A fully connected layer {@code y = x W^T + b}: x is {@code [n, in]}, W is {@code [out, in]}
 * (PyTorch's layout, so Xavier's fan-in/fan-out match torch.nn.init.xavier_uniform_), b is
 * {@code [1, out]} broadcast over rows. W is Xavier uniform, b starts at zero.
 */
public final class Linear implements Module {
    public final Var weight;
    /** Null when built without a bias. */
    public final Var bias;

    public Linear(int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: sizes must be positive, got in = " + in + ", out = " + out);
        }
        this.weight = Var.param("linear.weight", rng.xavierUniform(new Tensor(out, in)));
        this.bias = bias ? Var.param("linear.bias", new Tensor(1, out)) : null;
    }

    /** A layer on given weights ({@code [out, in]}) and bias ({@code [1, out]}, or null): for shared or loaded weights. */
    public Linear(Var weight, Var bias) {
        if (bias != null && (bias.rows() != 1 || bias.cols() != weight.rows())) {
            throw new IllegalArgumentException("Linear: bias " + bias.shape() + " does not match weight " + weight.shape());
        }
        this.weight = weight;
        this.bias = bias;
    }

    public Linear(int in, int out, Rng rng) {
        this(in, out, true, rng);
    }

    public Var forward(Var x) {
        checkInput(x);
        // With a bias, one op with the same bits as add(matmul(x, W^T), b).
        return bias == null ? Ops.matmul(x, false, weight, true) : Ops.linear(x, weight, bias);
    }

    /**
     * {@code r + forward(x)}: the layer's output added to a residual {@code r} ({@code [n, out]}).
     * With a bias, one op ({@link Ops#linear(Var, Var, Var, Var)}) with the bits of
     * {@code Ops.add(r, forward(x))}, without the layer's separate output and the copy of the
     * gradient the add made; {@code -Dweft.fusedResidual=false} composes the two ops instead.
     */
    public Var forward(Var x, Var r) {
        checkInput(x);
        if (r.rows() != x.rows() || r.cols() != out()) {   // both paths: the composed add would broadcast a [1, out] r
            throw new IllegalArgumentException("Linear: residual " + r.shape() + " does not match the output [" + x.rows() + ", " + out() + "]");
        }
        return fusedResidual && bias != null ? Ops.linear(x, weight, bias, r) : Ops.add(r, forward(x));
    }

    /** Whether {@link #forward(Var, Var)} runs as one op (the same bits either way; a switch for benchmarks). */
    static volatile boolean fusedResidual = !"false".equals(System.getProperty("weft.fusedResidual"));

    private void checkInput(Var x) {
        if (x.cols() != weight.cols()) {
            throw new IllegalArgumentException("Linear: input " + x.shape() + " does not match weight " + weight.shape() + " (expected " + weight.cols() + " columns)");
        }
    }

    public int in() {
        return weight.cols();
    }

    public int out() {
        return weight.rows();
    }

    @Override
    public List<Var> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }
}
