package weft.models.data;

import org.junit.jupiter.api.Test;
import weft.engine.Parallel;
import weft.engine.Rng;

import static org.junit.jupiter.api.Assertions.*;

class NegativeSamplerTest {
    @Test
    void neverReturnsATrainingItemAndCoversTheComplementUniformly() {
        int numItems = 20;
        // user 0 light (3 items: rejection path), user 1 heavy (15 of 20: complement path)
        int[] us = {0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        int[] is = {2, 5, 19, 0, 1, 2, 3, 4, 6, 7, 8, 10, 11, 13, 15, 16, 17, 18};
        UserItems train = UserItems.fromPairs(2, numItems, us, is);
        NegativeSampler s = new NegativeSampler(train);
        Rng rng = new Rng(9);
        for (int u = 0; u < 2; u++) {
            int[] hist = new int[numItems];
            int draws = 20000;
            for (int k = 0; k < draws; k++) {
                int i = s.sample(u, rng);
                assertFalse(train.contains(u, i), "user " + u + " got its training item " + i);
                hist[i]++;
            }
            int free = numItems - train.count(u);
            double expected = (double) draws / free;
            for (int i = 0; i < numItems; i++) {
                if (!train.contains(u, i)) {
                    // binomial std is about sqrt(expected) <= 60; 6 std is far outside chance for this fixed seed
                    assertEquals(expected, hist[i], 6 * Math.sqrt(expected), "user " + u + " item " + i);
                }
            }
        }
    }

    @Test
    void heavyUserWithOneFreeItemAlwaysGetsIt() {
        int n = 50;
        int[] us = new int[n - 1], is = new int[n - 1];
        for (int k = 0, i = 0; i < n; i++) {
            if (i != 37) {
                is[k++] = i;
            }
        }
        NegativeSampler s = new NegativeSampler(UserItems.fromPairs(1, n, us, is));
        Rng rng = new Rng(1);
        for (int k = 0; k < 100; k++) {
            assertEquals(37, s.sample(0, rng));
        }
    }

    @Test
    void userWithEveryItemHasNoNegative() {
        NegativeSampler s = new NegativeSampler(UserItems.fromPairs(1, 3, new int[] {0, 0, 0}, new int[] {0, 1, 2}));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.sample(0, new Rng(1)));
        assertTrue(e.getMessage().contains("user 0 has all 3 items"), e.getMessage());
    }

    @Test
    void sampleAllDoesNotDependOnTheThreadCount() {
        int nU = 50, nI = 300;
        Rng r = new Rng(3);
        int n = 20000;
        int[] us = new int[n], is = new int[n];
        for (int k = 0; k < n; k++) {
            us[k] = r.nextInt(nU);
            is[k] = r.nextInt(nI);
        }
        UserItems train = UserItems.fromPairs(nU, nI, us, is);
        NegativeSampler s = new NegativeSampler(train);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            int[] a = new int[n];
            s.sampleAll(us, a, 77);
            Parallel.setThreads(4);
            int[] b = new int[n];
            s.sampleAll(us, b, 77);
            assertArrayEquals(a, b);
            int[] c = new int[n];
            s.sampleAll(us, c, 78);
            assertFalse(java.util.Arrays.equals(a, c), "another seed, other negatives");
            for (int k = 0; k < n; k++) assertFalse(train.contains(us[k], a[k]));
        } finally {
            Parallel.setThreads(before);
        }
    }
}
