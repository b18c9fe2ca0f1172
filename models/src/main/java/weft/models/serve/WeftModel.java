package weft.models.serve;

import java.util.ArrayList;
import java.util.List;

import weft.engine.Kernels;
import weft.engine.Tensor;
import weft.models.data.IdMap;
import weft.models.data.UserItems;
import weft.models.eval.TopK;

/**
 * A trained model ready to answer queries: its final user table [U, d], item table [I, d], the
 * training interactions and the raw id maps. Every model weft trains scores
 * {@code score(u, i) = user_u . item_i}, so these tables are all serving needs.
 *
 * <ul>
 *   <li>{@link #recommend(String, int)}: the top-k items by score, the user's training items
 *       excluded (ties: the lower item index first, as the evaluator ranks);</li>
 *   <li>{@link #similarItems(String, int)}: the items with the highest cosine similarity of final
 *       item embeddings, the item itself excluded. Cosine rather than the dot product, so that an
 *       item's neighbours are those pointing the same way rather than the most popular ones (whose
 *       embeddings tend to be longer);</li>
 *   <li>{@link #recommendForItems(List, int)}: fold-in of a user the model has not seen, from a few
 *       item ids: the user vector is the mean of those items' final embeddings, and the given items are
 *       excluded. The same method serves every model here: each scores by a dot product with the final
 *       item table, and in the graph models a user's first propagation layer is the normalised sum of
 *       its items' embeddings, so the mean of a user's items is the user a one-layer propagation would
 *       give (up to a scale, which does not change the ranking);</li>
 *   <li>{@link #score(String, List)}: the scores of given items for a user.</li>
 * </ul>
 *
 * <p>Thread-safe: the state is immutable and each thread gets its own score buffer (a
 * {@link ThreadLocal}); a call allocates only its result and the top-k selection of k entries.
 * Scores are the engine's dot kernel over the item table.
 */
public final class WeftModel {
    private final String model;
    private final int numUsers, numItems, dim;
    private final float[] users, items, unitItems;
    private final UserItems train;
    private final IdMap userIds, itemIds;
    private final ThreadLocal<float[]> scratch;

    private WeftModel(String model, Tensor users, Tensor items, UserItems train, IdMap userIds, IdMap itemIds) {
        if (users.cols != items.cols) {
            throw new IllegalArgumentException("user table width " + users.cols + " != item table width " + items.cols);
        }
        if (train.numUsers() != users.rows || train.numItems() != items.rows) {
            throw new IllegalArgumentException("training interactions of " + train.numUsers() + " users x " + train.numItems()
                    + " items for tables of " + users.rows + " users and " + items.rows + " items");
        }
        if (userIds.size() != users.rows || itemIds.size() != items.rows) {
            throw new IllegalArgumentException("id maps of " + userIds.size() + " users / " + itemIds.size() + " items for tables of "
                    + users.rows + " / " + items.rows);
        }
        this.model = model;
        this.numUsers = users.rows;
        this.numItems = items.rows;
        this.dim = users.cols;
        this.users = compact(users);
        this.items = compact(items);
        this.unitItems = this.items.clone();
        Kernels k = Kernels.get();
        for (int i = 0; i < numItems; i++) {
            float n = (float) Math.sqrt(k.sumSquares(unitItems, i * dim, dim));
            if (n > 0) {
                k.binaryScalar(weft.engine.BinaryOp.MUL, unitItems, i * dim, 1f / n, unitItems, i * dim, dim);
            }
        }
        this.train = train;
        this.userIds = userIds;
        this.itemIds = itemIds;
        int n = numItems;
        this.scratch = ThreadLocal.withInitial(() -> new float[n]);
    }

    /**
     * A model from in-memory tables (e.g. for benchmarks, or tables trained elsewhere): users [U, d],
     * items [I, d], the training interactions to exclude, and the raw ids (IdMap.identity for integers).
     * The tables are copied.
     */
    public static WeftModel of(String model, Tensor users, Tensor items, UserItems train, IdMap userIds, IdMap itemIds) {
        return new WeftModel(model, users, items, train, userIds, itemIds);
    }

    private static float[] compact(Tensor t) {
        float[] out = new float[t.rows * t.cols];
        System.arraycopy(t.data, t.offset, out, 0, out.length);
        return out;
    }

    /** The model's name, e.g. "lightgcn". */
    public String model() {
        return model;
    }

    public int numUsers() {
        return numUsers;
    }

    public int numItems() {
        return numItems;
    }

    /** Width of the embeddings. */
    public int dim() {
        return dim;
    }

    public IdMap userIds() {
        return userIds;
    }

    public IdMap itemIds() {
        return itemIds;
    }

