package weft.models.tune;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import weft.engine.Rng;
import weft.models.ModelSpec;
import weft.models.data.Seeds;
import weft.models.options.Option;
import weft.models.options.OptionException;
import weft.models.options.SharedParams;

/**
 * A grid of hyperparameter values for one model: an ordered list of settings (the shared
 * hyperparameters of {@link SharedParams} or the model's own options), each with the values to
 * try, written as on the command line. Grid point {@code i} is decoded in mixed radix with the
 * first setting varying slowest, so trial numbers and their configurations are stable.
 */
public final class SearchSpace {
    /** One searched setting: its declaration and the values, in canonical command-line text. */
    public record Param(Option<?> option, List<String> values) {
        public String name() {
            return option.name();
        }
    }

    private final ModelSpec spec;
    private final List<Param> params;

    private SearchSpace(ModelSpec spec, List<Param> params) {
        this.spec = spec;
        this.params = List.copyOf(params);
    }

    /** The model's declared search space ({@link ModelSpec#searchSpace()}). */
    public static SearchSpace declared(ModelSpec spec) {
        List<Param> ps = new ArrayList<>();
        for (Map.Entry<Option<?>, List<?>> e : spec.searchSpace().entrySet()) {
            List<String> vs = new ArrayList<>();
            for (Object v : e.getValue()) {
                vs.add(formatAny(e.getKey(), v));
            }
            ps.add(new Param(e.getKey(), vs));
        }
        return new SearchSpace(spec, ps);
    }

