package io.github.ies.cli;

import io.github.ies.jobs.ContextJob;

import com.google.gson.JsonObject;
import io.github.ies.analysis.ContextExperiment;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ies experiment}: the paper's experiments on a model (docs/analysis.md). */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "The paper's experiments: perilesional context (context), relocated lesions (relocate), and both pooled over subjects (pool).",
        subcommands = {ExperimentCommand.Context.class, RelocateCommand.class, PoolCommand.class})
public final class ExperimentCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: context, relocate or pool");
    }

    /** Reads the named inputs and orders them as the bundle's. */
    static Volume[] inputs(CommandLine cl, ModelBundle bundle, List<String> inputs, io.github.ies.io.NonFinite.Policy policy,
            List<String> warnings) throws Exception {
        return io.github.ies.pipeline.InputFiles.channels(bundle, CliInputs.parse(cl, inputs), policy, warnings, null);
    }

    /** A 3D mask or label volume; NaN or infinite voxels are an error. */
    static Volume read(Path p, String what) throws Exception {
        return io.github.ies.io.InputVolumes.read(p, what, io.github.ies.io.NonFinite.Policy.ERROR, null);
    }

    static Volume sameGrid(Volume v, Volume ref, Path p) {
        return io.github.ies.pipeline.InputFiles.sameGrid(v, ref, p);
    }

    static void writeText(Path p, String s) throws java.io.IOException {
        Nifti.writeAtomically(p, os -> os.write(s.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code ies experiment context}. */
    @Command(name = "context", mixinStandardHelpOptions = true,
            description = {"Perilesional context (paper 3.5): input zeroed except the lesion dilated k = 0..K times (18-connected); "
                    + "sliding-window inference per step; mean lesion score and detection per lesion.",
                    "Writes OUT/context.csv (step,distance_mm,mean_score,std_score,n_detected,n_lesions,lesion_<id>...), "
                            + "context_lesions.csv, context.png and run.json."})
    public static final class Context implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ExperimentSubject subject = new ExperimentSubject();
        @Option(names = "--min-voxels", defaultValue = "" + ContextJob.DEFAULT_MIN_VOXELS, description = "smallest lesion (voxels, default ${DEFAULT-VALUE})") int minVoxels;
        @Option(names = "--max-voxels", defaultValue = "" + ContextJob.DEFAULT_MAX_VOXELS, description = "largest lesion (voxels, default ${DEFAULT-VALUE})") int maxVoxels;
        @Option(names = "--steps", defaultValue = "" + ContextJob.DEFAULT_STEPS, description = "dilation steps K (default ${DEFAULT-VALUE})") int steps;
        @Option(names = "--threshold", description = "detection threshold (default: the bundle's)") Double threshold;
        @Option(names = "--batch-size", defaultValue = "" + ContextJob.DEFAULT_BATCH_SIZE, description = "windows per network call (default ${DEFAULT-VALUE})") int batch;
        @Option(names = "--device", paramLabel = "D", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE})") String device;
        @Option(names = "--threads", defaultValue = "0", description = "CPU threads (default: ${DEFAULT-VALUE}, all cores)") int threads;
        @Option(names = "--non-finite", paramLabel = "P", defaultValue = "error", description = NonFiniteOption.HELP) String nonFinite;
        @Option(names = "--out", required = true, paramLabel = "OUT", description = "output folder") Path out;
        @Option(names = "--quiet", description = "no progress output") boolean quiet;

        /** The options as the job's request, checked before any work. */
        ContextJob.Request request(CommandLine cl) {
            ContextJob.Request q = new ContextJob.Request();
            q.minVoxels = minVoxels;
            q.maxVoxels = maxVoxels;
            q.steps = steps;
            q.threshold = threshold;
            q.batchSize = batch;
            q.device = device;
            q.threads = threads;
            q.nonFinite = NonFiniteOption.parse(cl, nonFinite);
            return Requests.validated(cl, q::validate);
        }

        @Override
        public Integer call() throws Exception {
            CommandLine cl = spec.commandLine();
            subject.check(cl);
            ContextJob.Request q = request(cl);
            long t0 = System.nanoTime();
            io.github.ies.io.OutputFolder.check(out, subject.files(), io.github.ies.io.OutputKind.CONTEXT, "experiment context");
            PrintWriter err = cl.getErr();
            io.github.ies.model.ProgressListener progress = ProgressPrinter.of(err, quiet);
            subject.load(cl, nonFinite, device, threads, progress);
            ContextJob.Outcome o = ContextJob.run(subject.bundle, subject.channels, subject.lesions, q, progress);
            ContextExperiment.Result r = o.result;
            for (String w : r.warnings) err.println("ies experiment context: warning: " + w);
            double secs = (System.nanoTime() - t0) / 1e9;
            io.github.ies.pipeline.RunRecord rec = new io.github.ies.pipeline.RunRecord("experiment context", new IesCli.Version().getVersion()[0]);
            JsonObject par = rec.parameters();
            subject.parameters(par);
            par.addProperty("min_voxels", minVoxels);
            par.addProperty("max_voxels", maxVoxels);
            par.addProperty("steps", steps);
            par.addProperty("threshold", r.threshold);
            par.addProperty("batch_size", batch);
            par.addProperty("device_requested", device);
            par.addProperty("non_finite", nonFinite);
            par.addProperty("out", out.toString());
            // tables, figure and run.json staged, then moved into place (locked; nothing half-written on failure)
            ContextJob.write(out, "experiment context", subject.files(), o, rec, subject.warnings, secs);
            PrintWriter po = cl.getOut();
            po.printf(Locale.ROOT, "context: %s; %.1f s%n", o.summary(), secs);
            po.printf(Locale.ROOT, "wrote %s%n", out);
            po.flush();
            err.flush();
            return IesCli.EXIT_OK;
        }
    }
}
