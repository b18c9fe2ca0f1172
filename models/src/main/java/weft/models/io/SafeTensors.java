package weft.models.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import weft.engine.Tensor;
import weft.models.data.AtomicFiles;
import weft.models.data.DataFormatException;
import weft.models.util.Json;

/**
 * The safetensors file format, the cross-language tensor container PyTorch, JAX and others read
 * ({@code safetensors.torch.load_file}):
 *
 * <pre>
 *   8 bytes      N, the header's length, unsigned little-endian
 *   N bytes      UTF-8 JSON: {"name": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}, ...,
 *                             "__metadata__": {"key": "value", ...}}   (optional, string values only)
 *                padded with spaces so that the data starts on an 8-byte boundary
 *   the rest     the tensors' bytes, little-endian, row-major, each at [begin, end) of this block;
 *                the tensors tile the block without gaps or overlaps
 * </pre>
 *
 * <p>weft writes {@code F32} for float tensors, {@code F64} for statistics kept in double and
 * {@code I32} / {@code I64} for integer arrays (interaction lists, step counters), tensors in the
 * order given. The reader accepts those four dtypes and
 * checks everything the format promises (header length within the file, offsets in order, sizes
 * equal to dtype size times the shape's product, no trailing bytes) and reports a defect as a
 * {@link DataFormatException} naming the file and the tensor.
 */
public final class SafeTensors {
    /** Largest header this reader accepts (the reference implementation's limit is 100 MB). */
    static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {}

    /** One entry: a float matrix, or a 1-d int or long array. */
    public static final class Entry {
        final String dtype;
        final long[] shape;
        final Tensor floats;
        final int[] ints;
        final long[] longs;
        final double[] doubles;

        private Entry(String dtype, long[] shape, Tensor floats, int[] ints, long[] longs) {
            this(dtype, shape, floats, ints, longs, null);
        }

        private Entry(String dtype, long[] shape, Tensor floats, int[] ints, long[] longs, double[] doubles) {
            this.dtype = dtype;
            this.shape = shape;
            this.floats = floats;
            this.ints = ints;
            this.longs = longs;
            this.doubles = doubles;
        }

        long bytes() {
            return floats != null ? 4L * floats.size() : ints != null ? 4L * ints.length
                    : longs != null ? 8L * longs.length : 8L * doubles.length;
        }

        public String dtype() {
            return dtype;
        }

        public long[] shape() {
            return shape.clone();
        }
    }

    /** What a file holds, in file order. */
    public static final class Contents {
        private final Path file;
        private final Map<String, Entry> tensors;
        private final Map<String, String> metadata;
        private final Map<String, long[]> shapes;

        Contents(Path file, Map<String, Entry> tensors, Map<String, String> metadata, Map<String, long[]> shapes) {
            this.file = file;
            this.tensors = tensors;
            this.metadata = metadata;
            this.shapes = shapes;
        }

        /** The shape of any tensor the header declares, read or not (see {@link SafeTensors#read(Path, java.util.Collection)}). */
        public long[] shapeOf(String name) {
            long[] s = shapes.get(name);
            if (s == null) {
                throw DataFormatException.inFile(file, "has no tensor '" + name + "'; it holds " + shapes.keySet());
            }
            return s.clone();
        }

        public Map<String, String> metadata() {
            return metadata;
        }

        /** Tensor names in file order. */
        public List<String> names() {
            return new ArrayList<>(tensors.keySet());
        }

        public boolean has(String name) {
            return tensors.containsKey(name);
        }

        /** A float tensor; 1-d tensors come back as one row, 2-d as they are, higher ranks as [shape[0], rest]. */
        public Tensor floats(String name) {
            Entry e = entry(name, "F32");
            return e.floats;
        }

        public int[] ints(String name) {
            return entry(name, "I32").ints;
        }

        public long[] longs(String name) {
            return entry(name, "I64").longs;
        }

