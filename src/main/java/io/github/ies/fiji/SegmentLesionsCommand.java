package io.github.ies.fiji;

import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import io.github.ies.pipeline.LesionSegmentation;
import io.github.ies.instances.InstanceResult;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.SegmentationResult;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import java.io.File;
import io.github.ies.io.OutputFolder;
import io.github.ies.pipeline.SegmentJob;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Segments MS lesions with a model bundle (the engine of {@code ies segment} and {@code ies explain}): shows the
 * lesion probability map, a label image (glasbey-like LUT), a results table "Lesions" (the lesions.csv columns)
 * and fills the ROI Manager with each lesion's per-slice contours.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Instance Saliency>Segment Lesions", label = "Segment Lesions", headless = true)
public class SegmentLesionsCommand extends SegmentingCommand implements TableResults {

    @Parameter(label = "Ground truth (optional: TP/FP/FN categories)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String ground_truth = OptionalImages.NONE;

    @Parameter(label = "Output folder (none: do not save; same files as 'ies segment')", style = "directory", required = false, persist = false)
    private File output_folder = new File(OptionalImages.NONE);

    @Parameter(type = ItemIO.OUTPUT)
    private ImagePlus probability;

    @Parameter(type = ItemIO.OUTPUT)
    private ImagePlus labels;

    /** A table, not a SciJava output ({@link TableResults}). */
    private ResultsTable lesions;

    private List<Roi> rois = new ArrayList<>();

    /** The run.json command of a Segment Lesions run that wrote a folder. */
    static final String COMMAND = "fiji-segment";

    @Override
    protected String title() {
        return "Segment Lesions";
    }

    @Override
    protected void compute(Path scratch) throws Exception {
        segment();
    }

    @Override
    protected void show() {
        CommandSupport.showInGui(lesions, rois, labels);
    }

    /** The parameters as the job's request, checked before any work. */
    LesionSegmentation.Options request() {
        LesionSegmentation.Options lo = new LesionSegmentation.Options();
        lo.segmenter.device = device;
        lo.segmenter.threshold = thresholdOrModel();
        lo.connectivity = connectivityOrModel();
        lo.minLesionVoxels = minSizeOrModel();
        return lo.validate();
    }

    private void segment() throws Exception {
        Path out = OptionalImages.folder(output_folder);
        ImagePlus gtImage = OptionalImages.resolve(ground_truth, "ground_truth");
        LesionSegmentation.Options lo = request();
        List<Path> inputFiles = inputFiles(gtImage);
        if (out != null) OutputFolder.check(out, inputFiles, io.github.ies.io.OutputKind.SEGMENT, COMMAND);          // a bad output folder before any reading
        ModelBundle bundle = loadBundle();
        Volume[] channels = channels(bundle);
        Volume gt = gtImage == null ? null : CommandSupport.volume(gtImage, "ground_truth");
        if (gt != null) Volume.requireOnGrid(gt, "ground_truth '" + gtImage.getTitle() + "'", channels[0], "FLAIR '" + flairImage.getTitle() + "'");
        List<String> warnings = new ArrayList<>(inputWarnings());
        LesionSegmentation ls = SegmentJob.run(bundle, channels, gt, null, lo, out, COMMAND, inputFiles, r -> CommandSupport.runRecord(COMMAND, this),
                warnings, progress(), null);
        SegmentationResult sr = ls.segmentation;
        InstanceResult ir = ls.instances;
        String base = flairImage.getShortTitle();
        probability = VolumeImages.toImagePlus(sr.probability(), base + "_probability");
        probability.setDisplayRange(0, 1);
        labels = LabelImages.toImagePlus(ir.predicted().toVolume(ir.geometry(), 0), base + "_labels");
        lesions = LesionResults.toResultsTable(ir.rows().table());
        int[] dims = channels[0].dims();
        rois = LesionRois.build(ir.rows(), new ViewSpace(channels[0].geometry(), dims), cat -> io.github.ies.instances.Categories.FN.equals(cat) ? ir.fnLabels()
                : io.github.ies.instances.Categories.TN.equals(cat) ? ir.tnLabels() : ir.predicted().labels());
        if (out != null && log != null) log.info("Segment Lesions: wrote " + out);
        if (log != null) {
            log.info(CommandSupport.fmt("Segment Lesions: %d lesion(s), %d table row(s), threshold %.3g", ir.predicted().count(),
                    ir.rows().size(), sr.threshold()));
        }
    }

    public ImagePlus getProbability() { return probability; }
    public ImagePlus getLabels() { return labels; }
    public ResultsTable getLesions() { return lesions; }
    /** The ROI Manager entries (filled into the ROI Manager only when ImageJ's GUI is up). */
    public List<Roi> getRois() { return rois; }

    @Override
    public java.util.Map<String, ResultsTable> tables() {
        java.util.Map<String, ResultsTable> m = new java.util.LinkedHashMap<>();
        if (lesions != null) m.put("lesions", lesions);
        return m;
    }
}
