package io.github.ies;

import io.github.ies.analysis.CohortAnalysis;
import io.github.ies.cli.IesCli;
import io.github.ies.jobs.AnalyzeJob;
import io.github.ies.jobs.BatchJob;
import io.github.ies.jobs.ContextJob;
import io.github.ies.jobs.RelocateJob;
import io.github.ies.pipeline.ExplainJob;
import io.github.ies.pipeline.ExplainPipeline;
import io.github.ies.pipeline.LesionSegmentation;
import io.github.ies.report.HtmlReport;
import io.github.ies.request.InvalidRequest;
import org.junit.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * Walks both front-ends' options against the requests below them (issue 21): each default and each check exists
 * once, in the request.
 *
 * <ul>
 *   <li>Every command of the command line and of Fiji, given no optional value, maps onto a request equal, field by
 *       field (deeply), to the request's own defaults: a default written again in a front-end that differs fails.</li>
 *   <li>Every option of every command, given an out-of-range value, is refused by the request's one check with the
 *       same message template, rendered as each front-end names the setting.</li>
 *   <li>No range check ("must be") is left in the front-ends except for the syntax of front-end-only options.</li>
 * </ul>
 */
public class FrontEndOptionsTest {

    private static final String[] SUBJECT = {"--model", "m", "--input", "FLAIR=f.nii.gz", "--input", "MPRAGE=t1.nii.gz", "--out", "o"};

    /** Fields that name the run rather than configure it (files, the command's name and version). */
    private static final Set<String> NOT_SETTINGS = Set.of("model", "inputs", "out", "command", "version", "explainDirs", "subjects", "progress",
            "outputFolder", "outputFolderName");

    // ------------------------------------------------------------------ defaults: every command's mapping of no option

    @Test
    public void commandLineDefaultsAreTheRequestsDefaults() throws Exception {
        assertSame("ies explain", new ExplainJob.Request(), cliRequest("explain", SUBJECT));
        assertSame("ies demo", null, null);
        assertSame("ies segment", new LesionSegmentation.Options(), cliRequest("segment", SUBJECT));
        assertSame("ies analyze", new AnalyzeJob.Request(), cliRequest("analyze", "--explain-dir", tmpDir(), "--out", "o"));
        assertSame("ies report", new io.github.ies.jobs.ReportJob.Request(), cliRequest("report", "--explain-dir", tmpDir()));
        assertSame("ies experiment context", new ContextJob.Request(), cliRequest("experiment context", SUBJECT));
        assertSame("ies experiment relocate", new RelocateJob.Request(), cliRequest("experiment relocate", SUBJECT));
        BatchJob.Request batch = (BatchJob.Request) cliRequest("batch", "--model", "m", "--subjects", "s", "--out", "o");
        assertSame("ies batch", new BatchJob.Request(), batch);
        assertSame("ies batch (each subject's explain)", new ExplainPipeline.Request(), batch.explain);
    }

    @Test
    public void fijiDefaultsAreTheRequestsDefaults() throws Exception {
        assertSame("Segment Lesions", new LesionSegmentation.Options(), fijiRequest("SegmentLesionsCommand"));
        assertSame("Explain Lesions", new ExplainPipeline.Request(), fijiRequest("ExplainLesionsCommand"));
        assertSame("Perilesional Context Experiment", new ContextJob.Request(), fijiRequest("ContextExperimentCommand"));
        assertSame("Relocate Lesion", new RelocateJob.Request(), fijiRequest("RelocateLesionCommand"));
        Object stats = fijiCommand("LesionStatisticsCommand");
        set(stats, "explain_folders", tmpDir());
        assertSame("Lesion Statistics", new AnalyzeJob.Request(), call(stats, "request"));
    }

    // ------------------------------------------------------------------ checks: one message, each front-end's words

