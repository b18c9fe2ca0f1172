package weft.engine;

import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recycles the large arrays of one training step for the next. A step builds a tape of fresh
 * tensors (every op's output and most gradients) that is garbage once the optimiser has run, and
 * the next step allocates the same shapes again; a fresh Java array is zeroed by the JVM, a full
 * write pass over memory that is not in cache (measured here: 70 us for a 1.46 MB array against
 * 15 us to refill one that is), and HMA-Rec's step allocates about 200 MB. Inside a step opened
 * with {@link #open()}, {@link Tensor#uninitialized} and {@link Tensor#recycledZeros} take their
 * arrays from the previous step's instead.
 *
 * <p>The contract: a tensor made by those two factories during a step is not used after the step
 * closes (its array is handed out again in the next step). Ops and gradients of the tape satisfy
 * it: the tape is dropped when the step ends, and parameters' gradients are never recycled
 * ({@code Var} copies a recycled gradient before a parameter keeps it). Everything else
 * ({@code new Tensor}, {@link Tensor#copy()}) stays fresh. {@code -Dweft.arena.poison=true}
 * (set for the test suite) fills every array handed out by {@link Tensor#uninitialized} with NaN,
 * and every lent array with NaN when its step closes, so a tensor read after its step, or an op that
 * reads an element of its output before writing it, shows as NaN instead of an old value.
 *
 * <p>What is kept: the arrays lent during a step, by length, for lengths that were also asked for
 * in the step before (a shape that changes from batch to batch, such as a logits matrix over the
 * batch's distinct items, is not kept, so it does not hold memory that the next step cannot use).
 * Arrays under {@link #MIN_LENGTH} floats are left to the JVM, whose thread-local allocation is
 * cheap for them. {@link #clear()} drops everything kept. An arena belongs to the thread that
 * opens it; steps on other threads, and tensors made by worker threads, allocate as usual.
 *
 * <p>Memory: the arena holds its arrays only weakly, both those lent in the open step and those
 * kept for the next, so it never keeps memory the program needs. A step's tensors hold their
 * arrays while the tape uses them; an intermediate gradient released during backward, or a kept
 * array the next step does not take, is then only weakly held, and a collection of the generation
 * it lives in frees it. In a roomy heap the kept arrays reach the old generation once and are
 * reused for the whole run (a young collection does not clear references into the old
 * generation), including across evaluation between epochs; in a tight one the next full
 * collection takes whatever the tape no longer uses, so a step needs no more memory than without
 * the arena. (Held strongly, a step's arrays all lived until it closed: HMA-Rec on a Baby-sized
 * set with 4096-d features ran out of memory in {@code -Xmx1g}, which it trains in without the
 * arena. Dropped before every evaluation, they were allocated again in the next epoch's first
 * steps and promoted again at the next young collection, 100-150 MB per epoch into freshly
 * committed old-generation pages: a young pause of 150-290 ms per epoch on JDK 17 and 25, and on
 * JDK 25, which grew the heap instead of collecting the old generation, 3 GB of heap and
 * HMA-Rec's epochs on Last.fm-2K 30-70 % longer.)
 */
public final class Arena {
    /** Arrays shorter than this (16 KB) are always fresh. */
    public static final int MIN_LENGTH = 4096;

    private static final boolean POISON = Boolean.getBoolean("weft.arena.poison");
    /** {@code -Dweft.arena=false} turns recycling off (every step allocates afresh), e.g. to compare. */
    private static volatile boolean enabled = !"false".equals(System.getProperty("weft.arena"));
    private static final ThreadLocal<Arena> OPEN = new ThreadLocal<>();

    /** A weak reference to an array this arena lent, chained by the array's identity hash. */
    private static final class Lent extends WeakReference<float[]> {
        final int length;
        Lent next;

        Lent(float[] a) {
            super(a);
            length = a.length;
        }
    }

    /** Arrays kept from the previous step, by length (weakly held). */
    private Map<Integer, ArrayDeque<Lent>> free = new HashMap<>();
    /** Arrays handed out in the open step, in order, and by identity hash (for {@link #lends}). */
    private final ArrayList<Lent> lent = new ArrayList<>();
    private final HashMap<Integer, Lent> lentByHash = new HashMap<>();
    /** Lengths asked for in the open step and in the one before it. */
    private Set<Integer> asked = new HashSet<>(), askedBefore = new HashSet<>();
    /** The thread with an open step, or null (volatile: another thread's open() reads it to refuse). */
    private volatile Thread owner;
    private long reused, allocated;
    private static final AtomicLong REUSED_ALL = new AtomicLong();
    private static final AtomicLong BYTES_LENT = new AtomicLong();

    /** Whether steps recycle arrays (default true; {@code -Dweft.arena=false}). */
    public static boolean enabled() {
        return enabled;
    }

    /** Turns recycling on or off for steps opened from now on. */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /**
     * Opens a step on this thread; close it (try-with-resources) when the step's tensors are no
     * longer used. With recycling off the step allocates as usual.
     */
    public Step open() {
        if (OPEN.get() != null) {
            throw new IllegalStateException("Arena: a step is already open on thread " + Thread.currentThread().getName());
        }
        if (owner != null) {
            throw new IllegalStateException("Arena: a step is already open on thread " + owner.getName());
        }
        owner = Thread.currentThread();
        if (enabled) {
            OPEN.set(this);
        }
        return new Step();
    }

    /** An open step. */
    public final class Step implements AutoCloseable {
        private boolean closed;

        private Step() {}

        /** Ends the step: its arrays (of lengths asked for in both this step and the last) are kept for the next. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            OPEN.remove();
            owner = null;
            Map<Integer, ArrayDeque<Lent>> keep = new HashMap<>();
            for (Lent l : lent) {
                float[] a = l.get();
                if (a == null) {
                    continue;   // released by the tape and collected
                }
                if (POISON) {
                    Arrays.fill(a, Float.NaN);
                }
                if (askedBefore.contains(l.length)) {
                    l.next = null;
                    keep.computeIfAbsent(l.length, n -> new ArrayDeque<>()).push(l);
                }
            }
            lentByHash.clear();
            lent.clear();
            free = keep;   // what the step did not take again is dropped
            askedBefore = asked;
            asked = new HashSet<>();
        }
    }

    /** Drops every kept array (the next step allocates afresh). */
    public void clear() {
        if (owner != null) {
            throw new IllegalStateException("Arena: clear() inside an open step");
        }
        free = new HashMap<>();
    }

    /** Arrays handed out again, and arrays allocated, since this arena was made. */
    public long reused() {
        return reused;
    }

    public long allocated() {
        return allocated;
    }

    /** Arrays handed out again by all arenas of this JVM (so a test can see that recycling happened). */
    public static long reusedInAll() {
        return REUSED_ALL.get();
    }

    /**
     * Bytes of the arrays that open steps of all arenas of this JVM have handed out so far,
     * recycled or fresh: the tape's outputs and gradients of {@link #MIN_LENGTH} floats and more
     * (not what {@code new Tensor} or {@link Tensor#copy()} allocate). How much a step writes, for
     * the op profile; it counts work, so it is the same in every run of the same step.
     */
    public static long bytesLent() {
        return BYTES_LENT.get();
    }

    /** Bytes held for the next step (those arrays the collector has not freed). */
    public long keptBytes() {
        long b = 0;
        for (ArrayDeque<Lent> q : free.values()) {
            for (Lent l : q) {
                if (l.get() != null) {
                    b += 4L * l.length;
                }
            }
        }
        return b;
    }

    /** Whether {@code a} was handed out by the step open on this thread (so it must not outlive it). */
    public static boolean lends(float[] a) {
        Arena arena = OPEN.get();
        if (arena == null || a.length < MIN_LENGTH) {
            return false;
        }
        for (Lent l = arena.lentByHash.get(System.identityHashCode(a)); l != null; l = l.next) {
            if (l.get() == a) {
                return true;
            }
        }
        return false;
    }

    /** An array of length n whose contents are undefined (NaN with poisoning). */
    static float[] uninitialized(int n) {
        return take(n, false);
    }

    /** An array of n zeros. */
    static float[] zeros(int n) {
        return take(n, true);
    }

    /** Zeroes from this length (256 KB) on are split over the team (see {@link #fillZeros}). */
    static final int PARALLEL_FILL = 1 << 16;

    /**
     * Zeroes a kept array. A large one is split over the team: a serial refill of a gradient buffer
     * that the last step's loops wrote from both cores was a large share of the calling thread's
     * time (JFR, HMA-Rec: about 100 of its 689 samples at 2 threads, against 56 of 1,117 at one; a
     * whole step's gain, with the attention op zeroing its own rows, was within what an
     * alternating comparison inside one JVM resolves, about 4 %).
     */
    private static void fillZeros(float[] a) {
        if (a.length < PARALLEL_FILL) {
            Arrays.fill(a, 0f);
        } else {
            Parallel.forRange(a.length, PARALLEL_FILL / 2, (from, to) -> Arrays.fill(a, from, to, 0f));
        }
    }

    /**
     * An array of length n: the previous step's if one is kept, else a fresh one (which the JVM
     * has zeroed). A kept array is refilled with zeros when {@code zeros} is asked; with poisoning
     * every array that is not asked as zeros is NaN.
     */
    private static float[] take(int n, boolean zeros) {
        Arena arena = n < MIN_LENGTH ? null : OPEN.get();
        float[] a = null;
        Lent ref = null;
        if (arena != null) {
            arena.asked.add(n);
            ArrayDeque<Lent> q = arena.free.get(n);
            while (a == null && q != null && (ref = q.poll()) != null) {
                a = ref.get();   // null: the collector freed it
            }
            if (a != null) {
                arena.reused++;
                REUSED_ALL.incrementAndGet();
                if (zeros) {
                    fillZeros(a);
                }
            } else {
                arena.allocated++;
            }
        }
        if (a == null) {
            a = new float[n];
            ref = arena != null ? new Lent(a) : null;
        }
        if (arena != null) {
            BYTES_LENT.addAndGet(4L * n);
            arena.lent.add(ref);
            ref.next = arena.lentByHash.put(System.identityHashCode(a), ref);
        }
        if (POISON && !zeros) {
            Arrays.fill(a, Float.NaN);
        }
        return a;
    }
}
