package io.github.ies.instances;

import io.github.ies.io.ExplainLayout;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

/**
 * What {@link InstanceAnalysis#run} found: the predicted labeling, FN and TN label arrays (ids continuing after the
 * predicted ones), the lesion table, the metrics (null without ground truth) and warnings.
 */
public final class InstanceResult {

    private final Geometry geometry;
    private final int[] dims;
    private final Labeling predicted;
    private final int[] fnLabels, tnLabels;
    private final TnSpheres.Result tn;
    private final LesionRows table;
    private final Metrics metrics;
    private final List<String> warnings;
    private final InstanceParams params;
    /** The grid the metrics were found on, when not this result's own (see {@link #onGrid}); null: this grid. */
    private String metricsGrid;

    InstanceResult(Geometry geometry, int[] dims, Labeling predicted, int[] fnLabels, int[] tnLabels,
            TnSpheres.Result tn, LesionRows table, Metrics metrics, List<String> warnings, InstanceParams params) {
        this.geometry = geometry;
        this.dims = dims.clone();
        this.predicted = predicted;
        this.fnLabels = fnLabels;
        this.tnLabels = tnLabels;
        this.tn = tn;
        this.table = table;
        this.metrics = metrics;
        this.warnings = Collections.unmodifiableList(warnings);
        this.params = params;
    }

    public Labeling predicted() { return predicted; }
    /** The lesion table: typed rows (the pipeline adds the peaks to it; {@link #writeTo} writes it). */
    public LesionRows rows() { return table; }
    /** Null without ground truth. */
    public Metrics metrics() { return metrics; }
    /** The grid the metrics were found on when it is not this result's own (a model grid), else null. */
    public String metricsGrid() { return metricsGrid; }
    public boolean hasGroundTruth() { return fnLabels != null; }
    /** TN placement outcome; null without ground truth or when no sphere was requested or could be sized. */
    public TnSpheres.Result tnSpheres() { return tn; }
    public List<String> warnings() { return warnings; }
    public Geometry geometry() { return geometry; }

    /** FN ids (m+1..) in a flat array, 0 elsewhere; null without ground truth. */
    public int[] fnLabels() { return fnLabels; }
    /** TN ids in a flat array, 0 elsewhere; null without ground truth. */
    public int[] tnLabels() { return tnLabels; }

    /** The voxels (true) of instance {@code id}, whatever its category. */
    public boolean[] mask(int id) {
        LesionRow row = table.byId(id);
        if (row == null) throw new IllegalArgumentException("no instance with id " + id);
        String cat = row.category();
        int[] src = Categories.FN.equals(cat) ? fnLabels : Categories.TN.equals(cat) ? tnLabels : predicted.labels();
        boolean[] m = new boolean[src.length];
        for (int idx = 0; idx < src.length; idx++) m[idx] = src[idx] == id;
        return m;
    }

    /**
     * This result, computed on a model grid, carried onto another grid (the input's): the label images given there
     * ({@code pred}, {@code fn}, {@code tn}: NIfTI order on {@code dims}, ids kept, e.g. the model grid's labels mapped
     * back by nearest neighbour), every row's voxels, volume, centroid, bounding box and probability statistics
     * recomputed from them (ids and categories kept). The metrics are this result's, found on the model grid with the
     * categories (so the table's TP/FP/FN rows and the lesion counts agree); {@code metricsGrid} names that grid in
     * metrics.json. An instance with no voxel left keeps its row with 0 voxels and a warning; its centroid and box are
     * the model grid's mapped through {@code nativeFromModel} (4x4, model voxel to native voxel coordinates), its
     * probability columns empty.
     */
    public InstanceResult onGrid(Geometry g, int[] dims, int[] pred, int[] fn, int[] tn, float[] probability,
            double[][] nativeFromModel, String metricsGrid) {
        List<String> w = new java.util.ArrayList<>(warnings);
        int m = predicted.count();
        for (int l : pred) m = Math.max(m, l);      // a given label image may hold ids with no voxel on the model grid
        int[] predSizes = new int[m + 1];
        for (int l : pred) if (l > 0 && l <= m) predSizes[l]++;
        Labeling predOnGrid = new Labeling(pred, dims, m, predSizes, predicted.connectivity());
        List<LesionRow> rows = new java.util.ArrayList<>();
        for (LesionRow row : table.rows()) {
            int id = row.id();
            String cat = row.category();
            int[] src = Categories.FN.equals(cat) ? fn : Categories.TN.equals(cat) ? tn : pred;
            int[] one = new int[src.length];
            int n = 0;
            for (int idx = 0; idx < src.length; idx++) if (src[idx] == id) { one[idx] = 1; n++; }
            if (n == 0) {
                w.add("instance " + id + " (" + (cat.isEmpty() ? "predicted" : cat) + ") has no voxel left on the input's grid "
                        + java.util.Arrays.toString(dims) + " (smaller than one voxel there)");
                rows.add(mapBox(row, nativeFromModel, dims));
                continue;
            }
            Instance in = new Labeling(one, dims, 1, new int[] {0, n}, predicted.connectivity()).instances(g).get(0);
            double[][] ps = InstanceAnalysis.probabilityStats(one, 1, probability);
            rows.add(new LesionRow(id, cat, in.voxels, in.volumeMm3, in.centroidVoxel, in.centroidWorld, in.bboxMin, in.bboxMax,
                    ps != null ? ps[0][1] : row.meanProbability(), ps != null ? (float) ps[1][1] : row.maxProbability(),
                    ps != null || row.maxProbabilityRounded(), row.peaks()));
        }
        InstanceResult out = new InstanceResult(g, dims, predOnGrid, fnLabels == null ? null : fn, tnLabels == null ? null : tn, this.tn,
                table.withRows(rows), metrics, w, params);
        out.metricsGrid = metricsGrid;
        return out;
    }

