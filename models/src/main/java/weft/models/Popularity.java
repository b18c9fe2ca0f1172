package weft.models;

import java.util.List;

import weft.autograd.Var;
import weft.engine.Tensor;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.blocks.DotScorer;

/**
 * The non-personalised baseline every model must beat: score(u, i) = number of training
 * interactions of item i. It has no parameters, so the trainer evaluates it once.
 */
public final class Popularity extends AbstractRecommender {
    public static final ModelSpec SPEC = ModelSpec.builder("popularity", "item popularity, the non-personalised floor")
            .noFeatures().build((d, c, o) -> new Popularity(d));

    private final float[] counts;
    private final int numUsers;

    public Popularity(Dataset data) {
        super(SPEC);
        numUsers = data.numUsers();
        counts = new float[data.numItems()];
        for (int i : data.trainItems()) {
            counts[i]++;
        }
    }

    @Override
    public List<Var> parameters() {
        return List.of();
    }

    /** Never called by the trainer (no parameters); fails clearly if called directly. */
    @Override
    public Var loss(TrainBatches.Batch batch) {
        throw new IllegalStateException("popularity has no parameters and no loss: evaluate its scorer directly");
    }

    /** Every user sees the training counts: a [U, 1] column of ones against the [I, 1] counts (exact products). */
    @Override
    public DotScorer scorer() {
        return DotScorer.of(Tensor.full(numUsers, 1, 1f), Tensor.of(counts.length, 1, counts));
    }

    /** Popularity's scores as a tensor row, for tests. */
    public Tensor counts() {
        return Tensor.of(1, counts.length, counts);
    }
}
