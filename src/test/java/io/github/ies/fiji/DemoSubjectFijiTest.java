package io.github.ies.fiji;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.scijava.Context;
import org.scijava.command.CommandService;

import java.awt.Point;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.Assert.*;

/** Segment and Explain Lesions on the demo subject with the demo model (headless SciJava context). */
public class DemoSubjectFijiTest {

    @ClassRule
    public static TemporaryFolder tmp = new TemporaryFolder();

    static final Path DEMO = Path.of("test-images/demo"), MODEL = Path.of("test-images/models/demo-unet");
    static Context context;
    static CommandService commands;
    static ImagePlus flair, mprage, gt;

    @BeforeClass
    public static void setUp() throws Exception {
        Assume.assumeTrue("demo model present", Files.isRegularFile(MODEL.resolve("model.pt")));
        context = new Context(CommandService.class);
        commands = context.service(CommandService.class);
        flair = VolumeImages.toImagePlus(Nifti.read(DEMO.resolve("flair.nii.gz")), "flair");
        mprage = VolumeImages.toImagePlus(Nifti.read(DEMO.resolve("mprage.nii.gz")), "mprage");
        gt = VolumeImages.toImagePlus(Nifti.read(DEMO.resolve("lesions.nii.gz")), "lesions");
    }

    @AfterClass
    public static void tearDown() {
        FijiRun.closeAll();
        if (context != null) context.dispose();
    }

    private Map<String, Object> inputs() {
        Map<String, Object> in = new HashMap<>();
        in.put("flair", flair);
        in.put("mprage", mprage);
        in.put("model", MODEL.toFile());
        in.put("ground_truth", FijiRun.open(gt));
        in.put("device", "cpu");
        return in;
    }

    @Test
    public void segmentThenExplainATpAndAnFn() throws Exception {
        FijiRun seg = FijiRun.run(context, SegmentLesionsCommand.class, inputs());
        assertFalse(seg.getCancelReason(), seg.isCanceled());
        ResultsTable rt = (ResultsTable) seg.getOutput("lesions");
        // pick the smallest TP and the largest FN of the table
        int tp = -1, fn = -1, tpVox = Integer.MAX_VALUE, fnVox = -1;
        for (int r = 0; r < rt.size(); r++) {
            String cat = rt.getStringValue("category", r);
            int v = (int) rt.getValue("voxels", r), id = (int) rt.getValue("id", r);
            if (cat.equals("TP") && v >= 6 && v < tpVox) { tp = id; tpVox = v; }
            if (cat.equals("FN") && v > fnVox) { fn = id; fnVox = v; }
        }
        assertTrue("the demo model finds TP lesions", tp > 0);
        assertTrue("and misses a few (FN)", fn > 0);

        Path out = tmp.newFolder("demo").toPath();
        Map<String, Object> in = inputs();
        in.put("lesions", tp + "," + fn);
        in.put("samples", 2);
        in.put("saliency_context", "local");
        in.put("tn_spheres", 3);
        in.put("output_folder", out.toFile());
        FijiRun ex = FijiRun.run(context, ExplainLesionsCommand.class, in);
        assertFalse(ex.getCancelReason(), ex.isCanceled());
        ExplainLesionsCommand cmd = (ExplainLesionsCommand) ex.getDelegateObject();
        LesionTable csv = LesionTable.read(out.resolve("lesions.csv"));
        FijiCommandsTest.assertTableEqualsCsv((ResultsTable) ex.getOutput("lesion_table"), csv);
        // the segmentation of Explain equals Segment's for the predicted lesions
        for (int r = 0; r < rt.size(); r++) {
            if (!rt.getStringValue("category", r).equals("TP") && !rt.getStringValue("category", r).equals("FP")) continue;
            int row = csv.rowOfId((int) rt.getValue("id", r));
            assertEquals(rt.getValue("voxels", r), csv.getDouble(row, "voxels"), 0);
            assertEquals(rt.getValue("centroid_x", r), csv.getDouble(row, "centroid_x"), 0);
        }

        CompositeImage g = (CompositeImage) ex.getOutput("gallery");
        assertEquals(6, g.getNChannels());
        assertEquals(2, g.getNFrames());
        assertEquals(LesionRois.name(tp, "TP") + ": FLAIR", g.getStack().getSliceLabel(g.getStackIndex(1, 1, 1)));
        assertEquals(LesionRois.name(fn, "FN") + ": lesion mask", g.getStack().getSliceLabel(g.getStackIndex(6, 1, 2)));
        // the FN's mask channel holds its FN-label voxels: as many as the table says
        int maskVoxels = 0;
        for (int z = 1; z <= g.getNSlices(); z++) {
            float[] px = (float[]) g.getStack().getPixels(g.getStackIndex(6, z, 2));
            for (float x : px) if (x == 1f) maskVoxels++;
        }
        assertEquals(fnVox, maskVoxels);
        double m = g.getChannelLut(3).max;
        assertEquals(-m, g.getChannelLut(3).min, 0);
        assertTrue(m > 0);

        // ROIs: the FN's contours lie inside fn_labels on their slices and cover its voxels
        Volume fnLabels = Nifti.read(out.resolve("fn_labels.nii.gz"));
        List<Roi> rois = cmd.getRois();
        int covered = 0;
        ViewSpace view = new ViewSpace(fnLabels.geometry(), fnLabels.dims());
        for (Roi r : rois) {
            if (LesionRois.idOf(r) != fn) continue;
            int k = r.getZPosition() - 1;
            assertEquals(LesionRois.name(fn, "FN", k + 1), r.getName());
            for (Point p : r.getContainedPoints()) {
                int[] v = view.voxel(p.x, p.y, k);
                assertEquals((float) fn, fnLabels.get(v[0], v[1], v[2]), 0f);
                covered++;
            }
        }
        assertEquals(fnVox, covered);
        final int tpId = tp;
        assertTrue(rois.stream().anyMatch(r -> LesionRois.idOf(r) == tpId && r.getName().startsWith(LesionRois.name(tpId, "TP") + " slice ")));
        assertTrue(Files.isRegularFile(out.resolve("saliency/" + io.github.ies.io.ExplainLayout.mapName(fn, "smoothgrad-max", "flair", false))));
        com.google.gson.JsonObject rec = com.google.gson.JsonParser.parseString(Files.readString(out.resolve("run.json"))).getAsJsonObject();
        com.google.gson.JsonObject par = rec.getAsJsonObject("parameters");
        assertEquals(rec.toString(), 2, par.get("samples").getAsInt());
        assertEquals(rec.toString(), "local", par.get("context").getAsString());
        assertTrue(rec.toString(), rec.has("backend_check") && rec.has("environment") && rec.has("model"));
    }

