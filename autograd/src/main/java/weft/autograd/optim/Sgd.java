package weft.autograd.optim;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import weft.autograd.Var;
import weft.engine.Kernels;
import weft.engine.Tensor;

/**
 * Stochastic gradient descent with PyTorch's semantics (no dampening, no Nesterov):
 * {@code g' = g + wd * p}; with momentum {@code buf = mu * buf + g'} (buf = g' on the first step)
 * and {@code p -= lr * buf}; without, {@code p -= lr * g'}. Its {@link #exportState state} is
 * the momentum buffers, {@code "momentum.<index>"} for each parameter that has one.
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

    @Override
    public State exportState() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor buf = buffers.get(params.get(i));
            if (buf != null) {
                tensors.put("momentum." + i, buf.copy());
            }
        }
        return new State(tensors, Map.of());
    }

    @Override
    public void importState(State s) {
        for (String key : s.tensors().keySet()) {
            int i = key.startsWith("momentum.") ? index(key.substring("momentum.".length())) : -1;
            if (i < 0 || i >= params.size()) {
                throw new IllegalArgumentException("Sgd state: unexpected tensor '" + key + "'");
            }
            requireLike(s, key, i);
        }
        buffers.clear();
        for (Map.Entry<String, Tensor> e : s.tensors().entrySet()) {
            buffers.put(params.get(index(e.getKey().substring("momentum.".length()))), e.getValue().copy());
        }
    }

    private static int index(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
