package weft.models.blocks;

import weft.autograd.Ops;
import weft.autograd.ShapeOps;
import weft.autograd.Var;

/**
 * The row layout of many short token sequences at once, as {@code nn.MultiHeadAttention} and
 * {@code Ops.bmm} take them: B sequences of T tokens of width d are one {@code [B*T, d]} matrix
 * whose rows {@code b*T .. b*T + T - 1} are sequence b. A {@code [B, T*d]} matrix (one row per
 * sequence, its tokens side by side) holds the same values in the same order, so moving between
 * the two layouts is a free reshape; that is how sequences are assembled and pooled here without
 * any per-item Java objects.
 */
public final class Tokens {
    private Tokens() {}

    /**
     * One sequence per row from parts given side by side: part k is {@code [B, t_k * d]} (t_k
     * tokens of width d per sequence; an ID embedding {@code [B, d]} is one token), and the result
     * is {@code [B * sum t_k, d]} with sequence b = part 0's tokens of b, then part 1's, ...
     */
    public static Var sequences(int d, Var... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("Tokens.sequences: no parts");
        }
        int rows = parts[0].rows(), width = 0;
        for (Var p : parts) {
            if (p.rows() != rows || p.cols() % d != 0) {
                throw new IllegalArgumentException("Tokens.sequences: part " + p.shape() + " is not [" + rows + ", t * " + d + "]");
            }
            width += p.cols();
        }
        Var side = parts.length == 1 ? parts[0] : ShapeOps.concatCols(parts);
        return ShapeOps.reshape(side, rows * (width / d), d);
    }

    /**
     * Mean over each sequence's tokens: {@code [B*T, d] -> [B, d]}, the tokens added in order and
     * then scaled by 1/T ({@link Ops#meanOfRowGroups}, one op).
     */
    public static Var meanPool(Var x, int tokens) {
        return Ops.meanOfRowGroups(x, tokens);   // which names a shape that is not [B*T, d]
    }
}
