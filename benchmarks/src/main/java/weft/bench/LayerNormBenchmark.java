package weft.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import weft.autograd.NoGrad;
import weft.autograd.Var;
import weft.autograd.nn.LayerNorm;
import weft.engine.Parallel;
import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * One layer normalisation and its backward at HMA-Rec's shape on Last.fm-2K: the 5,700 token rows
 * (1,425 items x 4 tokens) of width 64, gain and shift learned. One thread, so the kernels' own
 * speed is measured; the heap fixed and touched at start, as in {@link AttentionCoreBenchmark}
 * (each call allocates about 4.4 MB of outputs and gradients).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar LayerNormBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class LayerNormBenchmark {
    static final int ROWS = 5700, D = 64;

    private Var x;
    private LayerNorm norm;
    private Tensor grad;

    @Setup
    public void setup() {
        Parallel.setThreads(1);
        Rng rng = new Rng(7);
        x = Var.param(rng.normal(new Tensor(ROWS, D), 0.3f, 1.5f));
        norm = new LayerNorm(D);
        grad = rng.normal(new Tensor(ROWS, D), 0f, 1f);
    }

    @Benchmark
    public Tensor forward() {
        try (NoGrad g = NoGrad.scope()) {
            return norm.forward(x).value;
        }
    }

    @Benchmark
    public Tensor forwardBackward() {
        x.zeroGrad();
        for (Var p : norm.parameters()) p.zeroGrad();
        Var out = norm.forward(x);
        out.backward(grad);
        return x.grad();
    }
}
