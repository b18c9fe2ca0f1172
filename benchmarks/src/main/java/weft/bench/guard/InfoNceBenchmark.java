package weft.bench.guard;

import java.util.concurrent.TimeUnit;

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
import org.openjdk.jmh.annotations.Warmup;

import weft.autograd.Var;
import weft.autograd.nn.Losses;
import weft.engine.Arena;
import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * InfoNCE at batch 2048, d = 64, forward and backward ({@link Losses#infoNce}: row
 * normalisation, the 2048 x 2048 similarity GEMM, the row-wise cross-entropy, and their
 * gradients to both views), the seed models' alignment term at MMRec's batch size.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class InfoNceBenchmark {
    static final int BATCH = 2048;

    private Var z1, z2;
    private final Arena arena = new Arena();

    @Setup(Level.Trial)
    public void setup() {
        Rng rng = new Rng(9);
        z1 = Var.param(rng.normal(new Tensor(BATCH, Shapes.DIM), 0f, 1f));
        z2 = Var.param(rng.normal(new Tensor(BATCH, Shapes.DIM), 0f, 1f));
    }

    @Benchmark
    public Tensor forwardBackward() {
        try (Arena.Step s = arena.open()) {   // as the Trainer runs a step (ShapeBenchmark says why)
            z1.zeroGrad();
            z2.zeroGrad();
            Var loss = Losses.infoNce(z1, z2, 0.2f);
            loss.backward();
            return z2.grad();
        }
    }
}
