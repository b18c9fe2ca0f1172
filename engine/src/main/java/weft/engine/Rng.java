package weft.engine;

/**
 * A small, fully specified pseudo-random generator (SplitMix64), so that the same seed gives the
 * same numbers on every JVM and whatever the thread count: tensors are always filled sequentially.
 * Not thread-safe; use one per thread or {@link #split()}.
 */
public final class Rng {
    private long state;
    private double spareGaussian;
    private boolean hasSpare;

    public Rng(long seed) {
        this.state = seed;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** An independent generator derived from this one. */
    public Rng split() {
        return new Rng(nextLong() ^ 0x5DEECE66DL);
    }

    /** Uniform in [0, bound), without modulo bias. */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long m = (nextLong() >>> 32) * bound; // Lemire's multiply-shift on 32 random bits
        long l = m & 0xFFFFFFFFL;
        if (l < bound) {
            long t = (0x100000000L - bound) % bound;
            while (l < t) {
                m = (nextLong() >>> 32) * bound;
                l = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1). */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Standard normal (Box-Muller). */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareGaussian;
        }
        double u, v, s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double mul = Math.sqrt(-2 * Math.log(s) / s);
        spareGaussian = v * mul;
        hasSpare = true;
        return u * mul;
    }

    /** Fisher-Yates shuffle of {@code a[0..n)}. */
    public void shuffle(int[] a, int n) {
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    public Tensor uniform(Tensor t, float lo, float hi) {
        float w = hi - lo;
        for (int i = 0, n = t.size(); i < n; i++) {
            t.data[t.offset + i] = lo + w * nextFloat();
        }
        return t;
    }

    public Tensor normal(Tensor t, float mean, float std) {
        for (int i = 0, n = t.size(); i < n; i++) {
            t.data[t.offset + i] = (float) (mean + std * nextGaussian());
        }
        return t;
    }

    /**
     * Xavier (Glorot) uniform, with PyTorch's fan convention for a [rows, cols] weight:
     * fan_out = rows, fan_in = cols; bound = sqrt(6 / (fan_in + fan_out)).
     */
    public Tensor xavierUniform(Tensor t) {
        float bound = (float) Math.sqrt(6.0 / (t.rows + t.cols));
        return uniform(t, -bound, bound);
    }

    /** Xavier normal: std = sqrt(2 / (fan_in + fan_out)). */
    public Tensor xavierNormal(Tensor t) {
        return normal(t, 0f, (float) Math.sqrt(2.0 / (t.rows + t.cols)));
    }
}
