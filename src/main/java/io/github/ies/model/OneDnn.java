package io.github.ies.model;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * libtorch's switch for oneDNN (MKL-DNN) CPU kernels, {@code at::globalContext().setUserEnabledMkldnn(bool)}: what
 * {@code torch.backends.mkldnn.enabled = False} sets in Python. With it off, libtorch's CPU convolutions (forward
 * and backward, plain and transposed) run ATen's reference implementation (vol2col and BLAS) instead of oneDNN's
 * JIT kernels. DJL exposes no binding for it, so the C++ functions are called through JNA ({@link LibTorchNative}).
 *
 * <p>The switch is process-wide. {@link #disabled()} turns oneDNN off for as long as at least one returned scope is
 * open (reference counted, so overlapping runs in one JVM are safe) and then restores the value found before.
 * Other plugins in the same JVM only run slower meanwhile, never differently (both implementations compute the
 * same convolution).
 */
public final class OneDnn {

    private OneDnn() {}

    private static final String[][] SYMBOLS = {
        // {globalContext, setUserEnabledMkldnn, userEnabledMkldnn}
        {"_ZN2at13globalContextEv", "_ZN2at7Context20setUserEnabledMkldnnEb", "_ZNK2at7Context17userEnabledMkldnnEv"},
        {"?globalContext@at@@YAAEAVContext@1@XZ", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z",
                "?userEnabledMkldnn@Context@at@@QEBA_NXZ"},
    };

    private static Pointer context;
    private static Function setter;
    private static Function getter;
    private static String unavailable;
    private static boolean initialised;
    private static CountedSetting<Boolean> setting;

    private static synchronized void init() {
        if (initialised) return;
        initialised = true;
        String[] why = new String[1];
        NativeLibrary lib = LibTorchNative.library("torch_cpu", why);
        if (lib == null) {
            unavailable = why[0];
            return;
        }
        for (String[] s : SYMBOLS) {
            Function gc = LibTorchNative.function(lib, s[0]);
            Function set = LibTorchNative.function(lib, s[1]);
            Function get = LibTorchNative.function(lib, s[2]);
            if (gc == null || set == null || get == null) continue;
            try {
                context = gc.invokePointer(new Object[0]);
            } catch (Throwable t) {
                unavailable = "cannot call at::globalContext(): " + t;
                return;
            }
            setter = set;
            getter = get;
            setting = new CountedSetting<>(OneDnn::enabled, OneDnn::set);
            return;
        }
        unavailable = "libtorch exports no at::Context::setUserEnabledMkldnn";
    }

    /** True when the switch can be operated (JNA reaches libtorch's CPU library). */
    public static boolean available() {
        init();
        return setter != null;
    }

    /** Why the switch cannot be operated, or null when it can. */
    public static String unavailableReason() {
        init();
        return setter != null ? null : unavailable;
    }

    /** libtorch's current value (true when the switch is unavailable: libtorch's default). */
    public static synchronized boolean enabled() {
        if (!available()) return true;
        return (getter.invokeInt(new Object[] {context}) & 0xff) != 0;
    }

    private static void set(boolean on) {
        setter.invokeVoid(new Object[] {context, on});
    }

    /**
     * Turns oneDNN off until the returned scope (and every other open one) is closed.
     *
     * @throws IllegalStateException when the switch is unavailable ({@link #unavailableReason()})
     */
    public static synchronized CountedSetting.Scope disabled() {
        if (!available()) throw new IllegalStateException("oneDNN cannot be turned off: " + unavailable);
        return setting.open(saved -> false);
    }
}
