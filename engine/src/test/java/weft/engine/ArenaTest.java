package weft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
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

    @Test
    void aParkedArenaGivesItsArraysBackToTheNextStep() {
        Arena arena = new Arena();
        step(arena, 0);
        float[] kept = step(arena, 0).data;
        long bytes = arena.keptBytes();
        assertEquals(4L * N, bytes);
        arena.park();
        assertEquals(0, arena.keptBytes(), "parked arrays are not kept strongly");
        assertTrue(arena.parkedHeld());
        assertSame(kept, step(arena, 0).data, "the step after a park gets the parked array back");
        assertFalse(arena.parkedHeld(), "taken back");
        assertEquals(bytes, arena.keptBytes());
        arena.park();
        arena.clear();
        assertFalse(arena.parkedHeld(), "clear() drops parked arrays too");
        assertNotSame(kept, step(arena, 0).data);
        try (Arena.Step s = arena.open()) {
            assertThrows(IllegalStateException.class, arena::park);
        }
    }

    /** Run in a JVM of {@code -Xmx64m}: parks 16 MB, then allocates until the parked arrays are freed. */
    public static void main(String[] args) {
        Arena arena = new Arena();
        for (int i = 0; i < 3; i++) {
            try (Arena.Step s = arena.open()) {
                Tensor.uninitialized(1, 1 << 22);
            }
        }
        if (arena.keptBytes() != 16L << 20) {
            System.exit(3);
        }
        arena.park();
        java.util.List<float[]> hold = new java.util.ArrayList<>();
        try {
            while (arena.parkedHeld()) {
                hold.add(new float[1 << 20]);
            }
        } catch (OutOfMemoryError e) {
            hold = null;
            System.exit(1);   // the JVM ran out of memory while the parked arrays were still held
        }
        int mb = 4 * hold.size();
        hold = null;
        long reusedBefore = arena.reused();
        try (Arena.Step s = arena.open()) {
            Tensor.uninitialized(1, 1 << 22);   // allocates: nothing came back
        }
        System.out.println("freed after " + mb + " MB " + (arena.reused() == reusedBefore ? "fresh" : "reused"));
        System.exit(0);
    }

    @Test
    void theJvmFreesParkedArraysWhenItNeedsTheMemory() throws Exception {
        String jvm = ProcessHandle.current().info().command().orElse(null);
        assumeTrue(jvm != null, "no path to this JVM");
        Process p = new ProcessBuilder(jvm, "-Xmx64m", "-cp", System.getProperty("java.class.path"), ArenaTest.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        int rc = p.waitFor();
        assertEquals(0, rc, "child JVM: " + out);
        assertTrue(out.startsWith("freed after ") && out.endsWith(" fresh"), out);
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
