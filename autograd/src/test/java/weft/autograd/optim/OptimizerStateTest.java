package weft.autograd.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import weft.autograd.Ops;
import weft.autograd.Var;
import weft.autograd.nn.Embedding;
import weft.autograd.nn.Linear;
import weft.engine.Rng;
import weft.engine.Tensor;

/** Exported optimiser state lets a fresh optimiser continue bit for bit. */
class OptimizerStateTest {
    /** A model: a lazily or densely updated table feeding a linear layer, with a parameter that only sometimes gets gradient. */
    private static final class Net {
        final Embedding table = new Embedding(8, 4, new Rng(7));
        final Linear lin = new Linear(4, 1, true, new Rng(8));
        final Var rare = Var.param("rare", new Rng(9).normal(new Tensor(1, 4), 0f, 1f));

        List<Var> params() {
            List<Var> p = new ArrayList<>(table.parameters());
            p.addAll(lin.parameters());
            p.add(rare);
            return p;
        }

        /** Step s: rows s % 8 and (3 s + 1) % 8 of the table; "rare" takes part in even steps only. */
        void step(Optimizer opt, int s) {
            opt.zeroGrad();
            Var h = table.lookup(new int[] {s % 8, (3 * s + 1) % 8});
            Var loss = Ops.sum(Ops.mul(lin.forward(h), lin.forward(h)));
            if (s % 2 == 0) {
                loss = Ops.add(loss, Ops.sum(Ops.mul(Ops.mul(rare, rare), Var.constant(Tensor.of(1, 4, new float[] {1, 2, 3, 4})))));
            }
            loss.backward();
            opt.step();
        }

        float[][] values() {
            return params().stream().map(v -> v.value.toArray()).toArray(float[][]::new);
        }

        void copyFrom(Net other) {
            for (int i = 0; i < params().size(); i++) params().get(i).value.copyFrom(other.params().get(i).value);
        }
    }

    /** Steps 0..total-1 straight, and 0..cut-1, export, a fresh net and optimiser importing, then cut..total-1: equal to the bit. */
    private static void assertResumesExactly(Function<Net, Optimizer> make, int cut, int total) {
        Net straight = new Net();
        Optimizer a = make.apply(straight);
        for (int s = 0; s < total; s++) straight.step(a, s);

        Net first = new Net();
        Optimizer b = make.apply(first);
        for (int s = 0; s < cut; s++) first.step(b, s);
        Optimizer.State st = b.exportState();

        Net second = new Net();   // a new process: same initialisation, then the saved values
        second.copyFrom(first);
        Optimizer c = make.apply(second);
        c.importState(st);
        for (int s = cut; s < total; s++) second.step(c, s);

        float[][] x = straight.values(), y = second.values();
        for (int i = 0; i < x.length; i++) assertArrayEquals(x[i], y[i], 0f, "parameter " + i);
        // and the resumed run really differs from one that lost the state
        Net lost = new Net();
        lost.copyFrom(first);
        Optimizer d = make.apply(lost);
        for (int s = cut; s < total; s++) lost.step(d, s);
        assertFalse(java.util.Arrays.equals(x[0], lost.values()[0]), "without the moments the run diverges");
    }

    @Test
    void adamDenseWithCoupledDecayResumesExactly() {
        assertResumesExactly(n -> new Adam(n.params(), 0.05f, 0.9f, 0.999f, 1e-8f, 0.01f), 5, 12);
    }

    @Test
    void adamWDecoupledResumesExactly() {
        assertResumesExactly(n -> new Adam(n.params(), 0.05f, 0.9f, 0.999f, 1e-8f, 0.01f).decoupled(true), 4, 11);
    }

    @Test
    void lazyAdamResumesExactlyWithPerTableSteps() {
        assertResumesExactly(n -> new Adam(n.params(), 0.05f).lazy(n.table), 7, 15);
    }

    @Test
    void sgdWithMomentumResumesExactly() {
        assertResumesExactly(n -> new Sgd(n.params(), 0.05f, 0.9f, 0.001f), 3, 9);
    }

    @Test
    void adamStateHoldsMomentsAndStepCountsOfSteppedParametersOnly() {
        Net n = new Net();
        Adam adam = new Adam(n.params(), 0.05f);
        n.step(adam, 1);   // odd: "rare" gets no gradient
        n.step(adam, 3);
        Optimizer.State st = adam.exportState();
        long[] steps = st.counters().get("steps");
        assertArrayEquals(new long[] {2, 2, 2, 0}, steps);
        assertTrue(st.tensors().containsKey("m.0") && st.tensors().containsKey("v.2"));
        assertFalse(st.tensors().containsKey("m.3"), "no moments for a parameter never stepped");
        // a copy, not a view
        Tensor m0 = st.tensors().get("m.0");
        float before = m0.data[0];
        n.step(adam, 5);
        assertEquals(before, m0.data[0]);
    }

    @Test
    void badStateIsRefusedNamingTheEntryAndLeavesTheOptimiserAlone() {
        Net n = new Net();
        Adam adam = new Adam(n.params(), 0.05f);
        n.step(adam, 0);
        Optimizer.State good = adam.exportState();
        Tensor m0Before = adam.moments(n.params().get(0))[0].copy();

        Map<String, Tensor> tensors = new LinkedHashMap<>(good.tensors());
        tensors.put("m.1", new Tensor(3, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> adam.importState(new Optimizer.State(tensors, good.counters())));
        assertTrue(e.getMessage().contains("'m.1' has shape [3, 3]"), e.getMessage());

        Map<String, Tensor> missing = new LinkedHashMap<>(good.tensors());
        missing.remove("v.2");
        e = assertThrows(IllegalArgumentException.class, () -> adam.importState(new Optimizer.State(missing, good.counters())));
        assertTrue(e.getMessage().contains("'v.2' is missing"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> adam.importState(new Optimizer.State(good.tensors(), Map.of("steps", new long[] {1, 1}))));
        assertTrue(e.getMessage().contains("2 entries for 4 parameters"), e.getMessage());
        assertArrayEquals(m0Before.toArray(), adam.moments(n.params().get(0))[0].toArray(), 0f, "unchanged after refusals");

        Sgd sgd = new Sgd(n.params(), 0.1f, 0.9f, 0f);
        e = assertThrows(IllegalArgumentException.class, () -> sgd.importState(good));
        assertTrue(e.getMessage().contains("unexpected tensor 'm.0'"), e.getMessage());
    }

    @Test
    void lazyAdamRefusesToExportInTheMiddleOfAStep() {
        Net n = new Net();
        Adam adam = new Adam(n.params(), 0.05f).lazy(n.table);
        n.step(adam, 0);
        n.table.lookup(new int[] {2});   // a forward without its step
        assertThrows(IllegalStateException.class, adam::exportState);
    }
}
