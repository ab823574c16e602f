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
 * Makes the images an IES command returns usable by the next line of a macro that runs while ImageJ's window is not
 * on screen: headless Fiji ({@code --headless -macro}, {@code -batch}), or a macro given to the launcher with
 * {@code -macro}, which runs before the window is shown (seen in ImageJ 2.16 + imagej-legacy 1.2.2). There
 * imagej-legacy's display post-processor only logs image outputs (headless) or shows them once the macro has ended
 * (before the window), so {@code run("Open NIfTI", ...); run("Segment Lesions", "flair=flair ...")} found no image
 * "flair". Each image output is handed to ImageJ 1 as a batch-mode image that becomes the current one and is found by
 * title, which is what ImageJ 1 does itself for a macro run without its window (it turns batch mode on; a macro
 * started before the window is shown gets batch mode the same way, here). With ImageJ's window on screen,
 * imagej-legacy shows the outputs itself and this does nothing; outside a macro (a plain {@code --run}, a script)
 * nothing could use them by title.
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

    /** True when a macro runs and ImageJ's window is not on screen (headless, or not shown yet). */
    static boolean needed() {
        return IJ.isMacro() && (IJ.getInstance() == null || !IJ.getInstance().isShowing());
    }

    /**
     * Hands an image to ImageJ 1 as a batch-mode image that becomes the current one (no window). Batch mode is turned
     * on for the rest of the macro when it is off (a macro started before ImageJ's window is shown), as ImageJ 1 does
     * for a macro without its window: only then does the macro find batch-mode images by title.
     */
    static void register(ImagePlus imp) {
        if (imp == null || imp.getStackSize() < 1 || imp.getWidth() < 1) return;
        if (!Interpreter.batchMode) Interpreter.batchMode = true;
        imp.show();
    }
}
