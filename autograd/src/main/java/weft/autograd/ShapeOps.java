package weft.autograd;

import weft.engine.Kernels;
import weft.engine.Parallel;
import weft.engine.Tensor;

/**
 * Differentiable ops that move values without arithmetic; each backward moves the gradient
 * back along the same path:
 *
 * <pre>
 *   reshape        y = x viewed as [r, c]                  dx = g viewed as x's shape
 *   concatCols     y = [a | b | ...]                        da = g[:, columns of a] ...
 *   sliceCols      y = x[:, s : s + n]                      dx[:, s : s + n] += g
 *   concatRows     y = [a ; b ; ...]                        da = g[rows of a] ...
 *   sliceRows      y = x[s : s + n, :]                      dx[s : s + n, :] += g
 *   splitHeads     [B*T, H*dh] -> [B*H*T, dh]               dx = mergeHeads(g)
 *   mergeHeads     [B*H*T, dh] -> [B*T, H*dh]               dx = splitHeads(g)
 *   gatherRows     y[i] = E[idx[i]]                         dE[idx[i]] += g[i]   (scatter-add)
 * </pre>
 */
public final class ShapeOps {
    private ShapeOps() {}

    private static Kernels k() {
        return Kernels.get();
    }

    /** The same values read as {@code [rows, cols]} (a view: no copy). */
    public static Var reshape(Var x, int rows, int cols) {
        if ((long) rows * cols != x.value.size() || rows < 0 || cols < 0) {
            throw new IllegalArgumentException("reshape: cannot view " + x.shape() + " as [" + rows + ", " + cols + "]");
        }
        Tensor xv = x.value;
        return Var.op("reshape", xv.view(rows, cols), g -> x.accumulateOwned(g.view(xv.rows, xv.cols)), x);   // g's only use
    }

