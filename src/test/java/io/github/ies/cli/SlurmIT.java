package io.github.ies.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.BatchMarkers;
import io.github.ies.io.OutputFolder;
import io.github.ies.phantom.PhantomGenerator;
import io.github.ies.phantom.PhantomSpec;
import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.Assert.*;

/**
 * Issue 23: {@code ies batch} as SLURM array jobs on a real one-node SLURM (scripts/slurm-local: munge, slurmctld and
 * slurmd in target/slurm-it, installed from Debian's packages when missing, stopped by their pids at the end). An
 * 8-subject phantom cohort (32^3 voxels, SmoothGrad-max with N = 2; subjects without ground truth, so that only the
 * few small predicted lesions are explained, except p3, whose ground truth adds a slow FN lesion that a cancellation
 * can hit in its middle) is explained once without the scheduler ({@code ies batch}, the reference of every test), then:
 * <ul>
 * <li>the 4-task array of the script {@code ies batch --slurm-script} writes: every subject done once, by the task
 * whose shard holds it, outputs bitwise equal to the reference, the collected cohort table equal to the reference's;</li>
 * <li>the folder locks under the scheduler: the same shard (1/1, the whole cohort) submitted twice, both jobs running
 * at the same time on the node's 2 CPUs: each subject done exactly once (the markers name the job that did it, and
 * both jobs did some), nothing half-written, outputs bitwise equal to the reference;</li>
 * <li>scancel of a running task in the middle of a subject (SIGTERM): nothing half-written, collect lists the subject
 * as unfinished with the scheduler's CANCELLED line, the resubmitted array completes with no subject done twice and
 * outputs bitwise equal to the reference;</li>
 * <li>a task over its memory request ({@code --task-memory 200}, below the JVM's need) is killed by SLURM and collect
 * lists its subjects as not finished with SLURM's reason ("exceeded memory limit").</li>
 * </ul>
 * Where SLURM cannot be started (not root, no apt-get), the tests are skipped with the reason in one line.
 */
public class SlurmIT extends CliTestBase {

    private static Path cluster, cohort, reference;
    private static Map<String, String> env;

    private static final int SUBJECTS = 8;
    /** The subject with ground truth: a large FN lesion makes it the slow one (seconds, not a fraction of one). */
    private static final String SLOW = "p3";

    @BeforeClass
    public static void startSlurm() throws Exception {
        Path root = Paths.get("target", "slurm-it").toAbsolutePath();
        cluster = root.resolve("cluster");
        if (Files.exists(root.resolve("work"))) OutputFolder.deleteTree(root.resolve("work"));
        Files.createDirectories(cluster);
        Process p = new ProcessBuilder("scripts/slurm-local", "start", cluster.toString()).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        if (p.exitValue() != 0) {
            String why = said.lines().filter(l -> l.contains("cannot start")).findFirst().orElse(said.replace('\n', ' '));
            System.err.println("SlurmIT skipped: " + why);
            Assume.assumeTrue("SlurmIT skipped: " + why, false);
        }
        env = Map.of("SLURM_CONF", cluster.resolve("slurm.conf").toString());
        Path work = Files.createDirectories(root.resolve("work"));
        cohort = work.resolve("cohort");
        for (int s = 1; s <= SUBJECTS; s++) {
            Path dir = cohort.resolve("p" + s);
            PhantomGenerator.generate(new PhantomSpec(500 + s, new int[] {32, 32, 32}, 6.0, 2)).write(dir);
            if (!dir.getFileName().toString().equals(SLOW)) Files.delete(dir.resolve("lesions.nii.gz"));
        }
        reference = work.resolve("single");                 // the single-machine reference, computed once for every test
        CliRun r = CliRun.of(batchArgs(reference));
        assertEquals(r.err, 0, r.rc);
    }

