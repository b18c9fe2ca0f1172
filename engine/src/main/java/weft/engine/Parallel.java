package weft.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one team of threads all kernels share. Its size is {@code -Dweft.threads=N}, else the
 * number of available processors, and can be changed with {@link #setThreads(int)}.
 *
 * <p>Loops are split into contiguous index ranges; each output element is computed by exactly one
 * task with the same arithmetic whatever the split, so results do not depend on the thread count.
 *
 * <p>How a loop runs: the calling thread publishes the loop as a job, wakes the team's
 * {@code threads - 1} workers, and takes ranges itself like them, each thread claiming one
 * range at a time (which ones: below); it returns when every range is done. A training step
 * hands hundreds of loops of a fraction of a millisecond to the team, so the hand-off must cost
 * microseconds: workers wait for the next job spinning for a short while ({@link #SPIN_NANOS})
 * before they park, and the caller does the same while the last ranges finish. (With a fork-join
 * pool, where the caller blocks and every loop wakes parked workers through the kernel, the
 * 2-thread product [5700, 64] x [64, 64] ran no faster than the 1-thread one on a 2-core virtual
 * machine.) Workers only spin when the team is no larger than the processors.
 *
 * <p>Which thread takes which range: in a team of two (the usual case on the small machines
 * this runs on) the caller claims ranges from the front of the loop and the worker from the back,
 * so that in a chain of loops over the same rows each core mostly reads the rows it wrote in
 * the loop before. Where the two cores are far apart, every 64 bytes the other core wrote cost
 * a cache-line transfer (on one 2-core virtual machine a round trip between the cores took
 * about 480 ns, and a training step of every model ran 1-15 % faster with the two ends than
 * with one shared counter; docs/performance.md). A larger team shares one counter. Either way a
 * range's arithmetic does not depend on the thread that runs it.
 *
 * <p>Nesting and concurrency: a loop started inside a range (by a worker or by the caller) runs
 * inline; a loop started by a second thread while the team is busy with another caller's loop
 * runs inline on that thread. A failure in a range (exception or error) is rethrown to the
 * caller once every range has finished.
 */
public final class Parallel {
    /** Body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** The most threads a team can have. */
    public static final int POOL_LIMIT = 0x7fff;
    /** How long an idle worker, and a caller waiting for the last ranges, spin before parking. */
    static final long SPIN_NANOS = 50_000;

    private static volatile Team team;
    /** Why -Dweft.threads was not used, or null; the class must load even when it is bad. */
    private static volatile String propertyError;
    private static volatile int threads = initialThreads();

    private Parallel() {}

    /**
     * The most threads accepted: 4 x the available processors (at least 8). Results do not depend
     * on the thread count, and threads beyond the cores only add switching and memory (each has a
     * stack); a value far above that is a typo.
     */
    public static int maxThreads() {
        return Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
    }

    /** Parses a thread count, e.g. of {@code -Dweft.threads} or {@code --threads}; the message names {@code what}. */
    public static int parseThreads(String what, String text) {
        int t;
        try {
            t = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a positive integer, got '" + text + "'");
        }
        checkThreads(what, t);
        return t;
    }

    /** Refuses thread counts below 1 or above {@link #maxThreads()}, naming {@code what}. */
    public static void checkThreads(String what, int t) {
        if (t < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + t);
        }
        int max = maxThreads();
        if (t > max) {
            throw new IllegalArgumentException(what + " must be at most " + max + " (4 x the "
                    + Runtime.getRuntime().availableProcessors() + " available processors), got " + t);
        }
    }

    private static int initialThreads() {
        String p = System.getProperty("weft.threads");
        if (p != null && !p.isBlank()) {
            try {
                return parseThreads("-Dweft.threads", p);
            } catch (IllegalArgumentException e) {
                propertyError = e.getMessage();
            }
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Why {@code -Dweft.threads} is unusable (e.g. "-Dweft.threads must be a positive integer, got
     * 'abc'"), or null when it is absent or fine; the team then uses the available processors, and
     * the command line refuses to run.
     */
    public static String propertyError() {
        return propertyError;
    }

    public static int threads() {
        return threads;
    }

    /** Sets the team size (1 runs everything on the calling thread). */
    public static synchronized void setThreads(int n) {
        if (n < 1 || n > POOL_LIMIT) {
            throw new IllegalArgumentException("threads must be in [1, " + POOL_LIMIT + "], got " + n);
        }
        if (n != threads) {
            Team old = team;
            team = null;
            threads = n;
            if (old != null) {
                old.lock.lock();   // let a running loop finish
                try {
                    old.shutdown();
                } finally {
                    old.lock.unlock();
                }
            }
        }
    }

    private static Team team() {
        Team t = team;
        if (t == null) {
            synchronized (Parallel.class) {
                t = team;
                if (t == null) {
                    t = new Team(threads);
                    team = t;
                }
            }
        }
        return t;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into ranges of at least {@code grain} indices.
     * Runs inline when there is one thread, one range, inside another loop's range, or while the
     * team is busy with another thread's loop.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int t = threads;
        int g = Math.max(1, grain);
        int chunks = (int) Math.min((long) t * 4, (n + (long) g - 1) / g);
        if (t == 1 || chunks <= 1 || Thread.currentThread() instanceof Worker) {
            body.run(0, n);
            return;
        }
        Team tm = team();
        if (tm.lock.isHeldByCurrentThread() || !tm.lock.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            tm.run(new Job(body, n, chunks, Thread.currentThread(), twoEnds && tm.workers.length == 1));
        } finally {
            tm.lock.unlock();
        }
    }

    /** About this much work (element operations) per task before splitting a loop pays for the hand-off to the team. */
    public static final int MIN_WORK = 1 << 15;

    /**
     * Runs {@code body} over {@code [0, n)} where each index costs about {@code workPerIndex}
     * element operations: inline when the whole loop is below two tasks' worth of work
     * ({@link #MIN_WORK} each), else split into ranges of at least that much work. For loops whose
     * indices are independent (rows of an output), so the result does not depend on the split.
     */
    public static void forWork(int n, long workPerIndex, RangeBody body) {
        if (n <= 0) {
            return;
        }
        long w = Math.max(1, workPerIndex);
        if (threads == 1 || n < 2 || (long) n * w < 2L * MIN_WORK) {
            body.run(0, n);
            return;
        }
        forRange(n, (int) Math.max(1, Math.min(Integer.MAX_VALUE, MIN_WORK / w)), body);
    }

    /** Runs {@code tasks} independent tasks {@code body(i)} for i in [0, tasks). */
    public static void forEach(int tasks, java.util.function.IntConsumer body) {
        forRange(tasks, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                body.accept(i);
            }
        });
    }

    /**
     * Whether a team of two claims ranges from both ends ({@code -Dweft.parallel.twoEnds=false}
     * turns it off, for benchmarks measuring the shared counter there; the same results either
     * way, since a range's arithmetic does not depend on the thread that runs it).
     */
    static volatile boolean twoEnds = !"false".equals(System.getProperty("weft.parallel.twoEnds"));

    /**
     * One loop. Its ranges are claimed by the caller and the workers from {@code next}, or, in a
     * team of two, from the two ends of {@code ends} (the next range from the front in the high
     * 32 bits, one past the last unclaimed range in the low): the caller from the front, the
     * worker from the back.
     */
    private static final class Job {
        final RangeBody body;
        final int n, chunks;
        final Thread caller;
        final boolean fromBothEnds;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        final AtomicLong ends;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean callerParked;

        Job(RangeBody body, int n, int chunks, Thread caller, boolean fromBothEnds) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.caller = caller;
            this.fromBothEnds = fromBothEnds;
            this.ends = fromBothEnds ? new AtomicLong(chunks) : null;
        }

        /** The next range for the current thread, or {@code chunks} when none is left. */
        private int claim() {
            if (!fromBothEnds) {
                return next.getAndIncrement();
            }
            boolean front = Thread.currentThread() == caller;
            while (true) {
                long v = ends.get();
                int lo = (int) (v >>> 32), hi = (int) v;
                if (lo >= hi) {
                    return chunks;
                }
                long claimed = front ? ((long) (lo + 1) << 32) | hi : ((long) lo << 32) | (hi - 1);
                if (ends.compareAndSet(v, claimed)) {
                    return front ? lo : hi - 1;
                }
            }
        }

        /** Claims and runs ranges until none is left. */
        void work() {
            for (int c; (c = claim()) < chunks; ) {
                try {
                    body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
                if (done.incrementAndGet() == chunks && callerParked) {
                    LockSupport.unpark(caller);
                }
            }
        }
    }

    private static final class Team {
        final ReentrantLock lock = new ReentrantLock();
        final Worker[] workers;
        final boolean spin;
        volatile Job current;
        volatile boolean shutdown;

        Team(int threads) {
            spin = threads <= Runtime.getRuntime().availableProcessors();
            workers = new Worker[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Worker(this, "weft-" + (i + 1));
                workers[i].start();
            }
        }

        /** Runs the job with the workers, the calling thread taking ranges too; rethrows a range's failure. */
        void run(Job j) {
            current = j;
            for (Worker w : workers) {
                if (w.parked) LockSupport.unpark(w);
            }
            j.work();
            long start = System.nanoTime();
            int spins = 0;
            while (j.done.get() < j.chunks) {
                if (spin && ((++spins & 63) != 0 || System.nanoTime() - start < SPIN_NANOS)) {
                    Thread.onSpinWait();
                } else {
                    j.callerParked = true;
                    if (j.done.get() < j.chunks) LockSupport.parkNanos(this, 1_000_000L);
                }
            }
            current = null;
            Throwable f = j.failure.get();
            if (f instanceof RuntimeException r) throw r;
            if (f instanceof Error e) throw e;
            if (f != null) throw new IllegalStateException(f);
        }

        void shutdown() {
            shutdown = true;
            for (Worker w : workers) LockSupport.unpark(w);
        }
    }

    /** A team thread: runs the ranges of each new job, spinning briefly between jobs, then parking. */
    private static final class Worker extends Thread {
        private final Team team;
        volatile boolean parked;

        Worker(Team team, String name) {
            super(name);
            this.team = team;
            setDaemon(true);
        }

        @Override
        public void run() {
            Job last = null;
            while (!team.shutdown) {
                Job j = team.current;
                if (j != null && j != last) {
                    last = j;
                    j.work();
                    continue;
                }
                long start = System.nanoTime();
                int spins = 0;
                while (team.current == j && !team.shutdown && team.spin
                        && ((++spins & 63) != 0 || System.nanoTime() - start < SPIN_NANOS)) {
                    Thread.onSpinWait();
                }
                if (team.current == j && !team.shutdown) {
                    parked = true;
                    if (team.current == j && !team.shutdown) LockSupport.park(team);
                    parked = false;
                }
            }
        }
    }
}
