package weft.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.engine.Tensor;
import weft.graph.CsrMatrix;
import weft.graph.KnnGraph;
import weft.models.data.IdMap;
import weft.models.data.ItemGraphFile;
import weft.models.data.Npy;

/** The distributed kNN graph against KnnGraph, to the bit, on test-data's and Last.fm-2K's features. */
class KnnSparkTest {
    @TempDir
    static Path tmp;

    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = Fixtures.spark();
    }

    /** Every row's neighbour indices and similarity bits, in KnnGraph's order (by index). */
    static void assertSameGraph(Tensor x, int k, int block) {
        CsrMatrix want = KnnGraph.build(x, k, KnnGraph.Weights.SIMILARITY);
        List<Row> rows = WeftSpark.knnGraph(spark, x, k, block).orderBy("item", "neighbor").collectAsList();
        assertEquals(x.rows * k, rows.size());
        int[] ptr = want.rowPtrCopy(), cols = want.colIdxCopy();
        float[] vals = want.valuesCopy();
        for (int e = 0; e < rows.size(); e++) {
            Row r = rows.get(e);
            int item = e / k;
            assertEquals(item, r.getInt(0));
            assertEquals(ptr[item] + e % k, e);
            assertEquals(cols[e], r.getInt(1), "item " + item + " neighbour " + (e % k) + " (blocks of " + block + ")");
            assertEquals(Float.floatToRawIntBits(vals[e]), Float.floatToRawIntBits(r.getFloat(2)), "similarity, item " + item);
        }
    }

    @Test
    void equalsKnnGraphOnTestData() {
        Tensor img = Npy.read(Fixtures.testData().resolve("image_feat.npy"));
        Tensor txt = Npy.read(Fixtures.testData().resolve("text_feat.npy"));
        assertSameGraph(img, 10, 37);   // 11 blocks, the last of 30 items
        assertSameGraph(img, 10, 398);  // a 2-item last block, joined to the one before
        assertSameGraph(txt, 5, 64);
        assertSameGraph(txt, 1, 0);     // one block
        assertSameGraph(img, 400, 100); // k = all items
    }

    @Test
    void equalsKnnGraphOnLastFmFeatures() {
        Path lfm = Fixtures.sharedData().resolve("lastfm-2k");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(lfm), "no " + lfm);
        assertSameGraph(Npy.read(lfm.resolve("all-MiniLM-L6-v2.npy")), 10, 300);
        assertSameGraph(Npy.read(lfm.resolve("vggish.npy")), 10, 0);
    }

    @Test
    void theTsvIsWhatItemGraphReads() throws Exception {
        Tensor img = Npy.read(Fixtures.testData().resolve("image_feat.npy"));
        Path f = tmp.resolve("g.tsv");
        WeftSpark.writeItemGraph(WeftSpark.knnGraph(spark, img, 10, 50), IdMap.identity(img.rows), f);
        assertEquals("itemID\tneighborID\tsimilarity", Files.readAllLines(f).get(0));
        CsrMatrix read = ItemGraphFile.read(f, img.rows);
        CsrMatrix want = KnnGraph.build(img, 10, KnnGraph.Weights.SIMILARITY);
        assertArrayEquals(want.rowPtrCopy(), read.rowPtrCopy());
        assertArrayEquals(want.colIdxCopy(), read.colIdxCopy());
        // String ids: row i is named by line i of the id list.
        String[] ids = new String[img.rows];
        for (int i = 0; i < ids.length; i++) ids[i] = "item-" + (ids.length - i);
        WeftSpark.writeItemGraph(WeftSpark.knnGraph(spark, img, 3, 0), IdMap.of(ids), f);
        CsrMatrix named = ItemGraphFile.read(f, IdMap.of(ids));
        assertArrayEquals(KnnGraph.build(img, 3, KnnGraph.Weights.SIMILARITY).colIdxCopy(), named.colIdxCopy());
    }

    @Test
    void badInputsAreRefusedOnTheDriver() {
        Tensor x = new Tensor(5, 3);
        assertThrows(IllegalArgumentException.class, () -> WeftSpark.knnGraph(spark, x, 6, 0));
        x.data[4] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeftSpark.knnGraph(spark, x, 2, 0));
        assertTrue(e.getMessage().contains("non-finite feature NaN at item 1, column 1"), e.getMessage());
    }
}
