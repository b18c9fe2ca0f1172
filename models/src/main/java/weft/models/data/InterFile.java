package weft.models.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The MMRec toolbox's interaction file ({@code NAME.inter}), read as it is on disk: one
 * (userID, itemID[, x_label]) triple per data line.
 *
 * <p>Format: UTF-8 text, tab-separated, a header row naming the columns. {@code userID} and
 * {@code itemID} are required, {@code x_label} optional (0 train, 1 valid, 2 test); other columns
 * (rating, timestamp) are ignored but still counted, so every line must have as many fields as
 * the header. Ids are dense indices: the engine sizes its tables by max id + 1, gaps are allowed.
 * Empty lines (typically a trailing newline) are skipped; a {@code \r} before the newline and a
 * UTF-8 byte-order mark are tolerated because files written on Windows carry them.
 *
 * <p>Every defect is reported as a {@link DataFormatException} naming the file, line and column.
 */
public final class InterFile {
    public static final String USER_COLUMN = "userID";
    public static final String ITEM_COLUMN = "itemID";
    public static final String LABEL_COLUMN = "x_label";

    public static final byte TRAIN = 0;
    public static final byte VALID = 1;
    public static final byte TEST = 2;

    /**
     * Ids above this multiple of the line count (plus a slack) cannot be dense indices; refusing
     * them avoids allocating gigabytes of empty rows because of one mistyped id.
     */
    private static final long SPARSE_ID_FACTOR = 16, SPARSE_ID_SLACK = 1 << 16;

    private final Path file;
    private final int[] users;
    private final int[] items;
    private final byte[] labels;
    private final int numUsers;
    private final int numItems;

    private InterFile(Path file, int[] users, int[] items, byte[] labels, int numUsers, int numItems) {
        this.file = file;
        this.users = users;
        this.items = items;
        this.labels = labels;
        this.numUsers = numUsers;
        this.numItems = numItems;
    }

    public Path file() {
        return file;
    }

    /** Number of data lines (interactions, repeats included). */
    public int size() {
        return users.length;
    }

    /** max userID + 1. */
    public int numUsers() {
        return numUsers;
    }

    /** max itemID + 1. */
    public int numItems() {
        return numItems;
    }

    public int[] users() {
        return users.clone();
    }

    public int[] items() {
        return items.clone();
    }

    public boolean hasLabels() {
        return labels != null;
    }

    /** The x_label of every line (0/1/2), or null when the file has no x_label column. */
    public byte[] labels() {
        return labels == null ? null : labels.clone();
    }

    /**
     * The train/valid/test split: the file's own labels when it has them, else
     * {@link Split#random} with {@code splitSeed}.
     */
    public Split split(long splitSeed) {
        if (labels != null) {
            return Split.fromLabels(numUsers, numItems, users, items, labels);
        }
        return Split.random(numUsers, numItems, users, items, splitSeed);
    }

