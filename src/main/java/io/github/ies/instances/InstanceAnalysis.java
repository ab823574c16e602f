package io.github.ies.instances;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * From a segmentation to instances, categories and metrics in one call (what {@code ies segment} and
 * {@code ies evaluate} run).
 *
 * <ol>
 * <li>Predicted instances: connected components of the nonzero voxels of {@code mask}, components with fewer than
 * {@code minLesionVoxels} voxels dropped, ids 1..m in raster order of first voxels.</li>
 * <li>Without ground truth: that is all (category empty).</li>
 * <li>With ground truth: the ground truth's components (same connectivity, no size filter); predicted instances
 * are TP or FP ({@link Categories}); ground-truth components missed by the (filtered) prediction become FN
 * instances with ids m+1..m+f (in ground-truth raster order); then TN spheres ({@link TnSpheres}) with ids
 * m+f+1..m+f+t, sized by the mean ground-truth component volume, inside the brain mask (given, else the nonzero
 * voxels of {@code firstInput}, else the whole grid) and away from the ground truth and the unfiltered
 * prediction mask; metrics ({@link Metrics}).</li>
 * </ol>
 * <b>An explicit brain mask</b> ({@code brainMaskOrNull}) also restricts the analysis to the brain: voxels outside
 * it are removed from the prediction and the ground truth before labeling, and the metrics are computed over the
 * brain voxels only (nDSC's N = number of brain voxels). Without it (brain derived from {@code firstInput}, or no
 * brain at all) the whole grid is analysed and N is the number of voxels of the grid, as in the authors' code.
 * Mean and max probability per instance are over its voxels ({@code probability} may be null: empty columns).
 */
public final class InstanceAnalysis {

    private InstanceAnalysis() {}

    public static InstanceResult run(Volume probability, Volume mask, Volume gtOrNull, Volume brainMaskOrNull,
            Volume firstInput, InstanceParams params) {
        if (mask == null) throw new IllegalArgumentException("a prediction mask is required");
        checkGrid(mask, probability, "probability map");
        checkGrid(mask, gtOrNull, "ground truth");
        checkGrid(mask, brainMaskOrNull, "brain mask");
        checkGrid(mask, firstInput, "first input");
        Geometry g = mask.geometry();
        int[] dims = mask.dims();
        List<String> warnings = new ArrayList<>();
        boolean[] region = null;
        if (brainMaskOrNull != null) {
            region = nonzero(brainMaskOrNull);
            mask = restrict(mask, region);
            if (gtOrNull != null) gtOrNull = restrict(gtOrNull, region);
        }

        Labeling pred = ConnectedComponents.label(mask, params.connectivity).withMinVoxels(params.minLesionVoxels);
        List<Instance> predInst = pred.instances(g);
        float[] prob = probability == null ? null : probability.data();
        double[][] pstats = probabilityStats(pred.labels(), pred.count(), prob);
        List<LesionRow> rows = new ArrayList<>();
        for (Instance in : predInst) rows.add(row(in, in.id, "", pstats, in.id));
        LesionRows table = new LesionRows(rows);
        if (gtOrNull == null) {
            return new InstanceResult(g, dims, pred, null, null, null, table, null, warnings, params);
        }

        Labeling gt = ConnectedComponents.label(gtOrNull, params.connectivity);
        Categories cats = Categories.of(pred, gt);
        for (Instance in : predInst) table.set(in.id - 1, table.get(in.id - 1).withCategory(cats.predicted(in.id)));
        boolean[] forbidden = new boolean[mask.size()];
        float[] md = mask.data(), gd = gtOrNull.data();
        for (int idx = 0; idx < forbidden.length; idx++) forbidden[idx] = md[idx] != 0 || gd[idx] != 0;
        Missed missed = missedAndTn(table, gt, cats, pred.count(), prob, forbidden, region, firstInput, g, dims, params, warnings);
        Metrics metrics = Metrics.compute(pred, gt, region, g.voxelVolume(), params.minLesionVoxels);
        return new InstanceResult(g, dims, pred, missed.fnLabels, missed.tnLabels, missed.tn, table, metrics, warnings, params);
    }

    /**
     * The instances of a given label image (ids as given, e.g. {@code ies segment}'s {@code labels.nii.gz} or a user's
     * own), analysed like a segmentation: without ground truth, the table of its instances (no category, no
     * probability). With ground truth: each instance TP or FP; the ground truth's components that no instance touches
     * become FN instances with ids after the image's largest id, then TN spheres, and the metrics (over the brain mask
     * when given), by the rules of {@link #run}. So {@code ies segment}'s {@code labels.nii.gz} with the same ground
     * truth gives segment's ids, categories and FN ids. TN spheres avoid {@code avoidOrNull} (segment's unfiltered
     * {@code mask.nii.gz}: then they are segment's spheres too) or, when null, the given instances, and the ground truth.
     * The label image itself is not restricted to the brain mask. {@code probabilityOrNull} fills the probability
     * columns.
     */
    public static InstanceResult fromLabels(Volume labels, Volume gtOrNull, Volume brainMaskOrNull, Volume avoidOrNull,
            Volume probabilityOrNull, Volume firstInput, InstanceParams params) {
        return fromLabels(labels, gtOrNull, brainMaskOrNull, avoidOrNull, probabilityOrNull, firstInput, params, 0);
    }

