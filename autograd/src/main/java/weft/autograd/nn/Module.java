package weft.autograd.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import weft.autograd.Var;

/**
 * Something with trainable parameters: a layer, or a model made of layers. An optimiser is
 * built from {@link #parameters()}; a model lists its own Vars and its layers' with
 * {@link #collect}.
 */
public interface Module {
    /** The trainable leaves, in a fixed order (optimiser state and determinism depend on it). */
    List<Var> parameters();

    /**
     * The parameters of the given modules and loose Vars, in argument order, each Var once
     * (a shared layer listed twice must not be stepped twice).
     */
    static List<Var> collect(Object... modulesOrVars) {
        Set<Var> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Var> out = new ArrayList<>();
        for (Object o : modulesOrVars) {
            List<Var> vs;
            if (o instanceof Module) vs = ((Module) o).parameters();
            else if (o instanceof Var) vs = List.of((Var) o);
            else throw new IllegalArgumentException("Module.collect: expected a Module or a Var, got " + (o == null ? "null" : o.getClass().getName()));
            for (Var v : vs) if (seen.add(v)) out.add(v);
        }
        return out;
    }
}
