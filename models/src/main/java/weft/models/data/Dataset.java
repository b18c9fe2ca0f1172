package weft.models.data;

import weft.engine.Tensor;
import weft.graph.CsrMatrix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A recommendation dataset under the MMRec protocol: users and items as dense ids, the
 * train / valid / test interactions as per-user sorted item lists, and named item modalities
 * (one float32 matrix per modality, row i = item i), and named precomputed item-item graphs
 * (a modality given as its kNN graph instead of its vectors).
 *
 * <p>Immutable. Models read {@link #train()} for the graph and the sampler, the evaluator reads
 * {@link #valid()} / {@link #test()} as ground truth and masks {@link #train()}.
 */
public final class Dataset {
    /** Modality files picked up by default when present in the folder (MMRec's names). */
    public static final Map<String, String> DEFAULT_MODALITIES = Map.of("image", "image_feat.npy", "text", "text_feat.npy");
    /** Seed of the random split for .inter files without x_label, unless one is given. */
    public static final long DEFAULT_SPLIT_SEED = 999;

    private final String name;
    private final int numUsers, numItems;
    private final UserItems train, valid, test;
    private final Map<String, Tensor> modalities;
    private final Map<String, CsrMatrix> itemGraphs;
    private IdMap userIds, itemIds;
    private Map<String, FeatureNorm.Fitted> featureNorms = Map.of();

    /**
     * Assembles a dataset; checks that the parts agree on the sizes and that every modality has
     * one finite row per item.
     */
    public Dataset(String name, Split split, Map<String, Tensor> modalities) {
        this(name, split, modalities, Map.of());
    }

    /** With precomputed item-item graphs, each items x items. */
    public Dataset(String name, Split split, Map<String, Tensor> modalities, Map<String, CsrMatrix> itemGraphs) {
        this.name = name;
        this.train = split.train();
        this.valid = split.valid();
        this.test = split.test();
        this.numUsers = train.numUsers();
        this.numItems = train.numItems();
        LinkedHashMap<String, Tensor> mods = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : modalities.entrySet()) {
            Tensor t = e.getValue();
            Path where = Path.of("modality '" + e.getKey() + "'");
            Npy.requireRows(where, t, numItems);
            Npy.requireFinite(where, t);
            mods.put(e.getKey(), t);
        }
        this.modalities = Collections.unmodifiableMap(mods);
        LinkedHashMap<String, CsrMatrix> graphs = new LinkedHashMap<>();
        for (Map.Entry<String, CsrMatrix> e : itemGraphs.entrySet()) {
            CsrMatrix g = e.getValue();
            if (g.rows() != numItems || g.cols() != numItems) {
                throw new IllegalArgumentException("item graph '" + e.getKey() + "' is " + g.shape() + ", expected ["
                        + numItems + ", " + numItems + "] for " + numItems + " items");
            }
            graphs.put(e.getKey(), g);
        }
        this.itemGraphs = Collections.unmodifiableMap(graphs);
    }

    /** How {@link #load(Path, Options)} finds and reads a dataset. */
    public static final class Options {
        private long splitSeed = DEFAULT_SPLIT_SEED;
        private boolean defaultModalities = true;
        private final LinkedHashMap<String, Path> modalities = new LinkedHashMap<>();
        private final LinkedHashMap<String, Path> itemGraphs = new LinkedHashMap<>();
        private FeatureNorm featureNorm = FeatureNorm.NONE;

        /** Adds a modality given as a precomputed item-item graph file (see {@link ItemGraphFile}). */
        public Options itemGraph(String name, Path file) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("item graph name must not be blank");
            }
            itemGraphs.put(name, file);
            return this;
        }

        /** Preprocessing applied to every modality's features on load (default none). */
        public Options featureNorm(FeatureNorm norm) {
            this.featureNorm = norm;
            return this;
        }

        /** Seed of the per-user random split, used only when the .inter file has no x_label column. */
        public Options splitSeed(long seed) {
            this.splitSeed = seed;
            return this;
        }

        /** Whether image_feat.npy / text_feat.npy are picked up when present (default true). */
        public Options defaultModalities(boolean on) {
            this.defaultModalities = on;
            return this;
        }

        /** Adds (or replaces) a modality read from {@code file}, relative to the dataset folder unless absolute. */
        public Options modality(String name, Path file) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("modality name must not be blank");
            }
            modalities.put(name, file);
            return this;
        }

        public Options modality(String name, String file) {
            return modality(name, Path.of(file));
        }
    }

    /** {@link #load(Path, Options)} with default options. */
    public static Dataset load(Path dir) {
        return load(dir, new Options());
    }

    /**
     * Loads the single {@code *.inter} file of {@code dir} (the dataset is named after it), the
     * default modality files that exist, and the modalities named in {@code options}.
     *
     * @throws DataFormatException for a missing folder, none or several .inter files, or any
     *     malformed file (with file, line and column)
     */
    public static Dataset load(Path dir, Options options) {
        if (!Files.isDirectory(dir)) {
            throw DataFormatException.inFile(dir, Files.exists(dir) ? "is not a folder; expected a dataset folder holding NAME.inter"
                    : "no such folder");
        }
        List<Path> inters = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().endsWith(".inter") && Files.isRegularFile(p)).sorted().forEach(inters::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (inters.isEmpty()) {
            throw DataFormatException.inFile(dir, "no .inter file in this folder; a dataset folder holds exactly one NAME.inter "
                    + "(tab-separated userID, itemID, x_label) and its modality .npy files");
        }
        if (inters.size() > 1) {
            StringBuilder names = new StringBuilder();
            for (Path p : inters) names.append(names.length() > 0 ? ", " : "").append(p.getFileName());
            throw DataFormatException.inFile(dir, inters.size() + " .inter files (" + names
                    + "); a dataset folder must hold exactly one - move the others elsewhere");
        }
        Path interPath = inters.get(0);
        InterFile inter = InterFile.read(interPath);
        Split split = inter.split(options.splitSeed);
        String fileName = interPath.getFileName().toString();
        String name = fileName.substring(0, fileName.length() - ".inter".length());

        LinkedHashMap<String, Path> wanted = new LinkedHashMap<>();
        if (options.defaultModalities) {
            for (String m : List.of("image", "text")) { // fixed order: Map.of has none
                Path p = dir.resolve(DEFAULT_MODALITIES.get(m));
                if (Files.isRegularFile(p)) {
                    wanted.put(m, p);
                }
            }
        }
        for (Map.Entry<String, Path> e : options.modalities.entrySet()) {
            wanted.put(e.getKey(), dir.resolve(e.getValue()));
        }
        LinkedHashMap<String, Tensor> mods = new LinkedHashMap<>();
        LinkedHashMap<String, FeatureNorm.Fitted> norms = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : wanted.entrySet()) {
            Tensor t = Npy.read(e.getValue());
            Npy.requireRows(e.getValue(), t, inter.numItems());
            Npy.requireFinite(e.getValue(), t);
            FeatureNorm.Fitted fitted = options.featureNorm.fit(t);
            norms.put(e.getKey(), fitted);
            mods.put(e.getKey(), fitted.apply(t));
        }
        LinkedHashMap<String, CsrMatrix> graphs = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : options.itemGraphs.entrySet()) {
            graphs.put(e.getKey(), ItemGraphFile.read(dir.resolve(e.getValue()), inter.numItems()));
        }
        Dataset d = new Dataset(name, split, mods, graphs);
        d.featureNorms = Collections.unmodifiableMap(norms);
        return d;
    }

    public String name() {
        return name;
    }

    public int numUsers() {
        return numUsers;
    }

    public int numItems() {
        return numItems;
    }

    /** Training interactions per user (repeats kept once). */
    public UserItems train() {
        return train;
    }

    public UserItems valid() {
        return valid;
    }

    public UserItems test() {
        return test;
    }

    /** The users' raw ids by index (the identity map for integer ids). */
    public IdMap userIds() {
        return userIds != null ? userIds : IdMap.identity(numUsers);
    }

    /** The items' raw ids by index (the identity map for integer ids). */
    public IdMap itemIds() {
        return itemIds != null ? itemIds : IdMap.identity(numItems);
    }

    /**
     * The normalisation each modality's features went through at load ({@code --feature-norm}),
     * fitted on this catalogue; empty for datasets assembled in code.
     */
    public Map<String, FeatureNorm.Fitted> featureNorms() {
        return featureNorms;
    }

    /** The same dataset with these raw ids (sizes must match). */
    public Dataset withIds(IdMap users, IdMap items) {
        if (users.size() != numUsers || items.size() != numItems) {
            throw new IllegalArgumentException("id maps of " + users.size() + " users / " + items.size() + " items for a dataset of "
                    + numUsers + " / " + numItems);
        }
        Dataset d = copyIds(new Dataset(name, new Split(train, valid, test), modalities, itemGraphs));
        d.userIds = users;
        d.itemIds = items;
        return d;
    }

    /** The same dataset recording {@code norms} as its features' normalisation (a saved model's, rebuilt). */
    public Dataset withFeatureNorms(Map<String, FeatureNorm.Fitted> norms) {
        Dataset d = copyIds(new Dataset(name, new Split(train, valid, test), modalities, itemGraphs));
        d.featureNorms = Collections.unmodifiableMap(new LinkedHashMap<>(norms));
        return d;
    }

    /** Number of training (user, item) pairs. */
    public int numTrain() {
        return train.size();
    }

    /** The user of every training pair, grouped by user (a fresh array; pairs with {@link #trainItems()}). */
    public int[] trainUsers() {
        return train.userColumn();
    }

    /** The item of every training pair, in the order of {@link #trainUsers()}. */
    public int[] trainItems() {
        return train.itemColumn();
    }

    /** Named modalities in load order (image, text, then explicit ones); unmodifiable. */
    public Map<String, Tensor> modalities() {
        return modalities;
    }

    /** The modality's feature matrix [numItems, dim]. */
    public Tensor modality(String modality) {
        Tensor t = modalities.get(modality);
        if (t == null) {
            throw new IllegalArgumentException("dataset '" + name + "' has no modality '" + modality + "'; it has "
                    + modalities.keySet());
        }
        return t;
    }

    /** Precomputed item-item graphs by name, in load order; unmodifiable. */
    public Map<String, CsrMatrix> itemGraphs() {
        return itemGraphs;
    }

    /** Same interactions, other modalities (robustness experiments add noise to features). */
    public Dataset withModalities(Map<String, Tensor> newModalities) {
        return copyIds(new Dataset(name, new Split(train, valid, test), newModalities, itemGraphs));
    }

    /** Same modalities and evaluation sets, other training interactions (robustness: dropped interactions). */
    public Dataset withTrain(UserItems newTrain) {
        return copyIds(new Dataset(name, new Split(newTrain, valid, test), modalities, itemGraphs));
    }

    private Dataset copyIds(Dataset d) {
        d.userIds = userIds;
        d.itemIds = itemIds;
        d.featureNorms = featureNorms;
        return d;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        s.append(name).append(": ").append(numUsers).append(" users, ").append(numItems).append(" items, ")
                .append(train.size()).append(" train / ").append(valid.size()).append(" valid / ")
                .append(test.size()).append(" test");
        for (Map.Entry<String, Tensor> e : modalities.entrySet()) {
            s.append(", ").append(e.getKey()).append(' ').append(e.getValue().shape());
        }
        for (Map.Entry<String, CsrMatrix> e : itemGraphs.entrySet()) {
            s.append(", ").append(e.getKey()).append(" graph (").append(e.getValue().nnz()).append(" edges)");
        }
        return s.toString();
    }
}
