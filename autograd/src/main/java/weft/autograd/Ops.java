package weft.autograd;

import weft.engine.BinaryOp;
import weft.engine.KernelProvider;
import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Parallel;
import weft.engine.Tensor;
import weft.engine.UnaryOp;

/**
 * Differentiable element-wise arithmetic, matrix products, reductions and activations.
 * Each op computes its value eagerly and records, next to it, the closure that pushes the
 * output gradient {@code g} back into its inputs:
 *
 * <pre>
 *   a + b        da += g             db += g                 (broadcast inputs: g summed to their shape)
 *   a - b        da += g             db -= g
 *   a * b        da += g b           db += g a
 *   a / b        da += g / b         db -= g (a / b) / b
 *   c a          da += c g
 *   op(A) op(B)  dA, dB by the usual transposition rules (see {@link #matmul})
 *   sum(a)       da += g broadcast back to a's shape
 *   mean of row groups   y_b = mean of rows bT .. bT+T-1     each of those rows += g_b / T
 *   ||a||_F      da += g a / ||a||_F
 *   f(a)         da += g f'(a)       for exp, log, sigmoid, tanh, relu, leakyRelu, softplus, logSigmoid
 * </pre>
 *
 * <p>Broadcasting: the binary ops accept, on either side, a same-shape operand, a row vector
 * {@code [1, c]} (repeated over rows), a column vector {@code [r, 1]} (repeated over columns) or a
 * scalar {@code [1, 1]} (a column with a row gives their outer combination). Anything else fails
 * with an IllegalArgumentException naming the op and both shapes.
 */
public final class Ops {
    private Ops() {}

    static Kernels k() {
        return Kernels.get();
    }

    /** The gradient buffer to accumulate into, or null when {@code v} takes no gradient. */
    static Tensor gradBuf(Var v) {
        return v.requiresGrad() ? v.gradOrZeros() : null;
    }

    // ------------------------------------------------------------------ broadcasting arithmetic

    public static Var add(Var a, Var b) {
        Tensor out = broadcast("add", BinaryOp.ADD, a.value, b.value);
        return Var.op("add", out, g -> {
            // Each operand gets g once, and the order between two different operands changes no sum,
            // so the one that keeps g itself (no copy) is b, unless only a would need a copy: a has no
            // gradient yet while b has one to add g into (or needs none).
            if (a != b && a.grad() == null && (!b.requiresGrad() || b.grad() != null)) {
                reduceInto(g, b);
                reduceIntoOwned(g, a);   // g's last use: a may keep it
            } else {
                reduceInto(g, a);
                reduceIntoOwned(g, b);   // g's last use: b may keep it
            }
        }, a, b);
    }

    public static Var sub(Var a, Var b) {
        Tensor out = broadcast("sub", BinaryOp.SUB, a.value, b.value);
        return Var.op("sub", out, g -> {
            if (b.requiresGrad()) {
                if (b.grad() != null && g.sameShape(b.value)) {
                    // grad - g as one fma(-1, g, grad): the value and rounding of adding the negated copy, without the copy
                    Tensor gb = b.grad();
                    k().axpy(-1f, g.data, g.offset, gb.data, gb.offset, g.size());
                } else {
                    reduceIntoOwned(scaled(g, -1f), b);   // a new tensor: b may keep it
                }
            }
            reduceIntoOwned(g, a);   // g's last use: a may keep it
        }, a, b);
    }

    public static Var mul(Var a, Var b) {
        Tensor out = broadcast("mul", BinaryOp.MUL, a.value, b.value);
        return Var.op("mul", out, g -> {
            // new tensors: the inputs may keep them as their gradients
            if (a.requiresGrad()) reduceIntoOwned(broadcast("mul", BinaryOp.MUL, g, b.value), a);
            if (b.requiresGrad()) reduceIntoOwned(broadcast("mul", BinaryOp.MUL, g, a.value), b);
        }, a, b);
    }

