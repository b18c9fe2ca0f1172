package weft.graph;

import java.util.Arrays;

import it.unimi.dsi.fastutil.floats.FloatArrayList;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import weft.engine.Tensor;

/**
 * An immutable sparse float matrix in compressed sparse row form: the entries of row {@code r}
 * are {@code colIdx[e], values[e]} for {@code e} in {@code [rowPtr[r], rowPtr[r+1])}, with column
 * indices strictly increasing within a row (so every (row, column) appears at most once and rows
 * can be binary-searched).
 *
 * <p>Entry positions {@code e} in {@code [0, nnz)} are stable edge ids: {@link Adjacency} and
 * {@link EdgeSampling} identify the edges of an interaction matrix by them.
 *
 * <p>A matrix may carry a {@linkplain #isSymmetric() symmetric} flag, set only where symmetry
 * holds by construction (the normalised bipartite adjacency) or was verified
 * ({@link #checkSymmetric()}); {@link SpMM}'s backward pass then multiplies by the matrix itself
 * instead of materialising its transpose. Other transposes are computed once and cached.
 */
public final class CsrMatrix {

    /** What {@link Builder#build(Duplicates)} does with repeated (row, column) coordinates. */
    public enum Duplicates {
        /** Values of repeated coordinates are added, in insertion order. */
        SUM,
        /** The largest value is kept: collapses repeated binary interactions to one 1. */
        MAX,
        /** A repeated coordinate is an error. */
        REJECT
    }

    final int rows;
    final int cols;
    final int[] rowPtr;
    final int[] colIdx;
    final float[] values;
    private final boolean symmetric;
    private volatile CsrMatrix transpose;

    /** Trusted constructor: arrays already validated (or valid by construction) and owned. */
    CsrMatrix(int rows, int cols, int[] rowPtr, int[] colIdx, float[] values, boolean symmetric) {
        this.rows = rows;
        this.cols = cols;
        this.rowPtr = rowPtr;
        this.colIdx = colIdx;
        this.values = values;
        this.symmetric = symmetric;
        if (symmetric) {
            this.transpose = this;
        }
    }

    /** The n x n identity. */
    public static CsrMatrix identity(int n) {
        int[] ptr = new int[n + 1], col = new int[n];
        float[] val = new float[n];
        for (int i = 0; i < n; i++) {
            ptr[i + 1] = i + 1;
            col[i] = i;
            val[i] = 1f;
        }
        return new CsrMatrix(n, n, ptr, col, val, true);
    }

