package weft.models.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import weft.engine.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class DatasetTest {
    @TempDir
    Path dir;

    private void smallFolder() throws Exception {
        Files.writeString(dir.resolve("toy.inter"), "userID\titemID\tx_label\n0\t0\t0\n0\t1\t0\n0\t1\t0\n0\t2\t2\n1\t2\t0\n1\t0\t1\n");
        Npy.write(dir.resolve("image_feat.npy"), Tensor.of(3, 2, 1, 2, 3, 4, 5, 6));
    }

    @Test
    void loadsInterAndDefaultModalities() throws Exception {
        smallFolder();
        Dataset d = Dataset.load(dir);
        assertEquals("toy", d.name());
        assertEquals(2, d.numUsers());
        assertEquals(3, d.numItems());
        assertEquals(3, d.numTrain(), "the repeated (0, 1) train pair is kept once");
        assertArrayEquals(new int[] {0, 0, 1}, d.trainUsers());
        assertArrayEquals(new int[] {0, 1, 2}, d.trainItems());
        assertArrayEquals(new int[] {2}, d.test().itemsOf(0));
        assertArrayEquals(new int[] {0}, d.valid().itemsOf(1));
        assertEquals(List.of("image"), List.copyOf(d.modalities().keySet()), "text_feat.npy is absent, so not loaded");
        assertEquals(6f, d.modality("image").get(2, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.modality("audio"));
        assertTrue(e.getMessage().contains("no modality 'audio'"), e.getMessage());
        assertTrue(d.toString().startsWith("toy: 2 users, 3 items, 3 train / 1 valid / 1 test, image [3, 2]"), d.toString());
    }

    @Test
    void explicitModalitiesAndOptOutOfDefaults() throws Exception {
        smallFolder();
        Npy.write(dir.resolve("audio.npy"), new Tensor(3, 4));
        Dataset d = Dataset.load(dir, new Dataset.Options().defaultModalities(false).modality("audio", "audio.npy"));
        assertEquals(List.of("audio"), List.copyOf(d.modalities().keySet()));
        assertEquals(4, d.modality("audio").cols);
    }

    @Test
    void modalityWithWrongRowCountNamesTheFile() throws Exception {
        smallFolder();
        Npy.write(dir.resolve("text_feat.npy"), new Tensor(4, 2));
        DataFormatException e = assertThrows(DataFormatException.class, () -> Dataset.load(dir));
        assertTrue(e.getMessage().contains("text_feat.npy: has 4 rows but the dataset has 3 items"), e.getMessage());
    }

    @Test
    void nonFiniteFeatureIsReported() throws Exception {
        smallFolder();
        Tensor bad = new Tensor(3, 2);
        bad.set(1, 0, Float.POSITIVE_INFINITY);
        Npy.write(dir.resolve("text_feat.npy"), bad);
        DataFormatException e = assertThrows(DataFormatException.class, () -> Dataset.load(dir));
        assertTrue(e.getMessage().contains("text_feat.npy: value at row 1, column 0 is Infinity"), e.getMessage());
    }

    @Test
    void folderWithoutInterFile() {
        DataFormatException e = assertThrows(DataFormatException.class, () -> Dataset.load(dir));
        assertTrue(e.getMessage().contains("no .inter file in this folder"), e.getMessage());
    }

    @Test
    void folderWithSeveralInterFiles() throws Exception {
        smallFolder();
        Files.writeString(dir.resolve("other.inter"), "userID\titemID\n0\t0\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> Dataset.load(dir));
        assertTrue(e.getMessage().contains("2 .inter files (other.inter, toy.inter)"), e.getMessage());
    }

    @Test
    void missingFolder() {
        DataFormatException e = assertThrows(DataFormatException.class, () -> Dataset.load(dir.resolve("nope")));
        assertTrue(e.getMessage().endsWith("nope: no such folder"), e.getMessage());
    }

    @Test
    void committedTestDataHasItsDocumentedCounts() {
        Dataset d = Dataset.load(TestPaths.testData());
        assertEquals("synthetic", d.name());
        assertEquals(600, d.numUsers());
        assertEquals(400, d.numItems());
        assertEquals(9423, d.train().size());
        assertEquals(1151, d.valid().size());
        assertEquals(1483, d.test().size());
        assertEquals(600, d.train().nonEmptyUsers());
        assertEquals(List.of("image", "text"), List.copyOf(d.modalities().keySet()));
        assertEquals(64, d.modality("image").cols);
        assertEquals(32, d.modality("text").cols);
    }

    @Test
    void realAmazonBaby() {
        Path dirBaby = TestPaths.sharedData().resolve("amazon-baby");
        assumeTrue(Files.isRegularFile(dirBaby.resolve("baby.inter")), "shared data absent: " + dirBaby);
        Dataset d = Dataset.load(dirBaby);
        assertEquals("baby", d.name());
        assertEquals(19445, d.numUsers());
        assertEquals(7050, d.numItems());
        assertEquals(118551, d.train().size());
        assertEquals(20559, d.valid().size());
        assertEquals(21682, d.test().size());
        assertTrue(d.modalities().isEmpty(), "only kNN graphs are shipped, no feature .npy");
    }

    @Test
    void realLastFm() {
        Path lfm = TestPaths.sharedData().resolve("lastfm-2k");
        assumeTrue(Files.isRegularFile(lfm.resolve("lfm2k.inter")), "shared data absent: " + lfm);
        assertEquals("<f4", Npy.readHeader(lfm.resolve("all-MiniLM-L6-v2.npy")).descr());
        assertEquals("<f8", Npy.readHeader(lfm.resolve("vggish.npy")).descr());
        Dataset d = Dataset.load(lfm, new Dataset.Options().modality("text", "all-MiniLM-L6-v2.npy").modality("audio", "vggish.npy"));
        assertEquals(1858, d.numUsers());
        assertEquals(1425, d.numItems());
        assertEquals(44327, d.train().size());
        assertEquals(4799, d.valid().size());
        assertEquals(7219, d.test().size());
        Map<String, Tensor> m = d.modalities();
        assertEquals("[1425, 384]", m.get("text").shape());
        assertEquals("[1425, 128]", m.get("audio").shape());
        // sentence-transformer embeddings are unit-normalised: a check that the bytes were decoded as floats
        Tensor t = m.get("text");
        double norm = 0;
        for (int c = 0; c < t.cols; c++) norm += t.get(0, c) * t.get(0, c);
        assertEquals(1.0, norm, 1e-3);
    }
}
