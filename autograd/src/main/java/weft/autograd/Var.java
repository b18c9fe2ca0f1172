package weft.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import weft.engine.Arena;
import weft.engine.Kernels;
import weft.engine.Tensor;

/**
 * A node of the computation graph: a value, its gradient, and how to push that gradient back to
 * the inputs that produced it (micrograd's idea at tensor granularity).
 *
 * <p>An op computes its forward value eagerly and calls {@link #op} with a {@link Backward}
 * closure that, given this node's gradient, accumulates into its parents' gradients with
 * {@link #accumulate}. {@link #backward()} walks the graph once in reverse topological order.
 * Inside a {@link NoGrad} scope, or when no input requires a gradient, ops record nothing.
 */
public final class Var {
    /** Pushes {@code out.grad} back into the parents' gradients. */
    @FunctionalInterface
    public interface Backward {
        void apply(Tensor gradOut);
    }

    private static final Var[] NO_PARENTS = new Var[0];

    public final Tensor value;
    private Tensor grad;
    private final boolean requiresGrad;
    private final String op;
    private final Var[] parents;
    private final Backward backward;
    /** Optional name, for parameters and error messages. */
    private String name;

    private Var(Tensor value, boolean requiresGrad, String op, Var[] parents, Backward backward) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.op = op;
        this.parents = parents;
        this.backward = backward;
    }

    /** A trainable leaf. */
    public static Var param(Tensor value) {
        return new Var(value, true, "param", NO_PARENTS, null);
    }

    /** A trainable leaf with a name. */
    public static Var param(String name, Tensor value) {
        Var v = param(value);
        v.name = name;
        return v;
    }

    /** A leaf that never receives a gradient. */
    public static Var constant(Tensor value) {
        return new Var(value, false, "const", NO_PARENTS, null);
    }

    /**
     * The result of op {@code opName}. Records {@code backward} and the parents only when
     * gradients are enabled and some parent requires one; otherwise returns a constant.
     */
    public static Var op(String opName, Tensor value, Backward backward, Var... parents) {
        if (NoGrad.active()) {
            return new Var(value, false, opName, NO_PARENTS, null);
        }
        if (OpProfile.enabled()) {
            OpProfile.mark(opName);
        }
        boolean any = false;
        for (Var p : parents) {
            any |= p.requiresGrad;
        }
        if (!any) {
            return new Var(value, false, opName, NO_PARENTS, null);
        }
        return new Var(value, true, opName, parents, backward);
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The inputs this node was computed from (empty for leaves and unrecorded results). */
    public java.util.List<Var> parents() {
        return java.util.List.of(parents);
    }

    public String opName() {
        return op;
    }

    public String name() {
        return name;
    }

    public Var named(String n) {
        this.name = n;
        return this;
    }

    public int rows() {
        return value.rows;
    }

    public int cols() {
        return value.cols;
    }

    public String shape() {
        return value.shape();
    }

    /** The accumulated gradient, or null when none has reached this node. */
    public Tensor grad() {
        return grad;
    }

    /** The gradient, allocated as zeros if absent. */
    public Tensor gradOrZeros() {
        if (grad == null) {
            // an op's gradient is released within the step; a parameter's outlives it (Arena)
            grad = backward != null ? Tensor.recycledZeros(value.rows, value.cols) : new Tensor(value.rows, value.cols);
        }
        return grad;
    }

    public void zeroGrad() {
        grad = null;
    }

    /** Adds {@code g} (same shape as the value) into this node's gradient; no-op for constants. */
    public void accumulate(Tensor g) {
        if (!requiresGrad) {
            return;
        }
        if (!g.sameShape(value)) {
            throw new IllegalArgumentException("gradient of " + op + ": shape " + g.shape() + " does not match value " + value.shape());
        }
        if (grad == null) {
            grad = backward != null ? recycledCopy(g) : g.copy();
        } else {
            Kernels.get().axpy(1f, g.data, g.offset, grad.data, grad.offset, g.size());
        }
    }

    /**
     * As {@link #accumulate}, for a gradient tensor that no one else holds and the caller will not
     * touch again (one it has just allocated, or its own node's gradient at its last use in that
     * node's backward, which {@link #backward} releases right after): the first contribution is
     * kept as the gradient itself instead of copied. Same values as {@code accumulate(g)}.
     */
    public void accumulateOwned(Tensor g) {
        if (!requiresGrad) {
            return;
        }
        // a parameter keeps its gradient after the step, so not an array the step's Arena lent
        if (grad == null && g.sameShape(value) && g.offset == 0 && g.data.length == g.size()
                && (backward != null || !Arena.lends(g.data))) {
            grad = g;
        } else {
            accumulate(g);
        }
    }

    private static Tensor recycledCopy(Tensor g) {
        Tensor c = Tensor.uninitialized(g.rows, g.cols);
        System.arraycopy(g.data, g.offset, c.data, 0, g.size());
        return c;
    }

    /** Backpropagates from this scalar ([1, 1]) node with seed gradient 1. */
    public void backward() {
        if (value.rows != 1 || value.cols != 1) {
            throw new IllegalStateException("backward() needs a scalar [1, 1] output, got " + value.shape() + " from " + op);
        }
        backward(Tensor.scalar(1f));
    }

    /** Backpropagates with the given seed gradient (same shape as the value). */
    public void backward(Tensor seed) {
        if (!requiresGrad) {
            throw new IllegalStateException("backward(): " + op + " output does not depend on any parameter");
        }
        boolean profile = OpProfile.enabled();
        if (profile) OpProfile.mark("(forward to the loss)");
        List<Var> order = topologicalOrder();
        accumulate(seed);
        if (profile) OpProfile.mark("(backward: graph order)");
        for (int i = order.size() - 1; i >= 0; i--) {
            Var v = order.get(i);
            if (v.backward != null && v.grad != null) {
                // A backward may hand its gradient to a parent (accumulateOwned): every other node's
                // gradient is released right after, but this node's is kept, so it gets a copy (an
                // intermediate gradient like the others, so from the step's arena where one is open).
                v.backward.apply(v == this ? recycledCopy(v.grad) : v.grad);
                if (profile) OpProfile.mark(v.op + " backward");
            }
            if (v.backward != null && v != this) {
                v.grad = null; // intermediate gradients are not kept
            }
        }
    }

    /** Nodes reachable from this one, each after all of its parents (iterative DFS). */
    private List<Var> topologicalOrder() {
        List<Var> order = new ArrayList<>();
        Map<Var, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {this, 0});
        seen.put(this, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Var v = (Var) top[0];
            int next = (Integer) top[1];
            if (next < v.parents.length) {
                top[1] = next + 1;
                Var p = v.parents[next];
                if (p.requiresGrad && seen.put(p, Boolean.TRUE) == null) {
                    stack.push(new Object[] {p, 0});
                }
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }

    @Override
    public String toString() {
        return (name != null ? name : op) + value.shape();
    }
}
