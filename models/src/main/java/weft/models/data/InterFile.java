package weft.models.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;

/**
 * The MMRec toolbox's interaction file ({@code NAME.inter}), read as it is on disk: one
 * (userID, itemID[, x_label]) triple per data line.
 *
 * <p>Format: UTF-8 text, tab-separated, a header row naming the columns. {@code userID} and
 * {@code itemID} are required, {@code x_label} optional (0 train, 1 valid, 2 test); other columns
 * (rating, timestamp) are ignored but still counted, so every line must have as many fields as
 * the header. Empty lines (typically a trailing newline) are skipped; a {@code \r} before the
 * newline and a UTF-8 byte-order mark are tolerated because files written on Windows carry them.
 *
 * <p>Ids and dense indices. Ids may be any non-empty strings without tabs or newlines (spaces
 * around them are trimmed). Each of the two columns is mapped on its own, deterministically:
 * <ul>
 *   <li>when every id of the column is a non-negative decimal integer, the index is that integer
 *       (tables are sized by max id + 1, gaps allowed, the {@link IdMap} is the identity);</li>
 *   <li>otherwise the column's distinct ids get indices 0..n-1 in natural order: runs of digits
 *       compare as numbers, the rest character by character ({@code u2 < u10 < v1}), ties (such as
 *       {@code u7} and {@code u007}) by plain string order. So a copy of a gap-free integer-id
 *       file whose ids got a letter prefix maps every id to the same index.</li>
 * </ul>
 * An item map given by the caller (a dataset's {@code item_ids.txt}, see {@link Dataset}) takes
 * the place of the item column's own: every itemID of the file must be one of its ids.
 *
 * <p>Every defect is reported as a {@link DataFormatException} naming the file, line and column;
 * so is a (user, item) pair that is in train and also in valid or test (its test item could never
 * be hit: the evaluator masks training items). Repeated lines of one part are kept once and
 * counted ({@link #duplicateLines()}).
 */
public final class InterFile {
    public static final String USER_COLUMN = "userID";
    public static final String ITEM_COLUMN = "itemID";
    public static final String LABEL_COLUMN = "x_label";

    public static final byte TRAIN = 0;
    public static final byte VALID = 1;
    public static final byte TEST = 2;

    /**
     * Integer ids above this multiple of the line count (plus a slack) cannot be dense indices;
     * refusing them avoids allocating gigabytes of empty rows because of one mistyped id.
     */
    private static final long SPARSE_ID_FACTOR = 16, SPARSE_ID_SLACK = 1 << 16;
    private static final String STRING_HINT = "; ids that are not indices can be given as strings (e.g. with a letter prefix)"
            + " and are then mapped to 0..N-1";

    private final Path file;
    private final int[] users;
    private final int[] items;
    private final byte[] labels;
    private final int[] lines;
    private final IdMap userIds, itemIds;
    private final int numUsers;
    private final int numItems;
    private final int duplicates;
    private final List<String> notes;

    private InterFile(Path file, int[] users, int[] items, byte[] labels, int[] lines, IdMap userIds, IdMap itemIds,
            List<String> notes) {
        this.file = file;
        this.users = users;
        this.items = items;
        this.labels = labels;
        this.lines = lines;
        this.userIds = userIds;
        this.itemIds = itemIds;
        this.numUsers = userIds.size();
        this.numItems = itemIds.size();
        this.notes = List.copyOf(notes);
        this.duplicates = checkPairs();
    }

    public Path file() {
        return file;
    }

    /** Number of data lines (interactions, repeats included). */
    public int size() {
        return users.length;
    }

    /** Number of users: max userID + 1 for integer ids, else the number of distinct ids. */
    public int numUsers() {
        return numUsers;
    }

    /** Number of items: max itemID + 1 for integer ids, the distinct ids, or the given item map's size. */
    public int numItems() {
        return numItems;
    }

    /** The users' raw ids by dense index. */
    public IdMap userIds() {
        return userIds;
    }

    /** The items' raw ids by dense index. */
    public IdMap itemIds() {
        return itemIds;
    }