    /** Whether the model knows this user id. */
    public boolean knowsUser(String userId) {
        return userIds.indexOf(userId) >= 0;
    }

    /** The top {@code k} items for a known user, the user's training items excluded. */
    public List<Recommendation> recommend(String userId, int k) {
        return recommend(userId, k, false);
    }

    /** The top {@code k} items for a known user; {@code includeSeen} keeps the training items. */
    public List<Recommendation> recommend(String userId, int k, boolean includeSeen) {
        return recommendIndex(userIndex(userId), k, includeSeen);
    }

    /** {@link #recommend(String, int, boolean)} by dense user index. */
    public List<Recommendation> recommendIndex(int user, int k, boolean includeSeen) {
        checkK(k);
        if (user < 0 || user >= numUsers) {
            throw new IllegalArgumentException("user index " + user + " outside 0.." + (numUsers - 1));
        }
        float[] s = scratch.get();
        scoreAll(users, user * dim, items, s);
        return top(s, k, includeSeen ? null : train, user, -1);
    }

    /** The {@code k} items most similar to {@code itemId} by cosine of the final item embeddings, the item excluded. */
    public List<Recommendation> similarItems(String itemId, int k) {
        checkK(k);
        int i = itemIndex(itemId);
        float[] s = scratch.get();
        scoreAll(unitItems, i * dim, unitItems, s);
        return top(s, k, null, 0, i);
    }

    /**
     * Fold-in for a user the model has not seen: the mean of the given items' final embeddings as
     * the user vector, the given items excluded from the result.
     */
    public List<Recommendation> recommendForItems(List<String> itemIds, int k) {
        checkK(k);
        if (itemIds.isEmpty()) {
            throw new IllegalArgumentException("give at least one item id for the new user");
        }
        int[] idx = new int[itemIds.size()];
        for (int j = 0; j < idx.length; j++) {
            idx[j] = itemIndex(itemIds.get(j));
        }
        float[] u = foldIn(idx);
        float[] s = scratch.get();
        scoreAll(u, 0, items, s);
        UserItems mask = UserItems.fromPairs(1, numItems, new int[idx.length], idx);
        return top(s, k, mask, 0, -1);
    }

    /** The user vector {@link #recommendForItems} uses: the mean of the items' final embeddings. */
    public float[] foldIn(int[] itemIndices) {
        float[] u = new float[dim];
        Kernels kern = Kernels.get();
        for (int i : itemIndices) {
            kern.axpy(1f, items, i * dim, u, 0, dim);
        }
        kern.binaryScalar(weft.engine.BinaryOp.MUL, u, 0, 1f / itemIndices.length, u, 0, dim);
        return u;
    }

    /** The user's scores of the given items, in their order. */
    public float[] score(String userId, List<String> itemIds) {
        int u = userIndex(userId);
        float[] out = new float[itemIds.size()];
        Kernels kern = Kernels.get();
        for (int j = 0; j < out.length; j++) {
            int i = itemIndex(itemIds.get(j));
            out[j] = kern.dot(users, u * dim, items, i * dim, dim);
        }
        return out;
    }

    /** The dense index of a user id. @throws UnknownIdException for an id the model does not know */
    public int userIndex(String userId) {
        int u = userIds.indexOf(userId);
        if (u < 0) {
            throw UnknownIdException.of("user", userId, userIds);
        }
        return u;
    }

    /** The dense index of an item id. @throws UnknownIdException for an id the model does not know */
    public int itemIndex(String itemId) {
        int i = itemIds.indexOf(itemId);
        if (i < 0) {
            throw UnknownIdException.of("item", itemId, itemIds);
        }
        return i;
    }

    private static void checkK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
    }

    private void scoreAll(float[] q, int qOff, float[] table, float[] out) {
        Kernels kern = Kernels.get();
        for (int i = 0, off = 0; i < numItems; i++, off += dim) {
            out[i] = kern.dot(q, qOff, table, off, dim);
        }
    }

    /** The best {@code k} of {@code s}, masked by {@code mask}'s row {@code user}, leaving out {@code skip} (or -1). */
    private List<Recommendation> top(float[] s, int k, UserItems mask, int user, int skip) {
        int want = Math.min(numItems, skip >= 0 ? k + 1 : k);
        if (want == 0) {
            return List.of();
        }
        TopK topk = new TopK(want);
        int[] best = new int[want];
        int n = topk.select(s, 0, numItems, mask, user, best);
        List<Recommendation> out = new ArrayList<>(Math.min(n, k));
        for (int j = 0; j < n && out.size() < k; j++) {
            int i = best[j];
            if (i != skip) {
                out.add(new Recommendation(itemIds.raw(i), i, s[i]));
            }
        }
        return out;
    }
}