    /**
     * The grid given as {@code --grid NAME=V1,V2,...} entries: exactly these settings are
     * searched. Errors name the entry: an unknown setting, a value its declaration refuses, a
     * setting given twice, an empty or repeated value.
     */
    public static SearchSpace parse(ModelSpec spec, List<String> entries) {
        List<Param> ps = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String entry : entries) {
            String[] kv = entry.split("=", 2);
            if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
                throw new OptionException("--grid takes NAME=V1,V2,..., got '" + entry + "'");
            }
            String name = kv[0].trim();
            Option<?> o = setting(spec, name);
            if (o == null) {
                throw new OptionException("--grid " + entry + ": " + spec.name() + " has no setting '" + name + "'; it has "
                        + String.join(", ", settingNames(spec)));
            }
            if (o.kind() == Option.Kind.SUBSET || o.kind() == Option.Kind.WEIGHTS) {
                throw new OptionException("--grid " + entry + ": --" + name + " takes comma-separated values itself and cannot be searched");
            }
            if (!seen.add(name)) {
                throw new OptionException("--grid " + name + " given more than once");
            }
            List<String> vs = new ArrayList<>();
            for (String part : kv[1].split(",", -1)) {
                if (part.isBlank()) {
                    throw new OptionException("--grid " + entry + ": empty value");
                }
                String v;
                try {
                    v = canonical(o, part.trim());
                } catch (OptionException e) {
                    throw new OptionException("--grid " + entry + ": " + e.getMessage());
                }
                if (vs.contains(v)) {
                    throw new OptionException("--grid " + entry + ": value " + v + " given twice");
                }
                vs.add(v);
            }
            ps.add(new Param(o, vs));
        }
        return new SearchSpace(spec, ps);
    }

    /** The same grid without the settings named in {@code fixed} (fixed on the command line). */
    public SearchSpace without(Collection<String> fixed) {
        return new SearchSpace(spec, params.stream().filter(p -> !fixed.contains(p.name())).toList());
    }

    /** The setting of {@code spec} called {@code name}: a shared hyperparameter or one of its options; null if none. */
    public static Option<?> setting(ModelSpec spec, String name) {
        Option<?> o = spec.option(name);
        return o != null ? o : SharedParams.find(name);
    }

    /** The names {@link #setting} accepts for {@code spec}. */
    public static List<String> settingNames(ModelSpec spec) {
        List<String> names = new ArrayList<>();
        SharedParams.ALL.forEach(o -> names.add(o.name()));
        spec.options().forEach(o -> names.add(o.name()));
        return names;
    }

    /**
     * {@code text} checked by the setting's declaration and written canonically ({@code 1e-4},
     * {@code true}); toggles and booleans take {@code true} or {@code false}.
     */
    public static String canonical(Option<?> o, String text) {
        if (o.kind() == Option.Kind.TOGGLE) {
            String t = text.trim();
            if (!t.equals("true") && !t.equals("false")) {
                throw new OptionException("--" + o.name() + " takes true or false here, got '" + text + "'");
            }
            return t;
        }
        return formatParsed(o, text);
    }

    private static <T> String formatParsed(Option<T> o, String text) {
        return o.format(o.parse(text));
    }

    @SuppressWarnings("unchecked")
    private static <T> String formatAny(Option<T> o, Object v) {
        return o.format(o.validate((T) v));
    }

    /** A canonical value as JSON writes it: integers as numbers, reals as numbers, booleans, else text. */
    public static Object typed(Option<?> o, String text) {
        return switch (o.kind()) {
            case INT -> Long.parseLong(text);
            case REAL -> Double.parseDouble(text);
            case BOOL, TOGGLE -> Boolean.parseBoolean(text);
            default -> text;
        };
    }

    public ModelSpec spec() {
        return spec;
    }

    public List<Param> params() {
        return params;
    }

    public boolean isEmpty() {
        return params.isEmpty();
    }

    /** The number of grid points (saturating at Long.MAX_VALUE). */
    public long size() {
        long n = 1;
        for (Param p : params) {
            try {
                n = Math.multiplyExact(n, p.values().size());
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    /** Grid point {@code index} (0-based) as setting name -> canonical value, in the grid's order. */
    public Map<String, String> config(long index) {
        if (index < 0 || index >= size()) {
            throw new IllegalArgumentException("grid point " + index + " outside [0, " + size() + ")");
        }
        Map<String, String> m = new LinkedHashMap<>();
        long rest = index;
        String[] vals = new String[params.size()];
        for (int k = params.size() - 1; k >= 0; k--) {
            int n = params.get(k).values().size();
            vals[k] = params.get(k).values().get((int) (rest % n));
            rest /= n;
        }
        for (int k = 0; k < params.size(); k++) {
            m.put(params.get(k).name(), vals[k]);
        }
        return m;
    }

    /**
     * The grid point at which every searched setting has the value the model trains with when the
     * setting is not given ({@link ModelSpec#defaultOf}), or -1 when some default is not among
     * the grid's values.
     */
    public long defaultPoint() {
        long index = 0;
        for (Param p : params) {
            int at = p.values().indexOf(formatAny(p.option(), spec.defaultOf(p.option())));
            if (at < 0) {
                return -1;
            }
            index = index * p.values().size() + at;
        }
        return index;
    }

    /**
     * The grid points to train: all of them, ascending, when {@code trials} is null or at least
     * the grid's size; else {@code trials} distinct points, the first of them the model's
     * defaults when they lie on the grid ({@link #defaultPoint}) and the others drawn uniformly
     * with {@code seed}, ascending. Starting from the defaults means a search never chooses a
     * configuration worse on valid than the one the model would train with anyway.
     */
    public List<Long> trials(Integer trials, long seed) {
        long size = size();
        List<Long> out = new ArrayList<>();
        if (trials == null || trials >= size) {
            if (size > 1_000_000) {
                throw new IllegalArgumentException("the grid has " + size + " points; give --trials N to sample it");
            }
            for (long i = 0; i < size; i++) {
                out.add(i);
            }
            return out;
        }
        long dflt = defaultPoint();
        if (dflt >= 0) {
            out.add(dflt);
        }
        Rng r = new Rng(Seeds.mix(seed, 0x7E11EL));
        TreeSet<Long> chosen = new TreeSet<>();
        while (chosen.size() + out.size() < trials) {
            long i = Math.min(size - 1, (long) (r.nextDouble() * size));
            if (i != dflt) {
                chosen.add(i);
            }
        }
        out.addAll(chosen);
        return out;
    }

    /** The grid as JSON: setting name -> list of values. */
    public Map<String, Object> asJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Param p : params) {
            List<Object> vs = new ArrayList<>();
            for (String v : p.values()) {
                vs.add(typed(p.option(), v));
            }
            m.put(p.name(), vs);
        }
        return m;
    }

    /** A configuration as JSON values (see {@link #typed}). */
    public static Map<String, Object> typedConfig(ModelSpec spec, Map<String, String> config) {
        Map<String, Object> m = new LinkedHashMap<>();
        config.forEach((k, v) -> m.put(k, typed(setting(spec, k), v)));
        return m;
    }

    /** "reg=1e-4 layers=2". */
    public static String describe(Map<String, String> config) {
        List<String> parts = new ArrayList<>();
        config.forEach((k, v) -> parts.add(k + "=" + v));
        return parts.isEmpty() ? "(defaults)" : String.join(" ", parts);
    }
}
