package weft.bench;

import java.util.List;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.data.IdMap;
import weft.models.data.UserItems;
import weft.models.serve.Recommendation;
import weft.models.serve.WeftModel;

/**
 * How long does one {@code WeftModel.recommend(user, 20)} take over Amazon Baby's catalogue?
 * 19,445 users, 7,050 items, d = 64, about 6 training items per user (Baby's 118k training
 * pairs), the tables random (the time does not depend on the values): 7,050 dot products of
 * length 64, a masked top-20 selection, and the result list.
 *
 * <p>{@code latency}: sample time (p50, p99 in the JMH output) on one thread; {@code throughput2}:
 * calls per second with two caller threads. Each caller walks the users in its own order.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RecommendBenchmark}; a quick check:
 * {@code ... RecommendBenchmark -wi 1 -i 1 -w 1s -r 1s -f 1}.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx512m"})
public class RecommendBenchmark {
    static final int USERS = 19_445, ITEMS = 7_050, DIM = 64, TRAIN_PER_USER = 6, K = 20;

    WeftModel model;
    String[] ids;

    @Setup(Level.Trial)
    public void setup() {
        Rng rng = new Rng(11);
        Tensor users = rng.normal(new Tensor(USERS, DIM), 0f, 0.1f);
        Tensor items = rng.normal(new Tensor(ITEMS, DIM), 0f, 0.1f);
        int[] u = new int[USERS * TRAIN_PER_USER], i = new int[u.length];
        for (int p = 0; p < u.length; p++) {
            u[p] = p / TRAIN_PER_USER;
            i[p] = rng.nextInt(ITEMS);
        }
        model = WeftModel.of("random", users, items, UserItems.fromPairs(USERS, ITEMS, u, i), IdMap.identity(USERS),
                IdMap.identity(ITEMS));
        ids = new String[USERS];
        for (int k = 0; k < USERS; k++) ids[k] = Integer.toString(k);
    }

    /** A caller's position in the user list. */
    @State(Scope.Thread)
    public static class Caller {
        int next;

        @Setup(Level.Trial)
        public void setup() {
            next = (int) (Thread.currentThread().getId() * 7919 % USERS);
        }

        int user() {
            next = (next + 4_099) % USERS;
            return next;
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public List<Recommendation> latency(Caller c) {
        return model.recommend(ids[c.user()], K);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(2)
    public List<Recommendation> throughput2(Caller c) {
        return model.recommend(ids[c.user()], K);
    }
}
