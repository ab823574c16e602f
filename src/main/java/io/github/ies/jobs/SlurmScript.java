package io.github.ies.jobs;

import io.github.ies.io.Nifti;
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
 * task's CPUs, memory and time are derived from measured figures (docs/cluster.md): peak resident memory of one
 * {@code ies batch} JVM (the heap limit plus libtorch's native memory) and seconds per explained lesion and SmoothGrad
 * sample on the chosen device. The script is requeue-safe: {@code --requeue}, and {@code --signal=B:USR1@120} makes
 * the script stop the task cleanly (SIGTERM to the JVM: no half-written subject, the interrupted one is redone) and
 * requeue it before the time limit; one log per task ({@code %A_%a}) that {@code ies collect --logs} reads.
 */
public final class SlurmScript {

    /**
     * The figures the estimates come from, measured on a 2-core machine with this project (docs/cluster.md): the demo
     * model (test-images/models/demo-unet) on the demo subject, CPU, 2 threads.
     */
    /**
     * Seconds per lesion, per SmoothGrad sample and per method on 2 CPU cores: the paper-size figure of issue 23 (6.5 min
     * per lesion at N = 50 on 2 cores), not measured here (docs/cluster.md: the demo model was too slow to finish one
     * subject at N = 4 within 5 minutes on this project's 2-core machine, which agrees with it).
     */
    public static final double CPU_SECONDS_PER_LESION_SAMPLE = 7.8;
    /** A GPU is taken as this many times faster than 2 CPU cores (an assumption, stated in the script). */
    public static final double GPU_SPEEDUP = 10;
    /**
     * Native memory (libtorch, its threads, the JVM itself) beyond the heap, MiB. Measured: the demo model on the demo
     * subject (CPU, 2 threads, -Xmx8g) peaked at 3.6 GiB resident in all, so heap + 1.5 GiB is a margin, not a squeeze.
     */
    public static final int NATIVE_MIB = 1500;
    /** Seconds per subject beyond its lesions: JVM start, reading, segmentation, writing (an allowance). */
    public static final double SUBJECT_SECONDS = 30;

    public static final int DEFAULT_TASKS = 0, DEFAULT_CPUS = 2, DEFAULT_LESIONS = 10, DEFAULT_HEAP_GIB = 8;

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
        /** The task logs' folder; null: FILE's name + "-logs" beside it. */
        public Path logs;

        public Request validate() {
            if (script == null) throw new InvalidRequest("{slurm-script} is required");
            if (tasks < 0) throw new InvalidRequest("{array-tasks} must be >= 1 (or 0: one per subject), got " + tasks);
            if (cpus < 1) throw new InvalidRequest("{cpus-per-task} must be >= 1, got " + cpus);
            if (lesionsPerSubject < 1) throw new InvalidRequest("{lesions-per-subject} must be >= 1, got " + lesionsPerSubject);
            if (memoryMib < 0 || minutes < 0) throw new InvalidRequest("{task-memory} and {task-minutes} must be >= 0 (0: derived)");
            if (heapGib < 1) throw new InvalidRequest("{task-heap} must be >= 1 GiB, got " + heapGib);
            if (Files.exists(script)) throw new InvalidRequest("{slurm-script} " + script + " exists: IES does not overwrite it; remove it or choose another name");
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
        double perLesion = CPU_SECONDS_PER_LESION_SAMPLE * samples * methods * 2.0 / q.cpus / (r.gpu ? GPU_SPEEDUP : 1);
        double seconds = r.subjectsPerTask * (SUBJECT_SECONDS + q.lesionsPerSubject * perLesion);
        r.minutes = q.minutes > 0 ? q.minutes : (int) Math.ceil(seconds * 1.5 / 60) + 5;     // 50 % margin, 5 min to start
        r.memoryMib = q.memoryMib > 0 ? q.memoryMib : q.heapGib * 1024 + NATIVE_MIB;
        r.script = q.script;
        String name = q.script.getFileName().toString().replaceFirst("\\.(sh|sbatch|slurm)$", "");
        r.logs = q.logs != null ? q.logs : q.script.toAbsolutePath().resolveSibling(name + "-logs");

        StringBuilder s = new StringBuilder();
        s.append("#!/bin/bash\n");
        s.append("# Written by ies batch --slurm-script: ").append(r.subjects).append(" subject(s) of ").append(b.subjects).append(" in ")
                .append(r.tasks).append(" array task(s), up to ").append(r.subjectsPerTask).append(" subject(s) each.\n");
        s.append(String.format(Locale.ROOT, "# Time per task: %d subject(s) x (%.0f s + %d lesions x %.1f s per lesion) x 1.5 + 5 min = %d min%s%n",
                r.subjectsPerTask, SUBJECT_SECONDS, q.lesionsPerSubject, perLesion, r.minutes, q.minutes > 0 ? " (given: --task-minutes)" : ""));
        s.append(String.format(Locale.ROOT, "#   per lesion: %.2f s per sample and method on 2 CPU cores x %d sample(s) x %d method(s) x 2/%d CPUs%s%n",
                CPU_SECONDS_PER_LESION_SAMPLE, samples, methods, q.cpus, r.gpu ? String.format(Locale.ROOT, " / %.0f (GPU, assumed)", GPU_SPEEDUP) : ""));
        s.append(String.format(Locale.ROOT, "# Memory per task: -Xmx%dg heap + %d MiB native (libtorch) = %d MiB%s%n", q.heapGib, NATIVE_MIB,
                r.memoryMib, q.memoryMib > 0 ? " (given: --task-memory)" : ""));
        s.append("# The figures: docs/cluster.md (7.8 s per lesion, sample and method on 2 cores is the paper-size figure; measure one subject first).\n");
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

    /** A shell word: as is when safe, else in single quotes. */
    static String quote(String a) {
        if (a.matches("[A-Za-z0-9_./:=@%+,-]+")) return a;
        return "'" + a.replace("'", "'\\''") + "'";
    }
}
