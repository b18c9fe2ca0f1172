package weft.spark;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;

import weft.engine.MatMul;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.models.BprMf;
import weft.models.ModelConfig;
import weft.models.Recommender;
import weft.models.data.Dataset;
import weft.models.data.Split;
import weft.models.data.UserItems;
import weft.models.eval.TopK;
import weft.models.io.ModelDir;
import weft.models.options.Options;
import weft.models.train.TrainConfig;

/**
 * The scale run's tools (a program, not a test):
 * <pre>
 *   model DIR USERS ITEMS TRAIN_PER_USER SEED   a model folder of an untrained BPR-MF (its seeded Xavier-normal
 *                                               tables, d = 64) over USERS x ITEMS with TRAIN_PER_USER random
 *                                               training items per user (and one valid, one test), saved by ModelDir
 *   users FILE N                                ids 0..N-1, one per line, with a userID header
 *   gemm DIR N K                                single-JVM baseline with Spark's arithmetic: the first N users in
 *                                               blocks, one GEMM per block, TopK with the training mask, on weft's
 *                                               own threads (-Dscale.threads, default 2; run with -Dweft.threads=1,
 *                                               as a Spark task runs); prints users/s
 * </pre>
 */
public final class ScaleRun {
    private ScaleRun() {}

    public static void main(String[] a) throws Exception {
        switch (a[0]) {
            case "model" -> model(Path.of(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]), Long.parseLong(a[5]));
            case "users" -> {
                int n = Integer.parseInt(a[2]);
                try (BufferedWriter w = Files.newBufferedWriter(Path.of(a[1]), StandardCharsets.UTF_8)) {
                    w.write("userID\n");
                    for (int u = 0; u < n; u++) {
                        w.write(Integer.toString(u));
                        w.write('\n');
                    }
                }
            }
            case "gemm" -> gemm(Path.of(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]));
            default -> throw new IllegalArgumentException("model | users | gemm");
        }
    }

    static void model(Path dir, int users, int items, int perUser, long seed) {
        long t0 = System.nanoTime();
        Rng rng = new Rng(seed);
        int n = users * perUser;
        int[] tu = new int[n], ti = new int[n], vu = new int[users], vi = new int[users], su = new int[users], si = new int[users];
        for (int u = 0, w = 0; u < users; u++) {
            for (int j = 0; j < perUser + 2; j++) {
                int i = rng.nextInt(items);
                if (j < perUser) {
                    tu[w] = u;
                    ti[w++] = i;
                } else if (j == perUser) {
                    vu[u] = u;
                    vi[u] = i;
                } else {
                    su[u] = u;
                    si[u] = i;
                }
            }
        }
        // A pair in train and valid/test is refused by the dataset: move such valid/test items one along.
        UserItems train = UserItems.fromPairs(users, items, tu, ti);
        for (int u = 0; u < users; u++) {
            while (train.contains(u, vi[u])) vi[u] = (vi[u] + 1) % items;
            while (train.contains(u, si[u]) || si[u] == vi[u]) si[u] = (si[u] + 1) % items;
        }
        Dataset data = new Dataset("scale-" + users + "x" + items, new Split(train, UserItems.fromPairs(users, items, vu, vi),
                UserItems.fromPairs(users, items, su, si)), new LinkedHashMap<>());
        ModelConfig mc = BprMf.SPEC.config();
        mc.seed = seed;
        Recommender rec = BprMf.SPEC.create(data, mc, Options.defaults());
        ModelDir.save(dir, BprMf.SPEC, mc, Options.defaults(), new TrainConfig(), rec, data, null);
        System.out.printf(Locale.ROOT, "model %s: %d users x %d items, d = %d, %d training pairs, written in %.1f s%n", dir, users, items,
                mc.dim, train.size(), (System.nanoTime() - t0) / 1e9);
    }

    static void gemm(Path dir, int nUsers, int k) {
        long t0 = System.nanoTime();
        ModelDir md = ModelDir.open(dir);
        ModelDir.Embeddings e = md.embeddings();
        UserItems train = md.train();
        long t1 = System.nanoTime();
        int items = md.numItems();
        int bs = Math.max(1, Math.min(1024, WeftSpark.BLOCK_FLOATS / items));
        int threads = Integer.getInteger("scale.threads", 2); // run with -Dweft.threads=1: each thread runs its own GEMMs
        long[] checksum = new long[threads];
        // Blocks of users per thread, each scored by one GEMM on the calling thread (as a Spark task does).
        int nBlocks = (nUsers + bs - 1) / bs;
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                Tensor s = new Tensor(bs, items);
                TopK topk = new TopK(k);
                int[] best = new int[k];
                for (int b; (b = next.getAndIncrement()) < nBlocks; ) {
                    int from = b * bs, cnt = Math.min(bs, nUsers - from);
                    Tensor sb = s.rowBlock(0, cnt);
                    MatMul.matmulInto(e.users().rowBlock(from, cnt), false, e.items(), true, sb, false);
                    for (int j = 0; j < cnt; j++) {
                        int got = topk.select(sb.data, j * items, items, train, from + j, best);
                        checksum[id] += best[0] + got;
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
        }
        double load = (t1 - t0) / 1e9, score = (System.nanoTime() - t1) / 1e9;
        System.out.printf(Locale.ROOT, "gemm baseline: %d users x %d items, k = %d, %d threads: load %.1f s, scoring %.1f s, %.0f users/s%n",
                nUsers, items, k, threads, load, score, nUsers / score);
    }
}
