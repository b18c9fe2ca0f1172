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
        Tensor audio = new Tensor(3, 4);
        audio.data[5] = 1;
        Npy.write(dir.resolve("audio.npy"), audio);
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

    private DataFormatException loadFails() {
        return assertThrows(DataFormatException.class, () -> Dataset.load(dir));
    }

    @Test
    void stringIdsWithItemListLineUpFeatureRowsAndGraphs() throws Exception {
        Files.writeString(dir.resolve("s.inter"), "userID\titemID\tx_label\nbob\tB07\t0\nbob\tA01\t0\nann\tA01\t0\n"
                + "ann\tC3\t1\nbob\tC3\t2\n");
        Files.writeString(dir.resolve("item_ids.txt"), "C3\nA01\nZ9\nB07\n");
        Npy.write(dir.resolve("image_feat.npy"), Tensor.of(4, 1, 30, 10, 99, 70)); // row i = line i of item_ids.txt
        Files.writeString(dir.resolve("g.tsv"), "itemID\tneighborID\nB07\tC3\n");
        Dataset d = Dataset.load(dir, new Dataset.Options().itemGraph("g", Path.of("g.tsv")));
        assertEquals(List.of("ann", "bob"), List.of(d.userIds().toArray()));
        assertEquals(List.of("C3", "A01", "Z9", "B07"), List.of(d.itemIds().toArray()));
        int b07 = d.itemIds().indexOf("B07");
        assertEquals(70f, d.modality("image").get(b07, 0));
        assertTrue(d.train().contains(d.userIds().indexOf("bob"), b07));
        assertEquals(1f, d.itemGraphs().get("g").get(b07, d.itemIds().indexOf("C3")));
        assertEquals("load: 1 item id of item_ids.txt without interactions (still ranked)", d.loadSummary());

        Files.writeString(dir.resolve("g.tsv"), "itemID\tneighborID\nB07\tnope\n");
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> Dataset.load(dir, new Dataset.Options().itemGraph("g", Path.of("g.tsv"))));
        assertTrue(e.getMessage().contains("g.tsv:2:2: neighborID 'nope' is not an item of the dataset"), e.getMessage());

        Files.writeString(dir.resolve("item_ids.txt"), "C3\nA01\nC3\nB07\n");
        e = loadFails();
        assertTrue(e.getMessage().contains("item_ids.txt:3:1: item id 'C3' is listed twice (also line 1)"), e.getMessage());
    }

    @Test
    void stringIdsWithoutItemListAreInNaturalOrder() throws Exception {
        Files.writeString(dir.resolve("s.inter"), "userID\titemID\tx_label\nu1\ti10\t0\nu1\ti2\t1\nu1\ti1\t2\n");
        Dataset d = Dataset.load(dir);
        assertEquals(List.of("i1", "i2", "i10"), List.of(d.itemIds().toArray()));
        assertNull(d.loadSummary(), "nothing irregular: no summary line");
        assertTrue(Dataset.load(dir).withTrain(d.train()).itemIds().equals(d.itemIds()), "derived datasets keep the maps");
    }

    @Test
    void irregularitiesGiveOneSummaryLineAndUntrainedUsersAreNotEvaluated() throws Exception {
        // user 2 is a gap, item 5 is a gap, two duplicate train lines, user 3 has only a test line
        Files.writeString(dir.resolve("toy.inter"), "userID\titemID\tx_label\n0\t0\t0\n0\t0\t0\n0\t0\t0\n0\t1\t1\n"
                + "0\t2\t2\n1\t3\t0\n1\t4\t2\n3\t6\t2\n");
        Dataset d = Dataset.load(dir);
        assertEquals("load: 2 duplicate lines dropped, 1 user without training data (not evaluated), 1 user id unused "
                + "(no interactions), 1 item id without interactions (still ranked)", d.loadSummary());
        assertEquals(0, d.test().count(3), "user 3's test line is dropped: it would be ranked by an untrained embedding");
        assertEquals(2, d.test().size());
    }

    @Test
    void noTrainValidOrTestInteractionsAreRefused() throws Exception {
        Files.writeString(dir.resolve("toy.inter"), "userID\titemID\tx_label\n0\t0\t0\n0\t1\t2\n");
        DataFormatException e = loadFails();
        assertTrue(e.getMessage().contains("toy.inter: no validation interactions (x_label 1)"), e.getMessage());
        Files.writeString(dir.resolve("toy.inter"), "userID\titemID\tx_label\n0\t0\t1\n0\t1\t2\n");
        e = loadFails();
        assertTrue(e.getMessage().contains("toy.inter: no training interactions (x_label 0): there is nothing to train on"), e.getMessage());
        Files.writeString(dir.resolve("toy.inter"), "userID\titemID\tx_label\n0\t0\t0\n0\t1\t1\n");
        e = loadFails();
        assertTrue(e.getMessage().contains("no test interactions"), e.getMessage());
        Files.writeString(dir.resolve("toy.inter"), "userID\titemID\n0\t0\n0\t1\n1\t1\n");
        e = loadFails();
        assertTrue(e.getMessage().contains("no validation interactions (the random split holds out items only of users with 3 or more"),
                e.getMessage());
    }

    @Test
    void danglingLinkOrFolderAsDefaultModalityIsAnError() throws Exception {
        smallFolder();
        Files.delete(dir.resolve("image_feat.npy"));
        Files.createSymbolicLink(dir.resolve("image_feat.npy"), dir.resolve("gone.npy"));
        DataFormatException e = loadFails();
        assertTrue(e.getMessage().contains("image_feat.npy: is a symbolic link to '" + dir.resolve("gone.npy") + "', which does not exist"),
                e.getMessage());
        Files.delete(dir.resolve("image_feat.npy"));
        Files.createDirectory(dir.resolve("image_feat.npy"));
        e = loadFails();
        assertTrue(e.getMessage().contains("image_feat.npy: is a folder, expected a file"), e.getMessage());
    }

    @Test
    void zeroColumnHugeAndAllZeroFeaturesAreRefusedNamingTheFile() throws Exception {
        smallFolder();
        Npy.write(dir.resolve("image_feat.npy"), new Tensor(3, 0));
        DataFormatException e = loadFails();
        assertTrue(e.getMessage().contains("image_feat.npy: shape (3, 0): modality 'image' has no feature columns"), e.getMessage());
        Npy.write(dir.resolve("image_feat.npy"), Tensor.of(3, 2, 1, 2, 3, 3e38f, 5, 6));
        e = loadFails();
        assertTrue(e.getMessage().contains("image_feat.npy: value at row 1, column 1 is 3.0E38: features beyond 1e15"), e.getMessage());
        Npy.write(dir.resolve("image_feat.npy"), new Tensor(3, 2));
        e = loadFails();
        assertTrue(e.getMessage().contains("image_feat.npy: modality 'image' is all zeros"), e.getMessage());
    }

    @Test
    void sameModalityOrGraphNameTwiceIsRefused() {
        Dataset.Options o = new Dataset.Options().modality("audio", "a.npy");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.modality("audio", "b.npy"));
        assertEquals("modality 'audio' given twice (a.npy and b.npy)", e.getMessage());
        o.itemGraph("g", Path.of("g.tsv"));
        e = assertThrows(IllegalArgumentException.class, () -> o.itemGraph("g", Path.of("h.tsv")));
        assertEquals("item graph 'g' given twice (g.tsv and h.tsv)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> o.itemGraph("audio", Path.of("h.tsv")));
        assertTrue(e.getMessage().contains("both as an item graph"), e.getMessage());
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
        assertNull(d.loadSummary(), "nothing irregular: no gaps, duplicates, untrained users");
        assertTrue(d.userIds().isIdentity() && d.itemIds().isIdentity(), "integer ids");
        Dataset g = Dataset.load(dirBaby, new Dataset.Options().itemGraph("image", Path.of("image_knn10.tsv"))
                .itemGraph("text", Path.of("text_knn10.tsv")));
        assertEquals(7050, g.itemGraphs().get("text").rows());
        assertTrue(g.itemGraphs().get("image").nnz() >= 7050 * 10 - 7050, "about 10 neighbours per item");
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
        assertNull(d.loadSummary(), "nothing irregular");
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
