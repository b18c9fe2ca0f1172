package weft.models.coldstart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import weft.autograd.Var;
import weft.engine.Tensor;
import weft.models.ModelConfig;
import weft.models.ModelSpec;
import weft.models.Models;
import weft.models.Recommender;
import weft.models.blocks.DotScorer;
import weft.models.data.Dataset;
import weft.models.data.FeatureNorm;
import weft.models.data.IdMap;
import weft.models.data.Split;
import weft.models.data.UserItems;
import weft.models.options.Options;

/**
 * Cold-start items: items that were not in the training catalogue but come with feature vectors,
 * scored by a trained feature-reading model.
 *
 * <p>A cold item is what these models already represent as an item without interactions. The
 * extension builds a {@link Dataset} whose catalogue is the old items followed by the new ones
 * (the new rows normalised with the training data's fitted {@link Dataset#featureNorms()}, no
 * interactions, raw ids {@code new:0, new:1, ...} unless given), constructs a fresh model of the
 * same spec, shared hyperparameters and options on it, and copies the trained parameters into it,
 * matched by position in {@link Recommender#parameters()} with names and widths checked:
 * <ul>
 *   <li>a parameter of equal shape is copied;</li>
 *   <li>a parameter with one row per item ({@code [I, d]}) or per node ({@code [U + I, d]}, users
 *       first) gets its old rows copied and zero rows for the new items: a zero ID embedding, the
 *       item has no collaborative signal. The one exception is a trained copy of the features
 *       (FREEDOM's {@code *_feat} tables), whose new rows keep the new items' features;</li>
 *   <li>anything else that differs is an error naming the parameter.</li>
 * </ul>
 * {@link Recommender#scorer()} of the extended model then gives everyone's final embeddings; the
 * new items get theirs through the model's own content path and item-item kNN graphs, which are
 * rebuilt over the enlarged catalogue (so the kNN lists of old items may now include new items,
 * and normalisations a model fits inside itself, like {@code --input-norm standardize} or
 * DPRec's and TMFUN's centring, are re-fitted on old + new items).
 */
public final class CatalogueExtension {
    /** Prefix of the raw ids given to new items when none are given: {@code new:0}, {@code new:1}, ... */
    public static final String NEW_ID_PREFIX = "new:";

    private CatalogueExtension() {}

    /**
     * The final user and item tables of {@code trained} over the old items, then the new ones.
     *
     * @param spec the trained model's spec
     * @param data the dataset it was trained on
     * @param cfg the shared hyperparameters it was built with (its spec's defaults applied)
     * @param opts its own options
     * @param trained the trained model (its parameters are read, not changed)
     * @param newItemFeatures per modality of {@code data}, the new items' raw features (as in the
     *     dataset's .npy files, before {@code --feature-norm}), one row per new item, same widths
     * @return users [U, d'] and items [I + N, d'], new item j at row I + j
     * @throws IllegalArgumentException when the model reads no features, the features do not
     *     match the dataset's modalities, or the parameters do not match
     */
    public static DotScorer withNewItems(ModelSpec spec, Dataset data, ModelConfig cfg, Options opts, Recommender trained,
                                         Map<String, Tensor> newItemFeatures) {
        return extendedModel(spec, data, cfg, opts, trained, newItemFeatures).scorer();
    }

    /** The extended model itself (parameters copied as described above); {@link #withNewItems} scores with it. */
    public static Recommender extendedModel(ModelSpec spec, Dataset data, ModelConfig cfg, Options opts, Recommender trained,
                                            Map<String, Tensor> newItemFeatures) {
        return extended(spec, data, cfg, opts, trained, newItemFeatures, null).model();
    }

    /** An extended model and the enlarged dataset it was built on. */
    public record Extended(Dataset data, Recommender model) {}

