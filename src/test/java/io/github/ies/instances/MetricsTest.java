package io.github.ies.instances;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.junit.Test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** Categories and metrics: against the NumPy/SciPy computation of the fixture script, and the edge cases. */
public class MetricsTest {

    @Test
    public void agreesWithNumpyOnFixture() throws Exception {
        JsonObject exp = Fixtures.json("metrics_expected.json");
        Volume pred = Nifti.read(Fixtures.path("metrics_pred.nii.gz"));
        Volume gt = Nifti.read(Fixtures.path("metrics_gt.nii.gz"));
        assertEquals(exp.get("voxel_volume_mm3").getAsDouble(), pred.geometry().voxelVolume(), 1e-6);
        for (int min : new int[] {1, 6}) {
            JsonObject e = exp.getAsJsonObject("min_voxels_" + min);
            InstanceParams params = InstanceParams.defaults().withMinLesionVoxels(min);
            Metrics m = InstanceAnalysis.evaluate(pred, gt, null, params);
            String w = "min_voxels " + min;
            assertEquals(w, e.get("dice").getAsDouble(), m.dice, 1e-12);
            assertEquals(w, e.get("ndsc").getAsDouble(), m.ndsc, 1e-12);
            assertEquals(w, e.get("voxels_tp").getAsLong(), m.voxelsTp);
            assertEquals(w, e.get("voxels_fp").getAsLong(), m.voxelsFp);
            assertEquals(w, e.get("voxels_fn").getAsLong(), m.voxelsFn);
            assertEquals(w, e.get("n_pred_lesions").getAsInt(), m.nPredLesions);
            assertEquals(w, e.get("n_gt_lesions").getAsInt(), m.nGtLesions);
            assertEquals(w, e.get("lesion_tp").getAsInt(), m.lesionTp);
            assertEquals(w, e.get("lesion_fp").getAsInt(), m.lesionFp);
            assertEquals(w, e.get("lesion_fn").getAsInt(), m.lesionFn);
            assertEquals(w, e.get("gt_detected").getAsInt(), m.gtDetected);
            assertEquals(w, e.get("lesion_precision").getAsDouble(), m.precision, 1e-12);
            assertEquals(w, e.get("lesion_recall").getAsDouble(), m.recall, 1e-12);
            assertEquals(w, e.get("lesion_f1").getAsDouble(), m.f1, 1e-12);
            assertEquals(w, e.get("volume_pred_mm3").getAsDouble(), m.volumePredMm3, 1e-4); // spacing stored as float32
            assertEquals(w, e.get("volume_gt_mm3").getAsDouble(), m.volumeGtMm3, 1e-4);
            // categories per predicted id and FN ids, in the documented id order
            Labeling pl = ConnectedComponents.label(pred, Connectivity.EIGHTEEN).withMinVoxels(min);
            Labeling gl = ConnectedComponents.label(gt, Connectivity.EIGHTEEN);
            Categories c = Categories.of(pl, gl);
            JsonArray cats = e.getAsJsonArray("categories");
            JsonArray sizes = e.getAsJsonArray("pred_sizes");
            assertEquals(cats.size(), pl.count());
            for (int id = 1; id <= pl.count(); id++) {
                assertEquals(w + " id " + id, cats.get(id - 1).getAsString(), c.predicted(id));
                assertEquals(w + " size of " + id, sizes.get(id - 1).getAsInt(), pl.voxels(id));
            }
            JsonArray fn = e.getAsJsonArray("fn_gt_ids");
            int[] got = c.falseNegativeGtIds();
            assertEquals(fn.size(), got.length);
            for (int t = 0; t < got.length; t++) assertEquals(fn.get(t).getAsInt(), got[t]);
        }
        // the fixture exercises all categories and the size filter
        assertTrue(exp.getAsJsonObject("min_voxels_1").get("n_pred_lesions").getAsInt()
                > exp.getAsJsonObject("min_voxels_6").get("n_pred_lesions").getAsInt());
        assertTrue(exp.getAsJsonObject("min_voxels_6").get("lesion_fn").getAsInt() > 0);
    }

    static Volume vol(int[] dims, int... ones) {
        Volume v = Volume.zeros(dims, Geometry.spacingOnly(new double[] {1, 1, 2}));
        for (int idx : ones) v.data()[idx] = 1;
        return v;
    }

    static Metrics eval(Volume p, Volume g) {
        return InstanceAnalysis.evaluate(p, g, null, InstanceParams.defaults().withMinLesionVoxels(1));
    }

