package io.github.ies.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the {@code ies} command line in-process, capturing its exit code, standard output and standard error. */
public final class CliRun {

    public final int rc;
    public final String out;
    public final String err;

    private CliRun(int rc, String out, String err) {
        this.rc = rc;
        this.out = out;
        this.err = err;
    }

    public static CliRun of(String... args) {
        CommandLine cl = IesCli.commandLine();
        StringWriter e = new StringWriter(), o = new StringWriter();
        cl.setErr(new PrintWriter(e, true));
        cl.setOut(new PrintWriter(o, true));
        int rc = cl.execute(args);
        return new CliRun(rc, o.toString(), e.toString());
    }
}
