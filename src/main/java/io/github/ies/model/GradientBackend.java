package io.github.ies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The three autograd operations the saliency code needs: a vector-Jacobian product (backward pass with any
 * cotangent, graph kept or freed), reading a leaf's accumulated gradient, and zeroing it. {@link #LIBTORCH} is
 * libtorch's autograd; tests substitute doubles that corrupt gradients on purpose (see {@link GradientCheck}).
 */
public interface GradientBackend {

    /**
     * Back-propagates {@code cotangent} (shape of {@code y}) from {@code y}; keeps the graph when asked, and records
     * the backward pass itself for a second differentiation when {@code createGraph} is true.
     */
    void backward(NDArray y, NDArray cotangent, boolean keepGraph, boolean createGraph);

    /** {@link #backward(NDArray, NDArray, boolean, boolean)} without a recorded backward pass. */
    default void backward(NDArray y, NDArray cotangent, boolean keepGraph) {
        backward(y, cotangent, keepGraph, false);
    }

    /** The gradient accumulated in a leaf (a new array; close it when done). */
    NDArray gradient(NDArray leaf);

    /** Zeroes a leaf's accumulated gradient. */
    void zeroGrad(NDArray leaf);

    /** libtorch's autograd, through DJL's JNI. */
    GradientBackend LIBTORCH = new GradientBackend() {
        @Override
        public void backward(NDArray y, NDArray cotangent, boolean keepGraph, boolean createGraph) {
            JniUtils.backward((PtNDArray) y, (PtNDArray) cotangent, keepGraph, createGraph);
        }

        @Override
        public NDArray gradient(NDArray leaf) {
            return leaf.getGradient();
        }

        @Override
        public void zeroGrad(NDArray leaf) {
            JniUtils.zeroGrad((PtNDArray) leaf);
        }

        @Override
        public String toString() { return "libtorch"; }
    };
}
