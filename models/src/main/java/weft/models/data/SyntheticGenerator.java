package weft.models.data;

import weft.engine.Rng;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Generates a multimodal recommendation dataset with planted structure, in MMRec's format, so
 * that tests and demos can check that a model finds what is known to be there.
 *
 * <p>The generative story:
 * <ul>
 *   <li>Items are spread evenly over C latent clusters (a shuffled round-robin) and get a
 *       popularity weight w_i = 1 / (1 + rank_i)^alpha for a random rank, so a few items are
 *       popular in every cluster (the long tail real catalogues have).</li>
 *   <li>Each user prefers one cluster and, with probability {@code secondaryShare}, a second
 *       one. The user's n_u ~ Uniform{minInter..maxInter} distinct interactions are each drawn,
 *       by popularity weight, from the whole catalogue with probability {@code noise}, else from
 *       the secondary cluster (30% of the rest, when the user has one), else from the primary
 *       cluster.</li>
 *   <li>Modality "image" (image_feat.npy): imageSignal (default 1) times the item's cluster
 *       centroid (N(0, 1) per dimension) plus N(0, imageNoise^2) noise per dimension - by
 *       default strongly cluster-separable.</li>
 *   <li>Modality "text" (text_feat.npy): textSignal times the item's cluster centroid in
 *       another random basis, plus N(0, textNoise^2) noise (default 1) - a weak signal, mostly
 *       noise.</li>
 *   <li>The split is {@link Split#random} (MMRec's per-user rule) with the same seed, written
 *       as x_label.</li>
 * </ul>
 * The {@link #sparse} preset ({@code --preset sparse}) is shaped like a short-video catalogue:
 * sparse users (4-10 interactions) and two 128-d modalities that both carry a weak signal.
 * Every random quantity comes from a generator seeded by (seed, purpose, index), so the output
 * is a function of the configuration alone. Feature rows are generated and written one at a
 * time, so Amazon-Baby-sized output (7,050 x 4,096 image features) needs little memory.
 */
public final class SyntheticGenerator {
    // Purposes for seed derivation: one independent stream per kind of random quantity.
    private static final long ITEMS = 1, USERS = 2, SPLIT = 3, IMAGE_CENTROIDS = 4, IMAGE_ROWS = 5,
            TEXT_CENTROIDS = 6, TEXT_ROWS = 7, IMAGE_OFFSET = 8, TEXT_OFFSET = 9;
    /** Share of a two-cluster user's in-cluster draws that go to the secondary cluster. */
    private static final double SECONDARY_DRAW = 0.3;

    private SyntheticGenerator() {}

    /** Generator settings; the defaults give the committed test-data set. */
    public static final class Config {
        public String name = "synthetic";
        public int users = 600;
        public int items = 400;
        public long seed = 42;
        public int clusters = 8;
        public int minInter = 15;
        public int maxInter = 25;
        public double noise = 0.15;
        public double secondaryShare = 0.3;
        public double popularityExponent = 0.7;
        public int imageDim = 64;
        public double imageSignal = 1.0;
        public double imageNoise = 1.0;
        public int textDim = 32;
        public double textSignal = 0.35;
        public double textNoise = 1.0;
        /**
         * Shared offset of every feature row, per modality: offset x g with g ~ N(0, I) drawn once,
         * so rows share a mean direction (real embeddings do: Last.fm's VGGish rows have a mean
         * pairwise cosine of 0.97, MiniLM's 0.50). 0 (the default) adds nothing.
         */
        public double featureOffset = 0;
        /**
         * Anisotropy of the features: dimension j (0-based) of the centroid-plus-noise part is
         * scaled by (j + 1)^-decay, normalised to a mean square of 1, so a few directions carry
         * most of the variance, as in real embeddings. 0 (the default) keeps them isotropic.
         */
        public double featureDecay = 0;

        void validate() {
            check(users >= 1, "--users must be >= 1");
            check(items >= 2, "--items must be >= 2");
            check(clusters >= 1 && clusters <= items, "--clusters must be in [1, items]");
            check(minInter >= 1 && maxInter >= minInter, "--min-inter must be >= 1 and <= --max-inter");
            check(maxInter <= items / 2, "--max-inter must be at most half the items (" + items / 2 + ") so every user has negatives");
            check(noise >= 0 && noise <= 1, "--noise must be in [0, 1]");
            check(secondaryShare >= 0 && secondaryShare <= 1, "--secondary must be in [0, 1]");
            check(popularityExponent >= 0, "--pop-exponent must be >= 0");
            check(imageDim >= 1 && textDim >= 1, "--image-dim and --text-dim must be >= 1");
            check((long) items * Math.max(imageDim, textDim) <= Integer.MAX_VALUE - 8, "items x dim too large for one tensor");
            check(imageNoise >= 0 && textSignal >= 0, "--image-noise and --text-signal must be >= 0");
            check(imageSignal >= 0 && textNoise >= 0, "--image-signal and --text-noise must be >= 0");
            check(Double.isFinite(imageSignal + imageNoise + textSignal + textNoise), "signal and noise settings must be finite");
            check(featureOffset >= 0 && Double.isFinite(featureOffset), "--feature-offset must be a finite number >= 0");
            check(featureDecay >= 0 && featureDecay <= 4, "--feature-decay must be in [0, 4]");
            check(name.matches("[A-Za-z0-9_.-]+"), "--name must be letters, digits, '_', '.', '-'");
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }

    /**
     * The sparse weak-signal regime: 9,308 users and 6,710 items (the short-video set's shape),
     * 4-10 interactions per user (about 7, 5 of them in training), 16 clusters, and two 128-d
     * modalities whose cluster signal is weak: image 0.5 and text 0.35 of the centroid over unit
     * noise. Any setting can still be changed afterwards.
     */
    public static Config sparse() {
        Config c = new Config();
        c.name = "sparse";
        c.users = 9308;
        c.items = 6710;
        c.clusters = 16;
        c.minInter = 4;
        c.maxInter = 10;
        c.imageDim = 128;
        c.imageSignal = 0.5;
        c.imageNoise = 1.0;
        c.textDim = 128;
        c.textSignal = 0.35;
        c.textNoise = 1.0;
        return c;
    }

    /**
     * The sparse regime with harder interactions and weaker features: 64 clusters, half of all
     * interactions drawn from the whole catalogue, a flatter popularity (exponent 0.5), and both
     * modalities at 0.15 of the centroid over unit noise. LightGCN reaches test Recall@20 of about
     * 0.07 here (the short-video set: 0.08), and the item kNN graphs of the features are poor, so
     * content can mislead: the regime in which a model's content path can hurt it.
     */
    public static Config sparseWeak() {
        Config c = sparse();
        c.name = "sparse";
        c.clusters = 64;
        c.noise = 0.5;
        c.popularityExponent = 0.5;
        c.imageSignal = 0.15;
        c.textSignal = 0.15;
        return c;
    }

    /**
     * The sparse regime calibrated to the held-out short-video set: sparse-weak's users and
     * interactions (LightGCN near that set's), and features shaped like real embeddings - a
     * shared offset (mean pairwise cosine about 0.8) and a decaying spectrum - with a cluster
     * signal strong enough that content helps about as much as it did there (FREEDOM over
     * LightGCN on valid near 1.09). See docs/models.md, "Generated sparse regime".
     */
    public static Config sparseCalibrated() {
        Config c = sparseWeak();
        c.imageSignal = CALIBRATED_SIGNAL;
        c.textSignal = CALIBRATED_SIGNAL;
        c.featureOffset = 2.0;
        c.featureDecay = 0.5;
        return c;
    }

    /** Cluster signal of {@link #sparseCalibrated} (chosen on valid FREEDOM / LightGCN). */
    static final double CALIBRATED_SIGNAL = 0.5;

    /** The preset names {@link #preset} accepts. */
    public static final java.util.List<String> PRESETS = java.util.List.of("default", "sparse", "sparse-weak", "sparse-calibrated");

    /** The named preset: {@code default} (the committed test-data), {@code sparse}, {@code sparse-weak} or {@code sparse-calibrated}. */
    public static Config preset(String name) {
        return switch (name) {
            case "default" -> new Config();
            case "sparse" -> sparse();
            case "sparse-weak" -> sparseWeak();
            case "sparse-calibrated" -> sparseCalibrated();
            default -> throw new IllegalArgumentException("--preset must be one of " + String.join(", ", PRESETS) + ", got '" + name + "'");
        };
    }

    /** The interactions and the planted ground truth (features are produced by {@link #write}). */
    public static final class Interactions {
        public final int[] users, items;
        public final byte[] labels;
        /** Latent cluster of each item. */
        public final int[] itemCluster;
        /** Preferred (primary) cluster of each user. */
        public final int[] userCluster;

        Interactions(int[] users, int[] items, byte[] labels, int[] itemCluster, int[] userCluster) {
            this.users = users;
            this.items = items;
            this.labels = labels;
            this.itemCluster = itemCluster;
            this.userCluster = userCluster;
        }
    }

    /** Draws the interactions and their split. */
    public static Interactions interactions(Config c) {
        c.validate();
        int nI = c.items, nC = c.clusters;
        Rng ir = new Rng(Seeds.mix(c.seed, ITEMS));
        int[] perm = identity(nI);
        ir.shuffle(perm, nI);
        int[] itemCluster = new int[nI];
        for (int k = 0; k < nI; k++) itemCluster[perm[k]] = k % nC;
        int[] rank = identity(nI);
        ir.shuffle(rank, nI);
        double[] weight = new double[nI];
        for (int i = 0; i < nI; i++) weight[i] = Math.pow(1 + rank[i], -c.popularityExponent);

        // Per cluster (index nC = whole catalogue): its items and cumulative weights, for weighted draws by bisection.
        int[][] members = new int[nC + 1][];
        double[][] cum = new double[nC + 1][];
        int[] size = new int[nC];
        for (int i = 0; i < nI; i++) size[itemCluster[i]]++;
        for (int k = 0; k < nC; k++) members[k] = new int[size[k]];
        members[nC] = identity(nI);
        int[] fill = new int[nC];
        for (int i = 0; i < nI; i++) members[itemCluster[i]][fill[itemCluster[i]]++] = i;
        for (int k = 0; k <= nC; k++) {
            cum[k] = new double[members[k].length];
            double s = 0;
            for (int j = 0; j < members[k].length; j++) {
                s += weight[members[k][j]];
                cum[k][j] = s;
            }
        }

        int[] userCluster = new int[c.users];
        int[] counts = new int[c.users];
        long total = 0;
        int[][] chosen = new int[c.users][];
        boolean[] taken = new boolean[nI];
        for (int u = 0; u < c.users; u++) {
            Rng r = new Rng(Seeds.mix(c.seed, USERS, u));
            int primary = r.nextInt(nC);
            int secondary = nC > 1 && r.nextDouble() < c.secondaryShare ? (primary + 1 + r.nextInt(nC - 1)) % nC : -1;
            userCluster[u] = primary;
            int n = c.minInter + r.nextInt(c.maxInter - c.minInter + 1);
            int[] mine = new int[n];
            for (int j = 0; j < n; j++) {
                int pool;
                if (r.nextDouble() < c.noise) {
                    pool = nC;
                } else if (secondary >= 0 && r.nextDouble() < SECONDARY_DRAW) {
                    pool = secondary;
                } else {
                    pool = primary;
                }
                int item = -1;
                // Rejection of repeats; a small cluster can run dry, then the draw moves to the whole catalogue.
                for (int attempt = 0; attempt < 64 && item < 0; attempt++) {
                    int cand = draw(members[pool], cum[pool], r);
                    if (!taken[cand]) item = cand;
                }
                while (item < 0) { // n <= items/2, so a uniform draw succeeds with probability >= 1/2
                    int cand = r.nextInt(nI);
                    if (!taken[cand]) item = cand;
                }
                taken[item] = true;
                mine[j] = item;
            }
            for (int item : mine) taken[item] = false;
            chosen[u] = mine;
            counts[u] = n;
            total += n;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many interactions: " + total);
        }
        int[] us = new int[(int) total], is = new int[(int) total];
        int w = 0;
        for (int u = 0; u < c.users; u++) {
            for (int item : chosen[u]) {
                us[w] = u;
                is[w++] = item;
            }
        }
        Split split = Split.random(c.users, nI, us, is, Seeds.mix(c.seed, SPLIT));
        return new Interactions(us, is, split.labelsFor(us, is), itemCluster, userCluster);
    }

    private static int draw(int[] members, double[] cum, Rng r) {
        double x = r.nextDouble() * cum[cum.length - 1];
        int idx = Arrays.binarySearch(cum, x);
        if (idx < 0) idx = -idx - 1;
        return members[Math.min(idx, members.length - 1)];
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int k = 0; k < n; k++) a[k] = k;
        return a;
    }

    /**
     * Generates and writes {@code NAME.inter}, {@code image_feat.npy} and {@code text_feat.npy}
     * into {@code outDir}, each atomically. Returns the interactions and planted clusters.
     */
    public static Interactions write(Config c, Path outDir) {
        Interactions g = interactions(c);
        AtomicFiles.write(outDir.resolve(c.name + ".inter"), os -> {
            BufferedWriter out = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8));
            out.write(InterFile.USER_COLUMN + "\t" + InterFile.ITEM_COLUMN + "\t" + InterFile.LABEL_COLUMN + "\n");
            for (int k = 0; k < g.users.length; k++) {
                out.write(g.users[k] + "\t" + g.items[k] + "\t" + g.labels[k] + "\n");
            }
            out.flush();
        });
        writeFeatures(outDir.resolve(Dataset.DEFAULT_MODALITIES.get("image")), g.itemCluster, c.clusters, c.imageDim,
                c.imageSignal, c.imageNoise, c.featureOffset, c.featureDecay,
                Seeds.mix(c.seed, IMAGE_CENTROIDS), Seeds.mix(c.seed, IMAGE_ROWS), Seeds.mix(c.seed, IMAGE_OFFSET));
        writeFeatures(outDir.resolve(Dataset.DEFAULT_MODALITIES.get("text")), g.itemCluster, c.clusters, c.textDim,
                c.textSignal, c.textNoise, c.featureOffset, c.featureDecay,
                Seeds.mix(c.seed, TEXT_CENTROIDS), Seeds.mix(c.seed, TEXT_ROWS), Seeds.mix(c.seed, TEXT_OFFSET));
        return g;
    }

    /**
     * Row i = offset * g + scale * (signal * centroid[cluster(i)] + noise * N(0, I)), g ~ N(0, I)
     * shared by all rows and scale_j = (j + 1)^-decay / rms; streamed to disk one row at a time.
     * With offset 0 and decay 0 the row is signal * centroid + noise * N(0, I), bit for bit.
     */
    private static void writeFeatures(Path file, int[] itemCluster, int nC, int dim, double signal, double noise,
                                      double offset, double decay, long centroidSeed, long rowSeed, long offsetSeed) {
        float[] centroids = new float[nC * dim];
        Rng cr = new Rng(centroidSeed);
        for (int k = 0; k < centroids.length; k++) centroids[k] = (float) cr.nextGaussian();
        double[] shift = new double[dim];
        if (offset > 0) {
            Rng or = new Rng(offsetSeed);
            for (int d = 0; d < dim; d++) shift[d] = offset * or.nextGaussian();
        }
        double[] scale = spectrum(dim, decay);
        float[] row = new float[dim];
        try (Npy.RowWriter w = new Npy.RowWriter(file, itemCluster.length, dim)) {
            for (int i = 0; i < itemCluster.length; i++) {
                Rng r = new Rng(Seeds.mix(rowSeed, i));
                int base = itemCluster[i] * dim;
                for (int d = 0; d < dim; d++) {
                    double x = signal * centroids[base + d] + noise * r.nextGaussian();
                    row[d] = (float) (offset > 0 || decay > 0 ? shift[d] + scale[d] * x : x);
                }
                w.writeRow(row, 0);
            }
            w.commit();
        }
    }

    /** Per-dimension scales (j + 1)^-decay, normalised to a mean square of 1 (all 1 when decay is 0). */
    static double[] spectrum(int dim, double decay) {
        double[] s = new double[dim];
        double sq = 0;
        for (int d = 0; d < dim; d++) {
            s[d] = Math.pow(d + 1, -decay);
            sq += s[d] * s[d];
        }
        double rms = Math.sqrt(sq / dim);
        for (int d = 0; d < dim; d++) s[d] /= rms;
        return s;
    }

    /** Command line: {@code --out DIR [--name N] [--users N] [--items N] [--seed S] ...}; see {@link #usage()}. */
    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the command line and returns an exit code (0 ok, 2 usage error, 1 write failure). */
    public static int run(String[] args) {
        Config c = new Config();
        Path out = null;
        try {
            // The preset first, wherever it is given, so that the other flags change it.
            for (int a = 0; a + 1 < args.length; a++) {
                if (args[a].equals("--preset")) {
                    c = preset(args[a + 1]);
                }
            }
            for (int a = 0; a < args.length; a++) {
                String opt = args[a];
                if (opt.equals("-h") || opt.equals("--help")) {
                    System.out.println(usage());
                    return 0;
                }
                if (a + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + opt + " needs a value");
                }
                String v = args[++a];
                switch (opt) {
                    case "--out": out = Path.of(v); break;
                    case "--preset": break;
                    case "--name": c.name = v; break;
                    case "--users": c.users = intArg(opt, v); break;
                    case "--items": c.items = intArg(opt, v); break;
                    case "--seed": c.seed = longArg(opt, v); break;
                    case "--clusters": c.clusters = intArg(opt, v); break;
                    case "--min-inter": c.minInter = intArg(opt, v); break;
                    case "--max-inter": c.maxInter = intArg(opt, v); break;
                    case "--noise": c.noise = doubleArg(opt, v); break;
                    case "--secondary": c.secondaryShare = doubleArg(opt, v); break;
                    case "--pop-exponent": c.popularityExponent = doubleArg(opt, v); break;
                    case "--image-dim": c.imageDim = intArg(opt, v); break;
                    case "--image-signal": c.imageSignal = doubleArg(opt, v); break;
                    case "--image-noise": c.imageNoise = doubleArg(opt, v); break;
                    case "--text-dim": c.textDim = intArg(opt, v); break;
                    case "--text-signal": c.textSignal = doubleArg(opt, v); break;
                    case "--text-noise": c.textNoise = doubleArg(opt, v); break;
                    case "--feature-offset": c.featureOffset = doubleArg(opt, v); break;
                    case "--feature-decay": c.featureDecay = doubleArg(opt, v); break;
                    default: throw new IllegalArgumentException("unknown option " + opt);
                }
            }
            if (out == null) {
                throw new IllegalArgumentException("--out DIR is required");
            }
            c.validate();
        } catch (IllegalArgumentException e) {
            System.err.println("synthetic: " + e.getMessage() + "\n" + usage());
            return 2;
        }
        try {
            Interactions g = write(c, out);
            System.out.println(String.format(Locale.ROOT, "wrote %s: %d users, %d items, %d interactions, image %dx%d, text %dx%d",
                    out.resolve(c.name + ".inter"), c.users, c.items, g.users.length, c.items, c.imageDim, c.items, c.textDim));
            return 0;
        } catch (RuntimeException e) {
            System.err.println("synthetic: " + e.getMessage());
            return 1;
        }
    }

    private static int intArg(String opt, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " expects an integer, got '" + v + "'");
        }
    }

    private static long longArg(String opt, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " expects an integer, got '" + v + "'");
        }
    }

    private static double doubleArg(String opt, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " expects a number, got '" + v + "'");
        }
    }

    public static String usage() {
        Config d = new Config();
        return String.join("\n",
                "usage: SyntheticGenerator --out DIR [options]",
                "  --preset P         default | sparse (9308 users, 6710 items, 4-10 interactions each, two 128-d",
                "                     weak-signal modalities) | sparse-weak (sparse with 64 clusters, --noise 0.5,",
                "                     --pop-exponent 0.5, both signals 0.15) | sparse-calibrated (sparse-weak's",
                "                     interactions; signals " + CALIBRATED_SIGNAL + ", --feature-offset 2, --feature-decay 0.5);",
                "                     the other flags change the preset",
                "  --name N           dataset name, file N.inter (" + d.name + ")",
                "  --users N          users (" + d.users + ")",
                "  --items N          items (" + d.items + ")",
                "  --seed S           random seed (" + d.seed + ")",
                "  --clusters C       latent item clusters (" + d.clusters + ")",
                "  --min-inter N      fewest interactions per user (" + d.minInter + ")",
                "  --max-inter N      most interactions per user (" + d.maxInter + ")",
                "  --noise P          share of interactions drawn from the whole catalogue (" + d.noise + ")",
                "  --secondary P      share of users with a second preferred cluster (" + d.secondaryShare + ")",
                "  --pop-exponent A   popularity skew w = 1/(1+rank)^A (" + d.popularityExponent + ")",
                "  --image-dim D      image feature size (" + d.imageDim + ")",
                "  --image-signal S   weight of the cluster centroid in image features (" + d.imageSignal + ")",
                "  --image-noise S    image noise std around the cluster centroid (" + d.imageNoise + ")",
                "  --text-dim D       text feature size (" + d.textDim + ")",
                "  --text-signal S    weight of the cluster centroid in text features (" + d.textSignal + ")",
                "  --text-noise S     text noise std (" + d.textNoise + ")",
                "  --feature-offset M every row of a modality gets M x g, g ~ N(0, I) shared by the rows (" + d.featureOffset + ")",
                "  --feature-decay A  dimension j scaled by (j+1)^-A, mean square 1: a decaying spectrum (" + d.featureDecay + ")");
    }
}
