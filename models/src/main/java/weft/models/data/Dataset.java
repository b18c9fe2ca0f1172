package weft.models.data;

import weft.engine.Tensor;
import weft.graph.CsrMatrix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A recommendation dataset under the MMRec protocol: users and items as dense indices (with
 * their raw ids in {@link #userIds()} / {@link #itemIds()}), the
 * train / valid / test interactions as per-user sorted item lists, and named item modalities
 * (one float32 matrix per modality, row i = item i), and named precomputed item-item graphs
 * (a modality given as its kNN graph instead of its vectors).
 *
 * <p>Immutable. Models read {@link #train()} for the graph and the sampler, the evaluator reads
 * {@link #valid()} / {@link #test()} as ground truth and masks {@link #train()}.
 *
 * <p>Loaded from a folder ({@link #load(Path, Options)}): its one {@code NAME.inter} (ids mapped
 * to indices as {@link InterFile} describes), the modality {@code .npy} files (row i = item index
 * i) and item-graph TSVs (raw item ids). An optional {@value #ITEM_IDS_FILE} (one raw item id per
 * line, line i = item index i = row i of every .npy) fixes the items and their order explicitly;
 * meant for string item ids, it applies to any (ids are matched as text), and items listed there
 * but absent from the .inter are catalogue items with no interactions. Without it, string item
 * ids are indexed in natural order, so the .npy rows must follow that order.
 *
 * <p>Loading refuses what would make the metrics meaningless (no train, valid or test
 * interactions; a pair in train and in valid/test) and evaluates only users that have training
 * interactions: valid/test lines of a user without any are dropped and counted. What is irregular
 * but harmless is counted in {@link #loadSummary()}.
 */
public final class Dataset {
    /** Modality files picked up by default when present in the folder (MMRec's names). */
    public static final Map<String, String> DEFAULT_MODALITIES = Map.of("image", "image_feat.npy", "text", "text_feat.npy");
    /** Seed of the random split for .inter files without x_label, unless one is given. */
    public static final long DEFAULT_SPLIT_SEED = 999;
    /** Optional file of a dataset folder listing the raw item ids, line i = item index i. */
    public static final String ITEM_IDS_FILE = "item_ids.txt";
    /**
     * Feature values beyond this magnitude are refused at load: their squares and dot products
     * overflow float32 (max 3.4e38) inside the models.
     */
    public static final double MAX_FEATURE_MAGNITUDE = 1e15;

    private final String name;
    private final int numUsers, numItems;
    private final UserItems train, valid, test;
    private final Map<String, Tensor> modalities;
    private final Map<String, CsrMatrix> itemGraphs;
    private IdMap userIds, itemIds;
    private Map<String, FeatureNorm.Fitted> featureNorms = Map.of();
    private String loadSummary;

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
            Path before = itemGraphs.get(name);
            if (before != null) {
                throw new IllegalArgumentException("item graph '" + name + "' given twice (" + before + " and " + file + ")");
            }
            if (modalities.containsKey(name)) {
                throw new IllegalArgumentException("'" + name + "' is given both as an item graph (" + file + ") and as a modality ("
                        + modalities.get(name) + ")");
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

        /**
         * Adds a modality read from {@code file}, relative to the dataset folder unless absolute;
         * it replaces a default modality of the same name. A name given twice is refused.
         */
        public Options modality(String name, Path file) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("modality name must not be blank");
            }
            Path before = modalities.get(name);
            if (before != null) {
                throw new IllegalArgumentException("modality '" + name + "' given twice (" + before + " and " + file + ")");
            }
            if (itemGraphs.containsKey(name)) {
                throw new IllegalArgumentException("'" + name + "' is given both as a modality (" + file + ") and as an item graph ("
                        + itemGraphs.get(name) + ")");
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
        Path idsPath = dir.resolve(ITEM_IDS_FILE);
        IdMap fixedItems = Files.exists(idsPath, LinkOption.NOFOLLOW_LINKS) ? readItemIds(requireFile(idsPath)) : null;
        InterFile inter = InterFile.read(interPath, fixedItems);
        Split split = inter.split(options.splitSeed);
        String fileName = interPath.getFileName().toString();
        String name = fileName.substring(0, fileName.length() - ".inter".length());
        List<String> notes = new ArrayList<>(inter.notes());
        if (inter.duplicateLines() > 0) {
            notes.add(inter.duplicateLines() + " duplicate line" + (inter.duplicateLines() == 1 ? "" : "s") + " dropped");
        }
        split = dropUntrainedUsers(split, notes);
        requireParts(interPath, inter, split);
        countUnused(split, inter, fixedItems != null, notes);

        LinkedHashMap<String, Path> wanted = new LinkedHashMap<>();
        if (options.defaultModalities) {
            for (String m : List.of("image", "text")) { // fixed order: Map.of has none
                Path p = dir.resolve(DEFAULT_MODALITIES.get(m));
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) { // a dangling link or a folder is an error, not "absent"
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
            Path file = requireFile(e.getValue());
            Tensor t = Npy.read(file);
            Npy.requireRows(file, t, inter.numItems());
            if (t.cols == 0) {
                throw DataFormatException.inFile(file, "shape (" + t.rows + ", 0): modality '" + e.getKey()
                        + "' has no feature columns (expected one row of at least one value per item)");
            }
            Npy.requireFinite(file, t);
            requireUsable(file, e.getKey(), t);
            FeatureNorm.Fitted fitted = options.featureNorm.fit(t);
            norms.put(e.getKey(), fitted);
            mods.put(e.getKey(), fitted.apply(t));
        }
        LinkedHashMap<String, CsrMatrix> graphs = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : options.itemGraphs.entrySet()) {
            graphs.put(e.getKey(), ItemGraphFile.read(requireFile(dir.resolve(e.getValue())), inter.itemIds()));
        }
        Dataset d = new Dataset(name, split, mods, graphs);
        d.featureNorms = Collections.unmodifiableMap(norms);
        d.userIds = inter.userIds().isIdentity() ? null : inter.userIds();
        d.itemIds = inter.itemIds().isIdentity() ? null : inter.itemIds();
        d.loadSummary = notes.isEmpty() ? null : "load: " + String.join(", ", notes);
        return d;
    }

    /** {@code file} itself if it is a readable regular file (following links), else a clear error. */
    static Path requireFile(Path file) {
        if (Files.isSymbolicLink(file) && !Files.exists(file)) {
            String target;
            try {
                target = String.valueOf(Files.readSymbolicLink(file));
            } catch (IOException e) {
                target = "?";
            }
            throw DataFormatException.inFile(file, "is a symbolic link to '" + target + "', which does not exist");
        }
        if (Files.isDirectory(file)) {
            throw DataFormatException.inFile(file, "is a folder, expected a file");
        }
        if (!Files.exists(file)) {
            throw DataFormatException.inFile(file, "no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw DataFormatException.inFile(file, "is not a regular file");
        }
        return file;
    }

    /** Refuses features that overflow float32 arithmetic, and an all-zero modality. */
    private static void requireUsable(Path file, String modality, Tensor t) {
        boolean nonZero = false;
        for (int r = 0; r < t.rows; r++) {
            int base = t.offset + r * t.cols;
            for (int c = 0; c < t.cols; c++) {
                float v = t.data[base + c];
                if (Math.abs(v) > MAX_FEATURE_MAGNITUDE) {
                    throw DataFormatException.inFile(file, "value at row " + r + ", column " + c + " is " + v + ": features beyond 1e15"
                            + " in magnitude overflow float32 in the models; rescale the features");
                }
                nonZero |= v != 0;
            }
        }
        if (!nonZero) {
            throw DataFormatException.inFile(file, "modality '" + modality + "' is all zeros: it carries no information"
                    + " (remove the file, or give it with real features)");
        }
    }

    /** Reads {@value #ITEM_IDS_FILE}: one raw id per line, each once, no blank lines (a final newline is fine). */
    static IdMap readItemIds(Path file) {
        List<String> ids = new ArrayList<>();
        Map<String, Integer> seen = new java.util.HashMap<>();
        try (java.io.BufferedReader in = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
                if (lineNo == 1 && line.startsWith("\uFEFF")) line = line.substring(1);
                String id = line.trim();
                if (id.isEmpty()) {
                    throw DataFormatException.at(file, lineNo, 1, "empty line; expected one item id per line (line i = item i = row i of the .npy files)");
                }
                if (id.indexOf('\t') >= 0) {
                    throw DataFormatException.at(file, lineNo, 1, "item id '" + id + "' contains a tab");
                }
                Integer prev = seen.put(id, lineNo);
                if (prev != null) {
                    throw DataFormatException.at(file, lineNo, 1, "item id '" + id + "' is listed twice (also line " + prev + ")");
                }
                ids.add(id);
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw TextFiles.notUtf8(file);
        } catch (IOException e) {
            throw DataFormatException.io(file, e);
        }
        if (ids.isEmpty()) {
            throw DataFormatException.inFile(file, "empty: expected one item id per line");
        }
        return IdMap.of(ids);
    }

    /**
     * Valid/test lines of users with no training interactions are dropped: such a user would be
     * ranked by untrained embeddings. Counted in the notes.
     */
    private static Split dropUntrainedUsers(Split split, List<String> notes) {
        UserItems train = split.train();
        int dropped = 0;
        for (int u = 0; u < train.numUsers(); u++) {
            if (train.count(u) == 0 && (split.valid().count(u) > 0 || split.test().count(u) > 0)) {
                dropped++;
            }
        }
        if (dropped == 0) {
            return split;
        }
        notes.add(dropped + " user" + (dropped == 1 ? "" : "s") + " without training data (not evaluated)");
        return new Split(train, withoutUntrained(split.valid(), train), withoutUntrained(split.test(), train));
    }

    private static UserItems withoutUntrained(UserItems part, UserItems train) {
        int[] us = part.userColumn(), is = part.itemColumn();
        int n = 0;
        for (int k = 0; k < us.length; k++) {
            if (train.count(us[k]) > 0) {
                us[n] = us[k];
                is[n++] = is[k];
            }
        }
        return UserItems.fromPairs(part.numUsers(), part.numItems(), java.util.Arrays.copyOf(us, n), java.util.Arrays.copyOf(is, n));
    }

    /** Training, validation (early stopping) and test (the reported metrics) must each hold interactions. */
    private static void requireParts(Path file, InterFile inter, Split split) {
        String how = inter.hasLabels() ? " (x_label " : null;
        if (split.train().size() == 0) {
            throw DataFormatException.inFile(file, "no training interactions" + (how != null ? how + "0)" : "")
                    + ": there is nothing to train on");
        }
        String[] names = {"validation", "test"};
        UserItems[] parts = {split.valid(), split.test()};
        for (int p = 0; p < 2; p++) {
            if (parts[p].size() == 0) {
                String why = how != null ? how + (p + 1) + ") of a user with training interactions"
                        : " (the random split holds out items only of users with 3 or more distinct items)";
                throw DataFormatException.inFile(file, "no " + names[p] + " interactions" + why + ": "
                        + (p == 0 ? "early stopping has nothing to select on" : "there is nothing to report"));
            }
        }
    }

    /** Counts ids that index no interaction at all (gaps in integer ids, catalogue-only items). */
    private static void countUnused(Split split, InterFile inter, boolean itemList, List<String> notes) {
        boolean[] seen = new boolean[inter.numUsers()];
        for (int u : inter.users()) seen[u] = true;
        int users = 0;
        for (boolean b : seen) if (!b) users++;
        boolean[] used = new boolean[inter.numItems()];
        for (int i : inter.items()) used[i] = true;
        int items = 0;
        for (boolean b : used) if (!b) items++;
        if (users > 0) {
            notes.add(users + " user id" + (users == 1 ? "" : "s") + " unused (no interactions)");
        }
        if (items > 0) {
            notes.add(items + " item id" + (items == 1 ? "" : "s") + (itemList ? " of " + ITEM_IDS_FILE : "")
                    + " without interactions (still ranked)");
        }
    }

    /**
     * One line on what loading found irregular but accepted (duplicate lines dropped, ids without
     * interactions, users without training data, mixed id columns), starting "load: ", or null
     * when nothing was.
     */
    public String loadSummary() {
        return loadSummary;
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
        d.loadSummary = loadSummary;
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
