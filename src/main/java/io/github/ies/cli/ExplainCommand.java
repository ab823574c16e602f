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
                "Without --labels it segments first (the outputs of 'ies segment' plus labels.nii.gz and lesions.csv); "
                        + "writes DIR/saliency/lesion-<id>_<method>_<channel>.nii.gz, peak columns in DIR/lesions.csv and DIR/run.json."})
public final class ExplainCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "model bundle folder or .zip")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "NAME=FILE", description = "an input channel, e.g. FLAIR=flair.nii.gz")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--labels", paramLabel = "FILE", description = "label image of the instances to explain (ids kept); no segmentation")
    Path labels;

    @Option(names = "--gt", paramLabel = "FILE", description = "ground truth: categories, FN instances, TN spheres and metrics")
    Path gt;

    @Option(names = "--brain-mask", paramLabel = "FILE", description = "brain mask (segmentation and TN spheres)")
    Path brainMask;

    @Option(names = "--lesions", paramLabel = "ID[,ID...]", split = ",", description = "explain only these instance ids")
    List<Integer> lesions;

    @Option(names = "--tn-spheres", paramLabel = "N", defaultValue = "10",
            description = "TN spheres placed when a ground truth is given (default: ${DEFAULT-VALUE})")
    int tnSpheres;

    @CommandLine.Mixin
    SaliencyOptions saliency = new SaliencyOptions();

    @Override
    public Integer call() throws Exception {
        ExplainJob.Request q = new ExplainJob.Request();
        q.model = model;
        q.inputs = CliInputs.parse(spec.commandLine(), inputs);
        q.out = out;
        q.labels = labels;
        q.groundTruth = gt;
        q.brainMask = brainMask;
        if (labels != null && gt != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--gt applies to segmentation; it cannot be combined with --labels");
        }
        q.lesions = lesions;
        q.settings = saliency.toOptions(spec.commandLine(), 50, SaliencyContext.PATCH);
        ExplainPipeline.Result r = saliency.run(q, spec.commandLine(), tnSpheres);
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "wrote %s: %d instance(s) explained in %.1f s%n", out, r.rows.size(), r.seconds);
        o.flush();
        return IesCli.EXIT_OK;
    }
}
