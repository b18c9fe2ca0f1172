package weft.bench.guard;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import weft.engine.Parallel;

/**
 * The guard's yardstick: a float GEMM 256 x 256 x 256 (C = A B, 16.8M multiply-adds) written
 * here, on the Vector API, split by rows over as many threads as the engine uses. It is frozen:
 * it calls nothing in the engine, so making weft's kernels faster or slower never moves it, and
 * each guarded time divided by it is a number that the machine's speed cancels from. Why a
 * GEMM: what the guarded set spends its time on is mostly float multiply-adds on the same cores
 * and threads (projections, attention, kNN similarities, ranking, and the sparse products that
 * stream L2-sized operands), so a change of clock, turbo or of the load other processes put
 * on the cores moves it and the guarded code alike; a plain array sum would track memory
 * latency and a single thread only. The guard measures it before and after the guarded set and
 * divides by the geometric mean of the two.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class ReferenceBenchmark {
    static final int N = 256;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private float[] a, b, c;
    private int threads;
    private ExecutorService pool;

    @Setup(Level.Trial)
    public void setup() {
        a = new float[N * N];
        b = new float[N * N];
        c = new float[N * N];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
            b[i] = r.nextFloat() - 0.5f;
        }
        threads = Parallel.threads();
        pool = Executors.newFixedThreadPool(threads, t -> {
            Thread th = new Thread(t, "reference");
            th.setDaemon(true);
            return th;
        });
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdownNow();
    }

    @Benchmark
    public float gemm256() throws Exception {
        if (threads == 1) {
            rows(0, N);
        } else {
            Future<?>[] f = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                int lo = N * t / threads, hi = N * (t + 1) / threads;
                f[t] = pool.submit(() -> rows(lo, hi));
            }
            for (Future<?> x : f) x.get();
        }
        return c[0] + c[c.length - 1];
    }

    /** Rows [lo, hi) of C: four rows at a time, one vector of columns per step, over all of k. */
    private void rows(int lo, int hi) {
        int len = S.length();
        int i = lo;
        for (; i + 4 <= hi; i += 4) {
            for (int j = 0; j < N; j += len) {
                FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
                for (int k = 0; k < N; k++) {
                    FloatVector bv = FloatVector.fromArray(S, b, k * N + j);
                    c0 = FloatVector.broadcast(S, a[i * N + k]).fma(bv, c0);
                    c1 = FloatVector.broadcast(S, a[(i + 1) * N + k]).fma(bv, c1);
                    c2 = FloatVector.broadcast(S, a[(i + 2) * N + k]).fma(bv, c2);
                    c3 = FloatVector.broadcast(S, a[(i + 3) * N + k]).fma(bv, c3);
                }
                c0.intoArray(c, i * N + j);
                c1.intoArray(c, (i + 1) * N + j);
                c2.intoArray(c, (i + 2) * N + j);
                c3.intoArray(c, (i + 3) * N + j);
            }
        }
        for (; i < hi; i++) {
            for (int j = 0; j < N; j += len) {
                FloatVector acc = FloatVector.zero(S);
                for (int k = 0; k < N; k++) {
                    acc = FloatVector.broadcast(S, a[i * N + k]).fma(FloatVector.fromArray(S, b, k * N + j), acc);
                }
                acc.intoArray(c, i * N + j);
            }
        }
    }
}
