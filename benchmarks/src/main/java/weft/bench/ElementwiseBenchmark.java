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
import org.openjdk.jmh.infra.Blackhole;
import weft.engine.KernelProvider;
import weft.engine.Kernels;
import weft.engine.Rng;
import weft.engine.UnaryOp;

/**
 * Does the Vector API pay for the non-GEMM kernels? Each kernel on both providers in the same
 * run ({@code impl}), at the sizes a training step uses: a batch of 2048 rows of 64-dimensional
 * embeddings (softmax over attention scores, L2 normalisation for contrastive losses, gathering
 * embedding rows), and a 64k-float parameter block for axpy / exp / log-sigmoid (optimiser
 * updates, BPR loss).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ElementwiseBenchmark}.
 * Iterations are short (1 s) because these kernels take microseconds; pass -w / -r to change.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class ElementwiseBenchmark {
    @Param({"panama", "scalar"})
    public String impl;

    static final int N = 1 << 16;
    static final int ROWS = 2048, COLS = 64, TABLE_ROWS = 20_000;

    private Kernels k;
    private float[] x, y, out, scores, scoresOut, table, gathered, norms;
    private int[] idx;

    @Setup
    public void setup() {
        k = impl.equals("scalar") ? KernelProvider.scalar() : KernelProvider.panamaOrNull();
        if (k == null) {
            throw new IllegalStateException("impl=panama needs --add-modules jdk.incubator.vector");
        }
        Rng rng = new Rng(1);
        x = fill(rng, N, 4f);
        y = fill(rng, N, 1f);
        out = new float[N];
        scores = fill(rng, ROWS * COLS, 6f);
        scoresOut = new float[ROWS * COLS];
        table = fill(rng, TABLE_ROWS * COLS, 1f);
        gathered = new float[ROWS * COLS];
        norms = new float[ROWS];
        idx = new int[ROWS];
        for (int i = 0; i < ROWS; i++) idx[i] = rng.nextInt(TABLE_ROWS);
    }

    private static float[] fill(Rng rng, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = scale * (2 * rng.nextFloat() - 1);
        return a;
    }

    @Benchmark
    public float[] axpy() {
        // Alternating sign keeps y bounded over billions of calls.
        k.axpy(1e-3f, x, 0, y, 0, N);
        k.axpy(-1e-3f, x, 0, y, 0, N);
        return y;
    }

    @Benchmark
    public float[] exp() {
        k.unary(UnaryOp.EXP, x, 0, out, 0, N, 0f);
        return out;
    }

    @Benchmark
    public float[] logSigmoid() {
        k.unary(UnaryOp.LOG_SIGMOID, x, 0, out, 0, N, 0f);
        return out;
    }

    @Benchmark
    public float[] rowSoftmax() {
        k.rowSoftmax(scores, 0, ROWS, COLS, scoresOut, 0);
        return scoresOut;
    }

    @Benchmark
    public void rowL2Normalize(Blackhole bh) {
        k.rowL2Normalize(scores, 0, ROWS, COLS, 1e-12f, scoresOut, 0, norms, 0);
        bh.consume(scoresOut);
        bh.consume(norms);
    }

    @Benchmark
    public float[] gatherRows() {
        k.gatherRows(table, 0, COLS, idx, 0, ROWS, gathered, 0);
        return gathered;
    }
}
