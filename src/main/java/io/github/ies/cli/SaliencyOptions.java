package io.github.ies.cli;

import io.github.ies.model.DeviceSpec;
import io.github.ies.saliency.SaliencyMethods;
import io.github.ies.saliency.SaliencyContext;
import io.github.ies.saliency.SaliencySettings;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.Locale;

/** Saliency options shared by {@code ies explain} and {@code ies demo} (a picocli mixin). */
public final class SaliencyOptions {

    @Option(names = "--methods", paramLabel = "M[,M...]", split = ",", completionCandidates = MethodKeys.class,
            description = "${COMPLETION-CANDIDATES} (default: all)")
    java.util.List<String> methods;

    /** The registered method keys ({@link SaliencyMethods}), for the help text. */
    static final class MethodKeys implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return SaliencyMethods.all().stream().map(m -> m.key).iterator();
        }
    }

    @Option(names = "--samples", paramLabel = "N",
            description = "noisy copies for SmoothGrad; the time grows linearly with N (default: ${DEFAULT-VALUE}; 50 is the paper's, "
                    + "2 the demo's)")
    Integer samples;

    @Option(names = "--noise-level", paramLabel = "L", defaultValue = "" + SaliencySettings.DEFAULT_NOISE_LEVEL,
            description = "noise sigma = L x (max - min) of the first normalised channel; 0: plain gradients (default: ${DEFAULT-VALUE})")
    double noiseLevel;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "" + SaliencySettings.DEFAULT_SEED, description = "noise (and TN sphere) seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--context", paramLabel = "C", description = "patch, full or local (default: ${DEFAULT-VALUE})")
    String context;

    @Option(names = "--margin", paramLabel = "V", defaultValue = "" + SaliencySettings.DEFAULT_MARGIN,
            description = "voxels around the lesion's bounding box in the patch context (default: ${DEFAULT-VALUE})")
    int margin;

    @Option(names = "--local-margin", paramLabel = "V", defaultValue = "" + SaliencySettings.DEFAULT_LOCAL_MARGIN,
            description = "voxels around the lesion's bounding box in the local context (default: ${DEFAULT-VALUE})")
    int localMargin;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "" + SaliencySettings.DEFAULT_BATCH_SIZE,
            description = "vector-Jacobian products per backward pass (default: ${DEFAULT-VALUE}, automatic)")
    int batchSize;

    @Option(names = "--workers", paramLabel = "W", defaultValue = "" + SaliencySettings.DEFAULT_WORKERS,
            description = "parallel single-threaded VJP workers on the CPU (default: ${DEFAULT-VALUE}, automatic: the thread count for small boxes)")
    int workers;

    @Option(names = "--no-receptive-field-crop",
            description = "run SmoothGrad on the whole context box instead of the lesion's receptive-field box (same maps, slower; for checks)")
    boolean noReceptiveFieldCrop;

    @Option(names = "--no-backend-check",
            description = "skip the gradient backend self-check (for benchmarks of its cost; maps are then unverified on this machine)")
    boolean noBackendCheck;

    @Option(names = "--recheck",
            description = "run the gradient backend self-check again instead of taking this machine's cached verdicts (~/.cache/ies/backend-check)")
    boolean recheck;

    @Option(names = "--no-keep-graph", description = "one forward pass per batch instead of one per noisy copy")
    boolean noKeepGraph;

    @Option(names = "--uncertainty", description = "also the standard error of the SmoothGrad maps (..._se.nii.gz) and of their peaks")
    boolean uncertainty;

    @Option(names = "--device", paramLabel = "D", defaultValue = DeviceSpec.DEFAULT, description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "CPU threads (default: ${DEFAULT-VALUE}, all cores)")
    int threads;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    @Option(names = "--non-finite", paramLabel = "P", defaultValue = "error",
            description = NonFiniteOption.HELP + "; also applies to the saliency maps")
    String nonFinite;

    /** The options with the command's defaults of N and the context (shown by --help). */
    SaliencyOptions(int defaultSamples, SaliencyContext defaultContext) {
        this.samples = defaultSamples;
        this.context = defaultContext.key;
    }

    /** For picocli (the explain defaults). */
    SaliencyOptions() {
        this(SaliencySettings.DEFAULT_SAMPLES, SaliencyContext.DEFAULT);
    }

    /**
     * The engine settings: this command line mapped onto {@link SaliencySettings}, validated there; an invalid value is
     * a usage error naming the option ({@link Requests}).
     */
    SaliencySettings toOptions(CommandLine cl) {
        return Requests.validated(cl, () -> {
            SaliencySettings.Builder b = SaliencySettings.builder()
                    .samples(samples)
                    .noiseLevel(noiseLevel)
                    .seed(seed)
                    .context(SaliencyContext.parse(context))
                    .margin(margin)
                    .localMargin(localMargin)
                    .batchSize(batchSize)
                    .keepGraph(!noKeepGraph)
                    .workers(workers)
                    .receptiveFieldCrop(!noReceptiveFieldCrop)
                    .backendCheck(!noBackendCheck)
                    .recheck(recheck)
                    .uncertainty(uncertainty);
            if (methods != null) b.methods(SaliencyMethods.parseList(String.join(",", methods)));
            NonFiniteOption.parse(cl, nonFinite);
            return b.build();
        });
    }

    /** The progress printer on standard error ({@link ProgressPrinter}; nothing with --quiet). */
    io.github.ies.model.ProgressListener progress(java.io.PrintWriter err) {
        return ProgressPrinter.of(err, quiet);
    }

    /**
     * Fills an explain request with these options (the settings, device, threads, the non-finite policy and the
     * version) and {@code tnSpheres}, and checks it ({@link Requests}: a bad value is a usage error naming its option).
     */
    io.github.ies.pipeline.ExplainJob.Request fill(io.github.ies.pipeline.ExplainJob.Request q, picocli.CommandLine cl, int tnSpheres) {
        q.settings = toOptions(cl);
        q.tnSpheres = tnSpheres;
        q.device = device;
        q.threads = threads;
        q.nonFinite = NonFiniteOption.parse(cl, nonFinite);
        q.version = new IesCli.Version().getVersion()[0];
        return Requests.validated(cl, q::validateFiles);
    }

    /**
     * Runs an explain job with the options shared by {@code ies explain} and {@code ies demo} (device, threads, TN
     * spheres, version), progress and log lines on standard error prefixed with the command's name, and warnings
     * printed after it.
     */
    io.github.ies.pipeline.ExplainPipeline.Result run(io.github.ies.pipeline.ExplainJob.Request q, picocli.CommandLine cl) throws Exception {
        String name = "ies " + cl.getCommandName();
        java.io.PrintWriter err = cl.getErr();
        io.github.ies.pipeline.ExplainPipeline.Result r = io.github.ies.pipeline.ExplainJob.run(q, progress(err), s -> {
            if (!quiet) { err.println(name + ": " + s); err.flush(); }
        });
        for (String w : r.warnings) err.println(name + ": warning: " + w);
        err.flush();
        return r;
    }
}
