package weft.models.eval;

import java.io.Serializable;
import java.util.Arrays;

/**
 * An exact sum of doubles, rounded once at the end: the running sum is kept as a short list of
 * non-overlapping partials whose exact total is the exact sum of everything added (Shewchuk's
 * algorithm, as in Python's {@code math.fsum}). {@link #value()} is that exact total correctly
 * rounded to a double, so it depends only on the multiset of values added, never on their order
 * or on how they were grouped: sums built on different threads or machines and {@link #add(ExactSum)
 * merged} give the same bits as one sum over all values.
 *
 * <p>Values must be finite. A handful of partials is typical (at most about 40 for any doubles),
 * so an {@link #add(double)} costs a few additions.
 */
public final class ExactSum implements Serializable {
    private static final long serialVersionUID = 1L;

    private double[] partials = new double[4];
    private int n;

    /** Adds {@code x} exactly. @throws IllegalArgumentException when x is NaN or infinite */
    public void add(double x) {
        if (!Double.isFinite(x)) {
            throw new IllegalArgumentException("ExactSum: cannot add " + x);
        }
        int i = 0;
        for (int j = 0; j < n; j++) {
            double y = partials[j];
            if (Math.abs(x) < Math.abs(y)) {
                double t = x;
                x = y;
                y = t;
            }
            double hi = x + y;
            double lo = y - (hi - x);
            if (lo != 0.0) {
                partials[i++] = lo;
            }
            x = hi;
        }
        if (i == partials.length) {
            partials = Arrays.copyOf(partials, partials.length * 2);
        }
        partials[i++] = x;
        n = i;
        if (!Double.isFinite(x)) {
            throw new IllegalArgumentException("ExactSum: the sum overflows");
        }
    }

    /** Adds everything {@code other} holds (exactly: the result equals one sum over both sets of values). */
    public void add(ExactSum other) {
        for (int j = 0; j < other.n; j++) {
            add(other.partials[j]);
        }
    }

    /** The exact sum, correctly rounded to the nearest double (ties to even). */
    public double value() {
        if (n == 0) {
            return 0.0;
        }
        int j = n - 1;
        double hi = partials[j--];
        double lo = 0.0;
        while (j >= 0) {
            double x = hi;
            double y = partials[j--];
            hi = x + y;
            double yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) {
                break;
            }
        }
        // Round half to even across the partials: when the rounding of hi + lo was a tie decided
        // the wrong way by the partials still below, correct it.
        if (j >= 0 && ((lo < 0.0 && partials[j] < 0.0) || (lo > 0.0 && partials[j] > 0.0))) {
            double y = lo * 2.0;
            double x = hi + y;
            double yr = x - hi;
            if (y == yr) {
                hi = x;
            }
        }
        return hi;
    }
}
