package weft.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import weft.models.data.Dataset;
import weft.models.options.Option;
import weft.models.options.OptionException;
import weft.models.options.Options;

/**
 * A model as the rest of weft knows it: its name, a one-line description, its options (declared
 * once, see {@link Option}), whether it reads item feature vectors, its ablation variants, where
 * its shared hyperparameters differ from the protocol's, and how to build it. The command line,
 * {@code weft help}, the README's model table, reports and ablations are all derived from here;
 * a model class declares its spec as {@code public static final ModelSpec SPEC}.
 */
public final class ModelSpec {
    /** Builds the model from the data, the shared hyperparameters and its own options. */
    @FunctionalInterface
    public interface Factory {
        Recommender create(Dataset data, ModelConfig cfg, Options options);
    }

    /** An ablation variant: a label as typed on the command line ({@code --no-intra}) and the options it sets. */
    public record Variant(String label, Options options) {}

    private final String name, description;
    private final boolean readsFeatures;
    private final List<Option<?>> options;
    private final List<Variant> extraAblations;
    private final Float reg;
    private final String regReason;
    private final Integer layers;
    private final Map<Option<?>, List<?>> sharedSearch;
    private final Factory factory;

    private ModelSpec(Builder b, Factory factory) {
        this.name = b.name;
        this.description = b.description;
        this.readsFeatures = b.readsFeatures;
        this.options = List.copyOf(b.options);
        this.extraAblations = List.copyOf(b.ablations);
        this.reg = b.reg;
        this.regReason = b.regReason;
        this.layers = b.layers;
        this.sharedSearch = new LinkedHashMap<>(b.sharedSearch);
        this.factory = factory;
        List<String> seen = new ArrayList<>();
        for (Option<?> o : options) {
            if (seen.contains(o.name())) {
                throw new IllegalArgumentException(name + " declares option " + o.flag() + " twice");
            }
            seen.add(o.name());
        }
    }

    public static Builder builder(String name, String description) {
        return new Builder(name, description);
    }

    /** Declares a model: its options, switches, ablations and shared-parameter defaults. */
    public static final class Builder {
        private final String name, description;
        private boolean readsFeatures = true;
        private final List<Option<?>> options = new ArrayList<>();
        private final List<Variant> ablations = new ArrayList<>();
        private Float reg;
        private String regReason;
        private Integer layers;
        private final Map<Option<?>, List<?>> sharedSearch = new LinkedHashMap<>();

        private Builder(String name, String description) {
            this.name = name;
            this.description = description;
        }

        public Builder options(Option<?>... opts) {
            options.addAll(List.of(opts));
            return this;
        }

        /** The model reads no item feature vectors (feature-noise experiments leave it alone). */
        public Builder noFeatures() {
            readsFeatures = false;
            return this;
        }

        /** An ablation variant besides the toggles' ({@code --no-X} for each): {@code option} set to {@code value}. */
        public <T> Builder ablation(Option<T> option, T value) {
            ablations.add(new Variant(option.flag() + " " + option.format(value), Options.defaults().with(option, value)));
            return this;
        }

        /** The model's default {@code --reg} where it is not the protocol's, and why. */
        public Builder reg(float value, String reason) {
            reg = value;
            regReason = reason;
            return this;
        }

        /** The model's default {@code --layers} where it is not the protocol's. */
        public Builder layers(int value) {
            layers = value;
            return this;
        }

        /** The values a hyperparameter search tries for a shared hyperparameter ({@link weft.models.options.SharedParams}). */
        @SafeVarargs
        public final <T> Builder search(Option<T> shared, T... values) {
            Option<T> o = shared.search(values);
            sharedSearch.put(o, o.searchSpace());
            return this;
        }

        public ModelSpec build(Factory factory) {
            return new ModelSpec(this, factory);
        }
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    /** Whether the model reads item feature vectors. */
    public boolean readsFeatures() {
        return readsFeatures;
    }

    /** The model's own options, in declaration order. */
    public List<Option<?>> options() {
        return options;
    }

    /** The option named {@code name} (without dashes), or null. */
    public Option<?> option(String optionName) {
        return options.stream().filter(o -> o.name().equals(optionName)).findFirst().orElse(null);
    }

    /** The ablation variants: each toggle off in turn, then the declared extra variants. */
    public List<Variant> ablations() {
        List<Variant> v = new ArrayList<>();
        for (Option<?> o : options) {
            if (o.isToggle()) {
                @SuppressWarnings("unchecked")
                Option<Boolean> t = (Option<Boolean>) o;
                v.add(new Variant(t.flag(), Options.defaults().with(t, false)));
            }
        }
        v.addAll(extraAblations);
        return v;
    }

    /**
     * The settings a hyperparameter search varies, with the values it tries: the shared
     * hyperparameters the model declared a search for ({@link weft.models.options.SharedParams}),
     * then its own options.
     */
    public Map<Option<?>, List<?>> searchSpace() {
        Map<Option<?>, List<?>> m = new LinkedHashMap<>(sharedSearch);
        for (Option<?> o : options) {
            if (!o.searchSpace().isEmpty()) {
                m.put(o, o.searchSpace());
            }
        }
        return m;
    }

