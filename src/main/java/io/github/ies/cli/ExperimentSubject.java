package io.github.ies.cli;

import io.github.ies.analysis.ExplainIds;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The subject of {@code ies experiment context} and {@code relocate} (a picocli mixin): the model, the input channels
 * and the lesions, from a binary ground truth (its 18-connected components, numbered as {@code ies explain --gt}
 * numbers them: {@link ExplainIds}) or an instance label image (ids as given).
 */
final class ExperimentSubject {

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "model bundle: its folder, the ies-model.json in it, or a .zip of it")
    Path model;
    @Option(names = "--input", required = true, paramLabel = "NAME=FILE", description = "an input channel, e.g. FLAIR=flair.nii.gz")
    List<String> inputs = new ArrayList<>();
    @Option(names = "--gt", paramLabel = "FILE", description = "binary ground truth: the lesions are its 18-connected components, numbered as ies explain numbers them (give --gt or --labels; default: none)") Path gt;
    @Option(names = "--labels", paramLabel = "FILE", description = "instance label image, ids as given (give --gt or --labels; default: none)") Path labels;
    @Option(names = "--brain-mask", paramLabel = "FILE",
            description = "with --gt: the brain mask of the segmentation that numbers the lesions, as given to ies segment/explain (default: none)")
    Path brainMask;
    /** Warnings of reading the inputs (non-finite voxels set to 0). */
    final List<String> warnings = new ArrayList<>();

    ModelBundle bundle;
    /** The inputs in the bundle's order. */
    Volume[] channels;
    /** The lesion label image (instance ids) on the inputs' grid. */
    Volume lesions;

    /** The subject's part of run.json's parameters: model, inputs, ground truth or labels, brain mask. */
    void parameters(com.google.gson.JsonObject p) {
        p.addProperty("model", model.toString());
        com.google.gson.JsonArray in = new com.google.gson.JsonArray();
        inputs.forEach(in::add);
        p.add("inputs", in);
        p.addProperty("ground_truth", gt == null ? null : gt.toString());
        p.addProperty("labels", labels == null ? null : labels.toString());
        p.addProperty("brain_mask", brainMask == null ? null : brainMask.toString());
        if (gt != null) p.addProperty("lesion_ids", "the ids ies segment/explain --gt give these ground-truth lesions (18-connected components)");
    }

    /** Usage check (before any work): exactly one of --gt and --labels. */
    void check(CommandLine cl) {
        if ((gt == null) == (labels == null)) throw new CommandLine.ParameterException(cl, "give exactly one of --gt and --labels");
    }

    /** The files given (model, inputs, lesions), for the output-folder check. */
    List<Path> files() {
        List<Path> l = new ArrayList<>(List.of(model));
        for (String s : inputs) {
            int eq = s.indexOf('=');
            if (eq > 0) l.add(Path.of(s.substring(eq + 1)));
        }
        if (gt != null) l.add(gt);
        if (labels != null) l.add(labels);
        if (brainMask != null) l.add(brainMask);
        return l;
    }

    /** The ground truth or label image file given. */
    Path lesionFile() { return gt != null ? gt : labels; }

    /**
     * Loads the bundle, the inputs and the lesions (clear errors for missing files and other grids); with --gt the
     * lesions are numbered by a segmentation on {@code device} ({@link ExplainIds}), with progress.
     */
    void load(CommandLine cl, String nonFinite, String device, int threads, io.github.ies.model.ProgressListener progress) throws Exception {
        if (brainMask != null && gt == null) throw new CommandLine.ParameterException(cl, "--brain-mask goes with --gt (it numbers its lesions)");
        bundle = io.github.ies.pipeline.InputFiles.bundle(model);
        channels = ExperimentCommand.inputs(cl, bundle, inputs, NonFiniteOption.parse(cl, nonFinite), warnings);
        Path lp = lesionFile();
        Volume lab = ExperimentCommand.sameGrid(ExperimentCommand.read(lp, gt != null ? "ground truth" : "label image"), channels[0], lp);
        if (gt != null) {
            Volume brain = brainMask == null ? null : ExperimentCommand.sameGrid(ExperimentCommand.read(brainMask, "brain mask"), channels[0], brainMask);
            lesions = ExplainIds.of(bundle, channels, lab, brain, device, threads, progress, warnings);
        } else {
            lesions = lab;
        }
        for (String w : warnings) cl.getErr().println("ies " + cl.getCommandName() + ": warning: " + w);
    }
}
