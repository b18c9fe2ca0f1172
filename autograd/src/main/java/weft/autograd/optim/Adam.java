package weft.autograd.optim;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import weft.autograd.Var;
import weft.autograd.nn.Embedding;
import weft.engine.BinaryOp;
import weft.engine.Kernels;
import weft.engine.Tensor;
import weft.engine.UnaryOp;

/**
 * Adam with PyTorch's semantics (torch.optim.Adam, single-tensor path). At step t of a parameter:
 *
 * <pre>
 *   g  = grad + wd * p                       (L2 weight decay, PyTorch Adam's default coupling)
 *   m  = b1 m + (1 - b1) g
 *   v  = b2 v + (1 - b2) g^2
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)      (eps added after the sqrt)
 * </pre>
 *
 * With {@link #decoupled} (AdamW) the decay is instead applied to the weights before the update,
 * {@code p *= 1 - lr * wd}, and g is the plain gradient. Defaults b1 = 0.9, b2 = 0.999,
 * eps = 1e-8, wd = 0.
 *
 * <p>Lazy mode ({@link #lazy}) for embedding tables: only the rows the table handed out since the
 * last step are updated (moments and weights); untouched rows keep their moments instead of
 * decaying them, and t counts the table's steps. This is what torch.optim.SparseAdam does, and
 * it is not identical to dense Adam: in dense Adam a row with zero gradient still moves while its
 * momentum decays. It saves the O(rows * d) update of large tables per batch.
 *
 * <p>{@link #exportState} / {@link #importState} carry m and v of every parameter that has taken
 * a step ({@code "m.<index>"}, {@code "v.<index>"}) and the per-parameter step counters t
 * ({@code "steps"}, 0 for a parameter not stepped yet). In lazy mode t is already per table and
 * untouched rows keep their moments inside m and v, so that is the whole state; the rows a table
 * handed out since the last step are not, which is why the state is taken between steps.
 */
public final class Adam extends Optimizer {
    private final float beta1, beta2, eps, weightDecay;
    private boolean decoupled;
    private final Map<Var, ParamState> state = new IdentityHashMap<>();
    private final Map<Var, Embedding> lazyTables = new IdentityHashMap<>();

    private static final class ParamState {
        final Tensor m, v;
        final float[] scratch;
        final float[] decayed;   // g + wd * p, only for coupled weight decay
        long t;

        ParamState(Tensor p, boolean needsDecayed) {
            m = new Tensor(p.rows, p.cols);
            v = new Tensor(p.rows, p.cols);
            scratch = new float[p.size()];
            decayed = needsDecayed ? new float[p.size()] : null;
        }
    }