    /**
     * {@link #fromLabels(Volume, Volume, Volume, Volume, Volume, Volume, InstanceParams)} with FN and TN ids numbered
     * after {@code max(largest id of labels, idsTaken)}: a label image resampled onto a model grid may have lost its
     * largest ids there, and they must not be given to FN instances (ids mean the same lesion on any grid).
     */
    public static InstanceResult fromLabels(Volume labels, Volume gtOrNull, Volume brainMaskOrNull, Volume avoidOrNull,
            Volume probabilityOrNull, Volume firstInput, InstanceParams params, int idsTaken) {
        checkGrid(labels, gtOrNull, "ground truth");
        checkGrid(labels, brainMaskOrNull, "brain mask");
        checkGrid(labels, avoidOrNull, "prediction mask");
        checkGrid(labels, probabilityOrNull, "probability map");
        checkGrid(labels, firstInput, "first input");
        Geometry g = labels.geometry();
        int[] dims = labels.dims();
        List<String> warnings = new ArrayList<>();
        Labeling given = Labeling.fromLabelVolume(labels, params.connectivity);
        float[] prob = probabilityOrNull == null ? null : probabilityOrNull.data();
        double[][] pstats = probabilityStats(given.labels(), given.count(), prob);
        List<Instance> inst = given.instances(g);
        List<LesionRow> rows = new ArrayList<>();
        for (Instance in : inst) rows.add(row(in, in.id, "", pstats, in.id));
        LesionRows table = new LesionRows(rows);
        if (gtOrNull == null) return new InstanceResult(g, dims, given, null, null, null, table, null, warnings, params);

        boolean[] region = null;
        if (brainMaskOrNull != null) {
            region = nonzero(brainMaskOrNull);
            gtOrNull = restrict(gtOrNull, region);
        }
        // the given ids, renumbered 1..n in id order, for the categories and metrics (which need no gaps)
        int[] rank = new int[given.count() + 1];
        int n = 0;
        for (Instance in : inst) rank[in.id] = ++n;
        int[] gl = given.labels(), cl = new int[gl.length], sizes = new int[n + 1];
        for (int idx = 0; idx < gl.length; idx++) {
            cl[idx] = rank[gl[idx]];
            sizes[cl[idx]]++;
        }
        Labeling compact = new Labeling(cl, dims, n, sizes, params.connectivity);
        Labeling gt = ConnectedComponents.label(gtOrNull, params.connectivity);
        Categories cats = Categories.of(compact, gt);
        for (int r = 0; r < inst.size(); r++) table.set(r, table.get(r).withCategory(cats.predicted(rank[inst.get(r).id])));
        boolean[] forbidden = new boolean[gl.length];
        float[] gd = gtOrNull.data(), av = avoidOrNull == null ? null : avoidOrNull.data();
        for (int idx = 0; idx < forbidden.length; idx++) forbidden[idx] = (av != null ? av[idx] != 0 : gl[idx] != 0) || gd[idx] != 0;
        Missed missed = missedAndTn(table, gt, cats, Math.max(given.count(), idsTaken), prob, forbidden, region, firstInput, g, dims,
                params, warnings);
        Metrics metrics = Metrics.compute(compact, gt, region, g.voxelVolume(), params.minLesionVoxels);
        return new InstanceResult(g, dims, given, missed.fnLabels, missed.tnLabels, missed.tn, table, metrics, warnings, params);
    }

    /** FN and TN label arrays and the TN placement. */
    private record Missed(int[] fnLabels, int[] tnLabels, TnSpheres.Result tn) { }

