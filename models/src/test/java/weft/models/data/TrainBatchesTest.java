package weft.models.data;

import org.junit.jupiter.api.Test;
import weft.engine.Rng;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class TrainBatchesTest {
    private static UserItems randomTrain(int nU, int nI, int n, long seed) {
        Rng r = new Rng(seed);
        int[] us = new int[n], is = new int[n];
        for (int k = 0; k < n; k++) {
            us[k] = r.nextInt(nU);
            is[k] = r.nextInt(nI);
        }
        return UserItems.fromPairs(nU, nI, us, is);
    }

    private static List<TrainBatches.Batch> collect(Iterable<TrainBatches.Batch> it) {
        List<TrainBatches.Batch> out = new ArrayList<>();
        it.forEach(out::add);
        return out;
    }

    @Test
    void anEpochVisitsEveryPairOnceWithValidNegatives() {
        UserItems train = randomTrain(40, 100, 1000, 1);
        TrainBatches tb = new TrainBatches(train, 64, 5);
        List<TrainBatches.Batch> batches = collect(tb.epoch(0));
        assertEquals(tb.batchesPerEpoch(), batches.size());
        assertEquals((train.size() + 63) / 64, batches.size());
        Set<Long> seen = new HashSet<>();
        for (int b = 0; b < batches.size(); b++) {
            TrainBatches.Batch x = batches.get(b);
            assertEquals(b < batches.size() - 1 ? 64 : train.size() - 64 * (batches.size() - 1), x.size());
            for (int k = 0; k < x.size(); k++) {
                assertTrue(train.contains(x.users()[k], x.pos()[k]));
                assertFalse(train.contains(x.users()[k], x.neg()[k]));
                assertTrue(seen.add((long) x.users()[k] * 1000 + x.pos()[k]), "pair visited twice");
            }
        }
        assertEquals(train.size(), seen.size());
    }

    @Test
    void epochsAreSeededReplayableAndShuffled() {
        UserItems train = randomTrain(40, 100, 1000, 2);
        TrainBatches tb = new TrainBatches(train, 100, 5);
        List<TrainBatches.Batch> a = collect(tb.epoch(3));
        List<TrainBatches.Batch> again = collect(new TrainBatches(train, 100, 5).epoch(3));
        List<TrainBatches.Batch> next = collect(tb.epoch(4));
        for (int b = 0; b < a.size(); b++) {
            assertArrayEquals(a.get(b).users(), again.get(b).users());
            assertArrayEquals(a.get(b).pos(), again.get(b).pos());
            assertArrayEquals(a.get(b).neg(), again.get(b).neg());
        }
        assertFalse(java.util.Arrays.equals(a.get(0).pos(), next.get(0).pos()), "another epoch, another order");
        // Not in storage order (grouped by user): the first batch spans many users out of order.
        int[] u = a.get(0).users();
        boolean sorted = true;
        for (int k = 1; k < u.length; k++) sorted &= u[k - 1] <= u[k];
        assertFalse(sorted);
    }

    @Test
    void rejectsBadBatchSize() {
        assertThrows(IllegalArgumentException.class, () -> new TrainBatches(randomTrain(2, 10, 5, 1), 0, 1));
    }
}
