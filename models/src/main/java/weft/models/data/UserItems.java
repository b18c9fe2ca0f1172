package weft.models.data;

import java.util.Arrays;

/**
 * Per-user sorted item lists in CSR form: the items of user u are {@code items[offsets[u] ..
 * offsets[u+1])}, strictly increasing (no duplicates). Sorted lists give an O(log n) membership
 * test without a per-user hash set, and let the evaluator skip masked items with one merge
 * pointer while it walks a score row.
 *
 * <p>Immutable: the arrays are never handed out; hot loops use {@link #start}, {@link #end} and
 * {@link #itemAt}.
 */
public final class UserItems {
    private final int[] offsets;
    private final int[] items;
    private final int numItems;

    private UserItems(int[] offsets, int[] items, int numItems) {
        this.offsets = offsets;
        this.items = items;
        this.numItems = numItems;
    }

    /**
     * Builds the lists from (user, item) pairs in any order; repeated pairs are kept once.
     *
     * @throws IllegalArgumentException when an id is outside {@code [0, numUsers)} / {@code [0, numItems)}
     */
    public static UserItems fromPairs(int numUsers, int numItems, int[] users, int[] items) {
        if (users.length != items.length) {
            throw new IllegalArgumentException("UserItems: " + users.length + " users but " + items.length + " items");
        }
        int[] counts = new int[numUsers + 1];
        for (int k = 0; k < users.length; k++) {
            int u = users[k], i = items[k];
            if (u < 0 || u >= numUsers || i < 0 || i >= numItems) {
                throw new IllegalArgumentException("UserItems: pair (" + u + ", " + i + ") outside "
                        + numUsers + " users x " + numItems + " items");
            }
            counts[u + 1]++;
        }
        for (int u = 0; u < numUsers; u++) {
            counts[u + 1] += counts[u];
        }
        int[] fill = Arrays.copyOf(counts, numUsers);
        int[] flat = new int[users.length];
        for (int k = 0; k < users.length; k++) {
            flat[fill[users[k]]++] = items[k];
        }
        // Sort each user's run and squeeze out repeats in place, then compact the runs.
        int[] offsets = new int[numUsers + 1];
        int w = 0;
        for (int u = 0; u < numUsers; u++) {
            int s = counts[u], e = counts[u + 1];
            Arrays.sort(flat, s, e);
            offsets[u] = w;
            for (int k = s; k < e; k++) {
                if (k == s || flat[k] != flat[k - 1]) {
                    flat[w++] = flat[k];
                }
            }
        }
        offsets[numUsers] = w;
        return new UserItems(offsets, w == flat.length ? flat : Arrays.copyOf(flat, w), numItems);
    }

    public int numUsers() {
        return offsets.length - 1;
    }

    public int numItems() {
        return numItems;
    }

    /** Total number of (user, item) entries. */
    public int size() {
        return items.length;
    }

    public int count(int user) {
        return offsets[user + 1] - offsets[user];
    }

    /** First position of the user's run; pair with {@link #end} and {@link #itemAt}. */
    public int start(int user) {
        return offsets[user];
    }

    public int end(int user) {
        return offsets[user + 1];
    }

    public int itemAt(int position) {
        return items[position];
    }

    /** Whether {@code item} is in the user's list (binary search). */
    public boolean contains(int user, int item) {
        return Arrays.binarySearch(items, offsets[user], offsets[user + 1], item) >= 0;
    }

    /** The user's items, ascending, as a fresh array. */
    public int[] itemsOf(int user) {
        return Arrays.copyOfRange(items, offsets[user], offsets[user + 1]);
    }

    /** Number of users with at least one item. */
    public int nonEmptyUsers() {
        int n = 0;
        for (int u = 0; u < numUsers(); u++) {
            if (offsets[u + 1] > offsets[u]) {
                n++;
            }
        }
        return n;
    }

    /** The user of every entry, in storage order (grouped by user, items ascending). */
    public int[] userColumn() {
        int[] out = new int[items.length];
        for (int u = 0; u < numUsers(); u++) {
            Arrays.fill(out, offsets[u], offsets[u + 1], u);
        }
        return out;
    }

    /** The item of every entry, in the order of {@link #userColumn()}. */
    public int[] itemColumn() {
        return items.clone();
    }
}
