package weft.models;

import weft.graph.CsrMatrix;
import weft.models.blocks.Graphs;
import weft.models.data.Dataset;
import weft.models.options.Option;
import weft.models.options.OptionException;
import weft.models.options.Options;

/**
 * What every model on the user-item graph starts from (MMRec's {@code GeneralRecommender}): the
 * catalogue's size, the shared hyperparameters, and the graphs built once from the training
 * interactions, and the model's options.
 *
 * <pre>
 *   interactions  R, [U, I]
 *   adj           A_hat = D^-1/2 [[0, R], [R^T, 0]] D^-1/2, users then items
 *   userMean      D_u^-1 R: a user as the mean of its items
 * </pre>
 */
public abstract class GraphRecommender extends AbstractRecommender {
    /** The model's own options (declared in its {@link ModelSpec}). */
    protected final Options opts;
    protected final int numUsers, numItems;
    /** Propagation layers over A_hat ({@code --layers}). */
    protected final int layers;
    /** EmbLoss weight ({@code --reg}). */
    protected final float reg;
    protected final CsrMatrix interactions, adj, userMean;
    /** Each user's number of training items (the row lengths of R). */
    protected final int[] userCounts;

    protected GraphRecommender(ModelSpec spec, Dataset data, ModelConfig cfg, Options opts) {
        super(spec);
        this.opts = opts;
        numUsers = data.numUsers();
        numItems = data.numItems();
        layers = cfg.layers;
        reg = cfg.reg;
        interactions = Graphs.interactions(data);
        adj = Graphs.normalizedAdjacency(interactions);
        userMean = Graphs.userMean(interactions);
        userCounts = interactions.rowCounts();
    }

    /** The value of a kNN option ({@code --knn-k}), checked against the catalogue's size. */
    protected int knnK(Option<Integer> option) {
        int k = opts.get(option);
        OptionException.require(k <= numItems, option.flag() + " " + k + " must be at most the number of items (" + numItems + ")");
        return k;
    }

    /** The value of an attention-heads option ({@code --heads}), checked to divide the embedding size. */
    protected int heads(Option<Integer> option, int dim) {
        int h = opts.get(option);
        OptionException.require(dim % h == 0, name() + ": " + option.flag() + " " + h + " must divide --dim " + dim);
        return h;
    }
}