    /**
     * The FN instances (ground-truth components the prediction misses, ids m+1..m+f in ground-truth raster order) and
     * the TN spheres (ids m+f+1..; inside the brain: the region, else the nonzero voxels of the first input, else the
     * grid; away from {@code forbidden}), with their table rows.
     */
    private static Missed missedAndTn(LesionRows table, Labeling gt, Categories cats, int m, float[] prob, boolean[] forbidden,
            boolean[] region, Volume firstInput, Geometry g, int[] dims, InstanceParams params, List<String> warnings) {
        int size = forbidden.length;
        int[] fnIds = cats.falseNegativeGtIds();
        int[] gtToFn = new int[gt.count() + 1];
        for (int t = 0; t < fnIds.length; t++) gtToFn[fnIds[t]] = m + 1 + t;
        int[] fnLabels = new int[size];
        int[] gl = gt.labels();
        for (int idx = 0; idx < gl.length; idx++) if (gl[idx] != 0) fnLabels[idx] = gtToFn[gl[idx]];
        List<Instance> gtInst = gt.instances(g);
        double[][] fnStats = probabilityStats(fnLabels, m + fnIds.length, prob);
        for (int t = 0; t < fnIds.length; t++) {
            Instance src = gtInst.get(fnIds[t] - 1);
            table.add(row(src, m + 1 + t, Categories.FN, fnStats, m + 1 + t));
        }

        // TN spheres
        int f = fnIds.length;
        boolean[] brain;
        if (region != null) brain = region;
        else if (firstInput != null) brain = nonzero(firstInput);
        else {
            brain = new boolean[size];
            Arrays.fill(brain, true);
        }
        int[] tnLabels = new int[size];
        TnSpheres.Result tn = null;
        if (params.tnSpheres > 0) {
            if (gt.count() == 0) {
                warnings.add("no TN spheres: the ground truth has no lesion, so there is no mean lesion volume to size them");
            } else {
                double meanVol = (double) gt.foregroundVoxels() / gt.count() * g.voxelVolume();
                tn = TnSpheres.place(brain, forbidden, dims, g.spacing, meanVol, params.tnSpheres, params.seed,
                        params.tnMaxTries);
                if (tn.message != null) warnings.add(tn.message);
                int off = m + f;
                for (int idx = 0; idx < tnLabels.length; idx++) if (tn.labels[idx] != 0) tnLabels[idx] = tn.labels[idx] + off;
                Labeling tnLab = new Labeling(tn.labels, dims, tn.placed, sizes(tn.labels, tn.placed), params.connectivity);
                List<Instance> tnInst = tnLab.instances(g);
                double[][] tnStats = probabilityStats(tn.labels, tn.placed, prob);
                for (Instance in : tnInst) table.add(row(in, off + in.id, Categories.TN, tnStats, in.id));
            }
        }
        return new Missed(fnLabels, tnLabels, tn);
    }

    /**
     * Metrics of a binary prediction against a ground truth ({@code ies evaluate}): both are labelled with the
     * given connectivity, predicted components below {@code minLesionVoxels} are dropped (also from the voxel-wise
     * metrics). With a brain mask, voxels outside it are ignored in both masks and nDSC's N is the number of brain
     * voxels; without, N is the number of voxels of the grid. Same code path as {@link #run} (no TN spheres).
     */
    public static Metrics evaluate(Volume pred, Volume gt, Volume brainMaskOrNull, InstanceParams params) {
        if (pred == null || gt == null) throw new IllegalArgumentException("a prediction and a ground truth are required");
        return run(null, pred, gt, brainMaskOrNull, null, params.withTnSpheres(0)).metrics();
    }

    static boolean[] nonzero(Volume v) {
        float[] b = v.data();
        boolean[] m = new boolean[b.length];
        for (int idx = 0; idx < b.length; idx++) m[idx] = b[idx] != 0;
        return m;
    }

    /** A copy of v with the voxels outside the region set to 0. */
    static Volume restrict(Volume v, boolean[] region) {
        Volume c = v.copy();
        float[] d = c.data();
        for (int idx = 0; idx < d.length; idx++) if (!region[idx]) d[idx] = 0;
        return c;
    }

    private static int[] sizes(int[] labels, int count) {
        int[] s = new int[count + 1];
        for (int l : labels) s[l]++;
        return s;
    }

    /** An instance's row: its measurements and the mean and max probability of label {@code statId} (NaN without a map). */
    private static LesionRow row(Instance in, int id, String category, double[][] pstats, int statId) {
        return LesionRow.of(in, id, category, pstats == null ? Double.NaN : pstats[0][statId],
                pstats == null ? Float.NaN : (float) pstats[1][statId]);
    }

    /** {mean, max} of the probability per label id (index), or null without a probability map (the max is a float32 value). */
    static double[][] probabilityStats(int[] labels, int count, float[] prob) {
        if (prob == null) return null;
        double[] sum = new double[count + 1], max = new double[count + 1];
        long[] n = new long[count + 1];
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
        for (int idx = 0; idx < labels.length; idx++) {
            int l = labels[idx];
            if (l == 0) continue;
            double p = prob[idx];
            sum[l] += p;
            n[l]++;
            if (p > max[l]) max[l] = p;
        }
        for (int l = 1; l <= count; l++) sum[l] = n[l] == 0 ? Double.NaN : sum[l] / n[l];
        return new double[][] {sum, max};
    }

    static void checkGrid(Volume ref, Volume v, String what) {
        if (v == null) return;
        Volume.requireOnGrid(v, what, ref, "the prediction");
    }
}
