package weft.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import weft.models.cli.Args;
import weft.models.data.Dataset;

/**
 * The models the command line knows, by name (MMRec's "configuration by name"), each with the
 * flags of its own switches.
 */
public final class Models {
    /** Builds a model from the data, the shared hyperparameters and its own flags. */
    @FunctionalInterface
    public interface Factory {
        Recommender create(Dataset data, ModelConfig cfg, Args flags);
    }

    /**
     * A registered model: how to build it, its valued flags (e.g. "rho"), its on/off switches
     * (e.g. "no-intra"), and its ablation variants (each a list of extra arguments, e.g.
     * {@code ["--no-intra"]}) for {@code weft ablate}.
     */
    private record Entry(Factory factory, List<String> flags, List<String> switches, List<List<String>> ablations,
                         String description) {
        Entry(Factory factory, List<String> flags, String description) {
            this(factory, flags, List.of(), List.of(), description);
        }
    }

    private static final Map<String, Entry> BY_NAME = new LinkedHashMap<>();
    private static final Map<String, String> ALIASES = new LinkedHashMap<>();

    static {
        BY_NAME.put("popularity", new Entry((d, c, a) -> new Popularity(d), List.of(), "item popularity, the non-personalised floor"));
        BY_NAME.put("bprmf", new Entry((d, c, a) -> new BprMf(d, c), List.of(), "matrix factorisation with BPR"));
        BY_NAME.put("lightgcn", new Entry((d, c, a) -> new LightGcn(d, c), List.of(), "LightGCN on the user-item graph"));
        BY_NAME.put("vbpr", new Entry((d, c, a) -> new Vbpr(d, c), List.of(), "VBPR: ID + projected content embeddings"));
        BY_NAME.put("freedom", new Entry(Models::freedom, List.of("rho", "lambda", "knn-k", "mm-layers", "modality-weights"),
                List.of(), List.of(List.of("--rho", "0"), List.of("--lambda", "0"), List.of("--mm-layers", "0")),
                "FREEDOM: frozen item kNN graph + degree-sensitive pruned LightGCN"));
        // seed models: HMA-Rec, CRANE
        BY_NAME.put("hmarec", new Entry(HmaRec::fromFlags,
                List.of("tokens", "heads", "cl-weight", "cl-temp", "content-scale", "input-norm"),
                List.of("no-intra", "no-cross", "no-gate", "no-align"),
                List.of(List.of("--no-intra"), List.of("--no-cross"), List.of("--no-gate"), List.of("--no-align")),
                "HMA-Rec: intra-modal, cross-modal and gated attention over modality tokens + LightGCN"));
        BY_NAME.put("crane", new Entry(Crane::fromFlags,
                List.of("rca-steps", "heads", "cl-weight", "cl-temp", "knn-k", "item-layers", "content-scale", "input-norm"),
                List.of("no-profile", "no-semantic-graph", "no-contrast"),
                List.of(List.of("--rca-steps", "0"), List.of("--no-profile"), List.of("--no-semantic-graph"), List.of("--no-contrast")),
                "CRANE: recursive cross-modal attention, user profiles, user-item + item-item graphs with contrast"));
        // seed models: DPRec, TMFUN
        BY_NAME.put("dprec", new Entry(DpRec::create, DpRec.FLAGS, DpRec.SWITCHES, DpRec.ABLATIONS,
                "DPRec: memory + expansion perspectives gated per modality, soft hypergraphs, multi-level alignment"));
        BY_NAME.put("tmfun", new Entry(Tmfun::create, Tmfun.FLAGS, Tmfun.SWITCHES, Tmfun.ABLATIONS,
                "TMFUN: attention-guided multi-step fusion over modality and item feature graphs + LightGCN"));
        ALIASES.put("bpr", "bprmf");
        ALIASES.put("bpr-mf", "bprmf");
        ALIASES.put("mf", "bprmf");
        ALIASES.put("pop", "popularity");
    }

    private Models() {}

    private static Recommender freedom(Dataset d, ModelConfig c, Args a) {
        Freedom.Options o = new Freedom.Options();
        o.rho = a.real("rho", o.rho, 0);
        if (o.rho >= 1) {
            throw new Args.UsageException("--rho must be below 1 (it is the fraction of edges dropped), got " + o.rho);
        }
        o.lambda = (float) a.real("lambda", o.lambda, 0);
        o.knnK = a.integer("knn-k", o.knnK, 1);
        o.mmLayers = a.integer("mm-layers", o.mmLayers, 0);
        o.uiLayers = a.has("layers") ? c.layers : o.uiLayers;
        for (String part : a.string("modality-weights", "").split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] kv = part.split("=", 2);
            if (kv.length != 2) {
                throw new Args.UsageException("--modality-weights takes NAME=W,NAME=W, got '" + part + "'");
            }
            try {
                o.weights.put(kv[0].trim(), Double.parseDouble(kv[1].trim()));
            } catch (NumberFormatException e) {
                throw new Args.UsageException("--modality-weights: '" + kv[1] + "' is not a number");
            }
        }
        return new Freedom(d, c, o);
    }

    /**
     * The model's default {@code --reg} where it differs from the protocol's 1e-4: BPR-MF's is
     * 0.1, the point of MMRec's own grid for BPR (reg_weight 2, 1, 0.1, 1e-2 ... 1e-5) that
     * Amazon Baby's valid Recall@20 selects (0.0587, against 0.0552 to 0.0556 at 1e-2 ... 1e-5
     * and under 0.003 at 1 and 2). Without it BPR-MF overfits within 15 epochs.
     */
    public static float defaultReg(String name, float protocolDefault) {
        return switch (require(name)) {
            case "bprmf" -> 0.1f;
            default -> protocolDefault;
        };
    }

    /** Canonical names. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /** Every model-specific valued flag of any model. */
    public static List<String> allModelFlags() {
        return BY_NAME.values().stream().flatMap(e -> e.flags().stream()).distinct().toList();
    }

    /** Every model-specific switch of any model. */
    public static List<String> allModelSwitches() {
        return BY_NAME.values().stream().flatMap(e -> e.switches().stream()).distinct().toList();
    }

    /** The model-specific switches {@code name} accepts. */
    public static List<String> switchesOf(String name) {
        return BY_NAME.get(require(name)).switches();
    }

    /** The ablation variants of {@code name}: extra arguments, one list per variant. */
    public static List<List<String>> ablationsOf(String name) {
        return BY_NAME.get(require(name)).ablations();
    }

    /** The model-specific flags {@code name} accepts. */
    public static List<String> flagsOf(String name) {
        return BY_NAME.get(require(name)).flags();
    }

    public static String description(String name) {
        return BY_NAME.get(require(name)).description();
    }

    /** The canonical name for {@code name} (case-insensitive, aliases resolved), or null. */
    public static String canonical(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        n = ALIASES.getOrDefault(n, n);
        return BY_NAME.containsKey(n) ? n : null;
    }

    private static String require(String name) {
        String n = canonical(name);
        if (n == null) {
            throw new Args.UsageException("unknown model '" + name + "'; known: " + String.join(", ", BY_NAME.keySet()));
        }
        return n;
    }

    public static Recommender create(String name, Dataset data, ModelConfig cfg) {
        return create(name, data, cfg, new Args());
    }

    public static Recommender create(String name, Dataset data, ModelConfig cfg, Args flags) {
        return BY_NAME.get(require(name)).factory().create(data, cfg, flags);
    }
}
