package io.github.ies.instances;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Segmentation metrics of a prediction against a ground truth, voxel-wise and lesion-wise. Definitions (P the
 * predicted mask, G the ground truth, N the number of voxels evaluated):
 * <ul>
 * <li>Dice = 2|P∩G| / (|P| + |G|); 1 when both are empty.</li>
 * <li>nDSC (Raina et al. 2023) = 2TP / (k FP + 2TP + FN), TP/FP/FN voxel counts, k = (1 - r)|G| / (r (N - |G|)),
 * r = 0.001; k = 1 when G is empty; 1 when both are empty (the k FP term is left out when FP = 0, which also
 * covers G filling the whole volume).</li>
 * <li>Lesion-wise ({@link Categories}, non_zero rule): TP = predicted lesions touching G, FP = the others,
 * FN = ground-truth lesions not touching P, detected = ground-truth lesions touching P. Precision = TP / #predicted
 * (undefined, NaN, with no predicted lesion); recall (sensitivity) = detected / #ground-truth lesions (NaN with no
 * ground-truth lesion); F1 = 2 precision recall / (precision + recall), 0 when both are 0; with an empty
 * prediction and an empty ground truth F1 = 1 (nothing to find, nothing found: as Dice), with exactly one of them
 * empty F1 = 0.</li>
 * <li>Volumes: |P| and |G| in mm3, the signed difference |P| - |G|, its absolute value, and the absolute
 * difference relative to |G| (NaN when G is empty).</li>
 * </ul>
 * NaN is written as {@code null} in JSON.
 */
public final class Metrics {

    public static final double NDSC_R = 0.001;

    public final long nVoxels;
    public final long voxelsPred, voxelsGt, voxelsTp, voxelsFp, voxelsFn;
    public final double dice, ndsc;
    public final int nPredLesions, nGtLesions, lesionTp, lesionFp, lesionFn, gtDetected;
    public final double precision, recall, f1;
    public final double volumePredMm3, volumeGtMm3;
    public final Connectivity connectivity;
    public final int minLesionVoxels;

    private Metrics(long nVoxels, long tp, long fp, long fn, Categories c, double voxelVolume, Connectivity conn,
            int minLesionVoxels) {
        this.nVoxels = nVoxels;
        this.voxelsTp = tp;
        this.voxelsFp = fp;
        this.voxelsFn = fn;
        this.voxelsPred = tp + fp;
        this.voxelsGt = tp + fn;
        this.dice = dice(tp, fp, fn);
        this.ndsc = ndsc(tp, fp, fn, nVoxels, NDSC_R);
        this.nPredLesions = c.predictedCount();
        this.nGtLesions = c.groundTruthCount();
        this.lesionTp = c.truePositives();
        this.lesionFp = c.falsePositives();
        this.lesionFn = c.falseNegatives();
        this.gtDetected = c.detectedGt();
        this.precision = nPredLesions == 0 ? Double.NaN : (double) lesionTp / nPredLesions;
        this.recall = nGtLesions == 0 ? Double.NaN : (double) gtDetected / nGtLesions;
        this.f1 = f1(precision, recall, nPredLesions, nGtLesions);
        this.volumePredMm3 = voxelsPred * voxelVolume;
        this.volumeGtMm3 = voxelsGt * voxelVolume;
        this.connectivity = conn;
        this.minLesionVoxels = minLesionVoxels;
    }

    /**
     * Metrics of the (size-filtered) predicted components against the ground-truth components, over {@code region}
     * (true = evaluated; null = the whole grid, N = number of voxels).
     */
    public static Metrics compute(Labeling pred, Labeling gt, boolean[] region, double voxelVolume, int minLesionVoxels) {
        Categories c = Categories.of(pred, gt);
        int[] p = pred.labels(), g = gt.labels();
        long tp = 0, fp = 0, fn = 0, n = 0;
        for (int idx = 0; idx < p.length; idx++) {
            if (region != null && !region[idx]) continue;
            n++;
            boolean a = p[idx] != 0, b = g[idx] != 0;
            if (a && b) tp++;
            else if (a) fp++;
            else if (b) fn++;
        }
        return new Metrics(n, tp, fp, fn, c, voxelVolume, pred.connectivity(), minLesionVoxels);
    }

    public static double dice(long tp, long fp, long fn) {
        if (tp + fp + fn == 0) return 1.0;
        return 2.0 * tp / (2.0 * tp + fp + fn);
    }

    /** Normalised Dice (Raina et al. 2023) with reference-prevalence r over N voxels. */
    public static double ndsc(long tp, long fp, long fn, long nVoxels, double r) {
        long g = tp + fn;
        if (g == 0 && fp == 0) return 1.0;
        double k = g > 0 ? (1 - r) * g / (r * (double) (nVoxels - g)) : 1.0;
        double fpTerm = fp == 0 ? 0.0 : k * fp;
        return 2.0 * tp / (fpTerm + 2.0 * tp + fn);
    }

