package weft.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import weft.engine.MatMul;
import weft.engine.Tensor;
import weft.models.data.AtomicFiles;
import weft.models.data.IdMap;
import weft.models.data.UserItems;
import weft.models.eval.EvalResult;
import weft.models.eval.Evaluator;
import weft.models.eval.ExactSum;
import weft.models.eval.Metric;
import weft.models.eval.TopK;
import weft.models.io.ModelDir;
import weft.models.io.SafeTensors;

/**
 * weft on Apache Spark: batch top-k recommendation and full-ranking evaluation of a saved model
 * folder ({@code weft train --save DIR}, {@link ModelDir}) over users given as a distributed
 * input, and the item-item kNN graph of feature vectors, computed block pair by block pair.
 *
 * <ul>
 *   <li>The item side (the final item table and the raw item ids) is broadcast once.</li>
 *   <li>Users are scored per partition in blocks: their rows of the user table are read from the
 *       model folder by positional reads, one GEMM ({@link MatMul}) scores a block against every
 *       item, and {@link TopK} selects each user's best items with the user's training items
 *       masked, ties to the lower item index: the same arithmetic as the single-JVM evaluator, so
 *       the same scores and rankings to the bit.</li>
 *   <li>The training items come from the model folder's interactions, read as a distributed
 *       dataset (slices of {@code data.safetensors}) and joined to the users, or from interactions
 *       given as a dataset of raw ids.</li>
 *   <li>Raw ids pass through: users are named as in the input, items by their raw ids.</li>
 * </ul>
 *
 * The model folder must be readable at the same path by the driver and every executor (a shared
 * mount, or a copy at the same path on each node).
 */
public final class WeftSpark {
    private WeftSpark() {}

    /** Schema of {@link #recommend}'s result. */
    public static final StructType RECOMMENDATIONS = new StructType(new StructField[] {
            DataTypes.createStructField("userId", DataTypes.StringType, false),
            DataTypes.createStructField("rank", DataTypes.IntegerType, false),
            DataTypes.createStructField("itemId", DataTypes.StringType, false),
            DataTypes.createStructField("score", DataTypes.FloatType, false)});

    /** Schema of {@link #knnGraph}'s result: dense item indices (row i of the features is item i) and the cosine similarity. */
    public static final StructType GRAPH = new StructType(new StructField[] {
            DataTypes.createStructField("item", DataTypes.IntegerType, false),
            DataTypes.createStructField("neighbor", DataTypes.IntegerType, false),
            DataTypes.createStructField("similarity", DataTypes.FloatType, false)});

    /** Score-buffer budget per block of users (floats), as the single-JVM evaluator: 32 MB whatever the catalogue. */
    static final int BLOCK_FLOATS = 1 << 23;

    /** How {@link #recommend} treats its users. */
    public static final class RecommendOptions implements Serializable {
        private static final long serialVersionUID = 1L;
        String userColumn;
        boolean includeSeen;
        boolean skipUnknown;
        transient Dataset<Row> interactions;
        String interactionUserColumn, interactionItemColumn;

        public static RecommendOptions defaults() {
            return new RecommendOptions();
        }

        /** The users' id column (default: the only column, or one named userId / userID / user_id). */
        public RecommendOptions userColumn(String name) {
            this.userColumn = name;
            return this;
        }

        /** Keep each user's training items in the ranking (default: excluded). */
        public RecommendOptions includeSeen(boolean v) {
            this.includeSeen = v;
            return this;
        }

        /** Drop users the model does not know instead of failing on the first. */
        public RecommendOptions skipUnknown(boolean v) {
            this.skipUnknown = v;
            return this;
        }

        /**
         * Exclude these (user, item) interactions, raw ids, instead of the model folder's training
         * interactions. Columns: {@code userCol} and {@code itemCol} (null: userId/userID/user_id and
         * itemId/itemID/item_id). Users the model does not know are ignored; an unknown item is an error.
         */
        public RecommendOptions exclude(Dataset<Row> interactions, String userCol, String itemCol) {
            this.interactions = interactions;
            this.interactionUserColumn = userCol;
            this.interactionItemColumn = itemCol;
            return this;
        }
    }

    // ------------------------------------------------------------------ recommend

    /** The top {@code k} items of every user in {@code users}, training items excluded: rows (userId, rank, itemId, score). */
    public static Dataset<Row> recommend(SparkSession spark, Path modelDir, Dataset<Row> users, int k) {
        return recommend(spark, modelDir, users, k, RecommendOptions.defaults());
    }

