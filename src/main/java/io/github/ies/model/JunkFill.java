package io.github.ies.model;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * libtorch's allocator junk fill, c10's flag {@code FLAGS_caffe2_cpu_allocator_do_junk_fill}: while it is on, every
 * block libtorch's CPU allocator hands out is first filled with a pattern that reads as NaN in float32 and float64
 * (c10's {@code memset_junk}). A kernel that reads memory it never wrote then returns NaN every time, instead of
 * whatever the memory happened to hold: right when the block came fresh from the operating system (zero pages),
 * wrong or NaN when it was used before. That is how oneDNN's faulty backward convolutions behave (docs/saliency.md,
 * "Backend self-check"): right or wrong from one call to the next, so a self-check without the fill can pass by
 * chance on a kernel that is wrong in the run that follows. {@link GradientCheck} runs with the fill on.
 *
 * <p>Sound kernels never read unwritten memory, so the fill changes no result; it costs a memset per allocation. The
 * flag is process-wide and read at each allocation: {@link #on()} turns it on while at least one returned scope is
 * open (reference counted, overlapping checks in one JVM are safe) and then restores the value found before. Other
 * code in the same JVM only allocates a little slower meanwhile. Reached through JNA in the libtorch DJL loaded, like
 * {@link OneDnn}; where the flag cannot be reached the scope is a no-op and {@link #unavailableReason()} says why.
 */
public final class JunkFill {

    private JunkFill() {}

    /** The flag's exported names: Itanium (a plain C++ global) and MSVC. */
    static final String[] SYMBOLS = {"FLAGS_caffe2_cpu_allocator_do_junk_fill", "?FLAGS_caffe2_cpu_allocator_do_junk_fill@@3_NA"};

    private static boolean initialised;
    private static Pointer flag;
    private static String unavailable;
    private static CountedSetting<Boolean> setting;

    private static synchronized void init() {
        if (initialised) return;
        initialised = true;
        String[] why = new String[1];
        NativeLibrary c10 = LibTorchNative.library("c10", why);
        if (c10 == null) {
            unavailable = why[0];
            return;
        }
        flag = LibTorchNative.global(c10, SYMBOLS);
        if (flag == null) {
            unavailable = "libc10 exports no FLAGS_caffe2_cpu_allocator_do_junk_fill";
            return;
        }
        setting = new CountedSetting<>(() -> flag.getByte(0) != 0, on -> flag.setByte(0, (byte) (on ? 1 : 0)));
    }

    /** True when the flag can be set. */
    public static boolean available() {
        init();
        return flag != null;
    }

    /** Why the flag cannot be set, or null when it can. */
    public static String unavailableReason() {
        init();
        return unavailable;
    }

    /** The flag's current value (false when it cannot be reached: libtorch's default). */
    public static synchronized boolean enabled() {
        return available() && flag.getByte(0) != 0;
    }

    /** Turns the fill on until the returned scope (and every other open one) is closed; a no-op where unavailable. */
    public static synchronized CountedSetting.Scope on() {
        return available() ? setting.open(saved -> true) : CountedSetting.NONE;
    }
}
