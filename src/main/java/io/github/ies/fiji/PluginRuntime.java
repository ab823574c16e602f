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

    /**
     * Runs {@code show} (windows: tables, the ROI Manager) now when ImageJ's GUI is up; when the JVM has a display but
     * ImageJ's window is not there yet (a macro given to the launcher with {@code -macro} runs before it), later, once
     * it is (a daemon thread waits up to {@value #GUI_WAIT_S} s; the command itself does not wait); headless, never.
     */
    public static void whenGuiUp(Runnable show) {
        if (java.awt.GraphicsEnvironment.isHeadless()) return;
        if (hasGui()) {
            show.run();
            return;
        }
        Thread t = new Thread(() -> {
            long end = System.nanoTime() + GUI_WAIT_S * 1_000_000_000L;
            while (IJ.getInstance() == null && System.nanoTime() < end) {
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (IJ.getInstance() != null) java.awt.EventQueue.invokeLater(show);
        }, "IES: show results when ImageJ's window is up");
        t.setDaemon(true);
        t.start();
    }

    /** How long {@link #whenGuiUp} waits for ImageJ's window. */
    static final long GUI_WAIT_S = 600;

    /** True when ImageJ's GUI is up (ROI Manager and table windows can be shown). */
    public static boolean hasGui() {
        return !java.awt.GraphicsEnvironment.isHeadless() && IJ.getInstance() != null;
    }
}
