package weft.models.serve;

import java.nio.file.Path;

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
}
