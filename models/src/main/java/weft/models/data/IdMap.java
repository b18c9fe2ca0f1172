package weft.models.data;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The raw ids of a dataset's users or items as they appear in its files, by dense index
 * (index i is row i of every table). Datasets with integer ids map id n to index n (the
 * identity map, which stores nothing); string ids get their indices at load.
 *
 * <p>Immutable and safe to share between threads.
 */
public final class IdMap {
    private final int size;
    /** null for the identity map. */
    private final String[] raw;
    private final Map<String, Integer> index;

    private IdMap(int size, String[] raw) {
        this.size = size;
        this.raw = raw;
        if (raw == null) {
            this.index = null;
        } else {
            HashMap<String, Integer> m = new HashMap<>(raw.length * 2);
            for (int i = 0; i < raw.length; i++) {
                if (m.put(raw[i], i) != null) {
                    throw new IllegalArgumentException("IdMap: id '" + raw[i] + "' appears twice");
                }
            }
            this.index = m;
        }
    }

    /** Ids 0..size-1 written as decimal integers. */
    public static IdMap identity(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("IdMap: negative size " + size);
        }
        return new IdMap(size, null);
    }

    /** The given raw ids, index i = ids[i]; each id once. */
    public static IdMap of(String... ids) {
        return new IdMap(ids.length, ids.clone());
    }

    public static IdMap of(List<String> ids) {
        return new IdMap(ids.size(), ids.toArray(new String[0]));
    }

    public int size() {
        return size;
    }

    /** True when raw id n is index n (integer-id datasets). */
    public boolean isIdentity() {
        return raw == null;
    }

    /** The raw id of dense index {@code i}. */
    public String raw(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("index " + i + " outside 0.." + (size - 1));
        }
        return raw == null ? Integer.toString(i) : raw[i];
    }

    /** The dense index of a raw id, or -1 when the id is unknown. */
    public int indexOf(String id) {
        if (raw != null) {
            Integer i = index.get(id);
            return i == null ? -1 : i;
        }
        if (id == null || id.isEmpty() || id.length() > 10) {
            return -1;
        }
        for (int k = 0; k < id.length(); k++) {
            char c = id.charAt(k);
            if (c < '0' || c > '9' || (k == 0 && c == '0' && id.length() > 1)) {
                return -1;
            }
        }
        long v = Long.parseLong(id);
        return v < size ? (int) v : -1;
    }

    /** All raw ids by index (a fresh array). */
    public String[] toArray() {
        String[] out = new String[size];
        for (int i = 0; i < size; i++) {
            out[i] = raw(i);
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof IdMap)) return false;
        IdMap m = (IdMap) o;
        if (m.size != size) return false;
        if (raw == null && m.raw == null) return true;
        return Arrays.equals(toArray(), m.toArray());
    }

    @Override
    public int hashCode() {
        return raw == null ? size : Arrays.hashCode(raw);
    }
}
