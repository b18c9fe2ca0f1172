package weft.bench;

import java.util.concurrent.TimeUnit;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;
import org.openjdk.jmh.annotations.AuxCounters;
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
import weft.engine.KernelProvider;
import weft.engine.Kernels;
import weft.engine.Parallel;
import weft.engine.Rng;

/**
 * How fast is our GEMM, against EJML, on the products the models run? Each {@code shape} is
 * {@code MxKxN:FORM}: C is M x N, the inner dimension is K, FORM is NN ({@code A B}), TN
 * ({@code A^T B}, A stored K x M) or NT ({@code A B^T}, B stored N x K), as in
 * {@link Kernels#gemm}. The shapes are the forward products of the models (n = 64 projections
 * of 64-, 384- and 4096-dimensional features), their weight gradients (TN, k = the batch or item
 * count), their input gradients and the user x item score matrix (NT, k = 64), and 1024^3.
 *
 * <p>{@code impl}: panama ({@code PanamaGemm}), scalar ({@code ScalarGemm}), ejml
 * ({@code CommonOps_FDRM.mult / multTransA / multTransB} on one thread, and EJML's
 * multithreaded {@code CommonOps_MT_FDRM} with {@code EjmlConcurrency.setMaxThreads(threads)}
 * when {@code threads} &gt; 1). {@code threads} is the size of weft's pool ({@link Parallel}).
 *
 * <p>Read the {@code GemmBenchmark.gemm:gflops} rows: that secondary metric counts 2 M N K
 * floating-point operations per call, so in ops/ns it is GFLOP/s. Run, e.g.
 * {@code java -jar benchmarks/target/benchmarks.jar GemmBenchmark -p shape=1024x1024x1024:NN -p threads=1,2}.
 * (PyTorch's figure for the same product: {@code benchmarks/pytorch/gemm_bench.py}.)
 *
 * <p>Products with at most 128 rows of C and a long k (the weight gradients, TN) take the k blocks
 * as their parallel tasks at 2 threads or more; to measure the row split they had before, add
 * {@code -jvmArgsAppend "--add-modules=jdk.incubator.vector -Xmx6g -Dweft.gemm.kBlockTasks=false"}. With
 * 512-bit vectors the TN products with 6 to 512 rows of C and n a multiple of 4 vectors read A and
 * B in place instead ({@code GemmDriver.transposedBlocks}); {@code -Dweft.gemm.transposedBlocks=false}
 * measures the packed paths there.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class GemmBenchmark {
    @Param({
        "1024x1024x1024:NN",
        "2048x64x64:NN", "64x2048x64:TN",
        "1425x384x64:NN", "384x1425x64:TN", "1425x64x384:NT",
        "7050x4096x64:NN", "4096x7050x64:TN", "7050x64x4096:NT",
        "2048x64x7050:NT",
    })
    public String shape;

    @Param({"panama", "scalar", "ejml"})
    public String impl;

    @Param({"1", "2"})
    public int threads;

    private int m, n, k;
    private boolean transA, transB;
    private float[] a, b, c;
    private Kernels kernels;
    private FMatrixRMaj ea, eb, ec;

    /** Floating-point operations done, reported per unit of time (ops/ns = GFLOP/s). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public long gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gflops = 0;
        }
    }

    @Setup
    public void setup() {
        String[] dims = shape.split(":")[0].split("x");
        String form = shape.split(":")[1];
        m = Integer.parseInt(dims[0]);
        k = Integer.parseInt(dims[1]);
        n = Integer.parseInt(dims[2]);
        transA = form.charAt(0) == 'T';
        transB = form.charAt(1) == 'T';
        Rng rng = new Rng(7);
        a = fill(rng, m * k);
        b = fill(rng, k * n);
        c = new float[m * n];
        Parallel.setThreads(threads);
        switch (impl) {
            case "panama" -> {
                kernels = KernelProvider.panamaOrNull();
                if (kernels == null) {
                    throw new IllegalStateException("impl=panama needs --add-modules jdk.incubator.vector");
                }
            }
            case "scalar" -> kernels = KernelProvider.scalar();
            case "ejml" -> {
                // EJML's row-major matrices wrap copies of the same data, stored as the form says.
                ea = transA ? FMatrixRMaj.wrap(k, m, a) : FMatrixRMaj.wrap(m, k, a);
                eb = transB ? FMatrixRMaj.wrap(n, k, b) : FMatrixRMaj.wrap(k, n, b);
                ec = FMatrixRMaj.wrap(m, n, c);
                EjmlConcurrency.setMaxThreads(threads);
            }
            default -> throw new IllegalArgumentException("impl must be panama, scalar or ejml: " + impl);
        }
    }

    @TearDown
    public void tearDown() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    private static float[] fill(Rng rng, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = 2 * rng.nextFloat() - 1;
        }
        return x;
    }

    @Benchmark
    public float[] gemm(Flops flops) {
        if (ea != null) {
            ejml();
        } else {
            kernels.gemm(transA, transB, m, n, k, a, 0, transA ? m : k, b, 0, transB ? k : n, c, 0, n, false);
        }
        flops.gflops += 2L * m * n * k;
        return c;
    }

    private void ejml() {
        boolean mt = threads > 1;
        if (transA && transB) {
            throw new IllegalArgumentException("TT not benchmarked");
        } else if (transA) {
            if (mt) CommonOps_MT_FDRM.multTransA(ea, eb, ec); else CommonOps_FDRM.multTransA(ea, eb, ec);
        } else if (transB) {
            if (mt) CommonOps_MT_FDRM.multTransB(ea, eb, ec); else CommonOps_FDRM.multTransB(ea, eb, ec);
        } else {
            if (mt) CommonOps_MT_FDRM.mult(ea, eb, ec); else CommonOps_FDRM.mult(ea, eb, ec);
        }
    }
}
