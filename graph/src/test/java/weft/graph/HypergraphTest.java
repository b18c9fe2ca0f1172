package weft.graph;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import weft.autograd.GradCheck;
import weft.autograd.Var;
import weft.engine.Tensor;

class HypergraphTest {

    private static Tensor reference(Tensor h, Tensor e) {
        return Fixtures.denseProduct(h, Fixtures.denseProduct(Fixtures.transposeDense(h), e));
    }

    @Test
    void denseForwardMatchesReference() {
        Tensor h = Fixtures.randomTensor(9, 4, 1);
        Tensor e = Fixtures.randomTensor(9, 5, 2);
        Var out = Hypergraph.propagate(Var.constant(h), Var.constant(e));
        assertTrue(Fixtures.maxAbsDiff(reference(h, e), out.value) < 1e-5);
    }

    @Test
    void sparseForwardMatchesReference() {
        CsrMatrix h = Fixtures.randomCsr(11, 4, 0.4, 3);
        Tensor e = Fixtures.randomTensor(11, 6, 4);
        Var out = Hypergraph.propagate(h, Var.constant(e));
        assertTrue(Fixtures.maxAbsDiff(reference(h.toDense(), e), out.value) < 1e-5);
    }

    @Test
    void gradientsOfDenseIncidenceAndEmbeddings() {
        GradCheck.check("hypergraph dense (H and E)", v -> Hypergraph.propagate(v[0], v[1]),
                Fixtures.randomTensor(6, 3, 5), Fixtures.randomTensor(6, 4, 6));
    }

    @Test
    void gradientWithOnlyOneSideTrainable() {
        Tensor hv = Fixtures.randomTensor(5, 2, 7);
        Tensor ev = Fixtures.randomTensor(5, 3, 8);
        GradCheck.check("hypergraph dense (E only)", v -> Hypergraph.propagate(Var.constant(hv), v[0]), ev);
        GradCheck.check("hypergraph dense (H only)", v -> Hypergraph.propagate(v[0], Var.constant(ev)), hv);
        Var h = Var.constant(hv);
        Var e = Var.param(ev);
        Hypergraph.propagate(h, e).backward(Tensor.full(5, 3, 1f));
        assertNull(h.grad());
    }

    @Test
    void gradientOfSparseIncidence() {
        CsrMatrix h = Fixtures.randomCsr(7, 3, 0.5, 9);
        GradCheck.check("hypergraph sparse", v -> Hypergraph.propagate(h, v[0]), Fixtures.randomTensor(7, 4, 10));
    }

    @Test
    void rejectsNodeCountMismatch() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Hypergraph.propagate(Var.constant(new Tensor(5, 2)), Var.constant(new Tensor(4, 3))));
        assertTrue(ex.getMessage().contains("[5, 2]") && ex.getMessage().contains("[4, 3]"), ex.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Hypergraph.propagate(Fixtures.randomCsr(5, 2, 0.5, 1), Var.constant(new Tensor(4, 3))));
    }

    @Test
    void allGraphOpsAreGradientChecked() {
        gradientsOfDenseIncidenceAndEmbeddings();
        gradientOfSparseIncidence();
        GradCheck.check("spmm", v -> SpMM.apply(Fixtures.randomCsr(3, 3, 0.6, 2), v[0]), Fixtures.randomTensor(3, 2, 3));
        for (String op : new String[] {"spmm", "hypergraphConv", "hypergraphConvSparse"}) {
            assertTrue(GradCheck.checkedOps().contains(op), op + " not covered: " + GradCheck.checkedOps());
        }
    }
}
