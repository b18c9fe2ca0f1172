package weft.models.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line flags of the form {@code --name value}, {@code --name=value} and boolean
 * {@code --switch}. Every flag must be declared; an unknown flag, a missing value or a value of the
 * wrong type is a {@link UsageException} whose message names the flag.
 */
public final class Args {
    /** A user error on the command line: printed as one line, exit code 2. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }

    private final Set<String> valued = new LinkedHashSet<>();
    private final Set<String> switches = new LinkedHashSet<>();
    private final Set<String> repeatable = new LinkedHashSet<>();
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final Set<String> on = new LinkedHashSet<>();

    public Args valued(String... names) {
        valued.addAll(List.of(names));
        return this;
    }

    public Args repeatable(String... names) {
        valued.addAll(List.of(names));
        repeatable.addAll(List.of(names));
        return this;
    }

    public Args switches(String... names) {
        switches.addAll(List.of(names));
        return this;
    }

    /** Parses {@code args[from..]}. */
    public Args parse(String[] args, int from) {
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new UsageException("unexpected argument '" + a + "' (flags start with --)");
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (switches.contains(name)) {
                if (value != null) {
                    throw new UsageException("--" + name + " takes no value");
                }
                on.add(name);
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new UsageException("--" + name + " needs a value");
                    }
                    value = args[++i];
                }
                List<String> list = values.computeIfAbsent(name, k -> new ArrayList<>());
                if (!list.isEmpty() && !repeatable.contains(name)) {
                    throw new UsageException("--" + name + " given more than once");
                }
                list.add(value);
            } else {
                throw new UsageException("unknown flag --" + name);
            }
        }
        return this;
    }

    public boolean has(String name) {
        return on.contains(name) || values.containsKey(name);
    }

    public String string(String name, String dflt) {
        List<String> v = values.get(name);
        return v == null ? dflt : v.get(0);
    }

    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    public int integer(String name, int dflt, int min) {
        String v = string(name, null);
        if (v == null) {
            return dflt;
        }
        java.math.BigInteger big;
        try {
            big = new java.math.BigInteger(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, got '" + v + "'");
        }
        if (big.compareTo(java.math.BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
            throw new UsageException("--" + name + " must be at most " + Integer.MAX_VALUE + ", got " + v.trim());
        }
        if (big.compareTo(java.math.BigInteger.valueOf(min)) < 0) {
            throw new UsageException("--" + name + " must be >= " + min + ", got " + v.trim());
        }
        int x = big.intValue();
        if (x < min) {
            throw new UsageException("--" + name + " must be >= " + min + ", got " + x);
        }
        return x;
    }

    public long longValue(String name, long dflt) {
        String v = string(name, null);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            boolean digits = v.trim().matches("[-+]?[0-9]+");
            throw new UsageException("--" + name + (digits ? " must be between " + Long.MIN_VALUE + " and " + Long.MAX_VALUE
                    : " must be an integer") + ", got '" + v + "'");
        }
    }

    /** A finite number strictly above {@code bound}, e.g. a learning rate ({@code > 0}). */
    public double realAbove(String name, double dflt, double bound) {
        String v = string(name, null);
        if (v == null) {
            return dflt;
        }
        double x;
        try {
            x = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a number, got '" + v + "'");
        }
        if (!(x > bound) || Double.isInfinite(x)) {
            throw new UsageException("--" + name + " must be a finite number > " + (bound == 0 ? "0" : Double.toString(bound))
                    + ", got " + v);
        }
        return x;
    }

    public double real(String name, double dflt, double min) {
        String v = string(name, null);
        if (v == null) {
            return dflt;
        }
        double x;
        try {
            x = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a number, got '" + v + "'");
        }
        if (!(x >= min) || Double.isInfinite(x)) {
            throw new UsageException("--" + name + " must be a finite number >= " + min + ", got " + v);
        }
        return x;
    }

    /** Comma-separated numbers, e.g. {@code 0.1,0.3}. */
    public double[] reals(String name, double[] dflt) {
        String v = string(name, null);
        if (v == null) {
            return dflt;
        }
        String[] parts = v.split(",");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--" + name + " must be comma-separated numbers, got '" + v + "'");
            }
        }
        return out;
    }
}
