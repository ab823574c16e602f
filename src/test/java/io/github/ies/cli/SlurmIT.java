package io.github.ies.cli;

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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.Assert.*;

/**
 * Issue 23: {@code ies batch} as SLURM array jobs on a real one-node SLURM (scripts/slurm-local: munge, slurmctld and
 * slurmd in target/slurm-it, installed from Debian's packages when missing, stopped by their pids at the end). An
 * 8-subject phantom cohort (32^3 voxels, SmoothGrad with N = 2) runs as the 4-task array of the script that
 * {@code ies batch --slurm-script} writes: every subject done once, outputs bitwise equal to {@code ies batch} without
 * the scheduler, the collected cohort table equal to the single-machine one; a task cancelled in the middle of a
 * subject (scancel: SIGTERM) leaves nothing half-written and the resubmitted array completes without doing any subject
 * twice; the same array submitted twice at once never works on one subject twice (the folder locks). Where SLURM cannot
 * be started (not root, no apt-get), the tests are skipped with the reason in one line.
 */
public class SlurmIT extends CliTestBase {

    private static Path cluster, cohort, reference;
    private static Map<String, String> env;

    private static final int SUBJECTS = 8;
    private static final int TASKS = 4;

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
            PhantomGenerator.generate(new PhantomSpec(500 + s, new int[] {32, 32, 32}, 6.0, 2)).write(cohort.resolve("p" + s));
        }
        reference = work.resolve("single");
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
                "--methods", "smoothgrad-max", "--samples", "2", "--device", "cpu", "--threshold", "0.5", "--min-size", "3", "--threads", "1"));
        a.addAll(Arrays.asList(extra));
        return a.toArray(new String[0]);
    }

    /** The array script for {@code out}, written by {@code ies batch --slurm-script}. */
    private Path script(Path out, String name) throws IOException {
        Path file = out.resolveSibling(name + ".sh");
        CliRun r = CliRun.of(batchArgs(out, "--slurm-script", file.toString(), "--array-tasks", "" + TASKS, "--cpus-per-task", "1",
                "--task-heap", "1", "--task-minutes", "10"));
        assertEquals(r.err, 0, r.rc);
        String text = Files.readString(file);
        assertTrue(text, text.contains("#SBATCH --array=1-4") && text.contains("#SBATCH --requeue") && text.contains("%A_%a.log")
                && text.contains("#SBATCH --mem=2524M") && text.contains("--shard \"$i/$n\""));
        return file;
    }

    private static String sh(String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not end in 300 s: " + s);
        }
        if (p.exitValue() != 0) throw new AssertionError(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + s);
        return s.strip();
    }

    private static String sbatch(Path script, boolean await) throws Exception {
        List<String> c = new ArrayList<>(List.of("sbatch", "--parsable"));
        if (await) c.add("--wait");
        c.add(script.toString());
        String out = sh(c.toArray(new String[0]));
        return out.lines().filter(l -> l.matches("\\d+(;.*)?")).findFirst().orElseThrow(() -> new AssertionError("sbatch said " + out)).split(";")[0];
    }

    private static void awaitJobEnd(String job) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (!sh("squeue", "-h", "-j", job).isEmpty()) {
            if (System.nanoTime() > end) throw new AssertionError("job " + job + " still queued after 300 s: " + sh("squeue"));
            Thread.sleep(500);
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
            assertTrue("no outputs in " + e, files.size() > 2);
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
        Path script = script(out, "array");
        // the same array submitted twice at once: the folder locks keep the two from working on one subject together
        String a = sbatch(script, false), b = sbatch(script, false);
        awaitJobEnd(a);
        awaitJobEnd(b);
        Path logs = script.resolveSibling("array-logs");
        try (Stream<Path> st = Files.list(logs)) {
            assertEquals(2 * TASKS, st.filter(f -> f.getFileName().toString().matches("ies-\\d+_\\d\\.log")).count());     // one log per task
        }
        assertEquals(once(), doneCounts(logs));
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
    public void aCancelledTaskLeavesNothingHalfWrittenAndTheResubmittedArrayDoesNoSubjectTwice() throws Exception {
        Path out = reference.resolveSibling("cancel");
        Path script = script(out, "cancel");
        Path logs = script.resolveSibling("cancel-logs");
        String job = sbatch(script, false);
        // wait until task 1 explains its second subject (p5: shard 1/4 holds p1 and p5), then cancel it: SIGTERM mid-subject
        Path log1 = logs.resolve("ies-" + job + "_1.log");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (!(Files.exists(log1) && Files.readString(log1).contains("ies batch: p5: explaining"))) {
            if (System.nanoTime() > end) fail("task 1 did not start p5: " + (Files.exists(log1) ? Files.readString(log1) : "no log"));
            Thread.sleep(100);
        }
        sh("scancel", job + "_1");
        awaitJobEnd(job);
        String said = Files.readString(log1);
        boolean stoppedMidSubject = !Files.exists(out.resolve("p5").resolve(BatchMarkers.DONE));
        if (stoppedMidSubject) {
            assertTrue(said, said.contains("CANCELLED") && said.contains("p5: stopped by a signal"));
        }
        assertNothingHalfWritten(out);
        CliRun c = collect(out, logs);
        if (stoppedMidSubject) {
            assertEquals(c.out + c.err, 1, c.rc);
            assertTrue(c.out, c.out.contains("p5: started but not finished") && c.out.contains("CANCELLED"));
        }
        sbatch(script, true);                        // the resubmission: finished subjects skipped, p5 redone
        assertEquals(once(), doneCounts(logs));
        c = collect(out, logs);
        assertEquals(c.out + c.err, 0, c.rc);
        assertEquals(table(reference.resolve("summary.csv")), table(out.resolve("summary.csv")));
        assertSameOutputs(reference, out);
        assertNothingHalfWritten(out);
        assertTrue("the interrupted subject was not cancelled in its middle; the test proved less than it should", stoppedMidSubject);
    }
}
