package weft.models.data;

import weft.engine.Parallel;
import weft.engine.Rng;

/**
 * Draws, for a user, one item uniformly from the <em>candidates</em> NOT in the user's training
 * set (BPR's negative). The candidates are the items that occur in training, MMRec's
 * {@code TrainDataLoader.all_items} (the unique item ids of the training split): an item seen only
 * in valid or test, or nowhere, is never drawn. When every item occurs in training (Last.fm-2K)
 * the candidates are all items and the draws are those of sampling over the whole catalogue, to
 * the bit; Amazon Baby has 3 such items of 7,050.
 *
 * <p>Two strategies, both exactly uniform over the user's free candidates:
 * <ul>
 *   <li>rejection: draw any candidate, retry while it is a training item of the user. When the
 *       user has at most half the candidates the expected number of draws is at most 2;</li>
 *   <li>complement indexing, for heavier users: draw r uniform in [0, C - n_u) and return the
 *       r-th candidate not in the user's sorted training list (walk the list, bumping r past each
 *       training item whose candidate index is at or below it). O(n_u) but never loops, however
 *       dense the user.</li>
 * </ul>
 * A user whose training set covers every candidate has no negative; asking for one is an error.
 */
public final class NegativeSampler {
    /** Positives per independently seeded chunk in {@link #sampleAll}: results do not depend on how chunks map to threads. */
    static final int CHUNK = 4096;

    private final UserItems train;
    /** Candidate index -> item, ascending; null when every item is a candidate (the identity). */
    private final int[] candidates;
    /** Item -> candidate index (-1: not a candidate); null with {@link #candidates}. */
    private final int[] rank;
    private final int numCandidates;

    public NegativeSampler(UserItems train) {
        this.train = train;
        int numItems = train.numItems();
        boolean[] seen = new boolean[numItems];
        int c = 0;
        for (int p = 0, n = train.size(); p < n; p++) {
            int i = train.itemAt(p);
            if (!seen[i]) {
                seen[i] = true;
                c++;
            }
        }
        numCandidates = c;
        if (c == numItems) {
            candidates = null;
            rank = null;
        } else {
            candidates = new int[c];
            rank = new int[numItems];
            for (int i = 0, k = 0; i < numItems; i++) {
                rank[i] = seen[i] ? k : -1;
                if (seen[i]) {
                    candidates[k++] = i;
                }
            }
        }
    }

    /** How many items can be drawn at all: those that occur in training. */
    public int numCandidates() {
        return numCandidates;
    }

    private int item(int candidate) {
        return candidates == null ? candidate : candidates[candidate];
    }

    /** One negative item for {@code user}, drawn with {@code rng}. */
    public int sample(int user, Rng rng) {
        int s = train.start(user), e = train.end(user), n = e - s;
        if (n * 2 <= numCandidates) {
            while (true) {
                int i = item(rng.nextInt(numCandidates));
                if (!train.contains(user, i)) {
                    return i;
                }
            }
        }
        if (n >= numCandidates) {
            throw new IllegalStateException("user " + user + " has all " + numCandidates
                    + (numCandidates == train.numItems() ? "" : " candidate") + " items in training: there is no negative item to sample");
        }
        int r = rng.nextInt(numCandidates - n);
        // The training items are sorted, and so are their candidate indices; each one at or below
        // the candidate index pushes it up by one.
        for (int k = s; k < e; k++) {
            int ck = rank == null ? train.itemAt(k) : rank[train.itemAt(k)];
            if (ck <= r) {
                r++;
            } else {
                break;
            }
        }
        return item(r);
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
