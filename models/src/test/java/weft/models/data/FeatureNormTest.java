package weft.models.data;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

import weft.engine.Rng;
import weft.engine.Tensor;

class FeatureNormTest {
    private static Tensor scaled(long seed, int rows, int cols, float scale) {
        Tensor t = new Rng(seed).uniform(new Tensor(rows, cols), -1f, 1f);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] *= scale;
        }
        return t;
    }

    @Test
    void warnsWhenOneModalityDwarfsAnother() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("text", scaled(1, 50, 16, 1f));
        m.put("audio", scaled(2, 50, 8, 500f));
        String w = FeatureNorm.scaleWarning(m);
        assertNotNull(w);
        assertTrue(w.contains("'audio'") && w.contains("'text'") && w.contains("--feature-norm"), w);
    }

    @Test
    void silentForComparableScalesOneModalityOrNormalisedFeatures() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("text", scaled(1, 50, 16, 1f));
        m.put("audio", scaled(2, 50, 8, 20f));
        assertNull(FeatureNorm.scaleWarning(m), "a factor ~15 is ordinary");
        assertNull(FeatureNorm.scaleWarning(Map.of("image", scaled(3, 50, 16, 1e4f))), "one modality has nothing to dwarf");
        Map<String, Tensor> n = new LinkedHashMap<>();
        n.put("text", FeatureNorm.L2.apply(scaled(1, 50, 16, 1f)));
        n.put("audio", FeatureNorm.L2.apply(scaled(2, 50, 8, 500f)));
        assertNull(FeatureNorm.scaleWarning(n), "after L2 normalisation every row has norm 1");
    }
}
