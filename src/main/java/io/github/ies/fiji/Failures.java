package io.github.ies.fiji;

import org.scijava.log.LogService;

/**
 * How a command that failed says so: its cancel reason (which every caller can read) and one error line in the log,
 * except while headless Fiji's {@code --run} waits for it ({@link ConsoleRun}), which prints the reason itself as the
 * run's one line and exits non-zero.
 */
final class Failures {

    private static volatile int consoleRuns;

    private Failures() {}

    /** Logs {@code line} as an error unless a console run will print it. */
    static void log(LogService log, String line) {
        if (log != null && consoleRuns == 0) log.error(line);
    }

    static void consoleRunStarted() {
        consoleRuns++;
    }

    static void consoleRunEnded() {
        consoleRuns--;
    }
}