    /**
     * Issue 20: an image without NIfTI geometry (a TIFF saved from an IES view: the same voxels and calibration, no
     * properties) is taken to be in the display convention; with the demo model, whose bundle declares RAS at 2 mm,
     * it gives the same lesions as the NIfTI file, and the command says what it assumed.
     */
    @Test
    public void anImageWithoutNiftiGeometryGivesTheSameLesionsAsItsNiftiFile() throws Exception {
        ImagePlus f2 = stripped(flair, "flair_tiff"), m2 = stripped(mprage, "mprage_tiff");
        assertNotNull(VolumeImages.assumption(f2, "flair"));
        assertNull(VolumeImages.assumption(flair, "flair"));
        Map<String, Object> in = new HashMap<>();
        in.put("model", MODEL.toFile());
        in.put("device", "cpu");
        in.put("flair", flair);
        in.put("mprage", mprage);
        FijiRun nifti = FijiRun.run(context, SegmentLesionsCommand.class, in);
        in.put("flair", f2);
        in.put("mprage", m2);
        FijiRun tiff = FijiRun.run(context, SegmentLesionsCommand.class, in);
        assertFalse(tiff.getCancelReason(), tiff.isCanceled());
        ImagePlus a = (ImagePlus) nifti.getOutput("labels"), b = (ImagePlus) tiff.getOutput("labels");
        assertEquals(a.getStackSize(), b.getStackSize());
        int lesions = 0;
        for (int z = 1; z <= a.getStackSize(); z++) {
            float[] pa = (float[]) a.getStack().getProcessor(z).convertToFloatProcessor().getPixels();
            float[] pb = (float[]) b.getStack().getProcessor(z).convertToFloatProcessor().getPixels();
            assertArrayEquals("slice " + z, pa, pb, 0f);
            for (float v : pa) lesions = Math.max(lesions, (int) v);
        }
        assertTrue(lesions > 10);
        ResultsTable ta = (ResultsTable) nifti.getOutput("lesions"), tb = (ResultsTable) tiff.getOutput("lesions");
        assertEquals(ta.size(), tb.size());
        for (int r = 0; r < ta.size(); r++) assertEquals(ta.getValue("voxels", r), tb.getValue("voxels", r), 0);
    }

