package io.github.ies.cli;

import com.google.gson.JsonObject;
import io.github.ies.io.NonFinite;
import io.github.ies.io.OutputFolder;
import io.github.ies.io.Volume;
import io.github.ies.pipeline.LesionSegmentation;
import io.github.ies.instances.InstanceParams;
import io.github.ies.instances.InstanceResult;
import io.github.ies.pipeline.RunRecord;
import io.github.ies.pipeline.SegmentJob;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.SegmentationResult;
import io.github.ies.model.Segmenter;
import io.github.ies.model.TorchRuntime;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ies segment}: sliding-window segmentation with a model bundle. */
@Command(name = "segment", mixinStandardHelpOptions = true,
        description = {"Segments lesions with a TorchScript model bundle (sliding window as MONAI's).",
                "Writes DIR/probability.nii.gz (float32 lesion probability), DIR/mask.nii.gz (uint8, probability > threshold), "
                        + "DIR/labels.nii.gz (int32 lesion instances), DIR/lesions.csv and DIR/run.json; with --gt also "
                        + "fn_labels.nii.gz, tn_spheres.nii.gz and metrics.json."})
public final class SegmentCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "model bundle: its folder, the ies-model.json in it, or a .zip of it")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "NAME=FILE",
            description = "an input channel, e.g. FLAIR=flair.nii.gz (names match the bundle's inputs case-insensitively)")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--brain-mask", paramLabel = "FILE", description = "probability and mask are zero outside this mask (default: none)")
    Path brainMask;

    @Option(names = "--threshold", paramLabel = "T", description = "lesion threshold of the probability (default: the bundle's)")
    Double threshold;

    @Option(names = "--device", paramLabel = "D", defaultValue = io.github.ies.model.DeviceSpec.DEFAULT, description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "CPU threads (default: ${DEFAULT-VALUE}, all cores)")
    int threads;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "" + Segmenter.Options.DEFAULT_BATCH_SIZE, description = "patches per network call (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--gt", paramLabel = "FILE",
            description = "ground-truth lesion mask: adds TP/FP/FN/TN categories, fn_labels.nii.gz, tn_spheres.nii.gz and metrics.json (default: none)")
    Path gt;

    @Option(names = "--min-voxels", paramLabel = "N", description = "drop predicted lesions with fewer voxels (default: the bundle's min_lesion_voxels)")
    Integer minVoxels;

    @Option(names = "--connectivity", paramLabel = "C", description = "6, 18 or 26 (default: the bundle's connectivity)")
    Integer connectivity;

    @Option(names = "--tn-spheres", paramLabel = "N", defaultValue = "" + InstanceParams.DEFAULT_TN_SPHERES, description = "TN spheres sampled with --gt (default: ${DEFAULT-VALUE})")
    int tnSpheres;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "" + InstanceParams.DEFAULT_SEED, description = "seed of the TN sphere placement (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    @Option(names = "--non-finite", paramLabel = "P", defaultValue = "error", description = NonFiniteOption.HELP)
    String nonFinite;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        Map<String, Path> files = CliInputs.parse(cl, inputs);
        NonFinite.Policy policy = NonFiniteOption.parse(cl, nonFinite);
        LesionSegmentation.Options lo = request(cl, policy);
        List<Path> given = new ArrayList<>(files.values());
        given.add(model);
        given.add(brainMask);
        given.add(gt);
        OutputFolder.check(out, given, io.github.ies.io.OutputKind.SEGMENT, "segment");                   // a bad output folder is reported before any reading
        ModelBundle bundle = io.github.ies.pipeline.InputFiles.bundle(model);
        List<String> warnings = new ArrayList<>();
        Map<String, String> sources = new java.util.LinkedHashMap<>();
        Volume[] channels = io.github.ies.pipeline.InputFiles.channels(bundle, files, policy, warnings, sources);
        String ref = io.github.ies.pipeline.InputFiles.reference(bundle, sources);        // the grids checked before any inference
        Volume mask = io.github.ies.pipeline.InputFiles.onGrid(brainMask, "brain mask", channels[0], ref, policy, warnings);
        Volume gtVol = io.github.ies.pipeline.InputFiles.onGrid(gt, "ground truth", channels[0], ref, policy, warnings);
        PrintWriter err = cl.getErr();
        for (String w : warnings) err.println("ies segment: warning: " + w);
        int shown = warnings.size();
        long t0 = System.nanoTime();
        LesionSegmentation ls = SegmentJob.run(bundle, channels, gtVol, mask, lo, out, "segment", given, r -> record(r, bundle, files), warnings,
                ProgressPrinter.of(err, quiet), seg -> {
                    if (!quiet) {
                        err.println("model " + bundle.name() + " on " + seg.device() + " (requested " + device + ", PyTorch "
                                + TorchRuntime.pytorchVersion() + ", " + TorchRuntime.threads() + " CPU threads)");
                    }
                });
        for (String w : warnings.subList(shown, warnings.size())) err.println("ies segment: warning: " + w);
        for (String w : ls.segmentation.warnings()) err.println("ies segment: warning: " + w);
        for (String w : ls.instances.warnings()) err.println("ies segment: warning: " + w);
        SegmentationResult r = ls.segmentation;
        InstanceResult ir = ls.instances;
        PrintWriter outw = cl.getOut();
        outw.printf(Locale.ROOT, "wrote %s: %d windows on %s, %d mask voxels (threshold %.3g), %d lesions in %.1f s%n", out, r.windows(),
                r.device(), r.maskVoxels(), r.threshold(), ir.predicted().count(), (System.nanoTime() - t0) / 1e9);
        if (ir.hasGroundTruth()) {
            var mt = ir.metrics();
            outw.printf(Locale.ROOT, "against %s: Dice %.4f, nDSC %.4f, lesions TP %d, FP %d, FN %d%n", gt, mt.dice, mt.ndsc,
                    mt.lesionTp, mt.lesionFp, mt.lesionFn);
        }
        outw.flush();
        return IesCli.EXIT_OK;
    }

    /** The options as the job's request, checked before any work. */
    LesionSegmentation.Options request(CommandLine cl, NonFinite.Policy policy) {
        LesionSegmentation.Options lo = new LesionSegmentation.Options();
        lo.segmenter.device = device;
        lo.segmenter.threads = threads;
        lo.segmenter.batchSize = batchSize;
        lo.segmenter.threshold = threshold;
        lo.segmenter.nonFinite = policy;
        lo.connectivity = connectivity;
        lo.minLesionVoxels = minVoxels;
        lo.tnSpheres = tnSpheres;
        lo.seed = seed;
        return Requests.validated(cl, lo::validate);
    }

    /** The run record with this command line's parameters (the job adds the model, environment and results). */
    private RunRecord record(LesionSegmentation ls, ModelBundle bundle, Map<String, Path> files) {
        RunRecord rec = new RunRecord("segment", new IesCli.Version().getVersion()[0]);
        JsonObject params = rec.parameters();
        params.addProperty("model", model.toString());
        JsonObject in = new JsonObject();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            in.addProperty(bundle.inputs().get(bundle.inputIndex(e.getKey())), e.getValue().toString());
        }
        params.add("inputs", in);
        params.addProperty("brain_mask", brainMask == null ? null : brainMask.toString());
        params.addProperty("threshold", ls.segmentation.threshold());
        params.addProperty("device_requested", device);
        params.addProperty("threads", TorchRuntime.threads());
        params.addProperty("batch_size_requested", batchSize);
        params.addProperty("ground_truth", gt == null ? null : gt.toString());
        params.addProperty("connectivity", ls.params.connectivity.neighbours);
        params.addProperty("min_lesion_voxels", ls.params.minLesionVoxels);
        params.addProperty("tn_spheres", ls.params.tnSpheres);
        params.addProperty("seed", ls.params.seed);
        params.addProperty("non_finite", nonFinite);
        params.addProperty("out", out.toString());
        return rec;
    }
}
