package weft.models;

import weft.autograd.Var;
import weft.autograd.nn.Module;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;

/**
 * What every model provides (MMRec's interface): a training loss for a batch of
 * (user, positive, negative) triples, and a scorer of users against all items.
 */
public interface Recommender extends Module {
    /** The model's name as the command line knows it, e.g. "lightgcn". */
    String name();

    /** The model's own switches and their values, for reports (shared hyperparameters are in ModelConfig). */
    default java.util.Map<String, Object> options() {
        return java.util.Map.of();
    }

    /** Whether the model reads item feature vectors (feature-noise experiments skip models that don't). */
    default boolean usesFeatures() {
        return true;
    }

    /** Called before each training epoch (0-based), e.g. to re-sample a pruned graph. */
    default void startEpoch(int epoch) {}

    /** The loss of one training batch, recorded for backpropagation. */
    Var loss(TrainBatches.Batch batch);

    /**
     * A scorer over the current parameters for evaluation. Implementations compute their final
     * embeddings once here, without recording a graph; the scorer is valid until the next step.
     */
    Scorer scorer();
}
