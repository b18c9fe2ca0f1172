package weft.models.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import weft.autograd.GradCheck;
import weft.autograd.Ops;
import weft.autograd.Var;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.Adjacency;
import weft.graph.CsrMatrix;
import weft.graph.SpMM;
import weft.models.data.TrainBatches;

/** The leave-one-out profile of a batch's positives, against a direct mean over the other items. */
class BprTest {
    // users' training items: u0 {0, 1, 2}, u1 {3}, u2 {1, 4}
    static final int[][] ITEMS = {{0, 1, 2}, {3}, {1, 4}};

    static CsrMatrix interactions() {
        int n = 0;
        for (int[] it : ITEMS) n += it.length;
        int[] us = new int[n], is = new int[n];
        int e = 0;
        for (int u = 0; u < ITEMS.length; u++) {
            for (int i : ITEMS[u]) {
                us[e] = u;
                is[e++] = i;
            }
        }
        return Adjacency.interactions(3, 5, us, is);
    }

    @Test
    void leaveOneOutMeanIsTheMeanOfTheOtherItems() {
        CsrMatrix r = interactions();
        Tensor c = new Rng(7).normal(new Tensor(5, 4), 0f, 1f);
        Var items = Var.param("c", c);
        Var means = SpMM.apply(Graphs.userMean(r), items);
        // rows: (u0, 1), (u0, 2), (u1, 3), (u2, 4), (u2, 1)
        TrainBatches.Batch b = new TrainBatches.Batch(new int[] {0, 0, 1, 2, 2}, new int[] {1, 2, 3, 4, 1}, new int[] {3, 4, 0, 0, 2});
        Tensor got = Bpr.leaveOneOutMean(means, items, b, r.rowCounts()).value;
        for (int row = 0; row < b.size(); row++) {
            int u = b.users()[row];
            for (int d = 0; d < 4; d++) {
                double sum = 0;
                int n = 0;
                for (int i : ITEMS[u]) {
                    if (i != b.pos()[row]) {
                        sum += c.get(i, d);
                        n++;
                    }
                }
                double want = n == 0 ? 0 : sum / n;   // u1's only item leaves an empty profile
                assertEquals(want, got.get(row, d), 1e-5, "row " + row + ", dim " + d);
            }
        }
    }

    @Test
    void leaveOneOutGradientMatchesFiniteDifferences() {
        CsrMatrix r = interactions();
        Var items = Var.param("c", new Rng(3).normal(new Tensor(5, 4), 0f, 1f));
        TrainBatches.Batch b = new TrainBatches.Batch(new int[] {0, 2, 1}, new int[] {0, 4, 3}, new int[] {4, 0, 1});
        GradCheck.checkLoss("leave-one-out mean",
                () -> Ops.sumSquares(Bpr.leaveOneOutMean(SpMM.apply(Graphs.userMean(r), items), items, b, r.rowCounts())),
                List.of(items));
    }

    @Test
    void aUserWithoutTrainingItemsIsRefused() {
        CsrMatrix r = interactions();
        Var items = Var.constant(new Tensor(5, 4));
        TrainBatches.Batch b = new TrainBatches.Batch(new int[] {1}, new int[] {3}, new int[] {0});
        int[] counts = {3, 0, 2};
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Bpr.leaveOneOutMean(SpMM.apply(Graphs.userMean(r), items), items, b, counts));
        assertEquals("user 1 has a training positive but no training items", e.getMessage());
    }
}
