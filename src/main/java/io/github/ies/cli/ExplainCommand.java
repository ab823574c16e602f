package io.github.ies.cli;

import io.github.ies.saliency.SaliencyContext;
import io.github.ies.pipeline.ExplainJob;
import io.github.ies.pipeline.ExplainPipeline;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ies explain}: instance-level SmoothGrad and Grad-CAM++ maps (see docs/saliency.md). */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Explains lesion instances with instance-level SmoothGrad (max and mean aggregation) and Grad-CAM++.",
                "Instances: those of an 'ies segment' folder (--segmentation: its ids, TP/FP, FN and TN), of a label image (--labels, ids "
                        + "as given; with --gt also categorised, with FN and TN instances), or segmented first (the outputs of 'ies segment').",
                "Writes DIR/saliency/lesion-<id>_<method>_<channel>.nii.gz (ids zero-padded: lesion-007_...), DIR/lesions.csv with the "
                        + "peak columns, the label images the instances come from, and DIR/run.json; prints a per-lesion summary."})
public final class ExplainCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "model bundle: its folder, the ies-model.json in it, or a .zip of it")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "NAME=FILE", description = "an input channel, e.g. FLAIR=flair.nii.gz")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--segmentation", paramLabel = "DIR",
            description = "an 'ies segment' output folder: explain its instances with its ids and categories (FN and TN ids included); "
                    + "no segmentation, its ground truth and brain mask (default: none)")
    Path segmentation;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "a label image of the instances to explain (ids kept; no segmentation); with --gt also categorised, FN ids "
                    + "after its largest id (default: none, segment first)")
    Path labels;

    @Option(names = "--gt", paramLabel = "FILE", description = "ground truth: categories, FN instances, TN spheres and metrics (default: none)")
    Path gt;

    @Option(names = "--brain-mask", paramLabel = "FILE", description = "brain mask (segmentation and TN spheres; default: none)")
    Path brainMask;

    @Option(names = "--lesions", paramLabel = "ID[,ID...]", split = ",", description = "explain only these instance ids (default: all rows of the lesion table)")
    List<Integer> lesions;

    @Option(names = "--tn-spheres", paramLabel = "N", defaultValue = "" + io.github.ies.instances.InstanceParams.DEFAULT_TN_SPHERES,
            description = "TN spheres placed when a ground truth is given (default: ${DEFAULT-VALUE})")
    int tnSpheres;

    @CommandLine.Mixin
    SaliencyOptions saliency = new SaliencyOptions();

    /** The options as the job's request, checked before any work. */
    ExplainJob.Request request() {
        ExplainJob.Request q = new ExplainJob.Request();
        q.model = model;
        q.inputs = CliInputs.parse(spec.commandLine(), inputs);
        q.out = out;
        q.labels = labels;
        q.segmentation = segmentation;
        q.groundTruth = gt;
        q.brainMask = brainMask;
        q.lesions = lesions;
        return saliency.fill(q, spec.commandLine(), tnSpheres);
    }

    @Override
    public Integer call() throws Exception {
        ExplainPipeline.Result r = saliency.run(request(), spec.commandLine());
        PrintWriter o = spec.commandLine().getOut();
        o.print(DemoCommand.summary(r));
        o.printf(Locale.ROOT, "wrote %s: %d instance(s) explained in %.1f s%n", out, r.rows.size(), r.seconds);
        o.flush();
        return IesCli.EXIT_OK;
    }
}
