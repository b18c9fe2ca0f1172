package weft.autograd.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.engine.Rng;
import weft.engine.Tensor;

class LayerTest {
    private static final Rng RNG = new Rng(11L);

    private static Var rand(int r, int c) {
        return Var.constant(RNG.uniform(new Tensor(r, c), -1f, 1f));
    }

    /** {@code x W^T + b} for one Linear, in double. */
    private static double[][] affine(Tensor x, Linear l) {
        double[][] y = new double[x.rows][l.out()];
        for (int r = 0; r < x.rows; r++)
            for (int o = 0; o < l.out(); o++) {
                double s = l.bias == null ? 0 : l.bias.value.get(0, o);
                for (int i = 0; i < l.in(); i++) s += x.get(r, i) * l.weight.value.get(o, i);
                y[r][o] = s;
            }
        return y;
    }

    @Test
    void linearComputesAffineMap() {
        Linear l = new Linear(5, 3, new Rng(1));
        l.bias.value.fill(0.25f);
        Var x = rand(4, 5);
        double[][] ref = affine(x.value, l);
        Tensor y = l.forward(x).value;
        for (int r = 0; r < 4; r++) for (int o = 0; o < 3; o++) assertEquals(ref[r][o], y.get(r, o), 1e-5);
        float bound = (float) Math.sqrt(6.0 / 8);
        for (float w : l.weight.value.toArray()) assertTrue(Math.abs(w) <= bound, "Xavier uniform bound");
    }

