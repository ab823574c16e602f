package io.github.ies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope for gradient work on one thread, in the style of DJL's {@code PtGradientCollector}: opening it sets
 * libtorch's (per-thread) grad mode and, when asked, turns oneDNN off ({@link OneDnn}); closing it restores both.
 * The backward pass and gradient access go through the model's {@link GradientBackend}. Every direct use of DJL's
 * {@code JniUtils} for grad mode and thread counts lives in this package.
 *
 * <pre>{@code
 * try (Autograd ag = Autograd.open(model, true, path.oneDnn())) {
 *     NDArray y = model.forward(x, true);
 *     ag.backward(y, cotangent, false);
 *     NDArray g = ag.gradient(x);
 * }
 * }</pre>
 */
public final class Autograd implements AutoCloseable {

    private final GradientBackend backend;
    private final boolean previousGradMode;
    private final CountedSetting.Scope oneDnnOff;
    private boolean closed;

    private Autograd(GradientBackend backend, boolean grad, boolean oneDnn) {
        this.backend = backend;
        this.previousGradMode = JniUtils.isGradMode();
        this.oneDnnOff = oneDnn ? null : OneDnn.disabled();
        JniUtils.setGradMode(grad);
    }

    /**
     * Opens a scope on the calling thread: grad mode {@code grad}; {@code oneDnn} false turns libtorch's oneDNN
     * kernels off for the scope's lifetime (it must then be {@link OneDnn#available()}).
     */
    public static Autograd open(TorchModel model, boolean grad, boolean oneDnn) {
        return new Autograd(model.gradients(), grad, oneDnn);
    }

    /** A scope with grad mode on and libtorch's default kernels. */
    public static Autograd enabled(TorchModel model) { return open(model, true, true); }

    /** A scope with grad mode off (no graph is recorded). */
    public static Autograd disabled(TorchModel model) { return open(model, false, true); }

    /** Vector-Jacobian product: back-propagates {@code cotangent} from {@code y}. */
    public void backward(NDArray y, NDArray cotangent, boolean keepGraph) {
        backend.backward(y, cotangent, keepGraph, false);
    }

    /** A backward pass that is itself recorded, for a second differentiation (double backward). */
    public void backwardRecorded(NDArray y, NDArray cotangent) {
        try (CountedSetting.Scope quiet = LibTorchNative.quietWarnings()) {
            backend.backward(y, cotangent, true, true);
        }
    }

    /** The gradient accumulated in {@code leaf}. */
    public NDArray gradient(NDArray leaf) { return backend.gradient(leaf); }

    public void zeroGrad(NDArray leaf) { backend.zeroGrad(leaf); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        JniUtils.setGradMode(previousGradMode);
        if (oneDnnOff != null) oneDnnOff.close();
    }

    /** libtorch's intra-op thread count for threads started from now on (and the calling one). */
    public static int threads() { return JniUtils.getNumThreads(); }

    public static void setThreads(int n) { JniUtils.setNumThreads(n); }

    /** Releases cached GPU memory (after an out-of-memory error). */
    public static void emptyGpuCache() { JniUtils.emptyCudaCache(); }
}
