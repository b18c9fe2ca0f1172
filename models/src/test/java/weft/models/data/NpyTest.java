package weft.models.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import weft.engine.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class NpyTest {
    @TempDir
    Path dir;

    /** A .npy file as NumPy would write it: magic, version, header length, padded dict, data. */
    static byte[] npy(int major, String dict, byte[] data) {
        int lenBytes = major == 1 ? 2 : 4;
        StringBuilder h = new StringBuilder(dict);
        while ((8 + lenBytes + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        byte[] hb = h.toString().getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(8 + lenBytes + hb.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) hb.length);
        else b.putInt(hb.length);
        b.put(hb).put(data);
        return b.array();
    }

    static String dict(String descr, boolean fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
    }

    static byte[] f4(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    static byte[] f8(double... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) b.putDouble(x);
        return b.array();
    }

    static byte[] f2(int... halfBits) {
        ByteBuffer b = ByteBuffer.allocate(halfBits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : halfBits) b.putShort((short) x);
        return b.array();
    }

    private Path file(String name, byte[] content) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    private DataFormatException fails(byte[] content) throws Exception {
        Path p = file("bad.npy", content);
        return assertThrows(DataFormatException.class, () -> Npy.read(p));
    }

    @Test
    void hugeShapesAreRefusedWithTheirTrueSizeNotAnOverflowedOne() throws Exception {
        // 2^33 x 2^31 values: rows * cols wraps to 0 in long arithmetic, and 2^32 x 2^32 x 4 bytes wraps too
        DataFormatException e = fails(npy(1, dict("<f4", false, "(8589934592, 2147483648)"), f4(1f)));
        assertTrue(e.getMessage().contains("shape (8589934592, 2147483648) has 18446744073709551616 values, more than one tensor can hold"),
                e.getMessage());
        e = fails(npy(1, dict("<f4", false, "(100000, 100000)"), f4(1f)));
        assertTrue(e.getMessage().contains("has 10000000000 values, more than one tensor can hold"), e.getMessage());
    }

    @Test
    void writeThenReadRoundTrips() throws Exception {
        Tensor t = Tensor.of(2, 3, 1f, -2.5f, 3e-8f, Float.MAX_VALUE, 0f, -0f);
        Path p = dir.resolve("sub/x.npy");
        Npy.write(p, t);
        Tensor back = Npy.read(p);
        assertEquals(2, back.rows);
        assertEquals(3, back.cols);
        assertArrayEquals(t.toArray(), back.toArray());
        assertEquals(128 + 24, Files.size(p), "header padded to 128 bytes (data 64-byte aligned, as NumPy does), then 6 floats");
        try (Stream<Path> s = Files.list(p.getParent())) {
            assertEquals(1, s.count(), "no temporary file left behind");
        }
        Npy.Header h = Npy.readHeader(p);
        assertEquals("<f4", h.descr());
        assertArrayEquals(new long[] {2, 3}, h.shape());
    }

    @Test
    void writesAViewWithOffset() throws Exception {
        Tensor big = Tensor.of(3, 2, 1, 2, 3, 4, 5, 6);
        Path p = dir.resolve("v.npy");
        Npy.write(p, big.rowBlock(1, 2));
        assertArrayEquals(new float[] {3, 4, 5, 6}, Npy.read(p).toArray());
    }

    @Test
    void readsVersions2And3() throws Exception {
        for (int v : new int[] {2, 3}) {
            Path p = file("v" + v + ".npy", npy(v, dict("<f4", false, "(1, 2)"), f4(7f, 8f)));
            Tensor t = Npy.read(p);
            assertArrayEquals(new float[] {7f, 8f}, t.toArray(), "version " + v);
            assertEquals(v, Npy.readHeader(p).major());
        }
    }

    @Test
    void readsFloat64RoundingToFloat32() throws Exception {
        Path p = file("d.npy", npy(1, dict("<f8", false, "(2, 2)"), f8(0.1, -1e-300, 1e10, 2.0)));
        Tensor t = Npy.read(p);
        assertArrayEquals(new float[] {0.1f, -0f, 1e10f, 2f}, t.toArray());
    }

    @Test
    void readsFloat16IncludingSubnormalsAndInfinities() throws Exception {
        // bits -> value, worked out from IEEE binary16: sign | 5-bit exponent (bias 15) | 10-bit mantissa
        int[] bits = {0x3C00, 0xC000, 0x3555, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0xFC00, 0x8000, 0x0000, 0x8001};
        float[] want = {1f, -2f, 0.333251953125f, 0x1p-24f /* smallest subnormal */, 1023 * 0x1p-24f /* largest subnormal */,
                0x1p-14f /* smallest normal */, 65504f /* largest */, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, -0x1p-24f};
        Path p = file("h.npy", npy(1, dict("<f2", false, "(3, 4)"), f2(bits)));
        Tensor t = Npy.read(p);
        assertArrayEquals(want, t.toArray());
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(t.data[9]), "negative zero keeps its sign");
        assertTrue(Float.isNaN(Npy.halfToFloat((short) 0x7E00)));
    }

    @Test
    void fortranOrderIsRefused() throws Exception {
        DataFormatException e = fails(npy(1, dict("<f4", true, "(1, 1)"), f4(1)));
        assertTrue(e.getMessage().contains("fortran_order is True"), e.getMessage());
        assertTrue(e.getMessage().startsWith(dir.resolve("bad.npy").toString()), e.getMessage());
    }

    @Test
    void otherDtypesAreNamed() throws Exception {
        DataFormatException e = fails(npy(1, dict("<i8", false, "(1, 1)"), new byte[8]));
        assertTrue(e.getMessage().contains("unsupported dtype '<i8' (signed integer, 8 bytes)"), e.getMessage());
        e = fails(npy(1, dict("|u1", false, "(1, 1)"), new byte[1]));
        assertTrue(e.getMessage().contains("'|u1' (unsigned integer, 1 bytes)"), e.getMessage());
        e = fails(npy(1, dict("<c8", false, "(1, 1)"), new byte[8]));
        assertTrue(e.getMessage().contains("complex"), e.getMessage());
    }

    @Test
    void bigEndianIsRefused() throws Exception {
        DataFormatException e = fails(npy(1, dict(">f4", false, "(1, 1)"), new byte[4]));
        assertTrue(e.getMessage().contains("big-endian dtype '>f4'"), e.getMessage());
    }

    @Test
    void shapesOtherThan2DAreRefused() throws Exception {
        DataFormatException e = fails(npy(1, dict("<f4", false, "(3,)"), f4(1, 2, 3)));
        assertTrue(e.getMessage().contains("shape (3,) is 1-D; expected a 2-D matrix"), e.getMessage());
        e = fails(npy(1, dict("<f4", false, "(1, 1, 2)"), f4(1, 2)));
        assertTrue(e.getMessage().contains("shape (1, 1, 2) is 3-D"), e.getMessage());
    }

    @Test
    void truncatedDataIsReported() throws Exception {
        DataFormatException e = fails(npy(1, dict("<f4", false, "(2, 2)"), f4(1, 2, 3)));
        assertTrue(e.getMessage().contains("truncated: shape (2, 2) of <f4 needs 16 data bytes, the file has 12"), e.getMessage());
    }

    @Test
    void trailingBytesAreReported() throws Exception {
        DataFormatException e = fails(npy(1, dict("<f4", false, "(1, 1)"), f4(1, 2)));
        assertTrue(e.getMessage().contains("4 unexpected bytes after the data"), e.getMessage());
    }

    @Test
    void badMagicIsReported() throws Exception {
        DataFormatException e = fails("userID\titemID\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(e.getMessage().contains("byte 0: not a .npy file"), e.getMessage());
        e = fails(new byte[0]);
        assertTrue(e.getMessage().contains("not a .npy file"), e.getMessage());
    }

    @Test
    void truncatedHeaderAndMalformedDict() throws Exception {
        byte[] whole = npy(1, dict("<f4", false, "(1, 1)"), f4(1));
        DataFormatException e = fails(java.util.Arrays.copyOf(whole, 30));
        assertTrue(e.getMessage().contains("truncated .npy header"), e.getMessage());
        e = fails(npy(1, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1, 1), }", f4(1)));
        assertTrue(e.getMessage().contains("malformed .npy header: unexpected value"), e.getMessage());
        e = fails(npy(1, "{'descr': '<f4', 'shape': (1, 1), }", f4(1)));
        assertTrue(e.getMessage().contains("no boolean 'fortran_order'"), e.getMessage());
    }

    @Test
    void unknownVersionIsReported() throws Exception {
        byte[] b = npy(1, dict("<f4", false, "(1, 1)"), f4(1));
        b[6] = 4;
        DataFormatException e = fails(b);
        assertTrue(e.getMessage().contains("unsupported .npy format version 4.0"), e.getMessage());
    }

    @Test
    void rowCountCheckNamesFileRowsAndItems() {
        Path p = dir.resolve("image_feat.npy");
        DataFormatException e = assertThrows(DataFormatException.class, () -> Npy.requireRows(p, new Tensor(5, 2), 7));
        assertEquals(p + ": has 5 rows but the dataset has 7 items (expected one row per item, row i = item i)", e.getMessage());
        Npy.requireRows(p, new Tensor(7, 2), 7);
    }

    @Test
    void finiteCheckNamesRowAndColumn() {
        Tensor t = new Tensor(3, 2);
        t.set(2, 1, Float.NaN);
        DataFormatException e = assertThrows(DataFormatException.class, () -> Npy.requireFinite(Path.of("f.npy"), t));
        assertTrue(e.getMessage().contains("row 2, column 1 is NaN"), e.getMessage());
    }

    @Test
    void rowWriterRefusesAShortFileAndLeavesNothing() throws Exception {
        Path p = dir.resolve("short.npy");
        try (Npy.RowWriter w = new Npy.RowWriter(p, 2, 2)) {
            w.writeRow(new float[] {1, 2}, 0);
            assertThrows(IllegalStateException.class, w::commit);
        }
        assertFalse(Files.exists(p));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count(), "temporary file removed");
        }
    }

    @Test
    void headerIsWhatNumpyWrites() {
        byte[] h = Npy.header(400, 64);
        assertEquals(0, h.length % 64);
        String text = new String(h, 10, h.length - 10, StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (400, 64), }"), text);
        assertTrue(text.endsWith("\n"));
    }
}
