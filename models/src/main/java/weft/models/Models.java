package weft.models;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

import weft.models.data.Dataset;

/** The models the command line knows, by name (MMRec's "configuration by name"). */
public final class Models {
    private static final Map<String, BiFunction<Dataset, ModelConfig, Recommender>> BY_NAME = new LinkedHashMap<>();
    private static final Map<String, String> ALIASES = new LinkedHashMap<>();

    static {
        BY_NAME.put("bprmf", BprMf::new);
        BY_NAME.put("lightgcn", LightGcn::new);
        BY_NAME.put("popularity", (d, c) -> new Popularity(d));
        ALIASES.put("bpr", "bprmf");
        ALIASES.put("bpr-mf", "bprmf");
        ALIASES.put("mf", "bprmf");
    }

    private Models() {}

    /** Canonical names. */
    public static Iterable<String> names() {
        return BY_NAME.keySet();
    }

    /** The canonical name for {@code name} (case-insensitive, aliases resolved), or null. */
    public static String canonical(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        n = ALIASES.getOrDefault(n, n);
        return BY_NAME.containsKey(n) ? n : null;
    }

    public static Recommender create(String name, Dataset data, ModelConfig cfg) {
        String n = canonical(name);
        if (n == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known: " + String.join(", ", BY_NAME.keySet()));
        }
        return BY_NAME.get(n).apply(data, cfg);
    }
}
