package io.github.ies.analysis;

import io.github.ies.cli.IesCli;
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
import java.util.Random;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

public class RelocateExperimentTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void placementKeepsEveryVoxelInTheAllowedRegion() {
        int[] dims = {20, 20, 10};
        boolean[] allowed = new boolean[4000];
        for (int k = 2; k < 8; k++) for (int j = 10; j < 18; j++) for (int i = 10; i < 18; i++) allowed[i + 20 * (j + 20 * k)] = true;
        boolean[] region = new boolean[4000];
        for (int i = 2; i < 5; i++) region[i + 20 * (3 + 20 * 4)] = true; // 3 voxels along i, centroid (3,3,4)
        for (long seed = 0; seed < 20; seed++) {
            int[] off = RelocateExperiment.place(region, dims, allowed, null, seed, 10000);
            boolean[] moved = Operators.shift(region, dims, off);
            assertEquals(3, Operators.count(moved));
            for (int v = 0; v < moved.length; v++) if (moved[v]) assertTrue(allowed[v]);
        }
        assertArrayEquals(new int[] {11, 11, 1}, RelocateExperiment.place(region, dims, allowed, new int[] {14, 14, 5}, 0, 1));
        assertNull(RelocateExperiment.place(region, dims, allowed, new int[] {10, 14, 5}, 0, 1)); // i = 9 is outside
        boolean[] e = RelocateExperiment.eroded(allowed, dims, 1);
        assertEquals(6 * 6 * 4, Operators.count(e));
    }

    @Test
    public void cliRunsAllCasesWithTheTinyModel() throws Exception {
        int[] dims = {40, 40, 24};
        Geometry g = Geometry.axisAligned(new double[] {1, 1, 1.5}, new double[] {0, 0, 0});
        Volume f = Volume.zeros(dims, g), m = Volume.zeros(dims, g), t = Volume.zeros(dims, g), gt = Volume.zeros(dims, g);
        Random r = new Random(2);
        for (int k = 0; k < 24; k++) for (int j = 0; j < 24; j++) for (int i = 0; i < 24; i++) { // a "head" in one corner
            int v = f.index(i, j, k);
            t.data()[v] = (i > 3 && i < 20 && j > 3 && j < 20 && k > 3 && k < 20) ? 7 : 1;
            f.data()[v] = (float) (100 + 10 * r.nextGaussian());
            m.data()[v] = (float) (200 + 10 * r.nextGaussian());
        }
        for (int k = 6; k < 9; k++) for (int j = 6; j < 9; j++) for (int i = 6; i < 9; i++) { gt.set(i, j, k, 1); f.set(i, j, k, 300); }
        Path d = tmp.getRoot().toPath();
        Nifti.write(f, d.resolve("f.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(m, d.resolve("m.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(t, d.resolve("t.nii.gz"), NiftiDataType.UINT8);
        Nifti.write(gt, d.resolve("gt.nii.gz"), NiftiDataType.UINT8);
        Path out = d.resolve("out");
        int rc = IesCli.execute("experiment", "relocate", "--model", ContextExperimentTest.tinyBundle().toString(), "--input", "FLAIR=" + d.resolve("f.nii.gz"),
                "--input", "MPRAGE=" + d.resolve("m.nii.gz"), "--gt", d.resolve("gt.nii.gz").toString(), "--tissues", d.resolve("t.nii.gz").toString(),
                "--samples", "1", "--methods", "smoothgrad-max", "--threads", "1", "--quiet", "--out", out.toString());
        assertEquals(0, rc);
        List<String> csv = Files.readAllLines(out.resolve("relocate.csv"));
        assertEquals(5, csv.size());
        assertTrue(csv.get(0).contains("mean_score,max_score,detected,smoothgrad_max_flair_peak_pos"));
        assertTrue(csv.get(2).startsWith("white_matter,1,27,27,"));
        assertTrue(csv.get(4).startsWith("background_shell,1,27,"));
        // each case's scores are the model's probability over the pasted voxels of that case's own inputs
        io.github.ies.model.ModelBundle bundle = io.github.ies.model.ModelBundle.load(ContextExperimentTest.tinyBundle());
        List<String> head = List.of(csv.get(0).split(","));
        try (io.github.ies.model.Segmenter seg = new io.github.ies.model.Segmenter(bundle, new io.github.ies.model.Segmenter.Options())) {
            for (String line : csv.subList(1, csv.size())) {
                String[] row = line.split(",");
                Path cd = out.resolve(row[head.indexOf("case")]);
                Volume[] ch = {Nifti.read(cd.resolve("flair.nii.gz")), Nifti.read(cd.resolve("mprage.nii.gz"))};
                float[] prob = seg.segment(ch, null, null).probability().data();
                float[] pasted = Nifti.read(cd.resolve("pasted.nii.gz")).data();
                double sum = 0, mx = Double.NEGATIVE_INFINITY;
                int n = 0;
                for (int v = 0; v < prob.length; v++) if (pasted[v] != 0) { sum += prob[v]; mx = Math.max(mx, prob[v]); n++; }
                assertEquals(27, n);
                assertEquals(row[0] + " mean score", sum / n, Double.parseDouble(row[head.indexOf("mean_score")]), 1e-5);
                assertEquals(row[0] + " max score", mx, Double.parseDouble(row[head.indexOf("max_score")]), 1e-5);
                assertEquals(row[0] + " detected", mx > bundle.threshold() ? "1" : "0", row[head.indexOf("detected")].equals("true") ? "1"
                        : row[head.indexOf("detected")].equals("false") ? "0" : row[head.indexOf("detected")]);
            }
        }
        // the background cases land outside the head (tissue 0) and the pasted voxels carry the lesion's intensity
        Volume bg = Nifti.read(out.resolve("background").resolve("flair.nii.gz"));
        Volume pasted = Nifti.read(out.resolve("background").resolve("pasted.nii.gz"));
        int n = 0;
        for (int v = 0; v < pasted.size(); v++) if (pasted.data()[v] != 0) { n++; assertEquals(300f, bg.data()[v], 0); assertEquals(0f, t.data()[v], 0); }
        assertEquals(27, n);
        Volume shellCase = Nifti.read(out.resolve("background_shell").resolve("flair.nii.gz"));
        int changed = 0;
        for (int v = 0; v < f.size(); v++) if (shellCase.data()[v] != f.data()[v]) changed++;
        assertTrue("shell voxels pasted too: " + changed, changed > 27);
        assertTrue(Files.isRegularFile(out.resolve("white_matter/explain/saliency/lesion-001_smoothgrad-max_flair.nii.gz")));
        assertTrue(Files.size(out.resolve("relocate.png")) > 1000);
        try (var s = Files.list(out)) { assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".ies-"))); }
        String[] args = {"experiment", "relocate", "--model", ContextExperimentTest.tinyBundle().toString(), "--input", "FLAIR=" + d.resolve("f.nii.gz"),
                "--input", "MPRAGE=" + d.resolve("m.nii.gz"), "--gt", d.resolve("gt.nii.gz").toString(), "--tissues", d.resolve("t.nii.gz").toString(),
                "--samples", "1", "--methods", "smoothgrad-max", "--threads", "1", "--quiet", "--out", null};
        // a rerun replaces its own case folders: nothing of the first run's left in them
        Path stale = out.resolve("white_matter/explain/saliency/lesion-099_smoothgrad-max_flair.nii.gz");
        Files.writeString(stale, "an earlier run's map");
        args[args.length - 1] = out.toString();
        assertEquals(0, IesCli.execute(args));
        assertFalse(Files.exists(stale));
        assertTrue(Files.isRegularFile(out.resolve("white_matter/explain/saliency/lesion-001_smoothgrad-max_flair.nii.gz")));
        // a user's folder named like a case is never written into: refused before any work, left as it was
        Path user = d.resolve("user");
        Files.createDirectories(user.resolve("original"));
        Files.writeString(user.resolve("original/flair.nii.gz"), "the user's own scan");
        args[args.length - 1] = user.toString();
        assertEquals(1, IesCli.execute(args));
        assertEquals("the user's own scan", Files.readString(user.resolve("original/flair.nii.gz")));
        try (var s = Files.list(user)) { assertEquals(1, s.count()); }
    }

    @Test
    public void contextCliWritesTheTableAndFigure() throws Exception {
        int[] dims = {30, 30, 20};
        Geometry g = Geometry.axisAligned(new double[] {1, 1, 2}, new double[] {0, 0, 0});
        Volume f = Volume.zeros(dims, g), m = Volume.zeros(dims, g), lab = Volume.zeros(dims, g);
        Random r = new Random(4);
        for (int v = 0; v < f.size(); v++) { f.data()[v] = (float) (100 + 10 * r.nextGaussian()); m.data()[v] = 50; }
        for (int k = 8; k < 10; k++) for (int j = 10; j < 13; j++) for (int i = 10; i < 13; i++) lab.set(i, j, k, 3);
        Path d = tmp.getRoot().toPath();
        Nifti.write(f, d.resolve("f.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(m, d.resolve("m.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(lab, d.resolve("l.nii.gz"), NiftiDataType.UINT8);
        Path out = d.resolve("ctx");
        int rc = IesCli.execute("experiment", "context", "--model", ContextExperimentTest.tinyBundle().toString(), "--input", "FLAIR=" + d.resolve("f.nii.gz"),
                "--input", "MPRAGE=" + d.resolve("m.nii.gz"), "--labels", d.resolve("l.nii.gz").toString(), "--min-voxels", "10", "--max-voxels", "30",
                "--steps", "4", "--threads", "1", "--out", out.toString());
        assertEquals(0, rc);
        List<String> csv = Files.readAllLines(out.resolve("context.csv"));
        assertEquals("step,distance_mm,mean_score,std_score,n_detected,n_lesions,lesion_3", csv.get(0));
        assertEquals(6, csv.size());
        assertTrue(csv.get(5).startsWith("4,4.00000,"));
        assertTrue(Files.size(out.resolve("context.png")) > 1000);
        assertTrue(Files.readString(out.resolve("run.json")).contains("\"all_detected_step\""));
        // no lesion in range: a clear failure
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = IesCli.commandLine();
        cl.setErr(new java.io.PrintWriter(err));
        int rc2 = cl.execute("experiment", "context", "--model", ContextExperimentTest.tinyBundle().toString(), "--input", "FLAIR=" + d.resolve("f.nii.gz"),
                "--input", "MPRAGE=" + d.resolve("m.nii.gz"), "--labels", d.resolve("l.nii.gz").toString(), "--out", d.resolve("ctx2").toString());
        assertEquals(1, rc2);
        assertTrue(err.toString(), err.toString().startsWith("ies experiment context: error: no lesion with 90 to 120 voxels"));
        assertTrue(!Files.exists(d.resolve("ctx2").resolve("context.csv")));
    }

    /**
     * Targets given in input voxels land on the same place on the model grid: on an LAS copy of a RAS 2 mm grid (the i
     * axis reversed) voxel (i, j, k) is model voxel (n - 1 - i, j, k); on a 1 mm copy (2n - 1 voxels) voxel 2i is model
     * voxel i. A case folder that an interrupted run began (only its marker) may be replaced; a user's folder may not.
     */
    @Test
    public void targetsAreMappedOntoTheModelGridAndBegunCaseFoldersAreOurs() throws Exception {
        io.github.ies.model.ModelBundle bundle = io.github.ies.model.ModelBundle.load(ContextExperimentTest.tinyBundle());
        java.nio.file.Path b = tmp.newFolder("ras2").toPath();
        com.google.gson.JsonObject j = com.google.gson.JsonParser.parseString(Files.readString(bundle.source().resolve("ies-model.json"))).getAsJsonObject();
        j.addProperty("orientation", "RAS");
        com.google.gson.JsonArray sp = new com.google.gson.JsonArray();
        for (int d = 0; d < 3; d++) sp.add(2.0);
        j.add("spacing", sp);
        Files.writeString(b.resolve("ies-model.json"), j.toString());
        Files.copy(bundle.source().resolve("model.pt"), b.resolve("model.pt"));
        io.github.ies.model.ModelBundle ras2 = io.github.ies.model.ModelBundle.load(b);
        int[] dims = {16, 20, 12};
        Geometry ras = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {8, 9, 5});
        Volume las = io.github.ies.cli.ModelGeometryWiringTest.flipI(Volume.zeros(dims, ras));
        List<String> w = new java.util.ArrayList<>();
        ExperimentGrid g = ExperimentGrid.of(ras2, las, w);
        assertFalse(g.identity());
        assertTrue(w.toString(), w.get(0).contains("targets given in input voxels are mapped there"));
        assertArrayEquals(new int[] {16 - 1 - 3, 7, 5}, g.voxel(new int[] {3, 7, 5}));
        Volume fine = io.github.ies.cli.ModelGeometryWiringTest.upsample(Volume.zeros(dims, ras), false);
        ExperimentGrid gf = ExperimentGrid.of(ras2, fine, w);
        assertArrayEquals(new int[] {3, 7, 5}, gf.voxel(new int[] {6, 14, 10}));
        assertNull(gf.voxel(null));
        Path out = tmp.newFolder("begun").toPath();
        Files.createDirectories(out.resolve("original"));
        Files.writeString(out.resolve("original").resolve(RelocateExperiment.CASE_MARKER), "x");
        Files.writeString(out.resolve("original").resolve("flair.nii.gz"), "a half-written case");
        RelocateExperiment.checkOutput(out);
        Files.delete(out.resolve("original").resolve(RelocateExperiment.CASE_MARKER));
        try {
            RelocateExperiment.checkOutput(out);
            fail("a folder without the marker is not a case folder");
        } catch (IllegalArgumentException expected) {
            // refused
        }
    }
}
