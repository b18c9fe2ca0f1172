package weft.models.eval;

import weft.engine.Tensor;

/**
 * What a model gives the evaluator: scores of a batch of users against every item.
 * {@code out} is a [users.length, numItems] tensor to fill (row k = user users[k]; higher is
 * better). It is reused between batches, so the model may write into it directly (for example
 * with {@code MatMul.matmulInto(userEmb, false, itemEmb, true, out, false)}).
 */
@FunctionalInterface
public interface Scorer {
    void score(int[] users, Tensor out);
}
