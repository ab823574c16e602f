package io.github.ies.fiji;

import ij.ImagePlus;
import io.github.ies.io.ExplainLayout;
import ij.measure.ResultsTable;
import io.github.ies.analysis.RelocateExperiment;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.report.Figures;
import io.github.ies.report.RelocateFigure;
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
 * Relocated lesions (paper 3.4; the engine of {@code ies experiment relocate}): a lesion pasted (a) into lesion-free
 * white matter, (b) into the background, (c) into the background with its perilesional shell; each modified volume
 * segmented and the pasted lesion explained. Results table "Relocation" (the relocate.csv columns) and the figure.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Instance Saliency>Relocate Lesion", label = "Relocate Lesion", headless = true)
public class RelocateLesionCommand extends ModelCommand implements TableResults {

    public static final String TITLE = "Relocation";

    @Parameter(label = "Ground truth (binary; lesions = 18-connected components)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String ground_truth = OptionalImages.NONE;

    @Parameter(label = "Label image (instead of ground truth; ids as given)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String labels = OptionalImages.NONE;

    @Parameter(label = "Lesion id (0: the most conspicuous)", persist = false)
    private int lesion = 0;

    @Parameter(label = "Smallest lesion for the automatic choice (voxels)", persist = false)
    private int min_voxels = 20;

    @Parameter(label = "Tissue labels (optional: white matter = wm_label, background = 0)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String tissues = OptionalImages.NONE;

    @Parameter(label = "White-matter label in the tissue image", persist = false)
    private int wm_label = 7;

    @Parameter(label = "Perilesional shell of case (c) (mm)", persist = false)
    private double shell_mm = 3;

    @Parameter(label = "Clearance around the pasted region (voxels)", persist = false)
    private int clearance = 1;

    @Parameter(label = "Methods", persist = false)
    private String methods = "smoothgrad-max,gradcampp";

    @Parameter(label = "SmoothGrad samples", persist = false)
    private int samples = 50;

    @Parameter(label = "Noise level (fraction of the input range)", persist = false)
    private double noise_level = 0.05;

    @Parameter(label = "Seed (placement and noise)", persist = false)
    private long seed = 1;

    @Parameter(label = "Saliency context", choices = {"patch", "full", "local"}, persist = false)
    private String saliency_context = "patch";

    @Parameter(label = "Device", choices = {"auto", "cpu", "gpu"}, persist = false)
    private String device = "auto";

    @Parameter(label = "Output folder (none: a temporary folder, deleted after)", style = "directory", required = false,
            persist = false)
    private File output_folder = new File(OptionalImages.NONE);

    /** A table, not a SciJava output ({@link TableResults}). */
    private ResultsTable relocation;

    @Parameter(type = ItemIO.OUTPUT)
    private ImagePlus relocation_figure;

    private RelocateExperiment.Result result;

    @Override
    protected String title() {
        return "Relocate Lesion";
    }

    @Override
    protected void compute(Path scratch) throws Exception {
        Path keep = OptionalImages.folder(output_folder);
        if (keep == null) {
            relocate(scratch);
            return;
        }
        io.github.ies.io.OutputFolder.check(keep, java.util.List.of(), "Relocate Lesion");   // before anything is created
        RelocateExperiment.checkOutput(keep);
        // as ies experiment relocate: the folder locked, the run staged inside it and published at the end
        try (io.github.ies.io.OutputFolder folder = io.github.ies.io.OutputFolder.open(keep, "Relocate Lesion", java.util.List.of())) {
            Path staging = folder.newStaging();
            relocate(staging);
            RelocateExperiment.publish(folder, staging, keep);
            folder.keep();
        }
    }

    @Override
    protected void show() {
        AnalysisSupport.show(relocation, TITLE);
    }

    private void relocate(Path out) throws Exception {
        long t0 = System.nanoTime();
        if (lesion < 0) throw new IllegalArgumentException("lesion must be >= 0 (0: the most conspicuous), got " + lesion);
        if (!(shell_mm >= 0) || clearance < 0) throw new IllegalArgumentException("shell_mm and clearance must be >= 0");
        if (samples < 1) throw new IllegalArgumentException("samples must be >= 1, got " + samples);
        if (!(noise_level >= 0) || Double.isInfinite(noise_level)) throw new IllegalArgumentException("noise_level must be >= 0, got " + noise_level);
        io.github.ies.model.DeviceSpec.parse(device);
        Path bundlePath = CommandSupport.bundlePath(model);
        ModelBundle bundle = ModelBundle.load(bundlePath);
        Volume[] ch = channels(bundle);
        java.util.List<String> idWarnings = new java.util.ArrayList<>();
        Volume lab = AnalysisSupport.lesionLabels(OptionalImages.resolve(ground_truth, "ground_truth"),
                OptionalImages.resolve(labels, "labels"), ch, bundle, device, progress(), idWarnings);
        if (log != null) for (String w : idWarnings) log.warn("Relocate Lesion: " + w);
        int n = ch[0].size();
        boolean[] wm = null, bg = new boolean[n];
        ImagePlus tissueImage = OptionalImages.resolve(tissues, "tissues");
        if (tissueImage != null) {
            Volume t = CommandSupport.volume(tissueImage, "tissues");
            if (!t.sameGrid(ch[0])) throw new IllegalArgumentException("tissues '" + tissueImage.getTitle() + "' is not on the FLAIR's grid");
            wm = new boolean[n];
            for (int v = 0; v < n; v++) { wm[v] = t.data()[v] == wm_label; bg[v] = t.data()[v] == 0; }
        } else {
            for (int v = 0; v < n; v++) {
                boolean zero = true;
                for (Volume c : ch) zero &= c.data()[v] == 0;
                bg[v] = zero; // background = every input channel exactly 0, as ies experiment relocate
            }
        }
        RelocateExperiment.Options o = new RelocateExperiment.Options();
        o.lesionId = lesion == 0 ? null : lesion;
        o.minVoxelsAuto = min_voxels;
        o.shellMm = shell_mm;
        o.clearance = clearance;
        o.seed = seed;
        o.saliency = ExplainLesionsCommand.settings(methods, samples, noise_level, seed, saliency_context);
        o.device = device;
        result = RelocateExperiment.run(bundle, bundlePath, ch, lab, wm, bg, o, out, s -> {
            if (status != null) status.showStatus("Relocate Lesion: " + s);
        });
        String csv = result.csv();
        relocation = AnalysisSupport.table(csv);
        BufferedImage fig = RelocateFigure.render(result, out, bundle.inputs().get(0));
        relocation_figure = AnalysisSupport.image("Relocation " + flair.getShortTitle() + " lesion " + result.lesionId, fig);
        Nifti.writeAtomically(out.resolve(ExplainLayout.RELOCATE_CSV), os -> os.write(csv.getBytes(StandardCharsets.UTF_8)));
        Figures.writePng(fig, out.resolve(ExplainLayout.RELOCATE_FIGURE));
        com.google.gson.JsonObject res = new com.google.gson.JsonObject();
        res.addProperty("lesion_id", result.lesionId);
        res.addProperty("threshold", result.threshold);
        com.google.gson.JsonArray cases = new com.google.gson.JsonArray();
        for (RelocateExperiment.Case c : result.cases) cases.add(c.name);
        res.add("cases", cases);
        CommandSupport.writeRunRecord(out, "Relocate Lesion", this, bundle, device + " requested (each case's explain/run.json names the device used)",
                res, result.warnings, (System.nanoTime() - t0) / 1e9);
        if (log != null) {
            for (String w : result.warnings) log.warn("Relocate Lesion: " + w);
            for (RelocateExperiment.Case c : result.cases) {
                log.info(CommandSupport.fmt("Relocate Lesion: %-17s mean %.3f  max %.3f  %s", c.name, c.meanScore, c.maxScore,
                        c.detected ? "detected" : "not detected"));
            }
        }
    }

    public ResultsTable getRelocation() { return relocation; }
    public ImagePlus getRelocationFigure() { return relocation_figure; }
    public RelocateExperiment.Result getResult() { return result; }

    @Override
    public java.util.Map<String, ResultsTable> tables() {
        java.util.Map<String, ResultsTable> m = new java.util.LinkedHashMap<>();
        if (relocation != null) m.put("relocation", relocation);
        return m;
    }
}
