package weft.autograd;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * Finite-difference gradient checking.
 *
 * <p>For a function {@code f} of some input tensors, the checked scalar is
 * {@code L = sum(f(x) * W)} with W a fixed random tensor of the output's shape, so every output
 * element's gradient takes part. The analytic gradient comes from one {@code backward(W)}; the
 * numeric one from central differences {@code (L(x+h) - L(x-h)) / 2h}, with L accumulated in
 * float64.
 *
 * <p>Tolerance: the engine is float32, so each evaluation of L carries a relative rounding error
 * of about 1e-6 (a few ulps per op, summed over a small graph); divided by 2h with h = 1e-2
 * that is ~1e-4 relative, while the truncation error of central differences is O(h^2 f''') ~ 1e-4
 * for the smooth functions checked. We therefore accept
 * {@code |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)} with atol = 2e-3,
 * rtol = 2e-2 by default: loose enough for float32 noise, and tight enough that a missing factor, a
 * wrong sign, a transposition or a dropped term (errors of order 1) is always caught.
 *
 * <p>Every op name seen in a checked graph is recorded ({@link #checkedOps()}), so a coverage
 * test can fail when an op exists that no gradient check exercises.
 */
public final class GradCheck {
    public static final double DEFAULT_H = 1e-2;
    public static final double DEFAULT_ATOL = 2e-3;
    public static final double DEFAULT_RTOL = 2e-2;

    private static final Set<String> CHECKED = Collections.synchronizedSet(new TreeSet<>());

    private GradCheck() {}

    /** Op names that appeared in graphs that passed a gradient check in this JVM. */
    public static Set<String> checkedOps() {
        synchronized (CHECKED) {
            return new TreeSet<>(CHECKED);
        }
    }

    /** Checks with the default step and tolerances; throws AssertionError naming the input and element on failure. */
    public static void check(String what, Function<Var[], Var> f, Tensor... inputs) {
        check(what, f, DEFAULT_H, DEFAULT_ATOL, DEFAULT_RTOL, inputs);
    }

    public static void check(String what, Function<Var[], Var> f, double h, double atol, double rtol, Tensor... inputs) {
        Var[] params = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            params[i] = Var.param("x" + i, inputs[i].copy());
        }
        Var out = f.apply(params);
        Tensor w = new Rng(0x9E3779B9L ^ out.value.size()).uniform(new Tensor(out.value.rows, out.value.cols), -1f, 1f);
        Set<String> ops = new TreeSet<>();
        collectOps(out, ops);
        out.backward(w);

        for (int i = 0; i < inputs.length; i++) {
            Tensor x = params[i].value;
            Tensor analytic = params[i].grad();
            for (int e = 0; e < x.size(); e++) {
                int idx = x.offset + e;
                float orig = x.data[idx];
                x.data[idx] = (float) (orig + h);
                double plus = project(f, params, w);
                x.data[idx] = (float) (orig - h);
                double minus = project(f, params, w);
                x.data[idx] = orig;
                double numeric = (plus - minus) / (2 * h);
                double a = analytic == null ? 0.0 : analytic.data[analytic.offset + e];
                double err = Math.abs(a - numeric);
                if (!(err <= atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)))) {
                    throw new AssertionError(String.format(
                            "%s: gradient mismatch for input %d %s at element %d (row %d, col %d): analytic %.6g, numeric %.6g",
                            what, i, x.shape(), e, e / Math.max(1, x.cols), e % Math.max(1, x.cols), a, numeric));
                }
            }
        }
        CHECKED.addAll(ops);
    }

    /**
     * Checks the gradient of a model's scalar loss with respect to some of its own parameters,
     * perturbing each element of each parameter in place and re-evaluating {@code loss}: no copy
     * of the model and no rebuilt layers, so what is checked is exactly the code that trains.
     * {@code loss} must build a fresh graph from the parameters' current values on every call
     * (as a model's {@code loss(batch)} does). Gradients of the given parameters are cleared
     * first; values are restored element by element.
     */
    public static void checkLoss(String what, java.util.function.Supplier<Var> loss, java.util.List<Var> params) {
        checkLoss(what, loss, params, DEFAULT_H, DEFAULT_ATOL, DEFAULT_RTOL);
    }

    public static void checkLoss(String what, java.util.function.Supplier<Var> loss, java.util.List<Var> params, double h,
                                 double atol, double rtol) {
        for (Var p : params) {
            if (!p.requiresGrad()) {
                throw new IllegalArgumentException(what + ": " + p + " is not a trainable parameter");
            }
            p.zeroGrad();
        }
        Var out = loss.get();
        if (out.value.rows != 1 || out.value.cols != 1) {
            throw new IllegalArgumentException(what + ": the loss must be a scalar, got " + out.value.shape());
        }
        Set<String> ops = new TreeSet<>();
        collectOps(out, ops);
        out.backward();
        Tensor[] analytic = new Tensor[params.size()];
        for (int i = 0; i < analytic.length; i++) {
            Tensor g = params.get(i).grad();
            analytic[i] = g == null ? null : g.copy();
        }
        for (int i = 0; i < params.size(); i++) {
            Tensor x = params.get(i).value;
            for (int e = 0; e < x.size(); e++) {
                int idx = x.offset + e;
                float orig = x.data[idx];
                double plus, minus;
                try (NoGrad g = NoGrad.scope()) {
                    x.data[idx] = (float) (orig + h);
                    plus = loss.get().value.item();
                    x.data[idx] = (float) (orig - h);
                    minus = loss.get().value.item();
                } finally {
                    x.data[idx] = orig;
                }
                double numeric = (plus - minus) / (2 * h);
                double a = analytic[i] == null ? 0.0 : analytic[i].data[analytic[i].offset + e];
                double err = Math.abs(a - numeric);
                if (!(err <= atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)))) {
                    throw new AssertionError(String.format(
                            "%s: gradient mismatch for parameter %d (%s) at element %d (row %d, col %d): analytic %.6g, numeric %.6g",
                            what, i, params.get(i), e, e / Math.max(1, x.cols), e % Math.max(1, x.cols), a, numeric));
                }
            }
        }
        for (Var p : params) {
            p.zeroGrad();
        }
        CHECKED.addAll(ops);
    }

    private static double project(Function<Var[], Var> f, Var[] params, Tensor w) {
        try (NoGrad g = NoGrad.scope()) {
            Tensor y = f.apply(params).value;
            double s = 0;
            for (int j = 0; j < y.size(); j++) {
                s += (double) y.data[y.offset + j] * w.data[w.offset + j];
            }
            return s;
        }
    }

    private static void collectOps(Var v, Set<String> ops) {
        java.util.ArrayDeque<Var> stack = new java.util.ArrayDeque<>();
        java.util.Set<Var> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        stack.push(v);
        while (!stack.isEmpty()) {
            Var x = stack.pop();
            if (!seen.add(x)) {
                continue;
            }
            ops.add(x.opName());
            for (Var p : x.parents()) {
                stack.push(p);
            }
        }
    }
}