    /**
     * A matrix from CSR arrays, validated: rowPtr has rows+1 non-decreasing entries from 0 to nnz,
     * column indices lie in [0, cols) and increase strictly within each row, values are finite.
     * The arrays are copied.
     */
    public static CsrMatrix of(int rows, int cols, int[] rowPtr, int[] colIdx, float[] values) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("CsrMatrix.of: negative shape [" + rows + ", " + cols + "]");
        }
        if (rowPtr.length != rows + 1) {
            throw new IllegalArgumentException("CsrMatrix.of: rowPtr has " + rowPtr.length + " entries, expected rows+1 = "
                    + (rows + 1) + " for shape [" + rows + ", " + cols + "]");
        }
        if (colIdx.length != values.length) {
            throw new IllegalArgumentException("CsrMatrix.of: colIdx has " + colIdx.length + " entries but values has " + values.length);
        }
        if (rowPtr[0] != 0 || rowPtr[rows] != colIdx.length) {
            throw new IllegalArgumentException("CsrMatrix.of: rowPtr must run from 0 to nnz = " + colIdx.length
                    + ", got " + rowPtr[0] + " .. " + rowPtr[rows]);
        }
        for (int r = 0; r < rows; r++) {
            if (rowPtr[r + 1] < rowPtr[r]) {
                throw new IllegalArgumentException("CsrMatrix.of: rowPtr decreases at row " + r + " (" + rowPtr[r] + " > " + rowPtr[r + 1] + ")");
            }
            for (int e = rowPtr[r]; e < rowPtr[r + 1]; e++) {
                int c = colIdx[e];
                if (c < 0 || c >= cols) {
                    throw new IllegalArgumentException("CsrMatrix.of: column " + c + " at row " + r + " (entry " + e
                            + ") out of bounds for shape [" + rows + ", " + cols + "]");
                }
                if (e > rowPtr[r] && c <= colIdx[e - 1]) {
                    throw new IllegalArgumentException("CsrMatrix.of: columns of row " + r + " not strictly increasing at entry " + e
                            + " (" + colIdx[e - 1] + " then " + c + ")");
                }
                if (!Float.isFinite(values[e])) {
                    throw new IllegalArgumentException("CsrMatrix.of: non-finite value " + values[e] + " at (" + r + ", " + c + ")");
                }
            }
        }
        return new CsrMatrix(rows, cols, rowPtr.clone(), colIdx.clone(), values.clone(), false);
    }

    /** A builder for a {@code rows x cols} matrix from coordinates. */
    public static Builder builder(int rows, int cols) {
        return new Builder(rows, cols);
    }

    /** The matrix of a dense tensor's non-zero entries (tests, small graphs). */
    public static CsrMatrix fromDense(Tensor t) {
        Builder b = builder(t.rows, t.cols);
        for (int r = 0; r < t.rows; r++) {
            for (int c = 0; c < t.cols; c++) {
                float v = t.get(r, c);
                if (v != 0f) {
                    b.add(r, c, v);
                }
            }
        }
        return b.build(Duplicates.REJECT);
    }

    // ------------------------------------------------------------------ accessors

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int nnz() {
        return colIdx.length;
    }

    public String shape() {
        return "[" + rows + ", " + cols + "]";
    }

    /** Whether this matrix is known to equal its transpose (see the class comment). */
    public boolean isSymmetric() {
        return symmetric;
    }

    /** First entry id of row r. */
    public int rowStart(int r) {
        return rowPtr[r];
    }

    /** One past the last entry id of row r. */
    public int rowEnd(int r) {
        return rowPtr[r + 1];
    }

    /** Column of entry e. */
    public int colAt(int e) {
        return colIdx[e];
    }

    /** Value of entry e. */
    public float valueAt(int e) {
        return values[e];
    }

    public int[] rowPtrCopy() {
        return rowPtr.clone();
    }

    public int[] colIdxCopy() {
        return colIdx.clone();
    }

    public float[] valuesCopy() {
        return values.clone();
    }

    /** Row of every entry: {@code rowOf[e]} for e in [0, nnz) (the COO row list). */
    public int[] rowIndexOfEntries() {
        int[] out = new int[nnz()];
        for (int r = 0; r < rows; r++) {
            Arrays.fill(out, rowPtr[r], rowPtr[r + 1], r);
        }
        return out;
    }

    /** The value at (r, c), 0 when absent (binary search in row r). */
    public float get(int r, int c) {
        if (r < 0 || r >= rows || c < 0 || c >= cols) {
            throw new IllegalArgumentException("CsrMatrix.get: (" + r + ", " + c + ") out of bounds for " + shape());
        }
        int e = Arrays.binarySearch(colIdx, rowPtr[r], rowPtr[r + 1], c);
        return e >= 0 ? values[e] : 0f;
    }

    /** Entry id of (r, c), or -1 when absent. */
    public int indexOf(int r, int c) {
        if (r < 0 || r >= rows || c < 0 || c >= cols) {
            throw new IllegalArgumentException("CsrMatrix.indexOf: (" + r + ", " + c + ") out of bounds for " + shape());
        }
        int e = Arrays.binarySearch(colIdx, rowPtr[r], rowPtr[r + 1], c);
        return e >= 0 ? e : -1;
    }

    /** Number of stored entries per row. */
    public int[] rowCounts() {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            out[r] = rowPtr[r + 1] - rowPtr[r];
        }
        return out;
    }

    /** Number of stored entries per column. */
    public int[] colCounts() {
        int[] out = new int[cols];
        for (int c : colIdx) {
            out[c]++;
        }
        return out;
    }

    /** Sum of each row's values (accumulated in float64). */
    public float[] rowSums() {
        float[] out = new float[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int e = rowPtr[r]; e < rowPtr[r + 1]; e++) {
                s += values[e];
            }
            out[r] = (float) s;
        }
        return out;
    }

    /** Sum of each column's values (accumulated in float64). */
    public float[] colSums() {
        double[] s = new double[cols];
        for (int e = 0; e < colIdx.length; e++) {
            s[colIdx[e]] += values[e];
        }
        float[] out = new float[cols];
        for (int c = 0; c < cols; c++) {
            out[c] = (float) s[c];
        }
        return out;
    }

    public Tensor toDense() {
        Tensor t = new Tensor(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int e = rowPtr[r]; e < rowPtr[r + 1]; e++) {
                t.set(r, colIdx[e], values[e]);
            }
        }
        return t;
    }

    // ------------------------------------------------------------------ derived matrices

    /**
     * The transpose, computed once (counting sort by column; scanning rows in order leaves the
     * columns of the result sorted) and cached. A symmetric matrix is its own transpose.
     */
    public CsrMatrix transpose() {
        CsrMatrix t = transpose;
        if (t == null) {
            synchronized (this) {
                t = transpose;
                if (t == null) {
                    t = computeTranspose();
                    t.transpose = this;
                    transpose = t;
                }
            }
        }
        return t;
    }

    private CsrMatrix computeTranspose() {
        int nnz = nnz();
        int[] tPtr = new int[cols + 1];
        for (int c : colIdx) {
            tPtr[c + 1]++;
        }
        for (int c = 0; c < cols; c++) {
            tPtr[c + 1] += tPtr[c];
        }
        int[] next = Arrays.copyOf(tPtr, cols);
        int[] tCol = new int[nnz];
        float[] tVal = new float[nnz];
        for (int r = 0; r < rows; r++) {
            for (int e = rowPtr[r]; e < rowPtr[r + 1]; e++) {
                int p = next[colIdx[e]]++;
                tCol[p] = r;
                tVal[p] = values[e];
            }
        }
        return new CsrMatrix(cols, rows, tPtr, tCol, tVal, false);
    }

    /**
     * {@code diag(rowScale) A diag(colScale)}: entry (r, c) becomes {@code a_rc * rowScale[r] * colScale[c]}.
     * Either scale may be null (no scaling on that side). Same sparsity pattern.
     */
    public CsrMatrix scale(float[] rowScale, float[] colScale) {
        if (rowScale != null && rowScale.length != rows) {
            throw new IllegalArgumentException("CsrMatrix.scale: rowScale has " + rowScale.length + " entries for " + shape());
        }
        if (colScale != null && colScale.length != cols) {
            throw new IllegalArgumentException("CsrMatrix.scale: colScale has " + colScale.length + " entries for " + shape());
        }
        float[] v = new float[nnz()];
        for (int r = 0; r < rows; r++) {
            float rs = rowScale == null ? 1f : rowScale[r];
            for (int e = rowPtr[r]; e < rowPtr[r + 1]; e++) {
                // The scales are multiplied first: rs * cs == cs * rs exactly, so scaling a
                // symmetric matrix by the same vector on both sides stays bit-exactly symmetric.
                v[e] = values[e] * (rs * (colScale == null ? 1f : colScale[colIdx[e]]));
            }
        }
        return new CsrMatrix(rows, cols, rowPtr, colIdx, v, false);
    }

    /** Same pattern with new values (one per entry, in entry order). Arrays of the pattern are shared. */
    public CsrMatrix withValues(float[] newValues) {
        if (newValues.length != nnz()) {
            throw new IllegalArgumentException("CsrMatrix.withValues: " + newValues.length + " values for " + nnz() + " entries of " + shape());
        }
        for (int e = 0; e < newValues.length; e++) {
            if (!Float.isFinite(newValues[e])) {
                throw new IllegalArgumentException("CsrMatrix.withValues: non-finite value " + newValues[e] + " at entry " + e);
            }
        }
        return new CsrMatrix(rows, cols, rowPtr, colIdx, newValues.clone(), false);
    }

    /**
     * This matrix flagged symmetric, after checking that it is square and equals its transpose
     * exactly (same pattern, bit-equal values). Throws IllegalArgumentException naming the first
     * asymmetric entry otherwise.
     */
    public CsrMatrix checkSymmetric() {
        if (symmetric) {
            return this;
        }
        if (rows != cols) {
            throw new IllegalArgumentException("CsrMatrix.checkSymmetric: not square, " + shape());
        }
        CsrMatrix t = computeTranspose();
        for (int r = 0; r < rows; r++) {
            if (rowPtr[r + 1] != t.rowPtr[r + 1]) {
                throw new IllegalArgumentException("CsrMatrix.checkSymmetric: row " + r + " and column " + r + " differ in entry count");
            }
            for (int e = rowPtr[r]; e < rowPtr[r + 1]; e++) {
                if (colIdx[e] != t.colIdx[e] || Float.floatToIntBits(values[e]) != Float.floatToIntBits(t.values[e])) {
                    throw new IllegalArgumentException("CsrMatrix.checkSymmetric: asymmetric near (" + r + ", " + colIdx[e] + ")");
                }
            }
        }
        return new CsrMatrix(rows, cols, rowPtr, colIdx, values, true);
    }

    /**
     * {@code alpha * a + beta * b} over the union of the two patterns (FREEDOM's
     * {@code S = 0.1 S_image + 0.9 S_text}). Symmetric when both inputs are.
     */
    public static CsrMatrix weightedSum(float alpha, CsrMatrix a, float beta, CsrMatrix b) {
        if (a.rows != b.rows || a.cols != b.cols) {
            throw new IllegalArgumentException("CsrMatrix.weightedSum: shape mismatch " + a.shape() + " vs " + b.shape());
        }
        int[] ptr = new int[a.rows + 1];
        IntArrayList cols = new IntArrayList(Math.max(a.nnz(), b.nnz()));
        FloatArrayList vals = new FloatArrayList(Math.max(a.nnz(), b.nnz()));
        for (int r = 0; r < a.rows; r++) {
            int i = a.rowPtr[r], ie = a.rowPtr[r + 1];
            int j = b.rowPtr[r], je = b.rowPtr[r + 1];
            while (i < ie || j < je) {
                int ca = i < ie ? a.colIdx[i] : Integer.MAX_VALUE;
                int cb = j < je ? b.colIdx[j] : Integer.MAX_VALUE;
                if (ca < cb) {
                    cols.add(ca);
                    vals.add(alpha * a.values[i++]);
                } else if (cb < ca) {
                    cols.add(cb);
                    vals.add(beta * b.values[j++]);
                } else {
                    cols.add(ca);
                    vals.add(alpha * a.values[i++] + beta * b.values[j++]);
                }
            }
            ptr[r + 1] = cols.size();
        }
        return new CsrMatrix(a.rows, a.cols, ptr, cols.toIntArray(), vals.toFloatArray(), a.symmetric && b.symmetric);
    }

    @Override
    public String toString() {
        return "CsrMatrix" + shape() + " nnz=" + nnz() + (symmetric ? " symmetric" : "");
    }

    // ------------------------------------------------------------------ builder

    /**
     * Collects (row, column, value) coordinates in fastutil primitive lists; {@link #build}
     * sorts them into CSR. Bounds are checked as entries are added, so an error names the
     * offending entry.
     */
    public static final class Builder {
        private final int rows;
        private final int cols;
        private final IntArrayList r = new IntArrayList();
        private final IntArrayList c = new IntArrayList();
        private final FloatArrayList v = new FloatArrayList();

        private Builder(int rows, int cols) {
            if (rows < 0 || cols < 0) {
                throw new IllegalArgumentException("CsrMatrix.builder: negative shape [" + rows + ", " + cols + "]");
            }
            this.rows = rows;
            this.cols = cols;
        }

        public Builder add(int row, int col, float value) {
            if (row < 0 || row >= rows || col < 0 || col >= cols) {
                throw new IllegalArgumentException("CsrMatrix.Builder.add: entry #" + r.size() + " at (" + row + ", " + col
                        + ") out of bounds for shape [" + rows + ", " + cols + "]");
            }
            if (!Float.isFinite(value)) {
                throw new IllegalArgumentException("CsrMatrix.Builder.add: entry #" + r.size() + " at (" + row + ", " + col
                        + ") has non-finite value " + value);
            }
            r.add(row);
            c.add(col);
            v.add(value);
            return this;
        }

        /** Adds {@code (rowIdx[i], colIdx[i], value)} for every i. */
        public Builder addAll(int[] rowIdx, int[] colIdx, float value) {
            if (rowIdx.length != colIdx.length) {
                throw new IllegalArgumentException("CsrMatrix.Builder.addAll: " + rowIdx.length + " row indices but "
                        + colIdx.length + " column indices");
            }
            for (int i = 0; i < rowIdx.length; i++) {
                add(rowIdx[i], colIdx[i], value);
            }
            return this;
        }

        public int size() {
            return r.size();
        }

        public CsrMatrix build(Duplicates duplicates) {
            int n = r.size();
            int[] rr = r.elements();
            int[] cc = c.elements();
            float[] vv = v.elements();
            // Counting sort by row keeps insertion order within a row.
            int[] ptr = new int[rows + 1];
            for (int i = 0; i < n; i++) {
                ptr[rr[i] + 1]++;
            }
            for (int i = 0; i < rows; i++) {
                ptr[i + 1] += ptr[i];
            }
            int[] next = Arrays.copyOf(ptr, rows);
            // Per-row keys (column << 32 | insertion index): sorting them orders by column and,
            // within a duplicated coordinate, by insertion, so SUM adds in a fixed order.
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) {
                keys[next[rr[i]]++] = ((long) cc[i] << 32) | i;
            }
            int[] outPtr = new int[rows + 1];
            int[] outCol = new int[n];
            float[] outVal = new float[n];
            int m = 0;
            for (int row = 0; row < rows; row++) {
                Arrays.sort(keys, ptr[row], ptr[row + 1]);
                for (int p = ptr[row]; p < ptr[row + 1]; p++) {
                    int col = (int) (keys[p] >>> 32);
                    float val = vv[(int) keys[p]];
                    if (m > outPtr[row] && outCol[m - 1] == col) {
                        switch (duplicates) {
                            case SUM:
                                outVal[m - 1] += val;
                                break;
                            case MAX:
                                outVal[m - 1] = Math.max(outVal[m - 1], val);
                                break;
                            default:
                                throw new IllegalArgumentException("CsrMatrix.Builder.build: duplicate entry at (" + row + ", " + col
                                        + ") (entry #" + (int) keys[p] + ") with Duplicates.REJECT");
                        }
                    } else {
                        outCol[m] = col;
                        outVal[m] = val;
                        m++;
                    }
                }
                outPtr[row + 1] = m;
            }
            if (m < n) {
                outCol = Arrays.copyOf(outCol, m);
                outVal = Arrays.copyOf(outVal, m);
            }
            return new CsrMatrix(rows, cols, outPtr, outCol, outVal, false);
        }
    }
}
