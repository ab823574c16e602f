package io.github.ies.fiji;

import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.convert.ConvertService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs one of our SciJava commands the way headless Fiji does ({@code --headless --run "Command" 'key="value",...'}),
 * in a headless SciJava context without ImageJ's GUI: image parameters given as file paths are read with our NIfTI
 * reader; other values (optional images included: {@code none}, a title or a path, see {@link OptionalImages}) are
 * converted by SciJava's ConvertService. Used by {@code ies run}. Its parts: the arguments' two syntaxes
 * ({@link MacroArgs}), the command lookup ({@link IesCommands}), the inputs ({@link CommandInputs}) and the printed
 * outputs ({@link ModuleReport}).
 */
public final class HeadlessRunner implements AutoCloseable {

    /** A usage problem (unknown command or key, malformed arguments). */
    public static final class UsageException extends IllegalArgumentException {
        public UsageException(String message) {
            super(message);
        }
    }

    private final Context context;
    private final CommandService commands;
    private final ModuleService modules;

    public HeadlessRunner() {
        context = new Context(CommandService.class, ConvertService.class, org.scijava.app.StatusService.class);
        commands = context.service(CommandService.class);
        modules = context.service(ModuleService.class);
    }

    /** Our commands (menu path under Plugins > Instance Saliency), by title. */
    public List<CommandInfo> commands() {
        return IesCommands.commands(commands);
    }

    /** The command named by its menu leaf ("Explain Lesions"), label, or class name (simple or full). */
    public CommandInfo find(String name) {
        CommandInfo ci = IesCommands.find(commands, name);
        if (ci != null) return ci;
        List<String> names = new ArrayList<>();
        for (CommandInfo c : commands()) names.add(c.getMenuPath().getLeaf().getName());
        throw new UsageException("no command '" + name + "' (commands: " + String.join(", ", names) + ")");
    }

    /**
     * Runs a command with string arguments ({@link CommandInputs#inputs}) through the ModuleService with pre- and post-processing
     * and waits for it (our model commands are DynamicCommands, for which {@code CommandService.run(...)} gives no
     * future).
     */
    public Module run(CommandInfo info, Map<String, String> args) throws Exception {
        return modules.run(info, true, CommandInputs.inputs(info, args)).get();
    }

    /** A command's arguments in either syntax Fiji uses ({@link MacroArgs#parse}). */
    public static Map<String, String> parseArgs(String args) {
        return MacroArgs.parse(args);
    }

    /**
     * Prints a module's outputs (images described, tables as CSV) and, when {@code saveDir} is not null, saves
     * images as TIFF and tables as CSV there ({@link ModuleReport}).
     */
    public static void report(Module m, PrintWriter out, Path saveDir) throws IOException {
        ModuleReport.report(m, out, saveDir);
    }

    @Override
    public void close() {
        context.dispose();
    }
}
