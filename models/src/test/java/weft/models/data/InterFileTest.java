package weft.models.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class InterFileTest {
    @TempDir
    Path dir;

    private Path write(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private DataFormatException fails(String content) throws Exception {
        Path p = write("bad.inter", content);
        return assertThrows(DataFormatException.class, () -> InterFile.read(p));
    }

    @Test
    void readsColumnsByNameInAnyOrderIgnoringOthers() throws Exception {
        Path p = write("a.inter", "rating\tx_label\titemID\tuserID\n"
                + "5\t0\t3\t0\n"
                + "4\t2\t1\t2\r\n" // Windows line end tolerated
                + "3\t1\t7\t2\n"
                + "\n"); // trailing empty line skipped
        InterFile f = InterFile.read(p);
        assertEquals(3, f.size());
        assertArrayEquals(new int[] {0, 2, 2}, f.users());
        assertArrayEquals(new int[] {3, 1, 7}, f.items());
        assertArrayEquals(new byte[] {0, 2, 1}, f.labels());
        assertEquals(3, f.numUsers(), "max userID + 1; user 1 is a gap");
        assertEquals(8, f.numItems(), "max itemID + 1");
        Split s = f.split(1);
        assertTrue(s.train().contains(0, 3));
        assertTrue(s.test().contains(2, 1));
        assertTrue(s.valid().contains(2, 7));
        assertEquals(0, s.train().count(1));
    }

    @Test
    void withoutLabelsTheSplitIsRandomAndSeeded() throws Exception {
        StringBuilder sb = new StringBuilder("userID\titemID\n");
        for (int i = 0; i < 20; i++) sb.append("0\t").append(i).append('\n');
        InterFile f = InterFile.read(write("n.inter", sb.toString()));
        assertFalse(f.hasLabels());
        assertNull(f.labels());
        Split a = f.split(5), b = f.split(5);
        assertEquals(16, a.train().size());
        assertEquals(2, a.valid().size());
        assertEquals(2, a.test().size());
        assertArrayEquals(a.test().itemsOf(0), b.test().itemsOf(0));
    }

    @Test
    void missingRequiredColumn() throws Exception {
        DataFormatException e = fails("userID\tx_label\n0\t0\n");
        assertTrue(e.getMessage().contains("bad.inter:1"), e.getMessage());
        assertTrue(e.getMessage().contains("lacks required column(s) itemID"), e.getMessage());
        assertEquals(1, e.line());
    }

    @Test
    void spaceSeparatedHeaderGetsAHint() throws Exception {
        DataFormatException e = fails("userID itemID x_label\n0 1 0\n");
        assertTrue(e.getMessage().contains("userID, itemID"), e.getMessage());
        assertTrue(e.getMessage().contains("no tabs"), e.getMessage());
    }

    @Test
    void duplicateColumnName() throws Exception {
        DataFormatException e = fails("userID\titemID\tuserID\n0\t1\t0\n");
        assertTrue(e.getMessage().contains("bad.inter:1:3"), e.getMessage());
        assertTrue(e.getMessage().contains("appears twice"), e.getMessage());
    }

    @Test
    void nonIntegerId() throws Exception {
        DataFormatException e = fails("userID\titemID\tx_label\n0\t1\t0\n0\tabc\t0\n");
        assertTrue(e.getMessage().startsWith(dir.resolve("bad.inter") + ":3:2: itemID 'abc' is not a non-negative integer"), e.getMessage());
        assertEquals(3, e.line());
        assertEquals(2, e.column());
    }

    @Test
    void decimalIdIsRefused() throws Exception {
        DataFormatException e = fails("userID\titemID\n1.0\t1\n");
        assertTrue(e.getMessage().contains(":2:1: userID '1.0' is not a non-negative integer"), e.getMessage());
    }

    @Test
    void negativeId() throws Exception {
        DataFormatException e = fails("userID\titemID\tx_label\n-1\t1\t0\n");
        assertTrue(e.getMessage().contains(":2:1: userID '-1'"), e.getMessage());
        assertTrue(e.getMessage().contains("must be non-negative"), e.getMessage());
    }

    @Test
    void emptyField() throws Exception {
        DataFormatException e = fails("userID\titemID\tx_label\n3\t\t0\n");
        assertTrue(e.getMessage().contains(":2:2: itemID is empty"), e.getMessage());
    }

    @Test
    void idOverflow() throws Exception {
        DataFormatException e = fails("userID\titemID\n99999999999\t1\n");
        assertTrue(e.getMessage().contains(":2:1: userID '99999999999' is too large"), e.getMessage());
    }

    @Test
    void idFarBeyondTheDataIsNotDense() throws Exception {
        DataFormatException e = fails("userID\titemID\n0\t1\n1\t2000000000\n");
        assertTrue(e.getMessage().contains(":3:2: itemID 2000000000 is far beyond"), e.getMessage());
        assertTrue(e.getMessage().contains("dense"), e.getMessage());
    }

    @Test
    void unknownLabel() throws Exception {
        DataFormatException e = fails("userID\titemID\tx_label\n0\t1\t0\n0\t2\t3\n");
        assertTrue(e.getMessage().contains(":3:3: unknown x_label 3 (expected 0 = train, 1 = valid, 2 = test)"), e.getMessage());
    }

    @Test
    void tooFewFields() throws Exception {
        DataFormatException e = fails("userID\titemID\tx_label\n0\t1\n");
        assertTrue(e.getMessage().contains("bad.inter:2: expected 3 tab-separated fields"), e.getMessage());
        assertTrue(e.getMessage().contains("found 2"), e.getMessage());
    }

    @Test
    void tooManyFields() throws Exception {
        DataFormatException e = fails("userID\titemID\n0\t1\n0\t1\t7\t8\n");
        assertTrue(e.getMessage().contains("bad.inter:3: expected 2 tab-separated fields"), e.getMessage());
        assertTrue(e.getMessage().contains("found 4"), e.getMessage());
    }

    @Test
    void emptyFile() throws Exception {
        DataFormatException e = fails("");
        assertTrue(e.getMessage().contains("empty file"), e.getMessage());
        assertTrue(e.getMessage().contains("userID"), e.getMessage());
    }

    @Test
    void headerOnly() throws Exception {
        DataFormatException e = fails("userID\titemID\tx_label\n");
        assertTrue(e.getMessage().contains("no interactions"), e.getMessage());
    }

    @Test
    void missingFile() {
        Path p = dir.resolve("nope.inter");
        DataFormatException e = assertThrows(DataFormatException.class, () -> InterFile.read(p));
        assertEquals(p + ": no such file", e.getMessage());
    }

    @Test
    void byteOrderMarkIsTolerated() throws Exception {
        InterFile f = InterFile.read(write("bom.inter", "\uFEFFuserID\titemID\n4\t2\n"));
        assertEquals(5, f.numUsers());
        assertEquals(3, f.numItems());
    }
}
