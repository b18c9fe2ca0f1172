package weft.models.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import weft.engine.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class SyntheticGeneratorTest {
    @TempDir
    Path dir;

    private static SyntheticGenerator.Config small(long seed) {
        SyntheticGenerator.Config c = new SyntheticGenerator.Config();
        c.users = 120;
        c.items = 80;
        c.seed = seed;
        c.clusters = 4;
        c.minInter = 5;
        c.maxInter = 12;
        return c;
    }

    @Test
    void sameSeedGivesIdenticalFilesAndAnotherSeedDoesNot() throws Exception {
        SyntheticGenerator.write(small(1), dir.resolve("a"));
        SyntheticGenerator.write(small(1), dir.resolve("b"));
        SyntheticGenerator.write(small(2), dir.resolve("c"));
        for (String f : new String[] {"synthetic.inter", "image_feat.npy", "text_feat.npy"}) {
            byte[] a = Files.readAllBytes(dir.resolve("a").resolve(f));
            assertArrayEquals(a, Files.readAllBytes(dir.resolve("b").resolve(f)), f);
            assertFalse(java.util.Arrays.equals(a, Files.readAllBytes(dir.resolve("c").resolve(f))), f);
        }
    }

    @Test
    void defaultConfigReproducesTheCommittedTestData() throws Exception {
        SyntheticGenerator.write(new SyntheticGenerator.Config(), dir);
        for (String f : new String[] {"synthetic.inter", "image_feat.npy", "text_feat.npy"}) {
            assertArrayEquals(Files.readAllBytes(TestPaths.testData().resolve(f)), Files.readAllBytes(dir.resolve(f)),
                    f + " differs from test-data/: regenerate it with the command in test-data/README.md");
        }
    }

    @Test
    void writesAnMmrecDatasetWithTheDocumentedSplit() {
        SyntheticGenerator.Config c = small(3);
        SyntheticGenerator.Interactions g = SyntheticGenerator.write(c, dir);
        Dataset d = Dataset.load(dir);
        assertEquals(c.users, d.numUsers());
        assertEquals(g.users.length, d.train().size() + d.valid().size() + d.test().size(), "distinct interactions");
        for (int u = 0; u < c.users; u++) {
            int n = d.train().count(u) + d.valid().count(u) + d.test().count(u);
            assertTrue(n >= c.minInter && n <= c.maxInter, "user " + u + " has " + n);
            assertArrayEquals(Split.partSizes(n), new int[] {d.train().count(u), d.valid().count(u), d.test().count(u)});
        }
        assertEquals(c.imageDim, d.modality("image").cols);
        assertEquals(c.textDim, d.modality("text").cols);
    }

    @Test
    void usersMostlyInteractWithTheirPreferredCluster() {
        SyntheticGenerator.Config c = small(4);
        SyntheticGenerator.Interactions g = SyntheticGenerator.interactions(c);
        int inPrimary = 0;
        for (int k = 0; k < g.users.length; k++) {
            if (g.itemCluster[g.items[k]] == g.userCluster[g.users[k]]) inPrimary++;
        }
        double share = (double) inPrimary / g.users.length;
        // Expected about (1 - noise) * (1 - 0.3 * secondaryShare) + noise / C = 0.85 * 0.91 + 0.04 = 0.81;
        // with no structure it would be 1 / C = 0.25.
        assertTrue(share > 0.7 && share < 0.9, "share in the preferred cluster " + share);
    }

    @Test
    void popularityIsSkewed() {
        SyntheticGenerator.Config c = small(5);
        c.users = 400;
        SyntheticGenerator.Interactions g = SyntheticGenerator.interactions(c);
        int[] count = new int[c.items];
        for (int i : g.items) count[i]++;
        int[] sorted = count.clone();
        java.util.Arrays.sort(sorted);
        int top = 0, bottom = 0;
        for (int k = 0; k < 8; k++) {
            top += sorted[sorted.length - 1 - k];
            bottom += sorted[k];
        }
        assertTrue(top > 3 * bottom, "top-10% items " + top + " vs bottom-10% " + bottom);
    }

    /** Share of items whose nearest cluster mean (leave-one-out) is their own cluster. */
    private static double nearestCentroidAccuracy(Tensor x, int[] cluster, int nC) {
        double[][] sum = new double[nC][x.cols];
        int[] n = new int[nC];
        for (int i = 0; i < x.rows; i++) {
            n[cluster[i]]++;
            for (int d = 0; d < x.cols; d++) sum[cluster[i]][d] += x.get(i, d);
        }
        int correct = 0;
        for (int i = 0; i < x.rows; i++) {
            int best = -1;
            double bestDist = Double.POSITIVE_INFINITY;
            for (int k = 0; k < nC; k++) {
                boolean own = k == cluster[i];
                int cnt = own ? n[k] - 1 : n[k];
                double dist = 0;
                for (int d = 0; d < x.cols; d++) {
                    double mean = (sum[k][d] - (own ? x.get(i, d) : 0)) / cnt;
                    double diff = x.get(i, d) - mean;
                    dist += diff * diff;
                }
                if (dist < bestDist) {
                    bestDist = dist;
                    best = k;
                }
            }
            if (best == cluster[i]) correct++;
        }
        return (double) correct / x.rows;
    }

    @Test
    void imageFeaturesAreClusterSeparableAndTextOnlyWeakly() {
        SyntheticGenerator.Config c = new SyntheticGenerator.Config(); // the committed data's settings
        c.users = 50; // features do not depend on users
        c.maxInter = 20;
        SyntheticGenerator.Interactions g = SyntheticGenerator.write(c, dir);
        Tensor image = Npy.read(dir.resolve("image_feat.npy"));
        Tensor text = Npy.read(dir.resolve("text_feat.npy"));
        double img = nearestCentroidAccuracy(image, g.itemCluster, c.clusters);
        double txt = nearestCentroidAccuracy(text, g.itemCluster, c.clusters);
        double chance = 1.0 / c.clusters;
        assertTrue(img > 0.95, "image accuracy " + img);
        assertTrue(txt > chance + 0.1, "text carries some signal: " + txt + " vs chance " + chance);
        assertTrue(txt < 0.8, "text is weak: " + txt);
    }

    /** Mean cosine similarity over all pairs of distinct rows. */
    private static double meanPairwiseCosine(Tensor x) {
        double[][] n = new double[x.rows][x.cols];
        for (int i = 0; i < x.rows; i++) {
            double sq = 0;
            for (int d = 0; d < x.cols; d++) sq += (double) x.get(i, d) * x.get(i, d);
            for (int d = 0; d < x.cols; d++) n[i][d] = x.get(i, d) / Math.sqrt(sq);
        }
        double sum = 0;
        long pairs = 0;
        for (int i = 0; i < x.rows; i++) {
            for (int j = i + 1; j < x.rows; j++) {
                double dot = 0;
                for (int d = 0; d < x.cols; d++) dot += n[i][d] * n[j][d];
                sum += dot;
                pairs++;
            }
        }
        return sum / pairs;
    }

    @Test
    void offsetGivesRowsASharedDirectionAndDecayConcentratesTheVariance() {
        SyntheticGenerator.Config c = small(5);
        c.imageDim = 64;
        SyntheticGenerator.write(c, dir.resolve("plain"));
        c.featureOffset = 2.0;
        SyntheticGenerator.write(c, dir.resolve("offset"));
        c.featureOffset = 0;
        c.featureDecay = 1.0;
        SyntheticGenerator.write(c, dir.resolve("decay"));
        Tensor plain = Npy.read(dir.resolve("plain/image_feat.npy"));
        Tensor offset = Npy.read(dir.resolve("offset/image_feat.npy"));
        Tensor decay = Npy.read(dir.resolve("decay/image_feat.npy"));
        // Isotropic rows around 4 centroids at signal 1: same-cluster cosine ~1/2, others ~0, mean ~1/8.
        double cPlain = meanPairwiseCosine(plain), cOffset = meanPairwiseCosine(offset);
        assertTrue(cPlain < 0.25, "plain mean cosine " + cPlain);
        // Offset 2 per dimension (norm^2 4d) over signal + noise (norm^2 2d): cosine ~4/6 + (1/8)(2/6).
        assertTrue(cOffset > 0.6 && cOffset < 0.85, "offset mean cosine " + cOffset);
        // The offset is the same vector for every row: row differences are the plain ones to float rounding.
        for (int d = 0; d < c.imageDim; d++) {
            float dPlain = plain.get(1, d) - plain.get(0, d), dOffset = offset.get(1, d) - offset.get(0, d);
            assertEquals(dPlain, dOffset, 1e-5 * (1 + Math.abs(offset.get(0, d))), "dimension " + d);
        }
        // Decay 1: dimension j scaled by 1/(j+1), normalised to mean square 1; variance per dimension follows.
        double[] s = SyntheticGenerator.spectrum(c.imageDim, 1.0);
        double ms = 0;
        for (double v : s) ms += v * v;
        assertEquals(1.0, ms / s.length, 1e-12);
        assertEquals(s[0] / s[9], 10.0, 1e-9);
        for (int d = 0; d < c.imageDim; d++) {
            assertEquals(plain.get(7, d) * s[d], decay.get(7, d), 1e-5 * (1 + Math.abs(decay.get(7, d))), "dimension " + d);
        }
        double top = 0, total = 0;
        for (int d = 0; d < c.imageDim; d++) {
            for (int i = 0; i < decay.rows; i++) {
                double v = decay.get(i, d);
                total += v * v;
                if (d < 4) top += v * v;
            }
        }
        assertTrue(top / total > 0.5, "the first 4 of 64 dimensions carry most of the energy: " + top / total);
        // The text modality gets its own offset direction.
        Tensor text = Npy.read(dir.resolve("offset/text_feat.npy"));
        assertTrue(meanPairwiseCosine(text) > 0.6, "text rows share an offset too");
    }

    @Test
    void presetsAreNamedAndTheCalibratedOneKeepsSparseWeaksInteractions() {
        for (String p : SyntheticGenerator.PRESETS) assertNotNull(SyntheticGenerator.preset(p), p);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyntheticGenerator.preset("dense"));
        assertTrue(e.getMessage().contains("sparse-calibrated") && e.getMessage().contains("'dense'"), e.getMessage());
        SyntheticGenerator.Config weak = SyntheticGenerator.preset("sparse-weak");
        SyntheticGenerator.Config cal = SyntheticGenerator.preset("sparse-calibrated");
        for (SyntheticGenerator.Config c : new SyntheticGenerator.Config[] {weak, cal}) { // smaller, same recipe
            c.users = 300;
            c.items = 200;
        }
        SyntheticGenerator.Interactions a = SyntheticGenerator.interactions(weak);
        SyntheticGenerator.Interactions b = SyntheticGenerator.interactions(cal);
        assertArrayEquals(a.users, b.users);
        assertArrayEquals(a.items, b.items);
        assertArrayEquals(a.labels, b.labels);
        assertTrue(cal.imageSignal > weak.imageSignal && cal.featureOffset > 0 && cal.featureDecay > 0);
    }

    @Test
    void commandLineWritesFilesAndRejectsBadArguments() {
        Path out = dir.resolve("cli");
        assertEquals(0, SyntheticGenerator.run(new String[] {"--out", out.toString(), "--name", "tiny", "--users", "10",
                "--items", "20", "--min-inter", "3", "--max-inter", "6", "--clusters", "2", "--image-dim", "4", "--text-dim", "3"}));
        Dataset d = Dataset.load(out);
        assertEquals("tiny", d.name());
        assertEquals(10, d.numUsers());
        assertEquals(4, d.modality("image").cols);
        assertUsageError("--out DIR is required", "--users", "10");
        assertUsageError("--users expects an integer, got 'ten'", "--out", out.toString(), "--users", "ten");
        assertUsageError("unknown option --bogus", "--out", out.toString(), "--bogus", "1");
        assertUsageError("--feature-decay must be in [0, 4]", "--out", out.toString(), "--feature-decay", "-1");
        assertUsageError("--feature-offset must be a finite number >= 0", "--out", out.toString(), "--feature-offset", "NaN");
        assertUsageError("--max-inter must be at most half the items (10)", "--out", out.toString(), "--items", "20", "--max-inter", "15");
    }

    /** Runs the command line expecting exit code 2 and {@code message} on standard error. */
    private static void assertUsageError(String message, String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = SyntheticGenerator.run(args);
        } finally {
            System.setErr(saved);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, text);
        assertTrue(text.startsWith("synthetic: " + message), text);
    }
}
