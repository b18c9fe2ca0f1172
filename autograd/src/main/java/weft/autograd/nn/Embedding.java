package weft.autograd.nn;

import java.util.Arrays;
import java.util.List;

import weft.autograd.NoGrad;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * An ID embedding table {@code E} of shape {@code [n, d]}, Xavier uniform as MMRec initialises
 * its nn.Embedding weights (bound {@code sqrt(6 / (n + d))}). {@link #lookup} gathers rows.
 *
 * <p>The table remembers which rows it handed out since the last optimiser step, so that an
 * optimiser in lazy mode (see {@code Adam.lazy}) can update only those rows. Using the whole table
 * in a dense op (graph propagation, scoring) goes through {@link #all()}, which marks every row:
 * the table's Var must not be taken from {@link #parameters()} for computation, or rows that
 * received gradient through it would be missed by a lazy optimiser.
 */
public final class Embedding implements Module {
    private final Var weight;
    private final boolean[] touched;
    private int[] touchedList = new int[16];
    private int touchedCount;
    private boolean allTouched;

    public Embedding(int rows, int dim, Rng rng) {
        if (rows <= 0 || dim <= 0) {
            throw new IllegalArgumentException("Embedding: sizes must be positive, got [" + rows + ", " + dim + "]");
        }
        this.weight = Var.param("embedding", rng.xavierUniform(new Tensor(rows, dim)));
        this.touched = new boolean[rows];
    }

    /** On a given table {@code [n, d]}. */
    public Embedding(Var weight) {
        this.weight = weight;
        this.touched = new boolean[weight.rows()];
    }

    /** Rows {@code idx} of the table, {@code [idx.length, d]}. */
    public Var lookup(int[] idx) {
        Var out = ShapeOps.gatherRows(weight, idx);   // validates idx
        if (!NoGrad.active() && !allTouched) {
            for (int i : idx) {
                if (!touched[i]) {
                    touched[i] = true;
                    if (touchedCount == touchedList.length) touchedList = Arrays.copyOf(touchedList, touchedCount * 2);
                    touchedList[touchedCount++] = i;
                }
            }
        }
        return out;
    }

    /** The whole table for a dense op; every row counts as touched this step. */
    public Var all() {
        if (!NoGrad.active()) allTouched = true;
        return weight;
    }

    public int rows() {
        return weight.rows();
    }

    public int dim() {
        return weight.cols();
    }

    /**
     * Rows used since the last {@link #clearTouched()}, in first-use order, or null when the whole
     * table was used densely.
     */
    public int[] touchedRows() {
        return allTouched ? null : Arrays.copyOf(touchedList, touchedCount);
    }

    public void clearTouched() {
        for (int i = 0; i < touchedCount; i++) touched[touchedList[i]] = false;
        touchedCount = 0;
        allTouched = false;
    }

    /** The table's Var, for optimisers and for reading values; use {@link #all()} to compute with it. */
    public Var weight() {
        return weight;
    }

    @Override
    public List<Var> parameters() {
        return List.of(weight);
    }
}
