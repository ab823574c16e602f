package io.github.ies.jobs;

import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Nifti;
import io.github.ies.io.OutputFolder;
import io.github.ies.request.InvalidRequest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;

/**
 * {@code ies batch --slurm-script FILE}: an sbatch array script that runs the batch as {@code --shard i/n} tasks. Each
 * task's CPUs, memory and time are derived from figures measured with the demo model on the demo subject
 * (docs/cluster.md): peak resident memory of one explain JVM and seconds per lesion and SmoothGrad sample on 2 CPU cores
 * (or the user's own {@code --lesion-seconds}). The output folder is claimed with a record naming the cohort and the
 * shard count, so that {@code ies collect} reports even an array whose every task was killed before it wrote anything. The script is requeue-safe: {@code --requeue}, and {@code --signal=B:USR1@120} makes
 * the script stop the task cleanly (SIGTERM to the JVM: no half-written subject, the interrupted one is redone) and
 * requeue it before the time limit; one log per task ({@code %A_%a}) that {@code ies collect --logs} reads.
 */
public final class SlurmScript {

    /*
     * The figures the estimates come from, measured on 2026-12-07 on this project's development machine (an AMD EPYC
     * virtual machine with 2 cores and 23 GiB; load average 2.6 to 4.7 during the runs, from other engineers' tests on
     * the same 2 cores, so an idle machine is faster): `ies explain` of the demo model (test-images/models/demo-unet)
     * on the demo subject (test-images/demo, 96 x 112 x 96 voxels of 2 mm, 22 segmented lesions), --device cpu
     * --threads 2, per-lesion seconds from run.json (lesions[].seconds), peak resident memory from /usr/bin/time -v.
     * docs/cluster.md has the table.
     */
    /** SmoothGrad seconds per lesion on 2 CPU cores: this plus {@link #SG_SECONDS_PER_SAMPLE} x N. */
    public static final double SG_SECONDS_PER_LESION = 0.94;
    /**
     * SmoothGrad seconds per lesion and sample on 2 CPU cores. Measured: SmoothGrad-max at N = 2, 71.8 s for the 22
     * lesions (3.26 s each, load 3.4 to 4.1, the JVM got 140 % CPU); at N = 4, 122.7 s (5.58 s each, load 2.6 to 3.4,
     * 145 % CPU): 0.94 s + 1.16 s x N. A third run at N = 4 that got only 94 % CPU (load 4.2 to 4.3) took 9.06 s per
     * lesion: on a shared node, give --lesion-seconds or --task-minutes.
     */
    public static final double SG_SECONDS_PER_SAMPLE = 1.16;
    /**
     * The factor of more than one method (all four: SmoothGrad-max and -mean, Grad-CAM++, class Grad-CAM++) over
     * SmoothGrad-max alone. Measured: all four at N = 2, 160.2 s of saliency for the 22 lesions (7.28 s each, load 2.6 to
     * 4.7) against 3.26 s: 2.23; used for any set of two or more methods (an upper bound for two or three).
     */
    public static final double METHODS_FACTOR = 2.23;
    /** A GPU is taken as this many times faster than 2 CPU cores (an assumption, not measured: stated in the script). */
    public static final double GPU_SPEEDUP = 10;
    /**
     * Peak resident memory of one explain JVM, MiB: the highest measured, the demo subject at N = 4 (SmoothGrad-max) with
     * the default -Xmx3g (4519 MiB: libtorch's native memory dominates, and the smaller heap did not lower the peak);
     * with -Xmx8g: 3440 MiB at N = 4, 2953 MiB at N = 2, 2689 MiB with all four methods at N = 2.
     */
    public static final int PEAK_MIB = 4519;
    /** The margin on the measured peak memory and time (the requests are 1.5 x the estimate). */
    public static final double MARGIN = 1.5;
    /**
     * Seconds per subject beyond its lesions: an allowance. Measured: 4.6 s (reading, segmentation, writing) on the demo
     * subject, plus a JVM start of about 5 s per task under load.
     */
    public static final double SUBJECT_SECONDS = 30;

    public static final int DEFAULT_TASKS = 0, DEFAULT_CPUS = 2, DEFAULT_LESIONS = 10, DEFAULT_HEAP_GIB = 3;