        public double[] doubles(String name) {
            return entry(name, "F64").doubles;
        }

        public long[] shape(String name) {
            return entry(name, null).shape.clone();
        }

        private Entry entry(String name, String dtype) {
            Entry e = tensors.get(name);
            if (e == null) {
                throw DataFormatException.inFile(file, "has no tensor '" + name + "'; it holds " + tensors.keySet());
            }
            if (dtype != null && !e.dtype.equals(dtype)) {
                throw DataFormatException.inFile(file, "tensor '" + name + "' is " + e.dtype + ", expected " + dtype);
            }
            return e;
        }
    }

    /** Collects tensors to write, in order; names must be unique. */
    public static final class Writer {
        private final LinkedHashMap<String, Entry> tensors = new LinkedHashMap<>();
        private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();

        public Writer put(String name, Tensor t) {
            return add(name, new Entry("F32", new long[] {t.rows, t.cols}, t, null, null));
        }

        /** A float tensor written as 1-d (shape [n]), e.g. a bias vector. */
        public Writer putVector(String name, Tensor t) {
            return add(name, new Entry("F32", new long[] {t.size()}, t, null, null));
        }

        public Writer put(String name, int[] values) {
            return add(name, new Entry("I32", new long[] {values.length}, null, values, null));
        }

        public Writer put(String name, long[] values) {
            return add(name, new Entry("I64", new long[] {values.length}, null, null, values));
        }

        public Writer put(String name, double[] values) {
            return add(name, new Entry("F64", new long[] {values.length}, null, null, null, values));
        }

        public Writer meta(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        private Writer add(String name, Entry e) {
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("safetensors: invalid tensor name '" + name + "'");
            }
            if (tensors.putIfAbsent(name, e) != null) {
                throw new IllegalArgumentException("safetensors: tensor '" + name + "' added twice");
            }
            return this;
        }

        /** Writes the file atomically (temporary file, fsync, rename). */
        public void write(Path file) {
            AtomicFiles.write(file, this::writeTo);
        }

