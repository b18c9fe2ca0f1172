package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import weft.models.blocks.ContentSignalTest;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.options.Option;
import weft.models.options.Options;

/**
 * {@code --adapt-scale} in the models with a content scale: the content term is a times the weight
 * w that {@code ContentSignal} measures. Features that follow the interactions get w = 1, and the
 * model is the one without the option to the bit; features independent of them get w = 0, and the
 * model is the one with {@code --content-scale 0} (HMA-Rec: and without its item graph, whose term
 * is weighted by w squared), to the bit. CRANE's {@code --adapt-graph} mixes
 * its item graph with the identity by w: the graph as it was at w = 1, no hop at w = 0.
 */
class AdaptScaleTest {
    /** Users 0-3 of {@link ContentSignalTest#clustered}: a positive of each user's cluster, a negative of another. */
    private static final TrainBatches.Batch BATCH = new TrainBatches.Batch(new int[] {0, 1, 2, 3}, new int[] {3, 25, 47, 69},
            new int[] {150, 170, 190, 110});

    /** The bits of the model's loss on {@link #BATCH}, without a gradient. */
    private static int bits(Recommender r) {
        return Float.floatToRawIntBits(Fixtures.lossAt(r, BATCH));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hmarec", "crane"})
    void theMeasuredWeightScalesTheContent(String name) {
        ModelSpec spec = Models.spec(name);
        Options base = name.equals("hmarec") ? HmaRecTest.tinyOptions() : CraneTest.tinyOptions().with(Crane.ADAPT_GRAPH, false);
        @SuppressWarnings("unchecked")
        Option<Boolean> adapt = (Option<Boolean>) spec.option("adapt-scale");
        @SuppressWarnings("unchecked")
        Option<Double> scale = (Option<Double>) spec.option("content-scale");

        Dataset informative = ContentSignalTest.clustered(true);
        Recommender on = spec.create(informative, Fixtures.tinyConfig(), base);
        Recommender off = spec.create(informative, Fixtures.tinyConfig(), base.with(adapt, false));
        assertEquals(1.0, on.trainedFacts().get("content_weight"), name);
        assertFalse(off.trainedFacts().containsKey("content_weight"), name + ": nothing measured without the option");
        assertEquals(bits(off), bits(on), name + ": w = 1, the model as without --adapt-scale");

        Dataset noise = ContentSignalTest.clustered(false);
        on = spec.create(noise, Fixtures.tinyConfig(), base);
        off = spec.create(noise, Fixtures.tinyConfig(), base.with(adapt, false));
        // HMA-Rec's item graph term is weighted by w^2, so at w = 0 it goes too
        Options noContent = base.with(adapt, false).with(scale, 0.0);
        Recommender none = spec.create(noise, Fixtures.tinyConfig(),
                name.equals("hmarec") ? noContent.with(HmaRec.ITEM_GRAPH_LAYERS, 0) : noContent);
        assertEquals(0.0, on.trainedFacts().get("content_weight"), name);
        assertNotEquals(Fixtures.lossAt(off, BATCH), Fixtures.lossAt(on, BATCH), name + ": the content term changed");
        assertEquals(bits(none), bits(on), name + ": w = 0, the model with --content-scale 0 (HMA-Rec: and no item graph)");
    }

    @Test
    void craneMixesItsItemGraphWithTheIdentityByTheWeight() {
        Options without = CraneTest.tinyOptions().with(Crane.ADAPT_GRAPH, false), base = without.with(Crane.ADAPT_GRAPH, true);
        Dataset informative = ContentSignalTest.clustered(true);
        assertEquals(bits(Crane.SPEC.create(informative, Fixtures.tinyConfig(), without)),
                bits(Crane.SPEC.create(informative, Fixtures.tinyConfig(), base)), "w = 1: the graph as it was");
        Dataset noise = ContentSignalTest.clustered(false);
        Recommender mixed = Crane.SPEC.create(noise, Fixtures.tinyConfig(), base);
        Recommender plain = Crane.SPEC.create(noise, Fixtures.tinyConfig(), without);
        Recommender noHops = Crane.SPEC.create(noise, Fixtures.tinyConfig(), without.with(Crane.ITEM_LAYERS, 0));
        assertNotEquals(Fixtures.lossAt(plain, BATCH), Fixtures.lossAt(mixed, BATCH), "w = 0: another graph");
        assertEquals(bits(noHops), bits(mixed), "w = 0: the identity, so a hop over it is no hop");
    }
}
