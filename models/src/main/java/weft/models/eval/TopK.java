package weft.models.eval;

import weft.models.data.UserItems;

/**
 * Top-K selection of one score row without sorting it: a bounded min-heap of the K best
 * (score, item) pairs seen so far, O(I log K) per row.
 *
 * <p>Order: higher score first; equal scores rank the lower item id first. That makes rankings
 * deterministic and reproducible (a full sort by (score desc, id asc) gives the same list),
 * where torch.topk's order among ties is unspecified. NaN scores are refused: they cannot be
 * ranked and would otherwise quietly decide the metrics.
 */
public final class TopK {
    private final int k;
    private final float[] heapScore;
    private final int[] heapItem;
    private int size;

    /** A reusable selector for lists of up to {@code k} items (one per thread). */
    public TopK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("TopK: k must be >= 1, got " + k);
        }
        this.k = k;
        this.heapScore = new float[k];
        this.heapItem = new int[k];
    }

    /**
     * Selects the best {@code min(k, candidates)} items of {@code scores[off .. off+numItems)},
     * skipping the items of {@code user} in {@code mask} (may be null), and writes them best
     * first into {@code out}. Returns how many were written.
     *
     * @throws IllegalArgumentException if a score is NaN
     */
    public int select(float[] scores, int off, int numItems, UserItems mask, int user, int[] out) {
        size = 0;
        int mp = 0, me = 0, nextMasked = Integer.MAX_VALUE;
        if (mask != null) {
            mp = mask.start(user);
            me = mask.end(user);
            nextMasked = mp < me ? mask.itemAt(mp) : Integer.MAX_VALUE;
        }
        for (int i = 0; i < numItems; i++) {
            float s = scores[off + i];
            if (i == nextMasked) { // mask is sorted: one pointer walks it alongside the row
                mp++;
                nextMasked = mp < me ? mask.itemAt(mp) : Integer.MAX_VALUE;
                continue;
            }
            if (s != s) {
                throw new IllegalArgumentException("score of item " + i + (mask != null ? " for user " + user : "")
                        + " is NaN; the model produced invalid scores");
            }
            if (size < k) {
                heapScore[size] = s;
                heapItem[size] = i;
                siftUp(size++);
            } else if (s > heapScore[0]) {
                // Items arrive in increasing id, so an equal score never beats the root: ties keep the lower id.
                heapScore[0] = s;
                heapItem[0] = i;
                siftDown(0);
            }
        }
        int n = size;
        // Pop the worst repeatedly into the back of out: out ends best first.
        for (int pos = n - 1; pos >= 0; pos--) {
            out[pos] = heapItem[0];
            size--;
            if (size > 0) {
                heapScore[0] = heapScore[size];
                heapItem[0] = heapItem[size];
                siftDown(0);
            }
        }
        return n;
    }

    /** Whether (sa, ia) ranks below (sb, ib): lower score, or same score and higher id. */
    private static boolean worse(float sa, int ia, float sb, int ib) {
        return sa < sb || (sa == sb && ia > ib);
    }

    private void siftUp(int c) {
        float s = heapScore[c];
        int it = heapItem[c];
        while (c > 0) {
            int p = (c - 1) >>> 1;
            if (!worse(s, it, heapScore[p], heapItem[p])) {
                break;
            }
            heapScore[c] = heapScore[p];
            heapItem[c] = heapItem[p];
            c = p;
        }
        heapScore[c] = s;
        heapItem[c] = it;
    }

    private void siftDown(int p) {
        float s = heapScore[p];
        int it = heapItem[p];
        while (true) {
            int c = 2 * p + 1;
            if (c >= size) {
                break;
            }
            if (c + 1 < size && worse(heapScore[c + 1], heapItem[c + 1], heapScore[c], heapItem[c])) {
                c++;
            }
            if (!worse(heapScore[c], heapItem[c], s, it)) {
                break;
            }
            heapScore[p] = heapScore[c];
            heapItem[p] = heapItem[c];
            p = c;
        }
        heapScore[p] = s;
        heapItem[p] = it;
    }
}
