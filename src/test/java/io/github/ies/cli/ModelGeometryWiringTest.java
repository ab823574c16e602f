package io.github.ies.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.geometry.Affines;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.Assert.*;

/**
 * A bundle that declares its grid (RAS, 2 mm) runs {@code ies segment} and {@code ies explain} there whatever grid the
 * inputs are stored on, and every output comes back to the input's grid and affine. Known answers: an LAS copy of a RAS
 * 2 mm subject (the i axis stored reversed) is reoriented exactly, so its outputs are the RAS outputs with i reversed,
 * bit for bit; a 1 mm copy made by trilinear upsampling (2n - 1 voxels per axis, same extent) is resampled back onto
 * exactly the RAS voxels (MONAI's shape rule gives n), so the model sees the RAS arrays and the 1 mm outputs are the
 * RAS outputs upsampled: maps and probabilities trilinear (equal at even voxels, the mean of the two, four or eight
 * neighbours elsewhere), labels nearest with ties rounded up.
 */
public class ModelGeometryWiringTest extends CliTestBase {

    static final int[] DIMS = {16, 20, 12};
    static final Geometry RAS2 = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {8, 9, 5});

    private Path bundle() throws Exception {
        Path src = Paths.get(tinyBundle());
        Path dst = tmp.newFolder("ras2-bundle").toPath();
        JsonObject j = JsonParser.parseString(Files.readString(src.resolve("ies-model.json"))).getAsJsonObject();
        j.addProperty("orientation", "RAS");
        com.google.gson.JsonArray s = new com.google.gson.JsonArray();
        for (int d = 0; d < 3; d++) s.add(2.0);
        j.add("spacing", s);
        Files.writeString(dst.resolve("ies-model.json"), j.toString());
        Files.copy(src.resolve("model.pt"), dst.resolve("model.pt"));
        return dst;
    }

    private static Volume labelsRas() {
        Volume v = Volume.zeros(DIMS, RAS2);
        for (int i = 4; i <= 7; i++) for (int j = 9; j <= 11; j++) for (int k = 5; k <= 6; k++) v.set(i, j, k, 7f);   // 24 voxels
        for (int i = 10; i <= 11; i++) for (int j = 3; j <= 4; j++) v.set(i, j, 3, 2f);                                // 4 voxels
        return v;
    }

    /** The i axis stored reversed: the same world, an LAS affine. */
    public static Volume flipI(Volume v) {
        int[] d = v.dims();
        double[][] a = v.geometry().affine();
        double[][] b = new double[4][];
        for (int r = 0; r < 4; r++) b[r] = a[r].clone();
        for (int r = 0; r < 3; r++) {
            b[r][3] = a[r][3] + a[r][0] * (d[0] - 1);
            b[r][0] = -a[r][0];
        }
        Volume out = Volume.zeros(d, Affines.toGeometry(b, Geometry.XFORM_SCANNER_ANAT, v.geometry().xyztUnits));
        for (int i = 0; i < d[0]; i++) for (int j = 0; j < d[1]; j++) for (int k = 0; k < d[2]; k++) out.set(d[0] - 1 - i, j, k, v.get(i, j, k));
        return out;
    }

    /** 2n - 1 voxels per axis at half the spacing, same corner voxels: trilinear (labels: nearest, ties up). */
    public static Volume upsample(Volume v, boolean nearest) {
        int[] d = v.dims();
        int[] u = {2 * d[0] - 1, 2 * d[1] - 1, 2 * d[2] - 1};
        double[][] a = v.geometry().affine();
        double[][] b = new double[4][];
        for (int r = 0; r < 4; r++) b[r] = a[r].clone();
        for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) b[r][c] = a[r][c] / 2;
        Volume out = Volume.zeros(u, Affines.toGeometry(b, Geometry.XFORM_SCANNER_ANAT, v.geometry().xyztUnits));
        for (int i = 0; i < u[0]; i++)
            for (int j = 0; j < u[1]; j++)
                for (int k = 0; k < u[2]; k++) {
                    if (nearest) {
                        out.set(i, j, k, v.get((i + 1) / 2, (j + 1) / 2, (k + 1) / 2));
                        continue;
                    }
                    double s = 0;
                    int n = 0;
                    for (int di = i / 2; di <= (i + 1) / 2; di++)
                        for (int dj = j / 2; dj <= (j + 1) / 2; dj++)
                            for (int dk = k / 2; dk <= (k + 1) / 2; dk++) { s += v.get(di, dj, dk); n++; }
                    out.set(i, j, k, (float) (s / n));
                }
        return out;
    }

    private Path write(Volume v, String name, NiftiDataType t) throws Exception {
        Path p = tmp.getRoot().toPath().resolve(name);
        Nifti.write(v, p, t);
        return p;
    }

    private Path[] subject(String tag, java.util.function.UnaryOperator<Volume> image, java.util.function.UnaryOperator<Volume> label)
            throws Exception {
        return new Path[] {
                write(image.apply(blob(DIMS, RAS2, 1)), tag + "-flair.nii.gz", NiftiDataType.FLOAT32),
                write(image.apply(blob(DIMS, RAS2, 2)), tag + "-mprage.nii.gz", NiftiDataType.FLOAT32),
                write(label.apply(labelsRas()), tag + "-labels.nii.gz", NiftiDataType.INT32)};
    }

    private Path explain(Path model, Path[] s, String tag) {
        Path dir = tmp.getRoot().toPath().resolve(tag + "-explain");
        int rc = run("explain", "--model", model.toString(), "--input", "FLAIR=" + s[0], "--input", "MPRAGE=" + s[1], "--labels", s[2].toString(),
                "--out", dir.toString(), "--samples", "2", "--seed", "3", "--methods", "smoothgrad-max,gradcampp,class-gradcampp", "--quiet");
        assertEquals(err, 0, rc);
        return dir;
    }

    private Path segment(Path model, Path[] s, String tag, String... extra) {
        Path dir = tmp.getRoot().toPath().resolve(tag + "-segment");
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("segment", "--model", model.toString(), "--input", "FLAIR=" + s[0],
                "--input", "MPRAGE=" + s[1], "--gt", s[2].toString(), "--out", dir.toString(), "--quiet"));
        a.addAll(java.util.List.of(extra));
        int rc = run(a.toArray(new String[0]));
        assertEquals(err, 0, rc);
        return dir;
    }

    private static final String[] MAPS = {"saliency/lesion-007_smoothgrad-max_flair.nii.gz", "saliency/lesion-002_smoothgrad-max_mprage.nii.gz",
            "saliency/lesion-007_gradcampp_layer.nii.gz", "saliency/class_gradcampp_layer.nii.gz"};
    private static final String[] SEGMENT = {"probability.nii.gz", "mask.nii.gz", "labels.nii.gz", "fn_labels.nii.gz"};

    private static JsonObject geometry(Path dir) throws Exception {
        return JsonParser.parseString(Files.readString(dir.resolve("run.json"), StandardCharsets.UTF_8)).getAsJsonObject().getAsJsonObject("geometry");
    }

    @Test
    public void reorientedInputsGiveTheSameResultsFlipped() throws Exception {
        Path model = bundle();
        Path[] ras = subject("ras", v -> v, v -> v);
        Path[] las = subject("las", ModelGeometryWiringTest::flipI, ModelGeometryWiringTest::flipI);
        Path er = explain(model, ras, "ras"), el = explain(model, las, "las");
        assertFalse(geometry(er).get("reoriented").getAsBoolean());
        assertTrue(geometry(el).get("reoriented").getAsBoolean());
        assertFalse(geometry(el).get("resampled").getAsBoolean());
        for (String m : MAPS) {
            Volume a = Nifti.read(er.resolve(m)), b = Nifti.read(el.resolve(m));
            assertTrue(m, b.sameGrid(Nifti.read(las[0])));
            assertArrayEquals(m, flipI(a).data(), b.data(), 0f);
            assertTrue(m + " is not all zero", max(a.data()) > 0);
        }
        LesionTable tr = LesionTable.read(er.resolve("lesions.csv")), tl = LesionTable.read(el.resolve("lesions.csv"));
        assertEquals(tr.rowCount(), tl.rowCount());
        for (int id : new int[] {2, 7}) {
            int a = tr.rowOfId(id), b = tl.rowOfId(id);
            for (String c : new String[] {"voxels", "volume_mm3", "centroid_x", "centroid_y", "centroid_z", "smoothgrad_max_flair_peak_pos",
                    "smoothgrad_max_mprage_peak_neg", "gradcampp_layer_peak_pos"}) {
                assertEquals(c, tr.getDouble(a, c), tl.getDouble(b, c), 1e-9 * Math.max(1, Math.abs(tr.getDouble(a, c))));
            }
            assertEquals(DIMS[0] - 1 - tr.getDouble(a, "centroid_i"), tl.getDouble(b, "centroid_i"), 1e-9);
        }
        Path sr = segment(model, ras, "ras"), sl = segment(model, las, "las");
        assertTrue(geometry(sl).get("reoriented").getAsBoolean());
        for (String f : SEGMENT) {
            Volume a = Nifti.read(sr.resolve(f)), b = Nifti.read(sl.resolve(f));
            assertTrue(f, b.sameGrid(Nifti.read(las[0])));
            assertArrayEquals(f, flipI(a).data(), b.data(), 0f);
        }
        LesionTable ar = LesionTable.read(sr.resolve("lesions.csv")), al = LesionTable.read(sl.resolve("lesions.csv"));
        assertEquals(ar.rowCount(), al.rowCount());
        for (int r = 0; r < ar.rowCount(); r++) {
            int b = al.rowOfId(ar.getInt(r, "id"));
            assertEquals(ar.get(r, "category"), al.get(b, "category"));
            assertEquals(ar.getInt(r, "voxels"), al.getInt(b, "voxels"));
            assertEquals(ar.getDouble(r, "centroid_x"), al.getDouble(b, "centroid_x"), 1e-9);
        }
        assertEquals(metricsOf(sr), metricsOf(sl));
        assertFalse(json(sr.resolve("metrics.json")).has("computed_on"));
        assertTrue(json(sl.resolve("metrics.json")).get("computed_on").getAsString().contains("RAS"));
    }

    @Test
    public void resampledInputsComeBackInterpolated() throws Exception {
        Path model = bundle();
        Path[] ras = subject("ras", v -> v, v -> v);
        Path[] fine = subject("fine", v -> upsample(v, false), v -> upsample(v, true));
        Path er = explain(model, ras, "ras"), ef = explain(model, fine, "fine");
        JsonObject g = geometry(ef);
        assertTrue(g.get("resampled").getAsBoolean());
        assertEquals(DIMS[0], g.getAsJsonObject("model").getAsJsonArray("dims").get(0).getAsInt());
        assertEquals(DIMS[2], g.getAsJsonObject("model").getAsJsonArray("dims").get(2).getAsInt());
        for (String m : MAPS) {
            Volume a = Nifti.read(er.resolve(m)), b = Nifti.read(ef.resolve(m));
            assertTrue(m, b.sameGrid(Nifti.read(fine[0])));
            float[] want = upsample(a, false).data(), got = b.data();
            double scale = Math.max(max(a.data()), -min(a.data()));
            assertTrue(m, scale > 0);
            for (int i = 0; i < want.length; i++) assertEquals(m + " voxel " + i, want[i], got[i], 1e-5 * scale);
        }
        // the table is measured on the 1 mm grid: the given labels' voxels there
        LesionTable tf = LesionTable.read(ef.resolve("lesions.csv")), tr = LesionTable.read(er.resolve("lesions.csv"));
        Volume lf = Nifti.read(fine[2]);
        for (int id : new int[] {2, 7}) {
            int n = 0;
            for (float v : lf.data()) if (v == id) n++;
            assertEquals(n, tf.getInt(tf.rowOfId(id), "voxels"));
            assertEquals(tr.getDouble(tr.rowOfId(id), "smoothgrad_max_flair_peak_pos"), tf.getDouble(tf.rowOfId(id), "smoothgrad_max_flair_peak_pos"),
                    1e-5 * Math.abs(tr.getDouble(tr.rowOfId(id), "smoothgrad_max_flair_peak_pos")));
        }
        Path sr = segment(model, ras, "ras"), sf = segment(model, fine, "fine");
        Volume pr = Nifti.read(sr.resolve("probability.nii.gz")), pf = Nifti.read(sf.resolve("probability.nii.gz"));
        assertTrue(pf.sameGrid(Nifti.read(fine[0])));
        float[] want = upsample(pr, false).data();
        for (int i = 0; i < want.length; i++) assertEquals("probability voxel " + i, want[i], pf.data()[i], 1e-6);
        for (String f : new String[] {"mask.nii.gz", "labels.nii.gz", "fn_labels.nii.gz"}) {
            assertArrayEquals(f, upsample(Nifti.read(sr.resolve(f)), true).data(), Nifti.read(sf.resolve(f)).data(), 0f);
        }
        LesionTable ar = LesionTable.read(sr.resolve("lesions.csv")), af = LesionTable.read(sf.resolve("lesions.csv"));
        assertEquals(ar.rowCount(), af.rowCount());
        Volume labels = Nifti.read(sf.resolve("labels.nii.gz")), fn = Nifti.read(sf.resolve("fn_labels.nii.gz"));
        for (int r = 0; r < ar.rowCount(); r++) {
            int id = ar.getInt(r, "id");
            int b = af.rowOfId(id);
            assertEquals(ar.get(r, "category"), af.get(b, "category"));
            if (ar.get(r, "category").equals("TN")) continue;
            Volume src = ar.get(r, "category").equals("FN") ? fn : labels;
            int n = 0;
            for (float v : src.data()) if (v == id) n++;
            assertEquals("instance " + id + " voxels on the 1 mm grid", n, af.getInt(b, "voxels"));
            assertEquals(n * 1.0, af.getDouble(b, "volume_mm3"), 1e-9);
        }
    }

    private static JsonObject json(Path f) throws Exception {
        return JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    private static final String[] THRESHOLD = {"--threshold", "0.55"};    // TP, FP, FN and TN instances on this subject

    /** The ground truth with two more lesions outside the head, where the model finds nothing (FN instances). */
    private static Volume withMissedLesions(Volume v) {
        Volume out = v.copy();
        for (int i = 1; i <= 2; i++) for (int j = 1; j <= 2; j++) for (int k = 1; k <= 2; k++) out.set(i, j, k, 1f);
        for (int i = 13; i <= 14; i++) for (int j = 16; j <= 18; j++) for (int k = 9; k <= 10; k++) out.set(i, j, k, 1f);
        return out;
    }

    /** metrics.json without the name of the grid it was computed on. */
    private static String metricsOf(Path dir) throws Exception {
        JsonObject m = json(dir.resolve("metrics.json"));
        m.remove("computed_on");
        return m.toString();
    }

    /**
     * On an LAS copy and on a 1 mm copy, segment's categories, FN instances and metrics are the ones found on the
     * model grid (the RAS 2 mm arrays themselves): its metrics.json equals the RAS run's, so the lesion counts agree
     * with the table's categories; and explain --segmentation of that folder, and explain --labels with --gt, give
     * segment's ids, categories and voxel counts row for row (before, they were analysed again on the input's grid:
     * FN ids in another raster order, TN spheres elsewhere, metrics on another grid).
     */
    @Test
    public void segmentFoldersKeepTheirIdsAndCategoriesOnAnotherGrid() throws Exception {
        Path model = bundle();
        Path sr = segment(model, subject("gras", v -> v, ModelGeometryWiringTest::withMissedLesions), "gras", THRESHOLD);
        java.util.Map<String, Path[]> copies = new java.util.LinkedHashMap<>();
        copies.put("glas", subject("glas", ModelGeometryWiringTest::flipI, v -> flipI(withMissedLesions(v))));
        copies.put("gfine", subject("gfine", v -> upsample(v, false), v -> upsample(withMissedLesions(v), true)));
        LesionTable tr = LesionTable.read(sr.resolve("lesions.csv"));
        java.util.Set<String> cats = new java.util.TreeSet<>();
        for (int r = 0; r < tr.rowCount(); r++) cats.add(tr.get(r, "category"));
        assertTrue("the subject has TP, FP, FN and TN instances: " + Files.readString(sr.resolve("lesions.csv")), cats.containsAll(java.util.List.of("TP", "FP", "FN", "TN")));
        for (java.util.Map.Entry<String, Path[]> e : copies.entrySet()) {
            String tag = e.getKey();
            Path[] s = e.getValue();
            Path sd = segment(model, s, tag, THRESHOLD);
            assertEquals(tag, metricsOf(sr), metricsOf(sd));
            LesionTable ts = LesionTable.read(sd.resolve("lesions.csv"));
            String lesions = tr.get(0, "id") + "," + tr.get(tr.rowCount() - 1, "id");
            Path fromFolder = tmp.getRoot().toPath().resolve(tag + "-from-segment"), fromLabels = tmp.getRoot().toPath().resolve(tag + "-from-labels");
            int rc = run("explain", "--model", model.toString(), "--input", "FLAIR=" + s[0], "--input", "MPRAGE=" + s[1], "--segmentation", sd.toString(),
                    "--out", fromFolder.toString(), "--samples", "1", "--methods", "smoothgrad-mean", "--lesions", lesions, "--quiet");
            assertEquals(err, 0, rc);
            rc = run("explain", "--model", model.toString(), "--input", "FLAIR=" + s[0], "--input", "MPRAGE=" + s[1], "--labels",
                    sd.resolve("labels.nii.gz").toString(), "--gt", s[2].toString(), "--out", fromLabels.toString(), "--samples", "1",
                    "--methods", "smoothgrad-mean", "--lesions", lesions, "--quiet");
            assertEquals(err, 0, rc);
            for (Path ed : new Path[] {fromFolder, fromLabels}) {
                LesionTable te = LesionTable.read(ed.resolve("lesions.csv"));
                assertEquals(ed + " rows", ts.rowCount(), te.rowCount());
                for (int r = 0; r < ts.rowCount(); r++) {
                    int id = ts.getInt(r, "id");
                    int b = te.rowOfId(id);
                    assertTrue(ed + " id " + id, b >= 0);
                    assertEquals(ed + " id " + id, ts.get(r, "category"), te.get(b, "category"));
                    if (ed == fromFolder || !ts.get(r, "category").equals("TN")) {
                        assertEquals(ed + " id " + id + " voxels", ts.getInt(r, "voxels"), te.getInt(b, "voxels"));
                    }
                }
                assertFalse(ed + " run.json", Files.readString(ed.resolve("run.json")).contains("differ from the segmentation folder"));
                JsonObject ms = json(sd.resolve("metrics.json")), me = json(ed.resolve("metrics.json"));
                for (String k : new String[] {"dice", "ndsc", "n_pred_lesions", "n_gt_lesions", "lesion_tp", "lesion_fp", "lesion_fn"}) {
                    assertEquals(ed + " " + k, ms.get(k), me.get(k));
                }
            }
        }
    }

    /**
     * A label-image id with no voxel on the model grid (one voxel of a 1 mm copy between the 2 mm voxels) is named in a
     * warning, refused when asked for, kept in the carried-back label image, and its id is not given to an FN instance:
     * FN ids follow the input's largest id (before, with --gt, the FN instances were numbered from the model grid's
     * largest id, took the lost id, and no warning was given).
     */
    @Test
    public void aLabelLostOnTheModelGridKeepsItsIdAndIsNamed() throws Exception {
        Path model = bundle();
        Path[] fine = subject("lost", v -> upsample(v, false), v -> upsample(v, true));
        Volume labels = upsample(labelsRas(), true);
        labels.set(1, 1, 1, 9f);                                   // odd index: between two 2 mm voxels on every axis
        Path lab = write(labels, "lost-labels.nii.gz", NiftiDataType.INT32);
        Path gt = write(upsample(withMissedLesions(labelsRas()), true), "lost-gt.nii.gz", NiftiDataType.UINT8);
        Path dir = tmp.getRoot().toPath().resolve("lost-explain");
        int rc = run("explain", "--model", model.toString(), "--input", "FLAIR=" + fine[0], "--input", "MPRAGE=" + fine[1], "--labels", lab.toString(),
                "--gt", gt.toString(), "--out", dir.toString(), "--samples", "1", "--methods", "smoothgrad-mean", "--lesions", "7", "--quiet");
        assertEquals(err, 0, rc);
        String record = Files.readString(dir.resolve("run.json"));
        assertTrue(record, record.contains("left out: [9]"));
        LesionTable t = LesionTable.read(dir.resolve("lesions.csv"));
        assertTrue(t.rowOfId(9) < 0);
        int fn = 0;
        for (int r = 0; r < t.rowCount(); r++) {
            if (!t.get(r, "category").equals("FN")) continue;
            fn++;
            assertTrue("FN id " + t.getInt(r, "id") + " after the input's largest id 9", t.getInt(r, "id") > 9);
        }
        assertTrue("the ground truth has missed lesions", fn > 0);
        assertEquals(9f, Nifti.read(dir.resolve("labels.nii.gz")).get(1, 1, 1), 0f);
        assertEquals(1, run("explain", "--model", model.toString(), "--input", "FLAIR=" + fine[0], "--input", "MPRAGE=" + fine[1], "--labels",
                lab.toString(), "--gt", gt.toString(), "--out", tmp.getRoot().toPath().resolve("lost-9").toString(), "--samples", "1",
                "--methods", "smoothgrad-mean", "--lesions", "9", "--quiet"));
        assertTrue(err, err.contains("instance 9 has no voxel on the model's grid"));
    }

    /**
     * The perilesional context experiment runs on the model's grid too: on the LAS and 1 mm copies it gives the RAS
     * run's numbers (before, the network was given the LAS arrays as stored and the 1 mm arrays unresampled).
     */
    @Test
    public void theContextExperimentRunsOnTheModelsGrid() throws Exception {
        Path model = bundle();
        java.util.Map<String, Path[]> subjects = new java.util.LinkedHashMap<>();
        subjects.put("ras", subject("ras", v -> v, v -> v));
        subjects.put("las", subject("las", ModelGeometryWiringTest::flipI, ModelGeometryWiringTest::flipI));
        subjects.put("fine", subject("fine", v -> upsample(v, false), v -> upsample(v, true)));
        java.util.Map<String, String> csv = new java.util.LinkedHashMap<>();
        for (java.util.Map.Entry<String, Path[]> e : subjects.entrySet()) {
            Path[] s = e.getValue();
            Path dir = tmp.getRoot().toPath().resolve(e.getKey() + "-context");
            int rc = run("experiment", "context", "--model", model.toString(), "--input", "FLAIR=" + s[0], "--input", "MPRAGE=" + s[1],
                    "--labels", s[2].toString(), "--min-voxels", "1", "--max-voxels", "100", "--steps", "2", "--out", dir.toString(), "--quiet");
            assertEquals(err, 0, rc);
            csv.put(e.getKey(), Files.readString(dir.resolve("context_lesions.csv")));
            boolean moved = !e.getKey().equals("ras");
            assertEquals(e.getKey(), moved, Files.readString(dir.resolve("run.json")).contains("the experiment runs there"));
        }
        assertTrue(csv.get("ras"), csv.get("ras").contains(",7,24,"));
        assertEquals(csv.get("ras"), csv.get("las"));
        assertEquals(csv.get("ras"), csv.get("fine"));
    }

    private static float max(float[] a) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : a) m = Math.max(m, v);
        return m;
    }

    private static float min(float[] a) {
        float m = Float.POSITIVE_INFINITY;
        for (float v : a) m = Math.min(m, v);
        return m;
    }
}
