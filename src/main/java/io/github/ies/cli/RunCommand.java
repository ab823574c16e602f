package io.github.ies.cli;

import io.github.ies.fiji.HeadlessRunner;
import org.scijava.command.CommandInfo;
import org.scijava.Cancelable;
import org.scijava.module.Module;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code ies run "<command>" 'key=value,...'}: a Fiji command in a headless SciJava context, with Fiji's headless syntax. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs a Fiji command of this plugin (e.g. \"Explain Lesions\") headless, as "
                + "'ImageJ-linux64 --headless --run \"<command>\" '<args>'' would.",
                "Arguments: key=value pairs separated by commas, values quoted (\"...\") or bare, as headless Fiji takes them; "
                        + "or the macro recorder's line as it is (key=value pairs separated by spaces, [bracketed] values). Keys are the "
                        + "macro keys ('ies run --list'; docs/fiji.md maps them to the command-line options). Image keys take NIfTI file "
                        + "paths. Prints the outputs (tables as CSV)."})
public final class RunCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "COMMAND", description = "command name (menu leaf), e.g. \"Explain Lesions\" "
            + "(needed unless --list)")
    String command;

    @Parameters(index = "1", arity = "0..1", paramLabel = "ARGS",
            description = "key=value,... (headless Fiji's syntax) or key=value key2=[a b] ... (what the macro recorder writes); default: none")
    String args = "";

    @Option(names = "--save", paramLabel = "DIR", description = "also save output images (TIFF) and tables (CSV) into DIR (default: none)")
    Path save;

    @Option(names = "--list", description = "list the commands and their keys, then exit")
    boolean list;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (HeadlessRunner runner = new HeadlessRunner()) {
            if (list) {
                for (CommandInfo ci : runner.commands()) {
                    StringBuilder sb = new StringBuilder(ci.getMenuPath().getLeaf().getName()).append(':');
                    for (org.scijava.module.ModuleItem<?> it : ci.inputs()) {
                        Class<?> t = it.getType();
                        if (org.scijava.service.Service.class.isAssignableFrom(t) || org.scijava.Context.class.isAssignableFrom(t)) continue;
                        sb.append(' ').append(it.getName());
                    }
                    out.println(sb);
                }
                out.flush();
                return IesCli.EXIT_OK;
            }
            if (command == null || command.isBlank()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give a command name, e.g. \"Explain Lesions\" (see 'ies run --list')");
            }
            CommandInfo info;
            java.util.Map<String, String> parsed;
            try {
                info = runner.find(command);
                parsed = HeadlessRunner.parseArgs(args);
                Module m = runner.run(info, parsed);
                if (m instanceof Cancelable && ((Cancelable) m).isCanceled()) {
                    String reason = ((Cancelable) m).getCancelReason();
                    throw new IllegalStateException(reason == null || reason.isEmpty() ? "cancelled" : reason);
                }
                HeadlessRunner.report(m, out, save);
            } catch (HeadlessRunner.UsageException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        return IesCli.EXIT_OK;
    }
}