    static double f1(double precision, double recall, int nPred, int nGt) {
        if (nPred == 0 && nGt == 0) return 1.0;
        if (nPred == 0 || nGt == 0) return 0.0;
        if (precision + recall == 0) return 0.0;
        return 2 * precision * recall / (precision + recall);
    }

    public double volumeDifferenceMm3() {
        return volumePredMm3 - volumeGtMm3;
    }

    public double absoluteVolumeDifferenceMm3() {
        return Math.abs(volumePredMm3 - volumeGtMm3);
    }

    /** |P| - |G| in absolute value over |G|; NaN when the ground truth is empty. */
    public double relativeVolumeDifference() {
        return voxelsGt == 0 ? Double.NaN : absoluteVolumeDifferenceMm3() / volumeGtMm3;
    }

    /** All values by their JSON key, in a stable order (NaN stays NaN here). */
    public Map<String, Number> values() {
        Map<String, Number> m = new LinkedHashMap<>();
        m.put("dice", dice);
        m.put("ndsc", ndsc);
        m.put("ndsc_r", NDSC_R);
        m.put("n_pred_lesions", nPredLesions);
        m.put("n_gt_lesions", nGtLesions);
        m.put("lesion_tp", lesionTp);
        m.put("lesion_fp", lesionFp);
        m.put("lesion_fn", lesionFn);
        m.put("gt_detected", gtDetected);
        m.put("lesion_precision", precision);
        m.put("lesion_recall", recall);
        m.put("lesion_f1", f1);
        m.put("voxels_evaluated", nVoxels);
        m.put("voxels_pred", voxelsPred);
        m.put("voxels_gt", voxelsGt);
        m.put("voxels_tp", voxelsTp);
        m.put("voxels_fp", voxelsFp);
        m.put("voxels_fn", voxelsFn);
        m.put("volume_pred_mm3", volumePredMm3);
        m.put("volume_gt_mm3", volumeGtMm3);
        m.put("volume_difference_mm3", volumeDifferenceMm3());
        m.put("absolute_volume_difference_mm3", absoluteVolumeDifferenceMm3());
        m.put("relative_volume_difference", relativeVolumeDifference());
        m.put("connectivity", connectivity.neighbours);
        m.put("min_lesion_voxels", minLesionVoxels);
        return m;
    }

    /** The values as a JSON object; NaN becomes null. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        for (Map.Entry<String, Number> e : values().entrySet()) o.add(e.getKey(), jsonNumber(e.getValue()));
        return o;
    }

    static JsonElement jsonNumber(Number v) {
        if (v instanceof Double && !Double.isFinite((Double) v)) return JsonNull.INSTANCE;
        return new JsonPrimitive(v);
    }

    /** A human-readable summary, one metric per line. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Dice                  %s%n", fmt(dice)));
        sb.append(String.format(Locale.ROOT, "nDSC (r=%s)        %s (N = %d voxels evaluated: the brain mask's, else the whole grid)%n",
                NDSC_R, fmt(ndsc), nVoxels));
        sb.append(String.format(Locale.ROOT, "Lesions predicted     %d (TP %d, FP %d)%n", nPredLesions, lesionTp, lesionFp));
        sb.append(String.format(Locale.ROOT, "Lesions in GT         %d (detected %d, FN %d)%n", nGtLesions, gtDetected, lesionFn));
        sb.append(String.format(Locale.ROOT, "Lesion precision      %s%n", fmt(precision)));
        sb.append(String.format(Locale.ROOT, "Lesion recall         %s%n", fmt(recall)));
        sb.append(String.format(Locale.ROOT, "Lesion F1             %s%n", fmt(f1)));
        sb.append(String.format(Locale.ROOT, "Volume pred / GT      %.3f / %.3f mm3%n", volumePredMm3, volumeGtMm3));
        sb.append(String.format(Locale.ROOT, "Volume difference     %+.3f mm3 (absolute %.3f mm3, relative %s)%n",
                volumeDifferenceMm3(), absoluteVolumeDifferenceMm3(), fmt(relativeVolumeDifference())));
        sb.append(String.format(Locale.ROOT, "Voxels TP / FP / FN   %d / %d / %d of %d%n", voxelsTp, voxelsFp, voxelsFn, nVoxels));
        sb.append(String.format(Locale.ROOT, "Connectivity %d, min lesion voxels %d%n", connectivity.neighbours, minLesionVoxels));
        return sb.toString();
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "undefined" : String.format(Locale.ROOT, "%.4f", v);
    }
}