    public static Var div(Var a, Var b) {
        Tensor out = broadcast("div", BinaryOp.DIV, a.value, b.value);
        return Var.op("div", out, g -> {
            Tensor gOverB = broadcast("div", BinaryOp.DIV, g, b.value);
            // d(a/b)/db = -(a/b)/b, so db = -(g/b) * out; then a may keep g / b (its last use)
            if (b.requiresGrad()) reduceIntoOwned(scaled(broadcast("mul", BinaryOp.MUL, gOverB, out), -1f), b);
            reduceIntoOwned(gOverB, a);
        }, a, b);
    }

    /** {@code c * a} for a constant c. */
    public static Var scale(Var a, float c) {
        Tensor out = scaled(a.value, c);
        return Var.op("scale", out, g -> {
            Tensor ga = gradBuf(a);
            k().axpy(c, g.data, g.offset, ga.data, ga.offset, g.size());
        }, a);
    }

    public static Var neg(Var a) {
        return scale(a, -1f);
    }

    /** The shape of {@code a op b} under the broadcasting rules, or an exception naming {@code op}. */
    static int[] broadcastShape(String op, Tensor a, Tensor b) {
        int r = bdim(a.rows, b.rows), c = bdim(a.cols, b.cols);
        if (r < 0 || c < 0) {
            throw new IllegalArgumentException(op + ": cannot broadcast " + a.shape() + " with " + b.shape());
        }
        return new int[] {r, c};
    }

    private static int bdim(int x, int y) {
        return x == y ? x : x == 1 ? y : y == 1 ? x : -1;
    }