    /** As {@link #extendedModel}, with the new items' raw ids ({@code null}: {@code new:0, new:1, ...}). */
    public static Extended extended(ModelSpec spec, Dataset data, ModelConfig cfg, Options opts, Recommender trained,
                                    Map<String, Tensor> newItemFeatures, List<String> newIds) {
        requireSupported(spec, data);
        if (!trained.name().equals(spec.name())) {
            throw new IllegalArgumentException("cold start: the trained model is " + trained.name() + ", the spec " + spec.name());
        }
        Dataset extended = extendedData(data, newItemFeatures, newIds);
        Recommender fresh = spec.create(extended, cfg, opts);
        copyParameters(trained.parameters(), fresh.parameters(), data.numUsers(), data.numItems(),
                extended.numItems() - data.numItems(), spec.name());
        return new Extended(extended, fresh);
    }

    /**
     * Fails with a one-line reason when {@code spec}'s model cannot score new items from their
     * features on {@code data}: it reads no features, or the dataset gives it none (FREEDOM on
     * precomputed {@code --item-graph}s), or a precomputed graph would have to take new items in.
     */
    public static void requireSupported(ModelSpec spec, Dataset data) {
        if (!spec.readsFeatures()) {
            throw new IllegalArgumentException(spec.name() + " reads no item features, so it has nothing to score a new item from; "
                    + "cold start works with the feature-reading models (" + String.join(", ", featureModels()) + ")");
        }
        if (data.modalities().isEmpty()) {
            throw new IllegalArgumentException(spec.name() + " on dataset '" + data.name() + "' has no item feature vectors"
                    + (data.itemGraphs().isEmpty() ? "" : " (only precomputed item graphs " + data.itemGraphs().keySet()
                    + ", which new items are not in)") + "; cold start needs features, e.g. --modality NAME=FILE.npy");
        }
        if (!data.itemGraphs().isEmpty() && spec.name().equals("freedom")) {
            throw new IllegalArgumentException("freedom: the precomputed item graphs " + data.itemGraphs().keySet()
                    + " (--item-graph) cannot take new items in; for cold start give those modalities as vectors (--modality)");
        }
    }

    /** The models that read item features (the ones cold start works with). */
    public static List<String> featureModels() {
        return Models.all().stream().filter(ModelSpec::readsFeatures).map(ModelSpec::name).toList();
    }

