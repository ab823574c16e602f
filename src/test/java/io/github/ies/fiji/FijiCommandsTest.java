package io.github.ies.fiji;

import ij.CompositeImage;
import ij.IJ;
import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import ij.process.LUT;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;

import java.awt.Point;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.Assert.*;

/**
 * Runs Segment Lesions and Explain Lesions in a headless SciJava context (no imagej-legacy), passing ImagePlus
 * inputs directly, with the tiny test bundle on a small synthetic subject, and checks every display against the
 * files the same engine writes.
 */
public class FijiCommandsTest {

    @ClassRule
    public static TemporaryFolder tmp = new TemporaryFolder();

    static Context context;
    static CommandService commands;
    public static final int[] DIMS = {24, 28, 16};
    public static final Geometry GEOM = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {-20, -10, 5});
    static ImagePlus flair, mprage, labels;
    static Volume labelVolume;

    @BeforeClass
    public static void setUp() {
        context = new Context(CommandService.class, org.scijava.app.StatusService.class);
        commands = context.service(CommandService.class);
        flair = VolumeImages.toImagePlus(volume(1), "flair");
        mprage = VolumeImages.toImagePlus(volume(2), "mprage");
        labelVolume = Volume.zeros(DIMS, GEOM);
        for (int i = 6; i <= 9; i++) for (int j = 9; j <= 11; j++) for (int k = 5; k <= 7; k++) labelVolume.set(i, j, k, 7f);   // id 7
        for (int i = 15; i <= 16; i++) for (int j = 18; j <= 19; j++) labelVolume.set(i, j, 9, 3f);                           // id 3, one slice
        labelVolume.set(17, 19, 10, 3f);
        labels = LabelImages.toImagePlus(labelVolume, "labels");
    }

    @AfterClass
    public static void tearDown() {
        FijiRun.closeAll();
        context.dispose();
    }

    static String bundle() {
        return io.github.ies.cli.CliTestBase.tinyBundle();
    }

    public static Volume volume(long seed) {
        return io.github.ies.cli.CliTestBase.blob(DIMS, GEOM, seed);
    }

    @Test
    public void commandsAreIndexedWithMacroKeys() {
        CommandInfo seg = commands.getCommand(SegmentLesionsCommand.class);
        assertEquals("Segment Lesions", seg.getMenuPath().getLeaf().getName());
        for (String k : new String[] {"flair", "mprage", "model", "device", "threshold", "min_size", "connectivity"}) {
            assertNotNull("macro key " + k, seg.getInput(k));
        }
        CommandInfo ex = commands.getCommand(ExplainLesionsCommand.class);
        assertEquals("Explain Lesions", ex.getMenuPath().getLeaf().getName());
        assertEquals("Plugins > Instance Saliency > Explain Lesions", ex.getMenuPath().getMenuString());
        for (String k : new String[] {"flair", "mprage", "model", "device", "threshold", "min_size", "connectivity", "labels", "ground_truth", "methods", "samples", "noise_level", "seed",
                "saliency_context", "lesions", "output_folder"}) {
            assertNotNull("macro key " + k, ex.getInput(k));
        }
    }

    /**
     * Issue 20: ImageJ2 displays image outputs and logs "Ignoring unsupported output" for an ImageJ 1 ResultsTable at
     * every run; every output of every IES command is an image (tables are {@link TableResults}).
     */
    @Test
    public void everyOutputIsAnImageImageJ2CanShow() {
        int commandsSeen = 0;
        for (CommandInfo ci : IesCommands.commands(commands)) {
            commandsSeen++;
            for (org.scijava.module.ModuleItem<?> out : ci.outputs()) {
                assertTrue(ci.getTitle() + " output '" + out.getName() + "' is a " + out.getType().getName(),
                        ImagePlus.class.isAssignableFrom(out.getType()));
            }
        }
        assertTrue(commandsSeen >= 7);
    }

    @Test
    public void explainGivenLabelsBuildsGalleryOverviewTableAndRois() throws Exception {
        Path out = tmp.newFolder("explain").toPath();
        Map<String, Object> in = new HashMap<>();
        in.put("flair", flair);
        in.put("mprage", mprage);
        in.put("model", new File(bundle()));
        in.put("labels", FijiRun.open(labels));
        in.put("methods", "smoothgrad-max,gradcampp");
        in.put("samples", 2);
        in.put("seed", 3L);
        in.put("saliency_context", "patch");
        in.put("lesions", "all");
        in.put("output_folder", out.toFile());
        in.put("device", "cpu");
        FijiRun m = FijiRun.run(context, ExplainLesionsCommand.class, in);
        assertFalse(m.getCancelReason(), m.isCanceled());
        ExplainLesionsCommand cmd = (ExplainLesionsCommand) m.getDelegateObject();

        // the output folder has the layout of 'ies explain'
        for (String f : new String[] {"lesions.csv", "run.json", "saliency/lesion-007_smoothgrad-max_flair.nii.gz",
                "saliency/lesion-003_smoothgrad-max_mprage.nii.gz", "saliency/lesion-007_gradcampp_layer.nii.gz"}) {
            assertTrue(f, Files.isRegularFile(out.resolve(f)));
        }
        LesionTable csv = LesionTable.read(out.resolve("lesions.csv"));

        // gallery: channels x crop slices x one frame per lesion, LUTs, labels, common symmetric ranges
        ImagePlus g = (ImagePlus) m.getOutput("gallery");
        assertTrue(g instanceof CompositeImage);
        CompositeImage comp = (CompositeImage) g;
        assertEquals(6, g.getNChannels());
        assertEquals(2, g.getNFrames());
        // auto crop: max(32, extent + 16) voxels, capped at the grid (24 x 28 x 16); shown radiologically: x = -i, y = -j
        ViewSpace crop = new ViewSpace(GEOM, new int[] {24, 28, 16});
        assertArrayEquals(new int[] {24, 28, 16}, crop.viewDims());
        assertEquals(24, g.getWidth());
        assertEquals(28, g.getHeight());
        assertEquals(16, g.getNSlices());
        String[] names = {"FLAIR", "MPRAGE", "SmoothGrad-max FLAIR", "SmoothGrad-max MPRAGE", "Grad-CAM++", "lesion mask"};
        int[] order = {csv.getInt(0, "id"), csv.getInt(1, "id")};
        for (int t = 1; t <= 2; t++) {
            for (int c = 1; c <= 6; c++) {
                String label = g.getStack().getSliceLabel(g.getStackIndex(c, 1, t));
                String want = LesionRois.name(order[t - 1], "") + ": " + names[c - 1];
                if (c == 5) {
                    // Grad-CAM++: divided by this lesion's peak, written in the label
                    double peak = csv.getDouble(csv.rowOfId(order[t - 1]), "gradcampp_layer_peak_pos");
                    want += peak > 0 ? String.format(java.util.Locale.ROOT, " (/ %.3g, this lesion's peak)", peak) : " (zero everywhere)";
                }
                assertEquals(want, label);
            }
        }
        assertEquals(1.0, comp.getChannelLut(5).max, 0);
        // shown as in the report: the maps over the anatomy (an additive composite), FLAIR and the first map at first
        assertEquals(IJ.COMPOSITE, comp.getMode());
        assertEquals("101000", activeString(comp.getActiveChannels()).substring(0, 6));
        LUT grey = comp.getChannelLut(1);
        assertEquals(0, grey.getRed(0));
        assertEquals(255, grey.getRed(255) & 255);
        for (int c : new int[] {3, 4}) {
            LUT l = comp.getChannelLut(c);
            assertEquals(-l.max, l.min, 0);                   // symmetric about 0
            assertTrue(l.max > 0);
            // the report's colours over the anatomy: cyan at -range, yellow at +range, black (adding nothing) near 0,
            // red at a fifth of the range (opaque from 10%), half-faded at 6% (opacity (0.06 - 0.02) / 0.08 = 0.5)
            assertArrayEquals(new int[] {0, 255, 255}, rgb(l, 0));
            assertArrayEquals(new int[] {255, 255, 0}, rgb(l, 255));
            assertArrayEquals(new int[] {0, 0, 0}, rgb(l, 127));
            assertArrayEquals(new int[] {0, 0, 0}, rgb(l, 128));
            assertArrayEquals(new int[] {0, 0, 0}, rgb(l, 130));                   // 2/127 = 1.6% of the range
            int fifth = 128 + 25;                                                   // t = 25/127 = 0.197
            assertArrayEquals(new int[] {255, (int) Math.round(255 * 25 / 127.0), 0}, rgb(l, fifth));
            int six = 128 + 8;                                                      // t = 8/127 = 0.0630
            double op = (8 / 127.0 - 0.02) / 0.08;
            assertArrayEquals(new int[] {(int) Math.round(255 * op), (int) Math.round(255 * op * 8 / 127.0), 0}, rgb(l, six));
            // common range: the largest magnitude over both frames' crops
            double mx = 0;
            for (int t = 1; t <= 2; t++)
                for (int z = 1; z <= g.getNSlices(); z++) {
                    float[] px = (float[]) g.getStack().getPixels(g.getStackIndex(c, z, t));
                    for (float x : px) mx = Math.max(mx, Math.abs(x));
                }
            assertEquals(mx, l.max, 1e-6 * mx);
        }
        // the crop holds the saliency map around the lesion centre (map voxel = crop voxel)
        Volume map = Nifti.read(out.resolve("saliency/lesion-007_smoothgrad-max_flair.nii.gz"));
        int row7 = csv.rowOfId(7);
        int ci = (int) Math.round(csv.getDouble(row7, "centroid_i")), cj = (int) Math.round(csv.getDouble(row7, "centroid_j")),
                ck = (int) Math.round(csv.getDouble(row7, "centroid_k"));
        int t7 = order[0] == 7 ? 1 : 2;
        int oi = ci - 12, oj = cj - 14, ok = ck - 8;
        Volume gcam = Nifti.read(out.resolve("saliency/lesion-007_gradcampp_layer.nii.gz"));
        double gpeak = csv.getDouble(row7, "gradcampp_layer_peak_pos");
        for (int[] v : new int[][] {{7, 10, 6}, {6, 9, 5}, {9, 11, 7}, {12, 14, 3}}) {
            int[] p = crop.screen(new int[] {v[0] - oi, v[1] - oj, v[2] - ok});
            float cv = g.getStack().getProcessor(g.getStackIndex(3, p[2] + 1, t7)).getf(p[0], p[1]);
            assertEquals(map.get(v[0], v[1], v[2]), cv, 0f);
            float mask = g.getStack().getProcessor(g.getStackIndex(6, p[2] + 1, t7)).getf(p[0], p[1]);
            assertEquals(labelVolume.get(v[0], v[1], v[2]) == 7 ? 1f : 0f, mask, 0f);
            float gc = g.getStack().getProcessor(g.getStackIndex(5, p[2] + 1, t7)).getf(p[0], p[1]);
            assertEquals(gpeak > 0 ? (float) (gcam.get(v[0], v[1], v[2]) / (float) gpeak) : 0f, gc, 1e-6f);
        }

        // overview: FLAIR + strongest saliency per channel over the lesions, whole grid
        ImagePlus ov = (ImagePlus) m.getOutput("overview");
        assertEquals(DIMS[0], ov.getWidth());
        assertEquals(DIMS[2], ov.getNSlices());
        assertEquals(4, ov.getNChannels());
        ViewSpace whole = new ViewSpace(GEOM, DIMS);
        Volume map3 = Nifti.read(out.resolve("saliency/lesion-003_smoothgrad-max_flair.nii.gz"));
        Volume flairVolume = VolumeImages.toVolume(flair);
        for (int idx = 0; idx < map.data().length; idx += 7) {
            int i = idx % DIMS[0], j = (idx / DIMS[0]) % DIMS[1], k = idx / (DIMS[0] * DIMS[1]);
            int[] p = whole.screen(new int[] {i, j, k});
            float a = map.data()[idx], b = map3.data()[idx];
            float want = Math.abs(b) > Math.abs(a) ? b : a;
            assertEquals(want, ov.getStack().getProcessor(ov.getStackIndex(2, p[2] + 1, 1)).getf(p[0], p[1]), 0f);
            assertEquals(flairVolume.get(i, j, k), ov.getStack().getProcessor(ov.getStackIndex(1, p[2] + 1, 1)).getf(p[0], p[1]), 0f);
        }
        assertEquals(VolumeImages.viewOf(flair).property(), ov.getProp(VolumeImages.DISPLAY_PROPERTY));

        // results table = lesions.csv (peak columns included)
        ResultsTable rt = (ResultsTable) m.getOutput("lesion_table");
        assertTableEqualsCsv(rt, csv);
        assertTrue(csv.hasColumn("smoothgrad_max_flair_peak_pos"));

        // ROIs: one group per lesion, a ROI per slice it touches, contours inside its mask on that slice
        assertRoisMatchLabels(cmd.getRois(), labelVolume, Set.of(3, 7));
        assertEquals(3, cmd.getRois().stream().filter(r -> r.getGroup() == 7).count());
        assertEquals(2, cmd.getRois().stream().filter(r -> r.getGroup() == 3).count());
    }

    @Test
    public void segmentGivesProbabilityLabelsTableAndRoisMatchingTheExplainEngine() throws Exception {
        Map<String, Object> in = new HashMap<>();
        in.put("flair", flair);
        in.put("mprage", mprage);
        in.put("model", new File(bundle()));
        in.put("device", "cpu");
        in.put("threshold", 0.45);
        in.put("model", new File(bundle(), "ies-model.json"));   // a file chooser picks a file inside the bundle folder
        in.put("min_size", 2);
        in.put("connectivity", "26");
        FijiRun m = FijiRun.run(context, SegmentLesionsCommand.class, in);
        assertFalse(m.getCancelReason(), m.isCanceled());
        SegmentLesionsCommand cmd = (SegmentLesionsCommand) m.getDelegateObject();
        ImagePlus prob = (ImagePlus) m.getOutput("probability");
        ImagePlus lab = (ImagePlus) m.getOutput("labels");
        ResultsTable rt = (ResultsTable) m.getOutput("lesions");
        assertEquals(DIMS[2], prob.getNSlices());
        assertEquals(ImagePlus.GRAY16, lab.getType());
        assertEquals(0, lab.getProcessor().getLut().getRed(0));
        assertTrue("label LUT is coloured", lab.getProcessor().getLut().getRed(1) != lab.getProcessor().getLut().getBlue(1)
                || lab.getProcessor().getLut().getRed(1) != lab.getProcessor().getLut().getGreen(1));
        assertNotNull(lab.getProp(VolumeImages.GEOMETRY_PROPERTY));
        Volume labels = VolumeImages.toVolume(lab);
        Volume p = VolumeImages.toVolume(prob);
        int n = rt.size();
        assertTrue("the tiny model finds lesions at threshold 0.45", n > 0);
        // labels are the 26-connected components of probability > 0.45 with >= 2 voxels
        for (int idx = 0; idx < p.data().length; idx++) {
            if (labels.data()[idx] > 0) assertTrue(p.data()[idx] > 0.45f);
        }
        // and every such component is labelled (no lesion dropped): the labelled voxels are exactly those
        float[] above = new float[p.data().length];
        for (int idx = 0; idx < above.length; idx++) above[idx] = p.data()[idx] > 0.45f ? 1 : 0;
        io.github.ies.instances.Labeling comps = io.github.ies.instances.ConnectedComponents.label(above, DIMS,
                io.github.ies.instances.Connectivity.of(26));
        for (int idx = 0; idx < above.length; idx++) {
            int c = comps.labels()[idx];
            assertEquals("voxel " + idx, c > 0 && comps.voxels(c) >= 2, labels.data()[idx] > 0);
        }
        Set<Integer> ids = new HashSet<>();
        for (int r = 0; r < n; r++) {
            int id = (int) rt.getValue("id", r);
            ids.add(id);
            int count = 0;
            for (float x : labels.data()) if (x == id) count++;
            assertEquals(count, (int) rt.getValue("voxels", r));
            assertTrue(count >= 2);
        }
        assertRoisMatchLabels(cmd.getRois(), labels, ids);

        // the same segmentation through the explain engine writes the same lesions.csv
        Path out = tmp.newFolder("segment-explain").toPath();
        Map<String, Object> ex = new HashMap<>(in);
        ex.put("methods", "gradcampp");
        ex.put("lesions", String.valueOf((int) rt.getValue("id", 0)));
        ex.put("output_folder", out.toFile());
        FijiRun em = FijiRun.run(context, ExplainLesionsCommand.class, ex);
        assertFalse(em.getCancelReason(), em.isCanceled());
        LesionTable csv = LesionTable.read(out.resolve("lesions.csv"));
        assertEquals(n, csv.rowCount());
        for (String c : io.github.ies.instances.LesionColumns.BASE) {
            for (int r = 0; r < n; r++) {
                String s = csv.get(r, c);
                if (c.equals("category")) continue;
                assertEquals(c, s.isEmpty() ? Double.NaN : Double.parseDouble(s), rt.getValue(c, r), 0);
            }
        }
        assertArrayEquals(labels.data(), Nifti.read(out.resolve("labels.nii.gz")).data(), 0f);
        assertEquals(1, ((ImagePlus) em.getOutput("gallery")).getNFrames());
        assertEquals(4, ((ImagePlus) em.getOutput("gallery")).getNChannels());   // FLAIR, MPRAGE, Grad-CAM++, lesion mask
    }

    @Test
    public void badInputCancelsWithTheReason() throws Exception {
        Map<String, Object> in = new HashMap<>();
        in.put("flair", flair);
        in.put("mprage", mprage);
        in.put("model", new File(bundle()));
        in.put("lesions", "3,x");
        FijiRun m = FijiRun.run(context, ExplainLesionsCommand.class, in);
        assertTrue(m.isCanceled());
        assertTrue(m.getCancelReason(), m.getCancelReason().contains("lesions must be"));
        in.put("lesions", "roi-manager");
        m = FijiRun.run(context, ExplainLesionsCommand.class, in);
        assertTrue(m.isCanceled());
        assertTrue(m.getCancelReason(), m.getCancelReason().contains("headless runs have no ROI Manager"));
        in.put("lesions", "99");
        in.put("labels", FijiRun.open(labels));
        m = FijiRun.run(context, ExplainLesionsCommand.class, in);
        assertTrue(m.isCanceled());
        assertTrue(m.getCancelReason(), m.getCancelReason().contains("no instance with id 99"));
    }

    static void assertTableEqualsCsv(ResultsTable rt, LesionTable csv) {
        assertEquals(csv.rowCount(), rt.size());
        for (String c : csv.columns()) {
            assertTrue("column " + c, rt.columnExists(c));
            for (int r = 0; r < csv.rowCount(); r++) {
                String s = csv.get(r, c);
                if (c.equals("category")) {
                    String got = rt.getStringValue(c, r);
                    assertEquals("an empty category is an empty cell, not NaN", s, got);
                } else if (s.isEmpty()) {
                    assertTrue(c, Double.isNaN(rt.getValue(c, r)));
                    assertEquals(c + ": an empty cell", "", rt.getStringValue(c, r));
                } else {
                    assertEquals(c + " row " + r, Double.parseDouble(s), rt.getValue(c, r), 0);
                }
            }
        }
    }

    /** Every ROI lies inside its lesion's voxels on its slice and together they cover them exactly. */
    static void assertRoisMatchLabels(List<Roi> rois, Volume lab, Set<Integer> ids) {
        int nx = lab.dim(0), ny = lab.dim(1);
        ViewSpace view = new ViewSpace(lab.geometry(), lab.dims());
        Set<Integer> groups = new HashSet<>();
        Map<Integer, Integer> covered = new HashMap<>();
        for (Roi r : rois) {
            int id = LesionRois.idOf(r);
            assertTrue(ids.contains(id));
            assertEquals(id, r.getGroup());
            assertTrue(r.getName(), r.getName().startsWith(String.format("lesion %03d", id)));
            int k = r.getZPosition() - 1;
            assertTrue(r.getName(), r.getName().endsWith(" slice " + (k + 1)));          // the ROI carries its slice
            groups.add(id);
            assertEquals(0, r.getCPosition());
            for (Point p : r.getContainedPoints()) {
                int[] v = view.voxel(p.x, p.y, k);
                assertEquals("ROI " + r.getName() + " at " + p, (float) id, lab.get(v[0], v[1], v[2]), 0f);
                covered.merge(id, 1, Integer::sum);
            }
        }
        assertEquals(ids, groups);
        for (int id : ids) {
            int n = 0;
            for (float x : lab.data()) if (x == id) n++;
            assertEquals("voxels of lesion " + id, n, (int) covered.get(id));
        }
        assertEquals(nx * ny > 0, true);
    }

    private static int[] rgb(LUT l, int i) {
        return new int[] {l.getRed(i) & 255, l.getGreen(i) & 255, l.getBlue(i) & 255};
    }

    private static String activeString(boolean[] active) {
        StringBuilder sb = new StringBuilder();
        for (boolean a : active) sb.append(a ? '1' : '0');
        return sb.toString();
    }

}
