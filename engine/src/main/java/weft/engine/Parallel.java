package weft.engine;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The one thread pool all kernels share. Its size is {@code -Dweft.threads=N}, else the number of
 * available processors, and can be changed with {@link #setThreads(int)}.
 *
 * <p>Loops are split into contiguous index ranges; each output element is computed by exactly one
 * task with the same arithmetic whatever the split, so results do not depend on the thread count.
 */
public final class Parallel {
    /** Body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** The most threads a fork-join pool can have. */
    public static final int POOL_LIMIT = 0x7fff;

    private static volatile ForkJoinPool pool;
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
     * 'abc'"), or null when it is absent or fine; the pool then uses the available processors, and
     * the command line refuses to run.
     */
    public static String propertyError() {
        return propertyError;
    }

    public static int threads() {
        return threads;
    }

    /** Sets the pool size (1 runs everything on the calling thread). */
    public static synchronized void setThreads(int n) {
        if (n < 1 || n > POOL_LIMIT) {
            throw new IllegalArgumentException("threads must be in [1, " + POOL_LIMIT + "], got " + n);
        }
        if (n != threads) {
            ForkJoinPool old = pool;
            pool = null;
            threads = n;
            if (old != null) {
                old.shutdown();
            }
        }
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    p = new ForkJoinPool(threads, pl -> {
                        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pl);
                        t.setDaemon(true);
                        t.setName("weft-" + t.getPoolIndex());
                        return t;
                    }, null, false);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into ranges of at least {@code grain} indices.
     * Runs inline when there is one thread, one range, or when already inside the pool.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int t = threads;
        int g = Math.max(1, grain);
        int chunks = (int) Math.min((long) t * 4, (n + (long) g - 1) / g);
        if (t == 1 || chunks <= 1 || ForkJoinTask.inForkJoinPool()) {
            body.run(0, n);
            return;
        }
        pool().invoke(new Split(body, n, chunks, 0, chunks));
    }

    /** Runs {@code tasks} independent tasks {@code body(i)} for i in [0, tasks). */
    public static void forEach(int tasks, java.util.function.IntConsumer body) {
        forRange(tasks, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                body.accept(i);
            }
        });
    }

    private static final class Split extends RecursiveAction {
        private final RangeBody body;
        private final int n, chunks, lo, hi;

        Split(RangeBody body, int n, int chunks, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                int from = (int) ((long) n * lo / chunks);
                int to = (int) ((long) n * hi / chunks);
                body.run(from, to);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Split(body, n, chunks, lo, mid), new Split(body, n, chunks, mid, hi));
        }
    }
}
