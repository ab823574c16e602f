package io.github.ies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test double of libtorch's autograd that corrupts input gradients on purpose, the way faulty kernels did on some
 * machines (issue 11): NaN in the batched elements, a wrong backward pass while oneDNN is on, or NaN from the n-th
 * gradient read after it is armed. The wrong backward pass back-propagates c + 0.3 flip(c) instead of the cotangent
 * c, the flipped part detached: the recorded graph still differentiates as the right one does, as a wrong backward
 * kernel beside right forward kernels would.
 */
public final class CorruptingGradients implements GradientBackend {

    public enum Fault {
        /** NaN in every batch element but the first, when the leaf holds a batch (the AVX-512 batched fault). */
        BATCHED_NAN,
        /** J^T (c + 0.3 flip(c)) while libtorch's oneDNN kernels are on; right with the reference kernels. */
        ONEDNN_WRONG,
        /** J^T (c + 0.3 flip(c)) whatever the kernels: no sound path. */
        ALWAYS_WRONG,
        /** NaN from the n-th gradient read after {@link #arm(int)}. */
        NAN_WHEN_ARMED
    }

    private final Fault fault;
    private final AtomicInteger countdown = new AtomicInteger(-1);
    /** Gradient reads that were corrupted. */
    public final AtomicInteger corrupted = new AtomicInteger();

    public CorruptingGradients(Fault fault) { this.fault = fault; }

    /** NAN_WHEN_ARMED: corrupt the n-th gradient read from now on (1: the next one). */
    public void arm(int n) { countdown.set(n); }

    @Override
    public void backward(NDArray y, NDArray cotangent, boolean keepGraph, boolean createGraph) {
        boolean wrong = fault == Fault.ALWAYS_WRONG || (fault == Fault.ONEDNN_WRONG && OneDnn.enabled());
        if (wrong && cotangent.getShape().dimension() == 5) {
            corrupted.incrementAndGet();
            LIBTORCH.backward(y, cotangent.add(cotangent.flip(4).stopGradient().mul(0.3)), keepGraph, createGraph);
            return;
        }
        LIBTORCH.backward(y, cotangent, keepGraph, createGraph);
    }

    @Override
    public void zeroGrad(NDArray leaf) { LIBTORCH.zeroGrad(leaf); }

    @Override
    public NDArray gradient(NDArray leaf) {
        NDArray g = LIBTORCH.gradient(leaf);
        switch (fault) {
            case BATCHED_NAN: {
                long b = g.getShape().get(0);
                if (b < 2) return g;
                int per = (int) (g.getShape().size() / b);
                float[] add = new float[(int) g.getShape().size()];
                Arrays.fill(add, per, add.length, Float.NaN);
                corrupted.incrementAndGet();
                return g.add(g.getManager().create(add, g.getShape()).toType(g.getDataType(), false));
            }
            case ONEDNN_WRONG:
            case ALWAYS_WRONG:
                return g;
            case NAN_WHEN_ARMED:
            default:
                if (countdown.get() < 0 || countdown.decrementAndGet() != 0) return g;
                corrupted.incrementAndGet();
                return g.add(g.getManager().full(g.getShape(), Float.NaN, DataType.FLOAT32).toType(g.getDataType(), false));
        }
    }
}