    @AfterClass
    public static void stopSlurm() throws Exception {
        if (cluster == null || env == null) return;
        try {
            sh("scancel", "-u", System.getProperty("user.name"));
        } finally {
            new ProcessBuilder("scripts/slurm-local", "stop", cluster.toString()).inheritIO().start().waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static String[] batchArgs(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("batch", "--subjects", cohort.toString(), "--out", out.toString(), "--model", tinyBundle(),
                "--methods", "smoothgrad-max", "--samples", "2", "--device", "cpu", "--threshold", "0.6", "--min-size", "3", "--threads", "1",
                "--tn-spheres", "0"));
        a.addAll(Arrays.asList(extra));
        return a.toArray(new String[0]);
    }

    /** The array script of {@code tasks} tasks for {@code out}, written by {@code ies batch --slurm-script}. */
    private Path script(Path out, String name, int tasks, String... extra) throws IOException {
        Path file = out.resolveSibling(name + ".sh");
        List<String> a = new ArrayList<>(List.of("--slurm-script", file.toString(), "--array-tasks", "" + tasks, "--cpus-per-task", "1",
                "--task-heap", "1", "--task-minutes", "10"));
        a.addAll(Arrays.asList(extra));
        CliRun r = CliRun.of(batchArgs(out, a.toArray(new String[0])));
        assertEquals(r.err, 0, r.rc);
        String text = Files.readString(file);
        assertTrue(text, text.contains("#SBATCH --array=1-" + tasks + "\n") && text.contains("#SBATCH --requeue") && text.contains("%A_%a.log")
                && text.contains("#SBATCH --mem=") && text.contains("--shard \"$i/$n\"") && text.contains("#SBATCH --cpus-per-task=1\n"));
        return file;
    }

    private static String sh(String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not end in 60 s: " + s);
        }
        if (p.exitValue() != 0) throw new AssertionError(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + s);
        return s.strip();
    }

    private static String sbatch(Path script) throws Exception {
        String out = sh("sbatch", "--parsable", script.toString());
        return out.lines().filter(l -> l.matches("\\d+(;.*)?")).findFirst().orElseThrow(() -> new AssertionError("sbatch said " + out)).split(";")[0];
    }

