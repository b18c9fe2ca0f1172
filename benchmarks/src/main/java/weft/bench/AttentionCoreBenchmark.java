package weft.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import weft.autograd.Attention;
import weft.autograd.NoGrad;
import weft.autograd.Var;
import weft.engine.Parallel;
import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * The attention core alone ({@link Attention#scaledDotProduct}: scores, softmax, contexts, and
 * their backward), without the projections around it, at HMA-Rec's shapes on Last.fm-2K: 1,425
 * items of T = 4 tokens, d = 64 in 4 heads ({@code tk = 4}, self-attention), and the cross
 * attention's 5 keys per item ({@code tk = 5}). One thread, so the kernel's own speed is measured.
 *
 * <p>The heap is fixed and touched at start ({@code -Xms1g -Xmx1g -XX:+AlwaysPreTouch}): each
 * call allocates about 1.8 MB (the contexts and the weights), and without it every iteration
 * paid for first touches of fresh heap pages, so single iterations ranged from 1.2 to 9 ms on
 * the same code (measured with JMH's defaults on JDK 17 and 25; 1.22 ± 0.05 ms with them).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AttentionCoreBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class AttentionCoreBenchmark {
    static final int SEQUENCES = 1425, TQ = 4, D = 64, HEADS = 4;

    @Param({"4", "5"})
    public int tk;

    private Var q, k, v;
    private Tensor grad;

    @Setup
    public void setup() {
        Parallel.setThreads(1);
        Rng rng = new Rng(5);
        q = Var.param(rng.normal(new Tensor(SEQUENCES * TQ, D), 0f, 1f));
        k = Var.param(rng.normal(new Tensor(SEQUENCES * tk, D), 0f, 1f));
        v = Var.param(rng.normal(new Tensor(SEQUENCES * tk, D), 0f, 1f));
        grad = rng.normal(new Tensor(SEQUENCES * TQ, D), 0f, 1f);
    }

    @Benchmark
    public Tensor forward() {
        try (NoGrad g = NoGrad.scope()) {
            return Attention.scaledDotProduct(q, TQ, k, v, tk, HEADS, null).value;
        }
    }

    @Benchmark
    public Tensor forwardBackward() {
        q.zeroGrad();
        k.zeroGrad();
        v.zeroGrad();
        Var out = Attention.scaledDotProduct(q, TQ, k, v, tk, HEADS, null);
        out.backward(grad);
        return q.grad();
    }
}
