package weft.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import weft.engine.Parallel;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.Adjacency;
import weft.graph.CsrMatrix;
import weft.graph.SpMM;

/**
 * Which inner loop should SpMM use, and how does it scale with threads? One LightGCN layer on an
 * Amazon-Baby-sized graph: A_hat over 19,445 users + 7,050 items with ~118k random interactions
 * (~236k stored entries, both directions), times E [26,495, 64]. Compared in one run: the
 * engine's axpy per entry (the default), a plain per-entry loop left to the JIT, and a
 * 4-entry fused loop.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SpmmBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class SpmmBenchmark {
    static final int USERS = 19_445, ITEMS = 7_050, INTERACTIONS = 118_000, D = 64;

    @Param({"1", "2"})
    public int threads;

    @Param({"BLOCKED", "AXPY", "LOOP", "FUSED4"})
    public SpMM.Inner inner;

    private CsrMatrix adj;
    private Tensor x, y;
    private int previousThreads;

    @Setup(Level.Trial)
    public void setup() {
        previousThreads = Parallel.threads();
        Parallel.setThreads(threads);
        Rng rng = new Rng(42);
        int[] u = new int[INTERACTIONS];
        int[] i = new int[INTERACTIONS];
        for (int j = 0; j < INTERACTIONS; j++) {
            u[j] = rng.nextInt(USERS);
            i[j] = rng.nextInt(ITEMS);
        }
        adj = Adjacency.normalized(Adjacency.interactions(USERS, ITEMS, u, i));
        x = rng.uniform(new Tensor(USERS + ITEMS, D), -1f, 1f);
        y = new Tensor(USERS + ITEMS, D);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(previousThreads);
    }

    @Benchmark
    public Tensor layer() {
        SpMM.multiplyInto(adj, x, y, false, inner);
        return y;
    }
}
