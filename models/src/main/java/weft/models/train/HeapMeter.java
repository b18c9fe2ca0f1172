package weft.models.train;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Peak heap of a training run, measured two ways while it runs.
 *
 * <ul>
 * <li><b>live</b>: the largest heap occupancy right after a garbage collection, read from the
 * collectors' notifications. It bounds from above what the run kept reachable (parameters,
 * Adam moments, dataset, the autograd tape of a batch): after a young collection the old
 * generation still holds whatever garbage was promoted into it, so the figure is exact only
 * after a full collection. It is the figure to size {@code -Xmx} from; running with that
 * {@code -Xmx} is the proof.
 * <li><b>used</b>: the sum of the heap pools' own peak occupancies, garbage included (reset at
 * the start). The pools need not peak together, so the sum can exceed {@code -Xmx}; it grows
 * with the room the JVM is given and says little about what the run needs.
 * </ul>
 *
 * Where the JVM offers no GC notifications (not HotSpot) or no collection happened during the
 * run, live is reported as -1 and only used is known. The process's whole heap is measured:
 * the dataset, shared by the runs of one {@code compare}, counts in each.
 */
public final class HeapMeter implements AutoCloseable {
    private static final String GC_NOTIFICATION = "com.sun.management.gc.notification";

    private final AtomicLong maxLiveAfterGc = new AtomicLong(-1);
    private final AtomicLong collections = new AtomicLong();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener listener = this::onNotification;

    /** Starts measuring: resets the heap pools' peaks and listens to every collector. */
    public HeapMeter() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(listener, null, null);
                emitters.add(e);
            }
        }
    }

    private void onNotification(Notification n, Object handback) {
        if (!GC_NOTIFICATION.equals(n.getType()) || !(n.getUserData() instanceof CompositeData cd)) {
            return;
        }
        // com.sun.management.GarbageCollectionNotificationInfo read through the open-type data,
        // so this class needs no jdk.management types: gcInfo.memoryUsageAfterGc is a map from
        // pool name to MemoryUsage.
        Object info = cd.get("gcInfo");
        if (!(info instanceof CompositeData gcInfo)) {
            return;
        }
        Object after = gcInfo.get("memoryUsageAfterGc");
        if (!(after instanceof javax.management.openmbean.TabularData table)) {
            return;
        }
        long used = 0;
        for (Object row : table.values()) {
            CompositeData entry = (CompositeData) row;
            String pool = (String) entry.get("key");
            MemoryUsage u = MemoryUsage.from((CompositeData) entry.get("value"));
            if (isHeapPool(pool)) {
                used += u.getUsed();
            }
        }
        maxLiveAfterGc.accumulateAndGet(used, Math::max);
        collections.incrementAndGet();
    }

    private static boolean isHeapPool(String name) {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getName().equals(name)) {
                return p.getType() == MemoryType.HEAP;
            }
        }
        return false;
    }

    /** How many collections this meter has been told of (their notifications arrive asynchronously). */
    public long collections() {
        return collections.get();
    }

    /** The largest heap occupancy seen after a collection, in bytes, or -1 if none was seen. */
    public long peakLiveBytes() {
        return maxLiveAfterGc.get();
    }

    /** The sum of the heap pools' peak occupancies since the start, in bytes (garbage included). */
    public long peakUsedBytes() {
        long s = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                MemoryUsage u = p.getPeakUsage();
                if (u != null) {
                    s += u.getUsed();
                }
            }
        }
        return s;
    }

    /** Both figures in MiB, for a report: {@code {"peak_live_mib", "peak_used_mib", "max_heap_mib"}}. */
    public Map<String, Object> asMap() {
        long max = Runtime.getRuntime().maxMemory();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("peak_live_mib", peakLiveBytes() < 0 ? -1.0 : mib(peakLiveBytes()));
        m.put("peak_used_mib", mib(peakUsedBytes()));
        m.put("max_heap_mib", max == Long.MAX_VALUE ? -1.0 : mib(max));
        return m;
    }

    private static double mib(long bytes) {
        return Math.round(bytes / (1024.0 * 1024.0) * 10) / 10.0;
    }

    @Override
    public void close() {
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(listener);
            } catch (ListenerNotFoundException ignored) {
                // already gone
            }
        }
        emitters.clear();
    }
}
