package io.github.ies.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Process-wide PyTorch engine settings and the engine's start. DJL reads {@code ai.djl.pytorch.num_threads} when the
 * engine starts, so {@link #configure} must run before the first model is loaded to take full effect; later calls
 * change the intra-op thread count through libtorch directly.
 *
 * <p>Native libraries: DJL finds libtorch 2.7.1 in {@code PYTORCH_LIBRARY_PATH}, in a {@code pytorch-native-*} jar on
 * the class path (extracted once into its cache, {@code ~/.djl.ai} or {@code DJL_CACHE_DIR}), in that cache, or else
 * downloads it (about 110 MB for the CPU build) unless DJL is offline ({@code ai.djl.offline=true} or
 * {@code DJL_OFFLINE=true}). This class never sets {@code ai.djl.offline} for the whole process (other plugins in the
 * same Fiji use DJL too): the command line sets it for its own JVM (offline by default), and {@code
 * -Dies.djl.offline=true|false} overrides it for our engine start only, the previous value being restored right
 * after. A download is announced through the notes listener (with the megabytes received so far), and a failure
 * to find or download the natives becomes one line that says what to do.
 */
public final class TorchRuntime {

    /** Our own offline switch, applied only around our engine start. */
    public static final String OFFLINE_OVERRIDE = "ies.djl.offline";
    /** DJL's process-wide offline property. */
    public static final String DJL_OFFLINE = "ai.djl.offline";
    /** The libtorch version of the pytorch-jni dependency. */
    public static final String PYTORCH_VERSION = "2.7.1";
    /** Platforms with pytorch-jni 2.7.1 natives (CPU; linux-x86_64 also CUDA 12.8). There is no Intel-macOS build. */
    public static final String[] PLATFORMS = {"linux-x86_64", "linux-aarch64", "osx-aarch64", "win-x86_64"};

    private TorchRuntime() { }

    private static volatile boolean started;

    /** Sets the CPU thread count (0 or less: all cores); starts the engine, with notes on standard error. */
    public static void configure(int threads) {
        configure(threads, TorchRuntime::stderrNote);
    }

    /**
     * Sets the CPU thread count (0 or less: all cores) and starts the engine if needed; {@code notes} receives what a
     * user should see while it starts (a download of the natives and its progress).
     */
    public static synchronized void configure(int threads, Consumer<String> notes) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        if (!started) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
            if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
                System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            }
        }
        engine(notes);
        if (JniUtils.getNumThreads() != n) JniUtils.setNumThreads(n);
    }

    /** The PyTorch engine (started on first use, notes on standard error). */
    public static Engine engine() {
        return engine(TorchRuntime::stderrNote);
    }

    /** The PyTorch engine, started on first use; see the class comment for natives and offline mode. */
    public static Engine engine(Consumer<String> notes) {
        if (started) return Engine.getEngine("PyTorch");
        synchronized (TorchRuntime.class) {
            if (started) return Engine.getEngine("PyTorch");
            Engine e = start(notes == null ? s -> { } : notes);
            started = true;
            return e;
        }
    }

    private static Engine start(Consumer<String> notes) {
        String platform = platform();
        if (!isSupported(platform)) throw new IllegalStateException(unsupportedPlatformMessage(platform));
        // the models run with TorchScript's graph optimiser off (TorchModel.GRAPH_OPTIMIZER); DJL's engine is told so
        // at its start, so that every front-end (command line, Fiji) starts PyTorch alike and DJL does not log it "enabled"
        if (System.getProperty("ai.djl.pytorch.graph_optimizer") == null) {
            System.setProperty("ai.djl.pytorch.graph_optimizer", Boolean.toString(TorchModel.GRAPH_OPTIMIZER));
        }
        String override = System.getProperty(OFFLINE_OVERRIDE);
        String mode = override == null || override.isBlank() ? null : Boolean.toString(Boolean.parseBoolean(override.trim()));
        try {
            return withDjlOffline(mode, () -> {
                boolean offline = djlOffline();
                String local = localNatives();
                if (local == null && !offline) {
                    notes.accept("PyTorch " + PYTORCH_VERSION + " native libraries are not installed: downloading them once (about 110 MB"
                            + " for the CPU build) into " + cacheDir() + " ...");
                }
                Thread watcher = local == null && !offline ? downloadWatcher(notes) : null;
                try {
                    return Engine.getEngine("PyTorch");
                } catch (RuntimeException | UnsatisfiedLinkError err) {
                    throw new IllegalStateException(startFailureMessage(local != null, offline, platform, err), err);
                } finally {
                    if (watcher != null) watcher.interrupt();
                }
            });
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Runs {@code work} with DJL's offline property set to {@code mode} ("true" or "false"; null: left as it is), then
     * restores the previous value (or its absence), also when {@code work} fails.
     */
    public static <T> T withDjlOffline(String mode, Callable<T> work) throws Exception {
        if (mode == null) return work.call();
        String old = System.getProperty(DJL_OFFLINE);
        System.setProperty(DJL_OFFLINE, mode);
        try {
            return work.call();
        } finally {
            if (old == null) System.clearProperty(DJL_OFFLINE);
            else System.setProperty(DJL_OFFLINE, old);
        }
    }

    /** DJL's own rule: {@code DJL_OFFLINE} (environment) over {@code ai.djl.offline} (property); default online. */
    public static boolean djlOffline() {
        String env = System.getenv("DJL_OFFLINE");
        String mode = env != null ? env : System.getProperty(DJL_OFFLINE);
        return mode != null && Boolean.parseBoolean(mode.trim());
    }

    /**
     * Where DJL will find libtorch without a download: "PYTORCH_LIBRARY_PATH", "class path" (a pytorch-native jar) or
     * "cache" (an earlier extraction or download); null when it would have to download.
     */
    public static String localNatives() {
        String lib = env("PYTORCH_LIBRARY_PATH");
        if (lib != null && !lib.isBlank()) return "PYTORCH_LIBRARY_PATH";
        ClassLoader[] loaders = {Thread.currentThread().getContextClassLoader(), TorchRuntime.class.getClassLoader()};
        for (ClassLoader cl : loaders) {
            if (cl != null && cl.getResource("native/lib/pytorch.properties") != null) return "class path";
        }
        Path cache = cacheDir().resolve("pytorch");
        String torch = System.mapLibraryName("torch");
        if (Files.isDirectory(cache)) {
            try (Stream<Path> dirs = Files.list(cache)) {
                if (dirs.anyMatch(d -> d.getFileName().toString().startsWith(PYTORCH_VERSION + "-") && Files.isRegularFile(d.resolve(torch)))) {
                    return "cache";
                }
            } catch (IOException ignored) {
                // treated as not cached
            }
        }
        return null;
    }

    /** DJL's engine cache folder ({@code ENGINE_CACHE_DIR}, else {@code DJL_CACHE_DIR}, else {@code ~/.djl.ai}). */
    public static Path cacheDir() {
        String engine = env("ENGINE_CACHE_DIR");
        if (engine != null && !engine.isEmpty()) return Paths.get(engine);
        String djl = env("DJL_CACHE_DIR");
        if (djl != null && !djl.isEmpty()) return Paths.get(djl);
        return Paths.get(System.getProperty("user.home"), ".djl.ai");
    }

    /** This machine as DJL names platforms, e.g. linux-x86_64, osx-aarch64, win-x86_64. */
    public static String platform() {
        return platform(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String o = os.startsWith("mac") || os.startsWith("darwin") ? "osx" : os.startsWith("win") ? "win" : os.startsWith("linux") ? "linux" : os;
        String a = osArch.toLowerCase(Locale.ROOT);
        String arch = a.equals("amd64") || a.equals("x86_64") ? "x86_64" : a.equals("arm64") || a.equals("aarch64") ? "aarch64" : a;
        return o + "-" + arch;
    }

    static boolean isSupported(String platform) {
        for (String p : PLATFORMS) if (p.equals(platform)) return true;
        return false;
    }

    static String unsupportedPlatformMessage(String platform) {
        return "PyTorch " + PYTORCH_VERSION + " has no native build for " + platform + " (DJL's pytorch-jni " + PYTORCH_VERSION
                + " supports " + String.join(", ", PLATFORMS) + "; none for Intel macOS)";
    }

    /** The one line a user sees when the engine does not start. */
    static String startFailureMessage(boolean localNatives, boolean offline, String platform, Throwable err) {
        String cause = rootMessage(err);
        if (err instanceof IllegalArgumentException && cause.contains("engine not found")) {
            return "DJL's PyTorch engine is not on the class path (" + cause + "): the pytorch-engine and pytorch-jni jars must sit beside"
                    + " ours (Fiji.app/jars) and be visible from the thread context class loader";
        }
        String jar = "pytorch-native-cpu-" + PYTORCH_VERSION + "-" + platform + ".jar";
        if (!localNatives && offline) {
            return "PyTorch " + PYTORCH_VERSION + " native libraries are not installed and DJL is offline (" + DJL_OFFLINE + "=true or DJL_OFFLINE): put "
                    + jar + " (Maven Central) into Fiji.app/jars, set PYTORCH_LIBRARY_PATH to a libtorch " + PYTORCH_VERSION
                    + ", or allow the one-time download with -D" + OFFLINE_OVERRIDE + "=false (docs/fiji.md)";
        }
        if (!localNatives) {
            return "PyTorch " + PYTORCH_VERSION + " native libraries could not be downloaded (" + cause + "): check the network, or put "
                    + jar + " (Maven Central) into Fiji.app/jars, or set PYTORCH_LIBRARY_PATH to a libtorch " + PYTORCH_VERSION + " (docs/fiji.md)";
        }
        return "PyTorch " + PYTORCH_VERSION + " did not start (" + cause + "); natives from " + localNatives() + ", cache " + cacheDir()
                + " (docs/fiji.md)";
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) r = r.getCause();
        String m = r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
        if (r instanceof java.net.UnknownHostException) m = "unknown host " + m + ", no network?";
        String top = t.getMessage();
        String s = top != null && r != t && !top.equals(m) ? top + ": " + m : m;
        return s.replaceAll("\\s+", " ").trim();
    }

    /** Reports the megabytes DJL has written into its cache every 3 s while the engine starts. */
    private static Thread downloadWatcher(Consumer<String> notes) {
        Path cache = cacheDir().resolve("pytorch");
        long before = size(cache);
        Thread t = new Thread(() -> {
            long last = -1;
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(3000);
                    long mb = (size(cache) - before) / (1024 * 1024);
                    if (mb != last && mb > 0) notes.accept("downloading PyTorch natives: " + mb + " MB received");
                    last = mb;
                }
            } catch (InterruptedException ignored) {
                // engine started (or failed)
            }
        }, "ies-pytorch-download");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static long size(Path dir) {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v != null ? v : System.getProperty(name);
    }

    private static void stderrNote(String s) {
        System.err.println("ies: " + s);
    }

    public static int threads() {
        engine();
        return JniUtils.getNumThreads();
    }

    public static String pytorchVersion() { return engine().getVersion(); }

    public static String djlVersion() { return Engine.getDjlVersion(); }
}
