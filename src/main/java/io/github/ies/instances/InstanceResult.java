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
    private final LesionTable table;
    private final Metrics metrics;
    private final List<String> warnings;
    private final InstanceParams params;

    InstanceResult(Geometry geometry, int[] dims, Labeling predicted, int[] fnLabels, int[] tnLabels,
            TnSpheres.Result tn, LesionTable table, Metrics metrics, List<String> warnings, InstanceParams params) {
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
    public LesionTable table() { return table; }
    /** Null without ground truth. */
    public Metrics metrics() { return metrics; }
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
        int row = table.rowOfId(id);
        if (row < 0) throw new IllegalArgumentException("no instance with id " + id);
        String cat = table.get(row, "category");
        int[] src = Categories.FN.equals(cat) ? fnLabels : Categories.TN.equals(cat) ? tnLabels : predicted.labels();
        boolean[] m = new boolean[src.length];
        for (int idx = 0; idx < src.length; idx++) m[idx] = src[idx] == id;
        return m;
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
