package weft.models.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class UserItemsTest {
    @Test
    void sortsDeduplicatesAndAnswersMembership() {
        UserItems ui = UserItems.fromPairs(3, 10, new int[] {2, 0, 2, 2, 0}, new int[] {9, 4, 1, 9, 3});
        assertEquals(4, ui.size(), "the repeated (2, 9) is kept once");
        assertArrayEquals(new int[] {3, 4}, ui.itemsOf(0));
        assertArrayEquals(new int[0], ui.itemsOf(1));
        assertArrayEquals(new int[] {1, 9}, ui.itemsOf(2));
        assertTrue(ui.contains(2, 9));
        assertFalse(ui.contains(2, 4));
        assertFalse(ui.contains(1, 3));
        assertEquals(2, ui.nonEmptyUsers());
        assertArrayEquals(new int[] {0, 0, 2, 2}, ui.userColumn());
        assertArrayEquals(new int[] {3, 4, 1, 9}, ui.itemColumn());
    }

    @Test
    void refusesOutOfRangeIds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UserItems.fromPairs(2, 5, new int[] {0, 2}, new int[] {1, 1}));
        assertTrue(e.getMessage().contains("(2, 1)"), e.getMessage());
    }
}
