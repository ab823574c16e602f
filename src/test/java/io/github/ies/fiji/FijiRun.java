package io.github.ies.fiji;

import ij.ImagePlus;
import ij.macro.Interpreter;
import org.scijava.Cancelable;
import org.scijava.Context;
import org.scijava.command.CommandService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A command run in a test: the module as the ModuleService returns it (our model commands are DynamicCommands, for
 * which CommandService.run(...).get() gives null), with the cancel state of Cancelable modules. Also "opens" images
 * the way a headless ImageJ macro does (batch-mode images, found by title through WindowManager), so that optional
 * image inputs can name them.
 */
final class FijiRun {

    private static final List<ImagePlus> OPENED = new ArrayList<>();

    final Module module;

    private FijiRun(Module module) {
        this.module = module;
    }

    /** Runs a command with pre- and post-processing (as the tests always did) and waits for it. */
    static FijiRun run(Context context, Class<? extends org.scijava.command.Command> command, Map<String, ?> inputs) throws Exception {
        return run(context, command, true, inputs);
    }

    static FijiRun run(Context context, Class<? extends org.scijava.command.Command> command, boolean process, Map<String, ?> inputs) throws Exception {
        ModuleService modules = context.service(ModuleService.class);
        CommandService commands = context.service(CommandService.class);
        // images given as objects must be open in ImageJ, as a script's are once shown: the model commands take titles
        for (Object v : inputs.values()) if (v instanceof ImagePlus && !OPENED.contains(v)) open((ImagePlus) v);
        return new FijiRun(modules.run(commands.getCommand(command), process, new java.util.LinkedHashMap<String, Object>(inputs)).get());
    }

    boolean isCanceled() {
        return module instanceof Cancelable && ((Cancelable) module).isCanceled();
    }

    String getCancelReason() {
        return module instanceof Cancelable ? ((Cancelable) module).getCancelReason() : null;
    }

    /** An output, or a table of the command ({@link TableResults}) under its name. */
    Object getOutput(String name) {
        Object v = module.getOutput(name);
        return v != null ? v : TableResults.of(module).get(name);
    }

    Object getInput(String name) {
        return module.getInput(name);
    }

    Object getDelegateObject() {
        return module.getDelegateObject();
    }

    /** Registers an image as an open (batch-mode) image and returns its title, the value an optional image key takes. */
    static synchronized String open(ImagePlus imp) {
        Interpreter.batchMode = true;
        Interpreter.addBatchModeImage(imp);
        OPENED.add(imp);
        return imp.getTitle();
    }

    /** Closes the images {@link #open} registered and leaves batch mode. */
    static synchronized void closeAll() {
        for (ImagePlus imp : OPENED) Interpreter.removeBatchModeImage(imp);
        OPENED.clear();
        Interpreter.batchMode = false;
    }
}
