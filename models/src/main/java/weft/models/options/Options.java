package weft.models.options;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The values of a model's options: an immutable, typed map from {@link Option} to value, in which
 * an option that was not set has its declared default. A Java caller builds one in code,
 * {@code Options.defaults().with(HmaRec.TOKENS, 2).with(HmaRec.INTRA, false)}; the command line
 * builds the same object from flags ({@link #parse}). Every value is checked when it is set, so a
 * model never sees a value its declaration refuses.
 */
public final class Options {
    private static final Options DEFAULTS = new Options(Map.of());

    private final Map<Option<?>, Object> set;

    private Options(Map<Option<?>, Object> set) {
        this.set = set;
    }

    /** Every option at its default. */
    public static Options defaults() {
        return DEFAULTS;
    }

    /** A copy with {@code option} set to {@code value} (checked: the error names the flag). */
    public <T> Options with(Option<T> option, T value) {
        option.validate(value);
        Map<Option<?>, Object> m = new LinkedHashMap<>(set);
        m.put(option, value);
        return new Options(Collections.unmodifiableMap(m));
    }

    /** A copy with every value of {@code other} set on top of this one's. */
    public Options with(Options other) {
        Map<Option<?>, Object> m = new LinkedHashMap<>(set);
        m.putAll(other.set);
        return new Options(Collections.unmodifiableMap(m));
    }

    /** The value of {@code option}: the one set, else its default. */
    @SuppressWarnings("unchecked")
    public <T> T get(Option<T> option) {
        Object v = set.get(option);
        return v == null ? option.defaultValue() : (T) v;
    }

    /** {@code get} of a real option as a float, the precision the models compute in. */
    public float getFloat(Option<Double> option) {
        return get(option).floatValue();
    }

    /** Whether {@code option} was set explicitly (to any value, the default included). */
    public boolean isSet(Option<?> option) {
        return set.containsKey(option);
    }

    /** The options set explicitly that are not among {@code declared}. */
    public List<Option<?>> outside(List<Option<?>> declared) {
        return set.keySet().stream().filter(o -> declared.stream().noneMatch(d -> d == o)).toList();
    }

    /**
     * Parses flag values: {@code values} maps a flag's name ({@code heads}, {@code no-intra}) to its
     * text (ignored for toggles). Flags of options not in {@code declared} are ignored: the command
     * line checks separately that every flag given applies to some model.
     */
    public static Options parse(List<Option<?>> declared, Map<String, String> values) {
        Options o = defaults();
        for (Option<?> opt : declared) {
            if (values.containsKey(opt.flagName())) {
                o = o.parsed(opt, values.get(opt.flagName()));
            }
        }
        return o;
    }

    private <T> Options parsed(Option<T> option, String text) {
        return with(option, option.isToggle() ? castFalse(option) : option.parse(text));
    }

    @SuppressWarnings("unchecked")
    private static <T> T castFalse(Option<T> toggle) {
        return (T) Boolean.FALSE;
    }

    /** The values of {@code declared}, keyed by {@link Option#reportKey()}, for a report's config. */
    public Map<String, Object> asMap(List<Option<?>> declared) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Option<?> o : declared) {
            m.put(o.reportKey(), reported(o));
        }
        return m;
    }

    private <T> Object reported(Option<T> o) {
        return o.reported(get(o));
    }

    /** The options set explicitly, as flags: {@code --heads 2 --no-intra}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        set.forEach((o, v) -> sb.append(sb.length() == 0 ? "" : " ").append(flagText(o)));
        return sb.toString();
    }

    private <T> String flagText(Option<T> o) {
        T v = get(o);
        if (o.isToggle()) {
            return Boolean.TRUE.equals(v) ? "--" + o.name() : o.flag();
        }
        return o.flag() + " " + o.format(v);
    }
}
