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
import weft.graph.CsrMatrix;
import weft.graph.KnnGraph;

/**
 * How long does building a frozen modality graph take? FREEDOM's kNN graph (k = 10, cosine) for
 * 7,050 items with 4,096-dimensional image features (Amazon Baby's size): 7,050^2 x 4,096
 * multiply-adds of blockwise GEMM (~204 G, so GEMM throughput decides) plus a top-10 scan of
 * 50M similarities. Single-shot: one build is seconds, and it happens once per run.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar KnnBenchmark}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
public class KnnBenchmark {
    static final int ITEMS = 7_050, FEATURES = 4_096, K = 10;

    @Param({"1", "2"})
    public int threads;

    private Tensor features;
    private int previousThreads;

    @Setup(Level.Trial)
    public void setup() {
        previousThreads = Parallel.threads();
        Parallel.setThreads(threads);
        features = new Rng(7).uniform(new Tensor(ITEMS, FEATURES), 0f, 1f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(previousThreads);
    }

    @Benchmark
    public CsrMatrix build() {
        return KnnGraph.build(features, K, KnnGraph.Weights.ONE_OVER_K);
    }
}
