package weft.graph;

import weft.autograd.Var;
import weft.engine.MatMul;
import weft.engine.Tensor;

/**
 * Hypergraph convolution {@code E' = H (H^T E)} (DPRec): H [nodes, n_h] is the node-hyperedge
 * incidence (soft, e.g. {@code softmax(X W_h / tau)}, or a fixed sparse one), E [nodes, d] the
 * node embeddings. Messages go node -> hyperedge ({@code T = H^T E}, [n_h, d]) -> node
 * ({@code H T}). The product is evaluated right to left so the [nodes, nodes] matrix H H^T never
 * exists: cost O(nodes n_h d) instead of O(nodes^2 d).
 *
 * <p>Gradients, with G = dL/dE' and T = H^T E:
 * <pre>
 *   dL/dE = H (H^T G)
 *   dL/dH = G T^T + E (H^T G)^T
 * </pre>
 * The sparse form takes a fixed {@link CsrMatrix} H and differentiates E only.
 */
public final class Hypergraph {
    private Hypergraph() {}

    /** {@code H (H^T E)} with a dense, differentiable incidence H [nodes, n_h] and E [nodes, d]. */
    public static Var propagate(Var h, Var e) {
        if (h.rows() != e.rows()) {
            throw new IllegalArgumentException("Hypergraph.propagate: incidence H " + h.shape() + " and embeddings E " + e.shape()
                    + " must have the same number of nodes (rows)");
        }
        Tensor hv = h.value;
        Tensor ev = e.value;
        Tensor t = MatMul.matmul(hv, true, ev, false);
        Tensor out = MatMul.matmul(hv, t);
        return Var.op("hypergraphConv", out, g -> {
            Tensor htg = MatMul.matmul(hv, true, g, false); // H^T G, [n_h, d]
            if (e.requiresGrad()) {
                e.accumulateOwned(MatMul.matmul(hv, htg));
            }
            if (h.requiresGrad()) {
                Tensor dh = MatMul.matmul(g, false, t, true);
                MatMul.matmulInto(ev, false, htg, true, dh, true);
                h.accumulateOwned(dh);
            }
        }, h, e);
    }

    /** {@code H (H^T E)} with a fixed sparse incidence H [nodes, n_h]; the gradient reaches E only. */
    public static Var propagate(CsrMatrix h, Var e) {
        if (h.rows != e.rows()) {
            throw new IllegalArgumentException("Hypergraph.propagate: incidence H " + h.shape() + " and embeddings E " + e.shape()
                    + " must have the same number of nodes (rows)");
        }
        Tensor out = apply(h, e.value);
        // H H^T is symmetric, so the backward pass is the forward map applied to G.
        return Var.op("hypergraphConvSparse", out, g -> e.accumulateOwned(apply(h, g)), e);
    }

    private static Tensor apply(CsrMatrix h, Tensor x) {
        return SpMM.multiply(h, SpMM.multiply(h.transpose(), x));
    }
}
