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

import weft.autograd.Ops;
import weft.autograd.Var;
import weft.autograd.nn.Linear;
import weft.autograd.nn.Module;
import weft.autograd.optim.Adam;
import weft.engine.Arena;
import weft.engine.BinaryOp;
import weft.engine.Kernels;
import weft.engine.MatMul;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.engine.UnaryOp;

/**
 * What does the tape cost? One training step of a 2-layer MLP,
 * {@code y = relu(x W1^T + b1) W2^T + b2}, loss {@code mean((y - t)^2)}, batch 2048, width 64:
 *
 * <ul>
 *   <li>{@code step}: zeroGrad, forward and backward through the autograd ops, Adam update, in an
 *       {@code Arena} step as the Trainer runs it;</li>
 *   <li>{@code tapeForwardBackward}: the same without the optimiser;</li>
 *   <li>{@code rawForwardBackward}: the same arithmetic (three GEMMs for the forward and backward
 *       of each layer, bias, relu, loss) written straight on MatMul/Kernels into preallocated
 *       buffers: no graph, no allocation. The gap to {@code tapeForwardBackward} is the tape's
 *       overhead (closures, topological walk, output and gradient tensors: fresh ones in the
 *       first steps, then the previous step's arrays; {@code -Dweft.arena=false} allocates every one).</li>
 * </ul>
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar MlpStepBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class MlpStepBenchmark {
    @Param({"2048"})
    public int batch;

    @Param({"64"})
    public int width;

    private Linear l1, l2;
    private Adam adam;
    private Var x, target;
    private final Arena arena = new Arena();   // as the Trainer runs a step (-Dweft.arena=false: without recycling)

    // raw path: weights and every intermediate, allocated once
    private Tensor w1, b1, w2, b2, h, y, d, dh, gw1, gb1, gw2, gb2;

    @Setup
    public void setup() {
        Rng rng = new Rng(1);
        l1 = new Linear(width, width, rng);
        l2 = new Linear(width, width, rng);
        adam = new Adam(Module.collect(l1, l2), 1e-3f);
        x = Var.constant(rng.normal(new Tensor(batch, width), 0f, 1f));
        target = Var.constant(rng.normal(new Tensor(batch, width), 0f, 1f));
        w1 = l1.weight.value.copy();
        b1 = l1.bias.value.copy();
        w2 = l2.weight.value.copy();
        b2 = l2.bias.value.copy();
        h = new Tensor(batch, width);
        y = new Tensor(batch, width);
        d = new Tensor(batch, width);
        dh = new Tensor(batch, width);
        gw1 = new Tensor(width, width);
        gw2 = new Tensor(width, width);
        gb1 = new Tensor(1, width);
        gb2 = new Tensor(1, width);
    }

    private Var loss() {
        Var out = l2.forward(Ops.relu(l1.forward(x)));
        return Ops.scale(Ops.sumSquares(Ops.sub(out, target)), 1f / (batch * width));
    }

    @Benchmark
    public float step() {
        try (Arena.Step s = arena.open()) {
            adam.zeroGrad();
            Var loss = loss();
            loss.backward();
            adam.step();
            return loss.value.item();
        }
    }

    @Benchmark
    public float tapeForwardBackward() {
        try (Arena.Step s = arena.open()) {
            adam.zeroGrad();
            Var loss = loss();
            loss.backward();
            return loss.value.item();
        }
    }

    @Benchmark
    public float rawForwardBackward() {
        Kernels k = Kernels.get();
        int n = batch * width;
        // forward
        MatMul.matmulInto(x.value, false, w1, true, h, false);
        addBias(k, h, b1);
        k.unary(UnaryOp.RELU, h.data, 0, h.data, 0, n, 0f);
        MatMul.matmulInto(h, false, w2, true, y, false);
        addBias(k, y, b2);
        k.binary(BinaryOp.SUB, y.data, 0, target.value.data, 0, d.data, 0, n);
        float loss = k.sumSquares(d.data, 0, n) / n;
        // backward: dL/dy = 2 d / n
        k.binaryScalar(BinaryOp.MUL, d.data, 0, 2f / n, d.data, 0, n);
        MatMul.matmulInto(d, true, h, false, gw2, false);
        k.sumCols(d.data, 0, batch, width, gb2.data, 0, false);
        MatMul.matmulInto(d, false, w2, false, dh, false);
        k.leakyReluGrad(h.data, 0, dh.data, 0, 0f, dh.data, 0, n, false);   // relu's gradient (h is post-relu: h > 0 iff its input was)
        MatMul.matmulInto(dh, true, x.value, false, gw1, false);
        k.sumCols(dh.data, 0, batch, width, gb1.data, 0, false);
        return loss + gw1.data[0] + gb1.data[0] + gw2.data[0] + gb2.data[0];
    }

    private static void addBias(Kernels k, Tensor t, Tensor bias) {
        for (int r = 0; r < t.rows; r++) k.binary(BinaryOp.ADD, t.data, r * t.cols, bias.data, 0, t.data, r * t.cols, t.cols);
    }
}
