package weft.models;

import java.util.Map;

import weft.autograd.Var;
import weft.autograd.nn.Module;
import weft.models.data.TrainBatches;
import weft.models.blocks.DotScorer;

/**
 * What every model provides (MMRec's interface): a training loss for a batch of
 * (user, positive, negative) triples, and a scorer of users against all items. What a model is
 * called, which options it takes and whether it reads features is its {@link ModelSpec}'s to say.
 */
public interface Recommender extends Module {
    /** The model's name as the command line knows it, e.g. "lightgcn". */
    String name();

    /**
     * Facts the model derived from the data, for reports: the modalities it reads, the weights it
     * chose. Its options are reported from their declarations ({@link ModelSpec#config}).
     */
    default Map<String, Object> facts() {
        return Map.of();
    }

    /**
     * Facts about the trained parameters, for reports: asked once after training, with the best
     * epoch's parameters restored (e.g. how sharp DPRec's hyperedge memberships became).
     */
    default Map<String, Object> trainedFacts() {
        return Map.of();
    }

    /** Called before each training epoch (0-based), e.g. to re-sample a pruned graph. */
    default void startEpoch(int epoch) {}

    /**
     * The loss of one training batch, recorded for backpropagation. Models without parameters
     * (nothing to train) are never asked: the trainer evaluates them once.
     */
    Var loss(TrainBatches.Batch batch);

    /**
     * A scorer over the current parameters for evaluation. Implementations compute their final
     * embeddings once here, without recording a graph; the scorer is valid until the next step.
     * Every model scores by dot products of final user and item tables, which is what a saved
     * model keeps ({@link DotScorer#users()}, {@link DotScorer#items()}).
     */
    DotScorer scorer();
}
