package weft.models.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import weft.models.ModelSpec;
import weft.models.Models;
import weft.models.data.FeatureNorm;

/** Option declarations: parsing, checks, defaults, report values, and the registry built on them. */
class OptionTest {
    static final Option<Integer> STEPS = Option.integer("steps", 2, "steps").min(0).max(3).search(1, 2);
    static final Option<Double> TEMP = Option.real("temp", 0.2, "temperature").above(0);
    static final Option<Boolean> PART = Option.toggle("part", "a component");
    static final Option<Set<String>> LEVELS = Option.subset("levels", List.of("a", "b", "c"), Set.of("a"), "levels");
    static final List<Option<?>> ALL = List.of(STEPS, TEMP, PART, LEVELS);

    private static String refusal(Runnable r) {
        return assertThrows(OptionException.class, r::run).getMessage();
    }

    @Test
    void parsedValuesAreTypedAndChecked() {
        Options o = Options.parse(ALL, Map.of("steps", "3", "temp", "0.5", "no-part", "", "levels", "c, b"));
        assertEquals(3, o.get(STEPS));
        assertEquals(0.5f, o.getFloat(TEMP));
        assertFalse(o.get(PART));
        assertEquals(List.of("c", "b"), List.copyOf(o.get(LEVELS)));
        assertEquals("--steps 3 --temp 0.5 --no-part --levels c,b", o.toString());
        Options d = Options.parse(ALL, Map.of());
        assertEquals(2, d.get(STEPS));
        assertTrue(d.get(PART));
        assertFalse(d.isSet(STEPS));
    }

    @Test
    void refusalsNameTheFlagAndTheValue() {
        assertEquals("--steps must be <= 3, got 4", refusal(() -> STEPS.parse("4")));
        assertEquals("--steps must be an integer, got 'two'", refusal(() -> STEPS.parse("two")));
        assertEquals("--temp must be > 0, got 0", refusal(() -> TEMP.parse("0")));
        assertEquals("--temp must be a finite number, got NaN", refusal(() -> TEMP.parse("NaN")));
        assertTrue(refusal(() -> LEVELS.parse("a,z")).startsWith("--levels takes a comma-separated subset of a,b,c"));
        assertEquals("--steps must be >= 0, got -1", refusal(() -> Options.defaults().with(STEPS, -1)), "Java callers are checked too");
        assertThrows(OptionException.class, () -> Option.integer("bad", -1, "").min(0), "a default that fails its own check");
        assertThrows(OptionException.class, () -> STEPS.search(7), "a search value that fails the checks");
    }

    @Test
    void aliasesRenamesAndNumbers() {
        Option<FeatureNorm> norm = SharedOptions.INPUT_NORM;
        assertEquals(FeatureNorm.STANDARDIZE, norm.parse("zscore"));
        assertEquals(FeatureNorm.L2, norm.parse("L2"));
        assertTrue(refusal(() -> norm.parse("minmax")).contains("--input-norm must be one of none, standardize, l2"));
        Option<Double> second = SharedOptions.CL_TEMP.as("align-temp", "another temperature");
        assertEquals("--align-temp must be > 0, got 0", refusal(() -> second.parse("0")));
        assertEquals("1e-4", Option.number(1e-4));
        assertEquals("0.2", Option.number(0.2));
        assertEquals("16", Option.number(16));
    }

    @Test
    void reportMapUsesDeclarationOrderAndReportKeys() {
        Map<String, Object> m = Options.defaults().with(LEVELS, Set.of("b")).asMap(ALL);
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("steps", 2);
        expected.put("temp", 0.2);
        expected.put("part", true);
        expected.put("levels", "b");
        assertEquals(expected, m);
    }

    @Test
    void everyModelsDeclarationsAreConsistent() {
        for (ModelSpec spec : Models.all()) {
            for (Option<?> o : spec.options()) {
                assertFalse(o.help().isBlank(), spec + " " + o.flag() + " has no help");
                assertTrue(o.searchSpace().isEmpty() || o.searchSpace().contains(o.defaultValue()),
                        spec + " " + o.flag() + ": the search space " + o.searchSpace() + " should contain the default");
            }
            for (ModelSpec.Variant v : spec.ablations()) {
                assertTrue(v.options().outside(spec.options()).isEmpty(), spec + " ablation " + v.label() + " sets a foreign option");
            }
        }
        OptionException e = assertThrows(OptionException.class, () -> Models.spec("lightgcn").create(null, null,
                Options.defaults().with(SharedOptions.HEADS, 2)));
        assertEquals("--heads does not apply to lightgcn", e.getMessage());
    }

    @Test
    void weightsMustBeFiniteAndNonNegativeNamingTheFlag() {
        Option<Map<String, Double>> w = Option.weights("modality-weights", "weights");
        assertEquals(Map.of("image", 0.1, "text", 0.9), Options.parse(List.of(w), Map.of("modality-weights", "image=0.1,text=0.9")).get(w));
        for (String bad : new String[] {"image=-1,text=1", "image=NaN,text=1", "image=Infinity"}) {
            OptionException e = assertThrows(OptionException.class, () -> Options.parse(List.of(w), Map.of("modality-weights", bad)));
            assertTrue(e.getMessage().startsWith("--modality-weights must be finite weights >= 0, got "), e.getMessage());
        }
        OptionException e = assertThrows(OptionException.class, () -> Options.parse(List.of(w), Map.of("modality-weights", "image=x")));
        assertEquals("--modality-weights: 'x' is not a number", e.getMessage());
    }
}