    /** The protocol's shared hyperparameters with this model's own defaults applied. */
    public ModelConfig config() {
        return withDefaults(new ModelConfig(), false, false);
    }

    /** {@code cfg} with the model's defaults for the shared values the user did not give. */
    /**
     * The value this model trains with when {@code o} is not given: its own default for
     * {@code --reg} and {@code --layers} where it declares one (BPR-MF's reg, FREEDOM's layers),
     * else the option's declared default.
     */
    public Object defaultOf(weft.models.options.Option<?> o) {
        // by name: a searched setting is a copy of the shared declaration carrying its values
        if (o.name().equals(weft.models.options.SharedParams.REG.name()) && reg != null) {
            return Double.parseDouble(Float.toString(reg));
        }
        if (o.name().equals(weft.models.options.SharedParams.LAYERS.name()) && layers != null) {
            return layers;
        }
        return o.defaultValue();
    }

    public ModelConfig withDefaults(ModelConfig cfg, boolean regGiven, boolean layersGiven) {
        ModelConfig c = cfg.copy();
        if (reg != null && !regGiven) {
            c.reg = reg;
        }
        if (layers != null && !layersGiven) {
            c.layers = layers;
        }
        return c;
    }

    /** The model's default --reg, or null for the protocol's. */
    public Float defaultReg() {
        return reg;
    }

    /** The model's default --layers, or null for the protocol's. */
    public Integer defaultLayers() {
        return layers;
    }

    /** Builds the model; fails naming the flag if {@code opts} sets an option this model does not have. */
    public Recommender create(Dataset data, ModelConfig cfg, Options opts) {
        List<Option<?>> foreign = opts.outside(options);
        if (!foreign.isEmpty()) {
            throw new OptionException(foreign.get(0).flag() + " does not apply to " + name);
        }
        return factory.create(data, cfg, opts);
    }

    /** Builds the model with its default options and shared hyperparameters. */
    public Recommender create(Dataset data) {
        return create(data, config(), Options.defaults());
    }

    /** The report's config: shared hyperparameters, then every option's value. */
    public Map<String, Object> config(ModelConfig cfg, Options opts) {
        Map<String, Object> m = new LinkedHashMap<>(cfg.asMap());
        m.putAll(opts.asMap(options));
        return m;
    }

    /** The model's flags for {@code weft help}: {@code --tokens N (4)} and toggles as {@code --no-intra}. */
    public String flagsHelp() {
        List<String> parts = new ArrayList<>();
        for (Option<?> o : options) {
            parts.add(flagHelp(o));
        }
        if (reg != null) {
            parts.add("--reg X (" + reg + ")");
        }
        if (layers != null) {
            parts.add("--layers N (" + layers + ")");
        }
        return String.join(" ", parts);
    }

    private static <T> String flagHelp(Option<T> o) {
        return o.isToggle() ? o.flag() : o.flag() + " " + o.placeholder() + " (" + defaultText(o) + ")";
    }

    private static <T> String defaultText(Option<T> o) {
        return o.defaultText();
    }

    /** One line per option: flag, default and help (for {@code weft help MODEL}). */
    public String optionsHelp() {
        StringBuilder sb = new StringBuilder();
        for (Option<?> o : options) {
            String flag = o.isToggle() ? o.flag() : o.flag() + " " + o.placeholder();
            sb.append(String.format(Locale.ROOT, "  %-34s %s%s%n", flag, o.help(),
                    o.isToggle() ? " (on; this flag turns it off)" : " (default " + defaultText(o) + ")"));
        }
        if (reg != null) {
            sb.append(String.format(Locale.ROOT, "  %-34s %s%n", "--reg X", "default " + reg + ": " + regReason));
        }
        if (layers != null) {
            sb.append(String.format(Locale.ROOT, "  %-34s %s%n", "--layers N", "default " + layers));
        }
        return sb.toString();
    }

    /** The model's row of the README's model table: name, flag, own options with defaults. */
    public String markdownRow() {
        List<String> own = new ArrayList<>();
        List<String> switches = new ArrayList<>();
        for (Option<?> o : options) {
            if (o.isToggle()) {
                switches.add("`" + o.flag() + "`");
            } else {
                own.add("`" + o.flag() + " " + defaultText(o) + "`");
            }
        }
        if (reg != null) {
            own.add("`--reg " + reg + "`");
        }
        if (layers != null) {
            own.add("`--layers " + layers + "`");
        }
        String cell = String.join(" ", own) + (switches.isEmpty() ? "" : (own.isEmpty() ? "" : "; ") + "switches " + String.join(" ", switches));
        return "| " + description + " | `" + name + "` | " + cell + " |";
    }

    @Override
    public String toString() {
        return name;
    }
}
