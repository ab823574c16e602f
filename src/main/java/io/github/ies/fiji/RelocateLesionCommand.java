package io.github.ies.fiji;

import io.github.ies.jobs.RelocateJob;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import io.github.ies.analysis.RelocateExperiment;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.saliency.SaliencyMethods;
import io.github.ies.saliency.SaliencyContext;
import io.github.ies.saliency.SaliencySettings;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import java.io.File;
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
    private int min_voxels = RelocateJob.DEFAULT_MIN_VOXELS;

    @Parameter(label = "Tissue labels (optional: white matter = wm_label, background = 0)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String tissues = OptionalImages.NONE;

    @Parameter(label = "White-matter label in the tissue image", persist = false)
    private int wm_label = RelocateJob.DEFAULT_WM_LABEL;

    @Parameter(label = "Perilesional shell of case (c) (mm)", persist = false)
    private double shell_mm = RelocateJob.DEFAULT_SHELL_MM;

    @Parameter(label = "Clearance around the pasted region (voxels)", persist = false)
    private int clearance = RelocateJob.DEFAULT_CLEARANCE;

    @Parameter(label = "Methods", persist = false)
    private String methods = SaliencyMethods.EVERY;

    @Parameter(label = "SmoothGrad samples", persist = false)
    private int samples = SaliencySettings.DEFAULT_SAMPLES;

    @Parameter(label = "Noise level (fraction of the input range)", persist = false)
    private double noise_level = SaliencySettings.DEFAULT_NOISE_LEVEL;

    @Parameter(label = "Seed (placement and noise)", persist = false)
    private long seed = SaliencySettings.DEFAULT_SEED;

    @Parameter(label = "Saliency context", choices = {"patch", "full", "local"}, persist = false)
    private String saliency_context = SaliencyContext.DEFAULT.key;

    @Parameter(label = "Device", choices = {"auto", "cpu", "gpu"}, persist = false)
    private String device = io.github.ies.model.DeviceSpec.DEFAULT;

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
        RelocateJob.Request q = request();
        gtImage = OptionalImages.resolve(ground_truth, "ground_truth");
        labelImage = OptionalImages.resolve(labels, "labels");
        tissueImage = OptionalImages.resolve(tissues, "tissues");
        if (keep == null) {
            relocate(scratch, q);
            return;
        }
        // as ies experiment relocate: the folder checked before any work, locked, the run staged inside it and published at the end
        java.util.List<Path> inputs = inputFiles(gtImage, labelImage, tissueImage);
        RelocateJob.checkFolder(keep, TITLE_RUN, inputs);
        RelocateJob.intoFolder(keep, TITLE_RUN, inputs, staging -> {
            relocate(staging, q);
            return null;
        });
    }

    private ImagePlus gtImage, labelImage, tissueImage;

    /** The command's name in messages and in the run.json it writes. */
    static final String TITLE_RUN = "Relocate Lesion";

    /** The parameters as the job's request, checked before any work (lesion 0: the most conspicuous). */
    private RelocateJob.Request request() {
        RelocateJob.Request q = new RelocateJob.Request();
        q.lesion = lesion == 0 ? null : lesion;
        q.minVoxels = min_voxels;
        q.wmLabel = wm_label;
        q.shellMm = shell_mm;
        q.clearance = clearance;
        q.saliency = CommandSupport.saliencySettings(methods, samples, noise_level, seed, saliency_context);
        q.device = device;
        return q.validate();
    }

    @Override
    protected void show() {
        AnalysisSupport.show(relocation, TITLE);
    }

    private void relocate(Path out, RelocateJob.Request q) throws Exception {
        long t0 = System.nanoTime();
        Path bundlePath = CommandSupport.bundlePath(model);
        ModelBundle bundle = ModelBundle.load(bundlePath);
        Volume[] ch = channels(bundle);
        java.util.List<String> idWarnings = new java.util.ArrayList<>();
        Volume lab = AnalysisSupport.lesionLabels(gtImage, labelImage, ch, bundle, device, progress(), idWarnings);
        if (log != null) for (String w : idWarnings) log.warn(TITLE_RUN + ": " + w);
        Volume t = null;
        if (tissueImage != null) {
            t = CommandSupport.volume(tissueImage, "tissues");
            Volume.requireOnGrid(t, "tissues '" + tissueImage.getTitle() + "'", ch[0], "the FLAIR image");
        }
        RelocateJob.Outcome o = RelocateJob.run(bundle, bundlePath, ch, lab, RelocateJob.masks(ch, t, wm_label, null), q, out, s -> {
            if (status != null) status.showStatus(TITLE_RUN + ": " + s);
        });
        result = o.result;
        relocation = AnalysisSupport.table(result.csv());
        relocation_figure = AnalysisSupport.image("Relocation " + flairImage.getShortTitle() + " lesion " + result.lesionId, o.figure);
        io.github.ies.pipeline.RunRecord rec = CommandSupport.runRecord(TITLE_RUN, this);
        java.util.List<String> warnings = new java.util.ArrayList<>(inputWarnings());
        warnings.addAll(idWarnings);
        RelocateJob.record(out, bundle, q, o, rec, warnings, (System.nanoTime() - t0) / 1e9);
        if (log != null) {
            for (String w : result.warnings) log.warn(TITLE_RUN + ": " + w);
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
