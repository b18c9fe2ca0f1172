package weft.models.data;

/**
 * Derives independent seeds from a base seed and indices (user, epoch, chunk), so work split
 * into pieces draws the same numbers whatever order or thread the pieces run on.
 */
public final class Seeds {
    private Seeds() {}

    /** SplitMix64's finaliser: consecutive inputs give unrelated outputs. */
    public static long fmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static long mix(long seed, long a) {
        return fmix(fmix(seed + 0x9E3779B97F4A7C15L) ^ (a * 0xD1B54A32D192ED03L + 0x632BE59BD9B4E019L));
    }

    public static long mix(long seed, long a, long b) {
        return mix(mix(seed, a), b);
    }
}