    /** What to write; the field names are the option keys. */
    public static final class Request {
        public Path script;
        /** Array size; 0: one task per subject, at most 1000. */
        public int tasks = DEFAULT_TASKS;
        /** CPUs per task (the JVM's threads). */
        public int cpus = DEFAULT_CPUS;
        /** Lesions expected per subject (for the time estimate). */
        public int lesionsPerSubject = DEFAULT_LESIONS;
        /** Memory per task, MiB; 0: derived (heap + native). */
        public int memoryMib;
        /** Time per task, minutes; 0: derived. */
        public int minutes;
        /** JVM heap per task, GiB. */
        public int heapGib = DEFAULT_HEAP_GIB;
        /** Seconds per lesion of the chosen model and settings on a task's CPUs (or GPU); 0: derived from the measured figures. */
        public double lesionSeconds;
        /** The task logs' folder; null: FILE's name + "-logs" beside it. */
        public Path logs;

        public Request validate() {
            if (script == null) throw new InvalidRequest("{slurm_script} is required");
            if (tasks < 0) throw new InvalidRequest("{array_tasks} must be >= 1 (or 0: one per subject), got " + tasks);
            if (cpus < 1) throw new InvalidRequest("{cpus_per_task} must be >= 1, got " + cpus);
            if (lesionsPerSubject < 1) throw new InvalidRequest("{lesions_per_subject} must be >= 1, got " + lesionsPerSubject);
            if (memoryMib < 0 || minutes < 0) throw new InvalidRequest("{task_memory} and {task_minutes} must be >= 0 (0: derived)");
            if (!(lesionSeconds >= 0) || Double.isInfinite(lesionSeconds)) {
                throw new InvalidRequest("{lesion_seconds} must be >= 0 (0: derived from the measured figures), got " + lesionSeconds);
            }
            if (heapGib < 1) throw new InvalidRequest("{task_heap} must be >= 1 GiB, got " + heapGib);
            if (Files.exists(script)) throw new InvalidRequest("{slurm_script} " + script + " exists: IES does not overwrite it; remove it or choose another name");
            return this;
        }
    }

    /** What was written. */
    public static final class Result {
        public int tasks, subjects, subjectsPerTask, memoryMib, minutes;
        public boolean gpu;
        public Path script, logs;
    }

    private SlurmScript() {}

