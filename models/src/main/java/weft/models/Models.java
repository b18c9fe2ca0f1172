package weft.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import weft.models.data.Dataset;
import weft.models.options.OptionException;
import weft.models.options.Options;

/** The models weft knows, by name (MMRec's "configuration by name"): each one's {@link ModelSpec}. */
public final class Models {
    private static final List<ModelSpec> ALL = List.of(Popularity.SPEC, BprMf.SPEC, LightGcn.SPEC, Vbpr.SPEC, Freedom.SPEC,
            HmaRec.SPEC, Crane.SPEC, DpRec.SPEC, Tmfun.SPEC);
    private static final Map<String, String> ALIASES = Map.of("bpr", "bprmf", "bpr-mf", "bprmf", "mf", "bprmf", "pop", "popularity");

    private Models() {}

    /** Every model's spec, in the order help and tables list them. */
    public static List<ModelSpec> all() {
        return ALL;
    }

    /** Canonical names. */
    public static List<String> names() {
        return ALL.stream().map(ModelSpec::name).toList();
    }

    /** The spec of {@code name} (case-insensitive, aliases resolved), or null. */
    public static ModelSpec find(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        String c = ALIASES.getOrDefault(n, n);
        return ALL.stream().filter(s -> s.name().equals(c)).findFirst().orElse(null);
    }

    /** The spec of {@code name}; an unknown name fails listing the known ones. */
    public static ModelSpec spec(String name) {
        ModelSpec s = find(name);
        if (s == null) {
            throw new OptionException("unknown model '" + name + "'; known: " + String.join(", ", names()));
        }
        return s;
    }

    /** Builds {@code name} with its default options. */
    public static Recommender create(String name, Dataset data, ModelConfig cfg) {
        return spec(name).create(data, cfg, Options.defaults());
    }

    /** The README's table of models and their own flags, generated from the specs. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder("| model | `--model` | own flags (defaults) |\n|---|---|---|\n");
        for (ModelSpec s : ALL) {
            sb.append(s.markdownRow()).append('\n');
        }
        return sb.toString();
    }

    /** Every option name any model declares, mapped to the models that declare it. */
    static Map<String, List<String>> optionOwners() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (ModelSpec s : ALL) {
            s.options().forEach(o -> m.computeIfAbsent(o.flagName(), k -> new java.util.ArrayList<>()).add(s.name()));
        }
        return m;
    }
}
