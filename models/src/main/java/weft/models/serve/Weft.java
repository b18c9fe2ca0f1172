package weft.models.serve;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import weft.engine.Tensor;
import weft.models.blocks.DotScorer;
import weft.models.coldstart.CatalogueExtension;
import weft.models.io.ModelDir;

/**
 * Entry point of the serving API: {@code Weft.load(dir)} opens a model folder written by
 * {@code weft train --save DIR} and returns a {@link WeftModel} that answers recommendation
 * queries. It reads the manifest (verifying every file's checksum), the final user and item
 * embeddings, the training interactions and the id maps, and nothing of the training machinery.
 */
public final class Weft {
    private Weft() {}

    /**
     * Loads a saved model for serving.
     *
     * @throws weft.models.data.DataFormatException when the folder is missing, incomplete,
     *     truncated, corrupted or written by a newer weft
     */
    public static WeftModel load(Path dir) {
        ModelDir md = ModelDir.open(dir);
        ModelDir.Embeddings e = md.embeddings();
        return WeftModel.of(md.model(), e.users(), e.items(), md.train(), md.userIds(), md.itemIds());
    }

    /**
     * Loads a saved feature-reading model with items added that were not in its training
     * catalogue (cold start): each new item is given by its raw feature vectors, one row per item
     * in every modality the model read (as in the dataset's .npy files, before
     * {@code --feature-norm}). The model is rebuilt from the folder and its catalogue extended
     * ({@link CatalogueExtension}: new items enter as items without interactions and get their
     * embeddings from the model's own feature path); the returned handle ranks old and new items
     * together. This runs the model's forward pass once (seconds on a large catalogue), so build the
     * handle once per batch of new items, not per request.
     *
     * @param newIds raw ids of the new items, or null for {@code new:0, new:1, ...}
     * @throws IllegalArgumentException when the model reads no features, or the features do not
     *     match the modalities it was trained with
     */
    public static WeftModel loadWithNewItems(Path dir, Map<String, Tensor> newItemFeatures, List<String> newIds) {
        return withNewItems(ModelDir.open(dir).rebuild(), newItemFeatures, newIds);
    }

    /** {@link #loadWithNewItems} on a model already rebuilt from its folder. */
    public static WeftModel withNewItems(ModelDir.Rebuilt r, Map<String, Tensor> newItemFeatures, List<String> newIds) {
        CatalogueExtension.Extended ext = CatalogueExtension.extended(r.spec(), r.data(), r.config(), r.options(), r.model(),
                newItemFeatures, newIds);
        DotScorer s = ext.model().scorer();
        return WeftModel.of(r.spec().name(), s.users(), s.items(), ext.data().train(), ext.data().userIds(), ext.data().itemIds());
    }
}
