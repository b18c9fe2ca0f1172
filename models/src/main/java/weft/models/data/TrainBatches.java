package weft.models.data;

import weft.engine.Rng;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The BPR training stream: each epoch visits every training pair (u, i) once, in an order
 * shuffled for that epoch, in mini-batches of (user, positive, negative) with one fresh negative
 * per pair (MMRec's protocol). The last batch of an epoch may be smaller (MMRec keeps it too).
 *
 * <p>Epoch e is a pure function of (seed, e): the shuffle and the negatives are seeded from it,
 * so a run can be replayed from any epoch and does not depend on the thread count.
 */
public final class TrainBatches {
    /** MMRec's default training batch size. */
    public static final int DEFAULT_BATCH = 2048;

    private final int[] users, items;
    private final NegativeSampler sampler;
    private final int batchSize;
    private final long seed;

    /** One mini-batch; the three arrays have the same length. */
    public record Batch(int[] users, int[] pos, int[] neg) {
        public int size() {
            return users.length;
        }
    }

    public TrainBatches(UserItems train, int batchSize, long seed) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.users = train.userColumn();
        this.items = train.itemColumn();
        this.sampler = new NegativeSampler(train);
        this.batchSize = batchSize;
        this.seed = seed;
    }

    public TrainBatches(Dataset data, int batchSize, long seed) {
        this(data.train(), batchSize, seed);
    }

    /** Training pairs per epoch. */
    public int size() {
        return users.length;
    }

    public int batchSize() {
        return batchSize;
    }

    public int batchesPerEpoch() {
        return (users.length + batchSize - 1) / batchSize;
    }

    /**
     * The batches of epoch {@code epoch}. Negatives for the whole epoch are drawn up front (in
     * parallel) so that iterating is cheap; the iterable can be walked more than once and gives
     * the same batches each time.
     */
    public Iterable<Batch> epoch(int epoch) {
        int n = users.length;
        int[] order = new int[n];
        for (int k = 0; k < n; k++) order[k] = k;
        new Rng(Seeds.mix(seed, epoch, 0)).shuffle(order, n);
        int[] shuffledUsers = new int[n];
        for (int k = 0; k < n; k++) shuffledUsers[k] = users[order[k]];
        int[] negs = new int[n];
        sampler.sampleAll(shuffledUsers, negs, Seeds.mix(seed, epoch, 1));
        return () -> new Iterator<>() {
            int next = 0;

            @Override
            public boolean hasNext() {
                return next < n;
            }

            @Override
            public Batch next() {
                if (next >= n) {
                    throw new NoSuchElementException();
                }
                int b = Math.min(batchSize, n - next);
                int[] u = new int[b], p = new int[b], q = new int[b];
                for (int k = 0; k < b; k++) {
                    int src = order[next + k];
                    u[k] = users[src];
                    p[k] = items[src];
                    q[k] = negs[next + k];
                }
                next += b;
                return new Batch(u, p, q);
            }
        };
    }
}
