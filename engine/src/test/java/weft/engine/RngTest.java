package weft.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RngTest {

    /** SplitMix64's published output for seed 0: the sequence is fixed on every JVM. */
    @Test
    void matchesSplitMix64ReferenceOutput() {
        Rng r = new Rng(0);
        assertEquals(0xE220A8397B1DCDAFL, r.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, r.nextLong());
        assertEquals(0x06C45D188009454FL, r.nextLong());
    }

    @Test
    void sameSeedSameNumbers() {
        Rng a = new Rng(1234), b = new Rng(1234);
        for (int i = 0; i < 1000; i++) {
            assertEquals(a.nextLong(), b.nextLong());
            assertEquals(a.nextInt(97), b.nextInt(97));
            assertEquals(a.nextGaussian(), b.nextGaussian());
            assertEquals(a.nextFloat(), b.nextFloat());
        }
        Tensor x = new Rng(9).normal(new Tensor(5, 7), 0f, 1f);
        Tensor y = new Rng(9).normal(new Tensor(5, 7), 0f, 1f);
        assertArrayEquals(x.data, y.data);
        assertNotEquals(new Rng(1).nextLong(), new Rng(2).nextLong());
    }

    @Test
    void splitIsDeterministicAndDiffersFromParent() {
        Rng p1 = new Rng(5), p2 = new Rng(5);
        Rng c1 = p1.split(), c2 = p2.split();
        long[] a = new long[50], b = new long[50], parent = new long[50];
        for (int i = 0; i < 50; i++) {
            a[i] = c1.nextLong();
            b[i] = c2.nextLong();
            parent[i] = p1.nextLong();
        }
        assertArrayEquals(a, b);
        assertTrue(Arrays.stream(a).noneMatch(v -> Arrays.stream(parent).anyMatch(w -> w == v)), "child repeats its parent's stream");
    }

    /** Pearson chi-square with 9 degrees of freedom; 100k draws from a fixed seed (not flaky). */
    @Test
    void nextIntIsUniform() {
        Rng r = new Rng(77);
        int bound = 10, draws = 100_000;
        long[] counts = new long[bound];
        for (int i = 0; i < draws; i++) counts[r.nextInt(bound)]++;
        double expected = (double) draws / bound, chi2 = 0;
        for (long c : counts) chi2 += (c - expected) * (c - expected) / expected;
        // 27.9 is the 0.999 quantile of chi-square(9); a biased generator lands far above.
        assertTrue(chi2 < 27.9, "chi-square " + chi2 + " counts " + Arrays.toString(counts));
    }

    /**
     * With bound 1.5e9, 2^32 / bound = 2.86 and plain {@code x mod bound} would put 34.9% of
     * the draws below bound / 3 instead of 33.3% (8 standard errors away at 60k draws).
     */
    @Test
    void nextIntLargeBoundHasNoModuloBias() {
        Rng r = new Rng(3);
        int bound = 1_500_000_000;
        int draws = 60_000, low = 0;
        for (int i = 0; i < draws; i++) {
            int v = r.nextInt(bound);
            assertTrue(v >= 0 && v < bound, "out of range: " + v);
            if (v < bound / 3) low++;
        }
        double frac = (double) low / draws; // standard error 0.0019
        assertEquals(1.0 / 3, frac, 0.01);
    }

    @Test
    void nextIntEdgeCases() {
        Rng r = new Rng(1);
        for (int i = 0; i < 100; i++) assertEquals(0, r.nextInt(1));
        for (int i = 0; i < 1000; i++) {
            int v = r.nextInt(Integer.MAX_VALUE);
            assertTrue(v >= 0, "negative: " + v);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.nextInt(0));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> r.nextInt(-5));
    }

    @Test
    void floatsAndDoublesInUnitInterval() {
        Rng r = new Rng(11);
        double sum = 0;
        for (int i = 0; i < 100_000; i++) {
            float f = r.nextFloat();
            double d = r.nextDouble();
            assertTrue(f >= 0f && f < 1f, "nextFloat " + f);
            assertTrue(d >= 0 && d < 1, "nextDouble " + d);
            sum += f;
        }
        assertEquals(0.5, sum / 100_000, 0.005);
    }

    @Test
    void gaussianMeanAndVariance() {
        Rng r = new Rng(21);
        int n = 200_000;
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            s += g;
            s2 += g * g;
        }
        double mean = s / n, var = s2 / n - mean * mean;
        // Standard errors: mean 0.0022, variance 0.0032; tolerances are about 5 of them.
        assertEquals(0, mean, 0.012);
        assertEquals(1, var, 0.016);

        Tensor t = r.normal(new Tensor(400, 250), 3f, 0.5f);
        double tm = 0, tv = 0;
        for (float v : t.data) tm += v;
        tm /= t.size();
        for (float v : t.data) tv += (v - tm) * (v - tm);
        tv /= t.size();
        assertEquals(3, tm, 0.01);
        assertEquals(0.25, tv, 0.005);
    }

    @Test
    void xavierUniformStaysInsideItsBound() {
        Tensor w = new Rng(4).xavierUniform(new Tensor(64, 200));
        float bound = (float) Math.sqrt(6.0 / (64 + 200));
        float maxAbs = 0;
        for (float v : w.data) {
            assertTrue(Math.abs(v) <= bound, v + " outside +-" + bound);
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        assertTrue(maxAbs > 0.99f * bound, "12800 draws should come close to the bound, max " + maxAbs);
        // Variance of U(-b, b) is b^2 / 3 = 2 / (fan_in + fan_out).
        double var = 0;
        for (float v : w.data) var += v * v;
        assertEquals(2.0 / 264, var / w.size(), 0.05 * 2.0 / 264);
    }

    @Test
    void xavierNormalStd() {
        Tensor w = new Rng(8).xavierNormal(new Tensor(100, 300));
        double var = 0;
        for (float v : w.data) var += v * v;
        assertEquals(2.0 / 400, var / w.size(), 0.03 * 2.0 / 400);
    }

    @Test
    void uniformRespectsRangeAndView() {
        Tensor t = new Tensor(4, 5);
        new Rng(2).uniform(t.rowBlock(1, 2), -2f, -1f);
        for (int i = 0; i < 20; i++) {
            float v = t.data[i];
            if (i >= 5 && i < 15) assertTrue(v >= -2f && v < -1f, "value " + v);
            else assertEquals(0f, v, "outside the view at " + i);
        }
    }

    @Test
    void shuffleIsAPermutationAndDeterministic() {
        int[] a = new int[100], b = new int[100];
        for (int i = 0; i < 100; i++) a[i] = b[i] = i;
        new Rng(6).shuffle(a, 100);
        new Rng(6).shuffle(b, 100);
        assertArrayEquals(a, b);
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 100; i++) assertEquals(i, sorted[i]);
        int fixed = 0;
        for (int i = 0; i < 100; i++) if (a[i] == i) fixed++;
        assertTrue(fixed < 10, "barely shuffled: " + fixed + " fixed points");
        int[] c = {0, 1, 2, 3, 4, 5};
        new Rng(6).shuffle(c, 3); // only the prefix moves
        assertArrayEquals(new int[] {3, 4, 5}, Arrays.copyOfRange(c, 3, 6));
    }
}
