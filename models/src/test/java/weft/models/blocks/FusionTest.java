package weft.models.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import weft.autograd.GradCheck;
import weft.autograd.Ops;
import weft.autograd.Var;
import weft.engine.Rng;
import weft.engine.Tensor;

/** Attention over modality embeddings, with the key projection folded into the query, against the formula. */
class FusionTest {
    static final int N = 5, D = 4;

    static Tensor random(Rng rng, int rows, int cols) {
        Tensor t = new Tensor(rows, cols);
        for (int i = 0; i < t.size(); i++) t.data[i] = (float) rng.nextGaussian();
        return t;
    }

    /** alpha = softmax_m((q W_q^T) . (V^m W_k^T) / sqrt(d)), fused = sum_m alpha^m V^m, in double. */
    static double[][] expected(Tensor q, Tensor wq, Tensor wk, Tensor... v) {
        int m = v.length;
        double[][] out = new double[N][D + m];   // fused, then alpha
        for (int i = 0; i < N; i++) {
            double[] qp = project(q, wq, i);
            double[] s = new double[m];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < m; j++) {
                double[] kp = project(v[j], wk, i);
                for (int c = 0; c < D; c++) s[j] += qp[c] * kp[c];
                s[j] /= Math.sqrt(D);
                max = Math.max(max, s[j]);
            }
            double z = 0;
            for (int j = 0; j < m; j++) z += Math.exp(s[j] - max);
            for (int j = 0; j < m; j++) {
                double a = Math.exp(s[j] - max) / z;
                out[i][D + j] = a;
                for (int c = 0; c < D; c++) out[i][c] += a * v[j].get(i, c);
            }
        }
        return out;
    }

    /** Row i of x W^T. */
    static double[] project(Tensor x, Tensor w, int i) {
        double[] y = new double[D];
        for (int o = 0; o < D; o++) {
            for (int c = 0; c < D; c++) y[o] += (double) x.get(i, c) * w.get(o, c);
        }
        return y;
    }

    @Test
    void foldedScoresGiveTheAttentionOfProjectedKeys() {
        Rng rng = new Rng(7);
        Tensor q = random(rng, N, D), wq = random(rng, D, D), wk = random(rng, D, D);
        Tensor v0 = random(rng, N, D), v1 = random(rng, N, D), v2 = random(rng, N, D);
        double[][] want = expected(q, wq, wk, v0, v1, v2);
        List<Var> values = List.of(Var.constant(v0), Var.constant(v1), Var.constant(v2));
        Var r = Fusion.scoringQuery(Var.constant(q), Var.constant(wq), Var.constant(wk));
        for (Fusion.Attended a : List.of(Fusion.attend(Var.constant(q), values, Var.constant(wq), Var.constant(wk)),
                Fusion.attendScored(r, values))) {
            boolean uneven = false;
            for (int i = 0; i < N; i++) {
                for (int c = 0; c < D; c++) {
                    assertEquals(want[i][c], a.fused().value.get(i, c), 1e-5, "fused row " + i + " col " + c);
                }
                for (int j = 0; j < 3; j++) {
                    assertEquals(want[i][D + j], a.alpha().value.get(i, j), 1e-5, "alpha row " + i + " modality " + j);
                    uneven |= Math.abs(want[i][D + j] - 1.0 / 3) > 0.05;
                }
            }
            assertTrue(uneven, "the random scores should weigh the modalities unevenly");
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Rng rng = new Rng(11);
        Tensor weights = random(rng, N, D);   // a fixed weighting, so every fused entry matters differently
        GradCheck.check("attend with folded keys", in -> {
            Fusion.Attended a = Fusion.attendScored(Fusion.scoringQuery(in[0], in[1], in[2]), List.of(in[3], in[4]));
            return Ops.sum(Ops.mul(a.fused(), Var.constant(weights)));
        }, random(rng, N, D), random(rng, D, D), random(rng, D, D), random(rng, N, D), random(rng, N, D));
    }

    @Test
    void withoutAQueryProjectionItIsTheMean() {
        Rng rng = new Rng(3);
        Tensor v0 = random(rng, N, D), v1 = random(rng, N, D);
        Fusion.Attended a = Fusion.attendScored(null, List.of(Var.constant(v0), Var.constant(v1)));
        for (int i = 0; i < N; i++) {
            for (int c = 0; c < D; c++) {
                assertEquals((v0.get(i, c) + v1.get(i, c)) / 2, a.fused().value.get(i, c), 1e-6f);
            }
            assertEquals(0.5f, a.alpha().value.get(i, 0), 0f);
        }
    }

    @Test
    void badShapesSayWhich() {
        Rng rng = new Rng(5);
        Var q = Var.constant(random(rng, N, D)), w = Var.constant(random(rng, D, D));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Fusion.scoringQuery(q, Var.constant(random(rng, D, D + 1)), w));
        assertTrue(e.getMessage().contains("[4, 5]"), e.getMessage());
        Var r = Fusion.scoringQuery(q, w, w);
        e = assertThrows(IllegalArgumentException.class,
                () -> Fusion.attendScored(r, List.of(Var.constant(random(rng, N, D)), Var.constant(random(rng, N + 1, D)))));
        assertTrue(e.getMessage().contains("[6, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Fusion.attendScored(r, List.of()));
        assertTrue(e.getMessage().contains("no modality"), e.getMessage());
    }
}