    /**
     * A row with no voxel on the native grid: 0 voxels and mm3, no probabilities, its model-grid centroid and box
     * (voxel indices) on the native grid: the centroid mapped through {@code a} (continuous; the world centroid kept),
     * the box the native voxels covering the mapped corners of the model box, clamped.
     */
    private static LesionRow mapBox(LesionRow row, double[][] a, int[] dims) {
        double[] c = new double[3];             // as the table's text holds it (6 significant digits), as this always mapped it
        for (int d = 0; d < 3; d++) c[d] = LesionColumns.asWritten(row.centroidVoxel()[d]);
        double[] nc = apply(a, c);
        double[] lo = {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY};
        double[] hi = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int corner = 0; corner < 8; corner++) {
            double[] p = new double[3];
            for (int d = 0; d < 3; d++) p[d] = ((corner >> d) & 1) == 0 ? row.bboxMin()[d] : row.bboxMax()[d];
            double[] q = apply(a, p);
            for (int d = 0; d < 3; d++) { lo[d] = Math.min(lo[d], q[d]); hi[d] = Math.max(hi[d], q[d]); }
        }
        int[] bmin = new int[3], bmax = new int[3];
        for (int d = 0; d < 3; d++) {
            bmin[d] = (int) Math.max(0, Math.min(dims[d] - 1, Math.round(lo[d])));
            bmax[d] = (int) Math.max(0, Math.min(dims[d] - 1, Math.round(hi[d])));
        }
        return new LesionRow(row.id(), row.category(), 0, 0.0, nc, row.centroidWorld(), bmin, bmax, Double.NaN, Float.NaN,
                row.maxProbabilityRounded(), row.peaks());
    }

    private static double[] apply(double[][] a, double[] p) {
        double[] q = new double[3];
        for (int d = 0; d < 3; d++) q[d] = a[d][0] * p[0] + a[d][1] * p[1] + a[d][2] * p[2] + a[d][3];
        return q;
    }

    /**
     * Writes {@code labels.nii.gz} and {@code lesions.csv}; with ground truth also {@code fn_labels.nii.gz},
     * {@code tn_spheres.nii.gz} and {@code metrics.json}. Label volumes are int32 on the input's grid. Each file is
     * written atomically.
     */
    public void writeTo(Path dir) throws IOException {
        Nifti.write(predicted.toVolume(geometry, 0), dir.resolve(ExplainLayout.LABELS), NiftiDataType.INT32);
        if (hasGroundTruth()) {
            Nifti.write(toVolume(fnLabels), dir.resolve(ExplainLayout.FN_LABELS), NiftiDataType.INT32);
            Nifti.write(toVolume(tnLabels), dir.resolve(ExplainLayout.TN_SPHERES), NiftiDataType.INT32);
            String json = new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(metricsJson());
            Nifti.writeAtomically(dir.resolve(ExplainLayout.METRICS), out -> out.write((json + "\n").getBytes(StandardCharsets.UTF_8)));
        }
        table.write(dir.resolve(ExplainLayout.LESIONS));
    }

    /** metrics.json: the {@link Metrics} keys plus the TN sphere placement and warnings. */
    public JsonObject metricsJson() {
        JsonObject o = metrics == null ? new JsonObject() : metrics.toJson();
        if (metrics != null && metricsGrid != null) o.addProperty("computed_on", metricsGrid);
        o.addProperty("tn_spheres_requested", params.tnSpheres);
        o.addProperty("tn_spheres_placed", tn == null ? 0 : tn.placed);
        o.add("tn_radius_mm", Metrics.jsonNumber(tn == null ? Double.NaN : tn.radiusMm));
        o.add("tn_sphere_voxels", tn == null ? com.google.gson.JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(tn.ballVoxels));
        o.add("tn_target_volume_mm3", Metrics.jsonNumber(tn == null ? Double.NaN : tn.targetVolumeMm3));
        o.addProperty("seed", params.seed);
        JsonArray w = new JsonArray();
        for (String s : warnings) w.add(s);
        o.add("warnings", w);
        return o;
    }

    private Volume toVolume(int[] labels) {
        float[] f = new float[labels.length];
        for (int idx = 0; idx < f.length; idx++) f[idx] = labels[idx];
        return new Volume(f, dims, geometry);
    }
}
