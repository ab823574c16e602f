package io.github.ies.fiji;

import org.scijava.Cancelable;
import org.scijava.Priority;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.console.AbstractConsoleArgument;
import org.scijava.console.ConsoleArgument;
import org.scijava.log.LogService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.startup.StartupService;

import java.io.PrintStream;
import java.util.LinkedList;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.IntConsumer;

/**
 * Headless Fiji's {@code --run "<IES command>" '<arguments>'} (ImageJ-linux64 --headless --console --run ...), done so
 * that the run completes before the process ends and says whether it worked.
 *
 * <p>scijava-common's own {@code --run} ({@code org.scijava.run.console.RunArgument} -> {@code CommandCodeRunner})
 * waits for {@code CommandService.run(...)}'s future; for a command that is a {@code Module} itself (our model
 * commands are {@code DynamicCommand}s, so that their dialogs list the open images) that future is null: the runner
 * logs a NullPointerException, does not wait, the gateway disposes the context after start-up and the process exits 0
 * with the command cut off (seen in ImageJ 2.16 + imagej-legacy 1.2.2). This argument, ranked above it, takes
 * {@code --run} for IES's commands only (by menu leaf, label or class name: "Open NIfTI" and "Open NIfTI (IES)" both
 * work), reads the arguments in headless Fiji's syntax ({@code key="value",key2=3}) or the macro recorder's
 * ({@code key=value key2=[a value]}), resolves image inputs as {@link ImageInputs} does (NIfTI paths through IES's
 * reader), runs the command through the ModuleService as a start-up operation (where {@code --run} runs) and waits
 * for it. A failed or cancelled run prints one line, {@code <command>: <why>}, on standard error and ends the
 * process with status 1 (2 for arguments the command does not take); a successful one returns and the gateway shuts
 * down as usual (status 0). Headless only: with ImageJ's window up nothing is cut off, and a failure must not close it.
 */
@Plugin(type = ConsoleArgument.class, priority = Priority.HIGH)
public class ConsoleRun extends AbstractConsoleArgument {

    /** Exit status of a failed run. */
    public static final int FAILED = 1;
    /** Exit status of arguments the command does not take. */
    public static final int USAGE = 2;

    /** How the process ends after a failure: {@code System.exit}; tests replace it. */
    static volatile IntConsumer exit = System::exit;
    /** Where the failure line goes. */
    static volatile PrintStream err = System.err;
    /** Whether ImageJ runs headless (the launcher's {@code --headless}); tests replace it. */
    static volatile java.util.function.BooleanSupplier headless = java.awt.GraphicsEnvironment::isHeadless;

    @Parameter
    private CommandService commands;

    @Parameter
    private ModuleService modules;

    @Parameter
    private StartupService startup;

    @Parameter(required = false)
    private LogService log;

    public ConsoleRun() {
        super(2, "--run");
    }

    /**
     * Headless runs only: with ImageJ's window the process must not end when the command fails or its dialog is
     * cancelled, so there scijava-common's own {@code --run} starts the command as before (it runs; only its future
     * is missing).
     */
    @Override
    public boolean supports(LinkedList<String> args) {
        return headless.getAsBoolean() && super.supports(args) && IesCommands.find(commands, args.get(1)) != null;
    }

    @Override
    public void handle(LinkedList<String> args) {
        if (!supports(args)) return;
        args.removeFirst();                                   // --run
        CommandInfo info = IesCommands.find(commands, args.removeFirst());
        String arguments = getParam(args);
        if (arguments != null) args.removeFirst();
        startup.addOperation(() -> run(info, arguments));
    }

    /** Runs the command and waits; on failure prints one line and ends the process ({@link #exit}). */
    void run(CommandInfo info, String arguments) {
        String title = info.getMenuPath().getLeaf().getName();
        Failures.consoleRunStarted();
        try {
            Map<String, Object> inputs;
            try {
                inputs = CommandInputs.inputs(info, MacroArgs.parse(arguments));
            } catch (HeadlessRunner.UsageException e) {
                fail(USAGE, title + ": " + e.getMessage());
                return;
            } catch (IllegalArgumentException e) {
                fail(FAILED, title + ": " + e.getMessage());
                return;
            }
            Module m;
            try {
                m = modules.run(info, true, inputs).get();
            } catch (ExecutionException e) {
                Throwable c = e.getCause() == null ? e : e.getCause();
                fail(FAILED, title + ": " + (c.getMessage() == null ? c.toString() : c.getMessage()));
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(FAILED, title + ": interrupted");
                return;
            }
            if (m instanceof Cancelable && ((Cancelable) m).isCanceled()) {
                String reason = ((Cancelable) m).getCancelReason();
                // the commands' reasons start with their title; the framework's (a required input unset) do not
                fail(FAILED, reason == null || reason.isBlank() ? title + ": cancelled" : reason.startsWith(title) ? reason : title + ": " + reason);
            }
        } finally {
            Failures.consoleRunEnded();
        }
    }

    private void fail(int status, String line) {
        err.println(line.replace('\n', ' '));
        err.flush();
        exit.accept(status);
    }
}
