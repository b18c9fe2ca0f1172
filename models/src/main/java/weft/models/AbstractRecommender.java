package weft.models;

/** A recommender that takes its name from its {@link ModelSpec}, so the name is written once. */
public abstract class AbstractRecommender implements Recommender {
    private final String name;

    protected AbstractRecommender(ModelSpec spec) {
        this.name = spec.name();
    }

    @Override
    public final String name() {
        return name;
    }
}
