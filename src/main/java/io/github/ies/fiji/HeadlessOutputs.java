package io.github.ies.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.macro.Interpreter;
import org.scijava.Priority;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.process.AbstractPostprocessorPlugin;
import org.scijava.module.process.PostprocessorPlugin;
import org.scijava.plugin.Plugin;

/**
 * Makes the images an IES command returns usable by the next line of a macro that runs without ImageJ's window:
 * headless Fiji ({@code --headless -macro}, {@code -batch}), a macro started before the UI is up, or batch mode.
 * There imagej-legacy's display post-processor only logs image outputs, so {@code run("Open NIfTI (IES)", ...);
 * run("Segment Lesions", "flair=flair ...")} found no image "flair". Each image output is handed to ImageJ 1 as
 * {@code ImagePlus.show()} does in that situation (a batch-mode image that becomes the current one, found by title),
 * which is also what a macro's {@code setBatchMode(true)} gives. With ImageJ's window up, imagej-legacy shows the
 * outputs itself (in batch mode too) and this does nothing; outside a macro (a plain {@code --run}, a script) nothing
 * could use them by title.
 */
@Plugin(type = PostprocessorPlugin.class, priority = Priority.LOW)
public class HeadlessOutputs extends AbstractPostprocessorPlugin {

    @Override
    public void process(Module module) {
        if (!module.getInfo().getDelegateClassName().startsWith("io.github.ies.")) return;
        if (!needed()) return;
        for (ModuleItem<?> item : module.getInfo().outputs()) {
            Object v = module.getOutput(item.getName());
            if (v instanceof ImagePlus) register((ImagePlus) v);
        }
    }

    /** True when a macro runs without ImageJ's window (ImageJ 1 then runs it in batch mode). */
    static boolean needed() {
        return IJ.getInstance() == null && IJ.isMacro();
    }

    /** Hands an image to ImageJ 1 as a batch-mode image that becomes the current one (no window). */
    static void register(ImagePlus imp) {
        if (imp == null || imp.getStackSize() < 1 || imp.getWidth() < 1) return;
        boolean batch = Interpreter.batchMode;
        // ImagePlus.show() keeps an image without a window only in batch mode or in a macro without ImageJ's window;
        // set batch mode for the call so that it never opens a window (or fails headless)
        Interpreter.batchMode = true;
        try {
            imp.show();
        } finally {
            Interpreter.batchMode = batch;
        }
    }
}
