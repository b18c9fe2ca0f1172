package weft.autograd.nn;

import java.util.List;

import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.engine.Rng;

/**
 * A learned element-wise gate. {@link #gate}: {@code g = sigmoid(W [x ; c] + b)},
 * {@code out = g * x} (HMA-Rec's per-modality gate, c the context such as the item's ID
 * embedding). {@link #mix}: {@code g = sigmoid(W [a ; b'] + b)}, {@code out = g * a + (1 - g) * b'},
 * computed as {@code b' + g * (a - b')} (a fusion of two views of the same size).
 * W is {@code [dx, dx + dc]}: the gate has one value per feature of x.
 */
public final class Gate implements Module {
    public final Linear proj;
    private final int dx;
    private final int dc;

    /** A gate on inputs of width {@code dx} conditioned on a context of width {@code dc}. */
    public Gate(int dx, int dc, Rng rng) {
        this.proj = new Linear(dx + dc, dx, true, rng);
        this.dx = dx;
        this.dc = dc;
    }

    /** On a given projection {@code [dx, dx + dc]}. */
    public Gate(Linear proj, int dx) {
        if (proj.out() != dx || proj.in() <= dx) {
            throw new IllegalArgumentException("Gate: projection " + proj.weight.shape() + " does not map [x ; c] to " + dx + " gates");
        }
        this.proj = proj;
        this.dx = dx;
        this.dc = proj.in() - dx;
    }

    public Var gate(Var x, Var c) {
        check("Gate.gate", x, c);
        return Ops.mul(gateValues(x, c), x);
    }

    /** {@code g * a + (1 - g) * b}; needs a gate built with {@code dc == dx}. */
    public Var mix(Var a, Var b) {
        check("Gate.mix", a, b);
        if (!a.value.sameShape(b.value)) throw new IllegalArgumentException("Gate.mix: shape mismatch " + a.shape() + " vs " + b.shape());
        return Ops.add(b, Ops.mul(gateValues(a, b), Ops.sub(a, b)));
    }

    /** {@code sigmoid(W [x ; c] + b)}, {@code [n, dx]}. */
    public Var gateValues(Var x, Var c) {
        return Ops.sigmoid(proj.forward(ShapeOps.concatCols(x, c)));
    }

    private void check(String op, Var x, Var c) {
        if (x.cols() != dx || c.cols() != dc || x.rows() != c.rows()) {
            throw new IllegalArgumentException(op + ": inputs " + x.shape() + " and " + c.shape()
                    + " do not fit a gate of [n, " + dx + "] conditioned on [n, " + dc + "]");
        }
    }

    @Override
    public List<Var> parameters() {
        return proj.parameters();
    }
}