    /** The dense user index of every line. */
    public int[] users() {
        return users.clone();
    }

    /** The dense item index of every line. */
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

    /** Lines that repeat an earlier line's (user, item) pair within the same part; they count once. */
    public int duplicateLines() {
        return duplicates;
    }

    /** Remarks on how the ids were read (a column of mixed integer and string ids), for the load summary. */
    public List<String> notes() {
        return notes;
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
        return read(file, null);
    }

    /**
     * Reads and validates a whole .inter file whose item indices are fixed by {@code items} (null:
     * the file's own mapping); an itemID not in {@code items} is refused with its line.
     */
    public static InterFile read(Path file, IdMap items) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(file, in, items);
        } catch (NoSuchFileException e) {
            throw DataFormatException.inFile(file, "no such file");
        } catch (java.nio.charset.MalformedInputException | java.nio.charset.UnmappableCharacterException e) {
            throw TextFiles.notUtf8(file);
        } catch (IOException e) {
            throw DataFormatException.io(file, e);
        }
    }

    /** One id column while the file is read: distinct raw ids in first-seen order, each line's code. */
    private static final class IdColumn {
        final Path file;
        final String name;
        final int col;
        final HashMap<String, Integer> codes = new HashMap<>();
        final ArrayList<String> distinct = new ArrayList<>();
        final ArrayList<Integer> firstLine = new ArrayList<>();
        long[] values = new long[1 << 10]; // the integer value of each distinct id, -1 when not an integer
        boolean allIntegers = true;
        String firstString;
        long firstStringLine;

        IdColumn(Path file, String name, int col) {
            this.file = file;
            this.name = name;
            this.col = col;
        }

        int code(String line, int from, int to, long lineNo) {
            while (from < to && line.charAt(from) == ' ') from++;
            while (to > from && line.charAt(to - 1) == ' ') to--;
            if (from == to) {
                throw DataFormatException.at(file, lineNo, col + 1, name + " is empty; expected an id");
            }
            String text = line.substring(from, to);
            Integer c = codes.get(text);
            if (c != null) {
                return c;
            }
            int code = distinct.size();
            codes.put(text, code);
            distinct.add(text);
            firstLine.add((int) Math.min(lineNo, Integer.MAX_VALUE));
            if (code == values.length) {
                values = Arrays.copyOf(values, code * 2);
            }
            long v = integerValue(text);
            values[code] = v;
            if (v < 0 && allIntegers) {
                allIntegers = false;
                firstString = text;
                firstStringLine = lineNo;
            }
            return code;
        }

        /**
         * Index of every code. Integer ids keep their value (checked against the line count);
         * string ids are sorted in natural order; a fixed map looks each id up.
         */
        int[] indices(int lineCount, IdMap fixed, List<String> notes) {
            int n = distinct.size();
            int[] index = new int[n];
            if (fixed != null) {
                for (int c = 0; c < n; c++) {
                    index[c] = fixed.indexOf(distinct.get(c));
                    if (index[c] < 0) {
                        throw DataFormatException.at(file, firstLine.get(c), col + 1, name + " '" + distinct.get(c)
                                + "' is not in the item list " + Dataset.ITEM_IDS_FILE + " (which fixes the items and their rows)");
                    }
                }
                return index;
            }
            if (allIntegers) {
                long limit = SPARSE_ID_FACTOR * lineCount + SPARSE_ID_SLACK;
                for (int c = 0; c < n; c++) {
                    long v = values[c];
                    if (v > Integer.MAX_VALUE) {
                        throw DataFormatException.at(file, firstLine.get(c), col + 1, name + " '" + distinct.get(c)
                                + "' is too large (max " + Integer.MAX_VALUE + ")" + STRING_HINT);
                    }
                    if (v >= limit) {
                        throw DataFormatException.at(file, firstLine.get(c), col + 1, name + " " + v + " is far beyond the "
                                + lineCount + " interactions: integer ids must be dense indices 0..N-1 (tables are sized by max id + 1)"
                                + STRING_HINT);
                    }
                    index[c] = (int) v;
                }
                return index;
            }
            Integer[] order = new Integer[n];
            for (int c = 0; c < n; c++) order[c] = c;
            Arrays.sort(order, (a, b) -> naturalCompare(distinct.get(a), distinct.get(b)));
            for (int k = 0; k < n; k++) index[order[k]] = k;
            boolean someIntegers = false;
            for (int c = 0; c < n && !someIntegers; c++) someIntegers = values[c] >= 0;
            if (someIntegers) {
                notes.add(name + " mixes integer and other ids (first '" + firstString + "' at line " + firstStringLine
                        + "): all mapped as strings in natural order");
            }
            return index;
        }

        IdMap map(int[] index, IdMap fixed) {
            if (fixed != null) {
                return fixed;
            }
            if (allIntegers) {
                int max = -1;
                for (int v : index) max = Math.max(max, v);
                return IdMap.identity(max + 1);
            }
            String[] raw = new String[index.length];
            for (int c = 0; c < index.length; c++) raw[index[c]] = distinct.get(c);
            return IdMap.of(raw);
        }
    }

    /** The value of a string of decimal digits (capped just above int range), or -1 when it is not one. */
    private static long integerValue(String s) {
        long v = 0;
        for (int k = 0; k < s.length(); k++) {
            char ch = s.charAt(k);
            if (ch < '0' || ch > '9') {
                return -1;
            }
            v = Math.min(v * 10 + (ch - '0'), (long) Integer.MAX_VALUE + 1);
        }
        return v;
    }

    /**
     * Natural order of ids: digit runs compare as numbers (leading zeros aside), other characters
     * one by one; ids equal under that rule compare by plain string order.
     */
    public static int naturalCompare(String a, String b) {
        int i = 0, j = 0, na = a.length(), nb = b.length();
        while (i < na && j < nb) {
            char ca = a.charAt(i), cb = b.charAt(j);
            if (isDigit(ca) && isDigit(cb)) {
                int si = i, sj = j;
                while (si < na && a.charAt(si) == '0') si++;
                while (sj < nb && b.charAt(sj) == '0') sj++;
                int ei = si, ej = sj;
                while (ei < na && isDigit(a.charAt(ei))) ei++;
                while (ej < nb && isDigit(b.charAt(ej))) ej++;
                int la = ei - si, lb = ej - sj;
                if (la != lb) {
                    return la < lb ? -1 : 1;
                }
                for (int k = 0; k < la; k++) {
                    char da = a.charAt(si + k), db = b.charAt(sj + k);
                    if (da != db) {
                        return da < db ? -1 : 1;
                    }
                }
                i = ei;
                j = ej;
            } else {
                if (ca != cb) {
                    return ca < cb ? -1 : 1;
                }
                i++;
                j++;
            }
        }
        if (i < na || j < nb) {
            return i < na ? 1 : -1;
        }
        return a.compareTo(b);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static InterFile parse(Path file, BufferedReader in, IdMap fixedItems) throws IOException {
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

        IdColumn userIds = new IdColumn(file, USER_COLUMN, userCol), itemIds = new IdColumn(file, ITEM_COLUMN, itemCol);
        int cap = 1 << 12, n = 0;
        int[] us = new int[cap], is = new int[cap], lines = new int[cap];
        byte[] ls = labelCol >= 0 ? new byte[cap] : null;
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
            int u = userIds.code(line, starts[userCol], starts[userCol + 1] - 1, lineNo);
            int i = itemIds.code(line, starts[itemCol], starts[itemCol + 1] - 1, lineNo);
            if (n == cap) {
                cap = cap * 2;
                us = Arrays.copyOf(us, cap);
                is = Arrays.copyOf(is, cap);
                lines = Arrays.copyOf(lines, cap);
                if (ls != null) ls = Arrays.copyOf(ls, cap);
            }
            if (ls != null) {
                int l = parseLabel(file, lineNo, labelCol, line, starts[labelCol], starts[labelCol + 1] - 1);
                ls[n] = (byte) l;
            }
            us[n] = u;
            is[n] = i;
            lines[n] = (int) Math.min(lineNo, Integer.MAX_VALUE);
            n++;
        }
        if (n == 0) {
            throw DataFormatException.inFile(file, "no interactions: the file has a header but no data lines");
        }
        List<String> notes = new ArrayList<>();
        int[] uIndex = userIds.indices(n, null, notes), iIndex = itemIds.indices(n, fixedItems, notes);
        int[] users = new int[n], items = new int[n];
        for (int k = 0; k < n; k++) {
            users[k] = uIndex[us[k]];
            items[k] = iIndex[is[k]];
        }
        return new InterFile(file, users, items, ls == null ? null : Arrays.copyOf(ls, n), Arrays.copyOf(lines, n),
                userIds.map(uIndex, null), itemIds.map(iIndex, fixedItems), notes);
    }

    /**
     * Counts lines repeating a pair within one part, and refuses a pair that is in train and in
     * valid or test, naming both lines. Lines are grouped by user, then sorted by item and line.
     */
    private int checkPairs() {
        int n = users.length;
        int[] start = new int[numUsers + 1];
        for (int u : users) start[u + 1]++;
        for (int u = 0; u < numUsers; u++) start[u + 1] += start[u];
        int[] fill = Arrays.copyOf(start, numUsers);
        int[] byUser = new int[n];
        for (int k = 0; k < n; k++) byUser[fill[users[k]]++] = k;
        int dups = 0;
        long[] keys = new long[16];
        for (int u = 0; u < numUsers; u++) {
            int m = start[u + 1] - start[u];
            if (m < 2) {
                continue;
            }
            if (keys.length < m) keys = new long[Math.max(m, keys.length * 2)];
            for (int j = 0; j < m; j++) {
                int k = byUser[start[u] + j];
                keys[j] = ((long) items[k] << 32) | k;
            }
            Arrays.sort(keys, 0, m);
            int g = 0;
            while (g < m) {
                int item = (int) (keys[g] >>> 32), e = g + 1;
                while (e < m && (int) (keys[e] >>> 32) == item) e++;
                if (e - g > 1) {
                    int seen = 0; // bit p: part p already had this pair
                    int trainRow = -1, evalRow = -1;
                    for (int q = g; q < e; q++) {
                        int k = (int) keys[q];
                        int p = labels == null ? TRAIN : labels[k];
                        if ((seen & (1 << p)) != 0) {
                            dups++;
                        }
                        seen |= 1 << p;
                        if (p == TRAIN && trainRow < 0) trainRow = k;
                        if (p != TRAIN && evalRow < 0) evalRow = k;
                    }
                    if (trainRow >= 0 && evalRow >= 0) {
                        String part = labels[evalRow] == VALID ? "valid" : "test";
                        throw DataFormatException.at(file, lines[evalRow], 0, "user '" + userIds.raw(u) + "' item '" + itemIds.raw(item)
                                + "' is in " + part + " here and in train at line " + lines[trainRow]
                                + "; a pair must be in one part only (the evaluator masks training items, so this " + part
                                + " item could never be hit)");
                    }
                }
                g = e;
            }
        }
        return dups;
    }

    private static String stripCr(String s) {
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** The x_label in {@code line[from, to)}: 0, 1 or 2, surrounding spaces allowed. */
    private static int parseLabel(Path file, long lineNo, int col, String line, int from, int to) {
        while (from < to && line.charAt(from) == ' ') from++;
        while (to > from && line.charAt(to - 1) == ' ') to--;
        if (from == to) {
            throw DataFormatException.at(file, lineNo, col + 1, LABEL_COLUMN + " is empty; expected 0 = train, 1 = valid, 2 = test");
        }
        String text = line.substring(from, to);
        long v = integerValue(text);
        if (v < 0 || v > TEST) {
            throw DataFormatException.at(file, lineNo, col + 1, "unknown " + LABEL_COLUMN + " " + text
                    + " (expected 0 = train, 1 = valid, 2 = test)");
        }
        return (int) v;
    }
}
