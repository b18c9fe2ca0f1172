package weft.models.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
    void stringIdsGetIndicesInNaturalOrder() throws Exception {
        Path p = write("s.inter", "userID\titemID\tx_label\n"
                + "u10\tB-2\t0\n"
                + "u2\tB-10\t0\n"
                + "u2\tA\t2\n"
                + " u007 \tB-2\t1\n" // spaces trimmed; u007 and u7 are different ids, ordered by plain string order
                + "u7\tA\t0\n");
        InterFile f = InterFile.read(p);
        assertEquals(List.of("u2", "u007", "u7", "u10"), List.of(f.userIds().toArray()));
        assertEquals(List.of("A", "B-2", "B-10"), List.of(f.itemIds().toArray()));
        assertArrayEquals(new int[] {3, 0, 0, 1, 2}, f.users());
        assertArrayEquals(new int[] {1, 2, 0, 1, 0}, f.items());
        assertEquals(4, f.numUsers());
        assertEquals(3, f.numItems());
        assertFalse(f.userIds().isIdentity());
        assertTrue(f.notes().isEmpty(), "no column mixes integers and strings");
    }

    @Test
    void integerIdsKeepTheirValueAndAnIdentityMap() throws Exception {
        InterFile f = InterFile.read(write("i.inter", "userID\titemID\n3\t5\n0\t007\n"));
        assertArrayEquals(new int[] {3, 0}, f.users());
        assertArrayEquals(new int[] {5, 7}, f.items(), "007 is the integer 7, as before");
        assertTrue(f.userIds().isIdentity());
        assertEquals(4, f.numUsers());
        assertEquals(8, f.numItems());
    }

    @Test
    void prefixedCopyOfGapFreeIntegerIdsMapsEachIdToTheSameIndex() throws Exception {
        StringBuilder ints = new StringBuilder("userID\titemID\n"), strs = new StringBuilder("userID\titemID\n");
        java.util.Random r = new java.util.Random(3);
        for (int k = 0; k < 300; k++) {
            int u = k < 25 ? k : r.nextInt(25), i = k < 120 ? k : r.nextInt(120);
            ints.append(u).append('\t').append(i).append('\n');
            strs.append('u').append(u).append('\t').append('i').append(i).append('\n');
        }
        InterFile a = InterFile.read(write("a.inter", ints.toString())), b = InterFile.read(write("b.inter", strs.toString()));
        assertArrayEquals(a.users(), b.users());
        assertArrayEquals(a.items(), b.items());
        assertEquals("u17", b.userIds().raw(17));
        assertEquals(17, b.userIds().indexOf("u17"));
        assertArrayEquals(a.split(9).test().itemColumn(), b.split(9).test().itemColumn(), "same split");
    }

    @Test
    void mixedIntegerAndStringIdsAreMappedAsStringsWithANote() throws Exception {
        InterFile f = InterFile.read(write("m.inter", "userID\titemID\n10\t1\n9\t1\n1.0\t1\n-1\t2\n"));
        assertEquals(List.of("-1", "1.0", "9", "10"), List.of(f.userIds().toArray()));
        assertEquals(1, f.notes().size());
        assertTrue(f.notes().get(0).contains("userID mixes integer and other ids (first '1.0' at line 4)"), f.notes().get(0));
        assertTrue(f.itemIds().isIdentity());
    }

    @Test
    void naturalOrder() {
        String[] ids = {"x", "a10", "a2", "a02", "a", "a2b", "a2a", "10", "9", "b1"};
        java.util.Arrays.sort(ids, InterFile::naturalCompare);
        assertArrayEquals(new String[] {"9", "10", "a", "a02", "a2", "a2a", "a2b", "a10", "b1", "x"}, ids);
    }

    @Test
    void fixedItemMapOrdersItemsAndRefusesUnlistedOnes() throws Exception {
        Path p = write("f.inter", "userID\titemID\nu1\tz\nu1\tb\n");
        InterFile f = InterFile.read(p, IdMap.of("z", "q", "b"));
        assertArrayEquals(new int[] {0, 2}, f.items());
        assertEquals(3, f.numItems(), "q is a catalogue item without interactions");
        DataFormatException e = assertThrows(DataFormatException.class, () -> InterFile.read(p, IdMap.of("z")));
        assertTrue(e.getMessage().contains("f.inter:3:2: itemID 'b' is not in the item list item_ids.txt"), e.getMessage());
    }

    @Test
    void duplicateLinesAreCountedPerPart() throws Exception {
        InterFile f = InterFile.read(write("d.inter", "userID\titemID\tx_label\n0\t1\t0\n0\t1\t0\n0\t2\t1\n0\t2\t1\n0\t1\t0\n1\t1\t2\n"));
        assertEquals(3, f.duplicateLines());
        Split s = f.split(0);
        assertEquals(1, s.train().size());
        assertEquals(1, s.valid().size());
    }

    @Test
    void pairInTrainAndTestIsRefusedWithBothLines() throws Exception {
        DataFormatException e = fails("userID\titemID\tx_label\nu\ta\t0\nu\tb\t0\nv\tb\t2\nu\tb\t2\n");
        assertTrue(e.getMessage().contains("bad.inter:5: user 'u' item 'b' is in test here and in train at line 3"), e.getMessage());
        assertEquals(5, e.line());
        e = fails("userID\titemID\tx_label\n4\t7\t1\n4\t7\t0\n");
        assertTrue(e.getMessage().contains("bad.inter:2: user '4' item '7' is in valid here and in train at line 3"), e.getMessage());
    }

    @Test
    void nonUtf8ByteIsReportedWithLineAndField() throws Exception {
        Path p = dir.resolve("latin1.inter");
        byte[] head = "userID\titemID\n0\t1\nca".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "f\t2\n".getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + 1 + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        all[head.length] = (byte) 0xE9; // é in Latin-1
        System.arraycopy(tail, 0, all, head.length + 1, tail.length);
        Files.write(p, all);
        DataFormatException e = assertThrows(DataFormatException.class, () -> InterFile.read(p));
        assertTrue(e.getMessage().contains("latin1.inter:3:1: byte 0xe9 (character 3 of the line, byte offset 20 in the file) is not valid UTF-8"),
                e.getMessage());
        assertEquals(3, e.line());
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
