package io.github.ies.fiji;

import io.github.ies.jobs.ContextJob;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import io.github.ies.analysis.ContextExperiment;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import java.io.File;
import java.nio.file.Path;

/**
 * The perilesional context experiment (paper 3.5; the engine of {@code ies experiment context}): input zeroed except
 * each lesion dilated k = 0..K times; results table "Context" (the context.csv columns) and the two-panel figure.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Instance Saliency>Perilesional Context Experiment", label = "Perilesional Context Experiment",
        headless = true)
public class ContextExperimentCommand extends ModelCommand implements TableResults {

    public static final String TITLE = "Context";

    @Parameter(label = "Ground truth (binary; lesions = 18-connected components)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String ground_truth = OptionalImages.NONE;

    @Parameter(label = "Label image (instead of ground truth; ids as given)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String labels = OptionalImages.NONE;

    @Parameter(label = "Smallest lesion (voxels)", persist = false)
    private int min_voxels = ContextJob.DEFAULT_MIN_VOXELS;

    @Parameter(label = "Largest lesion (voxels)", persist = false)
    private int max_voxels = ContextJob.DEFAULT_MAX_VOXELS;

    @Parameter(label = "Dilation steps K", persist = false)
    private int steps = ContextJob.DEFAULT_STEPS;

    @Parameter(label = "Detection threshold (negative: the model's)", persist = false)
    private double threshold = -1;

    @Parameter(label = "Device", choices = {"auto", "cpu", "gpu"}, persist = false)
    private String device = io.github.ies.model.DeviceSpec.DEFAULT;

    @Parameter(label = "Output folder (none, or a folder for context.csv, context_lesions.csv, context.png)", style = "directory", required = false,
            persist = false)
    private File output_folder = new File(OptionalImages.NONE);

    /** A table, not a SciJava output ({@link TableResults}). */
    private ResultsTable context_table;

    @Parameter(type = ItemIO.OUTPUT)
    private ImagePlus context_plot;

    private ContextExperiment.Result result;

    @Override
    protected String title() {
        return "Perilesional Context Experiment";
    }

    @Override
    protected void compute(Path scratch) throws Exception {
        experiment();
    }

    @Override
    protected void show() {
        AnalysisSupport.show(context_table, TITLE);
    }

    /** The parameters as the job's request, checked before any work. */
    ContextJob.Request request() {
        ContextJob.Request q = new ContextJob.Request();
        q.minVoxels = min_voxels;
        q.maxVoxels = max_voxels;
        q.steps = steps;
        q.threshold = CommandSupport.threshold(threshold);
        q.device = device;
        return q.validate();
    }

    private void experiment() throws Exception {
        long t0 = System.nanoTime();
        Path out = OptionalImages.folder(output_folder);
        ImagePlus gtImage = OptionalImages.resolve(ground_truth, "ground_truth"), labelImage = OptionalImages.resolve(labels, "labels");
        if (out != null) io.github.ies.io.OutputFolder.check(out, inputFiles(gtImage, labelImage), io.github.ies.io.OutputKind.CONTEXT, TITLE_RUN);    // before any work
        ContextJob.Request q = request();
        ModelBundle bundle = loadBundle();
        Volume[] ch = channels(bundle);
        java.util.List<String> idWarnings = new java.util.ArrayList<>();
        Volume lab = AnalysisSupport.lesionLabels(gtImage, labelImage, ch, bundle, device, progress(), idWarnings);
        if (log != null) for (String w : idWarnings) log.warn(TITLE_RUN + ": " + w);
        java.util.List<String> warnings = new java.util.ArrayList<>(inputWarnings());     // for run.json
        warnings.addAll(idWarnings);
        ContextJob.Outcome o = ContextJob.run(bundle, ch, lab, q, progress());
        result = o.result;
        if (log != null) for (String w : result.warnings) log.warn(TITLE_RUN + ": " + w);
        context_table = AnalysisSupport.table(result.csv());
        context_plot = AnalysisSupport.image("Context " + flairImage.getShortTitle(), o.figure);
        if (out != null) {
            // as ies experiment context: staged in the output folder with its run.json, then moved into place
            io.github.ies.pipeline.RunRecord rec = CommandSupport.runRecord(TITLE_RUN, this);
            ContextJob.write(out, TITLE_RUN, inputFiles(gtImage, labelImage), o, rec, warnings, (System.nanoTime() - t0) / 1e9);
        }
        if (log != null) log.info(TITLE_RUN + ": " + o.summary());
    }

    /** The command's name in messages and in the run.json it writes. */
    static final String TITLE_RUN = "Perilesional Context Experiment";

    public ResultsTable getContextTable() { return context_table; }
    public ImagePlus getContextPlot() { return context_plot; }
    public ContextExperiment.Result getResult() { return result; }

    @Override
    public java.util.Map<String, ResultsTable> tables() {
        java.util.Map<String, ResultsTable> m = new java.util.LinkedHashMap<>();
        if (context_table != null) m.put("context_table", context_table);
        return m;
    }
}
