package io.github.ies.model;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The few libtorch and c10 settings DJL has no binding for, reached through JNA in the native libraries DJL
 * loaded ({@code LibUtils.getLibtorchPath()}): Itanium (Linux, macOS) and MSVC (Windows) symbol names are tried.
 * Everything here is optional: a missing library or symbol leaves the feature unavailable, with the reason.
 */
final class LibTorchNative {

    private LibTorchNative() {}

    /** A library of libtorch's folder by base name ("torch_cpu", "c10"), or null with {@code why[0]} set. */
    static NativeLibrary library(String base, String[] why) {
        try {
            TorchRuntime.engine();
            String dir = ai.djl.pytorch.jni.LibUtils.getLibtorchPath();
            String file = Platform.isWindows() ? base + ".dll" : Platform.isMac() ? "lib" + base + ".dylib" : "lib" + base + ".so";
            Path lib = dir == null ? null : Paths.get(dir, file);
            if (lib == null || !Files.isRegularFile(lib)) {
                why[0] = file + " not found" + (dir == null ? "" : " in " + dir);
                return null;
            }
            return NativeLibrary.getInstance(lib.toString());
        } catch (Throwable t) {
            why[0] = "cannot reach libtorch through JNA: " + t;
            return null;
        }
    }

    /** The first of the given symbol names the library exports, as a function, or null. */
    static Function function(NativeLibrary lib, String... names) {
        for (String n : names) {
            try {
                return lib.getFunction(n);
            } catch (UnsatisfiedLinkError missing) {
                // next name
            }
        }
        return null;
    }

    /** The address of the first of the given global variables the library exports, or null. */
    static Pointer global(NativeLibrary lib, String... names) {
        for (String n : names) {
            try {
                return lib.getGlobalVariableAddress(n);
            } catch (UnsatisfiedLinkError missing) {
                // next name
            }
        }
        return null;
    }

    private static boolean logInit;
    private static CountedSetting<Integer> logLevel;

    /**
     * Raises c10's log threshold ({@code FLAGS_caffe2_log_level}) to errors while the returned scope is open, so
     * libtorch warnings that do not apply (e.g. the reference-cycle warning of a recorded backward pass whose leaves
     * are inputs, not parameters) are not printed; reference counted. A no-op when the flag cannot be reached.
     */
    static synchronized CountedSetting.Scope quietWarnings() {
        if (!logInit) {
            logInit = true;
            NativeLibrary c10 = library("c10", new String[1]);
            Pointer level = c10 == null ? null : global(c10, "FLAGS_caffe2_log_level", "?FLAGS_caffe2_log_level@@3HA");
            if (level != null) logLevel = new CountedSetting<>(() -> level.getInt(0), v -> level.setInt(0, v));
        }
        return logLevel == null ? CountedSetting.NONE : logLevel.open(saved -> Math.max(saved, 2));
    }
}