    @Test
    public void bothEmpty() {
        int[] d = {4, 4, 4};
        Metrics m = eval(vol(d), vol(d));
        assertEquals(1.0, m.dice, 0);
        assertEquals(1.0, m.ndsc, 0);
        assertTrue(Double.isNaN(m.precision));
        assertTrue(Double.isNaN(m.recall));
        assertEquals(1.0, m.f1, 0);
        assertEquals(0, m.nPredLesions);
        assertTrue(Double.isNaN(m.relativeVolumeDifference()));
        assertTrue(m.toJson().get("lesion_precision").isJsonNull());
        assertTrue(m.toJson().get("relative_volume_difference").isJsonNull());
        assertEquals(1.0, m.toJson().get("lesion_f1").getAsDouble(), 0);
    }

    @Test
    public void emptyPrediction() {
        int[] d = {4, 4, 4};
        Metrics m = eval(vol(d), vol(d, 0, 1, 40));
        assertEquals(0.0, m.dice, 0);
        assertEquals(0.0, m.ndsc, 0);
        assertTrue(Double.isNaN(m.precision));
        assertEquals(0.0, m.recall, 0);
        assertEquals(0.0, m.f1, 0);
        assertEquals(2, m.nGtLesions);
        assertEquals(2, m.lesionFn);
        assertEquals(0, m.gtDetected);
        assertEquals(6.0, m.volumeGtMm3, 1e-12); // 3 voxels of 2 mm3
        assertEquals(-6.0, m.volumeDifferenceMm3(), 1e-12);
        assertEquals(1.0, m.relativeVolumeDifference(), 1e-12);
    }

    @Test
    public void emptyGroundTruth() {
        int[] d = {4, 4, 4};
        Metrics m = eval(vol(d, 5, 6, 63), vol(d));
        assertEquals(0.0, m.dice, 0);
        assertEquals(0.0, m.ndsc, 0); // k = 1: 0 / FP
        assertEquals(0.0, m.precision, 0);
        assertTrue(Double.isNaN(m.recall));
        assertEquals(0.0, m.f1, 0);
        assertEquals(2, m.lesionFp);
        assertTrue(Double.isNaN(m.relativeVolumeDifference()));
    }

    @Test
    public void perfectAndHandComputed() {
        int[] d = {10, 10, 10};
        Volume g = vol(d, 0, 1, 2, 500, 501);
        Metrics same = eval(g, g);
        assertEquals(1.0, same.dice, 0);
        assertEquals(1.0, same.ndsc, 0);
        assertEquals(1.0, same.f1, 0);
        // prediction: 2 of the 3 voxels of lesion A, nothing of B, one FP voxel far away
        Metrics m = eval(vol(d, 0, 1, 999), g);
        assertEquals(2, m.voxelsTp);
        assertEquals(1, m.voxelsFp);
        assertEquals(3, m.voxelsFn);
        assertEquals(4.0 / 8.0, m.dice, 1e-15);
        double k = (1 - 0.001) * 5 / (0.001 * (1000 - 5));
        assertEquals(4.0 / (k * 1 + 4 + 3), m.ndsc, 1e-15);
        assertEquals(1, m.lesionTp);
        assertEquals(1, m.lesionFp);
        assertEquals(1, m.lesionFn);
        assertEquals(0.5, m.precision, 0);
        assertEquals(0.5, m.recall, 0);
        assertEquals(0.5, m.f1, 1e-15);
        // ground truth filling the whole grid: k is infinite but there is no FP
        Volume all = Volume.zeros(new int[] {2, 2, 2}, g.geometry());
        java.util.Arrays.fill(all.data(), 1f);
        Metrics full = eval(vol(new int[] {2, 2, 2}, 0, 1), all);
        assertEquals(4.0 / 10.0, full.ndsc, 1e-15);
    }

    /** One predicted lesion bridging two ground-truth lesions: 1 TP, both GT lesions detected. */
    @Test
    public void bridgingLesion() {
        int[] d = {9, 3, 3};
        Volume g = vol(d, 0, 8);
        Volume p = Volume.zeros(d, g.geometry());
        for (int i = 0; i < 9; i++) p.set(i, 0, 0, 1);
        Metrics m = eval(p, g);
        assertEquals(1, m.nPredLesions);
        assertEquals(1, m.lesionTp);
        assertEquals(2, m.gtDetected);
        assertEquals(1.0, m.precision, 0);
        assertEquals(1.0, m.recall, 0);
    }

    @Test
    public void brainMaskRestrictsTheRegion() {
        int[] d = {4, 4, 4};
        Volume p = vol(d, 0, 63), g = vol(d, 0);
        Volume brain = vol(d, 0, 1, 2, 3);
        Metrics m = InstanceAnalysis.evaluate(p, g, brain, InstanceParams.defaults().withMinLesionVoxels(1));
        assertEquals(4, m.nVoxels);
        assertEquals(0, m.voxelsFp);
        assertEquals(1.0, m.dice, 0);
        assertEquals(1, m.nPredLesions);
    }

    @Test(expected = IllegalArgumentException.class)
    public void mismatchedGrids() {
        eval(vol(new int[] {4, 4, 4}), vol(new int[] {4, 4, 5}));
    }
}
