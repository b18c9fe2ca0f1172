package weft.models.options;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One option of a model, declared once as typed data: its name, its type, its default, the checks
 * a value must pass, a one-line help, and the values a hyperparameter search tries. The
 * declaration drives everything else: flag parsing, {@code weft help}, the README's model table,
 * the report's {@code config}, validation and ablation variants.
 *
 * <p>An option is immutable; the builder-style methods ({@link #check}, {@link #search}) return a
 * new declaration. Values of options live in {@link Options}.
 *
 * <pre>
 *   static final Option&lt;Integer&gt; HEADS = Option.integer("heads", 4, "attention heads").min(1).search(2, 4);
 *   static final Option&lt;Boolean&gt; INTRA = Option.toggle("intra", "intra-modal attention");   // --no-intra
 * </pre>
 *
 * @param <T> the value's type
 */
public final class Option<T> {
    /** How the value is written on the command line. */
    public enum Kind {
        /** {@code --name 3} */
        INT,
        /** {@code --name 0.5} */
        REAL,
        /** {@code --name true|false} */
        BOOL,
        /** On by default; {@code --no-name} turns it off. */
        TOGGLE,
        /** {@code --name one-of-the-choices} */
        CHOICE,
        /** {@code --name a,b} (a subset of the choices, possibly empty) */
        SUBSET,
        /** {@code --name a=0.1,b=0.9} */
        WEIGHTS
    }

    private record Check<T>(Predicate<T> ok, String requirement) {}

    private final String name;
    private final Kind kind;
    private final T dflt;
    private final String help;
    private final Function<String, T> parser;
    private final Function<T, Object> reported;
    private final List<Check<T>> checks;
    private final List<T> search;
    private final List<String> choices;
    private String defaultText;
    private T unsaved;   // the value a saved model whose manifest lacks this option had; null: the default

    private Option(String name, Kind kind, T dflt, String help, Function<String, T> parser, Function<T, Object> reported,
                   List<Check<T>> checks, List<T> search, List<String> choices) {
        if (!name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("option name '" + name + "' must be lower-case words joined by '-'");
        }
        this.name = name;
        this.kind = kind;
        this.dflt = dflt;
        this.help = help;
        this.parser = parser;
        this.reported = reported;
        this.checks = List.copyOf(checks);
        this.search = Collections.unmodifiableList(new ArrayList<>(search));
        this.choices = List.copyOf(choices);
    }

    // ---- declarations ---------------------------------------------------------------------------

    /** An integer, e.g. {@code --tokens 4}. */
    public static Option<Integer> integer(String name, int dflt, String help) {
        return new Option<>(name, Kind.INT, dflt, help, s -> {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                throw new OptionException("--" + name + " must be an integer, got '" + s + "'");
            }
        }, v -> v, List.of(), List.of(), List.of());
    }

    /** A finite real number, e.g. {@code --cl-weight 0.01}. */
    public static Option<Double> real(String name, double dflt, String help) {
        Option<Double> o = new Option<>(name, Kind.REAL, dflt, help, s -> {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw new OptionException("--" + name + " must be a number, got '" + s + "'");
            }
        }, v -> v, List.of(), List.of(), List.of());
        return o.check(v -> !v.isNaN() && !v.isInfinite(), "a finite number");
    }

    /** true or false, written out: {@code --user-content false}. */
    public static Option<Boolean> bool(String name, boolean dflt, String help) {
        return new Option<>(name, Kind.BOOL, dflt, help, s -> {
            String t = s.trim();
            if (!t.equals("true") && !t.equals("false")) {
                throw new OptionException("--" + name + " takes true or false, got '" + s + "'");
            }
            return Boolean.parseBoolean(t);
        }, v -> v, List.of(), List.of(), List.of());
    }

    /** A component that is on by default and switched off by {@code --no-NAME} (an ablation variant). */
    public static Option<Boolean> toggle(String name, String help) {
        return new Option<>(name, Kind.TOGGLE, true, help, s -> {
            throw new OptionException("--no-" + name + " takes no value");
        }, v -> v, List.of(), List.of(), List.of());
    }

    /** One of a fixed set of names, as an enum: {@code --input-norm l2}. */
    public static <E extends Enum<E>> Option<E> choice(String name, Class<E> type, E dflt, String help) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(e.name().toLowerCase(Locale.ROOT));
        }
        return new Option<>(name, Kind.CHOICE, dflt, help, s -> {
            String t = s.trim().toLowerCase(Locale.ROOT);
            for (E e : type.getEnumConstants()) {
                if (e.name().toLowerCase(Locale.ROOT).equals(t)) {
                    return e;
                }
            }
            throw new OptionException("--" + name + " must be one of " + String.join(", ", names) + ", got '" + s + "'");
        }, v -> v.name().toLowerCase(Locale.ROOT), List.of(), List.of(), names);
    }

    /** A comma-separated subset of {@code choices} (empty allowed), kept in the order given. */
    public static Option<Set<String>> subset(String name, List<String> choices, Set<String> dflt, String help) {
        Option<Set<String>> o = new Option<>(name, Kind.SUBSET, Collections.unmodifiableSet(new LinkedHashSet<>(dflt)), help, s -> {
            Set<String> out = new LinkedHashSet<>();
            for (String part : s.split(",")) {
                String t = part.trim().toLowerCase(Locale.ROOT);
                if (t.isEmpty()) {
                    continue;
                }
                if (!choices.contains(t)) {
                    throw new OptionException("--" + name + " takes a comma-separated subset of " + String.join(",", choices)
                            + " (or nothing), got '" + part.trim() + "'");
                }
                out.add(t);
            }
            return Collections.unmodifiableSet(out);
        }, v -> String.join(",", v), List.of(), List.of(), choices);
        return o.check(v -> choices.containsAll(v), "a subset of " + choices);
    }

    /** Named non-negative weights, {@code --name a=0.1,b=0.9}; the default is usually empty (the model decides). */
    public static Option<Map<String, Double>> weights(String name, String help) {
        Option<Map<String, Double>> o = new Option<>(name, Kind.WEIGHTS, Map.of(), help, s -> {
            Map<String, Double> out = new LinkedHashMap<>();
            for (String part : s.split(",")) {
                if (part.isBlank()) {
                    continue;
                }
                String[] kv = part.split("=", 2);
                if (kv.length != 2 || kv[0].isBlank()) {
                    throw new OptionException("--" + name + " takes NAME=W,NAME=W, got '" + part + "'");
                }
                try {
                    out.put(kv[0].trim(), Double.parseDouble(kv[1].trim()));
                } catch (NumberFormatException e) {
                    throw new OptionException("--" + name + ": '" + kv[1].trim() + "' is not a number");
                }
            }
            return Collections.unmodifiableMap(out);
        }, v -> v, List.of(), List.of(), List.of());
        return o.check(v -> v.values().stream().allMatch(w -> w >= 0 && !w.isInfinite()), "finite weights >= 0");
    }

    // ---- refinements ----------------------------------------------------------------------------

    private Option<T> copy(Option<T> o) {
        o.defaultText = defaultText;
        o.unsaved = unsaved;
        return o;
    }

    /**
     * The value that a model saved before this option existed computed with, where that is not the
     * default (an option added off, then made the default): loading such a model, whose manifest
     * lacks the option, uses this value instead, so the loaded model computes what the saved one did.
     */
    public Option<T> whenUnsaved(T value) {
        Option<T> o = copy(new Option<>(name, kind, dflt, help, parser, reported, checks, search, choices));
        o.unsaved = o.validate(value);
        return o;
    }

    /** The value for a saved model's manifest that lacks this option: {@link #whenUnsaved}'s, else the default. */
    public T unsavedValue() {
        return unsaved != null ? unsaved : dflt;
    }

    /** How help and the README describe a default that the model derives from the data. */
    public Option<T> describeDefault(String text) {
        Option<T> o = copy(new Option<>(name, kind, dflt, help, parser, reported, checks, search, choices));
        o.defaultText = text;
        return o;
    }

    /** The default as help shows it. */
    public String defaultText() {
        return defaultText != null ? defaultText : format(dflt);
    }

    /** Adds a check: values for which {@code ok} is false are refused with "--NAME must be REQUIREMENT, got V". */
    public Option<T> check(Predicate<T> ok, String requirement) {
        List<Check<T>> c = new ArrayList<>(checks);
        c.add(new Check<>(ok, requirement));
        Option<T> o = copy(new Option<>(name, kind, dflt, help, parser, reported, c, search, choices));
        o.validate(dflt);
        return o;
    }

    /** The same type, default, checks and search space under another name and help (e.g. a second weight). */
    public Option<T> as(String newName, String newHelp) {
        Function<String, T> p = text -> {
            try {
                return parser.apply(text);
            } catch (OptionException e) {
                throw new OptionException(e.getMessage().replace("--" + name + " ", "--" + newName + " "));
            }
        };
        return copy(new Option<>(newName, kind, dflt, newHelp, p, reported, checks, search, choices));
    }

    /** The same option with another default (a model that shares an option but not its default). */
    public Option<T> withDefault(T newDefault) {
        Option<T> o = new Option<>(name, kind, newDefault, help, parser, reported, checks, search, choices);
        o.validate(newDefault);
        return o;
    }

    /** Other names the parser accepts for some values, e.g. {@code standardise} for {@code standardize}. */
    public Option<T> aliases(Map<String, T> aliases) {
        Function<String, T> base = parser;
        Function<String, T> p = s -> {
            T v = aliases.get(s.trim().toLowerCase(Locale.ROOT));
            return v != null ? v : base.apply(s);
        };
        return copy(new Option<>(name, kind, dflt, help, p, reported, checks, search, choices));
    }

    /** Values at least {@code min} (integers and reals). */
    @SuppressWarnings("unchecked")
    public Option<T> min(double min) {
        return check(v -> ((Number) v).doubleValue() >= min, ">= " + number(min));
    }

    /** Values at most {@code max}. */
    public Option<T> max(double max) {
        return check(v -> ((Number) v).doubleValue() <= max, "<= " + number(max));
    }

    /** Values strictly above {@code bound}. */
    public Option<T> above(double bound) {
        return check(v -> ((Number) v).doubleValue() > bound, "> " + number(bound));
    }

    /** Values strictly below {@code bound}. */
    public Option<T> below(double bound) {
        return check(v -> ((Number) v).doubleValue() < bound, "< " + number(bound));
    }

    /** The values a hyperparameter search tries for this option (each must pass the checks). */
    @SafeVarargs
    public final Option<T> search(T... values) {
        for (T v : values) {
            validate(v);
        }
        return copy(new Option<>(name, kind, dflt, help, parser, reported, checks, Arrays.asList(values), choices));
    }

    /** A number as a person writes it: 4, 0.2, 1e-4. */
    static String number(double x) {
        if (x == Math.rint(x) && Math.abs(x) < 1e15) {
            return String.valueOf((long) x);
        }
        String s = Double.toString(x);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        return mantissa + "e" + s.substring(e + 1);
    }

    // ---- use ------------------------------------------------------------------------------------

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public T defaultValue() {
        return dflt;
    }

    public String help() {
        return help;
    }

    public List<T> searchSpace() {
        return search;
    }

    public boolean isToggle() {
        return kind == Kind.TOGGLE;
    }

    /** The flag as typed: {@code --heads}, or {@code --no-intra} for a toggle. */
    public String flag() {
        return isToggle() ? "--no-" + name : "--" + name;
    }

    /** The flag's name without dashes, as the command-line parser registers it. */
    public String flagName() {
        return isToggle() ? "no-" + name : name;
    }

    /** The key of this option in a report's {@code config}: the name with '_' for '-'. */
    public String reportKey() {
        return name.replace('-', '_');
    }

    /** A value as the report writes it (enums and subsets as text). */
    public Object reported(T value) {
        return reported.apply(value);
    }

    /** The value written as on the command line (for help, the README and ablation labels). */
    public String format(T value) {
        if (value instanceof Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            m.forEach((k, v) -> parts.add(k + "=" + v));
            return String.join(",", parts);
        }
        Object r = reported.apply(value);
        if (r instanceof Double d) {
            return number(d);
        }
        return String.valueOf(r);
    }

    /** The flag's placeholder in usage lines: {@code N}, {@code X}, {@code true|false}, the choices, ... */
    public String placeholder() {
        return switch (kind) {
            case INT -> "N";
            case REAL -> "X";
            case BOOL -> "true|false";
            case TOGGLE -> "";
            case CHOICE -> String.join("|", choices);
            case SUBSET -> "[" + String.join(",", choices) + "]";
            case WEIGHTS -> "NAME=W,...";
        };
    }

    /** Parses the text of a flag's value and checks it; the error names the flag. */
    public T parse(String text) {
        if (text == null) {
            throw new OptionException(flag() + " needs a value");
        }
        return validate(parser.apply(text));
    }

    /** Returns {@code value} if it passes every check; the error names the flag and the value. */
    public T validate(T value) {
        if (value == null) {
            throw new OptionException(flag() + " needs a value");
        }
        for (Check<T> c : checks) {
            if (!c.ok().test(value)) {
                throw new OptionException("--" + name + " must be " + c.requirement() + ", got " + format(value));
            }
        }
        return value;
    }

    @Override
    public String toString() {
        return flag();
    }
}
