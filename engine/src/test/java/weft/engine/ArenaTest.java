package weft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** The step arena: what it recycles, when, what it keeps, and what it refuses. */
class ArenaTest {
    private static final int N = Arena.MIN_LENGTH * 2;

    /** Runs one step that takes a tensor of [2, N / 2] (and, if given, one of {@code other} floats); returns the first. */
    private static Tensor step(Arena arena, int other) {
        try (Arena.Step s = arena.open()) {
            Tensor t = Tensor.uninitialized(2, N / 2);
            if (other > 0) {
                Tensor.uninitialized(1, other);
            }
            return t;
        }
    }

    @Test
    void aStepReusesTheArraysOfTheStepBeforeOnceALengthRepeats() {
        Arena arena = new Arena();
        float[] first = step(arena, 0).data;
        float[] second = step(arena, 0).data;
        assertNotSame(first, second, "the first step's lengths were not asked for before it, so nothing was kept");
        float[] third = step(arena, 0).data;
        assertSame(second, third, "asked for in two steps running: the array comes back");
        assertSame(third, step(arena, 0).data);
        assertEquals(2, arena.reused());
        assertEquals(2, arena.allocated());
    }

    @Test
    void lengthsThatChangeFromStepToStepAreNotKept() {
        Arena arena = new Arena();
        float[] last = null;
        for (int i = 0; i < 4; i++) {
            last = step(arena, Arena.MIN_LENGTH + 100 * i).data;   // with a batch-dependent shape beside it
        }
        assertEquals(4L * N, arena.keptBytes(), "only the repeated [2, N/2] array is kept");
        arena.clear();
        assertEquals(0, arena.keptBytes());
        assertNotSame(last, step(arena, 0).data, "after clear() the next step allocates");
    }

