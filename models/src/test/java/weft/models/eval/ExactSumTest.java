package weft.models.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class ExactSumTest {
    private static double exact(List<Double> xs) {
        BigDecimal s = BigDecimal.ZERO;
        for (double x : xs) s = s.add(new BigDecimal(x));
        return s.doubleValue(); // BigDecimal.doubleValue rounds correctly (to nearest, ties to even)
    }

    private static double sum(List<Double> xs) {
        ExactSum s = new ExactSum();
        for (double x : xs) s.add(x);
        return s.value();
    }

    @Test
    void equalsTheCorrectlyRoundedSumInAnyOrderAndGrouping() {
        Random r = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            List<Double> xs = new ArrayList<>();
            int n = 1 + r.nextInt(2000);
            for (int i = 0; i < n; i++) {
                double x = switch (trial % 4) {
                    case 0 -> r.nextDouble();                                          // metric-like values in [0, 1)
                    case 1 -> (r.nextInt(20) + 1) / (double) (r.nextInt(50) + 1);       // ratios
                    case 2 -> (r.nextDouble() - 0.5) * Math.pow(2, r.nextInt(120) - 60); // mixed signs and scales
                    default -> r.nextBoolean() ? 1e16 : (r.nextBoolean() ? 1.0 : -1e16); // cancellation
                };
                xs.add(x);
            }
            double want = exact(xs);
            assertEquals(want, sum(xs), "trial " + trial);
            Collections.shuffle(xs, r);
            assertEquals(want, sum(xs), "shuffled, trial " + trial);
            // Split in parts summed separately, then merged.
            ExactSum total = new ExactSum();
            for (int from = 0; from < n; ) {
                int to = Math.min(n, from + 1 + r.nextInt(300));
                ExactSum part = new ExactSum();
                for (double x : xs.subList(from, to)) part.add(x);
                total.add(part);
                from = to;
            }
            assertEquals(want, total.value(), "merged, trial " + trial);
        }
    }

    @Test
    void naiveSummationDiffersWhereThisDoesNot() {
        // 0.1 ten times: the naive sum is 0.9999999999999999, the exact sum rounds to 1.0.
        ExactSum s = new ExactSum();
        double naive = 0;
        for (int i = 0; i < 10; i++) {
            s.add(0.1);
            naive += 0.1;
        }
        assertEquals(0.9999999999999999, naive);
        assertEquals(1.0, s.value());
        assertEquals(0.0, new ExactSum().value());
        ExactSum t = new ExactSum();
        t.add(1e308);
        assertThrows(IllegalArgumentException.class, () -> t.add(1e308));
        assertThrows(IllegalArgumentException.class, () -> new ExactSum().add(Double.NaN));
    }
}