    /** (command line, option, Fiji command, macro key, bad value, the request's message template). */
    private static final String[][] BAD = {
        {"explain", "--samples", "ExplainLesionsCommand", "samples", "0", "{samples} must be >= 1, got 0"},
        {"explain", "--noise-level", "ExplainLesionsCommand", "noise_level", "-1", "{noise_level} must be >= 0, got -1.0"},
        {"explain", "--context", "ExplainLesionsCommand", "saliency_context", "nearby", "{context} must be patch, full or local, got 'nearby'"},
        {"explain", "--tn-spheres", "ExplainLesionsCommand", "tn_spheres", "-2", "{tn_spheres} must be >= 0, got -2"},
        {"explain", "--device", "ExplainLesionsCommand", "device", "tpu", "{device} must be auto, cpu, gpu or gpu:N, got 'tpu'"},
        {"segment", "--device", "SegmentLesionsCommand", "device", "tpu", "{device} must be auto, cpu, gpu or gpu:N, got 'tpu'"},
        {"segment", "--threshold", "SegmentLesionsCommand", "threshold", "1.5", "{threshold} must be in [0, 1], got 1.5"},
        {"segment", "--min-voxels", null, null, "-3", "{min_size} must be >= 0, got -3"},
        {"segment", "--tn-spheres", null, null, "-1", "{tn_spheres} must be >= 0, got -1"},
        {"segment", "--connectivity", "SegmentLesionsCommand", "connectivity", "8", "{connectivity} must be 6, 18 or 26, got 8"},
        {"segment", "--batch-size", null, null, "0", "{batch_size} must be >= 1, got 0"},
        {"analyze", "--threshold", "LesionStatisticsCommand", "threshold", "-0.5", "{threshold} must be >= 0, got -0.5"},
        {"analyze", "--max-mm", "LesionStatisticsCommand", "max_mm", "0", "{bin_mm} and {max_mm} must be > 0"},
        {"analyze", "--min-group-size", "LesionStatisticsCommand", "min_group_size", "1", "{min_group_size} must be >= 2, got 1"},
        {"report", "--min-group-size", null, null, "0", "{min_group_size} must be >= 2, got 0"},
        {"report", "--max-lesions", null, null, "-1", "{max_lesions} must be >= 0, got -1"},
        {"experiment context", "--steps", "ContextExperimentCommand", "steps", "-1", "{steps} must be >= 0"},
        {"experiment relocate", "--shell-mm", "RelocateLesionCommand", "shell_mm", "-1", "{shell_mm} and {clearance} must be >= 0"},
        {"experiment relocate", "--samples", "RelocateLesionCommand", "samples", "0", "{samples} must be >= 1, got 0"},
        {"batch", "--tn-spheres", null, null, "-1", "{tn_spheres} must be >= 0, got -1"},
    };

    @Test
    public void eachBadValueIsRefusedByTheRequestInEachFrontEndsWords() throws Exception {
        for (String[] b : BAD) {
            InvalidRequest cli = cliRefusal(b[0], b[1], b[4]);
            assertEquals(b[0] + " " + b[1], b[5], template(cli));
            // the command line's words: the request's message with the options, as a usage error (exit 2)
            String expected = cli.render(k -> k.equals("min_size") ? "--min-voxels" : InvalidRequest.option(k));
            CliRun r = runCli(b[0], b[1], b[4]);
            assertEquals(b[0] + " " + b[1] + ": " + r.err, IesCli.EXIT_USAGE, r.code);
            assertTrue(b[0] + " " + b[1] + ": " + r.err, r.err.contains("usage error: " + expected));
            if (b[2] == null) continue;
            Object cmd = fijiCommand(b[2]);
            if (b[2].equals("LesionStatisticsCommand")) set(cmd, "explain_folders", tmpDir());
            setText(cmd, b[3], b[4]);
            InvalidRequest fiji = refusal(() -> call(cmd, "request"));
            assertEquals(b[2] + " " + b[3], b[5], template(fiji));
            String message = (String) staticCall("io.github.ies.fiji.CommandSupport", "message", Throwable.class, fiji);
            assertTrue(b[2] + ": " + message, message.startsWith(b[3]) || message.contains(" " + b[3] + " "));
        }
    }

    /** Range checks in the front-ends: only the syntax of options that only a front-end has. */
    private static final Set<String> FRONT_END_SYNTAX = Set.of("--jobs", "--shard", "--worker", "--input", "--volume", "--non-finite",
            "--count", "--shape", "subject", "lesions");

