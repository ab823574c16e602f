package io.github.ies.cli;

import io.github.ies.io.Messages;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code ies} command line. Exit codes: 0 success, 2 bad usage, 1 a failed run (with a one-line message
 * naming the problem on standard error; {@code IES_DEBUG=1} prints the stack trace).
 */
@Command(name = "ies", mixinStandardHelpOptions = true, versionProvider = IesCli.Version.class,
        description = "Instance-level explanations of 3D lesion segmentation networks (IES for Fiji).",
        subcommands = {
            // one line per subcommand; keep alphabetical
            AnalyzeCommand.class,
            BatchCommand.class,
            CollectCommand.class,
            DemoCommand.class,
            EvaluateCommand.class,
            ExperimentCommand.class,
            ExplainCommand.class,
            CommandLine.HelpCommand.class,
            InfoCommand.class,
            PhantomCommand.class,
            ReportCommand.class,
            RunCommand.class,
            SegmentCommand.class,
        })
public final class IesCli implements Runnable {

    public static final int EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (see 'ies --help')");
    }

    /** Builds the configured picocli command line (also used by tests). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new IesCli());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof CommandLine.ParameterException) throw ex;
            // a value out of range, found by the request: a usage error in this command line's words
            if (ex instanceof io.github.ies.request.InvalidRequest) {
                return cmd.getParameterExceptionHandler().handleParseException(Requests.usageError(cmd, (io.github.ies.request.InvalidRequest) ex), new String[0]);
            }
            err.println(label(cmd) + ": error: " + Messages.describe(ex));
            if (System.getenv("IES_DEBUG") != null) ex.printStackTrace(err);
            err.flush();
            return EXIT_FAILED;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println(label(cmd) + ": usage error: " + ex.getMessage());
            // an unknown option or subcommand: picocli's "Did you mean" suggestions (close names)
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + label(cmd) + " --help' for more information.");
            err.flush();
            return EXIT_USAGE;
        });
        return cl;
    }

    private static String label(CommandLine cmd) {
        if (cmd.getParent() == null) return "ies";
        return label(cmd.getParent()) + " " + cmd.getCommandName(); // nested: "ies experiment context"
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static void main(String[] args) {
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
        System.exit(execute(args));
    }

    /** Version from the jar manifest (or "development" when run from classes). */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = IesCli.class.getPackage().getImplementationVersion();
            return new String[] {"ies " + (v == null ? "development" : v)};
        }
    }
}
