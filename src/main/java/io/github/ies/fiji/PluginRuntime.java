package io.github.ies.fiji;

import ij.IJ;
import io.github.ies.model.ProgressListener;
import org.scijava.app.StatusService;

import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

/** What the Fiji commands need around the engine: DJL's class loader, progress and cancellation. */
public final class PluginRuntime {

    private PluginRuntime() {}

    /**
     * Runs {@code work} with the thread context class loader set to the plugin's class loader, so that DJL finds
     * its PyTorch engine inside Fiji (whose thread context loader may not see the plugin's jars); restores it after.
     */
    public static <T> T withPluginClassLoader(Callable<T> work) throws Exception {
        Thread th = Thread.currentThread();
        ClassLoader old = th.getContextClassLoader();
        th.setContextClassLoader(PluginRuntime.class.getClassLoader());
        try {
            return work.call();
        } finally {
            th.setContextClassLoader(old);
        }
    }

    /**
     * A progress listener that reports to the StatusService (when present) and to ImageJ's progress bar (when the
     * ImageJ window is open), and is cancelled when {@code cancelled} says so or Esc was pressed in ImageJ.
     */
    public static ProgressListener progress(String command, StatusService status, BooleanSupplier cancelled) {
        return new ProgressListener() {
            @Override
            public void progress(String stage, long done, long total) {
                int t = (int) Math.min(Integer.MAX_VALUE, Math.max(1, total));
                int d = (int) Math.min(t, done);
                if (status != null) status.showStatus(d, t, command + ": " + stage + " " + d + "/" + t);
                if (IJ.getInstance() != null) {
                    IJ.showProgress(d, t);
                    IJ.showStatus(command + ": " + stage + " " + d + "/" + t);
                }
            }

            @Override
            public boolean isCancelled() {
                return cancelled.getAsBoolean() || (IJ.getInstance() != null && IJ.escapePressed());
            }
        };
    }

    /** True when ImageJ's GUI is up (ROI Manager and table windows can be shown). */
    public static boolean hasGui() {
        return !java.awt.GraphicsEnvironment.isHeadless() && IJ.getInstance() != null;
    }
}
