package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import weft.models.options.Options;
import weft.models.options.Option;

/**
 * {@code --feature-dropout p} in each model that reads features through a projection: it changes
 * a training step (the loss with a gradient differs from p = 0 at the same parameters, and is the
 * same for the same seed), while evaluation (the scorer) and a loss without a gradient read the
 * whole features.
 */
class FeatureDropoutTest {
    /** The model's tiny-data options (each test class's), with {@code --feature-dropout p}. */
    private static Recommender model(String name, double p) {
        Options tiny = switch (name) {
            case "hmarec" -> HmaRecTest.tinyOptions();
            case "crane" -> CraneTest.tinyOptions();
            case "dprec" -> DpRecTest.tinyOptions();
            case "tmfun" -> TmfunTest.tinyOptions();
            default -> throw new IllegalArgumentException(name);
        };
        ModelSpec spec = Models.spec(name);
        return spec.create(Fixtures.tiny(2), Fixtures.tinyConfig(), tiny.with(dropoutOption(spec), p));
    }

    /** The model's own {@code --feature-dropout} declaration (a model may declare it with another default). */
    @SuppressWarnings("unchecked")
    static Option<Double> dropoutOption(ModelSpec spec) {
        return (Option<Double>) spec.option("feature-dropout");
    }

    private static float trainingLoss(Recommender r) {
        return r.loss(Fixtures.TINY_BATCH).value.item();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hmarec", "crane", "dprec", "tmfun"})
    void dropsInTrainingStepsOnly(String name) {
        assertNotEquals(trainingLoss(model(name, 0)), trainingLoss(model(name, 0.5)), name + ": dropped features, another training loss");
        assertEquals(trainingLoss(model(name, 0.5)), trainingLoss(model(name, 0.5)), 0f, name + ": same seed, same masks");
        assertEquals(Fixtures.lossAt(model(name, 0), Fixtures.TINY_BATCH), Fixtures.lossAt(model(name, 0.5), Fixtures.TINY_BATCH), 0f,
                name + ": without a gradient the whole features");
        assertArrayEquals(model(name, 0).scorer().items().toArray(), model(name, 0.5).scorer().items().toArray(),
                name + ": evaluation reads the whole features");
        float trained = Fixtures.lossAfterSteps(model(name, 0.5), 3);
        assertNotEquals(Fixtures.lossAfterSteps(model(name, 0), 3), trained, name + ": training takes another path");
        assertEquals(trained, Fixtures.lossAfterSteps(model(name, 0.5), 3), 0f, name + ": reproducible");
    }
}
