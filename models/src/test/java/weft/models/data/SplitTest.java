package weft.models.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class SplitTest {
    @Test
    void partSizesFollowTheDocumentedRule() {
        assertArrayEquals(new int[] {1, 0, 0}, Split.partSizes(1), "n < 3: all train");
        assertArrayEquals(new int[] {2, 0, 0}, Split.partSizes(2));
        assertArrayEquals(new int[] {1, 1, 1}, Split.partSizes(3), "3 <= n < 10: n-2 / 1 / 1");
        assertArrayEquals(new int[] {7, 1, 1}, Split.partSizes(9));
        assertArrayEquals(new int[] {8, 1, 1}, Split.partSizes(10), "n >= 10: floor(0.8 n), rest halved");
        assertArrayEquals(new int[] {8, 1, 2}, Split.partSizes(11), "odd rest: the extra one goes to test");
        assertArrayEquals(new int[] {12, 1, 2}, Split.partSizes(15));
        assertArrayEquals(new int[] {16, 2, 2}, Split.partSizes(20));
        assertArrayEquals(new int[] {80, 10, 10}, Split.partSizes(100));
    }

    private static int[][] pairs(int users, int perUserBase) {
        int n = 0;
        for (int u = 0; u < users; u++) n += perUserBase + u;
        int[] us = new int[n], is = new int[n];
        int w = 0;
        for (int u = 0; u < users; u++) {
            for (int j = 0; j < perUserBase + u; j++) {
                us[w] = u;
                is[w++] = (j * 7 + u) % 50;
            }
        }
        return new int[][] {us, is};
    }

    @Test
    void randomSplitPartitionsEachUsersItems() {
        int[][] p = pairs(15, 1); // users with 1..15 interactions cover every branch of the rule
        Split s = Split.random(15, 50, p[0], p[1], 7);
        for (int u = 0; u < 15; u++) {
            int[] sizes = Split.partSizes(u + 1);
            assertEquals(sizes[0], s.train().count(u), "user " + u);
            assertEquals(sizes[1], s.valid().count(u), "user " + u);
            assertEquals(sizes[2], s.test().count(u), "user " + u);
            int[] all = concat(s.train().itemsOf(u), s.valid().itemsOf(u), s.test().itemsOf(u));
            Arrays.sort(all);
            int[] expected = new int[u + 1];
            for (int j = 0; j <= u; j++) expected[j] = (j * 7 + u) % 50;
            Arrays.sort(expected);
            assertArrayEquals(expected, all, "parts are disjoint and cover the user's items");
        }
    }

    @Test
    void randomSplitDependsOnSeedNotOnLineOrder() {
        int[][] p = pairs(15, 5);
        Split a = Split.random(15, 50, p[0], p[1], 3);
        int n = p[0].length;
        int[] us = new int[n], is = new int[n];
        for (int k = 0; k < n; k++) { // reversed file order
            us[k] = p[0][n - 1 - k];
            is[k] = p[1][n - 1 - k];
        }
        Split b = Split.random(15, 50, us, is, 3);
        Split c = Split.random(15, 50, p[0], p[1], 4);
        boolean differs = false;
        for (int u = 0; u < 15; u++) {
            assertArrayEquals(a.test().itemsOf(u), b.test().itemsOf(u));
            assertArrayEquals(a.valid().itemsOf(u), b.valid().itemsOf(u));
            differs |= !Arrays.equals(a.test().itemsOf(u), c.test().itemsOf(u));
        }
        assertTrue(differs, "another seed gives another split");
    }

    @Test
    void repeatsAreKeptOnceBeforeSplitting() {
        // user 0: items 1,1,1,2,3 -> 3 distinct -> 1/1/1; repeats must not inflate any part
        Split s = Split.random(1, 5, new int[] {0, 0, 0, 0, 0}, new int[] {1, 1, 1, 2, 3}, 0);
        assertEquals(1, s.train().size());
        assertEquals(1, s.valid().size());
        assertEquals(1, s.test().size());
    }

    @Test
    void labelledSplitKeepsTrainRepeatsOnce() {
        Split s = Split.fromLabels(2, 4, new int[] {0, 0, 0, 1, 1}, new int[] {2, 2, 3, 0, 1}, new byte[] {0, 0, 2, 0, 1});
        assertArrayEquals(new int[] {2}, s.train().itemsOf(0));
        assertArrayEquals(new int[] {3}, s.test().itemsOf(0));
        assertArrayEquals(new int[] {1}, s.valid().itemsOf(1));
        assertEquals(2, s.train().size());
        assertArrayEquals(new byte[] {0, 2, 1}, s.labelsFor(new int[] {0, 0, 1}, new int[] {2, 3, 1}));
    }

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int w = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, w, p.length);
            w += p.length;
        }
        return out;
    }
}