    /** Polls squeue every 200 ms (sbatch --wait polls every few seconds) until none of the jobs is queued or running. */
    private static void awaitJobEnd(String... jobs) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (!sh("squeue", "-h", "-j", String.join(",", jobs)).isEmpty()) {
            if (System.nanoTime() > end) throw new AssertionError("jobs " + String.join(",", jobs) + " still queued after 240 s: " + sh("squeue"));
            Thread.sleep(200);
        }
    }

    /** How often each subject is reported "done in" by all the task logs in {@code logs}. */
    private static Map<String, Integer> doneCounts(Path logs) throws IOException {
        Map<String, Integer> n = new TreeMap<>();
        Pattern p = Pattern.compile("ies batch: (\\S+): done in ");
        try (Stream<Path> st = Files.list(logs)) {
            for (Path f : st.toList()) {
                for (String l : Files.readAllLines(f)) {
                    Matcher m = p.matcher(l);
                    if (m.find()) n.merge(m.group(1), 1, Integer::sum);
                }
            }
        }
        return n;
    }

    private static Map<String, Integer> once() {
        Map<String, Integer> n = new TreeMap<>();
        for (int s = 1; s <= SUBJECTS; s++) n.put("p" + s, 1);
        return n;
    }

    /** The SLURM job (array job_task) that each subject's done marker names. */
    private static Map<String, String> doneBy(Path out) throws IOException {
        Map<String, String> by = new TreeMap<>();
        for (int s = 1; s <= SUBJECTS; s++) {
            JsonObject task = JsonParser.parseString(Files.readString(out.resolve("p" + s).resolve(BatchMarkers.DONE))).getAsJsonObject()
                    .getAsJsonObject("task");
            assertTrue("p" + s + ": " + task, task.has("host") && task.has("pid") && task.has("slurm_job"));
            by.put("p" + s, task.get("slurm_job").getAsString());
        }
        return by;
    }

    /** The cohort table without its timing column. */
    private static String table(Path summary) throws IOException {
        LesionTable t = LesionTable.read(summary);
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < t.rowCount(); r++) {
            for (String c : t.columns()) if (!c.equals("seconds")) b.append(c).append('=').append(t.get(r, c)).append(' ');
            b.append('\n');
        }
        return b.toString();
    }

    /** Every output file of every subject (the run records and markers, which hold times and hosts, aside), bitwise. */
    private static void assertSameOutputs(Path expected, Path actual) throws IOException {
        for (int s = 1; s <= SUBJECTS; s++) {
            Path e = expected.resolve("p" + s), a = actual.resolve("p" + s);
            List<Path> files;
            try (Stream<Path> st = Files.walk(e)) {
                files = st.filter(Files::isRegularFile).map(e::relativize)
                        .filter(f -> !f.getFileName().toString().equals("run.json") && !f.getFileName().toString().startsWith("ies-batch-")).sorted().toList();
            }
            assertTrue("no saliency maps in " + e + ": " + files, files.stream().anyMatch(f -> f.startsWith("saliency")));
            for (Path f : files) assertArrayEquals("p" + s + "/" + f, Files.readAllBytes(e.resolve(f)), Files.readAllBytes(a.resolve(f)));
        }
    }

    private static void assertNothingHalfWritten(Path out) throws IOException {
        try (Stream<Path> st = Files.walk(out)) {
            List<String> left = st.map(p -> out.relativize(p).toString()).filter(n -> n.contains(".ies-staging-") || n.contains(".ies-explain-")
                    || n.endsWith(".part") || n.endsWith(OutputFolder.LOCK)).toList();
            assertEquals("left behind in " + out, List.of(), left);
        }
    }

    private CliRun collect(Path out, Path logs) {
        return CliRun.of("collect", "--out", out.toString(), "--logs", logs.toString());
    }

    @Test
    public void anArrayDoesEverySubjectOnceAndEqualsOneMachine() throws Exception {
        Path out = reference.resolveSibling("array");
        Path script = script(out, "array", 4);
        String job = sbatch(script);
        awaitJobEnd(job);
        Path logs = script.resolveSibling("array-logs");
        try (Stream<Path> st = Files.list(logs)) {
            assertEquals(4, st.filter(f -> f.getFileName().toString().matches("ies-" + job + "_\\d\\.log")).count());     // one log per task
        }
        assertEquals(once(), doneCounts(logs));
        Map<String, String> by = doneBy(out);
        for (int s = 1; s <= SUBJECTS; s++) assertEquals(by.toString(), job + "_" + ((s - 1) % 4 + 1), by.get("p" + s));   // its shard's task
        CliRun c = collect(out, logs);
        assertEquals(c.out + c.err, 0, c.rc);
        assertTrue(c.out, c.out.contains("8 subject(s): 8 done, 0 failed, 0 not finished") && c.out.contains("ies analyze --explain-dir"));
        assertEquals(table(reference.resolve("summary.csv")), table(out.resolve("summary.csv")));
        assertSameOutputs(reference, out);
        String run = Files.readString(out.resolve("run.json"));
        assertTrue(run, run.contains("\"shards\": 4") && run.contains("\"complete\": true") && run.contains("\"shard\": \"4/4\""));
        assertNothingHalfWritten(out);
    }

    @Test
    public void twoJobsOnTheSameSubjectsAtOnceDoEachSubjectOnce() throws Exception {
        Path out = reference.resolveSibling("locks");
        Path script = script(out, "locks", 1);                 // one task: shard 1/1, the whole cohort
        String a = sbatch(script), b = sbatch(script);         // submitted twice: two jobs of 1 CPU each on the 2-CPU node
        // both run at the same time (each then works through the same 8 subjects in the same order)
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String running;
        while ((running = sh("squeue", "-h", "-t", "R", "-j", a + "," + b, "-o", "%i")).lines().count() < 2) {
            if (System.nanoTime() > end) fail("the two jobs never ran at once: " + sh("squeue"));
            Thread.sleep(100);
        }
        awaitJobEnd(a, b);
        Path logs = script.resolveSibling("locks-logs");
        assertEquals(once(), doneCounts(logs));
        Map<String, String> by = doneBy(out);
        assertEquals("both jobs (" + running + ") worked, on different subjects: " + by, Set.of(a + "_1", b + "_1"), new TreeSet<>(by.values()));
        String said = Files.readString(logs.resolve("ies-" + a + "_1.log")) + Files.readString(logs.resolve("ies-" + b + "_1.log"));
        // the locks at work: a job met a subject the other was explaining at that moment and left it to it
        assertTrue(said, said.contains("is in use by another IES run"));
        assertNothingHalfWritten(out);
        assertSameOutputs(reference, out);
        CliRun c = collect(out, logs);
        assertEquals(c.out + c.err, 0, c.rc);
        assertEquals(table(reference.resolve("summary.csv")), table(out.resolve("summary.csv")));
    }

    @Test
    public void aCancelledTaskLeavesNothingHalfWrittenAndTheResubmittedArrayDoesNoSubjectTwice() throws Exception {
        Path out = reference.resolveSibling("cancel");
        Path script = script(out, "cancel", 2);
        Path logs = script.resolveSibling("cancel-logs");
        String job = sbatch(script);
        // wait until task 1 explains its second subject (p3, the slow one: shard 1/2 holds p1, p3, p5, p7), then cancel
        // it: SIGTERM in the middle of the subject
        Path log1 = logs.resolve("ies-" + job + "_1.log");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!(Files.exists(log1) && Files.readString(log1).contains("ies batch: " + SLOW + ": explaining"))) {
            if (System.nanoTime() > end) fail("task 1 did not start " + SLOW + ": " + (Files.exists(log1) ? Files.readString(log1) : "no log"));
            Thread.sleep(50);
        }
        sh("scancel", job + "_1");
        awaitJobEnd(job);
        String said = Files.readString(log1);
        assertFalse("the cancellation did not hit " + SLOW + " in its middle: " + said, Files.exists(out.resolve(SLOW).resolve(BatchMarkers.DONE)));
        assertTrue(said, said.contains("CANCELLED") && said.contains(SLOW + ": stopped by a signal"));
        assertNothingHalfWritten(out);
        CliRun c = collect(out, logs);
        assertEquals(c.out + c.err, 1, c.rc);
        assertTrue(c.out, c.out.contains(SLOW + ": started but not finished") && c.out.contains("CANCELLED") && c.out.contains("p5: not started"));
        String again = sbatch(script);                         // the resubmission: finished subjects skipped, p3 redone
        awaitJobEnd(again);
        assertEquals(once(), doneCounts(logs));
        assertTrue(Files.readString(logs.resolve("ies-" + again + "_1.log")).contains(SLOW + ": redoing it: an earlier run (job " + job + "_1 on "));
        c = collect(out, logs);
        assertEquals(c.out + c.err, 0, c.rc);
        assertTrue(c.out, c.out.contains(SLOW + ": done, redone after an interrupted run (job " + job + "_1 on "));     // the redo is visible
        assertEquals(table(reference.resolve("summary.csv")), table(out.resolve("summary.csv")));
        assertSameOutputs(reference, out);
        assertNothingHalfWritten(out);
    }

    @Test
    public void aTaskOverItsMemoryRequestFailsWithTheSchedulersReasonInCollect() throws Exception {
        Path out = reference.resolveSibling("memory");
        Path script = script(out, "memory", 1, "--task-memory", "200");   // 200 MiB: far below the JVM and libtorch
        String job = sbatch(script);
        awaitJobEnd(job);
        // the script's record in OUT (written with the script) lets collect name the cohort though no task wrote anything
        CliRun c = collect(out, script.resolveSibling("memory-logs"));
        assertEquals(c.out + c.err, 1, c.rc);
        assertTrue(c.out, c.out.contains("8 subject(s): 0 done") && c.out.contains("shard 1/1 has no record")
                && c.out.matches("(?s).*p1: [^\\n]*\\n    ies-" + job + "_1\\.log: slurmstepd[^\\n]*exceeded memory limit.*"));
        // SIGKILL (the memory limit) cannot be caught: what the task wrote stays in staging folders, never in place (the
        // next run removes them and redoes the subject); no subject has a done marker or an output of its own
        try (Stream<Path> st = Files.walk(out)) {
            List<String> inPlace = st.filter(Files::isRegularFile).map(p -> out.relativize(p).toString())
                    .filter(n -> n.contains("/") && !n.contains("/.ies-staging-") && !n.endsWith("/" + OutputFolder.LOCK)
                            && !n.endsWith("/" + BatchMarkers.OWNER)).toList();
            assertEquals(List.of(), inPlace);
        }
    }
}
