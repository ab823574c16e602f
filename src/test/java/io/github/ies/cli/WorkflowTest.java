package io.github.ies.cli;

import io.github.ies.fiji.FijiCommandsTest;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * The README's workflow with the tiny model: segment with a ground truth, pick a TP, an FN and a TN id from segment's
 * table, explain them from the segment folder (and from its label image with --gt), then analyze and report on the
 * explain folders, including one written before the label image was carried and the ids padded.
 */
public class WorkflowTest extends CliTestBase {

    private Path f, m, gt, seg;
    private int tp, fn, tn;
    private String threshold;

    /** A subject whose ground truth holds one predicted instance (a TP) and a cube the model misses (an FN). */
    private void segmented() throws Exception {
        Path dir = tmp.getRoot().toPath();
        f = dir.resolve("flair.nii.gz");
        m = dir.resolve("mprage.nii.gz");
        Nifti.write(FijiCommandsTest.volume(1), f, NiftiDataType.FLOAT32);
        Nifti.write(FijiCommandsTest.volume(2), m, NiftiDataType.FLOAT32);
        Path p0 = dir.resolve("seg-probability");
        assertEquals(err, 0, run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", p0.toString(),
                "--device", "cpu", "--quiet"));
        // the random tiny model: a threshold at the 98th percentile of its probability gives a few instances
        float[] prob = Nifti.read(p0.resolve("probability.nii.gz")).data().clone();
        java.util.Arrays.sort(prob);
        threshold = Double.toString(prob[(int) (0.98 * (prob.length - 1))]);
        Path s0 = dir.resolve("seg0");
        assertEquals(err, 0, run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", s0.toString(),
                "--threshold", threshold, "--device", "cpu", "--quiet"));
        Volume mask = Nifti.read(s0.resolve("mask.nii.gz")), labels = Nifti.read(s0.resolve("labels.nii.gz"));
        Volume g = Volume.zeros(mask.dims(), mask.geometry());
        int inFirst = 0;
        for (int v = 0; v < g.size(); v++) if (labels.data()[v] == 1) { g.data()[v] = 1; inFirst++; }
        assertTrue("the tiny model predicts at least one instance here", inFirst > 0);
        int[] d = mask.dims();
        int[] c = null;        // a 2x2x2 cube far from every predicted voxel
        search:
        for (int k = 1; k + 3 < d[2]; k++) for (int j = 1; j + 3 < d[1]; j++) for (int i = 1; i + 3 < d[0]; i++) {
            for (int dk = -1; dk <= 2; dk++) for (int dj = -1; dj <= 2; dj++) for (int di = -1; di <= 2; di++) {
                if (mask.get(i + di, j + dj, k + dk) != 0) continue search;
            }
            c = new int[] {i, j, k};
            break search;
        }
        assertTrue(c != null);
        for (int dk = 0; dk < 2; dk++) for (int dj = 0; dj < 2; dj++) for (int di = 0; di < 2; di++) g.set(c[0] + di, c[1] + dj, c[2] + dk, 1);
        gt = dir.resolve("gt.nii.gz");
        Nifti.write(g, gt, NiftiDataType.UINT8);
        seg = dir.resolve("segment");
        assertEquals(err, 0, run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--gt", gt.toString(),
                "--tn-spheres", "2", "--seed", "3", "--threshold", threshold, "--out", seg.toString(), "--device", "cpu", "--quiet"));
        LesionTable t = LesionTable.read(seg.resolve("lesions.csv"));
        tp = fn = tn = -1;
        for (int r = 0; r < t.rowCount(); r++) {
            String cat = t.get(r, "category");
            if (cat.equals("TP") && tp < 0) tp = t.getInt(r, "id");
            if (cat.equals("FN") && fn < 0) fn = t.getInt(r, "id");
            if (cat.equals("TN") && tn < 0) tn = t.getInt(r, "id");
        }
        assertTrue("TP " + tp + ", FN " + fn + ", TN " + tn, tp > 0 && fn > tp && tn > fn);
    }

    private String[] explainArgs(Path out, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input",
                "MPRAGE=" + m, "--out", out.toString(), "--samples", "1", "--methods", "smoothgrad-max,gradcampp", "--device", "cpu", "--quiet"));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    @Test
    public void segmentThenExplainChosenTpFnTnThenAnalyzeAndReport() throws Exception {
        segmented();
        Path dir = tmp.getRoot().toPath(), ex = dir.resolve("explain");
        assertEquals(err, 0, run(explainArgs(ex, "--segmentation", seg.toString(), "--lesions", tp + "," + fn + "," + tn)));
        // the per-lesion summary on standard output
        assertTrue(out, out.contains(" TP ") && out.contains(" FN ") && out.contains(" TN ") && out.contains("sg_max_flair+"));
        // the instances are segment's: every row of segment's table, value for value
        LesionTable s = LesionTable.read(seg.resolve("lesions.csv")), e = LesionTable.read(ex.resolve("lesions.csv"));
        assertEquals(s.rowCount(), e.rowCount());
        for (int r = 0; r < s.rowCount(); r++) for (String c : s.columns()) assertEquals(c + " row " + r, s.get(r, c), e.get(r, c));
        for (String file : new String[] {"labels.nii.gz", "fn_labels.nii.gz", "tn_spheres.nii.gz", "metrics.json"}) {
            assertTrue(file, Files.isRegularFile(ex.resolve(file)));
            if (file.endsWith(".nii.gz")) {
                assertTrue(file, java.util.Arrays.equals(Nifti.read(seg.resolve(file)).data(), Nifti.read(ex.resolve(file)).data()));
            }
        }
        for (int id : new int[] {tp, fn, tn}) {
            assertTrue(Files.isRegularFile(ex.resolve("saliency").resolve(ExplainLayout.mapName(id, "smoothgrad-max", "flair", false))));
            assertTrue(ExplainLayout.mapName(id, "smoothgrad-max", "flair", false).startsWith(String.format("lesion-%03d_", id)));
        }
        // Grad-CAM++ is a ReLU: no negative peak column
        assertTrue(e.hasColumn("gradcampp_layer_peak_pos"));
        assertFalse(e.hasColumn("gradcampp_layer_peak_neg"));
        String run = Files.readString(ex.resolve("run.json"), StandardCharsets.UTF_8);
        assertTrue(run, run.contains("\"segmentation\": \"" + seg + "\"") && run.contains("\"instance_seed\": 3"));

        // the same ids from segment's label image with the ground truth
        Path ex2 = dir.resolve("explain2");
        assertEquals(err, 0, run(explainArgs(ex2, "--labels", seg.resolve("labels.nii.gz").toString(), "--gt", gt.toString(), "--seed", "3",
                "--tn-spheres", "2", "--lesions", tp + "," + fn)));
        LesionTable e2 = LesionTable.read(ex2.resolve("lesions.csv"));
        assertEquals("TP", e2.get(e2.rowOfId(tp), "category"));
        assertEquals("FN", e2.get(e2.rowOfId(fn), "category"));
        assertEquals(s.get(s.rowOfId(fn), "voxels"), e2.get(e2.rowOfId(fn), "voxels"));

        // analyze and report on the explain folder
        Path an = dir.resolve("analysis");
        assertEquals(err, 0, run("analyze", "--explain-dir", ex.toString(), "--out", an.toString(), "--quiet"));
        String peaks = Files.readString(an.resolve("peaks.csv"));
        assertTrue(peaks, peaks.contains("," + fn + ",FN,smoothgrad-max,flair,") && peaks.contains("," + tn + ",TN,gradcampp,layer,"));
        assertFalse(Files.readString(an.resolve("group_tests.csv")).contains("gradcampp,layer,peak_neg"));
        // one subject, one lesion per category: fewer than the minimum group size, so no test, no p-value (issue 22)
        String smallN = "fewer than min_group_size " + io.github.ies.analysis.CohortAnalysis.Options.DEFAULT_MIN_GROUP_SIZE;
        assertTrue(err, err.contains("ies analyze: warning: small groups: ") && err.contains(smallN));
        List<String> testRows = Files.readAllLines(an.resolve("group_tests.csv"));
        assertTrue(testRows.get(0), testRows.get(0).endsWith(",u,p_value,rank_biserial,status,note"));
        String tpFn = testRows.stream().filter(l -> l.startsWith("smoothgrad-max,flair,peak_pos,TP,FN,")).findFirst().orElseThrow();
        assertTrue(tpFn, tpFn.startsWith("smoothgrad-max,flair,peak_pos,TP,FN,1,1,,,,too_few_lesions,not tested: TP has 1 and FN 1 lesion(s); min_group_size is 5"));
        for (String l : testRows.subList(1, testRows.size())) assertTrue(l, l.contains(",,,,too_few_lesions,"));
        String analysisRecord = Files.readString(an.resolve("run.json"));
        assertTrue(analysisRecord, analysisRecord.contains(smallN) && analysisRecord.contains("\"min_group_size\": 5")
                && analysisRecord.contains("\"groups_below_min_group_size\""));
        // the bins default to the voxel size (2 mm): the first shell is 0-2 mm
        assertTrue(Files.readString(an.resolve("channel_contributions.csv")).contains(",shell_0-2_mm,"));
        // every run writes run.json; an explain folder is never an analysis's output folder (its run.json would be replaced)
        String record = Files.readString(an.resolve("run.json"));
        assertTrue(record, record.contains("\"command\": \"analyze\"") && record.contains(ex.toString()) && record.contains("\"instances_with_maps\""));
        String explainRecord = Files.readString(ex.resolve("run.json"));
        assertEquals(1, run("analyze", "--explain-dir", ex.toString(), "--out", ex.toString(), "--quiet"));
        assertTrue(err.toString(), err.toString().contains("ies analyze: error: ") && err.toString().split("\n").length <= 2);
        assertEquals(explainRecord, Files.readString(ex.resolve("run.json")));
        assertFalse(Files.exists(ex.resolve("peaks.csv")));
        Path html = dir.resolve("report.html");
        int rrc = run("report", "--explain-dir", ex.toString(), "--out", html.toString());
        assertEquals(err + out, 0, rrc);
        String h = Files.readString(html);
        assertTrue(h.contains("lesion " + String.format("%03d", fn)));
    }

    /** An explain folder of a given label image carries it; one written before that (and before padded ids) is read through run.json. */
    @Test
    public void explainFromALabelImageCarriesItAndOldFoldersStillAnalyze() throws Exception {
        segmented();
        Path dir = tmp.getRoot().toPath(), ex = dir.resolve("ex");
        assertEquals(err, 0, run(explainArgs(ex, "--labels", seg.resolve("labels.nii.gz").toString(), "--lesions", Integer.toString(tp))));
        assertTrue(Files.isRegularFile(ex.resolve("labels.nii.gz")));
        assertEquals(err, 0, run("analyze", "--explain-dir", ex.toString(), "--out", dir.resolve("a1").toString(), "--quiet"));
        assertEquals(err, 0, run("report", "--explain-dir", ex.toString()));
        // as an older version left it: no labels.nii.gz, unpadded map names
        Files.delete(ex.resolve("labels.nii.gz"));
        try (Stream<Path> st = Files.list(ex.resolve("saliency"))) {
            for (Path p : st.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith("lesion-")) Files.move(p, p.resolveSibling(n.replaceFirst("lesion-0+", "lesion-")));
            }
        }
        assertTrue(Files.isRegularFile(ex.resolve("saliency/lesion-" + tp + "_smoothgrad-max_flair.nii.gz")));
        Path a2 = dir.resolve("a2");
        assertEquals(err, 0, run("analyze", "--explain-dir", ex.toString(), "--out", a2.toString(), "--quiet"));
        assertTrue(Files.readString(a2.resolve("channel_contributions.csv")).contains("flair,all,inside,any,1,"));
        assertEquals(err, 0, run("report", "--explain-dir", ex.toString()));
        // without the label image anywhere: a message naming what is missing
        Files.move(seg.resolve("labels.nii.gz"), dir.resolve("moved.nii.gz"));
        assertEquals(1, run("analyze", "--explain-dir", ex.toString(), "--out", dir.resolve("a3").toString(), "--quiet"));
        assertTrue(err, err.contains("needs labels.nii.gz") && err.contains("run.json names no label image that exists"));
        assertFalse("a failed analysis leaves no folder behind", Files.exists(dir.resolve("a3")));
        // a finished one leaves no staging folder or lock, and run.json beside its tables
        try (Stream<Path> st = Files.list(a2)) {
            assertTrue(st.noneMatch(p -> p.getFileName().toString().startsWith(".ies-")));
        }
        assertTrue(Files.readString(a2.resolve("run.json")).contains("\"command\": \"analyze\""));
    }

    @Test
    public void segmentationFolderExcludesLabelsAndGroundTruth() throws Exception {
        segmented();
        Path ex = tmp.getRoot().toPath().resolve("ex");
        assertEquals(2, run(explainArgs(ex, "--segmentation", seg.toString(), "--gt", gt.toString())));
        assertTrue(err, err.contains("--segmentation brings its instances"));
        assertEquals(1, run(explainArgs(ex, "--segmentation", tmp.getRoot().toString())));
        assertTrue(err, err.contains("no run.json"));
        // an FN id without a ground truth: the message says where FN ids come from
        assertEquals(1, run(explainArgs(ex, "--labels", seg.resolve("labels.nii.gz").toString(), "--lesions", Integer.toString(fn))));
        assertTrue(err, err.contains("no instance with id " + fn) && err.contains("--segmentation"));
    }
}
