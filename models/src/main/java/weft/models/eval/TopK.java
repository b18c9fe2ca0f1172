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
        int mp = 0, me = 0;
        if (mask != null) {
            mp = mask.start(user);
            me = mask.end(user);
        }
        // The row is walked in segments between masked items (the mask is sorted), so the hot
        // inner loop has no mask test. Once the heap is full, one comparison with the current
        // K-th best decides almost every item; a NaN fails that comparison and so reaches
        // the check below, where it is reported.
        float thr = Float.NEGATIVE_INFINITY;
        int i = 0;
        while (i < numItems) {
            int segEnd = mp < me ? Math.min(mask.itemAt(mp), numItems) : numItems;
            for (; i < segEnd; i++) {
                float v = scores[off + i];
                if (size == k && v <= thr) {
                    continue; // equal scores never replace: the earlier, lower id stays ahead
                }
                if (v != v) {
                    throw new IllegalArgumentException("score of item " + i + (mask != null ? " for user " + user : "")
                            + " is NaN; the model produced invalid scores");
                }
                if (size < k) {
                    heapScore[size] = v;
                    heapItem[size] = i;
                    siftUp(size++);
                } else {
                    heapScore[0] = v;
                    heapItem[0] = i;
                    siftDown(0);
                }
                if (size == k) {
                    thr = heapScore[0];
                }
            }
            if (mp < me) { // skip the masked item
                i = Math.max(i, mask.itemAt(mp) + 1);
                mp++;
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
