package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import weft.engine.Arena;
import weft.engine.Rng;
import weft.engine.Tensor;

class OpProfileTest {
    private final Rng rng = new Rng(7);
    private final Var x = Var.param(rng.normal(new Tensor(6, 4), 0f, 1f));
    private final Var w = Var.param(rng.normal(new Tensor(4, 3), 0f, 1f));

    @AfterEach
    void off() {
        OpProfile.setFirstEpoch(-1);
    }

    /** One training step of a small graph; returns the gradients of x and w. */
    private float[][] step() {
        OpProfile.step();
        x.zeroGrad();
        w.zeroGrad();
        Var loss = Ops.sum(Ops.mul(Ops.matmul(x, w), Ops.matmul(x, w)));
        loss.backward();
        return new float[][] {x.grad().data.clone(), w.grad().data.clone()};
    }

    private static Map<String, long[]> recorded() {
        Map<String, long[]> m = new HashMap<>();
        OpProfile.totals().forEach(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    @Test
    void countsEveryOpAndBackwardOfTheRecordedSteps() {
        OpProfile.setFirstEpoch(1);
        OpProfile.startRun();
        OpProfile.epoch(0);   // before the first recorded epoch: nothing counts
        step();
        assertTrue(recorded().isEmpty(), "epoch 0 was recorded: " + recorded().keySet());
        OpProfile.epoch(1);
        for (int i = 0; i < 3; i++) step();
        Map<String, long[]> r = recorded();
        assertEquals(6, r.get("matmul")[1], "two products per step");
        assertEquals(6, r.get("matmul backward")[1]);
        assertEquals(3, r.get("mul")[1]);
        assertEquals(3, r.get("mul backward")[1]);
        assertEquals(3, r.get("sum")[1]);
        assertEquals(3, r.get("(backward: graph order)")[1]);
        for (Map.Entry<String, long[]> e : r.entrySet()) assertTrue(e.getValue()[0] >= 0, e.getKey());
        String table = OpProfile.table("test", 40);
        assertTrue(table.contains("3 training steps from epoch 1"), table);
        assertTrue(table.contains("matmul backward"), table);
        // a new run starts empty
        OpProfile.startRun();
        assertTrue(recorded().isEmpty());
        assertTrue(OpProfile.table("test", 40).contains("nothing recorded"));
    }

    /**
     * The bytes column: each op's mark gets the arrays the step's arena handed out for it, the
     * same in every run. Here each product's [128, 64] output (32 KB, above Arena.MIN_LENGTH) is
     * lent once per forward, two products a step, and the element-wise product's once.
     */
    @Test
    void givesEachOpTheBytesItsStepLent() {
        Var a = Var.param(rng.normal(new Tensor(128, 64), 0f, 1f)), b = Var.param(rng.normal(new Tensor(64, 64), 0f, 1f));
        Arena arena = new Arena();
        OpProfile.setFirstEpoch(0);
        OpProfile.startRun();
        OpProfile.epoch(0);
        for (int i = 0; i < 3; i++) {
            try (Arena.Step s = arena.open()) {
                OpProfile.step();
                a.zeroGrad();
                b.zeroGrad();
                Ops.sum(Ops.mul(Ops.matmul(a, b), Ops.matmul(a, b))).backward();
            }
        }
        Map<String, long[]> r = recorded();
        long out = 4L * 128 * 64;
        assertEquals(3 * 2 * out, r.get("matmul")[2], "two [128, 64] products per step");
        assertEquals(3 * out, r.get("mul")[2], "one [128, 64] element-wise product per step");
        assertEquals(0, r.get("sum")[2], "a [1, 1] sum is below the arena's size");
        // the products' work: two [128, 64] x [64, 64] forward, and each one's two gradients behind it
        long product = 2L * 128 * 64 * 64;
        assertEquals(3 * 2 * product, r.get("matmul")[3]);
        assertEquals(3 * 2 * 2 * product, r.get("matmul backward")[3]);
        assertEquals(0, r.get("mul")[3], "no product in an element-wise op");
        String table = OpProfile.table("test", 40);
        assertTrue(table.contains("GFLOP/s"), table);
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "%.3f GFLOP of dense products per step", 6 * product / 1e9)), table);
        assertTrue(table.contains("MB/step"), table);
        assertTrue(table.contains("MB of arrays lent per step"), table);
    }

    @Test
    void recordsOnlyTheThreadThatStartedTheRun() throws Exception {
        OpProfile.setFirstEpoch(0);
        OpProfile.startRun();
        OpProfile.epoch(0);
        Thread other = new Thread(this::step);
        other.start();
        other.join();
        assertTrue(recorded().isEmpty(), "another thread's ops were recorded: " + recorded().keySet());
    }

    @Test
    void offOrOnGivesTheSameGradientsAndOffRecordsNothing() {
        OpProfile.setFirstEpoch(0);
        OpProfile.startRun();
        OpProfile.epoch(0);
        float[][] profiled = step();
        assertTrue(recorded().containsKey("matmul"));
        // switched off in the middle of a recording run: the marks stop counting
        Map<String, long[]> before = recorded();
        OpProfile.setFirstEpoch(-1);
        float[][] plain = step();
        Map<String, long[]> after = recorded();
        assertEquals(before.keySet(), after.keySet());
        for (String k : before.keySet()) assertEquals(before.get(k)[1], after.get(k)[1], k + " counted while off");
        assertArrayEquals(plain[0], profiled[0]);
        assertArrayEquals(plain[1], profiled[1]);
    }

    @Test
    void aBadPropertySaysWhatItExpects() {
        assertEquals(-1, OpProfile.parse(null));
        assertEquals(5, OpProfile.parse(" 5 "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpProfile.parse("ten"));
        assertTrue(e.getMessage().contains("-Dweft.opProfile=ten"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OpProfile.parse("-2"));
    }
}
