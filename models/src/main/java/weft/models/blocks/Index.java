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
}
