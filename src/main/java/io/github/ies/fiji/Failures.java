package io.github.ies.fiji;

import org.scijava.log.LogService;

/**
 * How a command that failed says so: its cancel reason (which every caller can read) and one error line in the log,
 * except while headless Fiji's {@code --run} waits for it ({@link ConsoleRun}), which prints the reason itself as the
 * run's one line and exits non-zero.
 */
final class Failures {

    /** Headless console runs waiting (one at a time in practice: the launcher's {@code --run}). */
    private static final java.util.concurrent.atomic.AtomicInteger CONSOLE_RUNS = new java.util.concurrent.atomic.AtomicInteger();

    private Failures() {}

    /** Logs {@code line} as an error unless a console run will print it. */
    static void log(LogService log, String line) {
        if (log != null && CONSOLE_RUNS.get() == 0) log.error(line);
    }

    static void consoleRunStarted() {
        CONSOLE_RUNS.incrementAndGet();
    }

    static void consoleRunEnded() {
        CONSOLE_RUNS.decrementAndGet();
    }
}
