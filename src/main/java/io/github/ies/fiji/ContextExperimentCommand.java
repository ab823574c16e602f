package io.github.ies.fiji;

import ij.ImagePlus;
import io.github.ies.io.ExplainLayout;
import ij.measure.ResultsTable;
import io.github.ies.analysis.ContextExperiment;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.Segmenter;
import io.github.ies.report.Figures;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
    private int min_voxels = 90;

    @Parameter(label = "Largest lesion (voxels)", persist = false)
    private int max_voxels = 120;

    @Parameter(label = "Dilation steps K", persist = false)
    private int steps = 25;

    @Parameter(label = "Detection threshold (negative: the model's)", persist = false)
    private double threshold = -1;

    @Parameter(label = "Device", choices = {"auto", "cpu", "gpu"}, persist = false)
    private String device = "auto";

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

    private void experiment() throws Exception {
        long t0 = System.nanoTime();
        if (OptionalImages.folder(output_folder) != null) {
            io.github.ies.io.OutputFolder.check(OptionalImages.folder(output_folder), java.util.List.of(), "Perilesional Context Experiment");   // before any work
        }
        if (min_voxels < 1 || max_voxels < min_voxels) throw new IllegalArgumentException("need 1 <= min_voxels <= max_voxels");
        if (steps < 0) throw new IllegalArgumentException("steps must be >= 0");
        Double t = CommandSupport.threshold(threshold);
        io.github.ies.model.DeviceSpec.parse(device);
        ModelBundle bundle = loadBundle();
        Volume[] ch = channels(bundle);
        java.util.List<String> idWarnings = new java.util.ArrayList<>();
        Volume lab = AnalysisSupport.lesionLabels(OptionalImages.resolve(ground_truth, "ground_truth"),
                OptionalImages.resolve(labels, "labels"), ch, bundle, device, progress(), idWarnings);
        if (log != null) for (String w : idWarnings) log.warn("Perilesional Context Experiment: " + w);
        ContextExperiment.Options o = new ContextExperiment.Options();
        o.minVoxels = min_voxels;
        o.maxVoxels = max_voxels;
        o.steps = steps;
        o.threshold = t;
        Segmenter.Options so = new Segmenter.Options();
        so.device = device;
        ProgressListener pl = progress();
        String deviceUsed;
        try (Segmenter seg = new Segmenter(bundle, so)) {
            deviceUsed = seg.device();
            result = ContextExperiment.run(seg, ch, lab, o, pl);
        }
        pl.checkCancelled();
        ContextExperiment.Result r = result;
        if (log != null) for (String w : r.warnings) log.warn("Perilesional Context Experiment: " + w);
        int n = r.steps();
        double[] det = new double[n], mean = new double[n], std = new double[n];
        for (int s = 0; s < n; s++) { det[s] = r.nDetected(s); mean[s] = r.mean(s); std[s] = r.std(s); }
        BufferedImage fig = Figures.contextFigure(r.distanceMm, det, r.lesions.size(), mean, std, r.threshold);
        String csv = r.csv();
        context_table = AnalysisSupport.table(csv);
        context_plot = AnalysisSupport.image("Context " + flair.getShortTitle(), fig);
        if (OptionalImages.folder(output_folder) != null) {
            com.google.gson.JsonObject res = new com.google.gson.JsonObject();
            com.google.gson.JsonArray ids = new com.google.gson.JsonArray();
            for (ContextExperiment.Lesion l : r.lesions) ids.add(l.id);
            res.add("lesions", ids);
            res.addProperty("all_detected_step", r.allDetectedStep());
            res.addProperty("network_windows", r.windowsRun);
            java.util.List<String> w = new java.util.ArrayList<>(idWarnings);
            w.addAll(r.warnings);
            // as ies experiment context: staged in the output folder with its run.json, then moved into place
            io.github.ies.io.OutputFolder.write(OptionalImages.folder(output_folder), "Perilesional Context Experiment", java.util.List.of(), staging -> {
                write(staging.resolve(ExplainLayout.CONTEXT_CSV), csv);
                write(staging.resolve(ExplainLayout.CONTEXT_LESIONS_CSV), r.detailCsv());
                Figures.writePng(fig, staging.resolve(ExplainLayout.CONTEXT_FIGURE));
                CommandSupport.writeRunRecord(staging, "Perilesional Context Experiment", this, bundle, deviceUsed, res, w, (System.nanoTime() - t0) / 1e9);
            });
        }
        if (log != null) {
            int all = r.allDetectedStep();
            log.info(CommandSupport.fmt("Perilesional Context Experiment: %d lesion(s), %d step(s), %d windows; all detected from step %s",
                    r.lesions.size(), n, r.windowsRun, all < 0 ? "(never)" : Integer.toString(all)));
        }
    }

    static void write(Path p, String s) throws java.io.IOException {
        Nifti.writeAtomically(p, os -> os.write(s.getBytes(StandardCharsets.UTF_8)));
    }

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
