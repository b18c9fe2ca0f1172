package weft.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import weft.engine.Tensor;
import weft.models.cli.Args;
import weft.models.data.DataFormatException;
import weft.models.data.IdMap;
import weft.models.data.Npy;
import weft.models.eval.EvalResult;

/**
 * {@code weft-spark}, the command line of {@link WeftSpark} (a {@code spark-submit} main class):
 *
 * <pre>
 *   recommend --model DIR --users PATH --out PATH [--k 20] [--include-seen] [--skip-unknown] [--user-column NAME]
 *       top-k per user, training items excluded; PATH: Parquet (a .parquet file or a folder), .csv or .tsv with a
 *       header, or a text file of one id per line (an optional first line userID); writes Parquet
 *       (userId, rank, itemId, score) to a temporary folder beside PATH, then renames it to PATH
 *   evaluate --model DIR (--split test|valid | --truth PATH) [--ks 5,10,20,50] [--user-column U] [--item-column I]
 *       full-ranking metrics, as the single-JVM evaluator computes them
 *   knn --features X.npy --k 10 --out graph.tsv [--item-ids FILE] [--block ITEMS]
 *       the item-item kNN graph (cosine, self included) as the TSV --item-graph reads
 * </pre>
 *
 * The master comes from {@code spark-submit} (or {@code spark.master}); without one, {@code local[*]}.
 * Exit codes: 0 done, 1 bad data or failure, 2 bad usage or an unknown id.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int rc = run(args, System.out, System.err);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    static String usage() {
        return String.join("\n",
                "usage: weft-spark recommend --model DIR --users PATH --out PATH [--k 20] [--include-seen] [--skip-unknown] [--user-column NAME]",
                "       weft-spark evaluate --model DIR (--split test|valid | --truth PATH) [--ks 5,10,20,50] [--user-column U] [--item-column I]",
                "       weft-spark knn --features X.npy --k 10 --out graph.tsv [--item-ids FILE] [--block ITEMS]");
    }

    /** Runs one command in the session {@link #session} gives; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
            (args.length == 0 ? err : out).println(usage());
            return args.length == 0 ? 2 : 0;
        }
        try {
            switch (args[0]) {
                case "recommend":
                    return recommend(args, out);
                case "evaluate":
                    return evaluate(args, out);
                case "knn":
                    return knn(args, out);
                default:
                    throw new Args.UsageException("unknown command '" + args[0] + "'");
            }
        } catch (Args.UsageException e) {
            err.println("weft-spark " + args[0] + ": " + e.getMessage());
            err.println(usage());
            return 2;
        } catch (RuntimeException e) {
            return failure(args[0], e, err);
        }
    }

    /** One line for a failure: the weft error inside Spark's wrapping if there is one, never a stack trace. */
    static int failure(String cmd, Throwable e, PrintStream err) {
        Throwable t = e;
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof DataFormatException || c instanceof IllegalArgumentException || c instanceof UncheckedIOException) {
                t = c;
                break;
            }
        }
        String msg = t instanceof UncheckedIOException u && u.getCause() != null ? u.getMessage() : t.getMessage();
        if (t == e && !(e instanceof IllegalArgumentException) && !(e instanceof DataFormatException)) {
            msg = e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
        }
        err.println("weft-spark " + cmd + ": " + firstLine(msg));
        boolean unknownId = msg != null && msg.startsWith("unknown ");
        return unknownId ? 2 : 1;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The active session, or a new one ({@code local[*]} when no master is configured). */
    static SparkSession session(String app) {
        SparkSession.Builder b = SparkSession.builder().appName(app);
        if (System.getProperty("spark.master") == null && !SparkSession.getActiveSession().isDefined()) {
            b = b.master("local[*]");
        }
        return b.getOrCreate();
    }

    private static int recommend(String[] argv, PrintStream out) {
        Args a = new Args().valued("model", "users", "out", "k", "user-column").switches("include-seen", "skip-unknown").parse(argv, 1);
        for (String f : List.of("model", "users", "out")) {
            if (!a.has(f)) throw new Args.UsageException("--" + f + " is required");
        }
        int k = a.integer("k", 20, 1);
        Path model = Path.of(a.string("model", null));
        String usersPath = a.string("users", null), outPath = a.string("out", null);
        SparkSession spark = session("weft-spark recommend");
        Output target = Output.check(spark, outPath);
        Dataset<Row> users = Inputs.read(spark, usersPath, "users");
        WeftSpark.RecommendOptions opts = WeftSpark.RecommendOptions.defaults().userColumn(a.string("user-column", null))
                .includeSeen(a.has("include-seen")).skipUnknown(a.has("skip-unknown"));
        long t0 = System.nanoTime();
        Dataset<Row> recs = WeftSpark.recommend(spark, model, users, k, opts);
        target.write(recs);
        double s = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "recommendations (top %d) written to %s in %.1f s%n", k, outPath, s);
        return 0;
    }

    private static int evaluate(String[] argv, PrintStream out) {
        Args a = new Args().valued("model", "split", "truth", "ks", "user-column", "item-column").parse(argv, 1);
        if (!a.has("model")) throw new Args.UsageException("--model is required");
        if (a.has("split") == a.has("truth")) throw new Args.UsageException("give one of --split test|valid and --truth PATH");
        int[] ks = weft.models.eval.Evaluator.DEFAULT_KS;
        if (a.has("ks")) {
            List<Integer> l = new ArrayList<>();
            for (String s : a.string("ks", "").split(",")) {
                try {
                    l.add(Integer.parseInt(s.trim()));
                } catch (NumberFormatException e) {
                    throw new Args.UsageException("--ks takes comma-separated integers, e.g. 10,20; got '" + a.string("ks", "") + "'");
                }
            }
            ks = l.stream().mapToInt(Integer::intValue).toArray();
        }
        SparkSession spark = session("weft-spark evaluate");
        Path model = Path.of(a.string("model", null));
        EvalResult r = a.has("split") ? WeftSpark.evaluateSplit(spark, model, a.string("split", null), ks)
                : WeftSpark.evaluate(spark, model, Inputs.read(spark, a.string("truth", null), "ground truth"), a.string("user-column", null),
                        a.string("item-column", null), ks);
        out.println(r.users() + " users evaluated");
        out.print(r.toTable());
        out.println(r.toJson());
        return 0;
    }

    private static int knn(String[] argv, PrintStream out) {
        Args a = new Args().valued("features", "k", "out", "item-ids", "block").parse(argv, 1);
        for (String f : List.of("features", "out")) {
            if (!a.has(f)) throw new Args.UsageException("--" + f + " is required");
        }
        int k = a.integer("k", 10, 1);
        int block = a.integer("block", 0, 0);
        Path outFile = Path.of(a.string("out", null));
        if (Files.isDirectory(outFile)) {
            throw new IllegalArgumentException("'" + outFile + "' is a folder; --out names the graph's .tsv file");
        }
        Tensor x = Npy.read(Path.of(a.string("features", null)));
        IdMap ids = IdMap.identity(x.rows);
        if (a.has("item-ids")) {
            Path f = Path.of(a.string("item-ids", null));
            List<String> lines = readIds(f);
            if (lines.size() != x.rows) {
                throw DataFormatException.inFile(f, "holds " + lines.size() + " ids, the features have " + x.rows + " rows");
            }
            try {
                ids = IdMap.of(lines);
            } catch (IllegalArgumentException e) {
                throw DataFormatException.inFile(f, e.getMessage());
            }
        }
        SparkSession spark = session("weft-spark knn");
        long t0 = System.nanoTime();
        WeftSpark.writeItemGraph(WeftSpark.knnGraph(spark, x, k, block), ids, outFile);
        out.printf(Locale.ROOT, "kNN graph (k = %d, %d items) written to %s in %.1f s%n", k, x.rows, outFile, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** One raw id per line (line i names row i), as item_ids.txt; a trailing empty line is ignored. */
    static List<String> readIds(Path f) {
        List<String> lines;
        try {
            lines = new ArrayList<>(Files.readAllLines(f, java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.nio.file.NoSuchFileException e) {
            throw DataFormatException.inFile(f, "no such file");
        } catch (IOException e) {
            throw DataFormatException.inFile(f, "cannot be read: " + e.getMessage());
        }
        for (int i = 0; i < lines.size(); i++) {
            String id = lines.get(i).strip();
            if (id.isEmpty() || id.indexOf('\t') >= 0) {
                throw DataFormatException.at(f, i + 1, 1, id.isEmpty() ? "empty id" : "an id may not hold a tab");
            }
            lines.set(i, id);
        }
        return lines;
    }

    /** Reading the inputs by their form. */
    static final class Inputs {
        private Inputs() {}

        /**
         * A Parquet file or folder, a .csv / .tsv / .inter file with a header, or a text file of
         * one id per line (blank lines and a first-line header userID / user_id left out).
         */
        static Dataset<Row> read(SparkSession spark, String path, String what) {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            FileSystem fs;
            boolean dir;
            try {
                fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
                if (!fs.exists(p)) {
                    throw new IllegalArgumentException(path + ": no such file or folder (the " + what + ")");
                }
                dir = fs.getFileStatus(p).isDirectory();
            } catch (IOException e) {
                throw new UncheckedIOException(path + ": " + e.getMessage(), e);
            }
            String name = p.getName().toLowerCase(Locale.ROOT);
            if (dir || name.endsWith(".parquet")) {
                return spark.read().parquet(path);
            }
            if (name.endsWith(".csv")) {
                return spark.read().option("header", "true").option("mode", "FAILFAST").csv(path);
            }
            if (name.endsWith(".tsv") || name.endsWith(".inter")) {
                return spark.read().option("header", "true").option("sep", "\t").option("mode", "FAILFAST").csv(path);
            }
            Dataset<Row> lines = spark.read().text(path);
            return lines.select(org.apache.spark.sql.functions.trim(lines.col("value")).as("userId"))
                    .filter("userId <> '' AND lower(userId) NOT IN ('userid', 'user_id', 'userid:token')");
        }
    }

    /** A Parquet output folder, written beside its final path and renamed into place. */
    static final class Output {
        private final FileSystem fs;
        private final org.apache.hadoop.fs.Path target;

        private Output(FileSystem fs, org.apache.hadoop.fs.Path target) {
            this.fs = fs;
            this.target = target;
        }

        /** Checks before any work that {@code path} is new or an earlier Parquet output (a folder with _SUCCESS). */
        static Output check(SparkSession spark, String path) {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            try {
                FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
                if (fs.exists(p)) {
                    if (!fs.getFileStatus(p).isDirectory()) {
                        throw new IllegalArgumentException(path + " is a file; the output is a Parquet folder (give a new path)");
                    }
                    if (!fs.exists(new org.apache.hadoop.fs.Path(p, "_SUCCESS")) && fs.listStatus(p).length > 0) {
                        throw new IllegalArgumentException(path + " is a folder that holds other files and no _SUCCESS; give a new path "
                                + "or an earlier output to replace");
                    }
                }
                return new Output(fs, fs.makeQualified(p));
            } catch (IOException e) {
                throw new UncheckedIOException(path + ": " + e.getMessage(), e);
            }
        }

        /** Writes {@code ds} to a hidden temporary folder beside the target, then renames it into place. */
        void write(Dataset<Row> ds) {
            org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
            ds.write().mode(SaveMode.ErrorIfExists).parquet(tmp.toString());
            try {
                org.apache.hadoop.fs.Path old = null;
                if (fs.exists(target)) {
                    old = new org.apache.hadoop.fs.Path(target.getParent(), "." + target.getName() + ".old-" + UUID.randomUUID());
                    if (!fs.rename(target, old)) throw new IOException("cannot move the earlier output aside");
                }
                if (!fs.rename(tmp, target)) {
                    throw new IOException("cannot rename " + tmp + " to " + target);
                }
                if (old != null) {
                    fs.delete(old, true);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(target + ": " + e.getMessage(), e);
            }
        }
    }
}
