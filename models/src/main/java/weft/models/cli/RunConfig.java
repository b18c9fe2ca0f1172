package weft.models.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import weft.models.ModelConfig;
import weft.models.ModelSpec;
import weft.models.Models;
import weft.models.data.DataFormatException;
import weft.models.options.Option;
import weft.models.options.OptionException;
import weft.models.options.SharedParams;
import weft.models.train.TrainConfig;
import weft.models.tune.SearchSpace;
import weft.models.util.Json;

/**
 * A model configuration as {@code weft tune --out} writes it and {@code train --config FILE} and
 * {@code compare --config MODEL=FILE} read it: {@code {"model": NAME, "config": {SETTING: VALUE}}}
 * where a setting is a shared hyperparameter (dim, reg, layers, lr, batch) or one of the model's
 * options, by name, and a toggle's value is true or false. The file's settings are applied as if
 * given as flags; a flag given on the command line overrides the file's value for that setting.
 */
final class RunConfig {
    private RunConfig() {}

    /** A configuration file read and checked against its model. */
    record File(Path path, ModelSpec model, Map<String, String> settings) {}

    /** Reads and checks {@code path}; every defect is a {@link DataFormatException} naming the file and the setting. */
    static File read(Path path) {
        Object parsed = Json.readFile(path, "not JSON");
        if (!(parsed instanceof Map<?, ?> m) || !(m.get("model") instanceof String name)) {
            throw DataFormatException.inFile(path, "not a model configuration: needs {\"model\": NAME, \"config\": {...}}");
        }
        ModelSpec spec = Models.find(name);
        if (spec == null) {
            throw DataFormatException.inFile(path, "unknown model '" + name + "'; known: " + String.join(", ", Models.names()));
        }
        Object cfg = m.get("config");
        if (cfg != null && !(cfg instanceof Map<?, ?>)) {
            throw DataFormatException.inFile(path, "\"config\" must be an object of SETTING: VALUE");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        if (cfg != null) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) cfg).entrySet()) {
                String key = String.valueOf(e.getKey());
                Option<?> o = SearchSpace.setting(spec, key);
                if (o == null) {
                    throw DataFormatException.inFile(path, "config." + key + ": " + spec.name() + " has no setting '" + key + "'; it has "
                            + String.join(", ", SearchSpace.settingNames(spec)));
                }
                Object v = e.getValue();
                if (!(v instanceof Number || v instanceof Boolean || v instanceof String)) {
                    throw DataFormatException.inFile(path, "config." + key + ": expected a number, true/false or text, got " + Json.compact(v));
                }
                try {
                    settings.put(key, SearchSpace.canonical(o, String.valueOf(v)));
                } catch (OptionException ex) {
                    throw DataFormatException.inFile(path, "config." + key + ": " + ex.getMessage());
                }
            }
        }
        return new File(path, spec, settings);
    }

    /** The settings of {@code spec} given as flags on the command line, as canonical values. */
    static Map<String, String> given(ModelSpec spec, Args a) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Option<?> o : SharedParams.ALL) {
            if (a.has(o.name())) {
                m.put(o.name(), SearchSpace.canonical(o, a.string(o.name(), null)));
            }
        }
        for (Option<?> o : spec.options()) {
            if (a.has(o.flagName())) {
                m.put(o.name(), o.isToggle() ? "false" : a.string(o.flagName(), null));
            }
        }
        return m;
    }

    /** {@code argv} with {@code settings} appended as flags, except those {@code given} already sets. */
    static String[] withSettings(String[] argv, ModelSpec spec, Map<String, String> settings, Args given) {
        List<String> out = new ArrayList<>(Arrays.asList(argv));
        for (Map.Entry<String, String> e : settings.entrySet()) {
            Option<?> o = SearchSpace.setting(spec, e.getKey());
            if (given != null && given.has(o.flagName())) {
                continue; // the command line wins
            }
            if (o.isToggle()) {
                if (e.getValue().equals("false")) {
                    out.add(o.flag());
                }
            } else {
                out.add("--" + o.name());
                out.add(e.getValue());
            }
        }
        return out.toArray(new String[0]);
    }

    /**
     * {@code weft train}'s flags with {@code --config FILE} applied: the file's settings become
     * flags where the command line gives none; its model is the run's (--model, if given, must
     * name the same one).
     */
    static Args train(String[] argv, Supplier<Args> flags) {
        Args a = flags.get().parse(argv, 1);
        if (!a.has("config")) {
            return a;
        }
        File f = read(Path.of(a.string("config", null)));
        String[] expanded = argv;
        if (a.has("model")) {
            ModelSpec m = Main.requireModel(a.string("model", null));
            if (m != f.model()) {
                throw new Args.UsageException("--config " + f.path() + " is a configuration for " + f.model().name() + ", not "
                        + m.name() + "; drop --model or give the matching file");
            }
        } else {
            expanded = Arrays.copyOf(argv, argv.length + 2);
            expanded[argv.length] = "--model";
            expanded[argv.length + 1] = f.model().name();
        }
        return flags.get().parse(withSettings(expanded, f.model(), f.settings(), a), 1);
    }

    /**
     * {@code weft compare}'s flags per model, with each {@code --config MODEL=FILE} applied to its
     * model only (models without one get {@code a} itself).
     */
    static Map<ModelSpec, Args> compare(String[] argv, Args a, List<ModelSpec> models, Supplier<Args> flags) {
        Map<ModelSpec, Args> per = new LinkedHashMap<>();
        models.forEach(m -> per.put(m, a));
        Map<ModelSpec, String> seen = new LinkedHashMap<>();
        for (String c : a.all("config")) {
            String[] kv = c.split("=", 2);
            if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
                throw new Args.UsageException("--config takes MODEL=FILE, got '" + c + "'");
            }
            ModelSpec m = Main.requireModel(kv[0].trim());
            if (!models.contains(m)) {
                throw new Args.UsageException("--config " + c + ": " + m.name() + " is not among --models");
            }
            if (seen.put(m, c) != null) {
                throw new Args.UsageException("--config given twice for " + m.name());
            }
            File f = read(Path.of(kv[1]));
            if (f.model() != m) {
                throw new Args.UsageException("--config " + c + ": the file is a configuration for " + f.model().name() + ", not "
                        + m.name());
            }
            per.put(m, flags.get().parse(withSettings(argv, m, f.settings(), a), 1));
        }
        return per;
    }

    /** The configuration files given to compare, model -> file, for the report. */
    static Map<String, Object> files(Args a) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String c : a.all("config")) {
            String[] kv = c.split("=", 2);
            m.put(kv[0].trim(), kv[1]);
        }
        return m;
    }

    /** {@code s} with the shared hyperparameters that {@code a} gives (the rest as in {@code s}). */
    static Main.Setup reconfigure(Main.Setup s, Args a) {
        ModelConfig mc = s.model().copy();
        TrainConfig tc = s.train().copy();
        mc.dim = a.integer("dim", mc.dim, 1);
        mc.layers = a.integer("layers", mc.layers, 0);
        mc.reg = (float) a.real("reg", mc.reg, 0);
        tc.lr = (float) a.real("lr", tc.lr, 0);
        tc.batch = a.integer("batch", tc.batch, 1);
        return s.withConfigs(mc, tc);
    }
}