        public void writeTo(OutputStream out) throws IOException {
            LinkedHashMap<String, Object> header = new LinkedHashMap<>();
            if (!metadata.isEmpty()) {
                header.put("__metadata__", metadata);
            }
            long offset = 0;
            for (Map.Entry<String, Entry> e : tensors.entrySet()) {
                LinkedHashMap<String, Object> h = new LinkedHashMap<>();
                Entry t = e.getValue();
                h.put("dtype", t.dtype);
                List<Long> shape = new ArrayList<>();
                for (long s : t.shape) shape.add(s);
                h.put("shape", shape);
                h.put("data_offsets", List.of(offset, offset + t.bytes()));
                offset += t.bytes();
                header.put(e.getKey(), h);
            }
            byte[] json = Json.compact(header).getBytes(StandardCharsets.UTF_8);
            int padded = (json.length + 7) & ~7;
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) head.put((byte) ' ');
            out.write(head.array());
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry t : tensors.values()) {
                if (t.floats != null) {
                    float[] d = t.floats.data;
                    int end = t.floats.offset + t.floats.size();
                    for (int i = t.floats.offset; i < end; i++) {
                        if (buf.remaining() < 8) flush(buf, out);
                        buf.putFloat(d[i]);
                    }
                } else if (t.ints != null) {
                    for (int v : t.ints) {
                        if (buf.remaining() < 8) flush(buf, out);
                        buf.putInt(v);
                    }
                } else if (t.longs != null) {
                    for (long v : t.longs) {
                        if (buf.remaining() < 8) flush(buf, out);
                        buf.putLong(v);
                    }
                } else {
                    for (double v : t.doubles) {
                        if (buf.remaining() < 8) flush(buf, out);
                        buf.putDouble(v);
                    }
                }
            }
            flush(buf, out);
        }

        private static void flush(ByteBuffer buf, OutputStream out) throws IOException {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
    }

    public static Writer writer() {
        return new Writer();
    }

    /** Reads and checks a whole file. */
    public static Contents read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw DataFormatException.inFile(file, "no such file");
        } catch (IOException e) {
            throw DataFormatException.inFile(file, "cannot be read: " + e.getMessage());
        } catch (OutOfMemoryError e) {
            throw DataFormatException.inFile(file, "is too large to read into this JVM's heap; raise it with WEFT_JAVA_OPTS=-Xmx...");
        }
        return parse(file, bytes);
    }

    /**
     * Reads only the named tensors (the header is checked in full, as by {@link #read}), so a
     * reader that needs a few tensors of a large file holds only those in memory.
     */
    public static Contents read(Path file, java.util.Collection<String> names) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            HeaderAt at = readHeader(file, ch);
            Header h = at.header();
            long n = at.jsonBytes();
            LinkedHashMap<String, Entry> tensors = new LinkedHashMap<>();
            for (String name : names) {
                Slot s = h.slots.get(name);
                if (s == null) {
                    throw DataFormatException.inFile(file, "has no tensor '" + name + "'; it holds " + h.slots.keySet());
                }
                checkCount(file, s);
                ByteBuffer data = ByteBuffer.allocate((int) (s.end - s.begin));
                readFully(ch, data, 8 + n + s.begin);
                data.flip();
                tensors.put(name, decode(s, data.order(ByteOrder.LITTLE_ENDIAN)));
            }
            return new Contents(file, Collections.unmodifiableMap(tensors), h.metadata, h.shapes());
        } catch (NoSuchFileException e) {
            throw DataFormatException.inFile(file, "no such file");
        } catch (IOException e) {
            throw DataFormatException.inFile(file, "cannot be read: " + e.getMessage());
        } catch (OutOfMemoryError e) {
            throw DataFormatException.inFile(file, "is too large to read into this JVM's heap; raise it with WEFT_JAVA_OPTS=-Xmx...");
        }
    }

    /** Where one tensor's bytes lie in a file: its dtype, shape, and absolute byte offset and length. */
    public record Location(String dtype, long[] shape, long offset, long bytes) {}

    /**
     * Reads only the header and says where tensor {@code name} lies, so that a reader can take
     * slices of it (rows of a table) with positional reads instead of loading the file.
     */
    public static Location locate(Path file, String name) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            HeaderAt at = readHeader(file, ch);
            Header h = at.header();
            long n = at.jsonBytes();
            Slot s = h.slots.get(name);
            if (s == null) {
                throw DataFormatException.inFile(file, "has no tensor '" + name + "'; it holds " + h.slots.keySet());
            }
            checkCount(file, s);
            return new Location(s.dtype, s.shape.clone(), 8 + n + s.begin, s.end - s.begin);
        } catch (NoSuchFileException e) {
            throw DataFormatException.inFile(file, "no such file");
        } catch (IOException e) {
            throw DataFormatException.inFile(file, "cannot be read: " + e.getMessage());
        }
    }

    /** A header and the length of its JSON (the data start at byte 8 + jsonBytes). */
    private record HeaderAt(Header header, long jsonBytes) {}

    /** The file's header, read and checked in full without reading the tensors' data. */
    private static HeaderAt readHeader(Path file, java.nio.channels.FileChannel ch) throws IOException {
        long length = ch.size();
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        if (length >= 8) {
            readFully(ch, lenBuf, 0);
        }
        long n = length >= 8 ? lenBuf.getLong(0) : 0;
        checkLength(file, length, n);
        ByteBuffer head = ByteBuffer.allocate((int) n);
        readFully(ch, head, 8);
        return new HeaderAt(header(file, head.array(), n, length - 8 - n), n);
    }

    private static void readFully(java.nio.channels.FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += r;
        }
    }

    /** One tensor's place in the data block, as the header declares it. */
    private record Slot(String name, String dtype, long[] shape, long begin, long end) {}

    private record Header(Map<String, String> metadata, LinkedHashMap<String, Slot> slots) {
        Map<String, long[]> shapes() {
            LinkedHashMap<String, long[]> m = new LinkedHashMap<>();
            slots.forEach((k, v) -> m.put(k, v.shape));
            return Collections.unmodifiableMap(m);
        }
    }

    private static void checkLength(Path file, long length, long n) {
        if (length < 8) {
            throw DataFormatException.inFile(file, "is " + length + " bytes, too short for a safetensors file (truncated?)");
        }
        if (n < 2 || n > MAX_HEADER || n > length - 8L) {
            throw DataFormatException.inFile(file, "header length " + Long.toUnsignedString(n) + " does not fit the file's "
                    + length + " bytes: not a safetensors file, or truncated");
        }
    }

    static Contents parse(Path file, byte[] bytes) {
        long n = bytes.length >= 8 ? ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0) : 0;
        checkLength(file, bytes.length, n);
        byte[] json = java.util.Arrays.copyOfRange(bytes, 8, 8 + (int) n);
        long dataStart = 8 + n;
        Header h = header(file, json, n, bytes.length - dataStart);
        LinkedHashMap<String, Entry> tensors = new LinkedHashMap<>();
        for (Slot s : h.slots.values()) {
            checkCount(file, s);
            ByteBuffer src = ByteBuffer.wrap(bytes, (int) (dataStart + s.begin), (int) (s.end - s.begin)).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            tensors.put(s.name, decode(s, src));
        }
        return new Contents(file, Collections.unmodifiableMap(tensors), h.metadata, h.shapes());
    }

    /** Parses and checks the JSON header against a data block of {@code dataLen} bytes; slots in data order. */
    private static Header header(Path file, byte[] jsonBytes, long n, long dataLen) {
        String json = new String(jsonBytes, 0, (int) n, StandardCharsets.UTF_8);
        Object parsed;
        try {
            parsed = Json.parse(json);
        } catch (Json.ParseException e) {
            throw DataFormatException.inFile(file, "header is not valid JSON (" + e.getMessage() + ")");
        }
        if (!(parsed instanceof Map)) {
            throw DataFormatException.inFile(file, "header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Slot> order = new ArrayList<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) parsed).entrySet()) {
            String name = String.valueOf(e.getKey());
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map)) {
                    throw DataFormatException.inFile(file, "__metadata__ is not an object of strings");
                }
                for (Map.Entry<?, ?> m : ((Map<?, ?>) e.getValue()).entrySet()) {
                    if (!(m.getValue() instanceof String)) {
                        throw DataFormatException.inFile(file, "__metadata__ value of '" + m.getKey() + "' is not a string");
                    }
                    metadata.put(String.valueOf(m.getKey()), (String) m.getValue());
                }
                continue;
            }
            if (!(e.getValue() instanceof Map)) {
                throw DataFormatException.inFile(file, "tensor '" + name + "': header entry is not an object");
            }
            Map<?, ?> h = (Map<?, ?>) e.getValue();
            Object dtype = h.get("dtype");
            if (!"F32".equals(dtype) && !"I32".equals(dtype) && !"I64".equals(dtype) && !"F64".equals(dtype)) {
                throw DataFormatException.inFile(file, "tensor '" + name + "' has dtype " + dtype + "; weft reads F32, F64, I32 and I64");
            }
            long[] shape = longs(file, name, "shape", h.get("shape"), -1);
            long[] off = longs(file, name, "data_offsets", h.get("data_offsets"), 2);
            long count = 1;
            for (long s : shape) {
                if (s < 0 || (s > 0 && count > Long.MAX_VALUE / 8 / s)) {
                    throw DataFormatException.inFile(file, "tensor '" + name + "' has an invalid shape");
                }
                count *= s;
            }
            long size = count * width((String) dtype);
            if (off[0] < 0 || off[1] < off[0] || off[1] > dataLen) {
                throw DataFormatException.inFile(file, "tensor '" + name + "' data_offsets [" + off[0] + ", " + off[1]
                        + "] lie outside the " + dataLen + " data bytes (truncated?)");
            }
            if (off[1] - off[0] != size) {
                throw DataFormatException.inFile(file, "tensor '" + name + "' has " + (off[1] - off[0]) + " bytes, but its dtype "
                        + dtype + " and shape need " + size);
            }
            order.add(new Slot(name, (String) dtype, shape, off[0], off[1]));
        }
        order.sort((a, b) -> Long.compare(a.begin, b.begin));
        long expect = 0;
        for (Slot o : order) {
            if (o.begin != expect) {
                throw DataFormatException.inFile(file, "tensor '" + o.name + "' starts at byte " + o.begin + " of the data, expected "
                        + expect + " (tensors must tile the data without gaps or overlaps)");
            }
            expect = o.end;
        }
        if (expect != dataLen) {
            throw DataFormatException.inFile(file, (dataLen - expect) + " bytes after the last tensor: not a well-formed safetensors file");
        }
        LinkedHashMap<String, Slot> slots = new LinkedHashMap<>();
        for (Slot o : order) slots.put(o.name, o);
        return new Header(Collections.unmodifiableMap(metadata), slots);
    }

    private static void checkCount(Path file, Slot s) {
        long count = (s.end - s.begin) / width(s.dtype);
        if (count > Integer.MAX_VALUE - 8) {
            throw DataFormatException.inFile(file, "tensor '" + s.name + "' has " + count + " elements, more than a Java array holds");
        }
    }

    private static Entry decode(Slot s, ByteBuffer src) {
        long[] shape = s.shape;
        long count = (s.end - s.begin) / width(s.dtype);
        switch (s.dtype) {
            case "F32": {
                int rows, cols;
                if (shape.length == 0) { rows = 1; cols = 1; }
                else if (shape.length == 1) { rows = 1; cols = (int) shape[0]; }
                else { rows = (int) shape[0]; cols = (int) (count / Math.max(1, shape[0])); }
                if (shape.length > 0 && shape[0] == 0) cols = 0;
                float[] d = new float[(int) count];
                src.asFloatBuffer().get(d);
                return new Entry(s.dtype, shape, new Tensor(d, 0, rows, cols), null, null);
            }
            case "I32": {
                int[] d = new int[(int) count];
                src.asIntBuffer().get(d);
                return new Entry(s.dtype, shape, null, d, null);
            }
            case "F64": {
                double[] d = new double[(int) count];
                src.asDoubleBuffer().get(d);
                return new Entry(s.dtype, shape, null, null, null, d);
            }
            default: {
                long[] d = new long[(int) count];
                src.asLongBuffer().get(d);
                return new Entry(s.dtype, shape, null, null, d);
            }
        }
    }

    private static int width(String dtype) {
        return "I64".equals(dtype) || "F64".equals(dtype) ? 8 : 4;
    }

    private static long[] longs(Path file, String tensor, String key, Object v, int wantLength) {
        if (!(v instanceof List)) {
            throw DataFormatException.inFile(file, "tensor '" + tensor + "' has no " + key + " list");
        }
        List<?> l = (List<?>) v;
        if (wantLength >= 0 && l.size() != wantLength) {
            throw DataFormatException.inFile(file, "tensor '" + tensor + "' " + key + " has " + l.size() + " values, expected " + wantLength);
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            Object o = l.get(i);
            if (!(o instanceof Number) || ((Number) o).doubleValue() != Math.rint(((Number) o).doubleValue())) {
                throw DataFormatException.inFile(file, "tensor '" + tensor + "' " + key + " holds a non-integer " + o);
            }
            out[i] = ((Number) o).longValue();
        }
        return out;
    }
}
