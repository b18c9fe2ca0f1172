package weft.autograd.nn;

import java.util.List;

import weft.autograd.Attention;
import weft.autograd.Var;
import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * Multi-head scaled dot-product attention over many short sequences at once:
 *
 * <pre>
 *   Q = q Wq^T + bq,  K = k Wk^T + bk,  V = v Wv^T + bv          (all [rows, d])
 *   per sequence b and head h:  A = softmax(Q_bh K_bh^T / sqrt(dh) + M_b),  O_bh = A V_bh
 *   out = [O_b1 | ... | O_bH] Wo^T + bo
 * </pre>
 *
 * with dh = d / H and M_b = -inf on the keys the mask drops. Sequences are row blocks: queries
 * {@code [B*Tq, d]}, keys and values {@code [B*Tk, d]}; self-attention passes the same input as
 * q, k and v. The key mask is {@code [B, Tk]}, 1 = attend, 0 = masked; a query whose keys are all
 * masked gets a zero context (only the output bias), never NaN.
 */
public final class MultiHeadAttention implements Module {
    public final Linear wq, wk, wv, wo;
    public final int dim;
    public final int heads;

    public MultiHeadAttention(int dim, int heads, Rng rng) {
        if (heads <= 0 || dim % heads != 0) {
            throw new IllegalArgumentException("MultiHeadAttention: dim " + dim + " is not divisible by " + heads + " heads");
        }
        this.dim = dim;
        this.heads = heads;
        this.wq = new Linear(dim, dim, true, rng);
        this.wk = new Linear(dim, dim, true, rng);
        this.wv = new Linear(dim, dim, true, rng);
        this.wo = new Linear(dim, dim, true, rng);
    }

    /** On given projections, each {@code [d, d]}. */
    public MultiHeadAttention(Linear wq, Linear wk, Linear wv, Linear wo, int heads) {
        this.dim = wq.out();
        for (Linear l : new Linear[] {wq, wk, wv, wo}) {
            if (l.in() != dim || l.out() != dim) {
                throw new IllegalArgumentException("MultiHeadAttention: projection " + l.weight.shape() + " is not [" + dim + ", " + dim + "]");
            }
        }
        if (heads <= 0 || dim % heads != 0) {
            throw new IllegalArgumentException("MultiHeadAttention: dim " + dim + " is not divisible by " + heads + " heads");
        }
        this.heads = heads;
        this.wq = wq;
        this.wk = wk;
        this.wv = wv;
        this.wo = wo;
    }

    /** Self-attention over sequences of {@code tokens} rows each. */
    public Var forward(Var x, int tokens, Tensor keyMask) {
        return forward(x, tokens, x, x, tokens, keyMask);
    }

    /** Queries of {@code tq} tokens per sequence attend to keys/values of {@code tk} tokens; {@code keyMask} may be null. */
    public Var forward(Var q, int tq, Var k, Var v, int tk, Tensor keyMask) {
        check(q, tq, k, v, tk, keyMask);
        Var qProj = wq.forward(q);   // q, k, v in this order (the tape's order, so the gradients' order)
        return attend(qProj, tq, wk.forward(k), wv.forward(v), tk, keyMask);
    }

    /**
     * As {@link #forward(Var, int, Var, Var, int, Tensor)}, with the keys and values already
     * projected: {@code kProj = wk.forward(k)}, {@code vProj = wv.forward(v)}. A linear layer
     * projects each row on its own, so a key token that several sequences or several calls share
     * (a joint vector every modality attends to, say) can be projected once and its rows placed
     * in each sequence; the result is the same, and only the gradient's summation order differs
     * (the shared rows' gradients are added before the projection's backward instead of after).
     */
    public Var forwardProjected(Var q, int tq, Var kProj, Var vProj, int tk, Tensor keyMask) {
        check(q, tq, kProj, vProj, tk, keyMask);
        return attend(wq.forward(q), tq, kProj, vProj, tk, keyMask);
    }

