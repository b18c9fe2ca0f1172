package weft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pool is global: every test restores the thread count it found, for the tests that run after. */
class ParallelTest {
    private int saved;

    @BeforeEach
    void save() {
        saved = Parallel.threads();
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(saved);
    }

    @Test
    void forRangeCoversEachIndexExactlyOnce() {
        int[] ns = {0, 1, 2, 3, 7, 31, 100, 1000, 10_007};
        int[] grains = {0, 1, 3, 64, 5000};
        int[] threadCounts = {1, 2, 3, 8};
        for (int t : threadCounts) {
            Parallel.setThreads(t);
            for (int n : ns) {
                for (int g : grains) {
                    String what = "n=" + n + " grain=" + g + " threads=" + t;
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                    AtomicInteger calls = new AtomicInteger();
                    Parallel.forRange(n, g, (from, to) -> {
                        calls.incrementAndGet();
                        if (from < 0 || to > n || from >= to) {
                            fail(what + ": bad range [" + from + ", " + to + ")");
                        }
                        for (int i = from; i < to; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), what + ": index " + i);
                    }
                    if (n == 0) assertEquals(0, calls.get(), what + ": body ran for an empty range");
                    // Ranges of at least the grain (the last may be shorter only if n is).
                    assertTrue(calls.get() <= Math.max(1, 4 * t), what + ": " + calls.get() + " ranges");
                    if (g > 0 && n > 0) assertTrue(calls.get() <= (n + g - 1) / g, what + ": ranges below the grain");
                }
            }
        }
    }

    @Test
    void aTeamOfTwoTakesRangesFromBothEnds() {
        Parallel.setThreads(2);
        Thread caller = Thread.currentThread();
        int n = 8;   // 8 ranges of one index each
        int joined = 0;
        for (int loop = 0; loop < 20; loop++) {
            AtomicIntegerArray who = new AtomicIntegerArray(n);   // 1: the caller ran it, 2: the worker
            Parallel.forRange(n, 1, (from, to) -> {
                long start = System.nanoTime();
                while (System.nanoTime() - start < 1_000_000) Thread.onSpinWait();   // time for the worker to join
                for (int i = from; i < to; i++) who.set(i, Thread.currentThread() == caller ? 1 : 2);
            });
            int p = 0;
            while (p < n && who.get(p) == 1) p++;
            for (int i = p; i < n; i++) {
                assertEquals(2, who.get(i), "loop " + loop + ": the caller ran ranges [0, " + p + ") and then index " + i
                        + " was not the worker's (" + who + ")");
            }
            if (p < n) joined++;
        }
        assertTrue(joined > 0, "the worker took no range in 20 loops of 8 ms");
    }

