package weft.models.data;

import weft.engine.Rng;

/**
 * A train / valid / test partition of the interactions, as per-user sorted item lists.
 *
 * <p>Repeated (user, item) pairs inside one part are kept once: a repeated purchase is one
 * positive for BPR and one relevant item for the metrics (counting it twice would let one item
 * score two hits). A pair present in two parts (say train and test) is kept in both here; files
 * with such a pair in train and valid/test are refused when read ({@link InterFile}), since the
 * evaluator masks training items and such an item could never be hit.
 */
public final class Split {
    /** Users with fewer interactions than this get the leave-one-out rule (n-2 / 1 / 1). */
    public static final int SMALL_USER = 10;
    /** Share of a larger user's interactions that go to train, the rest halved valid / test. */
    public static final double TRAIN_SHARE = 0.8;

    private final UserItems train, valid, test;

    public Split(UserItems train, UserItems valid, UserItems test) {
        if (train.numUsers() != valid.numUsers() || train.numUsers() != test.numUsers()
                || train.numItems() != valid.numItems() || train.numItems() != test.numItems()) {
            throw new IllegalArgumentException("Split: parts disagree on the number of users / items");
        }
        this.train = train;
        this.valid = valid;
        this.test = test;
    }

    public UserItems train() {
        return train;
    }

    public UserItems valid() {
        return valid;
    }

    public UserItems test() {
        return test;
    }

    /** The partition a file's x_label column gives (0 train, 1 valid, 2 test). */
    public static Split fromLabels(int numUsers, int numItems, int[] users, int[] items, byte[] labels) {
        int[] counts = new int[3];
        for (byte l : labels) {
            counts[l]++;
        }
        int[][] us = new int[3][], is = new int[3][];
        for (int p = 0; p < 3; p++) {
            us[p] = new int[counts[p]];
            is[p] = new int[counts[p]];
        }
        int[] fill = new int[3];
        for (int k = 0; k < labels.length; k++) {
            int p = labels[k];
            us[p][fill[p]] = users[k];
            is[p][fill[p]++] = items[k];
        }
        return new Split(UserItems.fromPairs(numUsers, numItems, us[0], is[0]),
                UserItems.fromPairs(numUsers, numItems, us[1], is[1]),
                UserItems.fromPairs(numUsers, numItems, us[2], is[2]));
    }

    /**
     * MMRec's per-user random split for files without x_label. Each user's distinct items
     * (repeats removed first) are sorted, so the file's line order does not matter, then shuffled
     * with a generator seeded from {@code (seed, user)}, so one user's split does not depend on
     * any other user's. With n distinct items:
     * <ul>
     *   <li>n &lt; 3: all train (there is nothing to hold out without leaving train empty, and a
     *       user with no training items would be scored on nothing but popularity);</li>
     *   <li>3 &le; n &lt; 10: n-2 train, 1 valid, 1 test;</li>
     *   <li>n &ge; 10: floor(0.8 n) train; of the rest r, floor(r/2) valid and the remaining
     *       ceil(r/2) test (so test gets the odd one, as the test set is the one reported).</li>
     * </ul>
     */
    public static Split random(int numUsers, int numItems, int[] users, int[] items, long seed) {
        UserItems all = UserItems.fromPairs(numUsers, numItems, users, items);
        int[] nPart = new int[3];
        for (int u = 0; u < numUsers; u++) {
            int[] c = partSizes(all.count(u));
            for (int p = 0; p < 3; p++) nPart[p] += c[p];
        }
        int[][] us = {new int[nPart[0]], new int[nPart[1]], new int[nPart[2]]};
        int[][] is = {new int[nPart[0]], new int[nPart[1]], new int[nPart[2]]};
        int[] fill = new int[3];
        for (int u = 0; u < numUsers; u++) {
            int[] own = all.itemsOf(u);
            int[] c = partSizes(own.length);
            new Rng(userSeed(seed, u)).shuffle(own, own.length);
            int k = 0;
            for (int p = 0; p < 3; p++) {
                for (int j = 0; j < c[p]; j++, k++) {
                    us[p][fill[p]] = u;
                    is[p][fill[p]++] = own[k];
                }
            }
        }
        return new Split(UserItems.fromPairs(numUsers, numItems, us[0], is[0]),
                UserItems.fromPairs(numUsers, numItems, us[1], is[1]),
                UserItems.fromPairs(numUsers, numItems, us[2], is[2]));
    }

    /** {train, valid, test} sizes for a user with n distinct items (the rule of {@link #random}). */
    public static int[] partSizes(int n) {
        if (n < 3) {
            return new int[] {n, 0, 0};
        }
        if (n < SMALL_USER) {
            return new int[] {n - 2, 1, 1};
        }
        int train = (int) Math.floor(TRAIN_SHARE * n + 1e-9); // 1e-9: 0.8 is inexact in binary, keep 0.8*n from landing just under an integer
        int rest = n - train;
        return new int[] {train, rest / 2, rest - rest / 2};
    }

    /** A well-mixed per-user seed: SplitMix64's finaliser over the pair. */
    static long userSeed(long seed, long user) {
        return Seeds.mix(seed, user);
    }

    /** For each line, which part it went to: handy for writing a split back out as x_label. */
    public byte[] labelsFor(int[] users, int[] items) {
        byte[] out = new byte[users.length];
        for (int k = 0; k < users.length; k++) {
            if (train.contains(users[k], items[k])) out[k] = InterFile.TRAIN;
            else if (valid.contains(users[k], items[k])) out[k] = InterFile.VALID;
            else if (test.contains(users[k], items[k])) out[k] = InterFile.TEST;
            else throw new IllegalArgumentException("Split.labelsFor: pair (" + users[k] + ", " + items[k] + ") is in no part");
        }
        return out;
    }

    @Override
    public String toString() {
        return "Split[train=" + train.size() + ", valid=" + valid.size() + ", test=" + test.size() + "]";
    }
}