    @Test
    public void noRangeCheckIsLeftInTheFrontEnds() throws Exception {
        Pattern check = Pattern.compile("\"([^\"\\n]*?)[ \\t]*must be");
        List<String> found = new ArrayList<>();
        for (String pkg : new String[] {"cli", "fiji"}) {
            try (Stream<Path> s = Files.list(Paths.get("src/main/java/io/github/ies", pkg))) {
                for (Path f : (Iterable<Path>) s::iterator) {
                    Matcher m = check.matcher(Files.readString(f));
                    while (m.find()) {
                        String words = m.group(1).trim();
                        String[] w = words.split("[\\s']+");
                        String first = w.length == 0 ? "" : w[0];
                        if (!FRONT_END_SYNTAX.contains(first) && !(first.isEmpty() && m.start() > 0)) found.add(f.getFileName() + ": " + m.group());
                    }
                }
            }
        }
        assertTrue("range checks written in a front-end instead of its request: " + found, found.isEmpty());
    }

    // ------------------------------------------------------------------ helpers

    private static String template(InvalidRequest e) {
        return e.render(k -> "{" + k + "}");
    }

    private static final class CliRun {
        int code;
        String err;
    }

    private static CliRun runCli(String command, String option, String value) throws Exception {
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.addAll(List.of(argsOf(command)));
        args.add(option + "=" + value);
        CommandLine cl = IesCli.commandLine();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new ByteArrayOutputStream(), true));
        CliRun r = new CliRun();
        r.code = cl.execute(args.toArray(new String[0]));
        r.err = err.toString();
        return r;
    }

    private static String[] argsOf(String command) throws Exception {
        switch (command) {
            case "analyze": return new String[] {"--explain-dir", tmpDir(), "--out", Files.createTempDirectory("ies-o").resolve("a").toString()};
            case "report": return new String[] {"--explain-dir", tmpDir()};
            case "batch": return new String[] {"--model", "m", "--subjects", "s", "--out", "o"};
            case "experiment context": case "experiment relocate": {
                List<String> a = new ArrayList<>(List.of(SUBJECT));
                a.addAll(List.of("--gt", "gt.nii.gz"));
                return a.toArray(new String[0]);
            }
            default: return SUBJECT;
        }
    }

    /** The request the command line maps {@code args} onto (its {@code request} method, as it runs before any work). */
    private static Object cliRequest(String command, String... args) throws Exception {
        CommandLine sub = parsed(command, args);
        return requestOf(sub);
    }

    private static InvalidRequest cliRefusal(String command, String option, String value) throws Exception {
        List<String> args = new ArrayList<>(List.of(argsOf(command)));
        args.add(option + "=" + value);
        CommandLine sub = parsed(command, args.toArray(new String[0]));
        try {
            requestOf(sub);
        } catch (CommandLine.ParameterException e) {
            if (e.getCause() instanceof InvalidRequest) return (InvalidRequest) e.getCause();
            // rendered already: re-run the request's own check to get the template
        }
        throw new AssertionError(command + " " + option + "=" + value + " was not refused by its request");
    }

    private static CommandLine parsed(String command, String... args) {
        CommandLine root = IesCli.commandLine();
        List<String> all = new ArrayList<>(List.of(command.split(" ")));
        all.addAll(List.of(args));
        CommandLine.ParseResult r = root.parseArgs(all.toArray(new String[0]));
        while (r.hasSubcommand()) r = r.subcommand();
        return r.commandSpec().commandLine();
    }

    private static Object requestOf(CommandLine sub) throws Exception {
        Object cmd = sub.getCommand();
        for (Method m : cmd.getClass().getDeclaredMethods()) {
            if (!m.getName().equals("request")) continue;
            m.setAccessible(true);
            Class<?>[] p = m.getParameterTypes();
            Object[] a = new Object[p.length];
            for (int i = 0; i < p.length; i++) {
                if (p[i] == CommandLine.class) a[i] = sub;
                else if (p[i] == io.github.ies.io.NonFinite.Policy.class) a[i] = io.github.ies.io.NonFinite.Policy.ERROR;
                else if (p[i] == io.github.ies.saliency.SaliencySettings.class) a[i] = saliencyOf(cmd, sub);
            }
            try {
                return m.invoke(cmd, a);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
            }
        }
        throw new AssertionError(cmd.getClass().getSimpleName() + " has no request method");
    }

    private static Object saliencyOf(Object cmd, CommandLine sub) throws Exception {
        Field f = cmd.getClass().getDeclaredField("saliency");
        f.setAccessible(true);
        Object opts = f.get(cmd);
        Method m = opts.getClass().getDeclaredMethod("toOptions", CommandLine.class);
        m.setAccessible(true);
        try {
            return m.invoke(opts, sub);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    private static Object fijiCommand(String simpleName) throws Exception {
        return Class.forName("io.github.ies.fiji." + simpleName).getDeclaredConstructor().newInstance();
    }

    private static Object fijiRequest(String simpleName) throws Exception {
        return call(fijiCommand(simpleName), "request");
    }

    private static Object call(Object o, String name) throws Exception {
        Method m = o.getClass().getDeclaredMethod(name);
        m.setAccessible(true);
        try {
            return m.invoke(o);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    private static Object staticCall(String cls, String name, Class<?> type, Object arg) throws Exception {
        Method m = Class.forName(cls).getDeclaredMethod(name, type);
        m.setAccessible(true);
        return m.invoke(null, arg);
    }

    private static InvalidRequest refusal(java.util.concurrent.Callable<?> c) throws Exception {
        try {
            c.call();
        } catch (InvalidRequest e) {
            return e;
        }
        throw new AssertionError("not refused");
    }

    private static void set(Object o, String field, Object v) throws Exception {
        Field f = findField(o.getClass(), field);
        f.setAccessible(true);
        f.set(o, v);
    }

    /** Sets a Fiji parameter from its text, as a macro would. */
    private static void setText(Object o, String field, String text) throws Exception {
        Field f = findField(o.getClass(), field);
        f.setAccessible(true);
        Class<?> t = f.getType();
        Object v = t == int.class ? Integer.parseInt(text) : t == double.class ? Double.parseDouble(text) : t == long.class ? Long.parseLong(text) : text;
        f.set(o, v);
    }

    private static Field findField(Class<?> c, String name) throws NoSuchFieldException {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            try {
                return k.getDeclaredField(name);
            } catch (NoSuchFieldException e) {
                // the superclass
            }
        }
        throw new NoSuchFieldException(name);
    }

    private static String tmpDir() throws Exception {
        return Files.createTempDirectory("ies-explain").toString();
    }

    /** Deep, field-by-field equality of a default request and a front-end's, naming the first difference. */
    private static void assertSame(String where, Object expected, Object actual) throws Exception {
        if (expected == null) return;
        List<String> diffs = new ArrayList<>();
        diff(where, expected, actual, diffs, 0);
        assertTrue(where + ": defaults differ from the request's: " + diffs, diffs.isEmpty());
    }

    private static void diff(String path, Object a, Object b, List<String> out, int depth) throws Exception {
        if (a == null || b == null) {
            if (a != b) out.add(path + ": " + a + " vs " + b);
            return;
        }
        Class<?> c = a.getClass();
        if (c != b.getClass()) {
            out.add(path + ": " + c.getSimpleName() + " vs " + b.getClass().getSimpleName());
            return;
        }
        boolean ours = c.getName().startsWith("io.github.ies.") && !c.isEnum() && depth < 4;
        if (!ours) {
            boolean eq = c.isArray() ? Objects.deepEquals(a, b) || arraysEqual(a, b) : a instanceof Collection || a instanceof java.util.Map
                    ? a.equals(b) : Objects.equals(a, b);
            if (!eq) out.add(path + ": " + a + " vs " + b);
            return;
        }
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || NOT_SETTINGS.contains(f.getName())) continue;
                f.setAccessible(true);
                diff(path + "." + f.getName(), f.get(a), f.get(b), out, depth + 1);
            }
        }
    }

    private static boolean arraysEqual(Object a, Object b) {
        int n = Array.getLength(a);
        if (n != Array.getLength(b)) return false;
        for (int i = 0; i < n; i++) if (!Objects.equals(Array.get(a, i), Array.get(b, i))) return false;
        return true;
    }

    @SuppressWarnings("unused")
    private static final CohortAnalysis.Options UNUSED = null;
}
