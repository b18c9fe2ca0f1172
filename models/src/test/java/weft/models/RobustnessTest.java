package weft.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import weft.engine.Tensor;
import weft.models.cli.Main;
import weft.models.data.Dataset;
import weft.models.data.Perturbations;

class RobustnessTest {
    static final Dataset DATA = Fixtures.data();

    @Test
    void featureNoiseIsScaledToEachColumnsSpread() {
        Dataset noisy = Perturbations.featureNoise(DATA, 0.5, 1);
        Tensor x = DATA.modality("image"), y = noisy.modality("image");
        for (int c = 0; c < x.cols; c += 7) {
            double sx = 0, sd = 0, mx = 0, md = 0;
            for (int r = 0; r < x.rows; r++) {
                mx += x.get(r, c);
                md += y.get(r, c) - x.get(r, c);
            }
            mx /= x.rows;
            md /= x.rows;
            for (int r = 0; r < x.rows; r++) {
                sx += Math.pow(x.get(r, c) - mx, 2);
                sd += Math.pow(y.get(r, c) - x.get(r, c) - md, 2);
            }
            double ratio = Math.sqrt(sd / sx);
            assertEquals(0.5, ratio, 0.1, "noise std / feature std in column " + c);
        }
        assertArrayEquals(Perturbations.featureNoise(DATA, 0.5, 1).modality("text").toArray(),
                noisy.modality("text").toArray(), "seeded");
        assertEquals(DATA.trainUsers().length, noisy.trainUsers().length, "interactions untouched");
    }

    @Test
    void droppingInteractionsLeavesEvaluationSetsAlone() {
        Dataset sparse = Perturbations.dropInteractions(DATA, 0.4, 3);
        double kept = sparse.numTrain() / (double) DATA.numTrain();
        assertEquals(0.6, kept, 0.03);
        assertEquals(DATA.valid().size(), sparse.valid().size());
        assertEquals(DATA.test().size(), sparse.test().size());
        for (int j = 0; j < sparse.numTrain(); j++) {
            assertTrue(DATA.train().contains(sparse.trainUsers()[j], sparse.trainItems()[j]), "a kept pair was a training pair");
        }
        assertNotEquals(Perturbations.dropInteractions(DATA, 0.4, 4).numTrain(), -1);
        assertThrows(IllegalArgumentException.class, () -> Perturbations.dropInteractions(DATA, 1.0, 3));
    }

    @Test
    void ablateAndRobustnessCommandsPrintRelativeTables() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8), e = new PrintStream(err, true, StandardCharsets.UTF_8);
        String data = Fixtures.testDataDir().toString();
        assertEquals(0, Main.run(new String[] {"ablate", "--model", "freedom", "--data", data, "--epochs", "1", "--quiet"}, o, e),
                err.toString(StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("ablation of freedom") && text.contains("--rho 0") && text.contains("1.000"), text);
        out.reset();
        assertEquals(0, Main.run(new String[] {"robustness", "--model", "lightgcn", "--data", data, "--epochs", "1", "--quiet",
                "--feature-noise", "0.5", "--drop-interactions", "0.4"}, o, e), err.toString(StandardCharsets.UTF_8));
        text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("feature noise 0.5") && text.contains("drop interactions 0.4"), text);
        assertEquals(2, Main.run(new String[] {"ablate", "--model", "lightgcn", "--data", data}, o, e), "lightgcn has no switches");
        assertEquals(2, Main.run(new String[] {"robustness", "--model", "lightgcn", "--drop-interactions", "1.2"}, o, e));
    }
}
