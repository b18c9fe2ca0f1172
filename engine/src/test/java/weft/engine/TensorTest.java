package weft.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {

    @Test
    void rowMajorIndexing() {
        Tensor t = Tensor.of(2, 3, 1, 2, 3, 4, 5, 6);
        assertEquals(6, t.size());
        assertEquals(3f, t.get(0, 2));
        assertEquals(4f, t.get(1, 0));
        t.set(1, 2, 60f);
        assertEquals(60f, t.data[5]);
        assertEquals("[2, 3]", t.shape());
    }

    @Test
    void ofCopiesItsArgumentAndChecksCount() {
        float[] v = {1, 2, 3, 4};
        Tensor t = Tensor.of(2, 2, v);
        v[0] = 99f;
        assertEquals(1f, t.get(0, 0), "Tensor.of must not keep the caller's array");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(2, 3, 1, 2, 3));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void constructorRejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> new Tensor(-1, 2));
        assertThrows(IllegalArgumentException.class, () -> new Tensor(new float[6], 0, 2, -3));
        IllegalArgumentException fit = assertThrows(IllegalArgumentException.class, () -> new Tensor(new float[6], 1, 2, 3));
        assertTrue(fit.getMessage().contains("offset 1"), fit.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Tensor(new float[6], -1, 1, 1));
        // rows * cols overflows int: must be refused, not wrap around to a small array.
        assertThrows(IllegalArgumentException.class, () -> new Tensor(1 << 16, 1 << 16));
        assertThrows(IllegalArgumentException.class, () -> new Tensor(new float[4], 0, 1 << 16, 1 << 16));
        assertEquals(0, new Tensor(0, 5).size());
    }

    @Test
    void viewSharesMemoryAndKeepsSize() {
        Tensor t = Tensor.of(2, 3, 1, 2, 3, 4, 5, 6);
        Tensor v = t.view(3, 2);
        assertSame(t.data, v.data);
        assertEquals(3f, v.get(1, 0));
        v.set(2, 1, -6f);
        assertEquals(-6f, t.get(1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.view(4, 2));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 2]"), e.getMessage());
    }

    @Test
    void rowBlockIsAnOffsetView() {
        Tensor t = new Tensor(4, 3);
        for (int i = 0; i < 12; i++) t.data[i] = i;
        Tensor b = t.rowBlock(1, 2);
        assertEquals(3, b.offset);
        assertEquals(2, b.rows);
        assertEquals(3f, b.get(0, 0));
        assertEquals(8f, b.get(1, 2));
        b.fill(-1f);
        // Only rows 1 and 2 changed.
        assertArrayEquals(new float[] {0, 1, 2, -1, -1, -1, -1, -1, -1, 9, 10, 11}, t.data);
        assertArrayEquals(new float[] {-1, -1, -1, -1, -1, -1}, b.toArray());
        // A view of a view composes offsets.
        Tensor bb = b.rowBlock(1, 1).view(3, 1);
        assertEquals(6, bb.offset);
        assertEquals(0, t.rowBlock(4, 0).size());
        assertThrows(IllegalArgumentException.class, () -> t.rowBlock(3, 2));
        assertThrows(IllegalArgumentException.class, () -> t.rowBlock(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> t.rowBlock(0, -1));
    }

    @Test
    void copyIsIndependentAndCompact() {
        Tensor t = new Tensor(3, 2);
        for (int i = 0; i < 6; i++) t.data[i] = i;
        Tensor block = t.rowBlock(1, 2);
        Tensor c = block.copy();
        assertNotSame(block.data, c.data);
        assertEquals(0, c.offset);
        assertEquals(4, c.data.length);
        assertArrayEquals(new float[] {2, 3, 4, 5}, c.data);
        c.set(0, 0, 100f);
        assertEquals(2f, t.get(1, 0));
    }

    @Test
    void copyFromChecksShape() {
        Tensor dst = new Tensor(5, 2);
        Tensor src = Tensor.of(2, 2, 1, 2, 3, 4);
        dst.rowBlock(2, 2).copyFrom(src);
        assertArrayEquals(new float[] {0, 0, 0, 0, 1, 2, 3, 4, 0, 0}, dst.data);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dst.copyFrom(src));
        assertTrue(e.getMessage().contains("copyFrom") && e.getMessage().contains("[5, 2]") && e.getMessage().contains("[2, 2]"), e.getMessage());
        // Same size, other shape: still a mismatch.
        assertThrows(IllegalArgumentException.class, () -> new Tensor(1, 4).copyFrom(src));
    }

    @Test
    void requireSameShape() {
        Tensor.requireSameShape("op", new Tensor(2, 3), new Tensor(2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.requireSameShape("myOp", new Tensor(2, 3), new Tensor(3, 2)));
        assertTrue(e.getMessage().startsWith("myOp"), e.getMessage());
        assertTrue(new Tensor(2, 3).sameShape(new Tensor(2, 3)));
        assertFalse(new Tensor(2, 3).sameShape(new Tensor(3, 2)));
    }

    @Test
    void factoriesAndItem() {
        assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f, 2.5f}, Tensor.full(2, 2, 2.5f).data);
        assertArrayEquals(new float[6], Tensor.zeros(3, 2).data);
        assertEquals(7f, Tensor.scalar(7f).item());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Tensor(1, 2).item());
        assertTrue(e.getMessage().contains("[1, 2]"), e.getMessage());
        Tensor t = Tensor.full(2, 2, 3f);
        assertSame(t, t.zero());
        assertArrayEquals(new float[4], t.data);
    }

    @Test
    void toStringShowsShapeAndSmallContents() {
        assertEquals("Tensor[1, 2] [1.0, 2.0]", Tensor.of(1, 2, 1, 2).toString());
        String big = new Tensor(10, 10).toString();
        assertEquals("Tensor[10, 10]", big, "large tensors print only their shape");
    }
}
