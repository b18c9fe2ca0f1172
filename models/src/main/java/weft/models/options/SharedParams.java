package weft.models.options;

import java.util.List;

/**
 * The protocol's shared hyperparameters ({@code --dim}, {@code --reg}, {@code --layers},
 * {@code --lr}, {@code --batch}; kept in {@code ModelConfig} and {@code TrainConfig}) declared as
 * options, so that a model can give them a search space ({@code ModelSpec.Builder#search}) and
 * {@code weft tune} and {@code --config} files can name them like the models' own options. The
 * defaults here are the protocol's; a model's own default (BPR-MF's reg) still applies where the
 * value is not set.
 */
public final class SharedParams {
    private SharedParams() {}

    public static final Option<Integer> DIM = Option.integer("dim", 64, "embedding size d").min(1);
    public static final Option<Double> REG = Option.real("reg", 1e-4, "L2 weight on the batch's ID embeddings").min(0);
    public static final Option<Integer> LAYERS = Option.integer("layers", 3, "propagation layers over the user-item graph").min(0);
    public static final Option<Double> LR = Option.real("lr", 1e-3, "Adam learning rate").min(0);
    public static final Option<Integer> BATCH = Option.integer("batch", 2048, "BPR mini-batch size").min(1);

    /** All of them, in the order reports list them. */
    public static final List<Option<?>> ALL = List.of(DIM, REG, LAYERS, LR, BATCH);

    /** The shared parameter called {@code name} (as its flag, without dashes), or null. */
    public static Option<?> find(String name) {
        return ALL.stream().filter(o -> o.name().equals(name)).findFirst().orElse(null);
    }
}
