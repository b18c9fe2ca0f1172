package weft.models.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import weft.models.util.Json;

/**
 * Compares two reports of {@code weft train} field by field, leaving out what measures the clock
 * rather than the computation: every {@code train_seconds} and {@code eval_seconds}, the
 * {@code heap} block and {@code env.date}. Numbers must be equal to the bit (as their JSON
 * prints them). Used to show that a killed-and-resumed run ends with an uninterrupted run's
 * report ({@code benchmarks/scripts/resume-kill-check.sh}):
 * {@code java -cp models/target/weft-models.jar weft.models.train.ReportDiff a.json b.json}
 * prints the differences and exits 1, or says the reports are identical and exits 0.
 */
public final class ReportDiff {
    /** Keys left out wherever they appear. */
    public static final Set<String> WALL_CLOCK = Set.of("train_seconds", "eval_seconds", "heap");

    private ReportDiff() {}

    /** The differences between two parsed reports, as "path: a vs b" lines (empty: identical). */
    public static List<String> diff(Object a, Object b) {
        List<String> out = new ArrayList<>();
        walk("", a, b, out);
        return out;
    }

    private static void walk(String path, Object a, Object b, List<String> out) {
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            Set<Object> keys = new LinkedHashSet<>(ma.keySet());
            keys.addAll(mb.keySet());
            for (Object k : keys) {
                String key = String.valueOf(k);
                if (WALL_CLOCK.contains(key) || (path.equals("env") && key.equals("date"))) {
                    continue;
                }
                String p = path.isEmpty() ? key : path + "." + key;
                if (!ma.containsKey(k) || !mb.containsKey(k)) {
                    out.add(p + ": only in the " + (ma.containsKey(k) ? "first" : "second") + " report");
                } else {
                    walk(p, ma.get(k), mb.get(k), out);
                }
            }
        } else if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) {
                out.add(path + ": " + la.size() + " entries vs " + lb.size());
            }
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                walk(path + "[" + i + "]", la.get(i), lb.get(i), out);
            }
        } else if (!Objects.equals(a, b)) {
            out.add(path + ": " + Json.compact(a) + " vs " + Json.compact(b));
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ReportDiff A.json B.json");
            System.exit(2);
        }
        Object a = Json.parse(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        Object b = Json.parse(Files.readString(Path.of(args[1]), StandardCharsets.UTF_8));
        List<String> d = diff(a, b);
        if (d.isEmpty()) {
            System.out.println("identical: " + args[0] + " and " + args[1] + " (ignoring " + "train_seconds, eval_seconds, heap, env.date)");
            System.exit(0);
        }
        System.out.println(d.size() + " difference" + (d.size() == 1 ? "" : "s") + " between " + args[0] + " and " + args[1] + ":");
        for (int i = 0; i < Math.min(20, d.size()); i++) {
            System.out.println("  " + d.get(i));
        }
        System.exit(1);
    }
}
