package io.github.ies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.Arrays;

/**
 * Input gradients (vector-Jacobian products) of a model with a verified backend: the {@link GradientCheck} of the
 * input's shape runs first (cached), and the product is computed with the kernels it proved sound. The one entry
 * point for a single input gradient outside the saliency engine (which batches its own).
 */
public final class InputGradients {

    private InputGradients() {}

    /**
     * J(x)^T c for {@code x [C, size]} and a cotangent {@code c} of the logits' shape {@code [K, size]} (both C
     * order, float32 module).
     *
     * @throws IllegalStateException when no kernels are sound for this shape (the message names them)
     */
    public static float[] vjp(TorchModel model, float[] x, int[] size, float[] cotangent) {
        GradientCheck.Result r = GradientCheck.run(model, x, size, 1, false);
        if (!r.sound()) {
            throw new IllegalStateException(model.bundle().name() + ": the gradient self-check failed on input shape "
                    + Arrays.toString(r.shape) + ": " + String.join("; ", r.notes));
        }
        GradientCheck.Kernels k = r.sound(GradientCheck.Kernels.DEFAULT) ? GradientCheck.Kernels.DEFAULT : GradientCheck.Kernels.REFERENCE;
        try (Autograd ag = Autograd.open(model, true, k.oneDnn()); NDManager m = model.manager().newSubManager()) {
            NDArray in = model.input(m, x, 1, size, false);
            in.setRequiresGradient(true);
            NDArray y = model.forward(in, true);
            ag.backward(y, m.create(cotangent, y.getShape()), false);
            NDArray g = ag.gradient(in);
            float[] out = g.toFloatArray();
            g.close();
            return out;
        }
    }
}
