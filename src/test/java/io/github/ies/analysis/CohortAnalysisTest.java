package io.github.ies.analysis;

import io.github.ies.cli.IesCli;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** ies analyze on a synthetic explain folder with known maps. */
public class CohortAnalysisTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    static final int[] DIMS = {24, 24, 12};
    static final Geometry G = Geometry.axisAligned(new double[] {1, 1, 2}, new double[] {0, 0, 0});

    /** Lesion: a 3x3x1 block at (c, c, 6). Map: +a inside, -b at 1 mm in-plane ring, 0.05 (discarded) at 2 mm. */
    static void instance(Volume labels, int id, int c, Path sal, String channel, double a, double b) throws Exception {
        Volume map = Volume.zeros(DIMS, G);
        for (int j = c - 3; j <= c + 3; j++) for (int i = c - 3; i <= c + 3; i++) {
            int di = Math.max(0, Math.abs(i - c) - 1), dj = Math.max(0, Math.abs(j - c) - 1);
            int ring = Math.max(di, dj);
            if (ring == 0) labels.set(i, j, 6, id);
            map.set(i, j, 6, (float) (ring == 0 ? a : ring == 1 && (di == 0 || dj == 0) ? -b : 0.05));
        }
        Nifti.write(map, sal.resolve("lesion-" + id + "_smoothgrad-max_" + channel + ".nii.gz"), NiftiDataType.FLOAT32);
    }

    public static Path explainFolder(Path dir, double scale) throws Exception {
        Path sal = Files.createDirectories(dir.resolve("saliency"));
        Volume pred = Volume.zeros(DIMS, G), fn = Volume.zeros(DIMS, G);
        LesionTable t = new LesionTable(List.of("id", "category", "smoothgrad_max_flair_peak_pos", "smoothgrad_max_flair_peak_neg",
                "smoothgrad_max_mprage_peak_pos", "smoothgrad_max_mprage_peak_neg"));
        instance(pred, 1, 5, sal, "flair", 0.8 * scale, 0.3);
        instance(pred, 1, 5, sal, "mprage", -0.2, -0.15);
        instance(pred, 2, 14, sal, "flair", 0.4 * scale, 0.2);
        instance(pred, 2, 14, sal, "mprage", -0.12, -0.11);
        instance(fn, 3, 18, sal, "flair", 0.3 * scale, 0.12);
        instance(fn, 3, 18, sal, "mprage", -0.11, -0.3);
        t.addRow(1, "TP", 0.8 * scale, -0.3, 0.15, -0.2);
        t.addRow(2, "FP", 0.4 * scale, -0.2, 0.11, -0.12);
        t.addRow(3, "FN", 0.3 * scale, -0.12, 0.3, -0.11);
        Nifti.write(pred, dir.resolve("labels.nii.gz"), NiftiDataType.UINT8);
        Nifti.write(fn, dir.resolve("fn_labels.nii.gz"), NiftiDataType.UINT8);
        t.write(dir.resolve("lesions.csv"));
        return dir;
    }

    @Test
    public void contributionsAndShellsFromKnownMaps() throws Exception {
        Path d = explainFolder(tmp.newFolder("a").toPath(), 1.0);
        CohortAnalysis.Result r = new CohortAnalysis(new CohortAnalysis.Options()).run(List.of(d), null);
        assertEquals(List.of("TP", "FP", "FN"), r.groups);
        assertEquals(List.of("flair", "mprage"), r.channels);
        CohortAnalysis.Pool tp = r.pools.get("TP\tflair");
        // 9 inside (0.8), 12 ring voxels at exactly 1 mm (-0.3), 0.05 values discarded
        assertEquals(21, tp.regions.get("all").size());
        double[] inside = tp.regions.get("inside").toArray();
        assertEquals(9, inside.length);
        for (double v : inside) assertEquals(0.8, v, 1e-6);
        double[] s1 = tp.regions.get("shell_0-1_mm").toArray();
        assertEquals(12, s1.length);
        for (double v : s1) assertEquals(-0.3, v, 1e-6);
        assertEquals(0, tp.regions.get("shell_1-2_mm").size());
        // mprage of TP: -0.2 inside kept, -0.15 ring kept; FP mprage: -0.12 / -0.11 kept; threshold 0.13 drops FP ones
        assertEquals(21, r.pools.get("FP\tmprage").regions.get("all").size());
        CohortAnalysis.Options o = new CohortAnalysis.Options();
        o.threshold = 0.13;
        CohortAnalysis.Result r2 = new CohortAnalysis(o).run(List.of(d), null);
        assertEquals(0, r2.pools.get("FP\tmprage").regions.get("all").size());
        assertEquals(21, r2.pools.get("TP\tmprage").regions.get("all").size());
    }

    @Test
    public void cliWritesTablesTestsAndFigures() throws Exception {
        Path a = explainFolder(tmp.newFolder("a").toPath(), 1.0), b = explainFolder(tmp.newFolder("b").toPath(), 1.1);
        Path out = tmp.getRoot().toPath().resolve("out");
        // two lesions per group: tested when the minimum group size allows it (n >= 2 here)
        int rc = IesCli.execute("analyze", "--explain-dir", a.toString(), "--explain-dir", b.toString(), "--out", out.toString(), "--min-group-size", "2");
        assertEquals(0, rc);
        List<String> tests = Files.readAllLines(out.resolve("group_tests.csv"));
        assertEquals(CohortAnalysis.GROUP_TESTS_HEADER, tests.get(0));
        // 2 channels x 2 statistics x 3 pairs
        assertEquals(1 + 12, tests.size());
        String tpFp = tests.stream().filter(l -> l.startsWith("smoothgrad-max,flair,peak_pos,TP,FP,")).findFirst().orElseThrow();
        String[] f = tpFp.split(",");
        assertEquals("2", f[5]);
        assertEquals("2", f[6]);
        assertEquals(4.0, Double.parseDouble(f[7]), 0);
        // SciPy: mannwhitneyu([0.8, 0.88], [0.4, 0.44], alternative="two-sided", method="asymptotic").pvalue
        assertEquals("0.245278", f[8]);          // 0.2452781168067728 to 6 significant digits
        assertEquals(1.0, Double.parseDouble(f[9]), 0);
        assertEquals("tested", f[10]);
        List<String> con = Files.readAllLines(out.resolve("channel_contributions.csv"));
        String tpInside = con.stream().filter(l -> l.startsWith("flair,TP,inside,any,")).findFirst().orElseThrow();
        String[] c = tpInside.split(",");
        assertEquals("2", c[4]);
        assertEquals("18", c[5]);
        assertEquals(1.0, Double.parseDouble(c[9]), 0);
        for (String png : List.of("peaks_smoothgrad-max_flair.png", "contributions.png", "shell_profile_flair.png")) {
            byte[] bytes = Files.readAllBytes(out.resolve("figures").resolve(png));
            assertTrue(png, bytes.length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G');
        }
        assertTrue(Files.readString(out.resolve("peaks.csv")).contains(",3,FN,smoothgrad-max,mprage,0.3,-0.11"));
    }

    @Test
    public void groupsBelowTheMinimumAreNotTested() throws Exception {
        Path a = explainFolder(tmp.newFolder("a").toPath(), 1.0), b = explainFolder(tmp.newFolder("b").toPath(), 1.1);
        CohortAnalysis.Result r = new CohortAnalysis(new CohortAnalysis.Options()).run(List.of(a, b), null);
        assertEquals(CohortAnalysis.Options.DEFAULT_MIN_GROUP_SIZE, r.minGroupSize);
        assertEquals(java.util.Map.of("TP", 2, "FP", 2, "FN", 2), r.groupSizes);
        assertEquals(List.of("TP", "FP", "FN"), r.smallGroups);
        assertTrue(r.warnings.get(0), r.warnings.get(0).startsWith("small groups: TP 2, FP 2, FN 2 lesion(s), fewer than min_group_size 5"));
        List<CohortAnalysis.GroupTest> tests = CohortAnalysis.groupTests(r);
        assertEquals(12, tests.size());
        for (CohortAnalysis.GroupTest t : tests) {
            assertEquals(CohortAnalysis.TOO_FEW, t.status);
            assertEquals(null, t.test);
            assertEquals(2, t.nA);
        }
        // the same folders at a minimum of 2: every pair tested, no warning
        CohortAnalysis.Options o = new CohortAnalysis.Options();
        o.minGroupSize = 2;
        CohortAnalysis.Result r2 = new CohortAnalysis(o).run(List.of(a, b), null);
        assertTrue(r2.warnings.toString(), r2.smallGroups.isEmpty() && r2.warnings.isEmpty());
        for (CohortAnalysis.GroupTest t : CohortAnalysis.groupTests(r2)) assertEquals(CohortAnalysis.TESTED, t.status);
        // the report shows the warning before the tests and the reason in place of the p-value
        Path html = tmp.getRoot().toPath().resolve("small.html");
        io.github.ies.cli.CliRun run = io.github.ies.cli.CliRun.of("report", "--explain-dir", a.toString(), "--explain-dir", b.toString(),
                "--out", html.toString(), "--quiet");
        assertEquals(run.err, 0, run.rc);
        String s = Files.readString(html);
        int warning = s.indexOf("<b>Warning:</b> small groups: TP 2, FP 2, FN 2 lesion(s)"), testsAt = s.indexOf("<h3>Group tests</h3>");
        assertTrue(warning + " " + testsAt, warning > 0 && testsAt > warning);
        assertTrue(s.contains("<td colspan=3 class=l>not tested: TP has 2 and FP 2 lesion(s); min_group_size is 5</td>"));
        assertTrue(s.contains("<figcaption>Peaks (left) and troughs (right) of smoothgrad-max flair by category"));
    }

    @Test
    public void reportIsOneSelfContainedHtmlFile() throws Exception {
        Path a = explainFolder(tmp.newFolder("a").toPath(), 1.0);
        // lesions.csv needs centroids for thumbnails
        LesionTable t = LesionTable.read(a.resolve("lesions.csv"));
        for (String c : List.of("centroid_i", "centroid_j", "centroid_k")) t.addColumn(c);
        int[] cs = {5, 14, 18};
        for (int r = 0; r < 3; r++) { t.set(r, "centroid_i", (double) cs[r]); t.set(r, "centroid_j", (double) cs[r]); t.set(r, "centroid_k", 6.0); }
        t.write(a.resolve("lesions.csv"));
        Volume flair = Volume.zeros(DIMS, G);
        for (int v = 0; v < flair.size(); v++) flair.data()[v] = v % 17;
        Nifti.write(flair, a.resolve("flair.nii.gz"), NiftiDataType.FLOAT32);
        java.nio.file.Files.writeString(a.resolve("run.json"), "{\"parameters\": {\"inputs\": {\"FLAIR\": \"flair.nii.gz\"}, \"samples\": 7}}");
        Path html = tmp.getRoot().toPath().resolve("r.html");
        io.github.ies.cli.CliRun run = io.github.ies.cli.CliRun.of("report", "--explain-dir", a.toString(), "--out", html.toString(), "--quiet");
        assertEquals(run.err, 0, run.rc);
        String s = Files.readString(html);
        assertTrue(s.startsWith("<!DOCTYPE html>") && s.trim().endsWith("</html>"));
        // the summary first, then the table, the lesion figures, the analysis and the parameters, collapsed, last
        int summary = s.indexOf("<table class=summary>"), table = s.indexOf("<h3>Lesion table (3 instances, 3 explained)</h3>"),
                figure = s.indexOf("alt=\"lesion 003 (FN)\""), analysis = s.indexOf("<h2>Analysis</h2>"),
                params = s.indexOf("<details><summary>" + a + ": run.json");
        assertTrue(summary + " " + table + " " + figure + " " + analysis + " " + params,
                summary > 0 && table > summary && figure > table && analysis > figure && params > analysis);
        assertTrue(s.indexOf("&quot;samples&quot;: 7") > params);
        assertTrue(s.contains("<span class=\"cat-TP\">TP</span> 1 (1 explained)"));
        // sortable, the peak columns before the centroids
        assertTrue(s.contains("<table class=sortable><thead>"));
        assertTrue(s.indexOf("title=\"smoothgrad_max_flair_peak_pos\">sg_max_<br>flair+</th>") < s.indexOf("title=\"centroid_i\""));
        assertTrue(s.contains("alt=\"peaks_smoothgrad-max_flair.png\" src=\"data:image/png;base64,"));
        assertTrue(!s.contains("src=\"http") && !s.contains("src=\"file"));
        // one lesion per group: no test, the reason in its place (issue 22)
        assertTrue(s.contains("<td class=l>TP</td><td class=l>FP</td><td>1</td><td>1</td><td colspan=3 class=l>not tested: TP has 1 and FP 1 lesion(s); "
                + "min_group_size is 5</td>"));
    }

    @Test
    public void notAnExplainFolderFailsWithAMessage() throws Exception {
        Path empty = tmp.newFolder("empty").toPath();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = IesCli.commandLine();
        cl.setErr(new java.io.PrintWriter(err));
        int rc = cl.execute("analyze", "--explain-dir", empty.toString(), "--out", tmp.getRoot().toPath().resolve("o").toString());
        assertEquals(1, rc);
        assertTrue(err.toString(), err.toString().contains("no lesions.csv"));
    }
}
