package io.github.ies.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Process-wide PyTorch engine settings. DJL reads {@code ai.djl.pytorch.num_threads} when the engine starts, so
 * {@link #configure} must run before the first model is loaded to take full effect; later calls change the
 * intra-op thread count through libtorch directly. Offline by default: {@code ai.djl.offline=true} unless the
 * user set it (no native library downloads; the CPU natives come from the Maven dependency).
 */
public final class TorchRuntime {

    private TorchRuntime() { }

    private static volatile boolean started;

    /** Sets offline mode (unless set by the user) and the CPU thread count (0 or less: all cores). */
    public static synchronized void configure(int threads) {
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        if (!started) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
            if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
                System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            }
        }
        engine();
        if (JniUtils.getNumThreads() != n) JniUtils.setNumThreads(n);
    }

    /** The PyTorch engine (started on first use). */
    public static Engine engine() {
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
        Engine e = Engine.getEngine("PyTorch");
        started = true;
        return e;
    }

    public static int threads() {
        engine();
        return JniUtils.getNumThreads();
    }

    public static String pytorchVersion() { return engine().getVersion(); }

    public static String djlVersion() { return Engine.getDjlVersion(); }
}
