package weft.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class HeapMeterTest {
    private static final long MIB = 1024 * 1024;

    /** An array kept reachable across a collection shows in the live peak; garbage does not. */
    @Test
    void liveHeapAfterCollectionCountsWhatStaysReachable() throws Exception {
        long before;
        try (HeapMeter baseline = new HeapMeter()) {
            before = collect(baseline);
        }
        assertTrue(before > 0, "no GC notification arrived for an explicit System.gc()");

        byte[] kept;
        try (HeapMeter m = new HeapMeter()) {
            kept = new byte[(int) (96 * MIB)];
            kept[kept.length - 1] = 1;
            long live = collect(m);
            assertTrue(live >= before + 90 * MIB,
                    "96 MiB kept reachable: live after GC " + live / MIB + " MiB, before " + before / MIB + " MiB");
            assertTrue(m.peakUsedBytes() >= 96 * MIB, "the pools' peak must include the array: " + m.peakUsedBytes() / MIB);
            Map<String, Object> map = m.asMap();
            assertEquals(java.util.List.of("peak_live_mib", "peak_used_mib", "max_heap_mib"), java.util.List.copyOf(map.keySet()));
            assertTrue(((Number) map.get("peak_live_mib")).doubleValue() >= 90.0);
        }
        assertEquals(1, kept[kept.length - 1]);
    }

    /**
     * A full collection, then the meter's live peak once its notification has arrived (they come
     * on another thread, shortly after the collection).
     */
    private static long collect(HeapMeter m) throws InterruptedException {
        long seen = m.collections();
        System.gc();
        for (int i = 0; i < 500 && m.collections() == seen; i++) {
            Thread.sleep(10);
        }
        return m.peakLiveBytes();
    }
}
