package weft.models.data;

import org.junit.jupiter.api.Test;
import weft.engine.Parallel;
import weft.engine.Rng;

import static org.junit.jupiter.api.Assertions.*;

class NegativeSamplerTest {
    @Test
    void neverReturnsATrainingItemAndCoversTheComplementUniformly() {
        int numItems = 20;
        // user 0 light (3 items: rejection path), user 1 heavy (15 of 20: complement path); user 2
        // holds 9, 12 and 14 so that every item occurs in training (every item is a candidate)
        int[] us = {0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2};
        int[] is = {2, 5, 19, 0, 1, 2, 3, 4, 6, 7, 8, 10, 11, 13, 15, 16, 17, 18, 9, 12, 14};
        UserItems train = UserItems.fromPairs(3, numItems, us, is);
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
        // user 0 has every item but 37; user 1 has 37, so that 37 occurs in training and is a candidate
        int[] us = new int[n], is = new int[n];
        for (int k = 0, i = 0; i < n; i++) {
            if (i != 37) {
                is[k++] = i;
            }
        }
        us[n - 1] = 1;
        is[n - 1] = 37;
        NegativeSampler s = new NegativeSampler(UserItems.fromPairs(2, n, us, is));
        Rng rng = new Rng(1);
        for (int k = 0; k < 100; k++) {
            assertEquals(37, s.sample(0, rng));
        }
    }

    @Test
    void drawsOnlyItemsThatOccurInTrainingUniformly() {
        // MMRec samples negatives from the training split's items: 3 and 7 occur nowhere in training
        int numItems = 10;
        // user 0 light (2 of the 8 candidates: rejection path), user 1 heavy (6 of 8: complement path)
        int[] us = {0, 0, 1, 1, 1, 1, 1, 1};
        int[] is = {1, 8, 0, 2, 4, 5, 6, 9};
        UserItems train = UserItems.fromPairs(2, numItems, us, is);
        NegativeSampler s = new NegativeSampler(train);
        assertEquals(8, s.numCandidates());
        Rng rng = new Rng(5);
        int[][] expectedFree = {{0, 2, 4, 5, 6, 9}, {1, 8}};
        for (int u = 0; u < 2; u++) {
            int[] hist = new int[numItems];
            int draws = 30000;
            for (int k = 0; k < draws; k++) {
                hist[s.sample(u, rng)]++;
            }
            double expected = (double) draws / expectedFree[u].length;
            int total = 0;
            for (int i : expectedFree[u]) {
                assertEquals(expected, hist[i], 6 * Math.sqrt(expected), "user " + u + " item " + i);
                total += hist[i];
            }
            assertEquals(draws, total, "user " + u + " drew an item outside its free candidates: " + java.util.Arrays.toString(hist));
        }
    }

    @Test
    void withEveryItemInTrainingTheDrawsAreThoseOverTheWholeCatalogue() {
        // the candidates are then all items, and the draws must be, to the bit, plain rejection over
        // nextInt(numItems) and complement indexing over item ids (what the sampler did before it
        // restricted itself to training items), so that datasets without cold items keep their runs
        int numItems = 12;
        int[] us = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2};
        int[] is = {3, 4, 0, 1, 2, 5, 6, 7, 8, 10, 9, 11, 4};
        UserItems train = UserItems.fromPairs(3, numItems, us, is);
        NegativeSampler s = new NegativeSampler(train);
        assertEquals(numItems, s.numCandidates());
        Rng a = new Rng(42), b = new Rng(42);
        for (int k = 0; k < 3000; k++) {
            int u = k % 3;
            int expected;
            if (train.count(u) * 2 <= numItems) {
                do {
                    expected = b.nextInt(numItems);
                } while (train.contains(u, expected));
            } else {
                int r = b.nextInt(numItems - train.count(u));
                for (int i : train.itemsOf(u)) {
                    if (i <= r) r++;
                }
                expected = r;
            }
            assertEquals(expected, s.sample(u, a), "draw " + k + " for user " + u);
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