    @Test
    void aTeamOfTwoWithOneSharedCounterCoversEachIndexOnce() {
        Parallel.setThreads(2);
        boolean saved = Parallel.twoEnds;
        Parallel.twoEnds = false;
        try {
            for (int n : new int[] {1, 2, 7, 100, 10_007}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                Parallel.forRange(n, 1, (from, to) -> {
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + ": index " + i);
            }
        } finally {
            Parallel.twoEnds = saved;
        }
    }

    @Test
    void oneThreadRunsInlineInOneRange() {
        Parallel.setThreads(1);
        Thread caller = Thread.currentThread();
        AtomicInteger calls = new AtomicInteger();
        Parallel.forRange(1000, 1, (from, to) -> {
            assertSame(caller, Thread.currentThread());
            assertEquals(0, from);
            assertEquals(1000, to);
            calls.incrementAndGet();
        });
        assertEquals(1, calls.get());
    }

    @Test
    void nestedLoopsRunInlineAndStillCoverEverything() {
        Parallel.setThreads(3);
        int outer = 12, inner = 50;
        AtomicIntegerArray hits = new AtomicIntegerArray(outer * inner);
        Parallel.forEach(outer, o -> Parallel.forRange(inner, 1, (from, to) -> {
            for (int i = from; i < to; i++) hits.incrementAndGet(o * inner + i);
        }));
        for (int i = 0; i < outer * inner; i++) assertEquals(1, hits.get(i), "cell " + i);
    }

    @Test
    void forEachRunsEveryTaskOnce() {
        Parallel.setThreads(4);
        AtomicIntegerArray hits = new AtomicIntegerArray(37);
        Parallel.forEach(37, hits::incrementAndGet);
        for (int i = 0; i < 37; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void exceptionsInTheBodyReachTheCaller() {
        Parallel.setThreads(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(1000, 1, (from, to) -> {
            if (from <= 500 && 500 < to) throw new IllegalStateException("boom at 500");
        }));
        assertTrue(e.getMessage().contains("boom"), e.getMessage());
        // The pool survives a failed loop.
        AtomicInteger sum = new AtomicInteger();
        Parallel.forRange(100, 1, (from, to) -> sum.addAndGet(to - from));
        assertEquals(100, sum.get());
    }

    @Test
    void errorsInTheBodyReachTheCallerAsThemselves() {
        Parallel.setThreads(3);
        AssertionError e = assertThrows(AssertionError.class, () -> Parallel.forRange(64, 1, (from, to) -> {
            if (from == 0) throw new AssertionError("error in the first range");
        }));
        assertTrue(e.getMessage().contains("first range"), e.getMessage());
    }

    @Test
    @Timeout(60)
    void manySmallLoopsInARowAllComplete() {
        // Back-to-back loops exercise the hand-off between a finished job and the next (a lost
        // wake-up would hang here, which the timeout turns into a failure).
        for (int t : new int[] {2, 3}) {
            Parallel.setThreads(t);
            long total = 0;
            for (int rep = 0; rep < 20_000; rep++) {
                AtomicInteger sum = new AtomicInteger();
                int n = 2 + rep % 37;
                Parallel.forRange(n, 1, (from, to) -> sum.addAndGet(to - from));
                assertEquals(n, sum.get(), "loop " + rep);
                total += sum.get();
            }
            assertTrue(total > 0);
        }
    }

    @Test
    @Timeout(60)
    void concurrentCallersEachGetTheirOwnLoop() throws Exception {
        Parallel.setThreads(2);
        int callers = 4;
        Thread[] ts = new Thread[callers];
        Throwable[] failed = new Throwable[callers];
        for (int c = 0; c < callers; c++) {
            int id = c;
            ts[c] = new Thread(() -> {
                try {
                    for (int rep = 0; rep < 2_000; rep++) {
                        int n = 100 + id;
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        Parallel.forRange(n, 3, (from, to) -> {
                            for (int i = from; i < to; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < n; i++) {
                            if (hits.get(i) != 1) throw new AssertionError("caller " + id + ", index " + i + " ran " + hits.get(i) + " times");
                        }
                    }
                } catch (Throwable e) {
                    failed[id] = e;
                }
            });
            ts[c].start();
        }
        for (Thread t : ts) t.join();
        for (Throwable f : failed) {
            if (f != null) throw new AssertionError(f);
        }
    }

    @Test
    void setThreadsChangesTheCountAndRejectsNonPositive() {
        Parallel.setThreads(3);
        assertEquals(3, Parallel.threads());
        Parallel.setThreads(3); // no change is fine
        Parallel.setThreads(1);
        assertEquals(1, Parallel.threads());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(-2));
        assertEquals(1, Parallel.threads(), "a rejected value must not change the count");
    }

    /** Replacing the pool while it is in use must not lose work: a new pool serves the next loop. */
    @Test
    void resizingBetweenLoopsKeepsWorking() {
        for (int t = 1; t <= 4; t++) {
            Parallel.setThreads(t);
            AtomicInteger sum = new AtomicInteger();
            Parallel.forRange(10_000, 16, (from, to) -> sum.addAndGet(to - from));
            assertEquals(10_000, sum.get(), "threads=" + t);
        }
    }

    @Test
    void threadCountsAreParsedAndBoundedWithClearMessages() {
        assertEquals(3, Parallel.parseThreads("-Dweft.threads", " 3 "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parallel.parseThreads("-Dweft.threads", "abc"));
        assertEquals("-Dweft.threads must be a positive integer, got 'abc'", e.getMessage());
        int max = Parallel.maxThreads();
        assertTrue(max >= 8 && max >= 4 * Runtime.getRuntime().availableProcessors());
        e = assertThrows(IllegalArgumentException.class, () -> Parallel.parseThreads("--threads", String.valueOf(max + 1)));
        assertTrue(e.getMessage().startsWith("--threads must be at most " + max + " (4 x the"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Parallel.parseThreads("--threads", "0"));
        assertEquals("--threads must be >= 1, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(40000));
        assertEquals("threads must be in [1, 32767], got 40000", e.getMessage(), "never the pool's own null message");
        assertNull(Parallel.propertyError(), "no -Dweft.threads in the test JVM");
    }
}
