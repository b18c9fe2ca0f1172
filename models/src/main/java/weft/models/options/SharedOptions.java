package weft.models.options;

import weft.models.data.FeatureNorm;

/**
 * Options that several models declare with the same meaning, default and check: declared once
 * here, and listed by each model that takes them (a model may refine one, e.g. with its own
 * search space: {@code SharedOptions.CL_WEIGHT.search(0.001, 0.01)}).
 */
public final class SharedOptions {
    private SharedOptions() {}

    public static final Option<Integer> KNN_K = Option.integer("knn-k", 10, "neighbours per item in the item kNN graphs")
            .min(1).search(5, 10, 20);
    public static final Option<Integer> HEADS = Option.integer("heads", 4, "attention heads, a divisor of --dim")
            .min(1).search(2, 4, 8);
    public static final Option<Double> CL_WEIGHT = Option.real("cl-weight", 0.01, "weight of the contrastive (InfoNCE) term")
            .min(0).search(0.001, 0.01, 0.1);
    public static final Option<Double> CL_TEMP = Option.real("cl-temp", 0.2, "InfoNCE temperature")
            .above(0).search(0.1, 0.2, 0.5);
    public static final Option<Double> CONTENT_SCALE = Option.real("content-scale", 1.0,
            "norm a of the content vector added to the ID embeddings").min(0).search(0.3, 1.0, 3.0);
    public static final Option<Boolean> LEARN_SCALE = Option.bool("learn-scale", false,
            "multiply the content vector by a learned scalar g (starting at 1), so training can shrink or grow the content"
                    + " term beside the ID embeddings");
    public static final Option<Boolean> ADAPT_SCALE = Option.bool("adapt-scale", true,
            "multiply the content scale a by the weight w in [0, 1] that the training interactions give the features: 1"
                    + " where an item's feature neighbours share users at least twice as often as random items, 0 where no"
                    + " more often (ContentSignal)");
    public static final Option<Integer> ADAPT_POWER = Option.integer("adapt-power", 2,
            "with --adapt-scale, the content term weighted by w to this power (w the content weight)").min(1).max(4);
    public static final Option<Boolean> LEAVE_ONE_OUT = Option.bool("leave-one-out", true,
            "in training, score each positive against the user's content profile without that item");
    public static final Option<Double> CONTENT_STEP = Option.real("content-step", 1.0,
            "size of the feature projections' Adam steps relative to the ID embeddings' (W kept divided by it, its output"
                    + " multiplied by it: same initial embeddings)").above(0);
    public static final Option<Double> ID_BPR = Option.real("id-bpr", 0.0,
            "weight of a second BPR term on LightGCN's ID embeddings alone (no content), so the IDs learn"
                    + " whatever content already fits").min(0);
    public static final Option<Double> FEATURE_DROPOUT = Option.real("feature-dropout", 0.0,
            "in training, zero each (normalised) feature value with probability p and scale the rest by 1 / (1 - p);"
                    + " evaluation reads the features whole").min(0).below(1);
    public static final Option<FeatureNorm> INPUT_NORM = Option.choice("input-norm", FeatureNorm.class, FeatureNorm.STANDARDIZE,
            "rescaling of each modality's features before the model reads them").aliases(FeatureNorm.ALIASES);
}
