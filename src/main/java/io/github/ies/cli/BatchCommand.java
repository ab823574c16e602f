package io.github.ies.cli;

import io.github.ies.io.BatchMarkers;
import io.github.ies.jobs.BatchJob;
import io.github.ies.jobs.SlurmScript;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ies batch}: {@code ies explain} over a cohort, resumable and shardable ({@link BatchJob}: subjects, markers
 * {@value #DONE} and {@value #FAILED}, folder locks, workers, the summary CSV and run.json). This command maps its
 * options onto {@link BatchJob.Request}, starts the worker JVMs of {@code --jobs} ({@link BatchWorkers}), stops a
 * worker whose parent has ended, and prints the outcome.
 */
@Command(name = "batch", mixinStandardHelpOptions = true,
        description = {"Runs 'ies explain' for every subject of a cohort: --subjects DIR (one folder per subject with "
                + "flair*, mprage*/t1* and optional lesions*/gt* and brainmask* NIfTI files) or a CSV with columns "
                + "subject,flair,mprage[,gt,brain_mask].",
                "Resumable (finished subjects are skipped), failures reported without stopping the others, "
                        + "--shard i/n for cluster job arrays, summary CSV in OUT."})
public final class BatchCommand implements Callable<Integer> {

    static final String DONE = BatchMarkers.DONE, FAILED = BatchMarkers.FAILED;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--subjects", required = true, paramLabel = "DIR|CSV", description = "cohort folder or CSV")
    Path subjects;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder (one sub-folder per subject)")
    Path out;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "model bundle: its folder, the ies-model.json in it, or a .zip of it")
    Path model;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "" + BatchJob.DEFAULT_JOBS,
            description = "subjects processed in parallel (separate JVMs, CPU threads split among them; default: ${DEFAULT-VALUE})")
    int jobs;

    @Option(names = "--shard", paramLabel = "i/n", description = "only the i-th of n interleaved parts of the cohort (1 <= i <= n; default: all subjects)")
    String shard;

    @Option(names = "--worker", hidden = true, paramLabel = "j/N", description = "internal: a --jobs worker")
    String worker;

    @Option(names = "--parent-pid", hidden = true, paramLabel = "PID", description = "internal: a worker stops when this process ends")
    Long parentPid;

    @Option(names = "--threshold", paramLabel = "T", description = "segmentation threshold (default: the bundle's)")
    Double threshold;

    @Option(names = "--min-size", paramLabel = "V", description = "minimum lesion size in voxels (default: the bundle's)")
    Integer minSize;

    @Option(names = "--connectivity", paramLabel = "C", description = "6, 18 or 26 (default: the bundle's)")
    Integer connectivity;


    @Option(names = "--tn-spheres", paramLabel = "N", defaultValue = "" + io.github.ies.instances.InstanceParams.DEFAULT_TN_SPHERES,
            description = "TN spheres per subject with ground truth (default: ${DEFAULT-VALUE})")
    int tnSpheres;

    @Option(names = "--skip-failed", description = "do not retry subjects that failed in an earlier run")
    boolean skipFailed;

    @CommandLine.Mixin
    SaliencyOptions saliency = new SaliencyOptions();

    @Option(names = "--slurm-script", paramLabel = "FILE",
            description = "write an sbatch array script for this batch (one --shard per task, requeue-safe, one log per task) instead of running it (default: run the batch)")
    Path slurmScript;

    @Option(names = "--array-tasks", paramLabel = "N", defaultValue = "" + SlurmScript.DEFAULT_TASKS,
            description = "with --slurm-script: array tasks (0: one per subject, at most 1000; default: ${DEFAULT-VALUE})")
    int arrayTasks;

    @Option(names = "--cpus-per-task", paramLabel = "C", defaultValue = "" + SlurmScript.DEFAULT_CPUS,
            description = "with --slurm-script: CPUs per task (default: ${DEFAULT-VALUE})")
    int cpusPerTask;

    @Option(names = "--lesions-per-subject", paramLabel = "L", defaultValue = "" + SlurmScript.DEFAULT_LESIONS,
            description = "with --slurm-script: lesions expected per subject, for the time per task (default: ${DEFAULT-VALUE})")
    int lesionsPerSubject;

    @Option(names = "--task-memory", paramLabel = "MIB", defaultValue = "0",
            description = "with --slurm-script: memory per task in MiB (default: derived from the measured figures)")
    int taskMemory;

    @Option(names = "--task-minutes", paramLabel = "MIN", defaultValue = "0",
            description = "with --slurm-script: time per task in minutes (default: derived from the measured figures)")
    int taskMinutes;

    @Option(names = "--lesion-seconds", paramLabel = "S", defaultValue = "0",
            description = "with --slurm-script: seconds per lesion of your model and settings on a task's CPUs or GPU, measured on one subject"
                    + " (its run.json: lesions[].seconds; default: derived from the figures measured with the demo model, docs/cluster.md)")
    double lesionSeconds;

    @Option(names = "--task-heap", paramLabel = "GIB", defaultValue = "" + SlurmScript.DEFAULT_HEAP_GIB,
            description = "with --slurm-script: JVM heap per task in GiB (default: ${DEFAULT-VALUE})")
    int taskHeap;

    @Option(names = "--slurm-logs", paramLabel = "DIR", description = "with --slurm-script: the task logs' folder (default: FILE's name + '-logs')")
    Path slurmLogs;

    /** Options that a task of the generated script must not inherit (replaced, or the script's own), with a value. */
    private static final java.util.Set<String> NOT_IN_TASKS = java.util.Set.of("--slurm-script", "--array-tasks", "--cpus-per-task",
            "--lesions-per-subject", "--lesion-seconds", "--task-memory", "--task-minutes", "--task-heap", "--slurm-logs", "--shard", "--jobs", "--threads",
            "--worker", "--parent-pid");

    /** The options as the job's request, checked before any work. */
    BatchJob.Request request() {
        CommandLine cl = spec.commandLine();
        BatchJob.Request q = new BatchJob.Request();
        q.subjects = subjects;
        q.out = out;
        q.model = model;
        q.jobs = jobs;
        q.shard = BatchJob.Part.parse(shard);
        q.worker = BatchJob.Part.parse(worker);
        q.skipFailed = skipFailed;
        q.explain.settings = saliency.toOptions(cl);
        q.explain.device = saliency.device;
        q.explain.threads = saliency.threads;
        q.explain.nonFinite = NonFiniteOption.parse(cl, saliency.nonFinite);
        q.explain.version = new IesCli.Version().getVersion()[0];
        q.explain.threshold = threshold;
        q.explain.minLesionVoxels = minSize;
        q.explain.connectivity = connectivity;
        q.explain.tnSpheres = tnSpheres;
        return Requests.validated(cl, q::validate);
    }

    @Override
    public Integer call() throws Exception {
        BatchJob.Request q = request();
        CommandLine cl = spec.commandLine();
        if (slurmScript != null) return writeScript(q, cl);
        if (parentPid != null) watchParent(parentPid);
        PrintWriter err = cl.getErr();
        BatchJob.Result r = BatchJob.run(q, new BatchWorkers(cl.getParseResult().originalArgs()), s -> {
            if (saliency.quiet) return;
            err.println("ies batch: " + s);
            err.flush();
        });
        if (r.summary == null) return IesCli.EXIT_OK;           // a worker: the parent writes the summary
        PrintWriter o = cl.getOut();
        o.printf(Locale.ROOT, "wrote %s: %d subject(s), %d failed%n", r.summary, r.subjects, r.failed);
        o.flush();
        if (r.failed > 0) throw new IllegalStateException(r.failed + " of " + r.subjects + " subject(s) failed (see " + r.summary + ")");
        return IesCli.EXIT_OK;
    }

    private int writeScript(BatchJob.Request q, CommandLine cl) throws Exception {
        SlurmScript.Request r = new SlurmScript.Request();
        r.script = slurmScript;
        r.tasks = arrayTasks;
        r.cpus = cpusPerTask;
        r.lesionsPerSubject = lesionsPerSubject;
        r.memoryMib = taskMemory;
        r.minutes = taskMinutes;
        r.heapGib = taskHeap;
        r.lesionSeconds = lesionSeconds;
        r.logs = slurmLogs;
        Requests.validated(cl, r::validate);
        List<String> java = new ArrayList<>();
        java.add(ProcessHandle.current().info().command().orElse("java"));
        java.add("-Xmx__HEAP__");
        java.add("-Dai.djl.offline=" + System.getProperty("ai.djl.offline", "true"));
        java.add("-Djava.awt.headless=true");
        java.add("-cp");
        java.add(Path.of(System.getProperty("java.class.path")).toString());
        java.add(IesCli.class.getName());
        List<String> args = new ArrayList<>();
        List<String> orig = cl.getParseResult().originalArgs();
        for (int k = 0; k < orig.size(); k++) {
            String a = orig.get(k);
            String key = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (NOT_IN_TASKS.contains(key) || a.equals("--quiet")) {
                if (!a.contains("=") && !a.equals("--quiet")) k++;
                continue;
            }
            // paths as absolute ones: the tasks start in the submission folder, which may differ
            if (k > 0 && List.of("--subjects", "--out", "--model").contains(orig.get(k - 1))) a = Path.of(a).toAbsolutePath().toString();
            args.add(a);
        }
        if (!args.isEmpty() && !args.get(0).equals("batch")) args.add(0, "batch");
        SlurmScript.Result res;
        try {
            res = SlurmScript.write(r, q, java, args);
        } catch (io.github.ies.request.InvalidRequest e) {
            throw Requests.usageError(cl, e);
        }
        PrintWriter o = cl.getOut();
        o.printf(Locale.ROOT, "wrote %s: %d subject(s) in %d array task(s) of %d CPU(s), %d MiB, %d min%s; logs in %s%n", res.script, res.subjects,
                res.tasks, cpusPerTask, res.memoryMib, res.minutes, res.gpu ? ", 1 GPU" : "", res.logs);
        o.printf(Locale.ROOT, "submit: sbatch %s; then: ies collect --out %s --logs %s%n", res.script, q.out, res.logs);
        o.flush();
        return IesCli.EXIT_OK;
    }

    /**
     * A worker stops (running its shutdown hooks: staging folders and locks are removed) when the parent process is
     * gone, even after a SIGKILL of the parent, which runs no hooks.
     */
    static void watchParent(long ppid) {
        Thread t = new Thread(() -> {
            while (true) {
                long now = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
                boolean alive = now == ppid && ProcessHandle.of(ppid).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) {
                    System.err.println("ies batch: worker " + ProcessHandle.current().pid() + ": the parent process " + ppid
                            + " has ended; stopping");
                    System.exit(IesCli.EXIT_FAILED);
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "ies-batch-parent-watch");
        t.setDaemon(true);
        t.start();
    }
}
