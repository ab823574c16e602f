package io.github.ies.instances;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class InstanceAnalysisTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    static final int[] D = {40, 36, 24};
    static final Geometry G = Geometry.axisAligned(new double[] {1.0, 1.2, 1.5}, new double[] {20, 18, 12});

    static void box(Volume v, int i0, int j0, int k0, int n, float val) {
        for (int k = k0; k < k0 + n; k++) for (int j = j0; j < j0 + n; j++) for (int i = i0; i < i0 + n; i++) v.set(i, j, k, val);
    }

    /** Brain = big ellipsoid (as first input); GT: lesions A (detected), B (missed); prediction: A', an FP, a tiny FP. */
    static Volume[] scene() {
        Volume flair = Volume.zeros(D, G), gt = Volume.zeros(D, G), mask = Volume.zeros(D, G), prob = Volume.zeros(D, G);
        for (int k = 0; k < D[2]; k++) for (int j = 0; j < D[1]; j++) for (int i = 0; i < D[0]; i++) {
            double x = (i - 19.5) / 19, y = (j - 17.5) / 17, z = (k - 11.5) / 11.5;
            if (x * x + y * y + z * z <= 1) flair.set(i, j, k, 100 + i);
        }
        box(gt, 10, 10, 10, 3, 1);   // A: 27 voxels
        box(gt, 25, 20, 8, 2, 1);    // B: 8 voxels, missed
        box(mask, 11, 11, 11, 3, 1); // overlaps A -> TP
        box(mask, 20, 8, 14, 2, 1);  // FP, 8 voxels
        mask.set(30, 30, 5, 1);      // 1 voxel: dropped by min 6
        for (int t = 0; t < prob.size(); t++) prob.data()[t] = mask.data()[t] != 0 ? 0.9f : 0.05f;
        prob.set(12, 12, 12, 0.99f);
        return new Volume[] {prob, mask, gt, flair};
    }

    @Test
    public void fullRunWithGroundTruth() throws Exception {
        Volume[] s = scene();
        InstanceParams params = InstanceParams.defaults().withTnSpheres(4).withSeed(5);
        InstanceResult r = InstanceAnalysis.run(s[0], s[1], s[2], null, s[3], params);
        LesionTable t = r.rows().table();
        assertEquals(2 + 1 + 4, t.rowCount());
        // predicted (raster order of first voxel: A' starts at k = 11, the FP at k = 14)
        assertEquals("TP", t.get(0, "category"));
        assertEquals(27, t.getInt(0, "voxels"));
        assertEquals("FP", t.get(1, "category"));
        assertEquals(8, t.getInt(1, "voxels"));
        assertEquals("FN", t.get(2, "category"));
        assertEquals(3, t.getInt(2, "id"));
        assertEquals(8, t.getInt(2, "voxels"));
        for (int row = 3; row < 7; row++) {
            assertEquals("TN", t.get(row, "category"));
            assertEquals(row + 1, t.getInt(row, "id"));
        }
        assertEquals(12.0, t.getDouble(0, "centroid_i"), 1e-12);
        assertEquals((12 - 20) * 1.0, t.getDouble(0, "centroid_x"), 1e-12);
        assertEquals((12 - 18) * 1.2, t.getDouble(0, "centroid_y"), 1e-12);
        assertEquals(27 * 1.8, t.getDouble(0, "volume_mm3"), 1e-9);
        assertEquals(0.99, t.getDouble(0, "max_probability"), 1e-6);
        assertEquals((26 * 0.9 + 0.99) / 27, t.getDouble(0, "mean_probability"), 1e-6);
        assertEquals(0.05, t.getDouble(2, "max_probability"), 1e-6); // FN: the model's probability there
        assertEquals(11, t.getInt(0, "bbox_i_min"));
        assertEquals(13, t.getInt(0, "bbox_k_max"));
        // TN spheres: sized by the mean GT lesion ((27 + 8) / 2 voxels), inside the brain, away from GT and prediction
        TnSpheres.Result tn = r.tnSpheres();
        assertEquals(4, tn.placed);
        assertEquals(17.5 * 1.8, tn.targetVolumeMm3, 1e-9);
        int[] tl = r.tnLabels();
        int[] perSphere = new int[8];
        for (int idx = 0; idx < tl.length; idx++) {
            if (tl[idx] == 0) continue;
            if (tl[idx] >= 4 && tl[idx] <= 7) perSphere[tl[idx]]++;
            assertTrue(tl[idx] >= 4 && tl[idx] <= 7);
            assertTrue(s[3].data()[idx] != 0);
            assertEquals(0f, s[1].data()[idx], 0f);
            assertEquals(0f, s[2].data()[idx], 0f);
        }
        assertTrue(tn.ballVoxels > 0);
        for (int id = 4; id <= 7; id++) assertEquals("TN sphere " + id + " voxels", tn.ballVoxels, perSphere[id]);
        assertEquals(tn.ballVoxels, t.getInt(3, "voxels"));
        boolean[] m3 = r.mask(3);
        assertTrue(m3[s[2].index(25, 20, 8)]);
        assertFalse(m3[s[2].index(10, 10, 10)]);

        Path dir = tmp.newFolder("out").toPath();
        r.writeTo(dir);
        Volume labels = Nifti.read(dir.resolve("labels.nii.gz"));
        assertArrayEquals(D, labels.dims());
        assertTrue(labels.sameGrid(s[1]));
        assertEquals(1f, labels.get(12, 12, 12), 0f);
        assertEquals(2f, labels.get(20, 8, 14), 0f);
        assertEquals(0f, labels.get(30, 30, 5), 0f);
        Volume fn = Nifti.read(dir.resolve("fn_labels.nii.gz"));
        assertEquals(3f, fn.get(25, 20, 8), 0f);
        assertEquals(0f, fn.get(10, 10, 10), 0f); // detected GT lesion is not an FN instance
        Volume tnv = Nifti.read(dir.resolve("tn_spheres.nii.gz"));
        for (int idx = 0; idx < tl.length; idx++) assertEquals(tl[idx], (int) tnv.data()[idx]);
        // int32 on disk
        byte[] raw = Files.readAllBytes(dir.resolve("labels.nii.gz"));
        java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(raw));
        byte[] hdr = in.readNBytes(74);
        assertEquals(8, (hdr[70] & 0xff) | (hdr[71] << 8)); // NIFTI_TYPE_INT32
        LesionTable back = LesionTable.read(dir.resolve("lesions.csv"));
        assertEquals(t.columns(), back.columns());
        assertEquals(t.rowCount(), back.rowCount());
        for (int row = 0; row < t.rowCount(); row++)
            for (String c : t.columns()) assertEquals(t.get(row, c), back.get(row, c));
        String csv = Files.readString(dir.resolve("lesions.csv"), StandardCharsets.UTF_8);
        assertTrue(csv.startsWith(String.join(",", LesionColumns.BASE) + "\r\n"));
        JsonObject mj = JsonParser.parseString(Files.readString(dir.resolve("metrics.json"))).getAsJsonObject();
        assertEquals(1, mj.get("lesion_tp").getAsInt());
        assertEquals(1, mj.get("lesion_fp").getAsInt());
        assertEquals(1, mj.get("lesion_fn").getAsInt());
        assertEquals(4, mj.get("tn_spheres_placed").getAsInt());
        assertEquals(r.metrics().dice, mj.get("dice").getAsDouble(), 1e-15);
        assertEquals(2.0 * 8 / (35 + 35), r.metrics().dice, 1e-12); // A∩A' = 2x2x2
        // no temporary files left
        try (var files = Files.list(dir)) {
            assertEquals(5, files.count());
        }
    }

    @Test
    public void withoutGroundTruth() throws Exception {
        Volume[] s = scene();
        InstanceResult r = InstanceAnalysis.run(s[0], s[1], null, null, s[3], InstanceParams.defaults());
        assertEquals(2, r.rows().table().rowCount());
        assertEquals("", r.rows().table().get(0, "category"));
        assertFalse(r.hasGroundTruth());
        Path dir = tmp.newFolder("nogt").toPath();
        r.writeTo(dir);
        assertTrue(Files.exists(dir.resolve("labels.nii.gz")));
        assertTrue(Files.exists(dir.resolve("lesions.csv")));
        assertFalse(Files.exists(dir.resolve("metrics.json")));
        assertFalse(Files.exists(dir.resolve("fn_labels.nii.gz")));
        // probability optional: empty columns
        InstanceResult np = InstanceAnalysis.run(null, s[1], null, null, null, InstanceParams.defaults());
        assertEquals("", np.rows().table().get(0, "mean_probability"));
        assertTrue(Double.isNaN(np.rows().table().getDouble(0, "max_probability")));
    }

    @Test
    public void emptyGroundTruthGivesNoSpheresAndAWarning() {
        Volume[] s = scene();
        InstanceResult r = InstanceAnalysis.run(s[0], s[1], s[2].zerosLike(), null, s[3], InstanceParams.defaults());
        assertEquals(0, r.tnLabels().length == 0 ? 0 : countNonZero(r.tnLabels()));
        assertEquals(1, r.warnings().size());
        assertTrue(r.warnings().get(0).contains("no TN spheres"));
        assertEquals("FP", r.rows().table().get(0, "category"));
        assertTrue(r.metricsJson().get("lesion_recall").isJsonNull());
    }

    @Test
    public void gridMismatchIsAClearError() {
        Volume[] s = scene();
        Volume other = Volume.zeros(new int[] {40, 36, 25}, G);
        try {
            InstanceAnalysis.run(s[0], s[1], other, null, s[3], InstanceParams.defaults());
            throw new AssertionError("expected an error");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("ground truth is not on the grid of the prediction (dimensions [40, 36, 25] vs"));
        }
        Volume shifted = new Volume(new float[s[1].size()], D, Geometry.axisAligned(new double[] {1.0, 1.2, 1.5}, new double[] {0, 0, 0}));
        try {
            InstanceAnalysis.run(s[0], s[1], shifted, null, s[3], InstanceParams.defaults());
            throw new AssertionError("expected an error");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("not on the grid of the prediction (same dimensions"));
        }
    }

    @Test
    public void csvQuotingRoundTrip() throws Exception {
        LesionTable t = new LesionTable(List.of("id", "note", "x"));
        t.addRow(1, "a, \"quoted\"\nline", 0.1);
        t.addRow(2, "", Double.NaN);
        int c = t.addColumn("smoothgrad_max_flair_peak_pos");
        assertEquals(3, c);
        t.set(1, "smoothgrad_max_flair_peak_pos", 1e-7);
        Path p = tmp.getRoot().toPath().resolve("t.csv");
        t.write(p);
        LesionTable b = LesionTable.read(p);
        assertEquals("a, \"quoted\"\nline", b.get(0, "note"));
        assertEquals(0.1, b.getDouble(0, "x"), 0);
        assertTrue(Double.isNaN(b.getDouble(1, "x")));
        assertEquals(1e-7, b.getDouble(1, "smoothgrad_max_flair_peak_pos"), 0);
        assertEquals("", b.get(0, "smoothgrad_max_flair_peak_pos"));
        assertEquals(1, b.rowOfId(2));
        assertEquals(-1, b.rowOfId(9));
        assertEquals("1234567.0", LesionTable.format(1234567.0));
        assertEquals("0.001", LesionTable.format(0.001));
    }

    static int countNonZero(int[] a) {
        int n = 0;
        for (int v : a) if (v != 0) n++;
        return n;
    }

    @Test
    public void csvReaderAcceptsLfAndReportsBadRows() throws Exception {
        Path p = tmp.getRoot().toPath().resolve("lf.csv");
        Files.writeString(p, "id,category,x\n1,TP,0.5\n2,,\n");
        LesionTable t = LesionTable.read(p);
        assertEquals(2, t.rowCount());
        assertEquals("", t.get(1, "category"));
        assertTrue(Double.isNaN(t.getDouble(1, "x")));
        Files.writeString(p, "id,category,x\r\n1,TP\r\n");
        try {
            LesionTable.read(p);
            throw new AssertionError("expected an error");
        } catch (java.io.IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("row 1 has 2 fields, header has 3"));
        }
        Files.writeString(p, "id,x\r\n1,abc\r\n");
        try {
            LesionTable.read(p).getDouble(0, "x");
            throw new AssertionError("expected an error");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("column 'x': not a number: 'abc'"));
        }
        try {
            LesionTable.read(p).get(0, "nope");
            throw new AssertionError("expected an error");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("no column 'nope'"));
        }
    }

    /**
     * {@link InstanceResult#onGrid} onto a grid twice as coarse (native voxel = model voxel / 2): an instance that keeps
     * voxels is measured there; one that keeps none keeps its row with 0 voxels, its centroid and box mapped through
     * the model-to-native transform (known answer: halved, the box rounded and clamped), its probability columns
     * empty; the metrics stay the model grid's and say so.
     */
    @Test
    public void onGridMapsTheBoxOfAnInstanceWithNoVoxelLeft() {
        int[] md = {8, 8, 8}, nd = {4, 4, 4};
        Geometry mg = Geometry.axisAligned(new double[] {1, 1, 1}, new double[] {0, 0, 0});
        Geometry ng = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {0.5, 0.5, 0.5});
        Volume lab = Volume.zeros(md, mg), gt = Volume.zeros(md, mg), prob = Volume.zeros(md, mg);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) for (int k = 0; k < 2; k++) { lab.set(i, j, k, 1f); gt.set(i, j, k, 1f); }
        lab.set(5, 6, 7, 2f);                           // one voxel: gone on the coarse grid
        for (int v = 0; v < prob.data().length; v++) prob.data()[v] = 0.25f;
        InstanceResult m = InstanceAnalysis.fromLabels(lab, gt, null, null, prob, lab, InstanceParams.defaults().withTnSpheres(0));
        int[] pred = new int[64];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) pred[i + 4 * j] = 1;     // instance 1: 4 native voxels, k = 0
        float[] np = new float[64];
        java.util.Arrays.fill(np, 0.5f);
        double[][] half = {{0.5, 0, 0, -0.25}, {0, 0.5, 0, -0.25}, {0, 0, 0.5, -0.25}, {0, 0, 0, 1}};
        InstanceResult n = m.onGrid(ng, nd, pred, new int[64], new int[64], np, half, "the model's grid [8, 8, 8] RAS 1x1x1 mm");
        LesionTable t = n.rows().table();
        int r1 = t.rowOfId(1), r2 = t.rowOfId(2);
        assertEquals(4, t.getInt(r1, "voxels"));
        assertEquals(32.0, t.getDouble(r1, "volume_mm3"), 0);
        assertEquals(0.5, t.getDouble(r1, "mean_probability"), 0);
        assertEquals(0, t.getInt(r2, "voxels"));
        assertEquals(0.0, t.getDouble(r2, "volume_mm3"), 0);
        assertEquals(2.25, t.getDouble(r2, "centroid_i"), 1e-12);
        assertEquals(2.75, t.getDouble(r2, "centroid_j"), 1e-12);
        assertEquals(3.25, t.getDouble(r2, "centroid_k"), 1e-12);
        assertEquals(2, t.getInt(r2, "bbox_i_min"));
        assertEquals(3, t.getInt(r2, "bbox_j_max"));
        assertEquals(3, t.getInt(r2, "bbox_k_max"));     // 3.25 rounds to 3, within the 4 voxels
        assertEquals("", t.get(r2, "mean_probability"));
        assertEquals("", t.get(r2, "max_probability"));
        assertEquals(m.rows().table().get(r2, "centroid_x"), t.get(r2, "centroid_x"));     // the same world position
        assertTrue(n.warnings().stream().anyMatch(w -> w.startsWith("instance 2 ")));
        assertEquals(m.metrics().values(), n.metrics().values());
        assertEquals("the model's grid [8, 8, 8] RAS 1x1x1 mm", n.metricsJson().get("computed_on").getAsString());
    }
}