    /**
     * {@code data} with new items appended: same users and interactions, the catalogue's old items
     * then the new ones (normalised with {@code data.featureNorms()}, as features are at load;
     * as stored for a dataset assembled in code), precomputed item graphs left out (no model that
     * reads them is extended). {@code newIds} names the new items; null gives {@code new:0, ...}.
     */
    public static Dataset extendedData(Dataset data, Map<String, Tensor> newItemFeatures, List<String> newIds) {
        int n = checkFeatures(data, newItemFeatures);
        int oldItems = data.numItems(), items = oldItems + n, users = data.numUsers();
        Map<String, Tensor> mods = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            FeatureNorm.Fitted norm = data.featureNorms().get(e.getKey());
            Tensor fresh = newItemFeatures.get(e.getKey());
            Tensor normed = norm == null ? fresh.copy() : norm.apply(fresh);
            mods.put(e.getKey(), appendRows(e.getValue(), normed));
        }
        Split split = new Split(widen(data.train(), items), widen(data.valid(), items), widen(data.test(), items));
        Dataset ext = new Dataset(data.name(), split, mods);
        List<String> ids = new ArrayList<>(List.of(data.itemIds().toArray()));
        if (newIds != null && newIds.size() != n) {
            throw new IllegalArgumentException("cold start: " + newIds.size() + " ids for " + n + " new items");
        }
        for (int j = 0; j < n; j++) {
            String id = newIds != null ? newIds.get(j) : NEW_ID_PREFIX + j;
            if (data.itemIds().indexOf(id) >= 0) {
                throw new IllegalArgumentException("cold start: new item id '" + id + "' is already an item of the catalogue");
            }
            ids.add(id);
        }
        return ext.withIds(data.userIds(), IdMap.of(ids));
    }

    /** Checks the new items' features against the dataset's modalities; returns the number of new items. */
    static int checkFeatures(Dataset data, Map<String, Tensor> f) {
        if (f == null || f.isEmpty()) {
            throw new IllegalArgumentException("cold start: no features given for the new items; dataset '" + data.name()
                    + "' has modalities " + data.modalities().keySet());
        }
        for (String m : f.keySet()) {
            if (!data.modalities().containsKey(m)) {
                throw new IllegalArgumentException("cold start: features given for modality '" + m + "', which dataset '" + data.name()
                        + "' does not have; its modalities are " + data.modalities().keySet());
            }
        }
        int n = -1;
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            Tensor t = f.get(e.getKey());
            if (t == null) {
                throw new IllegalArgumentException("cold start: no features given for modality '" + e.getKey()
                        + "'; new items need one row in every modality " + data.modalities().keySet());
            }
            if (t.cols != e.getValue().cols) {
                throw new IllegalArgumentException("cold start: new items' '" + e.getKey() + "' features are " + t.cols
                        + " wide, the training items' " + e.getValue().cols);
            }
            if (n >= 0 && t.rows != n) {
                throw new IllegalArgumentException("cold start: modalities give different numbers of new items (" + n + " and "
                        + t.rows + " rows in '" + e.getKey() + "')");
            }
            n = t.rows;
            for (int r = 0; r < t.rows; r++) {
                for (int c = 0; c < t.cols; c++) {
                    if (!Float.isFinite(t.data[t.offset + r * t.cols + c])) {
                        throw new IllegalArgumentException("cold start: new item " + r + " has a non-finite '" + e.getKey()
                                + "' feature (column " + c + ")");
                    }
                }
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("cold start: the new items' features have no rows");
        }
        return n;
    }

    /**
     * Copies {@code from} (the trained model's parameters, catalogue of {@code oldItems}) into
     * {@code to} (the extended model's, {@code newItems} more), by position; see the class comment.
     */
    static void copyParameters(List<Var> from, List<Var> to, int users, int oldItems, int newItems, String model) {
        if (from.size() != to.size()) {
            throw new IllegalArgumentException(model + ": the trained model has " + from.size() + " parameters, the extended one "
                    + to.size() + " (built with other options?)");
        }
        for (int p = 0; p < from.size(); p++) {
            Var a = from.get(p), b = to.get(p);
            String name = "parameter " + p + " '" + a.name() + "'";
            if (!Objects.equals(a.name(), b.name())) {
                throw new IllegalArgumentException(model + ": " + name + " of the trained model is '" + b.name()
                        + "' in the extended one (built with other options?)");
            }
            Tensor src = a.value, dst = b.value;
            if (src.sameShape(dst)) {
                dst.copyFrom(src);
                continue;
            }
            boolean perItem = src.rows == oldItems || src.rows == users + oldItems;
            if (!perItem || src.cols != dst.cols || dst.rows != src.rows + newItems) {
                throw new IllegalArgumentException(model + ": " + name + " is " + src.shape() + " in the trained model but "
                        + dst.shape() + " in the extended one; only per-item rows may grow (" + oldItems + " -> "
                        + (oldItems + newItems) + " items)");
            }
            dst.rowBlock(0, src.rows).copyFrom(src);
            if (a.name() == null || !a.name().endsWith("_feat")) {
                dst.rowBlock(src.rows, newItems).zero();
            }
        }
    }

    /** [a ; b]: b's rows under a's. */
    static Tensor appendRows(Tensor a, Tensor b) {
        Tensor out = new Tensor(a.rows + b.rows, a.cols);
        System.arraycopy(a.data, a.offset, out.data, 0, a.rows * a.cols);
        System.arraycopy(b.data, b.offset, out.data, a.rows * a.cols, b.rows * b.cols);
        return out;
    }

    /** The same lists over a catalogue of {@code items} (no item added to any list). */
    static UserItems widen(UserItems ui, int items) {
        return UserItems.fromPairs(ui.numUsers(), items, ui.userColumn(), ui.itemColumn());
    }
}
