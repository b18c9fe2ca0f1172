package weft.bench.guard;

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
import org.openjdk.jmh.annotations.Warmup;

import weft.autograd.Var;
import weft.autograd.optim.Adam;
import weft.engine.Arena;
import weft.models.ModelConfig;
import weft.models.Models;
import weft.models.Recommender;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;
import weft.models.train.TrainConfig;

/**
 * One training step as {@code Trainer} runs it (zero the gradients, the batch's loss, backward,
 * Adam step) of each model with its default options (d = 64, 3 layers; HMA-Rec 4 heads and
 * T = 4 tokens) on a generated dataset of the seed models' shapes ({@link Shapes}). The batch is
 * epoch 0's first (2,048 triples), the same one every call: a step's cost is set by the
 * whole-table forward and backward that every batch runs, not by which triples it holds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g", "-XX:+UseParallelGC"})
public class StepBenchmark {
    @Param({"lightgcn", "freedom", "hmarec", "crane", "dprec", "tmfun"})
    public String model;

    @Param({"lastfm", "shortvideo"})
    public String shape;

    private Recommender rec;
    private Adam adam;
    private TrainBatches.Batch batch;
    private final Arena arena = new Arena();

    @Setup(Level.Trial)
    public void setup() {
        Dataset data = Shapes.dataset(shape);
        ModelConfig cfg = new ModelConfig();
        rec = Models.create(model, data, cfg);
        TrainConfig tc = new TrainConfig();
        adam = new Adam(rec.parameters(), tc.lr);
        batch = new TrainBatches(data, tc.batch, cfg.seed).epoch(0).iterator().next();
        rec.startEpoch(0);
    }

    @Benchmark
    public float step() {
        try (Arena.Step s = arena.open()) {   // as the Trainer runs a step (-Dweft.arena=false: without recycling)
            adam.zeroGrad();
            Var loss = rec.loss(batch);
            loss.backward();
            adam.step();
            return loss.value.item();
        }
    }
}
