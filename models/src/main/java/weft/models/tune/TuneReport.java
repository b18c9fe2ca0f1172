package weft.models.tune;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import weft.models.data.DataFormatException;
import weft.models.util.Json;

/**
 * The report of a {@code weft tune}: a header saying what was searched (model, data fingerprint,
 * grid, sampled trials, seeds, fixed flags, training settings), one record per finished trial
 * (valid metrics only), and at the end the chosen configuration with its test metrics. It is
 * written atomically after every trial, so an interrupted tune rerun with the same report file
 * skips the trials it finished. A report whose header differs from the new run's (another
 * model, data, grid, seeds or settings) is refused, naming what differs: mixing trials of two
 * searches would select among incomparable runs.
 */
public final class TuneReport {
    private final Path file;
    private final Map<String, Object> header;
    private final Map<Integer, Map<String, Object>> trials = new LinkedHashMap<>();
    private Map<String, Object> chosen;

    private TuneReport(Path file, Map<String, Object> header) {
        this.file = file;
        this.header = normalised(header);
    }

    /**
     * The report at {@code file} (null: kept in memory only): a new one, or the existing one when
     * its header equals {@code header}, with its finished trials.
     */
    public static TuneReport open(Path file, Map<String, Object> header) {
        TuneReport r = new TuneReport(file, header);
        if (file == null || !Files.exists(file)) {
            return r;
        }
        Object parsed = Json.readFile(file, "not a tune report");
        if (!(parsed instanceof Map<?, ?> m) || !"tune".equals(m.get("command")) || !(m.get("search") instanceof Map<?, ?> old)
                || !(m.get("trials") instanceof List<?> done)) {
            throw DataFormatException.inFile(file, "not a tune report; give another --report or remove the file");
        }
        List<String> differ = new ArrayList<>();
        for (String k : r.header.keySet()) {
            if (!java.util.Objects.equals(r.header.get(k), old.get(k))) {
                differ.add(k);
            }
        }
        if (!differ.isEmpty()) {
            throw new IllegalArgumentException("--report " + file + " holds a tune with another " + String.join(", ", differ)
                    + "; give another --report, or remove the file to start again");
        }
        for (Object t : done) {
            if (!(t instanceof Map<?, ?> tm) || !(tm.get("trial") instanceof Long n)) {
                throw DataFormatException.inFile(file, "a trial record without its trial number");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> rec = (Map<String, Object>) tm;
            r.trials.put(n.intValue(), rec);
        }
        return r;
    }

    /** The record of finished trial {@code trial} (1-based), or null. */
    public Map<String, Object> finished(int trial) {
        return trials.get(trial);
    }

    /** Adds a finished trial's record and writes the report. */
    public void add(int trial, Map<String, Object> record) {
        trials.put(trial, normalised(record));
        chosen = null;
        write();
    }

    /** Records the chosen configuration (with its test metrics) and writes the report. */
    public void choose(Map<String, Object> record) {
        chosen = normalised(record);
        write();
    }

    public Map<String, Object> asJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("command", "tune");
        m.put("search", header);
        m.put("trials", new ArrayList<>(trials.values()));
        if (chosen != null) {
            m.put("chosen", chosen);
        }
        return m;
    }

    private void write() {
        if (file != null) {
            Json.writeFile(file, asJson());
        }
    }

    /** The value as it reads back from JSON (Long, Double, LinkedHashMap, List), so that headers compare equal. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> normalised(Map<String, Object> m) {
        return (Map<String, Object>) Json.parse(Json.write(m));
    }
}
