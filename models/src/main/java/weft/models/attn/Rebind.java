package weft.models.attn;

import java.util.Iterator;
import java.util.List;

import weft.autograd.Var;
import weft.autograd.nn.Gate;
import weft.autograd.nn.LayerNorm;
import weft.autograd.nn.Linear;
import weft.autograd.nn.MultiHeadAttention;

/**
 * Rebuilds layers on other parameter Vars, taken in the order the layers list their parameters
 * ({@code Module.parameters()}). A model whose forward pass runs on layers rebuilt this way can
 * compute its loss as a function of any given parameter tensors, which is what a finite-difference
 * gradient check of the whole model needs ({@code GradCheck} hands its own Vars to the function).
 * Each Var must have the shape of the one it replaces.
 */
public final class Rebind {
    private final Iterator<Var> it;
    private int taken;

    public Rebind(List<Var> params) {
        this.it = params.iterator();
    }

    public Var var(Var template) {
        if (!it.hasNext()) {
            throw new IllegalArgumentException("Rebind: ran out of parameters after " + taken + " (next should be " + template.shape() + ")");
        }
        Var v = it.next();
        if (!v.value.sameShape(template.value)) {
            throw new IllegalArgumentException("Rebind: parameter #" + taken + " is " + v.shape() + ", expected " + template.shape());
        }
        taken++;
        return v;
    }

    public Linear linear(Linear t) {
        Var w = var(t.weight);
        return new Linear(w, t.bias == null ? null : var(t.bias));
    }

    public MultiHeadAttention mha(MultiHeadAttention t) {
        return new MultiHeadAttention(linear(t.wq), linear(t.wk), linear(t.wv), linear(t.wo), t.heads);
    }

    public LayerNorm layerNorm(LayerNorm t) {
        Var g = var(t.gamma);
        return new LayerNorm(g, var(t.beta), t.eps);
    }

    public Gate gate(Gate t) {
        Linear p = linear(t.proj);
        return new Gate(p, p.out());
    }

    /** Fails unless every given parameter was used. */
    public void done() {
        if (it.hasNext()) {
            throw new IllegalArgumentException("Rebind: more parameters given than the model has (" + taken + " used)");
        }
    }
}
