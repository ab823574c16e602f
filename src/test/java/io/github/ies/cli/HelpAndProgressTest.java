package io.github.ies.cli;

import org.junit.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** Every option's --help line names its default; the progress printer's line mode, bar mode and time estimates. */
public class HelpAndProgressTest {

    /** Every non-boolean, optional, visible option of every subcommand says its default in its description. */
    @Test
    public void helpShowsEveryDefault() {
        List<String> missing = new ArrayList<>();
        check(IesCli.commandLine(), missing);
        assertTrue("options whose --help line names no default: " + missing, missing.isEmpty());
    }

    private static void check(CommandLine cl, List<String> missing) {
        for (CommandLine.Model.OptionSpec o : cl.getCommandSpec().options()) {
            if (o.hidden() || o.required() || o.usageHelp() || o.versionHelp()) continue;
            Class<?> t = o.type();
            if (t == boolean.class || t == Boolean.class) continue;
            String d = String.join(" ", o.description());
            if (!d.toLowerCase(java.util.Locale.ROOT).contains("default")) missing.add(cl.getCommandName() + " " + o.longestName());
        }
        for (CommandLine sub : cl.getSubcommands().values()) check(sub, missing);
    }

    @Test
    public void explainHelpShowsTheSampleAndContextDefaults() {
        CliRun r = CliRun.of("explain", "--help");
        assertEquals(0, r.rc);
        String h = r.out.replaceAll("\\s+", " ");
        assertTrue(h, h.contains("(default: 50;"));
        assertTrue(h, h.contains("patch, full or local (default: patch)"));
        CliRun d = CliRun.of("demo", "--help");
        assertTrue(d.out, d.out.replaceAll("\\s+", " ").contains("(default: 2;"));
    }

    private static final class Clock {
        final AtomicLong ns = new AtomicLong();
        void seconds(double s) { ns.addAndGet((long) (s * 1e9)); }
    }

    @Test
    public void lineModeWritesPlainLinesPerTenthWithoutCarriageReturns() {
        StringWriter sw = new StringWriter();
        Clock c = new Clock();
        ProgressPrinter p = new ProgressPrinter(new PrintWriter(sw), false, c.ns::get);
        for (int i = 0; i <= 84; i++) {
            p.progress("explain", i, 84);
            c.seconds(1.5);
        }
        String s = sw.toString();
        assertFalse(s, s.contains("\r"));
        assertFalse(s, s.contains("\u001b"));
        String[] lines = s.split("\n");
        assertEquals(s, 11, lines.length);              // the first unit, each further tenth (9), the end
        assertTrue(lines[0], lines[0].startsWith("explain: 1/84 (1%, 2 s elapsed)"));
        assertFalse("no estimate after one step of 84: " + lines[0], lines[0].contains("left"));
        assertTrue(lines[1], lines[1].startsWith("explain: 9/84 (10%, ") && lines[1].contains("~1 min 53 s left"));
        assertTrue(lines[10], lines[10].equals("explain: 84/84 (100%, 2 min 06 s)"));
    }

    @Test
    public void barModeRewritesOneLineAndEndsItAndEstimatesOnlyOnceMeaningful() {
        StringWriter sw = new StringWriter();
        Clock c = new Clock();
        ProgressPrinter p = new ProgressPrinter(new PrintWriter(sw), true, c.ns::get);
        p.progress("explain", 0, 84);
        c.seconds(10);
        p.progress("explain", 2, 84);                    // 2%: no estimate yet however long it took
        String s = sw.toString();
        assertTrue(s, s.startsWith("\rexplain"));
        assertFalse(s, s.contains("left"));
        c.seconds(10);
        p.progress("explain", 5, 84);                    // 6%, 20 s: 20 / 5 x 79 = 316 s
        assertTrue(sw.toString(), sw.toString().contains("~5 min 16 s left"));
        p.progress("segment", 1, 2);                     // a new stage ends the open line first
        assertTrue(sw.toString(), sw.toString().contains("left)   \n\rsegment"));
        p.progress("segment", 2, 2);
        assertTrue(sw.toString().endsWith("\n"));
    }

    @Test
    public void noEstimateBeforeThreeSecondsOrFivePercent() {
        assertEquals("", ProgressPrinter.timing(1, 100, 0.5));
        assertEquals(", 2 s elapsed", ProgressPrinter.timing(50, 100, 2));
        assertEquals(", 10 s elapsed", ProgressPrinter.timing(4, 100, 10));
        assertEquals(", 10 s elapsed, ~3 min 10 s left", ProgressPrinter.timing(5, 100, 10));
        assertEquals(", 1 h 01 min", ProgressPrinter.timing(9, 9, 3700));
    }
}