    /** {@code a op b} with broadcasting, into a new tensor; row by row so that a bias row is never materialised. */
    static Tensor broadcast(String name, BinaryOp op, Tensor a, Tensor b) {
        int[] s = broadcastShape(name, a, b);
        int rows = s[0], cols = s[1];
        Tensor out = Tensor.uninitialized(rows, cols);
        Kernels k = k();
        if (a.sameShape(b)) {
            k.binary(op, a.data, a.offset, b.data, b.offset, out.data, 0, rows * cols);
            return out;
        }
        // Rows are independent: split over the pool when large (same bits).
        Parallel.forWork(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int ai = a.offset + (a.rows == 1 ? 0 : r * a.cols);
                int bi = b.offset + (b.rows == 1 ? 0 : r * b.cols);
                int oi = r * cols;
                if (a.cols == cols && b.cols == cols) {
                    k.binary(op, a.data, ai, b.data, bi, out.data, oi, cols);
                } else if (a.cols == cols) {
                    k.binaryScalar(op, a.data, ai, b.data[bi], out.data, oi, cols);
                } else if (b.cols == cols) {
                    scalarOpRow(op, a.data[ai], b.data, bi, out.data, oi, cols);
                } else {
                    out.data[oi] = op.apply(a.data[ai], b.data[bi]);
                }
            }
        });
        return out;
    }

    /** {@code out[i] = s op x[i]}: the scalar on the left, which Kernels.binaryScalar does not offer. */
    private static void scalarOpRow(BinaryOp op, float s, float[] x, int xi, float[] out, int oi, int n) {
        Kernels k = k();
        switch (op) {
            case ADD: case MUL: case MAX: case MIN:
                k.binaryScalar(op, x, xi, s, out, oi, n);
                break;
            case SUB: // s - x = (-x) + s, which keeps s - s = +0 as IEEE subtraction does
                k.unary(UnaryOp.NEG, x, xi, out, oi, n, 0f);
                k.binaryScalar(BinaryOp.ADD, out, oi, s, out, oi, n);
                break;
            case DIV:
                for (int i = 0; i < n; i++) out[oi + i] = s / x[xi + i];
                break;
            default:
                throw new AssertionError(op);
        }
    }

    /** Adds {@code g} into {@code v}'s gradient, summing over the dimensions {@code v} was broadcast along. */
    static void reduceInto(Tensor g, Var v) {
        if (!v.requiresGrad()) {
            return;
        }
        if (g.sameShape(v.value)) {
            v.accumulate(g);   // copies on first use instead of zero-filling and adding
            return;
        }
        Tensor gv = v.gradOrZeros();
        Kernels k = k();
        if (gv.rows == 1 && gv.cols == 1) {
            gv.data[gv.offset] += k.sum(g.data, g.offset, g.size());
        } else if (gv.rows == 1) {
            k.sumCols(g.data, g.offset, g.rows, g.cols, gv.data, gv.offset, true);
        } else {
            k.sumRows(g.data, g.offset, g.rows, g.cols, gv.data, gv.offset, true);
        }
    }

    /**
     * As {@link #reduceInto}, where {@code g} is the calling node's own gradient and this is its last
     * use in that node's backward: when the shapes match, {@code v} keeps {@code g} itself as its
     * gradient instead of a copy ({@link Var#accumulateOwned}). Same values.
     */
    static void reduceIntoOwned(Tensor g, Var v) {
        if (v.requiresGrad() && g.sameShape(v.value)) {
            v.accumulateOwned(g);
        } else {
            reduceInto(g, v);
        }
    }

    static Tensor scaled(Tensor a, float c) {
        Tensor out = Tensor.uninitialized(a.rows, a.cols);
        k().binaryScalar(BinaryOp.MUL, a.data, a.offset, c, out.data, 0, a.size());
        return out;
    }

    // ------------------------------------------------------------------ matrix products

    /**
     * {@code C = op(A) op(B)}, op transposing when its flag is set. With G the output gradient:
     * {@code dA = G op(B)^T} (or its transpose {@code op(B) G^T} when A is used transposed) and
     * {@code dB = op(A)^T G} (or {@code G^T op(A)}). Shape mismatches fail naming both shapes.
     */
    public static Var matmul(Var a, boolean transA, Var b, boolean transB) {
        Tensor out = MatMul.matmul(a.value, transA, b.value, transB);
        return Var.op("matmul", out, g -> {
            if (a.requiresGrad()) {
                if (transA) MatMul.matmulInto(b.value, transB, g, true, a.gradOrZeros(), true);
                else MatMul.matmulInto(g, false, b.value, !transB, a.gradOrZeros(), true);
            }
            if (b.requiresGrad()) {
                if (transB) MatMul.matmulInto(g, true, a.value, transA, b.gradOrZeros(), true);
                else MatMul.matmulInto(a.value, !transA, g, false, b.gradOrZeros(), true);
            }
        }, a, b);
    }

    /**
     * A fully connected layer {@code y = x W^T + b} ({@code x [n, in]}, {@code W [out, in]},
     * {@code b [1, out]}) as one op: the values and gradients of {@code add(matmul(x, W^T), b)}
     * with the same bits (the bias is added into the product's rows with the same kernel, and the
     * backward does the add's and the product's steps in their order), without the separate sum
     * tensor and the copy of the gradient that the add node made.
     */
    public static Var linear(Var x, Var w, Var b) {
        return Var.op("linear", linearValue(x, w, b, null), g -> linearBackward(g, x, w, b), x, w, b);
    }

    /**
     * {@code x W^T + b}, then {@code + r} where r is given: the product, the bias added to each row
     * (as add(matmul, b) rounds it), then the residual added (as add(r, ...) rounds it).
     */
    private static Tensor linearValue(Var x, Var w, Var b, Var r) {
        if (b.rows() != 1 || b.cols() != w.rows()) {
            throw new IllegalArgumentException("linear: bias " + b.shape() + " does not match weight " + w.shape());
        }
        if (r != null && (r.rows() != x.rows() || r.cols() != w.rows())) {
            throw new IllegalArgumentException("linear: residual " + r.shape() + " does not match the output [" + x.rows()
                    + ", " + w.rows() + "] of input " + x.shape() + " and weight " + w.shape());
        }
        Tensor out = MatMul.matmul(x.value, false, w.value, true);
        Kernels k = k();
        Tensor bv = b.value, rv = r == null ? null : r.value;
        int rows = out.rows, cols = out.cols;
        Parallel.forWork(rows, (rv == null ? 1L : 2L) * cols, (r0, r1) -> {   // rows are independent: same bits for any split
            for (int i = r0; i < r1; i++) {
                k.binary(BinaryOp.ADD, out.data, i * cols, bv.data, bv.offset, out.data, i * cols, cols);
                if (rv != null) k.binary(BinaryOp.ADD, rv.data, rv.offset + i * cols, out.data, i * cols, out.data, i * cols, cols);
            }
        });
        return out;
    }

    /** The backward of {@code add(matmul(x, W^T), b)} in its steps' order; g is only read. */
    private static void linearBackward(Tensor g, Var x, Var w, Var b) {
        if (b.requiresGrad()) {   // the add's backward: the bias's part (the product's is g itself)
            if (g.rows == 1) {
                b.accumulate(g);   // same shape: the add accumulated it as is
            } else {
                Tensor gb = b.gradOrZeros();
                k().sumCols(g.data, g.offset, g.rows, g.cols, gb.data, gb.offset, true);
            }
        }
        if (x.requiresGrad()) {
            if (x.grad() == null) {   // the first gradient: written, not added to a zero-filled buffer
                x.accumulateOwned(MatMul.matmul(g, false, w.value, false));
            } else {
                MatMul.matmulInto(g, false, w.value, false, x.grad(), true);
            }
        }
        if (w.requiresGrad()) MatMul.matmulInto(g, true, x.value, false, w.gradOrZeros(), true);
    }

    /**
     * {@code r + (x W^T + b)}: a fully connected layer whose output is added to a residual
     * {@code r} ({@code [n, out]}), as one op with the values and gradients of
     * {@code add(r, linear(x, W, b))} to the bit. Each element is the product's, then the bias added,
     * then the residual added, as the two ops round it. Without the product's separate tensor (the
     * sum is written over it) and the copy of the gradient that the add made for r: the backward
     * does the layer's steps with the gradient and then hands it to r, which sees the same
     * contributions in the same order as behind the add, since the layer's steps touch only x,
     * W and b. (Where r is one of those, r gets its part first, as the add gave it.)
     */
    public static Var linear(Var x, Var w, Var b, Var r) {
        Tensor out = linearValue(x, w, b, r);
        boolean residualFirst = r == x || r == w || r == b;
        return Var.op("linear+residual", out, g -> {
            if (residualFirst) reduceInto(g, r);   // the add's order: r's part before the layer's
            linearBackward(g, x, w, b);
            if (!residualFirst) reduceIntoOwned(g, r);   // g's last use: r may keep it
        }, x, w, b, r);
    }

    public static Var matmul(Var a, Var b) {
        return matmul(a, false, b, false);
    }

    /**
     * Batched small products for attention: A and B each hold {@code blocks} matrices stacked as
     * row blocks ({@code A = [blocks * ra, ca]}, {@code B = [blocks * rb, cb]}), and block i of the
     * result is {@code op(A_i) op(B_i)}, giving {@code [blocks * m, n]}. E.g. scores
     * {@code Q K^T} per sequence: {@code [B*T, d] x [B*T, d]^T -> [B*T, T]}. Gradients follow
     * {@link #matmul} block by block. Written for tiny blocks (T = 2..8): a loop per block over
     * Kernels.dot/axpy, blocks spread over the shared pool.
     */
    public static Var bmm(Var a, boolean transA, Var b, boolean transB, int blocks) {
        Tensor out = bmm("bmm", a.value, transA, b.value, transB, blocks);
        return Var.op("bmm", out, g -> {
            if (a.requiresGrad()) {
                Tensor ga = transA ? bmm("bmm", b.value, transB, g, true, blocks) : bmm("bmm", g, false, b.value, !transB, blocks);
                reduceIntoOwned(ga, a);   // a new tensor: a may keep it
            }
            if (b.requiresGrad()) {
                Tensor gb = transB ? bmm("bmm", g, true, a.value, transA, blocks) : bmm("bmm", a.value, !transA, g, false, blocks);
                reduceIntoOwned(gb, b);
            }
        }, a, b);
    }

    /** Tensor-level batched product (no graph); see {@link #bmm(Var, boolean, Var, boolean, int)}. */
    static Tensor bmm(String name, Tensor a, boolean transA, Tensor b, boolean transB, int blocks) {
        if (blocks <= 0 || a.rows % blocks != 0 || b.rows % blocks != 0) {
            throw new IllegalArgumentException(name + ": " + blocks + " blocks do not divide the rows of " + a.shape() + " and " + b.shape());
        }
        int ra = a.rows / blocks, ca = a.cols, rb = b.rows / blocks, cb = b.cols;
        int m = transA ? ca : ra, kA = transA ? ra : ca, kB = transB ? cb : rb, n = transB ? rb : cb;
        if (kA != kB) {
            throw new IllegalArgumentException(name + ": shape mismatch " + a.shape() + (transA ? "^T" : "") + " x "
                    + b.shape() + (transB ? "^T" : "") + " in " + blocks + " blocks (inner dimensions " + kA + " vs " + kB + ")");
        }
        Tensor out = Tensor.recycledZeros(blocks * m, n);   // some forms accumulate
        int kk = kA;
        Parallel.forRange(blocks, Math.max(1, 4096 / Math.max(1, m * n * kk)), (from, to) -> {
            Kernels k = k();
            for (int blk = from; blk < to; blk++) {
                int ao = a.offset + blk * ra * ca, bo = b.offset + blk * rb * cb, co = blk * m * n;
                for (int i = 0; i < m; i++) {
                    int ci = co + i * n;
                    if (!transA && transB) {          // c[i, j] = a[i, :] . b[j, :]
                        for (int j = 0; j < n; j++) out.data[ci + j] = k.dot(a.data, ao + i * ca, b.data, bo + j * cb, kk);
                    } else if (!transA) {              // c[i, :] = sum_p a[i, p] b[p, :]
                        for (int p = 0; p < kk; p++) k.axpy(a.data[ao + i * ca + p], b.data, bo + p * cb, out.data, ci, n);
                    } else if (!transB) {              // c[i, :] = sum_p a[p, i] b[p, :]
                        for (int p = 0; p < kk; p++) k.axpy(a.data[ao + p * ca + i], b.data, bo + p * cb, out.data, ci, n);
                    } else {                           // c[i, j] = sum_p a[p, i] b[j, p]; rare, plain loop
                        for (int j = 0; j < n; j++) {
                            float s = 0f;
                            for (int p = 0; p < kk; p++) s += a.data[ao + p * ca + i] * b.data[bo + j * cb + p];
                            out.data[ci + j] = s;
                        }
                    }
                }
            }
        });
        return out;
    }

    // ------------------------------------------------------------------ reductions

    /** Sum of all elements, {@code [1, 1]}. */
    public static Var sum(Var a) {
        Tensor av = a.value;
        Tensor out = Tensor.scalar(k().sum(av.data, av.offset, av.size()));
        return Var.op("sum", out, g -> {
            Tensor ga = gradBuf(a);
            k().binaryScalar(BinaryOp.ADD, ga.data, ga.offset, g.item(), ga.data, ga.offset, ga.size());
        }, a);
    }

    /** Sum of each row, {@code [r, 1]}. */
    public static Var sumRows(Var a) {
        Tensor av = a.value;
        Tensor out = new Tensor(av.rows, 1);
        k().sumRows(av.data, av.offset, av.rows, av.cols, out.data, 0, false);
        return Var.op("sumRows", out, g -> {
            Tensor ga = gradBuf(a);
            for (int r = 0; r < av.rows; r++) {
                int gi = ga.offset + r * av.cols;
                k().binaryScalar(BinaryOp.ADD, ga.data, gi, g.data[g.offset + r], ga.data, gi, av.cols);
            }
        }, a);
    }

    /** Sum of each column, {@code [1, c]}. */
    public static Var sumCols(Var a) {
        Tensor av = a.value;
        Tensor out = new Tensor(1, av.cols);
        k().sumCols(av.data, av.offset, av.rows, av.cols, out.data, 0, false);
        return Var.op("sumCols", out, g -> {
            Tensor ga = gradBuf(a);
            for (int r = 0; r < av.rows; r++) k().axpy(1f, g.data, g.offset, ga.data, ga.offset + r * av.cols, av.cols);
        }, a);
    }

    public static Var mean(Var a) {
        return scale(sum(a), 1f / a.value.size());
    }

    public static Var meanRows(Var a) {
        return scale(sumRows(a), 1f / a.cols());
    }

    public static Var meanCols(Var a) {
        return scale(sumCols(a), 1f / a.rows());
    }

    /**
     * Mean of each group of {@code group} consecutive rows: {@code [B*T, d] -> [B, d]} with
     * {@code y_b = (((x_{bT} + x_{bT+1}) + ...) + x_{bT+T-1}) * (1/T)}, the rows added in order,
     * then scaled; every row of a group gets {@code g_b * (1/T)}. One op for what mean pooling
     * over token sequences composes from T column slices, T - 1 additions and a scale, with the
     * same values and gradients to the bit (the gradient's zeros are +0 as an addition to a
     * zero-filled buffer leaves them). {@code group = 1} returns x itself.
     */
    public static Var meanOfRowGroups(Var x, int group) {
        Tensor xv = x.value;
        if (group <= 0 || xv.rows % group != 0) {
            throw new IllegalArgumentException("meanOfRowGroups: " + xv.shape() + " is not [B*" + group + ", d]");
        }
        if (group == 1) {
            return x;
        }
        int d = xv.cols, batch = xv.rows / group;
        float c = 1f / group;
        Tensor out = Tensor.uninitialized(batch, d);
        float[] xd = xv.data, od = out.data;
        int x0 = xv.offset;
        Kernels kb = KernelProvider.base();   // the pool already splits the groups
        Parallel.forWork(batch, (long) group * d, (b0, b1) -> {   // groups are independent: same bits for any split
            for (int b = b0; b < b1; b++) {
                int xi = x0 + b * group * d, oi = b * d;
                System.arraycopy(xd, xi, od, oi, d);
                for (int t = 1; t < group; t++) {   // row after row: each element's additions in order
                    kb.binary(BinaryOp.ADD, od, oi, xd, xi + t * d, od, oi, d);
                }
                kb.binaryScalar(BinaryOp.MUL, od, oi, c, od, oi, d);
            }
        });
        return Var.op("meanOfRowGroups", out, g -> {
            if (!x.requiresGrad()) return;
            Tensor gx = Tensor.uninitialized(xv.rows, d);
            float[] gd = g.data, gxd = gx.data;
            int g0 = g.offset;
            Parallel.forWork(batch, (long) group * d, (b0, b1) -> {
                for (int b = b0; b < b1; b++) {
                    int gi = g0 + b * d, xi = b * group * d;
                    kb.binaryScalar(BinaryOp.MUL, gd, gi, c, gxd, xi, d);
                    kb.binaryScalar(BinaryOp.ADD, gxd, xi, 0f, gxd, xi, d);   // -0 to +0, as 0 + (-0) in a zeroed buffer
                    for (int t = 1; t < group; t++) System.arraycopy(gxd, xi, gxd, xi + t * d, d);
                }
            });
            x.accumulateOwned(gx);
        }, x);
    }

    /** Sum of squares of all elements, {@code [1, 1]}: the L2 penalty without a copy of {@code a * a}. */
    public static Var sumSquares(Var a) {
        Tensor av = a.value;
        Tensor out = Tensor.scalar(k().sumSquares(av.data, av.offset, av.size()));
        return Var.op("sumSquares", out, g -> {
            Tensor ga = gradBuf(a);
            k().axpy(2f * g.item(), av.data, av.offset, ga.data, ga.offset, av.size());
        }, a);
    }

    /**
     * Frobenius norm {@code sqrt(sum a^2)}, {@code [1, 1]} (MMRec's EmbLoss uses it unsquared).
     * At {@code a = 0} the gradient is taken as 0 (a subgradient) rather than NaN.
     */
    public static Var norm(Var a) {
        Tensor av = a.value;
        float n = (float) Math.sqrt(k().sumSquares(av.data, av.offset, av.size()));
        return Var.op("norm", Tensor.scalar(n), g -> {
            Tensor ga = gradBuf(a);
            if (n > 0f) k().axpy(g.item() / n, av.data, av.offset, ga.data, ga.offset, av.size());
        }, a);
    }

    /** Per-row dot product {@code out[r] = a[r, :] . b[r, :]}, {@code [r, 1]} (BPR scores). */
    public static Var rowDot(Var a, Var b) {
        Tensor av = a.value, bv = b.value;
        Tensor.requireSameShape("rowDot", av, bv);
        Tensor out = new Tensor(av.rows, 1);
        k().rowDot(av.data, av.offset, bv.data, bv.offset, av.rows, av.cols, out.data, 0);
        return Var.op("rowDot", out, g -> {
            // new tensors: the inputs may keep them as their gradients
            reduceIntoOwned(broadcast("rowDot", BinaryOp.MUL, bv, g), a);
            reduceIntoOwned(broadcast("rowDot", BinaryOp.MUL, av, g), b);
        }, a, b);
    }

    // ------------------------------------------------------------------ element-wise functions

    public static Var exp(Var a) {
        Tensor out = unary(UnaryOp.EXP, a.value, 0f);
        return Var.op("exp", out, g -> fmaInto(g, out, a), a);                 // d exp = exp
    }

    public static Var log(Var a) {
        Tensor out = unary(UnaryOp.LOG, a.value, 0f);
        return Var.op("log", out, g -> reduceIntoOwned(broadcast("log", BinaryOp.DIV, g, a.value), a), a);
    }

    public static Var sigmoid(Var a) {
        Tensor s = unary(UnaryOp.SIGMOID, a.value, 0f);
        return Var.op("sigmoid", s, g -> fmaInto(g, sigmoidDeriv(s), a), a);   // s (1 - s)
    }

    public static Var tanh(Var a) {
        Tensor t = unary(UnaryOp.TANH, a.value, 0f);
        return Var.op("tanh", t, g -> {
            Tensor d = unary(UnaryOp.SQUARE, t, 0f);                            // 1 - t^2
            k().binaryScalar(BinaryOp.SUB, d.data, 0, 1f, d.data, 0, d.size());
            k().unary(UnaryOp.NEG, d.data, 0, d.data, 0, d.size(), 0f);
            fmaInto(g, d, a);
        }, a);
    }

    public static Var relu(Var a) {
        Tensor out = unary(UnaryOp.RELU, a.value, 0f);
        return Var.op("relu", out, g -> leakyBackward(g, a, 0f), a);
    }

    /** {@code x > 0 ? x : slope * x}. */
    public static Var leakyRelu(Var a, float slope) {
        Tensor out = unary(UnaryOp.LEAKY_RELU, a.value, slope);
        return Var.op("leakyRelu", out, g -> leakyBackward(g, a, slope), a);
    }

    /** {@code da += (a > 0 ? g : slope * g)}. */
    private static void leakyBackward(Tensor g, Var a, float slope) {
        Tensor ga = gradBuf(a), av = a.value;
        if (ga != null) {
            k().leakyReluGrad(av.data, av.offset, g.data, g.offset, slope, ga.data, ga.offset, av.size(), true);
        }
    }

    /** {@code log(1 + e^x)}; derivative sigmoid(x). */
    public static Var softplus(Var a) {
        Tensor out = unary(UnaryOp.SOFTPLUS, a.value, 0f);
        return Var.op("softplus", out, g -> fmaInto(g, unary(UnaryOp.SIGMOID, a.value, 0f), a), a);
    }

    /** {@code log sigmoid(x)}, stable for large |x|; derivative sigmoid(-x). */
    public static Var logSigmoid(Var a) {
        Tensor out = unary(UnaryOp.LOG_SIGMOID, a.value, 0f);
        return Var.op("logSigmoid", out, g -> {
            Tensor d = unary(UnaryOp.NEG, a.value, 0f);
            k().unary(UnaryOp.SIGMOID, d.data, 0, d.data, 0, d.size(), 0f);
            fmaInto(g, d, a);
        }, a);
    }

    static Tensor unary(UnaryOp op, Tensor a, float param) {
        Tensor out = Tensor.uninitialized(a.rows, a.cols);
        k().unary(op, a.data, a.offset, out.data, 0, a.size(), param);
        return out;
    }

    /** {@code s (1 - s)} for a tensor of sigmoid values. */
    static Tensor sigmoidDeriv(Tensor s) {
        Tensor d = unary(UnaryOp.SQUARE, s, 0f);
        k().linear(1f, s.data, s.offset, -1f, d.data, 0, d.data, 0, d.size());
        return d;
    }

    /** {@code grad(v) += g * d}, element-wise, same shapes. */
    static void fmaInto(Tensor g, Tensor d, Var v) {
        if (!v.requiresGrad()) return;
        Tensor gv = v.gradOrZeros();
        k().fma(g.data, g.offset, d.data, d.offset, gv.data, gv.offset, gv.data, gv.offset, g.size());
    }
}