    /** Multi-head attention written out per sequence and head, in double, from the layer's weights. */
    private static double[][] attentionReference(MultiHeadAttention mha, Tensor q, int tq, Tensor kv, int tk, Tensor mask) {
        int d = mha.dim, h = mha.heads, dh = d / h, batch = q.rows / tq;
        double[][] qp = affine(q, mha.wq), kp = affine(kv, mha.wk), vp = affine(kv, mha.wv);
        double[][] ctx = new double[q.rows][d];
        for (int b = 0; b < batch; b++)
            for (int hh = 0; hh < h; hh++)
                for (int i = 0; i < tq; i++) {
                    double[] w = new double[tk];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < tk; j++) {
                        double s = 0;
                        for (int c = 0; c < dh; c++) s += qp[b * tq + i][hh * dh + c] * kp[b * tk + j][hh * dh + c];
                        w[j] = mask != null && mask.get(b, j) == 0f ? Double.NEGATIVE_INFINITY : s / Math.sqrt(dh);
                        max = Math.max(max, w[j]);
                    }
                    for (int j = 0; j < tk; j++) sum += w[j] = max == Double.NEGATIVE_INFINITY ? 0 : Math.exp(w[j] - max);
                    for (int j = 0; j < tk; j++)
                        for (int c = 0; c < dh; c++) ctx[b * tq + i][hh * dh + c] += (sum == 0 ? 0 : w[j] / sum) * vp[b * tk + j][hh * dh + c];
                }
        Tensor ct = new Tensor(q.rows, d);
        for (int r = 0; r < q.rows; r++) for (int c = 0; c < d; c++) ct.set(r, c, (float) ctx[r][c]);
        return affine(ct, mha.wo);
    }

    @Test
    void attentionMatchesPerHeadReference() {
        MultiHeadAttention mha = new MultiHeadAttention(8, 2, new Rng(5));
        for (Linear l : new Linear[] {mha.wq, mha.wk, mha.wv, mha.wo}) RNG.uniform(l.bias.value, -0.5f, 0.5f);
        Var q = rand(3 * 2, 8), kv = rand(3 * 4, 8);
        Tensor mask = Tensor.of(3, 4, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0);
        for (Tensor m : new Tensor[] {null, mask}) {
            double[][] ref = attentionReference(mha, q.value, 2, kv.value, 4, m);
            Tensor out = mha.forward(q, 2, kv, kv, 4, m).value;
            for (int r = 0; r < out.rows; r++) for (int c = 0; c < 8; c++) assertEquals(ref[r][c], out.get(r, c), 1e-4, "row " + r + " col " + c);
        }
        // self-attention is q = k = v
        double[][] self = attentionReference(mha, kv.value, 4, kv.value, 4, null);
        assertEquals(self[5][3], mha.forward(kv, 4, null).value.get(5, 3), 1e-4);
    }

    @Test
    void keysProjectedOnceAndSharedGiveTheValuesOfProjectingEachSequence() {
        // Two sets of sequences share their first key token j; projecting j once and placing its
        // rows in both key sequences must give forward()'s values to the bit, and the same gradients
        // up to the order in which j's two uses are summed.
        MultiHeadAttention mha = new MultiHeadAttention(8, 2, new Rng(7));
        for (Linear l : new Linear[] {mha.wq, mha.wk, mha.wv, mha.wo}) RNG.uniform(l.bias.value, -0.5f, 0.5f);
        Var j = Var.param("j", rand(3, 8).value), a = Var.param("a", rand(3, 8).value), b = Var.param("b", rand(3, 8).value);
        Var sumWhole = null, sumShared = null;
        Tensor[] whole = new Tensor[2], shared = new Tensor[2];
        Var jk = mha.wk.forward(j), jv = mha.wv.forward(j);
        for (int s = 0; s < 2; s++) {
            Var q = s == 0 ? a : b, other = s == 0 ? b : a;
            Var kv = ShapeOps.reshape(ShapeOps.concatCols(j, other), 6, 8);
            Var w = mha.forward(q, 1, kv, kv, 2, null);
            Var k = ShapeOps.reshape(ShapeOps.concatCols(jk, mha.wk.forward(other)), 6, 8);
            Var v = ShapeOps.reshape(ShapeOps.concatCols(jv, mha.wv.forward(other)), 6, 8);
            Var sh = mha.forwardProjected(q, 1, k, v, 2, null);
            whole[s] = w.value;
            shared[s] = sh.value;
            sumWhole = sumWhole == null ? Ops.sum(Ops.mul(w, w)) : Ops.add(sumWhole, Ops.sum(Ops.mul(w, w)));
            sumShared = sumShared == null ? Ops.sum(Ops.mul(sh, sh)) : Ops.add(sumShared, Ops.sum(Ops.mul(sh, sh)));
        }
        for (int s = 0; s < 2; s++) assertArrayEquals(whole[s].toArray(), shared[s].toArray(), 0f, "sequence set " + s);
        List<Var> params = new java.util.ArrayList<>(mha.parameters());
        params.addAll(List.of(j, a, b));
        float[][] g1 = grads(sumWhole, params), g2 = grads(sumShared, params);
        for (int p = 0; p < params.size(); p++) assertArrayEquals(g1[p], g2[p], 1e-5f, "gradient of parameter/input " + p);
        assertThrows(IllegalArgumentException.class, () -> mha.forwardProjected(a, 1, rand(5, 8), rand(5, 8), 2, null));
    }

    /**
     * The residual forms against adding the query after the attention, to the bit: self-attention,
     * attention to other keys, and keys given as parts, with the query also used on another path
     * (its gradient then has contributions before and after the residual's). Then the same with
     * the fused op switched off, which composes the two ops.
     */
    @Test
    void residualFormsGiveTheBitsOfAddingTheQuery() {
        for (boolean fused : new boolean[] {true, false}) {
            Linear.fusedResidual = fused;
            try {
                MultiHeadAttention mha = new MultiHeadAttention(8, 2, new Rng(9));
                for (Linear l : new Linear[] {mha.wq, mha.wk, mha.wv, mha.wo}) RNG.uniform(l.bias.value, -0.5f, 0.5f);
                Tensor qv = rand(12, 8).value, kvv = rand(9, 8).value, pv = rand(3, 16).value;
                for (int form = 0; form < 3; form++) {
                    Var[][] in = new Var[2][];
                    Var[] loss = new Var[2];
                    for (int side = 0; side < 2; side++) {   // 0: the residual form, 1: add(q, forward(...))
                        Var q = Var.param("q", qv.copy()), kv = Var.param("kv", kvv.copy()), parts = Var.param("parts", pv.copy());
                        in[side] = new Var[] {q, kv, parts};
                        Var out;
                        if (form == 0) {
                            out = side == 0 ? mha.forwardResidual(q, 4, null) : Ops.add(q, mha.forward(q, 4, null));
                        } else if (form == 1) {
                            out = side == 0 ? mha.forwardResidual(q, 4, kv, kv, 3, null) : Ops.add(q, mha.forward(q, 4, kv, kv, 3, null));
                        } else {
                            Var q3 = ShapeOps.sliceRows(q, 0, 3);   // 3 sequences of one query token; keys: one part of 2 tokens each
                            Var tokens = ShapeOps.reshape(parts, 6, 8);
                            List<Var> ks = List.of(ShapeOps.reshape(mha.wk.forward(tokens), 3, 16));
                            List<Var> vs = List.of(ShapeOps.reshape(mha.wv.forward(tokens), 3, 16));
                            out = side == 0 ? mha.forwardProjectedPartsResidual(q3, 1, ks, vs, null)
                                    : Ops.add(q3, mha.forwardProjectedParts(q3, 1, ks, vs, null));
                        }
                        Var other = Ops.sum(Ops.mul(Ops.tanh(q), q));   // q's other path
                        loss[side] = Ops.add(Ops.sum(Ops.mul(out, out)), other);
                    }
                    assertArrayEquals(loss[1].value.toArray(), loss[0].value.toArray(), 0f, "form " + form + ": value");
                    List<Var> params = mha.parameters();
                    float[][] gr = grads(loss[0], params), gc = grads(loss[1], params);
                    for (int p = 0; p < params.size(); p++) assertArrayEquals(gc[p], gr[p], 0f, "form " + form + ", parameter " + p);
                    for (int v = 0; v < 3; v++) {
                        Tensor a = in[0][v].grad(), b = in[1][v].grad();
                        if (a == null || b == null) {
                            assertEquals(b == null, a == null, "form " + form + ", input " + v);
                            continue;
                        }
                        assertArrayEquals(b.toArray(), a.toArray(), 0f, "form " + form + ", input " + v);
                    }
                }
            } finally {
                Linear.fusedResidual = true;
            }
        }
    }

    @Test
    void aResidualOfTheWrongShapeIsRefusedWithOrWithoutTheFusedOp() {
        Linear l = new Linear(8, 4, true, new Rng(10));
        for (boolean fused : new boolean[] {true, false}) {
            Linear.fusedResidual = fused;
            try {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.forward(rand(3, 8), rand(1, 4)));
                assertEquals("Linear: residual [1, 4] does not match the output [3, 4]", e.getMessage());
            } finally {
                Linear.fusedResidual = true;
            }
        }
    }

    private static float[][] grads(Var loss, List<Var> params) {
        for (Var p : params) p.zeroGrad();
        loss.backward();
        float[][] g = new float[params.size()][];
        for (int i = 0; i < g.length; i++) g[i] = params.get(i).grad().toArray();
        return g;
    }

    @Test
    void fullyMaskedSequenceGivesOutputBiasAndMaskedKeysDoNotMatter() {
        MultiHeadAttention mha = new MultiHeadAttention(4, 2, new Rng(6));
        RNG.uniform(mha.wo.bias.value, -1f, 1f);
        Var x = rand(2 * 3, 4);
        Tensor mask = Tensor.of(2, 3, 1, 0, 1, 0, 0, 0);
        Tensor out = mha.forward(x, 3, mask).value;
        for (float v : out.toArray()) assertTrue(Float.isFinite(v), "no NaN from a fully masked row");
        for (int r = 3; r < 6; r++) assertArrayEquals(mha.wo.bias.value.toArray(), out.rowBlock(r, 1).toArray(), 1e-6f);
        // changing the masked key/value token of sequence 0 (token 1) changes nothing for its other queries
        Tensor kv2 = x.value.copy();
        for (int c = 0; c < 4; c++) kv2.set(1, c, 5f);
        Tensor out2 = mha.forward(x, 3, Var.constant(kv2), Var.constant(kv2), 3, mask).value;
        assertArrayEquals(out.rowBlock(0, 1).toArray(), out2.rowBlock(0, 1).toArray(), 1e-6f);
        assertArrayEquals(out.rowBlock(2, 1).toArray(), out2.rowBlock(2, 1).toArray(), 1e-6f);
    }

    @Test
    void gateAndMix() {
        Gate g = new Gate(3, 2, new Rng(2));
        Var x = rand(4, 3), c = rand(4, 2);
        Tensor gated = g.gate(x, c).value, gv = g.gateValues(x, c).value;
        for (int i = 0; i < gated.size(); i++) {
            assertTrue(gv.data[i] > 0f && gv.data[i] < 1f);
            assertEquals(gv.data[i] * x.value.data[i], gated.data[i], 1e-6f);
        }
        Gate m = new Gate(3, 3, new Rng(2));
        Var a = rand(4, 3), b = rand(4, 3);
        Tensor mixed = m.mix(a, b).value, mg = m.gateValues(a, b).value;
        for (int i = 0; i < mixed.size(); i++) {
            assertEquals(mg.data[i] * a.value.data[i] + (1 - mg.data[i]) * b.value.data[i], mixed.data[i], 1e-6f);
        }
    }

    @Test
    void layerNormStartsAsPlainNormalisation() {
        LayerNorm ln = new LayerNorm(6);
        Tensor y = ln.forward(rand(3, 6)).value;
        for (int r = 0; r < 3; r++) assertEquals(0f, Ops.mean(Var.constant(y.rowBlock(r, 1))).value.item(), 1e-5f);
        assertEquals(List.of(ln.gamma, ln.beta), ln.parameters());
    }

    @Test
    void embeddingInitAndCollect() {
        Embedding e = new Embedding(100, 8, new Rng(4));
        float bound = (float) Math.sqrt(6.0 / 108);
        float max = 0f;
        for (float w : e.weight().value.toArray()) max = Math.max(max, Math.abs(w));
        assertTrue(max <= bound && max > 0.9f * bound, "Xavier uniform over [n, d]: max " + max + " bound " + bound);
        assertEquals(3, e.lookup(new int[] {7, 3, 7}).rows());
        assertArrayEquals(new int[] {7, 3}, e.touchedRows(), "rows handed out, each once");
        Linear l = new Linear(8, 8, new Rng(1));
        List<Var> ps = Module.collect(e, l, l, e.weight());
        assertEquals(List.of(e.weight(), l.weight, l.bias), ps, "each parameter once, in order");
    }
}
