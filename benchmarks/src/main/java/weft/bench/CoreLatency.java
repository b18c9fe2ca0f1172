package weft.bench;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How far apart two cores are: two threads pass a counter back and forth through one cache line
 * (each waits, spinning, for the other's increment), and the mean time per round trip is
 * printed, three times. A round trip moves the line from one core's cache to the other's and back.
 *
 * <p>Why: the thread team splits every loop between the cores, so a loop whose input the other
 * core wrote pays one such transfer per 64 bytes it reads. On the 2-core virtual machines this
 * project runs on the figure has differed by machine: about 480 ns on one AMD EPYC (Zen 5), where
 * LightGCN's training step ran no faster at 2 threads than at 1 (docs/performance.md). With both
 * threads on one core's caches it is tens of nanoseconds.
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar weft.bench.CoreLatency [ROUND_TRIPS]
 * </pre>
 * The operating system places the two threads; on a machine with more cores than two the figure
 * is for whichever pair it chose.
 */
public final class CoreLatency {
    private CoreLatency() {}

    public static void main(String[] args) throws InterruptedException {
        long trips = 500_000;
        if (args.length > 1) {
            System.err.println("usage: CoreLatency [ROUND_TRIPS]");
            System.exit(2);
        }
        if (args.length == 1) {
            try {
                trips = Long.parseLong(args[0]);
            } catch (NumberFormatException e) {
                trips = -1;
            }
            if (trips <= 0) {
                System.err.println("CoreLatency: ROUND_TRIPS must be a positive integer, got '" + args[0] + "'");
                System.exit(2);
            }
        }
        AtomicLong line = new AtomicLong();
        final long total = 3 * trips;
        Thread echo = new Thread(() -> {
            for (long i = 1; i <= total; i++) {   // answers odd values with the next even one
                while (line.get() != 2 * i - 1) {
                    Thread.onSpinWait();
                }
                line.set(2 * i);
            }
        }, "weft-core-latency-echo");
        echo.setDaemon(true);
        echo.start();
        System.out.println("processors: " + Runtime.getRuntime().availableProcessors());
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            for (long i = 0; i < trips; i++) {
                long v = line.get();
                line.set(v + 1);
                while (line.get() != v + 2) {
                    Thread.onSpinWait();
                }
            }
            System.out.printf("round trip between the two threads' cores: %.0f ns (mean of %d)%n",
                    (System.nanoTime() - t0) / (double) trips, trips);
        }
        echo.join();
    }
}
