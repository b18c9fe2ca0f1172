package weft.autograd;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import weft.engine.Arena;
import weft.engine.MatMul;

/**
 * Where a training step's wall time goes, op by op: switched on with {@code -Dweft.opProfile=N}
 * (for {@code weft}: {@code WEFT_JAVA_OPTS=-Dweft.opProfile=N}), which records the training steps
 * of epochs N and later (the first epochs are the JIT's warm-up) and prints one table per
 * training run.
 *
 * <p>It reads the clock at marks on the training thread and gives each mark the time since the
 * previous one: the creation of each op's result ({@link Var#op}: the op's forward computation,
 * and whatever model code ran since the previous op), each node's backward, and the trainer's own
 * steps (zeroing gradients, the optimizer, the batch and the epoch's evaluation between steps).
 * Kernels that the thread team splits run inside those intervals, so the times are wall times of
 * the whole op at the run's thread count. It changes no computation: the same seed gives the same
 * numbers with it on or off. Off, each op costs one read of a field.
 *
 * <p>Each mark also gets the bytes of the arrays the step's {@link Arena} handed out since the
 * previous mark ({@link Arena#bytesLent}: an op's output and the gradients its backward makes, of
 * 16 KB and more): how much the step writes, op by op. Unlike the times, these are the same in
 * every run of the same step, so a change that saves a pass over memory shows in them at once.
 *
 * <p>And each mark gets the floating-point work of the dense products run since the previous one
 * ({@link MatMul#work()}, {@code 2 m n k} per product): the table gives the rate at which an op's
 * products ran inside the step (its work over its whole wall time, so the op's other passes count
 * against it), to set beside what the same products reach alone in a loop.
 */
public final class OpProfile {
    private OpProfile() {}

    /** Why -Dweft.opProfile was not used, or null; the class must load even when it is bad (every op reads it). */
    private static String propertyError;
    /** The first epoch recorded, or -1 when off. */
    private static volatile int from = initialFirstEpoch();
    private static Thread owner;
    private static boolean recording;
    private static long last;
    private static long lastBytes;
    private static long lastWork;
    private static long steps;
    private static final Map<String, long[]> TOTALS = new HashMap<>();

    private static int initialFirstEpoch() {
        try {
            return parse(System.getProperty("weft.opProfile"));
        } catch (IllegalArgumentException e) {
            propertyError = e.getMessage();
            return -1;
        }
    }

    static int parse(String p) {
        if (p == null || p.isBlank()) return -1;
        try {
            int n = Integer.parseInt(p.trim());
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("-Dweft.opProfile=" + p + ": expected the first epoch to record, an integer >= 0");
    }

    /** Whether profiling was asked for. */
    public static boolean enabled() {
        return from >= 0;
    }

    /** Profiling from epoch {@code first} on (-1: off), as {@code -Dweft.opProfile} sets it; for tests. */
    static void setFirstEpoch(int first) {
        from = first;
    }

    /**
     * A training run starts on the calling thread: what earlier runs recorded is dropped. Fails,
     * saying what was expected, when {@code -Dweft.opProfile} is not a valid value.
     */
    public static synchronized void startRun() {
        if (propertyError != null) throw new IllegalArgumentException(propertyError);
        if (!enabled()) return;
        owner = Thread.currentThread();
        recording = false;
        steps = 0;
        TOTALS.clear();
    }

    /** An epoch starts: recording begins once it reaches the first epoch asked for. */
    public static synchronized void epoch(int epoch) {
        if (!enabled() || Thread.currentThread() != owner) return;
        recording = epoch >= from;
        last = System.nanoTime();
        lastBytes = Arena.bytesLent();
        lastWork = MatMul.work();
    }

    /** A training step starts (counted, for the per-step column). */
    public static synchronized void step() {
        if (recording && Thread.currentThread() == owner) steps++;
    }

    /** Gives the time since the previous mark to {@code what}. */
    public static void mark(String what) {
        if (from < 0) return;
        markRecorded(what);
    }

    private static synchronized void markRecorded(String what) {
        if (!recording || Thread.currentThread() != owner) return;
        long now = System.nanoTime(), bytes = Arena.bytesLent(), work = MatMul.work();
        long[] t = TOTALS.computeIfAbsent(what, k -> new long[4]);
        t[0] += now - last;
        t[1]++;
        t[2] += bytes - lastBytes;
        t[3] += work - lastWork;
        last = now;
        lastBytes = bytes;
        lastWork = work;
    }

    /** What was recorded since {@link #startRun}: name to {total nanoseconds, count, bytes lent, product flops}, largest time first. */
    public static synchronized List<Map.Entry<String, long[]>> totals() {
        List<Map.Entry<String, long[]>> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : TOTALS.entrySet()) out.add(Map.entry(e.getKey(), e.getValue().clone()));
        out.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        return out;
    }

    /** The recorded steps, one line per mark (the {@code top} largest), or a line saying nothing was recorded. */
    public static synchronized String table(String title, int top) {
        List<Map.Entry<String, long[]>> t = totals();
        if (t.isEmpty() || steps == 0) {
            return "op profile (" + title + "): nothing recorded (training ended before epoch " + from + ")\n";
        }
        long all = 0, allBytes = 0, allWork = 0;
        for (Map.Entry<String, long[]> e : t) {
            all += e.getValue()[0];
            allBytes += e.getValue()[2];
            allWork += e.getValue()[3];
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "op profile (%s): %d training steps from epoch %d, %.2f ms and %.1f MB of arrays lent per step;"
                        + " %.3f GFLOP of dense products per step%n",
                title, steps, from, all / 1e6 / steps, allBytes / 1e6 / steps, allWork / 1e9 / steps));
        sb.append(String.format(Locale.ROOT, "%7s %10s %9s %9s %9s %8s  %s%n", "share", "ms/step", "us/call", "calls", "MB/step", "GFLOP/s", "mark"));
        int n = 0;
        for (Map.Entry<String, long[]> e : t) {
            if (n++ == top) {
                sb.append(String.format(Locale.ROOT, "  (%d more marks)%n", t.size() - top));
                break;
            }
            long[] v = e.getValue();
            String rate = v[3] > 0 && v[0] > 0 ? String.format(Locale.ROOT, "%8.1f", (double) v[3] / v[0]) : String.format("%8s", "");
            sb.append(String.format(Locale.ROOT, "%6.1f %% %10.3f %9.1f %9.1f %9.2f %s  %s%n",
                    100.0 * v[0] / all, v[0] / 1e6 / steps, v[0] / 1e3 / v[1], (double) v[1] / steps, v[2] / 1e6 / steps, rate, e.getKey()));
        }
        return sb.toString();
    }
}
