package weft.models;

import java.util.List;

import weft.autograd.Var;
import weft.engine.Tensor;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.eval.Scorer;

/**
 * The non-personalised baseline every model must beat: score(u, i) = number of training
 * interactions of item i. Nothing to train.
 */
public final class Popularity implements Recommender {
    private final float[] counts;

    public Popularity(Dataset data) {
        counts = new float[data.numItems()];
        for (int i : data.trainItems()) {
            counts[i]++;
        }
    }

    @Override
    public String name() {
        return "popularity";
    }

    @Override
    public boolean usesFeatures() {
        return false;
    }

    @Override
    public List<Var> parameters() {
        return List.of();
    }

    @Override
    public Var loss(TrainBatches.Batch batch) {
        throw new UnsupportedOperationException("popularity has nothing to train");
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