    /**
     * Run in a JVM of {@code -Xmx64m} by {@link #theArenaNeverHoldsMemoryTheProgramNeeds}: a step
     * that lends 128 MB but uses 16 MB at a time, then a program that needs the memory two kept
     * arrays hold. Exit 0 and "ok" when both fit.
     */
    public static void main(String[] args) {
        Arena arena = new Arena();
        int n = 1 << 22;   // 16 MB
        try (Arena.Step s = arena.open()) {
            for (int i = 0; i < 8; i++) {
                float[] a = Tensor.uninitialized(1, n + i).data;   // released at once, as a gradient in backward
                a[0] = i;
            }
        } catch (OutOfMemoryError e) {
            System.out.println("a step ran out of memory holding arrays it had released");
            System.exit(1);
        }
        float[][] held = new float[2][];   // held until checked, so the collector cannot free them before
        for (int k = 0; k < 3; k++) {
            try (Arena.Step s = arena.open()) {
                held[0] = Tensor.uninitialized(1, n).data;
                held[1] = Tensor.uninitialized(1, n + 1).data;
            }
        }
        if (arena.keptBytes() < 8L * n) {
            System.out.println("expected two kept arrays, kept " + arena.keptBytes() + " bytes");
            System.exit(3);
        }
        held = null;
        java.util.List<float[]> need = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                need.add(new float[1 << 20]);   // 40 MB: fits only without the kept 32 MB
            }
        } catch (OutOfMemoryError e) {
            need = null;
            System.out.println("the program ran out of memory while the arena kept arrays");
            System.exit(2);
        }
        long reusedBefore = arena.reused();
        try (Arena.Step s = arena.open()) {
            Tensor.uninitialized(1, n);
        }
        System.out.println((arena.reused() == reusedBefore ? "ok" : "a freed array came back") + " " + need.size());
        System.exit(0);
    }

    @Test
    void theArenaNeverHoldsMemoryTheProgramNeeds() throws Exception {
        String jvm = System.getProperty("java.home") + java.io.File.separator + "bin" + java.io.File.separator + "java";
        java.nio.file.Path log = java.nio.file.Files.createTempFile("weft-arena", ".out");
        try {
            Process p = new ProcessBuilder(jvm, "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                    ArenaTest.class.getName()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the -Xmx64m child JVM did not finish in 120 s");
            }
            String out = java.nio.file.Files.readString(log).trim();
            assertEquals(0, p.exitValue(), "child JVM: " + out);
            assertEquals("ok 10", out);
        } finally {
            java.nio.file.Files.deleteIfExists(log);
        }
    }

    @Test
    void aKeptArrayLivesOnlyAsLongAsTheCollectorAllows() {
        Arena arena = new Arena();
        step(arena, 0);
        float[] kept = step(arena, 0).data;
        assertEquals(4L * N, arena.keptBytes());
        assertSame(kept, step(arena, 0).data, "held by the caller: still there");
        kept = null;
        step(arena, 0);
        for (int i = 0; i < 20 && arena.keptBytes() > 0; i++) {
            System.gc();   // the only holder now is the arena, weakly
        }
        assertEquals(0, arena.keptBytes(), "a kept array nobody else holds is freed by a full collection");
        long allocated = arena.allocated();
        step(arena, 0);
        assertEquals(allocated + 1, arena.allocated(), "and the next step allocates");
    }

    @Test
    void smallArraysAndArraysOutsideAStepAreFresh() {
        Arena arena = new Arena();
        float[][] small = new float[3][];
        for (int i = 0; i < 3; i++) {
            try (Arena.Step s = arena.open()) {
                small[i] = Tensor.uninitialized(1, Arena.MIN_LENGTH - 1).data;
                assertFalse(Arena.lends(small[i]));
            }
        }
        assertNotSame(small[1], small[2]);
        step(arena, 0);
        step(arena, 0);
        assertNotSame(Tensor.uninitialized(2, N / 2).data, Tensor.uninitialized(2, N / 2).data, "no step open: fresh arrays");
    }

    @Test
    void recycledZerosAreZerosEvenWhenTheArrayHeldValues() {
        Arena arena = new Arena();
        float[] used = null;
        for (int i = 0; i < 3; i++) {
            try (Arena.Step s = arena.open()) {
                Tensor z = Tensor.recycledZeros(2, N / 2);
                for (float v : z.data) {
                    assertEquals(0f, v);
                }
                java.util.Arrays.fill(z.data, 7f);
                if (i == 2) {
                    assertSame(used, z.data, "the third step gets the second step's array back");
                }
                used = z.data;
            }
        }
    }

    @Test
    void lendsNamesTheOpenStepsArraysOnly() {
        Arena arena = new Arena();
        Tensor t;
        try (Arena.Step s = arena.open()) {
            t = Tensor.uninitialized(2, N / 2);
            assertTrue(Arena.lends(t.data));
            assertFalse(Arena.lends(new Tensor(2, N / 2).data));
        }
        assertFalse(Arena.lends(t.data), "no step open");
    }

    @Test
    void oneOpenStepPerThreadAndArena() throws Exception {
        Arena arena = new Arena();
        try (Arena.Step s = arena.open()) {
            assertThrows(IllegalStateException.class, arena::open);
            assertThrows(IllegalStateException.class, () -> new Arena().open(), "a second arena on the same thread");
            assertThrows(IllegalStateException.class, arena::clear);
            AtomicReference<Throwable> other = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    arena.open();
                } catch (Throwable e) {
                    other.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(other.get() instanceof IllegalStateException, "the arena is in use by another thread: " + other.get());
            // a worker thread allocates as usual while the step is open on this one
            AtomicReference<float[]> fromWorker = new AtomicReference<>();
            Thread w = new Thread(() -> fromWorker.set(Tensor.uninitialized(2, N / 2).data));
            w.start();
            w.join();
            assertFalse(Arena.lends(fromWorker.get()));
        }
    }

    @Test
    void turnedOffEveryStepAllocates() {
        Arena arena = new Arena();
        Arena.setEnabled(false);
        try {
            float[] a = step(arena, 0).data, b = step(arena, 0).data, c = step(arena, 0).data;
            assertNotSame(b, c);
            assertNotSame(a, c);
            assertEquals(0, arena.reused() + arena.allocated());
        } finally {
            Arena.setEnabled(true);
        }
    }

    /** With -Dweft.arena.poison=true (the test suite's setting): lent arrays are NaN when lent and when their step ends. */
    @Test
    void poisoningShowsReadsBeforeWritesAndAfterTheStep() {
        assumeTrue(Boolean.getBoolean("weft.arena.poison"), "needs -Dweft.arena.poison=true");
        assertTrue(Float.isNaN(Tensor.uninitialized(1, 3).data[2]), "outside a step too, and for small arrays");
        Arena arena = new Arena();
        Tensor kept;
        try (Arena.Step s = arena.open()) {
            kept = Tensor.uninitialized(2, N / 2);
            assertTrue(Float.isNaN(kept.data[N - 1]));
            java.util.Arrays.fill(kept.data, 1f);
        }
        assertTrue(Float.isNaN(kept.data[0]), "a tensor read after its step reads NaN");
    }
}
