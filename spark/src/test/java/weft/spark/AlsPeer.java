package weft.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import weft.engine.Tensor;
import weft.models.blocks.DotScorer;
import weft.models.data.Dataset;
import weft.models.data.UserItems;
import weft.models.eval.EvalResult;
import weft.models.eval.Evaluator;

/**
 * Spark MLlib's ALS with implicit feedback as a peer of weft's models, under weft's protocol:
 * trained on a dataset's training split (each interaction a preference of 1), its user and item
 * factors scored by weft's {@link Evaluator} (full ranking, training items masked), the
 * configuration chosen on valid Recall@20 (ties: valid NDCG@20, then the earlier), test metrics
 * reported for the chosen one only.
 *
 * <pre>
 *   AlsPeer DATA_DIR RANK MAX_ITER REGS ALPHAS [MASTER]     e.g. ../shared/data/amazon-baby 64 15 0.01,0.1,1 1,10,40 local[2]
 * </pre>
 */
public final class AlsPeer {
    private AlsPeer() {}

    /** One trained configuration: its settings, valid and test metrics and training seconds. */
    public record Trial(double reg, double alpha, EvalResult valid, EvalResult test, double trainSeconds) {}

    public static void main(String[] a) {
        Path dir = Path.of(a[0]);
        int rank = Integer.parseInt(a[1]), iters = Integer.parseInt(a[2]);
        double[] regs = parse(a[3]), alphas = parse(a[4]);
        SparkSession spark = SparkSession.builder().master(a.length > 5 ? a[5] : "local[2]").appName("als-peer")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        Dataset data = Dataset.load(dir);
        List<Trial> trials = grid(spark, data, rank, iters, regs, alphas, System.out);
        Trial best = choose(trials);
        System.out.printf(Locale.ROOT, "chosen on valid: reg %s alpha %s (valid Recall@20 %.4f NDCG@20 %.4f)%n", best.reg(), best.alpha(),
                best.valid().get("Recall@20"), best.valid().get("NDCG@20"));
        System.out.printf(Locale.ROOT, "test: Recall@20 %.4f NDCG@20 %.4f Recall@10 %.4f NDCG@10 %.4f; training %.1f s (%d iterations, %.2f s each)%n",
                best.test().get("Recall@20"), best.test().get("NDCG@20"), best.test().get("Recall@10"), best.test().get("NDCG@10"),
                best.trainSeconds(), iters, best.trainSeconds() / iters);
        spark.stop();
    }

    private static double[] parse(String s) {
        String[] p = s.split(",");
        double[] v = new double[p.length];
        for (int i = 0; i < p.length; i++) v[i] = Double.parseDouble(p[i].trim());
        return v;
    }

    /** Trains every (reg, alpha) and evaluates each on valid and test (test is only printed for the chosen one by {@link #main}). */
    public static List<Trial> grid(SparkSession spark, Dataset data, int rank, int iters, double[] regs, double[] alphas,
                                   java.io.PrintStream log) {
        UserItems train = data.train();
        List<Row> rows = new ArrayList<>(train.size());
        for (int u = 0; u < data.numUsers(); u++) {
            for (int i : train.itemsOf(u)) rows.add(RowFactory.create(u, i, 1f));
        }
        org.apache.spark.sql.Dataset<Row> df = spark.createDataFrame(rows, new StructType().add("u", DataTypes.IntegerType)
                .add("i", DataTypes.IntegerType).add("r", DataTypes.FloatType)).cache();
        df.count();
        Evaluator ev = new Evaluator(data);
        List<Trial> out = new ArrayList<>();
        for (double reg : regs) {
            for (double alpha : alphas) {
                long t0 = System.nanoTime();
                ALSModel m = new ALS().setRank(rank).setMaxIter(iters).setRegParam(reg).setAlpha(alpha).setImplicitPrefs(true)
                        .setUserCol("u").setItemCol("i").setRatingCol("r").setSeed(42L).fit(df);
                Tensor users = factors(m.userFactors(), data.numUsers(), rank);
                Tensor items = factors(m.itemFactors(), data.numItems(), rank);
                double secs = (System.nanoTime() - t0) / 1e9;
                DotScorer sc = DotScorer.of(users, items);
                Trial t = new Trial(reg, alpha, ev.valid(sc), ev.test(sc), secs);
                log.printf(Locale.ROOT, "reg %-5s alpha %-5s valid Recall@20 %.4f NDCG@20 %.4f  train %.1f s%n", reg, alpha,
                        t.valid().get("Recall@20"), t.valid().get("NDCG@20"), secs);
                out.add(t);
            }
        }
        df.unpersist();
        return out;
    }

    /** The trial with the best valid Recall@20, ties by valid NDCG@20, then the earlier. */
    public static Trial choose(List<Trial> trials) {
        Trial best = null;
        for (Trial t : trials) {
            if (best == null || t.valid().get("Recall@20") > best.valid().get("Recall@20")
                    || (t.valid().get("Recall@20") == best.valid().get("Recall@20") && t.valid().get("NDCG@20") > best.valid().get("NDCG@20"))) {
                best = t;
            }
        }
        return best;
    }

    /** Factor rows (id, features) as a [n, rank] table by id; ids without factors (no training data) stay zero. */
    static Tensor factors(org.apache.spark.sql.Dataset<Row> f, int n, int rank) {
        Tensor t = new Tensor(n, rank);
        for (Row r : f.collectAsList()) {
            int id = r.getInt(0);
            List<Object> v = r.getList(1);
            for (int c = 0; c < rank; c++) t.data[id * rank + c] = ((Number) v.get(c)).floatValue();
        }
        return t;
    }
}
