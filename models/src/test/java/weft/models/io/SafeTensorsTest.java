package weft.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import weft.engine.Tensor;
import weft.models.data.DataFormatException;

class SafeTensorsTest {
    @TempDir
    Path tmp;

    /** A file as the format describes it: 8-byte little-endian header length, the JSON header, the data. */
    private static byte[] file(String json, byte[] data) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    private Path write(byte[] bytes) throws Exception {
        Path p = tmp.resolve("t" + System.nanoTime() + ".safetensors");
        Files.write(p, bytes);
        return p;
    }

    private String refusal(byte[] bytes) throws Exception {
        Path p = write(bytes);
        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(p));
        assertTrue(e.getMessage().startsWith(p.toString()), "the message names the file: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void writerProducesTheBytesTheSpecDescribes() throws Exception {
        Tensor t = new Tensor(new float[] {1f, -2f}, 0, 1, 2);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.writer().putVector("a", t).put("n", new int[] {7}).writeTo(out);
        // Built by hand: header padded with spaces to a multiple of 8, then 1.0f, -2.0f and int 7, little-endian.
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"n\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        StringBuilder padded = new StringBuilder(json);
        while (padded.length() % 8 != 0) padded.append(' ');
        byte[] data = {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, (byte) 0xC0, 7, 0, 0, 0};
        byte[] expected = file(padded.toString(), data);
        assertArrayEquals(expected, out.toByteArray());
        assertEquals(0, (8 + padded.length()) % 8, "data starts on an 8-byte boundary");
    }

    @Test
    void readsAHandBuiltFile() throws Exception {
        // A 2 x 2 F32 matrix, an I64 vector and metadata, as another implementation would write them (no padding).
        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"step\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[16,24]}}";
        ByteBuffer d = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        d.putFloat(0.5f).putFloat(1.5f).putFloat(-3f).putFloat(4f).putLong(1L << 40);
        SafeTensors.Contents c = SafeTensors.read(write(file(json, d.array())));
        Tensor w = c.floats("w");
        assertEquals(2, w.rows);
        assertEquals(2, w.cols);
        assertArrayEquals(new float[] {0.5f, 1.5f, -3f, 4f}, Arrays.copyOfRange(w.data, w.offset, w.offset + 4));
        assertArrayEquals(new long[] {1L << 40}, c.longs("step"));
        assertEquals("pt", c.metadata().get("format"));
        assertEquals(List.of("w", "step"), c.names());
        assertArrayEquals(new long[] {2, 2}, c.shape("w"));
    }

