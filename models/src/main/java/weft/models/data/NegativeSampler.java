package weft.models.data;

import weft.engine.Parallel;
import weft.engine.Rng;

/**
 * Draws, for a user, one item uniformly from the items NOT in the user's training set (BPR's
 * negative).
 *
 * <p>Two strategies, both exactly uniform over the complement:
 * <ul>
 *   <li>rejection: draw any item, retry while it is a training item. When the user has at most
 *       half the items the expected number of draws is at most 2;</li>
 *   <li>complement indexing, for heavier users: draw r uniform in [0, I - n_u) and return the
 *       r-th item not in the sorted training list (walk the list, bumping r past each training
 *       item at or below it). O(n_u) but never loops, however dense the user.</li>
 * </ul>
 * A user whose training set covers every item has no negative; asking for one is an error.
 */
public final class NegativeSampler {
    /** Positives per independently seeded chunk in {@link #sampleAll}: results do not depend on how chunks map to threads. */
    static final int CHUNK = 4096;

    private final UserItems train;
    private final int numItems;

    public NegativeSampler(UserItems train) {
        this.train = train;
        this.numItems = train.numItems();
    }

    /** One negative item for {@code user}, drawn with {@code rng}. */
    public int sample(int user, Rng rng) {
        int s = train.start(user), e = train.end(user), n = e - s;
        if (n * 2 <= numItems) {
            while (true) {
                int i = rng.nextInt(numItems);
                if (!train.contains(user, i)) {
                    return i;
                }
            }
        }
        if (n >= numItems) {
            throw new IllegalStateException("user " + user + " has all " + numItems
                    + " items in training: there is no negative item to sample");
        }
        int r = rng.nextInt(numItems - n);
        // The training items are sorted; each one at or below the candidate pushes it up by one.
        for (int k = s; k < e; k++) {
            if (train.itemAt(k) <= r) {
                r++;
            } else {
                break;
            }
        }
        return r;
    }

    /**
     * Fills {@code out[k]} with a negative for {@code users[k]}, for all k, in parallel. Chunk c
     * of {@link #CHUNK} positions draws from its own generator seeded by (seed, c), so the
     * result is a function of the seed alone, whatever the thread count.
     */
    public void sampleAll(int[] users, int[] out, long seed) {
        if (out.length < users.length) {
            throw new IllegalArgumentException("sampleAll: output of " + out.length + " for " + users.length + " users");
        }
        int chunks = (users.length + CHUNK - 1) / CHUNK;
        Parallel.forRange(chunks, 1, (from, to) -> {
            for (int c = from; c < to; c++) {
                Rng rng = new Rng(Seeds.mix(seed, c));
                int end = Math.min(users.length, (c + 1) * CHUNK);
                for (int k = c * CHUNK; k < end; k++) {
                    out[k] = sample(users[k], rng);
                }
            }
        });
    }
}
