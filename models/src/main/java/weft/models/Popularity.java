package weft.models;

import java.util.List;

import weft.autograd.Var;
import weft.engine.Tensor;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;

/**
 * The non-personalised baseline every model must beat: score(u, i) = number of training
 * interactions of item i. It has no parameters, so the trainer evaluates it once.
 */
public final class Popularity extends AbstractRecommender {
    public static final ModelSpec SPEC = ModelSpec.builder("popularity", "item popularity, the non-personalised floor")
            .noFeatures().build((d, c, o) -> new Popularity(d));

    private final float[] counts;

    public Popularity(Dataset data) {
        super(SPEC);
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

    @Override
    public Scorer scorer() {
        return (users, out) -> {
            for (int r = 0; r < users.length; r++) {
                System.arraycopy(counts, 0, out.data, out.offset + r * out.cols, counts.length);
            }
        };
    }

    /** Popularity's scores as a tensor row, for tests. */
    public Tensor counts() {
        return Tensor.of(1, counts.length, counts);
    }
}