    /** Side by side: all parts must have the same number of rows. */
    public static Var concatCols(Var... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("concatCols: no inputs");
        int rows = parts[0].rows(), cols = 0;
        for (Var p : parts) {
            if (p.rows() != rows) {
                throw new IllegalArgumentException("concatCols: row mismatch " + parts[0].shape() + " vs " + p.shape());
            }
            cols += p.cols();
        }
        Tensor out = Tensor.uninitialized(rows, cols);
        int total = cols;
        Parallel.forWork(rows, total, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int c0 = 0;
                for (Var p : parts) {
                    System.arraycopy(p.value.data, p.value.offset + r * p.cols(), out.data, r * total + c0, p.cols());
                    c0 += p.cols();
                }
            }
        });
        return Var.op("concatCols", out, g -> {
            int c0 = 0;
            for (Var p : parts) {
                if (p.requiresGrad()) addCols(g, c0, p.gradOrZeros(), 0, p.cols(), total);
                c0 += p.cols();
            }
        }, parts);
    }

    /** Columns {@code [start, start + count)}. */
    public static Var sliceCols(Var x, int start, int count) {
        Tensor xv = x.value;
        if (start < 0 || count < 0 || start + count > xv.cols) {
            throw new IllegalArgumentException("sliceCols: columns [" + start + ", " + (start + count) + ") out of " + xv.shape());
        }
        Tensor out = Tensor.uninitialized(xv.rows, count);
        for (int r = 0; r < xv.rows; r++) System.arraycopy(xv.data, xv.offset + r * xv.cols + start, out.data, r * count, count);
        return Var.op("sliceCols", out, g -> {
            Tensor gx = Ops.gradBuf(x);
            for (int r = 0; r < xv.rows; r++) k().axpy(1f, g.data, g.offset + r * count, gx.data, gx.offset + r * xv.cols + start, count);
        }, x);
    }

    /** The inverse of {@link #concatCols}: consecutive column blocks of the given widths. */
    public static Var[] splitCols(Var x, int... widths) {
        int total = 0;
        for (int w : widths) total += w;
        if (total != x.cols()) {
            throw new IllegalArgumentException("splitCols: widths sum to " + total + " but input is " + x.shape());
        }
        Var[] out = new Var[widths.length];
        for (int i = 0, c0 = 0; i < widths.length; c0 += widths[i], i++) out[i] = sliceCols(x, c0, widths[i]);
        return out;
    }

    /** Stacked: all parts must have the same number of columns. */
    public static Var concatRows(Var... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("concatRows: no inputs");
        int cols = parts[0].cols(), rows = 0;
        for (Var p : parts) {
            if (p.cols() != cols) {
                throw new IllegalArgumentException("concatRows: column mismatch " + parts[0].shape() + " vs " + p.shape());
            }
            rows += p.rows();
        }
        Tensor out = Tensor.uninitialized(rows, cols);
        for (int i = 0, o = 0; i < parts.length; o += parts[i].value.size(), i++) {
            System.arraycopy(parts[i].value.data, parts[i].value.offset, out.data, o, parts[i].value.size());
        }
        return Var.op("concatRows", out, g -> {
            for (int i = 0, r0 = 0; i < parts.length; r0 += parts[i].rows(), i++) parts[i].accumulate(g.rowBlock(r0, parts[i].rows()));
        }, parts);
    }

    /** Rows {@code [start, start + count)} (a view: no copy). */
    public static Var sliceRows(Var x, int start, int count) {
        Tensor xv = x.value;
        if (start < 0 || count < 0 || start + count > xv.rows) {
            throw new IllegalArgumentException("sliceRows: rows [" + start + ", " + (start + count) + ") out of " + xv.shape());
        }
        return Var.op("sliceRows", xv.rowBlock(start, count), g -> {
            Tensor gx = Ops.gradBuf(x);
            k().axpy(1f, g.data, g.offset, gx.data, gx.offset + start * xv.cols, g.size());
        }, x);
    }

    /**
     * Attention's head split: {@code [B*T, H*dh] -> [B*H*T, dh]}, row {@code (b*H + h)*T + t} of
     * the result being head h's slice of token t of sequence b, so each (sequence, head) pair is
     * one contiguous block of T rows for {@link Ops#bmm}.
     */
    public static Var splitHeads(Var x, int tokens, int heads) {
        Tensor out = permuteHeads("splitHeads", x.value, tokens, heads, true);
        return Var.op("splitHeads", out, g -> x.accumulateOwned(permuteHeads("splitHeads", g, tokens, heads, false)), x);
    }

    /** The inverse of {@link #splitHeads}: {@code [B*H*T, dh] -> [B*T, H*dh]}. */
    public static Var mergeHeads(Var x, int tokens, int heads) {
        Tensor out = permuteHeads("mergeHeads", x.value, tokens, heads, false);
        return Var.op("mergeHeads", out, g -> x.accumulateOwned(permuteHeads("mergeHeads", g, tokens, heads, true)), x);
    }

    private static Tensor permuteHeads(String op, Tensor x, int tokens, int heads, boolean split) {
        int dh = split ? x.cols / Math.max(1, heads) : x.cols;
        int seqRows = split ? tokens : tokens * heads;   // input rows per sequence
        if (tokens <= 0 || heads <= 0 || x.rows % seqRows != 0 || (split && x.cols % heads != 0)) {
            throw new IllegalArgumentException(op + ": input " + x.shape() + " is not [B*" + (split ? "T" : "H*T")
                    + ", " + (split ? "H*dh" : "dh") + "] for T = " + tokens + ", H = " + heads);
        }
        int batch = x.rows / seqRows;
        Tensor out = split ? Tensor.uninitialized(batch * heads * tokens, dh) : Tensor.uninitialized(batch * tokens, heads * dh);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < tokens; t++) {
                    int merged = (b * tokens + t) * heads * dh + h * dh;   // index in the [B*T, H*dh] layout
                    int perHead = ((b * heads + h) * tokens + t) * dh;      // index in the [B*H*T, dh] layout
                    if (split) System.arraycopy(x.data, x.offset + merged, out.data, perHead, dh);
                    else System.arraycopy(x.data, x.offset + perHead, out.data, merged, dh);
                }
            }
        }
        return out;
    }

    /** Embedding lookup {@code y[i] = table[idx[i]]}; the gradient is scatter-added, so repeated rows accumulate. */
    public static Var gatherRows(Var table, int[] idx) {
        Tensor tv = table.value;
        for (int i : idx) {
            if (i < 0 || i >= tv.rows) {
                throw new IllegalArgumentException("gatherRows: index " + i + " out of range for table " + tv.shape());
            }
        }
        Tensor out = Tensor.uninitialized(idx.length, tv.cols);
        k().gatherRows(tv.data, tv.offset, tv.cols, idx, 0, idx.length, out.data, 0);
        return Var.op("gatherRows", out, g -> {
            Tensor gt = Ops.gradBuf(table);
            k().scatterAddRows(g.data, g.offset, tv.cols, idx, 0, idx.length, gt.data, gt.offset);
        }, table);
    }

    /** {@code dst[:, d0 : d0 + n] += src[:, s0 : s0 + n]} row by row. */
    private static void addCols(Tensor src, int s0, Tensor dst, int d0, int n, int srcCols) {
        Kernels k = k();
        Parallel.forWork(src.rows, n, (r0, r1) -> {   // rows are independent: same bits for any split
            for (int r = r0; r < r1; r++) {
                k.axpy(1f, src.data, src.offset + r * srcCols + s0, dst.data, dst.offset + r * dst.cols + d0, n);
            }
        });
    }
}
