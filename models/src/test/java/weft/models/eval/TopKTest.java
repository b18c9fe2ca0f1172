package weft.models.eval;

import org.junit.jupiter.api.Test;
import weft.engine.Rng;
import weft.models.data.UserItems;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TopKTest {
    /** Reference: full sort of the unmasked items by (score desc, id asc). */
    static int[] bySorting(float[] s, int off, int n, UserItems mask, int user, int k) {
        List<Integer> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (mask == null || !mask.contains(user, i)) items.add(i);
        }
        items.sort(Comparator.<Integer>comparingDouble(i -> -s[off + i]).thenComparingInt(i -> i));
        return items.subList(0, Math.min(k, items.size())).stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void handExampleWithTiesAndMask() {
        float[] s = {1, 3, 3, 0, 3, 2};
        UserItems mask = UserItems.fromPairs(1, 6, new int[] {0}, new int[] {2});
        int[] out = new int[4];
        int n = new TopK(4).select(s, 0, 6, mask, 0, out);
        // item 2 masked; score 3: items 1, 4 (lower id first); then 5 (2), then 0 (1)
        assertEquals(4, n);
        assertArrayEquals(new int[] {1, 4, 5, 0}, out);
    }

    @Test
    void matchesAFullSortOnRandomRowsWithManyTies() {
        Rng r = new Rng(11);
        int nI = 97;
        for (int trial = 0; trial < 200; trial++) {
            float[] s = new float[nI + 5];
            for (int i = 0; i < s.length; i++) {
                s[i] = trial % 3 == 0 ? r.nextInt(4) : (float) r.nextGaussian();
            }
            if (trial % 7 == 0) s[5 + r.nextInt(nI)] = Float.NEGATIVE_INFINITY;
            if (trial % 11 == 0) s[5 + r.nextInt(nI)] = Float.POSITIVE_INFINITY;
            int m = r.nextInt(nI);
            int[] mu = new int[m], mi = new int[m];
            for (int j = 0; j < m; j++) mi[j] = r.nextInt(nI);
            UserItems mask = UserItems.fromPairs(1, nI, mu, mi);
            int k = 1 + r.nextInt(60);
            int[] out = new int[k];
            int n = new TopK(k).select(s, 5, nI, mask, 0, out);
            int[] want = bySorting(s, 5, nI, mask, 0, k);
            assertEquals(want.length, n, "trial " + trial);
            assertArrayEquals(want, java.util.Arrays.copyOf(out, n), "trial " + trial);
        }
    }

    @Test
    void fewerCandidatesThanK() {
        float[] s = {5, 4, 3};
        UserItems mask = UserItems.fromPairs(1, 3, new int[] {0, 0}, new int[] {0, 2});
        int[] out = new int[10];
        assertEquals(1, new TopK(10).select(s, 0, 3, mask, 0, out));
        assertEquals(1, out[0]);
    }

    @Test
    void nanScoreIsAnError() {
        float[] s = {1, Float.NaN, 2};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TopK(2).select(s, 0, 3, null, 0, new int[2]));
        assertTrue(e.getMessage().contains("score of item 1 is NaN"), e.getMessage());
        // also once the heap is full, where most items are decided by one comparison
        e = assertThrows(IllegalArgumentException.class, () -> new TopK(1).select(s, 0, 3, null, 0, new int[1]));
        assertTrue(e.getMessage().contains("score of item 1 is NaN"), e.getMessage());
    }
}