    /**
     * Writes the script for the batch {@code b} (its cohort is read to size the array). {@code javaCommand}: the
     * command line that runs {@code ies} (java, its options, class path, main class) and {@code batchArgs}: the batch's
     * arguments without --shard, --jobs, --threads and the script options.
     */
    public static Result write(Request q, BatchJob.Request b, List<String> javaCommand, List<String> batchArgs) throws IOException {
        q.validate();
        b.validate();
        List<Subjects.Subject> all = Subjects.load(b.subjects);
        if (all.isEmpty()) throw new InvalidRequest("{subjects} " + b.subjects + " holds no subject: nothing to run");
        Result r = new Result();
        r.subjects = all.size();
        r.tasks = q.tasks > 0 ? Math.min(q.tasks, all.size()) : Math.min(all.size(), 1000);
        r.subjectsPerTask = (all.size() + r.tasks - 1) / r.tasks;
        String device = b.explain.device == null ? "auto" : b.explain.device.toLowerCase(Locale.ROOT);
        r.gpu = device.startsWith("gpu") || device.startsWith("cuda");
        int samples = b.explain.settings == null ? 1 : Math.max(1, b.explain.settings.samples);
        int methods = b.explain.settings == null || b.explain.settings.methods == null ? 1 : Math.max(1, b.explain.settings.methods.size());
        double sgLesion = SG_SECONDS_PER_LESION + SG_SECONDS_PER_SAMPLE * samples;
        double perLesion = q.lesionSeconds > 0 ? q.lesionSeconds
                : sgLesion * (methods > 1 ? METHODS_FACTOR : 1) * 2.0 / q.cpus / (r.gpu ? GPU_SPEEDUP : 1);
        double seconds = r.subjectsPerTask * (SUBJECT_SECONDS + q.lesionsPerSubject * perLesion);
        r.minutes = q.minutes > 0 ? q.minutes : (int) Math.ceil(seconds * MARGIN / 60) + 5;     // 50 % margin, 5 min to start
        int peak = PEAK_MIB + Math.max(0, q.heapGib - DEFAULT_HEAP_GIB) * 1024;    // a larger heap may all be used; libtorch does not shrink with a smaller one
        r.memoryMib = q.memoryMib > 0 ? q.memoryMib : (int) Math.ceil(peak * MARGIN / 100.0) * 100;
        r.script = q.script;
        String name = q.script.getFileName().toString().replaceFirst("\\.(sh|sbatch|slurm)$", "");
        r.logs = q.logs != null ? q.logs : q.script.toAbsolutePath().resolveSibling(name + "-logs");

        StringBuilder s = new StringBuilder();
        s.append("#!/bin/bash\n");
        s.append("# Written by ies batch --slurm-script: ").append(r.subjects).append(" subject(s) of ").append(b.subjects).append(" in ")
                .append(r.tasks).append(" array task(s), up to ").append(r.subjectsPerTask).append(" subject(s) each.\n");
        s.append(String.format(Locale.ROOT, "# Time per task: %d subject(s) x (%.0f s + %d lesions x %.2f s per lesion) x %.1f + 5 min = %d min%s%n",
                r.subjectsPerTask, SUBJECT_SECONDS, q.lesionsPerSubject, perLesion, MARGIN, r.minutes, q.minutes > 0 ? " (given: --task-minutes)" : ""));
        if (q.lesionSeconds > 0) {
            s.append("#   per lesion: given (--lesion-seconds)\n");
        } else {
            s.append(String.format(Locale.ROOT, "#   per lesion: SmoothGrad (%.2f s + %.2f s x N = %d sample(s)) on 2 CPU cores%s x 2/%d CPUs%s%n",
                    SG_SECONDS_PER_LESION, SG_SECONDS_PER_SAMPLE, samples, methods > 1 ? String.format(Locale.ROOT, " x %.2f (%d methods)",
                            METHODS_FACTOR, methods) : "", q.cpus, r.gpu ? String.format(Locale.ROOT, " / %.0f (GPU: assumed, not measured)", GPU_SPEEDUP) : ""));
        }
        s.append("#   measured: the demo model (test-images/models/demo-unet) on the demo subject (96x112x96, 2 mm, 22 lesions),\n");
        s.append("#   ies explain --device cpu --threads 2 on a 2-core AMD EPYC VM with load average 2.6-4.7 (2026-12-07; docs/cluster.md).\n");
        s.append("#   Your model and volumes differ: measure one subject (run.json: lesions[].seconds) and give --lesion-seconds.\n");
        s.append(String.format(Locale.ROOT, "# Memory per task: (measured peak %d MiB at -Xmx%dg%s) x %.1f = %d MiB%s%n", PEAK_MIB, DEFAULT_HEAP_GIB,
                q.heapGib <= DEFAULT_HEAP_GIB ? "" : String.format(Locale.ROOT, " + %d GiB more heap", q.heapGib - DEFAULT_HEAP_GIB), MARGIN, r.memoryMib,
                q.memoryMib > 0 ? " (given: --task-memory)" : ""));
        s.append("# A task that exceeds them is killed by SLURM; 'ies collect' shows the scheduler's reason from the task's log.\n");
        s.append("#SBATCH --job-name=ies-batch\n");
        s.append("#SBATCH --array=1-").append(r.tasks).append('\n');
        s.append("#SBATCH --cpus-per-task=").append(q.cpus).append('\n');
        s.append("#SBATCH --mem=").append(r.memoryMib).append("M\n");
        s.append("#SBATCH --time=").append(r.minutes).append('\n');
        if (r.gpu) s.append("#SBATCH --gres=gpu:1\n");
        s.append("#SBATCH --output=").append(r.logs.toAbsolutePath()).append("/ies-%A_%a.log\n");
        s.append("#SBATCH --requeue\n");
        s.append("#SBATCH --signal=B:USR1@120\n");
        s.append("#SBATCH --open-mode=append\n");
        s.append("set -u\n");
        s.append("n=").append(r.tasks).append('\n');
        s.append("i=${SLURM_ARRAY_TASK_ID:?run this script with sbatch (an array job)}\n");
        s.append("echo \"ies task $i/$n: job ${SLURM_ARRAY_JOB_ID:-?}_$i on $(hostname), restart ${SLURM_RESTART_COUNT:-0}, $(date -Is)\"\n");
        s.append("# The JVM runs in the background so that this shell can pass on the scheduler's signals:\n");
        s.append("#  SIGTERM (scancel, preemption, the time limit): to the JVM, which stops at once; the interrupted subject\n");
        s.append("#  keeps no done marker and the next run of this task redoes it; finished subjects are skipped.\n");
        s.append("#  SIGUSR1 (120 s before the time limit): the same, then the task requeues itself (at most 3 times).\n");
        s.append("stop() { kill -TERM \"$pid\" 2>/dev/null; wait \"$pid\"; }\n");
        s.append("trap 'stop; exit 143' TERM\n");
        s.append("trap 'stop; if [ \"${SLURM_RESTART_COUNT:-0}\" -lt 3 ]; then scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"; fi; exit 143' USR1\n");
        s.append(r.gpu ? "# the GPU SLURM assigned is the only one visible (CUDA_VISIBLE_DEVICES): --device " + device + " takes it\n" : "");
        StringBuilder cmd = new StringBuilder();
        for (String a : javaCommand) cmd.append(quote(a)).append(' ');
        for (String a : batchArgs) cmd.append(quote(a)).append(' ');
        cmd.append("--shard \"$i/$n\" --threads \"${SLURM_CPUS_PER_TASK:-").append(q.cpus).append("}\"");
        s.append(cmd.toString().replace("-Xmx__HEAP__", "-Xmx" + q.heapGib + "g")).append(" &\n");
        s.append("pid=$!\n");
        s.append("wait \"$pid\"\n");
        s.append("rc=$?\n");
        s.append("echo \"ies task $i/$n: exit $rc, $(date -Is)\"\n");
        s.append("exit $rc\n");
        s.append("# When every task has ended: ies collect --out ").append(quote(b.out.toAbsolutePath().toString())).append(" --logs ")
                .append(quote(r.logs.toString())).append('\n');

        Files.createDirectories(r.logs);
        claim(b, r.tasks);
        String text = s.toString();
        Path parent = q.script.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Nifti.writeAtomically(q.script, os -> os.write(text.getBytes(StandardCharsets.UTF_8)));
        try {
            Files.setPosixFilePermissions(q.script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException | IOException ignored) {
            // sbatch does not need it
        }
        return r;
    }

    /**
     * Makes the (new or empty) output folder the batch's now, with a record that names the cohort and the shard count:
     * {@code ies collect} then works even when every task was killed before it wrote anything (e.g. for its memory). A
     * folder that already holds a batch record (a regenerated script) or anything else is left as it is.
     */
    private static void claim(BatchJob.Request b, int tasks) throws IOException {
        Path out = b.out;
        if (Files.isDirectory(out)) {
            try (java.util.stream.Stream<Path> st = Files.list(out)) {
                if (st.findAny().isPresent()) return;
            }
        }
        OutputFolder.claim(out, BatchJob.COMMAND, b.explain.version);
        com.google.gson.JsonObject j = new com.google.gson.JsonObject();
        j.addProperty("command", BatchJob.COMMAND);
        j.addProperty("ies_version", b.explain.version);
        j.addProperty("status", "an sbatch array script of " + tasks + " task(s) was written for this batch; 'ies collect' replaces this record");
        com.google.gson.JsonObject par = new com.google.gson.JsonObject();
        par.addProperty("subjects", b.subjects.toAbsolutePath().toString());
        par.addProperty("model", b.model == null ? null : b.model.toAbsolutePath().toString());
        par.addProperty("out", out.toAbsolutePath().toString());
        par.addProperty("shards", tasks);
        j.add("parameters", par);
        String json = new com.google.gson.GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(j) + "\n";
        Nifti.writeAtomically(out.resolve(ExplainLayout.RUN), os -> os.write(json.getBytes(StandardCharsets.UTF_8)));
    }

    /** A shell word: as is when safe, else in single quotes. */
    static String quote(String a) {
        if (a.matches("[A-Za-z0-9_./:=@%+,-]+")) return a;
        return "'" + a.replace("'", "'\\''") + "'";
    }
}