    /**
     * Issue 21: the Fiji commands take the bundle's names of its inputs (not FLAIR and MPRAGE written in the plugin):
     * the demo bundle with its inputs renamed T2_FLAIR and T1w gives the same lesions; a bundle whose inputs are not a
     * FLAIR and a T1 is refused in one line that says what to do.
     */
    @Test
    public void theInputsAreTheBundles() throws Exception {
        Path renamed = tmp.newFolder("renamed-bundle").toPath(), other = tmp.newFolder("other-bundle").toPath();
        String json = Files.readString(MODEL.resolve("ies-model.json"));
        assertTrue(json.contains("\"FLAIR\",") && json.contains("\"MPRAGE\""));
        for (Path dir : List.of(renamed, other)) {
            try (java.util.stream.Stream<Path> files = Files.list(MODEL)) {
                for (Path f : (Iterable<Path>) files::iterator) if (!f.getFileName().toString().equals("ies-model.json")) Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Files.writeString(renamed.resolve("ies-model.json"), json.replace("\"FLAIR\",", "\"T2_FLAIR\",").replace("\"MPRAGE\"", "\"T1w\""));
        Files.writeString(other.resolve("ies-model.json"), json.replace("\"FLAIR\",", "\"DWI\",").replace("\"MPRAGE\"", "\"ADC\""));
        Map<String, Object> in = new HashMap<>();
        in.put("device", "cpu");
        in.put("flair", flair);
        in.put("mprage", mprage);
        in.put("model", MODEL.toFile());
        ImagePlus a = (ImagePlus) FijiRun.run(context, SegmentLesionsCommand.class, in).getOutput("labels");
        in.put("model", renamed.toFile());
        FijiRun r = FijiRun.run(context, SegmentLesionsCommand.class, in);
        assertFalse(r.getCancelReason(), r.isCanceled());
        ImagePlus b = (ImagePlus) r.getOutput("labels");
        for (int z = 1; z <= a.getStackSize(); z++) {
            assertArrayEquals("slice " + z, (float[]) a.getStack().getProcessor(z).convertToFloatProcessor().getPixels(),
                    (float[]) b.getStack().getProcessor(z).convertToFloatProcessor().getPixels(), 0f);
        }
        in.put("model", other.toFile());
        FijiRun refused = FijiRun.run(context, SegmentLesionsCommand.class, in);
        assertTrue(refused.isCanceled());
        assertTrue(refused.getCancelReason(), refused.getCancelReason().contains("the model's inputs are [DWI, ADC]")
                && refused.getCancelReason().contains("ies explain --input NAME=FILE"));
    }

    @Test
    public void bundleInputsAreRecognisedByName() {
        assertArrayEquals(new String[] {"FLAIR", "MPRAGE"}, InputImageDefaults.bundleInputs(List.of("FLAIR", "MPRAGE")));
        assertArrayEquals(new String[] {"T2_FLAIR", "T1w"}, InputImageDefaults.bundleInputs(List.of("T1w", "T2_FLAIR")));
        assertArrayEquals(new String[] {"flair", "mp2rage"}, InputImageDefaults.bundleInputs(List.of("flair", "mp2rage")));
        for (List<String> bad : List.of(List.of("flair", "t1", "t1ce"), List.of("DWI", "ADC"), List.of("FLAIR"), List.of("FLAIR", "FLAIR2"))) {
            try {
                InputImageDefaults.bundleInputs(bad);
                fail(bad + " accepted");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("the model's inputs are " + bad));
            }
        }
    }

    /** What ImageJ keeps of an image saved as TIFF and opened again: the voxels and the calibration, not our properties. */
    private static ImagePlus stripped(ImagePlus imp, String title) {
        ImagePlus c = new ImagePlus(title, imp.getStack().duplicate());
        c.setCalibration(imp.getCalibration().copy());
        return c;
    }
}
