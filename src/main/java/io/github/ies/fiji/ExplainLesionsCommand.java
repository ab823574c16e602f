package io.github.ies.fiji;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import io.github.ies.instances.LesionRow;
import io.github.ies.instances.LesionRows;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.NonFinite;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.saliency.LesionMaps;
import io.github.ies.saliency.SaliencyMethod;
import io.github.ies.saliency.SaliencyMethods;
import io.github.ies.saliency.SaliencyContext;
import io.github.ies.pipeline.ExplainJob;
import io.github.ies.pipeline.ExplainPipeline;
import io.github.ies.saliency.SaliencySettings;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Explains lesions lesion by lesion (instance-level SmoothGrad and Grad-CAM++) with the engine of
 * {@code ies explain} ({@link ExplainJob#inMemory}): the images' volumes go to the same in-memory pipeline as the
 * command line's, which writes the same files into the output folder when one is given; the maps are turned, as they
 * come, into a lesion gallery hyperstack, a whole-volume overview, the "Lesions" results table with the peak columns
 * and the ROI Manager entries.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Instance Saliency>Explain Lesions", label = "Explain Lesions", headless = true)
public class ExplainLesionsCommand extends SegmentingCommand implements TableResults {

    @Parameter(label = "Label image (optional; default: segment first)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String labels = OptionalImages.NONE;

    @Parameter(label = "Ground truth (optional: categories, FN and TN instances)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String ground_truth = OptionalImages.NONE;

    @Parameter(label = "TN spheres (with ground truth)", min = "0", persist = false)
    private int tn_spheres = io.github.ies.instances.InstanceParams.DEFAULT_TN_SPHERES;

    @Parameter(label = "Methods", description = "all, or comma-separated: smoothgrad-max, smoothgrad-mean, gradcampp, class-gradcampp",
            initializer = "initMethods", persist = false)
    private String methods = SaliencyMethods.EVERY;

    @Parameter(label = "SmoothGrad samples", min = "1", persist = false)
    private int samples = SaliencySettings.DEFAULT_SAMPLES;

    @Parameter(label = "Noise level", min = "0", persist = false)
    private double noise_level = SaliencySettings.DEFAULT_NOISE_LEVEL;

    @Parameter(label = "Seed", persist = false)
    private long seed = SaliencySettings.DEFAULT_SEED;

    /** The saliency context (named so because the command's SciJava context is already called "context"). */
    @Parameter(label = "Context (network input around the lesion)", choices = {"patch", "full", "local"}, persist = false)
    private String saliency_context = SaliencyContext.DEFAULT.key;

    @Parameter(label = "Lesions (all, roi-manager or ids such as 3,7,12)", persist = false)
    private String lesions = "all";

    @Parameter(label = "Check the gradient backend again (ignore this machine's cached verdicts)", persist = false)
    private boolean recheck = false;

    @Parameter(label = "Gallery crop size (voxels; 0: automatic, largest lesion + 16, at least 48)", min = "0", persist = false)
    private int crop_size = 0;

    @Parameter(label = "Output folder (none: do not save; same files as 'ies explain')", style = "directory", required = false, persist = false)
    private File output_folder = new File(OptionalImages.NONE);

    @Parameter(type = ItemIO.OUTPUT)
    private ImagePlus gallery;

    @Parameter(type = ItemIO.OUTPUT)
    private ImagePlus overview;

    /** A table, not a SciJava output ({@link TableResults}). */
    private ResultsTable lesion_table;

    private List<Roi> rois = new ArrayList<>();
    private LesionTable table;

    /** The command's label in run.json. */
    static final String COMMAND = "fiji-explain";

    @Override
    protected String title() {
        return "Explain Lesions";
    }

    @Override
    protected void compute(Path scratch) throws Exception {
        explain();
    }

    @Override
    protected void show() {
        CommandSupport.showInGui(lesion_table, rois, overview);
    }

    /** The parameters as the pipeline's request, checked before any work (the lesions to explain are set when known). */
    ExplainPipeline.Request request() {
        ExplainPipeline.Request q = new ExplainPipeline.Request();
        q.settings = CommandSupport.saliencySettings(methods, samples, noise_level, seed, saliency_context);
        if (recheck) q.settings = q.settings.toBuilder().recheck(true).build();
        q.device = device;
        q.threshold = thresholdOrModel();
        q.minLesionVoxels = minSizeOrModel();
        q.connectivity = connectivityOrModel();
        q.command = COMMAND;
        q.version = CommandSupport.version();
        q.tnSpheres = tn_spheres;
        return q.validate();
    }

    private void explain() throws Exception {
        ImagePlus labelImage = OptionalImages.resolve(labels, "labels");
        ImagePlus gtImage = OptionalImages.resolve(ground_truth, "ground_truth");
        Path outFolder = OptionalImages.folder(output_folder);
        ExplainPipeline.Request q = request();
        SaliencySettings o = q.settings;
        ModelBundle bundle = loadBundle();
        Map<String, Volume> in = CommandSupport.inputs(bundle, flairImage, mprageImage);    // under the bundle's names
        Volume ref = in.values().iterator().next();                // FLAIR's grid, the reference
        int[] nd = ref.dims();
        List<String> assumed = inputWarnings();                   // logged by ModelCommand.run, recorded in run.json
        List<String> readWarnings = new ArrayList<>(assumed);
        ImagePlus[] images = {flairImage, mprageImage};
        int c = 0;
        for (Map.Entry<String, Volume> e : in.entrySet()) {
            String w = NonFinite.check(e.getValue(), e.getKey() + " '" + images[c++].getTitle() + "'", NonFinite.Policy.ERROR);
            if (w != null) readWarnings.add(w);
        }
        ExplainPipeline.Inputs inputs = new ExplainPipeline.Inputs(bundle, channels(bundle), CommandSupport.sources(bundle, flairImage, mprageImage));
        inputs.modelSource = CommandSupport.bundlePath(model).toString();

        int[] userLabels = null;
        boolean fromRois = lesions != null && lesions.trim().equalsIgnoreCase("roi-manager");
        List<Integer> ids = fromRois ? null : CommandSupport.ids(lesions);
        if (fromRois) {
            List<Roi> sel = CommandSupport.roiManagerSelection();
            if (sel.stream().allMatch(r -> LesionRois.idOf(r) > 0)) {
                // lesion ROIs (from Segment or Explain Lesions): explain those ids of the label image or segmentation
                ids = new ArrayList<>();
                for (Roi r : sel) if (!ids.contains(LesionRois.idOf(r))) ids.add(LesionRois.idOf(r));
            } else {
                // regions a user drew (e.g. around a missed lesion): the ROIs themselves are the instances
                userLabels = LesionRois.toLabels(sel, new ViewSpace(ref.geometry(), nd));
                inputs.labelsSource = "ROI Manager selection";
            }
        }
        if (labelImage != null && userLabels == null) {
            Volume lv = CommandSupport.volume(labelImage, "labels");
            Volume.requireOnGrid(lv, "labels '" + labelImage.getTitle() + "'", ref, "FLAIR '" + flairImage.getTitle() + "'");
            userLabels = new int[lv.data().length];
            for (int i = 0; i < userLabels.length; i++) userLabels[i] = Math.round(lv.data()[i]);
            inputs.labelsSource = "image '" + labelImage.getTitle() + "'";
        }
        if (userLabels != null) {
            float[] f = new float[userLabels.length];
            for (int i = 0; i < f.length; i++) f[i] = userLabels[i];
            inputs.labels = new Volume(f, nd, ref.geometry());
        }
        if (gtImage != null) {
            Volume gt = CommandSupport.volume(gtImage, "ground_truth");
            Volume.requireOnGrid(gt, "ground_truth '" + gtImage.getTitle() + "'", ref, "FLAIR '" + flairImage.getTitle() + "'");
            inputs.groundTruth = gt;
            inputs.groundTruthSource = "image '" + gtImage.getTitle() + "'";
        }
        q.lesions = ids;
        ExplainDisplays displays = new ExplainDisplays(in, o, crop_size);
        List<Path> inputFiles = inputFiles(labelImage, gtImage);
        ExplainPipeline.Result res = ExplainJob.inMemory(inputs, q, outFolder, inputFiles, displays, readWarnings, progress(), s -> {
            if (log != null) log.info("Explain Lesions: " + s);
        });
        if (log != null) for (String warn : res.warnings) if (!assumed.contains(warn)) log.warn("Explain Lesions: " + warn);
        table = res.table.table();
        lesion_table = LesionResults.toResultsTable(table);
        if (res.rows.isEmpty()) {
            if (log != null) log.info("Explain Lesions: no lesion to explain");
            return;
        }
        displays.build(flairImage.getShortTitle(), ref, res.rows);
        gallery = displays.gallery;
        overview = displays.overview;
        rois = displays.rois;
    }

    /** Initializer of {@code methods}: its description lists the registered method keys ({@link SaliencyMethods}). */
    protected void initMethods() {
        getInfo().getMutableInput("methods", String.class).setDescription("all, or comma-separated: " + SaliencyMethods.keyList());
    }

    public ImagePlus getGallery() { return gallery; }
    public ImagePlus getOverview() { return overview; }
    public ResultsTable getLesionTable() { return lesion_table; }
    /** The lesions.csv of the run (all rows, peak columns for the explained ones). */
    public LesionTable getTable() { return table; }
    /** The ROI Manager entries of the explained lesions (filled into the ROI Manager only when ImageJ's GUI is up). */
    public List<Roi> getRois() { return rois; }

    @Override
    public java.util.Map<String, ResultsTable> tables() {
        java.util.Map<String, ResultsTable> m = new java.util.LinkedHashMap<>();
        if (lesion_table != null) m.put("lesion_table", lesion_table);
        return m;
    }
}