    /**
     * The top {@code k} items of every user in {@code users}: rows (userId, rank, itemId, score),
     * rank 1 the best; a user listed twice is answered twice. The model folder is verified here;
     * an unknown user fails here, on the driver, naming it (unless {@code skipUnknown}).
     */
    public static Dataset<Row> recommend(SparkSession spark, Path modelDir, Dataset<Row> users, int k, RecommendOptions opts) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        ModelDir md = ModelDir.open(modelDir);
        ModelFiles mf = ModelFiles.of(md);
        Broadcast<ItemSide> items = broadcastItems(spark, md);
        String ucol = Columns.pick(users, opts.userColumn, "users", "userId", "userID", "user_id");
        Dataset<Row> indexed = indexUsers(spark, md, mf, users.select(col(ucol).cast("string").as("userId")));
        checkKnown(indexed, md, opts.skipUnknown, "user", "users");
        indexed = indexed.filter(col("uidx").geq(0));
        Dataset<Row> withSeen;
        if (opts.includeSeen) {
            withSeen = indexed.withColumn("seen", org.apache.spark.sql.functions.lit(null).cast("array<int>"));
        } else {
            Dataset<Row> seen = opts.interactions != null ? interactionsOf(spark, md, mf, items, opts) : pairs(spark, md, "train");
            withSeen = indexed.join(grouped(seen, "seen"), indexed.col("uidx").equalTo(col("u")), "left").drop("u");
        }
        // An explicit partition count: after the join, adaptive execution would coalesce the (small) user rows into
        // a few partitions, and the scoring, which is where the time goes, would run on a few cores.
        return withSeen.select("userId", "uidx", "seen").repartition(scoringPartitions(spark))
                .mapPartitions(new Recommend(mf, items, k), Encoders.row(RECOMMENDATIONS));
    }

    /** Partitions of the scoring stage: four per task slot, for balance ({@code spark.default.parallelism} sets the slots). */
    static int scoringPartitions(SparkSession spark) {
        return Math.max(1, 4 * spark.sparkContext().defaultParallelism());
    }

    /** The final item table and raw item ids, shipped once to every executor. */
    static final class ItemSide implements Serializable {
        private static final long serialVersionUID = 1L;
        final float[] items;
        final int numItems, dim;
        /** null for integer ids. */
        final String[] raw;

        ItemSide(float[] items, int numItems, int dim, String[] raw) {
            this.items = items;
            this.numItems = numItems;
            this.dim = dim;
            this.raw = raw;
        }

        String id(int i) {
            return raw == null ? Integer.toString(i) : raw[i];
        }

        Tensor table() {
            return new Tensor(items, 0, numItems, dim);
        }

        int blockUsers() {
            return Math.max(1, Math.min(1024, BLOCK_FLOATS / Math.max(1, numItems)));
        }
    }

    private static Broadcast<ItemSide> broadcastItems(SparkSession spark, ModelDir md) {
        Tensor t = SafeTensors.read(md.dir().resolve(ModelDir.EMBEDDINGS), List.of("items")).floats("items");
        float[] a = t.offset == 0 && t.data.length == t.size() ? t.data : Arrays.copyOfRange(t.data, t.offset, t.offset + t.size());
        IdMap ids = md.itemIds();
        ItemSide side = new ItemSide(a, t.rows, t.cols, ids.isIdentity() ? null : ids.toArray());
        return JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(side);
    }

    /** Adds the dense user index {@code uidx} (-1 for an unknown id) to rows holding a string {@code userId}. */
    private static Dataset<Row> indexUsers(SparkSession spark, ModelDir md, ModelFiles mf, Dataset<Row> ids) {
        StructType schema = new StructType().add("userId", DataTypes.StringType).add("uidx", DataTypes.IntegerType, false);
        if (mf.integerUserIds) {
            int n = mf.numUsers;
            return ids.mapPartitions((org.apache.spark.api.java.function.MapPartitionsFunction<Row, Row>) it -> {
                IdMap id = IdMap.identity(n);
                List<Row> out = new ArrayList<>();
                while (it.hasNext()) {
                    String s = it.next().getString(0);
                    out.add(RowFactory.create(s, s == null ? -1 : id.indexOf(s)));
                }
                return out.iterator();
            }, Encoders.row(schema));
        }
        String file = md.dir().resolve(ModelDir.USER_IDS).toAbsolutePath().toUri().toString();
        JavaRDD<Row> rows = spark.read().textFile(file).javaRDD().zipWithIndex().map(t -> RowFactory.create(t._1(), (int) (long) t._2()));
        Dataset<Row> map = spark.createDataFrame(rows, new StructType().add("rawUser", DataTypes.StringType).add("idx", DataTypes.IntegerType));
        return ids.join(map, ids.col("userId").equalTo(map.col("rawUser")), "left")
                .select(col("userId"), org.apache.spark.sql.functions.coalesce(col("idx"), org.apache.spark.sql.functions.lit(-1)).as("uidx"));
    }

    private static void checkKnown(Dataset<Row> indexed, ModelDir md, boolean skip, String kind, String what) {
        if (skip) {
            return;
        }
        List<Row> bad = indexed.filter(col("uidx").lt(0)).select("userId").limit(1).collectAsList();
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException(unknown(kind, bad.get(0).getString(0), kind.equals("user") ? md.userIds() : md.itemIds())
                    + " in the " + what);
        }
    }

    /** {@code unknown user 'x' (the model knows 1892 users; ids look like '0', '1', ...)}, as single-JVM serving says it. */
    static String unknown(String kind, String id, IdMap ids) {
        StringBuilder like = new StringBuilder();
        for (int i = 0; i < Math.min(2, ids.size()); i++) {
            like.append(i == 0 ? "" : ", ").append('\'').append(ids.raw(i)).append('\'');
        }
        return "unknown " + kind + " '" + id + "' (the model knows " + ids.size() + " " + kind + "s"
                + (ids.size() == 0 ? ")" : "; ids look like " + like + (ids.size() > 2 ? ", ...)" : ")"));
    }

    /** Pairs per slice when a part of the model folder's interactions is read as a dataset. */
    static final int PAIR_SLICE = 1 << 20;

    /** One part ("train", "valid", "test") of the model folder's interactions as rows (u, i) of dense indices, read by the executors. */
    static Dataset<Row> pairs(SparkSession spark, ModelDir md, String part) {
        ModelFiles.Column users = ModelFiles.column(md, part + ".users");
        ModelFiles.Column items = ModelFiles.column(md, part + ".items");
        if (users.length() != items.length()) {
            throw weft.models.data.DataFormatException.inFile(md.dir().resolve(ModelDir.DATA), part + ".users has " + users.length()
                    + " entries, " + part + ".items " + items.length());
        }
        int n = users.length();
        int slices = Math.max(1, (n + PAIR_SLICE - 1) / PAIR_SLICE);
        int nu = md.numUsers(), ni = md.numItems();
        String file = users.file();
        StructType schema = new StructType().add("u", DataTypes.IntegerType, false).add("i", DataTypes.IntegerType, false);
        return spark.range(0, slices, 1, slices).flatMap((org.apache.spark.api.java.function.FlatMapFunction<Long, Row>) s -> {
            int from = (int) (s * PAIR_SLICE), count = Math.min(PAIR_SLICE, n - from);
            int[] u = users.read(from, count), i = items.read(from, count);
            List<Row> out = new ArrayList<>(count);
            for (int j = 0; j < count; j++) {
                if (u[j] < 0 || u[j] >= nu || i[j] < 0 || i[j] >= ni) {
                    throw new IllegalArgumentException(file + ": " + part + " pair " + (from + j) + " (" + u[j] + ", " + i[j] + ") outside "
                            + nu + " users x " + ni + " items");
                }
                out.add(RowFactory.create(u[j], i[j]));
            }
            return out.iterator();
        }, Encoders.row(schema));
    }

    /** Rows (u, NAME: array of item indices) from rows (u, i). */
    private static Dataset<Row> grouped(Dataset<Row> pairs, String name) {
        return pairs.groupBy("u").agg(collect_list("i").as(name));
    }

    /** Raw-id interactions mapped to dense (u, i); unknown users dropped, unknown items an error. */
    private static Dataset<Row> interactionsOf(SparkSession spark, ModelDir md, ModelFiles mf, Broadcast<ItemSide> items,
                                               RecommendOptions opts) {
        Dataset<Row> in = opts.interactions;
        String uc = Columns.pick(in, opts.interactionUserColumn, "interactions", "userId", "userID", "user_id");
        String ic = Columns.pick(in, opts.interactionItemColumn, "interactions", "itemId", "itemID", "item_id");
        return rawPairs(spark, md, mf, in.select(col(uc).cast("string").as("userId"), col(ic).cast("string").as("itemId")), false,
                "interactions");
    }

    /**
     * Rows (userId, itemId) of raw ids as rows (u, i) of dense indices. An unknown item always
     * fails; an unknown user fails when {@code strictUsers}, else the row is dropped.
     */
    private static Dataset<Row> rawPairs(SparkSession spark, ModelDir md, ModelFiles mf, Dataset<Row> rows, boolean strictUsers,
                                         String what) {
        // Index users on the distinct ids, then join back: one lookup per user, not per row.
        Dataset<Row> users = indexUsers(spark, md, mf, rows.select("userId").distinct());
        if (strictUsers) {
            checkKnown(users, md, false, "user", what);
        }
        Dataset<Row> joined = rows.join(users.withColumnRenamed("userId", "uid"), rows.col("userId").equalTo(col("uid")), "inner")
                .filter(col("uidx").geq(0));
        IdMap itemIds = md.itemIds();
        Dataset<Row> itemIndexed = indexItems(joined.select("uidx", "itemId"), itemIds);
        List<Row> bad = itemIndexed.filter(col("i").lt(0)).select("itemId").limit(1).collectAsList();
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException(unknown("item", bad.get(0).getString(0), itemIds) + " in the " + what);
        }
        return itemIndexed.select(col("uidx").as("u"), col("i"));
    }

    /** Adds the dense item index {@code i} (-1 unknown) to rows (uidx, itemId). */
    private static Dataset<Row> indexItems(Dataset<Row> rows, IdMap itemIds) {
        String[] raw = itemIds.isIdentity() ? null : itemIds.toArray();
        int n = itemIds.size();
        StructType schema = new StructType().add("uidx", DataTypes.IntegerType, false).add("itemId", DataTypes.StringType)
                .add("i", DataTypes.IntegerType, false);
        return rows.mapPartitions((org.apache.spark.api.java.function.MapPartitionsFunction<Row, Row>) it -> {
            IdMap ids = raw == null ? IdMap.identity(n) : IdMap.of(raw);
            List<Row> out = new ArrayList<>();
            while (it.hasNext()) {
                Row r = it.next();
                String s = r.getString(1);
                out.add(RowFactory.create(r.getInt(0), s, s == null ? -1 : ids.indexOf(s)));
            }
            return out.iterator();
        }, Encoders.row(schema));
    }

    /** Groups of up to {@code size} consecutive elements of an iterator, processed one group at a time. */
    abstract static class Blocks<I, O> implements Iterator<O> {
        private final Iterator<I> in;
        private final int size;
        private Iterator<O> current = java.util.Collections.emptyIterator();

        Blocks(Iterator<I> in, int size) {
            this.in = in;
            this.size = size;
        }

        abstract List<O> process(List<I> block);

        @Override
        public boolean hasNext() {
            while (!current.hasNext() && in.hasNext()) {
                List<I> block = new ArrayList<>(size);
                while (block.size() < size && in.hasNext()) {
                    block.add(in.next());
                }
                current = process(block).iterator();
            }
            return current.hasNext();
        }

        @Override
        public O next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }
    }

    /** Scores a block of users against every item: their rows of the user table, then one GEMM into {@code scores}. */
    static Tensor scoreBlock(ModelFiles.UserRows rows, int[] uidx, int b, ItemSide side, float[] userBuf, float[] scoreBuf) {
        rows.read(uidx, b, userBuf);
        Tensor u = new Tensor(userBuf, 0, b, side.dim);
        Tensor s = new Tensor(scoreBuf, 0, b, side.numItems);
        MatMul.matmulInto(u, false, side.table(), true, s, false);
        return s;
    }

    /** The per-block masks of item lists (column {@code col} of each row, null for none), as one {@link UserItems} over the block's rows. */
    static UserItems blockLists(List<Row> block, int col, int numItems) {
        int n = 0;
        for (Row r : block) {
            if (!r.isNullAt(col)) n += r.getList(col).size();
        }
        int[] us = new int[n], is = new int[n];
        int w = 0;
        for (int j = 0; j < block.size(); j++) {
            Row r = block.get(j);
            if (r.isNullAt(col)) continue;
            for (Object o : r.getList(col)) {
                us[w] = j;
                is[w++] = (Integer) o;
            }
        }
        return UserItems.fromPairs(block.size(), numItems, us, is);
    }

    /** Rows (userId, uidx, seen) to rows (userId, rank, itemId, score). */
    static final class Recommend implements org.apache.spark.api.java.function.MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final ModelFiles mf;
        private final Broadcast<ItemSide> items;
        private final int k;

        Recommend(ModelFiles mf, Broadcast<ItemSide> items, int k) {
            this.mf = mf;
            this.items = items;
            this.k = k;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            ItemSide side = items.value();
            int bs = side.blockUsers();
            int want = Math.min(k, side.numItems);
            ModelFiles.UserRows rows = mf.new UserRows();
            float[] userBuf = new float[bs * side.dim];
            float[] scoreBuf = new float[bs * side.numItems];
            TopK topk = new TopK(want);
            int[] best = new int[want];
            int[] uidx = new int[bs];
            return new Blocks<Row, Row>(input, bs) {
                @Override
                List<Row> process(List<Row> block) {
                    int b = block.size();
                    for (int j = 0; j < b; j++) {
                        uidx[j] = block.get(j).getInt(1);
                    }
                    Tensor s = scoreBlock(rows, uidx, b, side, userBuf, scoreBuf);
                    UserItems mask = blockLists(block, 2, side.numItems);
                    List<Row> out = new ArrayList<>(b * want);
                    for (int j = 0; j < b; j++) {
                        String user = block.get(j).getString(0);
                        int n = topk.select(s.data, j * side.numItems, side.numItems, mask, j, best);
                        for (int r = 0; r < n; r++) {
                            out.add(RowFactory.create(user, r + 1, side.id(best[r]), s.data[j * side.numItems + best[r]]));
                        }
                    }
                    return out;
                }

                @Override
                public boolean hasNext() {
                    boolean more = super.hasNext();
                    if (!more) {
                        rows.close();
                    }
                    return more;
                }
            };
        }
    }

    // ------------------------------------------------------------------ evaluate

    /**
     * Full-ranking metrics of the saved model against ground truth given as rows of raw ids (user
     * and item columns: null for userId/userID/user_id and itemId/itemID/item_id), each user's
     * training items (the model folder's) masked: what the single-JVM {@link Evaluator} computes,
     * to the bit. Each partition sums its users' metrics exactly ({@link ExactSum}), and the
     * partitions' sums are merged exactly, so the result does not depend on the partitioning.
     * Unknown user or item ids fail, naming the first.
     */
    public static EvalResult evaluate(SparkSession spark, Path modelDir, Dataset<Row> truth, String userCol, String itemCol, int... ks) {
        ModelDir md = ModelDir.open(modelDir);
        ModelFiles mf = ModelFiles.of(md);
        String uc = Columns.pick(truth, userCol, "ground truth", "userId", "userID", "user_id");
        String ic = Columns.pick(truth, itemCol, "ground truth", "itemId", "itemID", "item_id");
        Dataset<Row> pairs = rawPairs(spark, md, mf, truth.select(col(uc).cast("string").as("userId"), col(ic).cast("string").as("itemId")),
                true, "ground truth");
        return evaluatePairs(spark, md, mf, pairs, ks);
    }

    /** {@link #evaluate} against one part of the model folder's own split ("valid" or "test"): what training reported. */
    public static EvalResult evaluateSplit(SparkSession spark, Path modelDir, String part, int... ks) {
        if (!part.equals("valid") && !part.equals("test")) {
            throw new IllegalArgumentException("split must be valid or test, got '" + part + "'");
        }
        ModelDir md = ModelDir.open(modelDir);
        return evaluatePairs(spark, md, ModelFiles.of(md), pairs(spark, md, part), ks);
    }

    private static EvalResult evaluatePairs(SparkSession spark, ModelDir md, ModelFiles mf, Dataset<Row> pairs, int[] ks) {
        int[] sorted = checkKs(ks.length == 0 ? Evaluator.DEFAULT_KS : ks);
        Broadcast<ItemSide> items = broadcastItems(spark, md);
        Dataset<Row> truth = grouped(pairs, "truth");
        Dataset<Row> seen = grouped(pairs(spark, md, "train"), "seen").withColumnRenamed("u", "su");
        Dataset<Row> rows = truth.join(seen, truth.col("u").equalTo(seen.col("su")), "left").select("u", "truth", "seen")
                .repartition(scoringPartitions(spark));
        List<Partial> parts = rows.javaRDD().mapPartitions(new Evaluate(mf, items, sorted)).collect();
        ExactSum[] sums = Evaluator.newSums(Metric.values().length * sorted.length);
        int users = 0;
        for (Partial p : parts) {
            for (int c = 0; c < sums.length; c++) {
                sums[c].add(p.sums[c]);
            }
            users += p.users;
        }
        return Evaluator.result(sorted, sums, users);
    }

    private static int[] checkKs(int[] ks) {
        int[] s = ks.clone();
        Arrays.sort(s);
        for (int j = 0; j < s.length; j++) {
            if (s[j] < 1 || (j > 0 && s[j] == s[j - 1])) {
                throw new IllegalArgumentException("cut-offs must be distinct positive integers, got " + Arrays.toString(ks));
            }
        }
        return s;
    }

    /** One partition's exact metric sums and user count. */
    static final class Partial implements Serializable {
        private static final long serialVersionUID = 1L;
        final ExactSum[] sums;
        final int users;

        Partial(ExactSum[] sums, int users) {
            this.sums = sums;
            this.users = users;
        }
    }

    /** Rows (u, truth, seen) of one partition to its {@link Partial}. */
    static final class Evaluate implements org.apache.spark.api.java.function.FlatMapFunction<Iterator<Row>, Partial> {
        private static final long serialVersionUID = 1L;
        private final ModelFiles mf;
        private final Broadcast<ItemSide> items;
        private final int[] ks;

        Evaluate(ModelFiles mf, Broadcast<ItemSide> items, int[] ks) {
            this.mf = mf;
            this.items = items;
            this.ks = ks;
        }

        @Override
        public Iterator<Partial> call(Iterator<Row> input) {
            ItemSide side = items.value();
            int bs = side.blockUsers();
            int maxK = ks[ks.length - 1];
            int stride = Metric.values().length * ks.length;
            ExactSum[] sums = Evaluator.newSums(stride);
            int users = 0;
            try (ModelFiles.UserRows rows = mf.new UserRows()) {
                float[] userBuf = new float[bs * side.dim];
                float[] scoreBuf = new float[bs * side.numItems];
                TopK topk = new TopK(maxK);
                int[] ranked = new int[maxK];
                int[] uidx = new int[bs];
                double[] vals = new double[stride];
                List<Row> block = new ArrayList<>(bs);
                while (input.hasNext()) {
                    block.clear();
                    while (block.size() < bs && input.hasNext()) {
                        block.add(input.next());
                    }
                    int b = block.size();
                    for (int j = 0; j < b; j++) {
                        uidx[j] = block.get(j).getInt(0);
                    }
                    Tensor s = scoreBlock(rows, uidx, b, side, userBuf, scoreBuf);
                    UserItems truth = blockLists(block, 1, side.numItems);
                    UserItems mask = blockLists(block, 2, side.numItems);
                    for (int j = 0; j < b; j++) {
                        int len = topk.select(s.data, j * side.numItems, side.numItems, mask, j, ranked);
                        Evaluator.userMetrics(ranked, len, truth, j, ks, vals);
                        for (int c = 0; c < stride; c++) {
                            sums[c].add(vals[c]);
                        }
                    }
                    users += b;
                }
            }
            return List.of(new Partial(sums, users)).iterator();
        }
    }

    // ------------------------------------------------------------------ kNN graph

    /**
     * The item-item kNN graph of the rows of {@code features} [items, f], as {@code KnnGraph.build}
     * computes it on one machine (cosine similarity, the item itself included, ties to the lower
     * index), to the bit: rows (item, neighbor, similarity), k per item. The catalogue is cut into
     * blocks of {@code blockItems} (0: {@value #DEFAULT_KNN_BLOCK}); every pair of
     * blocks is one task (one GEMM, then each row's top k within the column block), and each item's
     * lists are merged into its top k. The features are broadcast: each executor holds items x f
     * floats, plus one block pair's similarities.
     */
    public static Dataset<Row> knnGraph(SparkSession spark, Tensor features, int k, int blockItems) {
        int n = features.rows;
        if (n == 0) {
            throw new IllegalArgumentException("kNN graph: the features " + features.shape() + " have no items");
        }
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("kNN graph: k = " + k + " must be in [1, items = " + n + "]");
        }
        if (blockItems < 0) {
            throw new IllegalArgumentException("kNN graph: block size must be >= 0, got " + blockItems);
        }
        float[] inv = weft.graph.KnnGraph.inverseNorms(features); // also rejects non-finite features, on the driver
        float[] x = features.offset == 0 && features.data.length == features.size() ? features.data
                : Arrays.copyOfRange(features.data, features.offset, features.offset + features.size());
        int[] starts = blockStarts(n, blockItems > 0 ? blockItems : Math.min(n, DEFAULT_KNN_BLOCK));
        int nb = starts.length - 1;
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<Features> bf = jsc.broadcast(new Features(x, inv, n, features.cols));
        List<int[]> pairs = new ArrayList<>(nb * nb);
        for (int r = 0; r < nb; r++) {
            for (int c = 0; c < nb; c++) {
                pairs.add(new int[] {r, c});
            }
        }
        int slices = Math.max(1, Math.min(pairs.size(), jsc.defaultParallelism() * 4));
        JavaRDD<Row> edges = jsc.parallelize(pairs, slices)
                .mapToPair(p -> new scala.Tuple2<>(p[0], Candidates.ofBlockPair(bf.value(), starts, p[0], p[1], k)))
                .reduceByKey(Candidates::merge)
                .flatMap(t -> t._2().edges(starts[t._1()]).iterator());
        return spark.createDataFrame(edges, GRAPH);
    }

    /** Items per kNN block by default: a block pair's similarities are 4096 x 4096 floats, 64 MiB. */
    public static final int DEFAULT_KNN_BLOCK = 4096;

    /** Block boundaries: blocks of {@code size} items, a short last block (under 4 items) joined to the one before. */
    static int[] blockStarts(int n, int size) {
        int nb = Math.max(1, (n + size - 1) / size);
        if (nb > 1 && n - (nb - 1) * size < 4) {
            nb--; // a GEMM with at most 3 columns takes a different path (plain dots): keep every block's arithmetic the same
        }
        int[] s = new int[nb + 1];
        for (int b = 0; b < nb; b++) {
            s[b] = b * size;
        }
        s[nb] = n;
        return s;
    }

    /** The features and their inverse norms, broadcast once. */
    static final class Features implements Serializable {
        private static final long serialVersionUID = 1L;
        final float[] x, inv;
        final int n, f;

        Features(float[] x, float[] inv, int n, int f) {
            this.x = x;
            this.inv = inv;
            this.n = n;
            this.f = f;
        }

        Tensor rows(int from, int count) {
            return new Tensor(x, from * f, count, f);
        }
    }

    /** For each row of a row block, its best candidates so far: up to k (similarity, item) pairs, best first. */
    static final class Candidates implements Serializable {
        private static final long serialVersionUID = 1L;
        final int rows, k;
        final int[] count;
        final float[] val;
        final int[] col;

        Candidates(int rows, int k) {
            this.rows = rows;
            this.k = k;
            this.count = new int[rows];
            this.val = new float[rows * k];
            this.col = new int[rows * k];
        }

        static Candidates ofBlockPair(Features f, int[] starts, int r, int c, int k) {
            int r0 = starts[r], nr = starts[r + 1] - r0, c0 = starts[c], nc = starts[c + 1] - c0;
            Tensor s = new Tensor(nr, nc);
            MatMul.matmulInto(f.rows(r0, nr), false, f.rows(c0, nc), true, s, false);
            float[] invCols = Arrays.copyOfRange(f.inv, c0, c0 + nc);
            int kk = Math.min(k, nc);
            float[] hs = new float[kk];
            int[] hi = new int[kk];
            Candidates out = new Candidates(nr, k);
            for (int i = 0; i < nr; i++) {
                weft.graph.KnnGraph.selectTopK(s.data, i * nc, nc, f.inv[r0 + i], invCols, kk, hs, hi);
                for (int j = 0; j < kk; j++) {
                    hi[j] += c0;
                }
                out.set(i, hs, hi, kk);
            }
            return out;
        }

        /** Row i's candidates from unordered (values, cols) of length len (len <= k): stored best first. */
        private void set(int i, float[] hs, int[] hi, int len) {
            Integer[] order = new Integer[len];
            for (int j = 0; j < len; j++) order[j] = j;
            Arrays.sort(order, (a, b) -> better(hs[a], hi[a], hs[b], hi[b]) ? -1 : better(hs[b], hi[b], hs[a], hi[a]) ? 1 : 0);
            for (int j = 0; j < len; j++) {
                val[i * k + j] = hs[order[j]];
                col[i * k + j] = hi[order[j]];
            }
            count[i] = len;
        }

        /** Whether (va, ja) ranks above (vb, jb): larger similarity, or equal and lower index (as KnnGraph ranks). */
        private static boolean better(float va, int ja, float vb, int jb) {
            return va > vb || (va == vb && ja < jb);
        }

        /** The best k of both, per row (a merge of two best-first lists). */
        static Candidates merge(Candidates a, Candidates b) {
            Candidates out = new Candidates(a.rows, a.k);
            for (int i = 0; i < a.rows; i++) {
                int pa = 0, pb = 0, na = a.count[i], nb = b.count[i], w = 0, base = i * a.k;
                while (w < a.k && (pa < na || pb < nb)) {
                    boolean takeA = pb >= nb || (pa < na && better(a.val[base + pa], a.col[base + pa], b.val[base + pb], b.col[base + pb]));
                    if (takeA) {
                        out.val[base + w] = a.val[base + pa];
                        out.col[base + w++] = a.col[base + pa++];
                    } else {
                        out.val[base + w] = b.val[base + pb];
                        out.col[base + w++] = b.col[base + pb++];
                    }
                }
                out.count[i] = w;
            }
            return out;
        }

        /** Rows (item, neighbor, similarity), each item's neighbours by ascending index (KnnGraph's row order). */
        List<Row> edges(int firstItem) {
            List<Row> out = new ArrayList<>(rows * k);
            for (int i = 0; i < rows; i++) {
                int n = count[i], base = i * k;
                long[] packed = new long[n];
                for (int j = 0; j < n; j++) {
                    packed[j] = ((long) col[base + j] << 32) | (Float.floatToRawIntBits(val[base + j]) & 0xFFFFFFFFL);
                }
                Arrays.sort(packed);
                for (long p : packed) {
                    out.add(RowFactory.create(firstItem + i, (int) (p >>> 32), Float.intBitsToFloat((int) p)));
                }
            }
            return out;
        }
    }

    /**
     * Writes a graph of {@link #knnGraph} as the TSV that {@code --item-graph} reads (header
     * {@code itemID neighborID similarity}, raw ids: {@code itemIds} names row i of the features;
     * identity for integer ids), sorted by item, then neighbour index; atomically (a temporary
     * file, then a rename). The rows stream to the driver one partition at a time.
     */
    public static void writeItemGraph(Dataset<Row> graph, IdMap itemIds, Path out) {
        AtomicFiles.write(out, os -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16);
            w.write("itemID\tneighborID\tsimilarity\n");
            Iterator<Row> it = graph.orderBy("item", "neighbor").toLocalIterator();
            while (it.hasNext()) {
                Row r = it.next();
                int i = r.getInt(0), j = r.getInt(1);
                if (i >= itemIds.size() || j >= itemIds.size()) {
                    throw new IllegalArgumentException("item index " + Math.max(i, j) + " has no id: " + itemIds.size() + " ids given");
                }
                w.write(itemIds.raw(i));
                w.write('\t');
                w.write(itemIds.raw(j));
                w.write('\t');
                w.write(Float.toString(r.getFloat(2)));
                w.write('\n');
            }
            w.flush();
        });
    }

    /** Column choice for inputs. */
    static final class Columns {
        private Columns() {}

        /** {@code given} if set (it must exist), else the only column, else the first of {@code names} present (case-insensitive). */
        static String pick(Dataset<Row> ds, String given, String what, String... names) {
            String[] cols = ds.columns();
            if (given != null) {
                for (String c : cols) {
                    if (c.equals(given)) return c;
                }
                throw new IllegalArgumentException("the " + what + " have no column '" + given + "'; columns: " + String.join(", ", cols));
            }
            for (String n : names) {
                for (String c : cols) {
                    if (c.equalsIgnoreCase(n)) return c;
                }
            }
            if (cols.length == 1 && names[0].toLowerCase(Locale.ROOT).startsWith("user")) {
                return cols[0];
            }
            throw new IllegalArgumentException("the " + what + " have no column " + String.join(" / ", names) + "; columns: "
                    + String.join(", ", cols) + " (name the column to use)");
        }
    }
}