    public Adam(List<Var> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        super(params, lr);
        if (!(beta1 >= 0f && beta1 < 1f && beta2 >= 0f && beta2 < 1f && eps >= 0f && weightDecay >= 0f)) {
            throw new IllegalArgumentException("Adam: need 0 <= beta < 1, eps >= 0, weight decay >= 0; got betas "
                    + beta1 + ", " + beta2 + ", eps " + eps + ", weight decay " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    public Adam(List<Var> params, float lr) {
        this(params, lr, 0.9f, 0.999f, 1e-8f, 0f);
    }

    /** Decoupled weight decay (AdamW) instead of L2 added to the gradient. */
    public Adam decoupled(boolean on) {
        if (!state.isEmpty()) throw new IllegalStateException("Adam.decoupled: set before the first step");
        this.decoupled = on;
        return this;
    }

    /** Updates these tables lazily (see the class comment); their weights must be among the parameters. */
    public Adam lazy(Embedding... tables) {
        for (Embedding e : tables) {
            if (!params.contains(e.weight())) throw new IllegalArgumentException("Adam.lazy: table " + e.weight().shape() + " is not among the parameters");
            lazyTables.put(e.weight(), e);
        }
        return this;
    }

    @Override
    public void step() {
        for (Var p : params) {
            Tensor g = p.grad();
            Embedding table = lazyTables.get(p);
            int[] rows = table == null ? null : table.touchedRows();
            if (table != null) table.clearTouched();
            if (g == null) continue;
            ParamState s = state.computeIfAbsent(p, x -> new ParamState(x.value, weightDecay != 0f && !decoupled));
            s.t++;
            double bc1 = 1 - Math.pow(beta1, s.t), bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, s.t));
            float stepSize = (float) (lr / bc1);
            if (rows == null) {
                update(p.value, g, s, 0, p.value.size(), stepSize, (float) bc2Sqrt);
            } else {
                int d = p.value.cols;
                for (int r : rows) update(p.value, g, s, r * d, d, stepSize, (float) bc2Sqrt);
            }
        }
    }

    /** The update on elements {@code [from, from + n)} of one parameter. */
    private void update(Tensor w, Tensor g, ParamState s, int from, int n, float stepSize, float bc2Sqrt) {
        Kernels k = Kernels.get();
        float[] gd = g.data, sc = s.scratch, m = s.m.data, v = s.v.data;
        int go = g.offset + from, wo = w.offset + from;
        if (weightDecay != 0f && decoupled) {
            k.binaryScalar(BinaryOp.MUL, w.data, wo, 1f - lr * weightDecay, w.data, wo, n);
        } else if (weightDecay != 0f) {
            k.linear(1f, gd, go, weightDecay, w.data, wo, s.decayed, from, n);
            gd = s.decayed;
            go = from;
        }
        k.linear(beta1, m, from, 1f - beta1, gd, go, m, from, n);            // m = b1 m + (1 - b1) g
        k.binary(BinaryOp.MUL, gd, go, gd, go, sc, from, n);                 // g^2
        k.linear(beta2, v, from, 1f - beta2, sc, from, v, from, n);          // v = b2 v + (1 - b2) g^2
        k.unary(UnaryOp.SQRT, v, from, sc, from, n, 0f);
        k.binaryScalar(BinaryOp.DIV, sc, from, bc2Sqrt, sc, from, n);
        k.binaryScalar(BinaryOp.ADD, sc, from, eps, sc, from, n);            // denom = sqrt(v) / sqrt(bc2) + eps
        k.binary(BinaryOp.DIV, m, from, sc, from, sc, from, n);
        k.axpy(-stepSize, sc, from, w.data, wo, n);                          // p -= step * m / denom
    }

    /** The first and second moments of a parameter (null before its first step), for inspection and tests. */
    public Tensor[] moments(Var p) {
        ParamState s = state.get(p);
        return s == null ? null : new Tensor[] {s.m, s.v};
    }

    @Override
    public State exportState() {
        for (Embedding e : lazyTables.values()) {
            int[] pending = e.touchedRows();
            if (pending == null || pending.length > 0) {
                throw new IllegalStateException("Adam.exportState: a lazy table has rows used since the last step; export between steps");
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        long[] steps = new long[params.size()];
        for (int i = 0; i < params.size(); i++) {
            ParamState s = state.get(params.get(i));
            if (s != null) {
                steps[i] = s.t;
                tensors.put("m." + i, s.m.copy());
                tensors.put("v." + i, s.v.copy());
            }
        }
        return new State(tensors, Map.of("steps", steps));
    }

    @Override
    public void importState(State s) {
        long[] steps = s.counters().get("steps");
        if (steps == null) {
            throw new IllegalArgumentException("Adam state: counter 'steps' is missing");
        }
        if (steps.length != params.size()) {
            throw new IllegalArgumentException("Adam state: 'steps' has " + steps.length + " entries for " + params.size() + " parameters");
        }
        for (int i = 0; i < steps.length; i++) {
            if (steps[i] < 0) {
                throw new IllegalArgumentException("Adam state: parameter " + i + " has a negative step count " + steps[i]);
            }
            if (steps[i] > 0) {
                requireLike(s, "m." + i, i);
                requireLike(s, "v." + i, i);
            }
        }
        state.clear();
        for (int i = 0; i < steps.length; i++) {
            if (steps[i] > 0) {
                Var p = params.get(i);
                ParamState st = new ParamState(p.value, weightDecay != 0f && !decoupled);
                st.m.copyFrom(s.tensors().get("m." + i));
                st.v.copyFrom(s.tensors().get("v." + i));
                st.t = steps[i];
                state.put(p, st);
            }
        }
    }

    /** Steps taken so far for a parameter. */
    public long steps(Var p) {
        ParamState s = state.get(p);
        return s == null ? 0 : s.t;
    }
}
