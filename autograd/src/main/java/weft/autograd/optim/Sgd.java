package weft.autograd.optim;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import weft.autograd.Var;
import weft.engine.Kernels;
import weft.engine.Tensor;

/**
 * Stochastic gradient descent with PyTorch's semantics (no dampening, no Nesterov):
 * {@code g' = g + wd * p}; with momentum {@code buf = mu * buf + g'} (buf = g' on the first step)
 * and {@code p -= lr * buf}; without, {@code p -= lr * g'}.
 */
public final class Sgd extends Optimizer {
    private final float momentum;
    private final float weightDecay;
    private final Map<Var, Tensor> buffers = new IdentityHashMap<>();

    public Sgd(List<Var> params, float lr, float momentum, float weightDecay) {
        super(params, lr);
        if (!(momentum >= 0f) || !(weightDecay >= 0f)) {
            throw new IllegalArgumentException("Sgd: momentum and weight decay must be >= 0, got " + momentum + ", " + weightDecay);
        }
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    public Sgd(List<Var> params, float lr) {
        this(params, lr, 0f, 0f);
    }

    @Override
    public void step() {
        Kernels k = Kernels.get();
        for (Var p : params) {
            Tensor g = p.grad(), w = p.value;
            if (g == null) continue;
            int n = w.size();
            if (weightDecay != 0f) {   // a fresh tensor: p.grad itself is left as backward made it
                Tensor gw = new Tensor(w.rows, w.cols);
                k.linear(1f, g.data, g.offset, weightDecay, w.data, w.offset, gw.data, 0, n);
                g = gw;
            }
            if (momentum != 0f) {
                Tensor buf = buffers.get(p);
                if (buf == null) {
                    buffers.put(p, buf = g.copy());
                } else {
                    k.linear(momentum, buf.data, 0, 1f, g.data, g.offset, buf.data, 0, n);
                }
                g = buf;
            }
            k.axpy(-lr, g.data, g.offset, w.data, w.offset, n);
        }
    }
}
