package io.github.ies.instances;

import java.util.Arrays;

/**
 * The paper's {@code non_zero} categories of a prediction against a ground truth: a predicted component that
 * shares at least one voxel with the ground-truth mask is a true positive (TP), otherwise a false positive (FP); a
 * ground-truth component (labelled with the same connectivity) that shares no voxel with the predicted mask is a
 * false negative (FN). The predicted mask is the union of the predicted components given (after the size
 * filter).
 */
public final class Categories {

    public static final String TP = "TP", FP = "FP", FN = "FN", TN = "TN";

    private final boolean[] predOverlapsGt; // by predicted id
    private final boolean[] gtOverlapsPred; // by ground-truth id
    private final int[] fnGtIds;

    private Categories(boolean[] p, boolean[] g) {
        this.predOverlapsGt = p;
        this.gtOverlapsPred = g;
        int n = 0;
        for (int id = 1; id < g.length; id++) if (!g[id]) n++;
        fnGtIds = new int[n];
        n = 0;
        for (int id = 1; id < g.length; id++) if (!g[id]) fnGtIds[n++] = id;
    }

    /** Categorises the components of {@code pred} and {@code gt} (same grid) by overlap. */
    public static Categories of(Labeling pred, Labeling gt) {
        if (!Arrays.equals(pred.dims(), gt.dims())) {
            throw new IllegalArgumentException("prediction " + Arrays.toString(pred.dims()) + " and ground truth "
                    + Arrays.toString(gt.dims()) + " have different dimensions");
        }
        int[] p = pred.labels(), g = gt.labels();
        boolean[] po = new boolean[pred.count() + 1], go = new boolean[gt.count() + 1];
        for (int idx = 0; idx < p.length; idx++) {
            int a = p[idx], b = g[idx];
            if (a != 0 && b != 0) {
                po[a] = true;
                go[b] = true;
            }
        }
        return new Categories(po, go);
    }

    /** "TP" or "FP" for a predicted id (1..count). */
    public String predicted(int id) {
        return predOverlapsGt[id] ? TP : FP;
    }

    /** Number of predicted components that overlap the ground truth. */
    public int truePositives() {
        int n = 0;
        for (int id = 1; id < predOverlapsGt.length; id++) if (predOverlapsGt[id]) n++;
        return n;
    }

    public int falsePositives() {
        return predOverlapsGt.length - 1 - truePositives();
    }

    /** Ground-truth ids (ascending) of the components the prediction misses entirely. */
    public int[] falseNegativeGtIds() {
        return fnGtIds.clone();
    }

    public int falseNegatives() {
        return fnGtIds.length;
    }

    /** Number of ground-truth components that the prediction touches (detected lesions). */
    public int detectedGt() {
        return gtOverlapsPred.length - 1 - fnGtIds.length;
    }

    public int predictedCount() {
        return predOverlapsGt.length - 1;
    }

    public int groundTruthCount() {
        return gtOverlapsPred.length - 1;
    }
}