    /**
     * As {@link #forwardProjected}, with each sequence's projected keys and values given as parts
     * side by side ({@code [B, t_j * d]} each, t_j tokens per sequence, the layout
     * {@code Tokens.sequences} makes by concatenating): the attention reads the tokens from the
     * parts ({@link Attention#scaledDotProductOfParts}), with the values and gradients of
     * concatenating them first, and without the copies.
     */
    public Var forwardProjectedParts(Var q, int tq, List<Var> kParts, List<Var> vParts, Tensor keyMask) {
        return wo.forward(partsContext(q, tq, kParts, vParts, keyMask));
    }

    private Var partsContext(Var q, int tq, List<Var> kParts, List<Var> vParts, Tensor keyMask) {
        if (q.cols() != dim) {
            throw new IllegalArgumentException("MultiHeadAttention: queries " + q.shape() + " are not of width " + dim);
        }
        return Attention.scaledDotProductOfParts(wq.forward(q), tq, kParts, vParts, heads, keyMask);
    }

    /**
     * {@code q + forward(q, tq, k, v, tk, keyMask)}: the residual connection around the attention,
     * added by the output projection's op ({@link Linear#forward(Var, Var)}): the bits of
     * {@code Ops.add(q, forward(...))} without the separate sum and its gradient's copy.
     */
    public Var forwardResidual(Var q, int tq, Var k, Var v, int tk, Tensor keyMask) {
        check(q, tq, k, v, tk, keyMask);
        Var qProj = wq.forward(q);
        return wo.forward(context(qProj, tq, wk.forward(k), wv.forward(v), tk, keyMask), q);
    }

    /** {@code x + forward(x, tokens, keyMask)}: self-attention with its residual, as {@link #forwardResidual(Var, int, Var, Var, int, Tensor)}. */
    public Var forwardResidual(Var x, int tokens, Tensor keyMask) {
        return forwardResidual(x, tokens, x, x, tokens, keyMask);
    }

    /** {@code q + forwardProjectedParts(q, tq, kParts, vParts, keyMask)}, as {@link #forwardResidual(Var, int, Var, Var, int, Tensor)}. */
    public Var forwardProjectedPartsResidual(Var q, int tq, List<Var> kParts, List<Var> vParts, Tensor keyMask) {
        return wo.forward(partsContext(q, tq, kParts, vParts, keyMask), q);
    }

    private Var attend(Var qProj, int tq, Var kProj, Var vProj, int tk, Tensor keyMask) {
        return wo.forward(context(qProj, tq, kProj, vProj, tk, keyMask));
    }

    private Var context(Var qProj, int tq, Var kProj, Var vProj, int tk, Tensor keyMask) {
        // One fused op for the head split, scores, softmax, context and head merge: the same values
        // as the composed ops (see Attention), without their copies and graph nodes.
        return Attention.scaledDotProduct(qProj, tq, kProj, vProj, tk, heads, keyMask);
    }

    private void check(Var q, int tq, Var k, Var v, int tk, Tensor keyMask) {
        if (tq <= 0 || tk <= 0 || q.rows() % tq != 0 || k.rows() % tk != 0 || q.rows() / tq != k.rows() / tk
                || !k.value.sameShape(v.value) || q.cols() != dim || k.cols() != dim) {
            throw new IllegalArgumentException("MultiHeadAttention: queries " + q.shape() + " (Tq = " + tq + "), keys " + k.shape()
                    + ", values " + v.shape() + " (Tk = " + tk + ") do not form the same number of sequences of width " + dim);
        }
        int batch = q.rows() / tq;
        if (keyMask != null && (keyMask.rows != batch || keyMask.cols != tk)) {
            throw new IllegalArgumentException("MultiHeadAttention: key mask " + keyMask.shape() + " does not match [" + batch + ", " + tk + "]");
        }
    }

    @Override
    public List<Var> parameters() {
        return Module.collect(wq, wk, wv, wo);
    }
}
