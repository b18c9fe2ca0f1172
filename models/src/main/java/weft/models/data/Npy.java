package weft.models.data;

import weft.engine.Tensor;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NumPy's {@code .npy} format for 2-D float matrices (row i = item i's feature vector).
 *
 * <p>Layout: the magic {@code \x93NUMPY}, a major and minor version byte, the header length
 * (2 bytes little-endian in version 1.0, 4 bytes in 2.0 and 3.0), the header - a Python dict
 * literal {@code {'descr': '<f4', 'fortran_order': False, 'shape': (R, C), }} in Latin-1
 * (UTF-8 in 3.0) padded with spaces and ending in a newline - then the raw values.
 *
 * <p>Reading accepts little-endian float16, float32 and float64 in C order and converts them to a
 * float32 {@link Tensor} (float64 rounds to nearest; float16 is exact, subnormals included).
 * Anything else is refused with a {@link DataFormatException} that says what was found:
 * Fortran order, another dtype, big-endian data, a shape that is not 2-D, missing or extra data
 * bytes, a bad magic. Writing produces float32, version 1.0, atomically.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Header blocks are padded to this many bytes, as NumPy does, so the data is aligned. */
    private static final int ALIGN = 64;
    private static final int CHUNK = 1 << 20;

    private Npy() {}

    /** What the header of a .npy file says. */
    public record Header(int major, int minor, String descr, boolean fortranOrder, long[] shape, long dataOffset) {
        /** Bytes per value, from the descr. */
        public int itemSize() {
            return Integer.parseInt(descr.substring(2));
        }
    }

    // ------------------------------------------------------------------ reading

    /** Reads a 2-D float .npy file into a new float32 tensor. */
    public static Tensor read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(file, ch);
            checkSupported(file, h);
            long rows = h.shape()[0], cols = h.shape()[1];
            long values;
            try {
                values = Math.multiplyExact(rows, cols);
            } catch (ArithmeticException e) {
                values = Long.MAX_VALUE; // beyond any tensor; exact math keeps a huge shape from wrapping around
            }
            if (values > Integer.MAX_VALUE - 8) {
                throw DataFormatException.inFile(file, "shape (" + rows + ", " + cols + ") has "
                        + (values == Long.MAX_VALUE ? java.math.BigInteger.valueOf(rows).multiply(java.math.BigInteger.valueOf(cols)).toString()
                        : Long.toString(values)) + " values, more than one tensor can hold (" + (Integer.MAX_VALUE - 8) + ")");
            }
            int itemSize = h.itemSize();
            long expected = values * itemSize;
            long found = ch.size() - h.dataOffset();
            if (found < expected) {
                throw DataFormatException.atByte(file, ch.size(), "truncated: shape (" + rows + ", " + cols + ") of "
                        + h.descr() + " needs " + expected + " data bytes, the file has " + found);
            }
            if (found > expected) {
                throw DataFormatException.atByte(file, h.dataOffset() + expected, (found - expected)
                        + " unexpected bytes after the data of shape (" + rows + ", " + cols + ") " + h.descr());
            }
            Tensor t = new Tensor((int) rows, (int) cols);
            readValues(ch, h.dataOffset(), itemSize, t.data, t.size());
            return t;
        } catch (NoSuchFileException e) {
            throw DataFormatException.inFile(file, "no such file");
        } catch (IOException e) {
            throw DataFormatException.io(file, e);
        }
    }

    /** Reads only the header (shape and dtype) without the data. */
    public static Header readHeader(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch);
        } catch (NoSuchFileException e) {
            throw DataFormatException.inFile(file, "no such file");
        } catch (IOException e) {
            throw DataFormatException.io(file, e);
        }
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, pre, 0);
        int got = pre.position();
        pre.flip();
        for (int k = 0; k < MAGIC.length; k++) {
            if (k >= got || pre.get(k) != MAGIC[k]) {
                throw DataFormatException.atByte(file, 0, "not a .npy file: it does not start with the magic \\x93NUMPY");
            }
        }
        if (got < 10) {
            throw DataFormatException.atByte(file, got, "truncated .npy header");
        }
        int major = pre.get(6) & 0xff, minor = pre.get(7) & 0xff;
        long headerLen;
        int lenBytes;
        if (major == 1) {
            headerLen = pre.getShort(8) & 0xffff;
            lenBytes = 2;
        } else if (major == 2 || major == 3) {
            if (got < 12) {
                throw DataFormatException.atByte(file, got, "truncated .npy header");
            }
            headerLen = pre.getInt(8) & 0xffffffffL;
            lenBytes = 4;
        } else {
            throw DataFormatException.atByte(file, 6, "unsupported .npy format version " + major + "." + minor
                    + " (expected 1.0, 2.0 or 3.0)");
        }
        long start = 8 + lenBytes;
        if (headerLen > (1 << 24)) {
            throw DataFormatException.atByte(file, 8, "implausible .npy header length " + headerLen);
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, start);
        if (hb.position() < headerLen) {
            throw DataFormatException.atByte(file, start + hb.position(), "truncated .npy header: expected "
                    + headerLen + " header bytes");
        }
        String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict = new DictParser(file, start, text).parse();
        Object descr = dict.get("descr"), fortran = dict.get("fortran_order"), shape = dict.get("shape");
        if (!(descr instanceof String)) {
            throw DataFormatException.atByte(file, start, "header has no string 'descr' (dtype): " + text.trim());
        }
        if (!(fortran instanceof Boolean)) {
            throw DataFormatException.atByte(file, start, "header has no boolean 'fortran_order': " + text.trim());
        }
        if (!(shape instanceof long[])) {
            throw DataFormatException.atByte(file, start, "header has no tuple 'shape': " + text.trim());
        }
        return new Header(major, minor, (String) descr, (Boolean) fortran, (long[]) shape, start + headerLen);
    }

    private static void checkSupported(Path file, Header h) {
        String d = h.descr();
        if (h.fortranOrder()) {
            throw DataFormatException.inFile(file, "fortran_order is True (column-major); only C order is supported"
                    + " - save with numpy.ascontiguousarray(x)");
        }
        if (d.length() >= 2 && d.charAt(0) == '>' && d.charAt(1) == 'f') {
            throw DataFormatException.inFile(file, "big-endian dtype '" + d + "'; only little-endian is supported"
                    + " - convert with x.astype('<f4')");
        }
        if (!(d.equals("<f2") || d.equals("<f4") || d.equals("<f8"))) {
            throw DataFormatException.inFile(file, "unsupported dtype '" + d + "' (" + describe(d)
                    + "); expected little-endian float16, float32 or float64 ('<f2', '<f4', '<f8')");
        }
        if (h.shape().length != 2) {
            StringBuilder s = new StringBuilder("(");
            for (int k = 0; k < h.shape().length; k++) {
                s.append(k > 0 ? ", " : "").append(h.shape()[k]);
            }
            s.append(h.shape().length == 1 ? ",)" : ")");
            throw DataFormatException.inFile(file, "shape " + s + " is " + h.shape().length
                    + "-D; expected a 2-D matrix (rows = items, columns = features)");
        }
    }

    private static String describe(String descr) {
        if (descr.length() < 2) {
            return "unknown";
        }
        int k = (descr.charAt(0) == '<' || descr.charAt(0) == '>' || descr.charAt(0) == '|' || descr.charAt(0) == '=') ? 1 : 0;
        String order = descr.charAt(0) == '>' ? "big-endian " : "";
        String size = descr.substring(k + 1);
        switch (descr.charAt(k)) {
            case 'f': return order + "float, " + size + " bytes";
            case 'i': return order + "signed integer, " + size + " bytes";
            case 'u': return order + "unsigned integer, " + size + " bytes";
            case 'b': return "boolean";
            case 'c': return order + "complex, " + size + " bytes";
            case 'O': return "Python objects";
            case 'U': return "unicode strings";
            case 'S': return "byte strings";
            case 'V': return "structured/void";
            default: return "unknown kind '" + descr.charAt(k) + "'";
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position());
            if (n < 0) {
                return;
            }
        }
    }

    private static void readValues(FileChannel ch, long offset, int itemSize, float[] out, int count) throws IOException {
        int perChunk = CHUNK / itemSize;
        ByteBuffer buf = ByteBuffer.allocate(perChunk * itemSize).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        long pos = offset;
        while (done < count) {
            int n = Math.min(perChunk, count - done);
            buf.clear().limit(n * itemSize);
            readFully(ch, buf, pos);
            if (buf.hasRemaining()) {
                throw new IOException("file shrank while reading");
            }
            buf.flip();
            pos += (long) n * itemSize;
            switch (itemSize) {
                case 4:
                    buf.asFloatBuffer().get(out, done, n);
                    break;
                case 8:
                    for (int k = 0; k < n; k++) out[done + k] = (float) buf.getDouble(k * 8);
                    break;
                default:
                    for (int k = 0; k < n; k++) out[done + k] = halfToFloat(buf.getShort(k * 2));
            }
            done += n;
        }
    }

    /**
     * IEEE 754 binary16 to binary32, exactly: normals re-bias the exponent (15 to 127),
     * subnormals are mantissa x 2^-24, exponent 31 is infinity or NaN. (Float.float16ToFloat
     * does this from Java 20; we target 17.)
     */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = bits >>> 15;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        float v;
        if (exp == 0) {
            v = mant * 0x1p-24f;
        } else if (exp == 31) {
            v = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            v = Float.intBitsToFloat(((exp + 112) << 23) | (mant << 13));
        }
        return sign == 0 ? v : -v;
    }

    /** Parses the header's Python dict literal: string keys; values strings, True/False or tuples of ints. */
    private static final class DictParser {
        private final Path file;
        private final long base;
        private final String s;
        private int p;

        DictParser(Path file, long base, String s) {
            this.file = file;
            this.base = base;
            this.s = s;
        }

        Map<String, Object> parse() {
            Map<String, Object> out = new LinkedHashMap<>();
            skip();
            expect('{');
            while (true) {
                skip();
                if (peek() == '}') {
                    p++;
                    break;
                }
                String key = string();
                skip();
                expect(':');
                skip();
                out.put(key, value());
                skip();
                if (peek() == ',') {
                    p++;
                } else if (peek() != '}') {
                    throw error("expected ',' or '}'");
                }
            }
            return out;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(') {
                p++;
                List<Long> dims = new ArrayList<>();
                while (true) {
                    skip();
                    if (peek() == ')') {
                        p++;
                        break;
                    }
                    dims.add(integer());
                    skip();
                    if (peek() == ',') {
                        p++;
                    } else if (peek() != ')') {
                        throw error("expected ',' or ')' in the shape tuple");
                    }
                }
                return dims.stream().mapToLong(Long::longValue).toArray();
            }
            if (s.startsWith("True", p)) {
                p += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", p)) {
                p += 5;
                return Boolean.FALSE;
            }
            throw error("unexpected value");
        }

        private long integer() {
            int st = p;
            while (p < s.length() && Character.isDigit(s.charAt(p))) p++;
            if (st == p) {
                throw error("expected a non-negative integer dimension");
            }
            long v;
            try {
                v = Long.parseLong(s.substring(st, p));
            } catch (NumberFormatException e) {
                throw error("dimension too large");
            }
            if (p < s.length() && s.charAt(p) == 'L') p++; // Python 2 long suffix in old files
            return v;
        }

        private String string() {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw error("expected a quoted string");
            }
            int end = s.indexOf(q, p + 1);
            if (end < 0) {
                throw error("unterminated string");
            }
            String v = s.substring(p + 1, end);
            p = end + 1;
            return v;
        }

        private void skip() {
            while (p < s.length() && Character.isWhitespace(s.charAt(p))) p++;
        }

        private char peek() {
            return p < s.length() ? s.charAt(p) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            p++;
        }

        private DataFormatException error(String what) {
            return DataFormatException.atByte(file, base + p, "malformed .npy header: " + what + " at '"
                    + s.substring(p, Math.min(s.length(), p + 20)).trim() + "' in " + s.trim());
        }
    }

    // ------------------------------------------------------------------ checks

    /** Throws unless the matrix read from {@code file} has one row per item. */
    public static void requireRows(Path file, Tensor t, int numItems) {
        if (t.rows != numItems) {
            throw DataFormatException.inFile(file, "has " + t.rows + " rows but the dataset has " + numItems
                    + " items (expected one row per item, row i = item i)");
        }
    }

    /** Throws at the first NaN or infinite value, naming its row and column. */
    public static void requireFinite(Path file, Tensor t) {
        for (int r = 0; r < t.rows; r++) {
            int base = t.offset + r * t.cols;
            for (int c = 0; c < t.cols; c++) {
                float v = t.data[base + c];
                if (!Float.isFinite(v)) {
                    throw DataFormatException.inFile(file, "value at row " + r + ", column " + c + " is " + v
                            + " (features must be finite" + (Float.isInfinite(v) ? "; a float64 beyond float32 range also reads as infinity" : "") + ")");
                }
            }
        }
    }

    // ------------------------------------------------------------------ writing

    /** Writes {@code t} as a float32, version 1.0, C-order .npy file, atomically. */
    public static void write(Path file, Tensor t) {
        try (RowWriter w = new RowWriter(file, t.rows, t.cols)) {
            for (int r = 0; r < t.rows; r++) {
                w.writeRow(t.data, t.offset + r * t.cols);
            }
            w.commit();
        }
    }

    /** The version 1.0 header for a float32 matrix, padded so the data starts on a 64-byte boundary. */
    static byte[] header(long rows, long cols) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int unpadded = 10 + dict.length() + 1;
        int total = (unpadded + ALIGN - 1) / ALIGN * ALIGN;
        StringBuilder h = new StringBuilder(dict);
        while (10 + h.length() + 1 < total) h.append(' ');
        h.append('\n');
        int len = h.length();
        byte[] out = new byte[10 + len];
        System.arraycopy(MAGIC, 0, out, 0, 6);
        out[6] = 1;
        out[7] = 0;
        out[8] = (byte) (len & 0xff);
        out[9] = (byte) (len >>> 8);
        byte[] hb = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(hb, 0, out, 10, len);
        return out;
    }

    /**
     * Streams a float32 matrix to disk row by row, so a generator never holds a large feature
     * matrix in memory. The data goes to a temporary file that {@link #commit()} renames over
     * the target; closing without committing (an exception on the way) deletes it.
     */
    public static final class RowWriter implements AutoCloseable {
        private final Path target;
        private final long rows;
        private final int cols;
        private final Path tmp;
        private final OutputStream out;
        private final ByteBuffer rowBuf;
        private long written;
        private boolean done;

        public RowWriter(Path target, long rows, int cols) {
            if (rows < 0 || cols < 0) {
                throw new IllegalArgumentException("RowWriter: negative shape (" + rows + ", " + cols + ")");
            }
            this.target = target;
            this.rows = rows;
            this.cols = cols;
            this.rowBuf = ByteBuffer.allocate(cols * 4).order(ByteOrder.LITTLE_ENDIAN);
            try {
                this.tmp = AtomicFiles.temporaryFor(target);
                this.out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                out.write(header(rows, cols));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
            }
        }

        /** Appends one row: {@code cols} values of {@code src} from {@code off}. */
        public void writeRow(float[] src, int off) {
            if (written >= rows) {
                throw new IllegalStateException("RowWriter " + target + ": more than the declared " + rows + " rows");
            }
            rowBuf.clear();
            rowBuf.asFloatBuffer().put(src, off, cols);
            try {
                out.write(rowBuf.array(), 0, cols * 4);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
            }
            written++;
        }

        /** Finishes the file and moves it into place; every declared row must have been written. */
        public void commit() {
            if (written != rows) {
                throw new IllegalStateException("RowWriter " + target + ": " + written + " of " + rows + " rows written");
            }
            try {
                out.close();
                AtomicFiles.commit(tmp, target);
                done = true;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (!done) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // the file is being discarded
                }
                AtomicFiles.deleteQuietly(tmp);
                done = true;
            }
        }
    }
}
