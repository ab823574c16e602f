package io.github.ies.cli;

import io.github.ies.model.ProgressListener;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The progress of every {@code ies} command on standard error, honest about what it knows.
 * <ul>
 * <li>On a terminal: one bar per stage, rewritten in place ({@code \r}), ended by a line break.</li>
 * <li>Anywhere else (a log file, a pipe, a test): plain lines, no {@code \r} and no ANSI codes: at each further tenth
 * of a stage, once the stage has run {@value #LINE_AFTER_SECONDS} s and at most one line per
 * {@value #LINE_EVERY_SECONDS} s, and its end.</li>
 * <li>The time left only once it means something: at least {@value #ETA_MIN_SECONDS} s and
 * {@value #ETA_MIN_PERCENT}% of the stage done (and 2 units), estimated from the rate so far.</li>
 * </ul>
 * Whether standard error is a terminal: the system property {@code ies.stderr.tty} ({@code scripts/ies} sets it from
 * {@code [ -t 2 ]}), else {@link System#console()} (which Java gives only when standard input and output are one).
 */
final class ProgressPrinter implements ProgressListener {

    static final double ETA_MIN_SECONDS = 3;
    static final int ETA_MIN_PERCENT = 5;
    static final double LINE_AFTER_SECONDS = 1, LINE_EVERY_SECONDS = 2;

    private final PrintWriter err;
    private final boolean terminal;
    private final LongSupplier clock;
    private String stage = "";
    private long t0;
    private int lastTenth = -1, lastPct = -1;
    private boolean open, ended;
    private long lastDone, lastLine;

    ProgressPrinter(PrintWriter err, boolean terminal, LongSupplier nanoClock) {
        this.err = err;
        this.terminal = terminal;
        this.clock = nanoClock;
    }

    /** The printer for a command: nothing when {@code quiet}. */
    static ProgressListener of(PrintWriter err, boolean quiet) {
        return quiet ? ProgressListener.NONE : new ProgressPrinter(err, isTerminal(), System::nanoTime);
    }

    /** Whether standard error is a terminal (see the class comment). */
    static boolean isTerminal() {
        String p = System.getProperty("ies.stderr.tty");
        if (p != null && !p.isBlank()) return Boolean.parseBoolean(p.trim());
        return System.console() != null;
    }

    @Override
    public synchronized void progress(String name, long done, long total) {
        long now = clock.getAsLong();
        if (!name.equals(stage) || done < lastDone || (ended && done < total)) {   // a new stage, or the same one again
            if (open) err.println();
            open = false;
            stage = name;
            t0 = now;
            lastTenth = -1;
            lastPct = -1;
            ended = false;
        }
        lastDone = done;
        if (done >= total && ended) return;             // a stage's end is printed once
        ended = done >= total;
        long tot = Math.max(1, total);
        int pct = (int) Math.min(100, 100 * done / tot);
        boolean end = done >= total;
        double elapsed = (now - t0) / 1e9;
        if (terminal) {
            if (pct == lastPct && !end) return;
            lastPct = pct;
            int w = 30, filled = (int) Math.min(w, (long) w * done / tot);
            err.printf(Locale.ROOT, "\r%-14s [%s%s] %d/%d (%d%%%s)   ", name, "#".repeat(filled), ".".repeat(w - filled), done, total, pct,
                    timing(done, total, elapsed));
            open = !end;
            if (end) err.println();
        } else {
            int tenth = (int) Math.min(10, 10 * done / tot);
            if (!end) {
                if (done == 0 || tenth == lastTenth || elapsed < LINE_AFTER_SECONDS) return;
                if (lastTenth >= 0 && (now - lastLine) / 1e9 < LINE_EVERY_SECONDS) return;
            }
            lastTenth = tenth;
            lastLine = now;
            err.printf(Locale.ROOT, "%s: %d/%d (%d%%%s)%n", name, done, total, pct, timing(done, total, elapsed));
        }
        err.flush();
    }

    /** ", 12 s" at the end; ", 40 s elapsed, ~2 min left" once the estimate means something; else elapsed only. */
    static String timing(long done, long total, double elapsed) {
        if (done >= total) return ", " + duration(elapsed);
        if (elapsed < 1) return "";
        String s = ", " + duration(elapsed) + " elapsed";
        if (elapsed >= ETA_MIN_SECONDS && done >= 2 && 100 * done >= (long) ETA_MIN_PERCENT * total) {
            s += ", ~" + duration(elapsed * (total - done) / done) + " left";
        }
        return s;
    }

    /** "8 s", "2 min 05 s", "1 h 03 min". */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }
}
