package io.github.ies.cli;

import io.github.ies.io.BatchMarkers;
import io.github.ies.jobs.BatchJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
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
