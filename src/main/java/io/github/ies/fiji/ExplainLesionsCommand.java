package io.github.ies.fiji;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import io.github.ies.model.ProgressListener;
import io.github.ies.saliency.Method;
import io.github.ies.saliency.SaliencyContext;
import io.github.ies.saliency.ExplainJob;
import io.github.ies.saliency.SaliencySettings;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Explains lesions lesion by lesion (instance-level SmoothGrad and Grad-CAM++) with the engine of
 * {@code ies explain} ({@link ExplainJob}): the inputs are written to a temporary folder, the job runs exactly as
 * on the command line (into the output folder when one is given, else a temporary one), and its files are turned
 * into a lesion gallery hyperstack, a whole-volume overview, the "Lesions" results table with the peak columns and
 * the ROI Manager entries.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Instance Saliency>Explain Lesions", label = "Explain Lesions", headless = true)
public class ExplainLesionsCommand extends SegmentingCommand {

    @Parameter(label = "Label image (optional; default: segment first)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String labels = OptionalImages.NONE;

    @Parameter(label = "Ground truth (optional; with segmentation)", choices = {OptionalImages.NONE}, initializer = OptionalImages.INITIALIZER, persist = false)
    private String ground_truth = OptionalImages.NONE;

    @Parameter(label = "TN spheres (with ground truth)", min = "0", persist = false)
    private int tn_spheres = 10;

    @Parameter(label = "Methods", description = "comma-separated: smoothgrad-max, smoothgrad-mean, gradcampp, class-gradcampp", persist = false)
    private String methods = "smoothgrad-max,gradcampp";

    @Parameter(label = "SmoothGrad samples", min = "1", persist = false)
    private int samples = 50;

    @Parameter(label = "Noise level", min = "0", persist = false)
    private double noise_level = 0.05;

    @Parameter(label = "Seed", persist = false)
    private long seed = 1;

    /** The saliency context (named so because the command's SciJava context is already called "context"). */
    @Parameter(label = "Context (network input around the lesion)", choices = {"patch", "full", "local"}, persist = false)
    private String saliency_context = "patch";

    @Parameter(label = "Lesions (all, roi-manager or ids such as 3,7,12)", persist = false)
    private String lesions = "all";

    @Parameter(label = "Gallery crop size (voxels; 0: automatic)", min = "0", persist = false)
    private int crop_size = 0;

    @Parameter(label = "Output folder (none: do not save; same files as 'ies explain')", style = "directory", required = false, persist = false)
    private File output_folder = new File(OptionalImages.NONE);

    @Parameter(type = ItemIO.OUTPUT)
    private ImagePlus gallery;

    @Parameter(type = ItemIO.OUTPUT)
    private ImagePlus overview;

    @Parameter(type = ItemIO.OUTPUT)
    private ResultsTable lesion_table;

    private List<Roi> rois = new ArrayList<>();
    private LesionTable table;

    @Override
    protected String title() {
        return "Explain Lesions";
    }

    @Override
    protected void compute(Path scratch) throws Exception {
        explain(scratch);
    }

    @Override
    protected void show() {
        CommandSupport.showInGui(lesion_table, rois, overview);
    }

    private void explain(Path work) throws Exception {
        ImagePlus labelImage = OptionalImages.resolve(labels, "labels");
        ImagePlus gtImage = OptionalImages.resolve(ground_truth, "ground_truth");
        Path outFolder = OptionalImages.folder(output_folder);
        SaliencySettings o = settings(methods, samples, noise_level, seed, saliency_context);
        checkedDevice();

        Map<String, Volume> in = CommandSupport.inputs(flair, mprage);
        Volume ref = in.get("FLAIR");
        int[] nd = ref.dims();
        ExplainJob.Request q = new ExplainJob.Request();
        q.model = CommandSupport.bundlePath(model);
        q.options = o;
        q.device = device;
        q.threshold = thresholdOrModel();
        q.minLesionVoxels = minSizeOrModel();
        q.connectivity = connectivityOrModel();
        q.command = "fiji-explain";
        if (tn_spheres < 0) throw new IllegalArgumentException("tn_spheres must be >= 0, got " + tn_spheres);
        q.tnSpheres = tn_spheres;
        for (Map.Entry<String, Volume> e : in.entrySet()) {
            ImagePlus src = e.getKey().equals("FLAIR") ? flair : mprage;
            Path p = work.resolve(safe(src.getShortTitle(), e.getKey()) + ".nii");
            Nifti.write(e.getValue(), p, NiftiDataType.FLOAT32);
            q.inputs.put(e.getKey(), p);
        }
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
                userLabels = LesionRois.toLabels(sel, nd);
            }
        }
        if (labelImage != null && userLabels == null) {
            Volume lv = CommandSupport.volume(labelImage, "labels");
            if (!lv.sameGrid(ref)) throw new IllegalArgumentException("labels '" + labelImage.getTitle() + "' is not on the FLAIR's grid");
            userLabels = new int[lv.data().length];
            for (int i = 0; i < userLabels.length; i++) userLabels[i] = Math.round(lv.data()[i]);
            q.labels = work.resolve("labels.nii");
            Nifti.write(lv, q.labels, NiftiDataType.INT32);
        } else if (userLabels != null) {
            float[] f = new float[userLabels.length];
            for (int i = 0; i < f.length; i++) f[i] = userLabels[i];
            q.labels = work.resolve("labels.nii");
            Nifti.write(new Volume(f, nd, ref.geometry()), q.labels, NiftiDataType.INT32);
        }
        if (gtImage != null) {
            if (q.labels != null) throw new IllegalArgumentException("ground_truth applies to segmentation; it cannot be combined with a label image or ROIs");
            Volume gt = CommandSupport.volume(gtImage, "ground_truth");
            q.groundTruth = work.resolve("ground_truth.nii");
            Nifti.write(gt, q.groundTruth, NiftiDataType.FLOAT32);
        }
        q.lesions = ids;
        q.out = outFolder != null ? outFolder : work.resolve("out");
        ProgressListener pl = progress();
        ExplainJob.Result res = ExplainJob.run(q, pl, s -> {
            if (log != null) log.info("Explain Lesions: " + s);
        });
        if (log != null) for (String warn : res.warnings) log.warn("Explain Lesions: " + warn);
        table = LesionTable.read(q.out.resolve("lesions.csv"));
        lesion_table = LesionResults.toResultsTable(table);
        if (res.rows.isEmpty()) {
            if (log != null) log.info("Explain Lesions: no lesion to explain");
            return;
        }
        buildDisplays(q, res, in, userLabels);
    }

    private void buildDisplays(ExplainJob.Request q, ExplainJob.Result res, Map<String, Volume> in, int[] userLabels) throws IOException {
        Volume ref = in.get("FLAIR");
        int[] nd = ref.dims();
        Path sal = q.out.resolve("saliency");
        Map<String, int[]> labelFiles = new HashMap<>();
        java.util.function.Function<String, int[]> labelsFor = cat -> {
            if (userLabels != null) return userLabels;
            String f = LesionTable.labelFileFor(cat);
            return labelFiles.computeIfAbsent(f, name -> {
                try {
                    Volume v = Nifti.read(q.out.resolve(name));
                    int[] l = new int[v.data().length];
                    for (int i = 0; i < l.length; i++) l[i] = Math.round(v.data()[i]);
                    return l;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        };
        Method sg = q.options.methods.contains(Method.SMOOTHGRAD_MAX) ? Method.SMOOTHGRAD_MAX
                : q.options.methods.contains(Method.SMOOTHGRAD_MEAN) ? Method.SMOOTHGRAD_MEAN : null;
        boolean gc = q.options.methods.contains(Method.GRADCAMPP);
        List<LesionGallery.Channel> channels = new ArrayList<>();
        Map<String, String> files = new LinkedHashMap<>();   // channel name -> file suffix
        for (String n : in.keySet()) channels.add(new LesionGallery.Channel(n, LesionGallery.Kind.IMAGE));
        if (sg != null) {
            for (String n : in.keySet()) {
                String name = (sg == Method.SMOOTHGRAD_MAX ? "SmoothGrad-max " : "SmoothGrad-mean ") + n;
                channels.add(new LesionGallery.Channel(name, LesionGallery.Kind.SIGNED));
                files.put(name, sg.key + "_" + n.toLowerCase(Locale.ROOT));
            }
        }
        if (gc) files.put("Grad-CAM++", Method.GRADCAMPP.key + "_layer");
        int gcIndex = channels.size();
        if (gc) channels.add(new LesionGallery.Channel("Grad-CAM++", LesionGallery.Kind.POSITIVE));
        channels.add(new LesionGallery.Channel("lesion mask", LesionGallery.Kind.MASK));

        // one crop size for all lesions, from the explained lesions' bounding boxes
        List<Integer> ids = new ArrayList<>();
        for (ExplainJob.Row r : res.rows) ids.add(r.id);
        int[] size = new int[3];
        for (int a = 0; a < 3; a++) {
            int ext = 0;
            char ax = "ijk".charAt(a);
            for (int id : ids) {
                int row = table.rowOfId(id);
                ext = Math.max(ext, table.getInt(row, "bbox_" + ax + "_max") - table.getInt(row, "bbox_" + ax + "_min") + 1);
            }
            size[a] = crop_size > 0 ? crop_size : Math.max(24, ext + 16);
            size[a] = Math.min(size[a], nd[a]);
        }
        LesionOverview ov = new LesionOverview(ref, "FLAIR");
        List<LesionGallery.Frame> frames = new ArrayList<>();
        boolean gcSigned = false;
        LesionTable explained = new LesionTable(table.columns());
        for (int id : ids) {
            int row = table.rowOfId(id);
            String cat = table.get(row, "category");
            int[] centre = {(int) Math.round(table.getDouble(row, "centroid_i")), (int) Math.round(table.getDouble(row, "centroid_j")),
                    (int) Math.round(table.getDouble(row, "centroid_k"))};
            Map<String, float[]> crops = new HashMap<>();
            for (Map.Entry<String, Volume> e : in.entrySet()) crops.put(e.getKey(), LesionGallery.crop(e.getValue(), centre, size));
            for (Map.Entry<String, String> e : files.entrySet()) {
                Volume map = Nifti.read(sal.resolve("lesion-" + id + "_" + e.getValue() + ".nii.gz"));
                crops.put(e.getKey(), LesionGallery.crop(map, centre, size));
                boolean isGc = e.getKey().equals("Grad-CAM++");
                if (isGc) for (float x : map.data()) if (x < 0) { gcSigned = true; break; }
                ov.add(e.getKey(), isGc ? LesionGallery.Kind.POSITIVE : LesionGallery.Kind.SIGNED, map);
            }
            int[] lab = labelsFor.apply(cat);
            float[] mask = new float[lab.length];
            for (int i = 0; i < lab.length; i++) mask[i] = lab[i] == id ? 1 : 0;
            crops.put("lesion mask", LesionGallery.crop(new Volume(mask, nd, ref.geometry()), centre, size));
            frames.add(new LesionGallery.Frame(id, cat, crops));
            String[] vals = new String[table.columns().size()];
            for (int c = 0; c < vals.length; c++) vals[c] = table.get(row, table.columns().get(c));
            explained.addRow((Object[]) vals);
        }
        if (gc && gcSigned) {
            channels.set(gcIndex, new LesionGallery.Channel("Grad-CAM++", LesionGallery.Kind.SIGNED));
            ov.kind("Grad-CAM++", LesionGallery.Kind.SIGNED);
        }
        String base = flair.getShortTitle();
        ImagePlus cal = VolumeImages.toImagePlus(Volume.zeros(new int[] {1, 1, 1}, ref.geometry()), "");
        CompositeImage g = LesionGallery.build(base + "_lesion_gallery", channels, frames, size, cal.getCalibration());
        gallery = g;
        overview = ov.build(base + "_saliency_overview");
        rois = LesionRois.build(explained, nd, labelsFor);
    }

    /**
     * The macro keys of the saliency parameters mapped onto {@link SaliencySettings} (validated there); messages
     * name the macro keys.
     */
    static SaliencySettings settings(String methods, int samples, double noiseLevel, long seed, String context) {
        try {
            return SaliencySettings.builder().methods(Method.parseList(methods)).samples(samples).noiseLevel(noiseLevel)
                    .seed(seed).context(SaliencyContext.parse(context)).build();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            for (String[] k : new String[][] {{"noise level", "noise_level"}, {"context", "saliency_context"}, {"no method", "methods: no method"}}) {
                if (m.startsWith(k[0])) m = k[1] + m.substring(k[0].length());
            }
            throw new IllegalArgumentException(m, e);
        }
    }

    private static String safe(String title, String fallback) {
        String s = title == null ? "" : title.replaceAll("[^A-Za-z0-9._-]+", "_");
        return s.isEmpty() ? fallback : s + "-" + fallback.toLowerCase(Locale.ROOT);
    }


    public ImagePlus getGallery() { return gallery; }
    public ImagePlus getOverview() { return overview; }
    public ResultsTable getLesionTable() { return lesion_table; }
    /** The lesions.csv of the run (all rows, peak columns for the explained ones). */
    public LesionTable getTable() { return table; }
    /** The ROI Manager entries of the explained lesions (filled into the ROI Manager only when ImageJ's GUI is up). */
    public List<Roi> getRois() { return rois; }
}
