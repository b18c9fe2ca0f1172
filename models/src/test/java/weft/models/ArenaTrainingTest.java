package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import weft.engine.Arena;
import weft.models.options.Options;
import weft.models.train.TrainResult;

/**
 * Training recycles each step's arrays in the next (engine Arena, opened by the Trainer around
 * every step). Every model must train to the same bits with and without it: the same loss in
 * every epoch, the same validation and test metrics. The suite runs with
 * {@code -Dweft.arena.poison=true}, so a model that kept a step's tensor past the step, or an op
 * that read a recycled output before writing it, would read NaN here and fail (the Trainer stops
 * on a non-finite loss).
 */
class ArenaTrainingTest {
    @Test
    void everyModelTrainsToTheSameBitsWithAndWithoutRecycling() {
        ModelConfig cfg = new ModelConfig();
        cfg.dim = 32;   // small, so that eight models train in seconds (the test asserts that arrays were still recycled)
        List<String> checked = new ArrayList<>();
        for (ModelSpec spec : Models.all()) {
            TrainResult off = train(spec, cfg, false);
            long reused = Arena.reusedInAll();
            TrainResult on = train(spec, cfg, true);
            if (!spec.name().equals("popularity")) {
                assertTrue(Arena.reusedInAll() > reused, spec.name() + ": training recycled no array");
            }
            assertEquals(off.epochs.size(), on.epochs.size(), spec.name());
            for (int e = 0; e < off.epochs.size(); e++) {
                assertEquals(off.epochs.get(e).loss(), on.epochs.get(e).loss(), 0.0, spec.name() + " loss, epoch " + e);
                assertEquals(off.epochs.get(e).valid().asMap(), on.epochs.get(e).valid().asMap(), spec.name() + " valid, epoch " + e);
            }
            assertEquals(off.test.asMap(), on.test.asMap(), spec.name() + " test");
            checked.add(spec.name());
        }
        assertTrue(checked.containsAll(List.of("lightgcn", "freedom", "hmarec", "crane", "dprec", "tmfun")), checked.toString());
    }

    private static TrainResult train(ModelSpec spec, ModelConfig cfg, boolean recycle) {
        boolean before = Arena.enabled();
        Arena.setEnabled(recycle);
        try {
            return Fixtures.fit(spec.create(Fixtures.data(), cfg, Options.defaults()), Fixtures.data(), 4);
        } finally {
            Arena.setEnabled(before);
        }
    }
}
