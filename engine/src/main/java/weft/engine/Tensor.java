package weft.engine;

import java.util.Arrays;

/**
 * A dense, row-major float32 matrix: {@code rows x cols} values stored contiguously in
 * {@code data} starting at {@code offset}. Row stride is always {@code cols}.
 *
 * <p>Higher-rank layouts are expressed as rows: a batch of token sequences {@code [batch, tokens, d]}
 * is a {@code (batch*tokens) x d} tensor, and {@link #view(int, int)} re-reads the same memory with
 * another shape at no cost. {@link #rowBlock(int, int)} is a view of consecutive rows.
 */
public final class Tensor {
    public final float[] data;
    public final int offset;
    public final int rows;
    public final int cols;

    public Tensor(float[] data, int offset, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("Tensor: negative shape [" + rows + ", " + cols + "]");
        }
        if (offset < 0 || (long) offset + (long) rows * cols > data.length) {
            throw new IllegalArgumentException("Tensor: shape [" + rows + ", " + cols + "] at offset " + offset
                    + " does not fit in an array of " + data.length);
        }
        this.data = data;
        this.offset = offset;
        this.rows = rows;
        this.cols = cols;
    }

    public Tensor(int rows, int cols) {
        this(new float[checkedSize(rows, cols)], 0, rows, cols);
    }

    private static int checkedSize(int rows, int cols) {
        long n = (long) rows * cols;
        if (rows < 0 || cols < 0 || n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Tensor: cannot allocate shape [" + rows + ", " + cols + "]");
        }
        return (int) n;
    }

    public static Tensor zeros(int rows, int cols) {
        return new Tensor(rows, cols);
    }

    /**
     * A tensor whose every element the caller writes before reading any: an op's output that a
     * kernel overwrites. Inside a training step ({@link Arena}) its array may be one of the previous
     * step's, with old values; it must not be used after the step. Elsewhere it is a fresh zeroed
     * array (NaN-filled with {@code -Dweft.arena.poison=true}).
     */
    public static Tensor uninitialized(int rows, int cols) {
        return new Tensor(Arena.uninitialized(checkedSize(rows, cols)), 0, rows, cols);
    }

    /** Zeros, in an array that inside a training step may be recycled ({@link #uninitialized}'s rules). */
    public static Tensor recycledZeros(int rows, int cols) {
        return new Tensor(Arena.zeros(checkedSize(rows, cols)), 0, rows, cols);
    }

    public static Tensor full(int rows, int cols, float value) {
        Tensor t = new Tensor(rows, cols);
        Arrays.fill(t.data, value);
        return t;
    }

    /** A tensor holding the given values, row-major. */
    public static Tensor of(int rows, int cols, float... values) {
        if (values.length != rows * cols) {
            throw new IllegalArgumentException("Tensor.of: " + values.length + " values for shape [" + rows + ", " + cols + "]");
        }
        return new Tensor(values.clone(), 0, rows, cols);
    }

    public static Tensor scalar(float v) {
        return of(1, 1, v);
    }

    public int size() {
        return rows * cols;
    }

    public float get(int r, int c) {
        return data[offset + r * cols + c];
    }

    public void set(int r, int c, float v) {
        data[offset + r * cols + c] = v;
    }

    /** The single value of a 1x1 tensor. */
    public float item() {
        if (rows != 1 || cols != 1) {
            throw new IllegalStateException("item() needs a [1, 1] tensor, got " + shape());
        }
        return data[offset];
    }

    /** Same memory read with another shape of the same size. */
    public Tensor view(int newRows, int newCols) {
        if ((long) newRows * newCols != (long) rows * cols) {
            throw new IllegalArgumentException("view: cannot view " + shape() + " as [" + newRows + ", " + newCols + "]");
        }
        return new Tensor(data, offset, newRows, newCols);
    }

    /** Rows {@code [start, start+count)} as a view sharing memory. */
    public Tensor rowBlock(int start, int count) {
        if (start < 0 || count < 0 || start + count > rows) {
            throw new IllegalArgumentException("rowBlock: rows [" + start + ", " + (start + count) + ") out of " + shape());
        }
        return new Tensor(data, offset + start * cols, count, cols);
    }

    public Tensor copy() {
        return new Tensor(Arrays.copyOfRange(data, offset, offset + size()), 0, rows, cols);
    }

    public void copyFrom(Tensor src) {
        requireSameShape("copyFrom", this, src);
        System.arraycopy(src.data, src.offset, data, offset, size());
    }

    public Tensor fill(float v) {
        Arrays.fill(data, offset, offset + size(), v);
        return this;
    }

    public Tensor zero() {
        return fill(0f);
    }

    /** Values as a fresh row-major array. */
    public float[] toArray() {
        return Arrays.copyOfRange(data, offset, offset + size());
    }

    public boolean sameShape(Tensor o) {
        return rows == o.rows && cols == o.cols;
    }

    public String shape() {
        return "[" + rows + ", " + cols + "]";
    }

    /** Throws a message naming {@code op} and both shapes unless {@code a} and {@code b} have the same shape. */
    public static void requireSameShape(String op, Tensor a, Tensor b) {
        if (!a.sameShape(b)) {
            throw new IllegalArgumentException(op + ": shape mismatch " + a.shape() + " vs " + b.shape());
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(shape());
        if (size() <= 64) {
            sb.append(' ').append(Arrays.toString(toArray()));
        }
        return sb.toString();
    }
}
