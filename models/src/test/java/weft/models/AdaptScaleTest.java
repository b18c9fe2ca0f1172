package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.Map;

import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.blocks.ContentSignalTest;
import weft.models.data.Dataset;
import weft.models.data.Split;
import weft.models.data.TrainBatches;
import weft.models.options.Option;
import weft.models.options.Options;

/**
 * {@code --adapt-scale} in the models with a content scale: the content term is a times the weight
 * w that {@code ContentSignal} measures. Features that follow the interactions get w = 1, and the
 * model is the one without the option to the bit; features independent of them get w = 0, and the
 * model is the one with {@code --content-scale 0} (HMA-Rec: and without its item graph, whose term
 * is weighted by w squared), to the bit. CRANE's {@code --adapt-graph} mixes
 * its item graph with the identity by w: the graph as it was at w = 1, no hop at w = 0; its
 * {@code --adapt-view} weighs view 2's term in the items' final embeddings by w. DPRec's
 * {@code --adapt-graph} does the same to each modality's kNN graph in its expansion perspective.
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
        Options base = name.equals("hmarec") ? HmaRecTest.tinyOptions()
                : CraneTest.tinyOptions().with(Crane.ADAPT_GRAPH, false).with(Crane.ADAPT_VIEW, false).with(Crane.ADAPT_CONTRAST, false);
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
        Options without = CraneTest.tinyOptions().with(Crane.ADAPT_GRAPH, false).with(Crane.ADAPT_VIEW, false);
        mixesItsGraphWithTheIdentity(Crane.SPEC, without, without.with(Crane.ADAPT_GRAPH, true), without.with(Crane.ITEM_LAYERS, 0));
    }

    @Test
    void dpRecMixesItsKnnGraphsWithTheIdentityByTheWeight() {
        Options without = DpRecTest.tinyOptions();
        Recommender mixed = mixesItsGraphWithTheIdentity(DpRec.SPEC, without, without.with(DpRec.ADAPT_GRAPH, true),
                without.with(DpRec.EXPANSION_LAYERS, 0));
        assertEquals(0.0, mixed.trainedFacts().get("content_weight"));
        assertEquals(1f, ((DpRec) mixed).contentWeight, 0f, "the projected features keep their weight without --adapt-scale");
    }

    /**
     * For an {@code --adapt-graph} option ({@code with} has it, {@code without} not): the same bits
     * where the features follow the interactions (w = 1); where they do not (w = 0), another loss than
     * the unmixed graph's and the same bits as {@code noHops}, the model that does not hop over it.
     * Returns the model with the option on the uninformative data.
     */
    private static Recommender mixesItsGraphWithTheIdentity(ModelSpec spec, Options without, Options with, Options noHops) {
        Dataset informative = ContentSignalTest.clustered(true);
        assertEquals(bits(spec.create(informative, Fixtures.tinyConfig(), without)),
                bits(spec.create(informative, Fixtures.tinyConfig(), with)), spec.name() + ", w = 1: the graph as it was");
        Dataset noise = ContentSignalTest.clustered(false);
        Recommender mixed = spec.create(noise, Fixtures.tinyConfig(), with);
        assertNotEquals(Fixtures.lossAt(spec.create(noise, Fixtures.tinyConfig(), without), BATCH), Fixtures.lossAt(mixed, BATCH),
                spec.name() + ", w = 0: another graph");
        assertEquals(bits(spec.create(noise, Fixtures.tinyConfig(), noHops)), bits(mixed),
                spec.name() + ", w = 0: the identity, so a hop over it is no hop");
        return mixed;
    }

    @Test
    void craneWeighsItsSecondViewByTheWeight() {
        Options without = CraneTest.tinyOptions().with(Crane.ADAPT_VIEW, false), with = without.with(Crane.ADAPT_VIEW, true);
        Recommender[] m = sameAtFullWeightThenPartly(Crane.SPEC, without, with);
        Crane plain = (Crane) m[0], weighed = (Crane) m[1];
        double w = partialWeight(weighed);
        assertEquals((float) w, weighed.viewWeight, 0f);
        assertEquals(1f, plain.viewWeight, 0f);
        // the views are the same in both models; only the items' final embeddings differ: Z_i + w H_i against Z_i + H_i
        Crane.Views v = weighed.views();
        Tensor z = v.z().value, h = v.h().value, out = weighed.combine(v).value;
        Tensor same = plain.combine(plain.views()).value;
        int users = weighed.numUsers, d = z.cols;
        for (int r = 0; r < z.rows; r++) {
            for (int c = 0; c < d; c++) {
                int k = r * d + c;
                float expected = r < users ? z.data[k] : z.data[k] + (float) w * h.data[k];
                assertEquals(expected, out.data[k], 0f, "row " + r + ", column " + c);
                if (r < users) assertEquals(same.data[k], out.data[k], 0f, "users keep Z_u");
            }
        }
        assertNotEquals(Fixtures.lossAt(plain, BATCH), Fixtures.lossAt(weighed, BATCH), "w < 1: view 2 counts less");
        // what is unchanged: the views themselves, so the contrast between them
        assertArrayEquals(plain.views().h().value.data, h.data);
    }

    /**
     * CRANE's {@code --adapt-contrast}: lambda_cl times clamp(16 / d, 1, 2) (d the training interactions
     * per user) times w, and the loss is the loss at that lambda, to the bit, for features that follow the
     * interactions, that partly do and that do not.
     */
    @Test
    void craneWeighsItsContrastByTheWeightAndTheUsersInteractions() {
        assertEquals(1f, Crane.sparseFactor(23.9), 0f);
        assertEquals(1f, Crane.sparseFactor(16), 0f);
        assertEquals(16f / 12f, Crane.sparseFactor(12), 1e-7f);
        assertEquals(2f, Crane.sparseFactor(8), 0f);
        assertEquals(2f, Crane.sparseFactor(5), 0f);
        for (double bad : new double[] {0, -1, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Crane.sparseFactor(bad));
            assertTrue(e.getMessage().contains("interactions per user"), e.getMessage());
        }
        Options without = CraneTest.tinyOptions().with(Crane.ADAPT_CONTRAST, false), with = without.with(Crane.ADAPT_CONTRAST, true);
        int changed = 0;
        for (Dataset data : new Dataset[] {ContentSignalTest.clustered(true), partlyInformative(0.6f), ContentSignalTest.clustered(false)}) {
            Crane plain = (Crane) Crane.SPEC.create(data, Fixtures.tinyConfig(), without);
            Crane adapted = (Crane) Crane.SPEC.create(data, Fixtures.tinyConfig(), with);
            double perUser = data.numTrain() / (double) data.numUsers();
            double w = (Double) adapted.trainedFacts().get("content_weight");
            float expected = 0.5f * Crane.sparseFactor(perUser) * (float) w;
            assertEquals(0.5f, plain.contrastWeight, 0f, "without the option: lambda_cl");
            assertEquals(expected, adapted.contrastWeight, 0f, "w = " + w + ", " + perUser + " interactions per user");
            Crane atThatWeight = (Crane) Crane.SPEC.create(data, Fixtures.tinyConfig(), without.with(Crane.CL_WEIGHT, (double) expected));
            assertEquals(bits(atThatWeight), bits(adapted), "the loss at lambda_cl = " + expected);
            if (expected != 0.5f) {
                assertNotEquals(bits(plain), bits(adapted));
                changed++;
            }
        }
        // 4 training interactions per user (factor 2): all three move it, the informative features by the factor alone
        assertEquals(3, changed, "every dataset's weight differs from lambda_cl");
    }

    @Test
    void hmaRecWeighsItsContentByThePowerOfTheWeight() {
        Options one = HmaRecTest.tinyOptions().with(HmaRec.ADAPT_POWER, 1), two = one.with(HmaRec.ADAPT_POWER, 2);
        Recommender[] m = sameAtFullWeightThenPartly(HmaRec.SPEC, one, two);
        HmaRec first = (HmaRec) m[0], second = (HmaRec) m[1];
        double w = partialWeight(second);
        float a = (float) (double) one.get(HmaRec.CONTENT_SCALE);
        assertEquals(a * (float) w, first.contentScale, 0f, "p = 1: a w, as --adapt-scale always gave");
        assertEquals(a * (float) (w * w), second.contentScale, 0f, "p = 2: a w^2");
        assertNotEquals(Fixtures.lossAt(first, BATCH), Fixtures.lossAt(second, BATCH), "a smaller content term");
        // without --adapt-scale the power has nothing to weigh
        Options off = one.with(HmaRec.ADAPT_SCALE, false);
        Dataset partly = partlyInformative(0.6f);
        assertEquals(bits(HmaRec.SPEC.create(partly, Fixtures.tinyConfig(), off)),
                bits(HmaRec.SPEC.create(partly, Fixtures.tinyConfig(), off.with(HmaRec.ADAPT_POWER, 2))));
    }

    @Test
    void dpRecWeighsItsProjectedFeaturesByThePowerOfTheWeight() {
        Options on = DpRecTest.tinyOptions().with(DpRec.ADAPT_SCALE, true);
        Recommender[] m = withoutAndWithTheWeight(DpRec.SPEC, on, DpRec.ADAPT_SCALE, r -> ((DpRec) r).contentWeight);
        DpRec plain = (DpRec) m[0], weighed = (DpRec) m[1];
        double w = partialWeight(weighed);
        assertEquals((float) w, ((DpRec) DpRec.SPEC.create(partlyInformative(0.6f), Fixtures.tinyConfig(),
                on.with(DpRec.ADAPT_POWER, 1))).contentWeight, 0f, "power 1: w");
        // t^m = e + c F^m, c = w^2, is the plain model with its projections' weights and biases times c (the
        // hypergraph reads the features, not F^m, so nothing else moves)
        float c = weighed.contentWeight;
        for (weft.autograd.nn.Linear p : plain.proj) {
            scaleInPlace(p.weight.value, c);
            scaleInPlace(p.bias.value, c);
        }
        assertClose(plain.forward().all().value, weighed.forward().all().value);
    }

    @Test
    void tmfunWeighsItsFusedContentByThePowerOfTheWeight() {
        Recommender[] m = withoutAndWithTheWeight(Tmfun.SPEC, TmfunTest.tinyOptions().with(Tmfun.ADAPT_SCALE, true),
                Tmfun.ADAPT_SCALE, r -> ((Tmfun) r).contentWeight);
        Tmfun plain = (Tmfun) m[0], weighed = (Tmfun) m[1];
        Tmfun.Forward a = plain.forward(), b = weighed.forward();
        // the fused content f and the modality views that the contrast reads are unweighted; h = S_c (c f)
        assertArrayEquals(a.fused().value.data, b.fused().value.data);
        for (int v = 0; v < a.views().size(); v++) {
            assertArrayEquals(a.views().get(v).value.data, b.views().get(v).value.data, "view " + v);
        }
        Tensor expected = a.h().value.copy();
        scaleInPlace(expected, weighed.contentWeight);
        assertClose(expected, b.h().value);
    }

    /**
     * For DPRec's and TMFUN's {@code --adapt-scale} ({@code on} has it, at the default power 2): the
     * model without and with it, the same bits at w = 1, then built on {@link #partlyInformative}
     * features, where the one with it weighs its content by w^2 (read by {@code weight}), the one
     * without by 1, and the loss differs.
     */
    private static Recommender[] withoutAndWithTheWeight(ModelSpec spec, Options on, Option<Boolean> adapt,
            java.util.function.ToDoubleFunction<Recommender> weight) {
        Recommender[] m = sameAtFullWeightThenPartly(spec, on.with(adapt, false), on);
        double w = partialWeight(m[1]);
        assertEquals(1f, weight.applyAsDouble(m[0]), 0f, spec.name() + " without the option");
        assertEquals((float) (w * w), weight.applyAsDouble(m[1]), 0f, spec.name() + ", the default power, 2: w^2");
        assertNotEquals(Fixtures.lossAt(m[0], BATCH), Fixtures.lossAt(m[1], BATCH), spec.name() + ", w < 1: less content");
        return m;
    }

    private static void scaleInPlace(Tensor t, float c) {
        for (int i = 0; i < t.size(); i++) t.data[t.offset + i] *= c;
    }

    /** Element by element within float rounding of a few operations: 1e-5 of the largest magnitude. */
    private static void assertClose(Tensor expected, Tensor actual) {
        assertEquals(expected.rows, actual.rows);
        assertEquals(expected.cols, actual.cols);
        float max = 0;
        for (int i = 0; i < expected.size(); i++) max = Math.max(max, Math.abs(expected.data[expected.offset + i]));
        assertTrue(max > 0, "a non-zero tensor");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.data[expected.offset + i], actual.data[actual.offset + i], 1e-5f * max, "element " + i);
        }
    }

    /**
     * Asserts that {@code a} and {@code b} are the same model to the bit where the features follow the
     * interactions (w = 1), and returns both built on {@link #partlyInformative} features instead.
     */
    private static Recommender[] sameAtFullWeightThenPartly(ModelSpec spec, Options a, Options b) {
        Dataset informative = ContentSignalTest.clustered(true);
        assertEquals(bits(spec.create(informative, Fixtures.tinyConfig(), a)), bits(spec.create(informative, Fixtures.tinyConfig(), b)),
                spec.name() + ", w = 1: the same model either way");
        Dataset partly = partlyInformative(0.6f);
        return new Recommender[] {spec.create(partly, Fixtures.tinyConfig(), a), spec.create(partly, Fixtures.tinyConfig(), b)};
    }

    /** The content weight the model measured, checked to lie strictly between 0 and 1 (what the tests using it need). */
    private static double partialWeight(Recommender r) {
        double w = (Double) r.trainedFacts().get("content_weight");
        assertTrue(w > 0.1 && w < 0.9, "a weight strictly between 0 and 1 for this test, got " + w);
        return w;
    }

    /** {@link ContentSignalTest#clustered}'s interactions, with an image modality of cluster one-hots times {@code signal} over unit noise. */
    private static Dataset partlyInformative(float signal) {
        Dataset base = ContentSignalTest.clustered(true);
        Tensor old = base.modalities().get("image");
        Tensor image = new Rng(5).normal(new Tensor(old.rows, old.cols), 0f, 1f);
        for (int i = 0; i < image.rows; i++) image.data[i * image.cols + i * 10 / image.rows] += signal;
        Map<String, Tensor> mods = new LinkedHashMap<>();
        mods.put("image", image);
        mods.put("text", base.modalities().get("text"));
        return new Dataset("partly", new Split(base.train(), base.valid(), base.test()), mods);
    }
}
