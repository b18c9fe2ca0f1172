package weft.models.blocks;

import weft.autograd.Var;
import weft.engine.Rng;
import weft.engine.Tensor;

/** The ID embedding tables every graph model starts from. */
public final class Embeddings {
    private Embeddings() {}

    /**
     * The users' and items' ID embeddings as one {@code [U + I, d]} parameter named "embedding",
     * users first, so that propagation over the bipartite graph needs no concatenation. Each block
     * is Xavier-uniform initialised with its own shape, as two separate tables would be (MMRec's
     * {@code nn.init.xavier_uniform_} on each); the users' block is drawn first.
     */
    public static Var idTable(Rng rng, int numUsers, int numItems, int dim) {
        Tensor table = new Tensor(numUsers + numItems, dim);
        rng.xavierUniform(table.rowBlock(0, numUsers));
        rng.xavierUniform(table.rowBlock(numUsers, numItems));
        return Var.param("embedding", table);
    }
}