    /** Reads and validates a whole .inter file. */
    public static InterFile read(Path file) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(file, in);
        } catch (NoSuchFileException e) {
            throw DataFormatException.inFile(file, "no such file");
        } catch (java.nio.charset.MalformedInputException e) {
            throw DataFormatException.inFile(file, "not UTF-8 text (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw DataFormatException.io(file, e);
        }
    }

    private static InterFile parse(Path file, BufferedReader in) throws IOException {
        String header = in.readLine();
        long lineNo = 1;
        while (header != null && stripCr(header).isEmpty()) {
            header = in.readLine();
            lineNo++;
        }
        if (header == null) {
            throw DataFormatException.inFile(file, "empty file: expected a header row naming the columns "
                    + USER_COLUMN + ", " + ITEM_COLUMN + " (and optionally " + LABEL_COLUMN + "), tab-separated");
        }
        if (header.startsWith("\uFEFF")) {
            header = header.substring(1);
        }
        String[] names = stripCr(header).split("\t", -1);
        int userCol = -1, itemCol = -1, labelCol = -1;
        for (int c = 0; c < names.length; c++) {
            String n = names[c].trim();
            for (int prev = 0; prev < c; prev++) {
                if (!n.isEmpty() && n.equals(names[prev].trim())) {
                    throw DataFormatException.at(file, lineNo, c + 1, "column '" + n + "' appears twice in the header (also column " + (prev + 1) + ")");
                }
            }
            if (n.equals(USER_COLUMN)) {
                userCol = c;
            } else if (n.equals(ITEM_COLUMN)) {
                itemCol = c;
            } else if (n.equals(LABEL_COLUMN)) {
                labelCol = c;
            }
        }
        if (userCol < 0 || itemCol < 0) {
            List<String> missing = new ArrayList<>();
            if (userCol < 0) missing.add(USER_COLUMN);
            if (itemCol < 0) missing.add(ITEM_COLUMN);
            String hint = names.length == 1 && header.contains(" ") ? " (the header has no tabs: columns must be tab-separated)" : "";
            throw DataFormatException.at(file, lineNo, 0, "header lacks required column(s) " + String.join(", ", missing)
                    + "; found " + Arrays.toString(names) + hint);
        }
        final int width = names.length;

        int cap = 1 << 12, n = 0;
        int[] us = new int[cap], is = new int[cap];
        byte[] ls = labelCol >= 0 ? new byte[cap] : null;
        long maxUser = -1, maxItem = -1, maxUserLine = 0, maxItemLine = 0;
        int[] starts = new int[width + 1];
        String line;
        while ((line = in.readLine()) != null) {
            lineNo++;
            line = stripCr(line);
            if (line.isEmpty()) {
                continue;
            }
            // Field boundaries: starts[c] is the first char of field c, starts[c+1]-1 its end (a tab or the line end).
            int fields = 0, pos = 0;
            starts[0] = 0;
            while (true) {
                int tab = line.indexOf('\t', pos);
                fields++;
                if (tab < 0) {
                    break;
                }
                if (fields >= width) { // more fields than the header; count them for the message
                    fields = 1 + (int) line.chars().filter(ch -> ch == '\t').count();
                    break;
                }
                starts[fields] = tab + 1;
                pos = tab + 1;
            }
            if (fields != width) {
                throw DataFormatException.at(file, lineNo, 0, "expected " + width + " tab-separated fields as in the header "
                        + Arrays.toString(names) + ", found " + fields);
            }
            starts[width] = line.length() + 1;
            int u = parseId(file, lineNo, userCol, USER_COLUMN, line, starts[userCol], starts[userCol + 1] - 1);
            int i = parseId(file, lineNo, itemCol, ITEM_COLUMN, line, starts[itemCol], starts[itemCol + 1] - 1);
            if (n == cap) {
                cap = cap * 2;
                us = Arrays.copyOf(us, cap);
                is = Arrays.copyOf(is, cap);
                if (ls != null) ls = Arrays.copyOf(ls, cap);
            }
            if (ls != null) {
                int l = parseId(file, lineNo, labelCol, LABEL_COLUMN, line, starts[labelCol], starts[labelCol + 1] - 1);
                if (l > TEST) {
                    throw DataFormatException.at(file, lineNo, labelCol + 1, "unknown " + LABEL_COLUMN + " " + l
                            + " (expected 0 = train, 1 = valid, 2 = test)");
                }
                ls[n] = (byte) l;
            }
            us[n] = u;
            is[n] = i;
            n++;
            if (u > maxUser) { maxUser = u; maxUserLine = lineNo; }
            if (i > maxItem) { maxItem = i; maxItemLine = lineNo; }
        }
        if (n == 0) {
            throw DataFormatException.inFile(file, "no interactions: the file has a header but no data lines");
        }
        long limit = SPARSE_ID_FACTOR * n + SPARSE_ID_SLACK;
        if (maxUser >= limit) {
            throw DataFormatException.at(file, maxUserLine, userCol + 1, "userID " + maxUser + " is far beyond the "
                    + n + " interactions: ids must be dense indices 0..N-1 (tables are sized by max id + 1)");
        }
        if (maxItem >= limit) {
            throw DataFormatException.at(file, maxItemLine, itemCol + 1, "itemID " + maxItem + " is far beyond the "
                    + n + " interactions: ids must be dense indices 0..N-1 (tables are sized by max id + 1)");
        }
        return new InterFile(file, Arrays.copyOf(us, n), Arrays.copyOf(is, n), ls == null ? null : Arrays.copyOf(ls, n),
                (int) maxUser + 1, (int) maxItem + 1);
    }

    private static String stripCr(String s) {
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** A non-negative decimal integer in {@code line[from, to)}, surrounding spaces allowed. */
    private static int parseId(Path file, long lineNo, int col, String name, String line, int from, int to) {
        while (from < to && line.charAt(from) == ' ') from++;
        while (to > from && line.charAt(to - 1) == ' ') to--;
        if (from == to) {
            throw DataFormatException.at(file, lineNo, col + 1, name + " is empty; expected a non-negative integer");
        }
        long v = 0;
        for (int k = from; k < to; k++) {
            char ch = line.charAt(k);
            if (ch < '0' || ch > '9') {
                String text = line.substring(from, to);
                String why = text.startsWith("-") ? " (it must be non-negative)" : "";
                throw DataFormatException.at(file, lineNo, col + 1, name + " '" + text
                        + "' is not a non-negative integer" + why);
            }
            v = v * 10 + (ch - '0');
            if (v > Integer.MAX_VALUE) {
                throw DataFormatException.at(file, lineNo, col + 1, name + " '" + line.substring(from, to)
                        + "' is too large (max " + Integer.MAX_VALUE + ")");
            }
        }
        return (int) v;
    }
}
