package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import weft.autograd.nn.Linear;
import weft.autograd.nn.Losses;
import weft.engine.Rng;
import weft.engine.Tensor;

/** {@link GradCheck#checkLoss}: the model-level check that perturbs a model's own parameters in place. */
class GradCheckLossTest {
    private final Rng rng = new Rng(17);
    private final Linear layer = new Linear(3, 2, true, rng);
    private final Var x = Var.constant(rng.normal(new Tensor(4, 3), 0f, 1f));
    private final Var target = Var.constant(rng.normal(new Tensor(4, 2), 0f, 1f));

    private Var loss() {
        Var y = Ops.tanh(layer.forward(x));
        Var d = Ops.sub(y, target);
        return Ops.add(Ops.sum(Ops.mul(d, d)), Losses.embLoss(0.1f, 4, layer.weight));
    }

    @Test
    void passesForACorrectGradientAndRestoresTheParameters() {
        float[] before = layer.weight.value.toArray();
        GradCheck.checkLoss("linear + tanh + squared error", this::loss, layer.parameters());
        assertArrayEquals(before, layer.weight.value.toArray(), 0f, "every perturbed element is restored");
        assertTrue(layer.weight.grad() == null, "gradients are cleared afterwards");
    }

    @Test
    void catchesAWrongGradient() {
        // An op whose backward pass forgets a factor of 2: d(v^2)/dv written as v.
        java.util.function.Supplier<Var> wrong = () -> {
            Var w = layer.weight;
            Tensor sq = w.value.copy();
            for (int i = 0; i < sq.data.length; i++) {
                sq.data[i] *= sq.data[i];
            }
            Var squared = Var.op("test_square_wrong", sq, g -> {
                Tensor gw = w.value.copy();
                for (int i = 0; i < gw.data.length; i++) {
                    gw.data[i] *= g.data[i];
                }
                w.accumulate(gw);
            }, w);
            return Ops.sum(squared);
        };
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.checkLoss("wrong square", wrong, List.of(layer.weight)));
        assertTrue(e.getMessage().contains("wrong square") && e.getMessage().contains("parameter 0"), e.getMessage());
    }

    @Test
    void refusesAConstant() {
        assertThrows(IllegalArgumentException.class, () -> GradCheck.checkLoss("constant", this::loss, List.of(x)));
    }
}
