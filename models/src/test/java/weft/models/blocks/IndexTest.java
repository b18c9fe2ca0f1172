package weft.models.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class IndexTest {
    /** The definition: sort, then keep the first of each run of equal values. */
    private static int[] sortedDistinct(int[] ids) {
        return IntStream.of(ids).distinct().sorted().toArray();
    }

    @Test
    void distinctIsTheAscendingSetOfValuesOnBothPaths() {
        Random r = new Random(7);
        int[][] spans = {{0, 10}, {0, 2048}, {0, 20000}, {-50, 50}, {5000, 5070}, {0, 1 << 30}, {Integer.MIN_VALUE / 2, Integer.MAX_VALUE / 2}};
        for (int[] span : spans) {
            for (int n : new int[] {1, 2, 63, 64, 65, 2048}) {
                int[] ids = new int[n];
                for (int i = 0; i < n; i++) ids[i] = span[0] + (int) (r.nextDouble() * ((long) span[1] - span[0]));
                int[] before = ids.clone();
                String what = n + " values in [" + span[0] + ", " + span[1] + ")";
                assertArrayEquals(sortedDistinct(ids), Index.distinct(ids), what);
                assertArrayEquals(before, ids, what + ": the input is not changed");
            }
        }
        assertArrayEquals(new int[0], Index.distinct(new int[0]));
        assertArrayEquals(new int[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE},
                Index.distinct(new int[] {Integer.MAX_VALUE, -1, Integer.MIN_VALUE, -1, Integer.MAX_VALUE}));
        int[] ends = {63, 0, 64, 127, 128, 0, 63};   // word boundaries of the bitmap
        assertArrayEquals(new int[] {0, 63, 64, 127, 128}, Index.distinct(ends));
        assertArrayEquals(new int[] {3}, Index.distinct(new int[] {3, 3, 3}));
    }
}