    @Test
    void roundTripsEveryDtypeViewsAndEmptyTensors() throws Exception {
        Tensor big = new Tensor(new float[] {9, 9, 1, 2, 3, 4, 5, 6}, 2, 2, 3);   // a view at offset 2
        Path p = tmp.resolve("sub/x.safetensors");
        SafeTensors.writer().meta("model", "lightgcn").put("m", big).put("i", new int[] {-1, 0, Integer.MAX_VALUE})
                .put("l", new long[] {Long.MIN_VALUE, 3}).put("d", new double[] {Math.PI, -0.0, 1e-300})
                .put("empty", new int[0]).put("none", new Tensor(0, 4)).write(p);
        SafeTensors.Contents c = SafeTensors.read(p);
        Tensor m = c.floats("m");
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, Arrays.copyOfRange(m.data, m.offset, m.offset + 6));
        assertEquals(2, m.rows);
        assertArrayEquals(new int[] {-1, 0, Integer.MAX_VALUE}, c.ints("i"));
        assertArrayEquals(new long[] {Long.MIN_VALUE, 3}, c.longs("l"));
        assertArrayEquals(new double[] {Math.PI, -0.0, 1e-300}, c.doubles("d"));
        assertEquals(0, c.ints("empty").length);
        assertEquals(0, c.floats("none").rows);
        assertEquals("lightgcn", c.metadata().get("model"));
        try (var files = Files.list(p.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
        // Reading a selection holds only those tensors, checks the whole header, and knows every shape.
        SafeTensors.Contents some = SafeTensors.read(p, List.of("l"));
        assertArrayEquals(new long[] {Long.MIN_VALUE, 3}, some.longs("l"));
        assertFalse(some.has("m"));
        assertArrayEquals(new long[] {2, 3}, some.shapeOf("m"));
        DataFormatException e = assertThrows(DataFormatException.class, () -> SafeTensors.read(p, List.of("nope")));
        assertTrue(e.getMessage().contains("has no tensor 'nope'"), e.getMessage());
        e = assertThrows(DataFormatException.class, () -> c.ints("m"));
        assertTrue(e.getMessage().contains("tensor 'm' is F32, expected I32"), e.getMessage());
    }

    @Test
    void writerRefusesDuplicateAndReservedNames() {
        SafeTensors.Writer w = SafeTensors.writer().put("a", new int[1]);
        assertThrows(IllegalArgumentException.class, () -> w.put("a", new int[1]));
        assertThrows(IllegalArgumentException.class, () -> w.put("__metadata__", new int[1]));
        assertThrows(IllegalArgumentException.class, () -> w.put("", new int[1]));
    }

    private static final String ONE = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    @Test
    void refusesTruncatedFiles() throws Exception {
        byte[] good = file(ONE, new byte[8]);
        assertTrue(refusal(Arrays.copyOf(good, good.length - 4)).contains("truncated"));
        assertTrue(refusal(Arrays.copyOf(good, 5)).contains("too short"));
        assertTrue(refusal(Arrays.copyOf(good, 20)).contains("does not fit"), "the header is cut");
        // Through the selective reader too.
        Path p = write(Arrays.copyOf(good, good.length - 4));
        assertTrue(assertThrows(DataFormatException.class, () -> SafeTensors.read(p, List.of("a"))).getMessage().contains("truncated"));
    }

    @Test
    void refusesAHeaderLongerThanTheFileOrTheLimit() throws Exception {
        byte[] b = file(ONE, new byte[8]);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 10_000);
        assertTrue(refusal(b).contains("header length 10000 does not fit"));
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, SafeTensors.MAX_HEADER + 1);
        assertTrue(refusal(b).contains("does not fit"));
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1);
        assertTrue(refusal(b).contains("header length 18446744073709551615"));
    }

    @Test
    void refusesBadJson() throws Exception {
        assertTrue(refusal(file("{\"a\": {\"dtype\": ", new byte[0])).contains("not valid JSON"));
        assertTrue(refusal(file("[1, 2]  ", new byte[0])).contains("not a JSON object"));
        assertTrue(refusal(file("{\"a\": 3}", new byte[0])).contains("header entry is not an object"));
        assertTrue(refusal(file("{\"__metadata__\":{\"k\":1}}", new byte[0])).contains("is not a string"));
        assertTrue(refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", new byte[8])).contains("non-integer"));
        assertTrue(refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", new byte[8])).contains("expected 2"));
    }

    @Test
    void refusesOverlappingAndGappedOffsets() throws Exception {
        String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertTrue(refusal(file(overlap, new byte[12])).contains("tensor 'b' starts at byte 4 of the data, expected 8"));
        String gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
        assertTrue(refusal(file(gap, new byte[20])).contains("without gaps or overlaps"));
        String backwards = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}";
        assertTrue(refusal(file(backwards, new byte[8])).contains("lie outside"));
    }

    @Test
    void refusesWrongSizeUnknownDtypeAndTrailingBytes() throws Exception {
        String wrong = "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        assertTrue(refusal(file(wrong, new byte[8])).contains("tensor 'a' has 8 bytes, but its dtype F32 and shape need 12"));
        String bf16 = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]}}";
        assertTrue(refusal(file(bf16, new byte[8])).contains("tensor 'a' has dtype BF16"));
        assertTrue(refusal(file(ONE, new byte[12])).contains("4 bytes after the last tensor"));
        String negative = "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}";
        assertTrue(refusal(file(negative, new byte[8])).contains("invalid shape"));
    }

    @Test
    void aMissingFileIsNamed() {
        Path p = tmp.resolve("absent.safetensors");
        assertTrue(assertThrows(DataFormatException.class, () -> SafeTensors.read(p)).getMessage().contains("no such file"));
        assertTrue(assertThrows(DataFormatException.class, () -> SafeTensors.read(p, List.of("a"))).getMessage().contains("no such file"));
    }
}
