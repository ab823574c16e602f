package io.github.ies.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

import static org.junit.Assert.*;

public class SegmentCommandTest extends CliTestBase {

    private Path volume(String name, int[] dims, double[] origin, long seed) throws Exception {
        Volume v = blob(dims, Geometry.axisAligned(new double[] {2, 2, 2}, origin), seed, 0.15);
        Path p = tmp.getRoot().toPath().resolve(name);
        Nifti.write(v, p, NiftiDataType.FLOAT32);
        return p;
    }

    @Test
    public void segmentsAndWritesOutputs() throws Exception {
        int[] dims = {20, 18, 17};
        Path f = volume("flair.nii.gz", dims, new double[] {10, 9, 8}, 1);
        Path m = volume("mprage.nii.gz", dims, new double[] {10, 9, 8}, 2);
        Path dir = tmp.getRoot().toPath().resolve("out");
        int rc = run("segment", "--model", tinyBundle(), "--input", "flair=" + f, "--input", "MPRage=" + m, "--out", dir.toString(),
                "--device", "cpu", "--threads", "2", "--batch-size", "3", "--threshold", "0.45");
        assertEquals(err, 0, rc);
        assertTrue(out, out.contains("wrote"));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals("only the outputs, no temporaries",
                    java.util.Set.of("probability.nii.gz", "mask.nii.gz", "labels.nii.gz", "lesions.csv", "run.json"),
                    s.map(q -> q.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
        Volume prob = Nifti.read(dir.resolve("probability.nii.gz"));
        Volume mask = Nifti.read(dir.resolve("mask.nii.gz"));
        Volume in = Nifti.read(f);
        assertTrue(prob.sameGrid(in));
        assertTrue(mask.sameGrid(in));
        long ones = 0;
        for (int i = 0; i < prob.size(); i++) {
            float p = prob.data()[i];
            assertTrue(p >= 0 && p <= 1);
            assertEquals(p > 0.45 ? 1f : 0f, mask.data()[i], 0f);
            if (mask.data()[i] > 0) ones++;
        }
        JsonObject run = JsonParser.parseString(Files.readString(dir.resolve("run.json"))).getAsJsonObject();
        assertEquals(0.45, run.getAsJsonObject("parameters").get("threshold").getAsDouble(), 0);
        assertEquals("cpu", run.getAsJsonObject("environment").get("device").getAsString());
        assertEquals("tiny-test", run.getAsJsonObject("model").get("name").getAsString());
        assertEquals(64, run.getAsJsonObject("model").get("model_sha256").getAsString().length());
        assertTrue(run.getAsJsonObject("environment").get("pytorch_version").getAsString().startsWith("2."));
        assertFalse(run.getAsJsonObject("environment").get("djl_version").getAsString().isEmpty());
        assertEquals(ones, run.getAsJsonObject("result").get("mask_voxels").getAsLong());
        assertEquals(f.toString(), run.getAsJsonObject("parameters").getAsJsonObject("inputs").get("FLAIR").getAsString());
        assertTrue(run.getAsJsonObject("timings_s").get("inference").getAsDouble() > 0);
    }

    /**
     * End to end against an independent pipeline: the sw-a fixture (scripts/fixtures/make_model_fixtures.py: the eager
     * PyTorch tiny U-Net, zscore-nonzero and MONAI's sliding-window rule re-implemented in Python, softmax) with the
     * bundle's own settings. ies segment on the same raw channels as NIfTI files, given in the other order (MPRAGE
     * first), equals its lesion probability within 1e-5 at every voxel, and the mask is that probability above the
     * bundle's threshold. This covers what the unit tests do not: the bundle's overlap, blending, normalisation,
     * channel order, activation and lesion channel as the command applies them, and the NIfTI (i fastest) to tensor
     * (C order) layout.
     */
    @Test
    public void probabilityEqualsAnIndependentPythonPipeline() throws Exception {
        Path res = Paths.get(tinyBundle()).getParent();
        com.google.gson.JsonObject index = JsonParser.parseString(Files.readString(res.resolve("fixtures.json"))).getAsJsonObject();
        com.google.gson.JsonArray sh = index.getAsJsonObject("shapes").getAsJsonArray("sw-a/raw.f32");
        int[] dims = {sh.get(1).getAsInt(), sh.get(2).getAsInt(), sh.get(3).getAsInt()};
        float[] raw = io.github.ies.TestData.float32(res.resolve("sw-a/raw.f32")), prob = io.github.ies.TestData.float32(res.resolve("sw-a/probability.f32"));
        io.github.ies.io.Geometry g = io.github.ies.io.Geometry.axisAligned(new double[] {1.2, 1, 1.5}, new double[] {10, 9, 12});
        Path[] ch = new Path[2];
        for (int c = 0; c < 2; c++) {
            Volume v = Volume.zeros(dims, g);
            for (int i = 0; i < dims[0]; i++) for (int j = 0; j < dims[1]; j++) for (int k = 0; k < dims[2]; k++) {
                v.set(i, j, k, raw[((c * dims[0] + i) * dims[1] + j) * dims[2] + k]);
            }
            ch[c] = tmp.getRoot().toPath().resolve("sw-a-" + c + ".nii.gz");
            Nifti.write(v, ch[c], io.github.ies.io.NiftiDataType.FLOAT32);
        }
        Path dir = tmp.getRoot().toPath().resolve("sw-a-out");
        assertEquals(err, 0, run("segment", "--model", tinyBundle(), "--input", "MPRAGE=" + ch[1], "--input", "FLAIR=" + ch[0],
                "--out", dir.toString(), "--batch-size", "2", "--quiet"));
        Volume p = Nifti.read(dir.resolve("probability.nii.gz")), mask = Nifti.read(dir.resolve("mask.nii.gz"));
        double worst = 0;
        int above = 0;
        for (int i = 0; i < dims[0]; i++) for (int j = 0; j < dims[1]; j++) for (int k = 0; k < dims[2]; k++) {
            float want = prob[((dims[0] + i) * dims[1] + j) * dims[2] + k];      // channel 1, the lesion channel
            worst = Math.max(worst, Math.abs(want - p.get(i, j, k)));
            assertEquals(p.get(i, j, k) > 0.5f ? 1f : 0f, mask.get(i, j, k), 0f);
            if (want > 0.5f) above++;
        }
        assertTrue("probability differs from the Python pipeline by " + worst, worst < 1e-5);
        assertTrue("some voxels above the threshold", above > 0);
    }

    /** A folder holding a user's own labels.nii.gz (not written by IES) is refused before any work and left as it was. */
    @Test
    public void neverOverwritesAUsersFileOfTheSameName() throws Exception {
        int[] dims = {20, 18, 17};
        Path f = volume("flair.nii.gz", dims, new double[] {10, 9, 8}, 1);
        Path m = volume("mprage.nii.gz", dims, new double[] {10, 9, 8}, 2);
        Path dir = tmp.newFolder("project").toPath();
        Files.writeString(dir.resolve("labels.nii.gz"), "my manual labels");
        int rc = run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", dir.toString());
        assertEquals(1, rc);
        assertTrue(err, err.contains("labels.nii.gz") && err.contains("which no IES run wrote"));
        assertEquals("my manual labels", Files.readString(dir.resolve("labels.nii.gz")));
        try (Stream<Path> s = Files.list(dir)) { assertEquals(1, s.count()); }
        // a second run into an IES output folder replaces its outputs
        Path again = tmp.getRoot().toPath().resolve("again");
        assertEquals(err, 0, run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", again.toString()));
        assertEquals(err, 0, run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", again.toString()));
    }

    @Test
    public void mismatchedInputs() throws Exception {
        Path f = volume("f.nii.gz", new int[] {20, 18, 17}, new double[] {10, 9, 8}, 1);
        Path small = volume("m-small.nii.gz", new int[] {20, 18, 16}, new double[] {10, 9, 8}, 2);
        Path shifted = volume("m-shift.nii.gz", new int[] {20, 18, 17}, new double[] {11, 9, 8}, 2);
        Path m = volume("m.nii.gz", new int[] {20, 18, 17}, new double[] {10, 9, 8}, 2);
        Path dir = tmp.getRoot().toPath().resolve("out");
        String b = tinyBundle();

        assertEquals(1, run("segment", "--model", b, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + small, "--out", dir.toString()));
        assertTrue(err, err.contains("inputs differ in dims") && err.contains("m-small.nii.gz") && err.contains("[20, 18, 16]"));
        assertEquals(1, run("segment", "--model", b, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + shifted, "--out", dir.toString()));
        assertTrue(err, err.contains("inputs differ in affine") && err.contains("m-shift.nii.gz"));
        assertEquals(1, run("segment", "--model", b, "--input", "FLAIR=" + f, "--input", "T2=" + m, "--out", dir.toString()));
        assertTrue(err, err.contains("input channel 'T2' is not one of the model's inputs [FLAIR, MPRAGE]"));
        assertEquals(1, run("segment", "--model", b, "--input", "FLAIR=" + f, "--out", dir.toString()));
        assertTrue(err, err.contains("missing input channel(s) [MPRAGE]"));
        assertEquals(1, run("segment", "--model", b, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", dir.toString(),
                "--brain-mask", small.toString()));
        assertTrue(err, err.contains("brain mask '" + small + "' is not on the grid of FLAIR"));
        assertFalse("nothing written after failures", Files.exists(dir) && Files.list(dir).findAny().isPresent());
    }

    @Test
    public void usageErrorsAndBadBundles() throws Exception {
        Path f = volume("f.nii.gz", new int[] {20, 18, 17}, new double[] {10, 9, 8}, 1);
        Path dir = tmp.getRoot().toPath().resolve("out");
        assertEquals(2, run("segment", "--input", "FLAIR=" + f, "--out", dir.toString()));
        assertTrue(err, err.contains("--model"));
        assertEquals(2, run("segment", "--model", tinyBundle(), "--input", f.toString(), "--out", dir.toString()));
        assertTrue(err, err.contains("--input must be NAME=FILE"));
        assertEquals(2, run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--out", dir.toString(), "--device", "tpu"));
        assertTrue(err, err.contains("device must be auto, cpu, gpu or gpu:N"));
        assertEquals(2, run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--out", dir.toString(), "--threshold", "1.5"));
        if (io.github.ies.model.TorchRuntime.engine().getGpuCount() == 0) {
            assertEquals(1, run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + f,
                    "--out", dir.toString(), "--device", "gpu"));
            assertTrue(err, err.contains("device gpu requested but the PyTorch engine reports no GPU"));
        }

        Path bad = tmp.newFolder("badbundle").toPath();
        Files.copy(Paths.get(tinyBundle()).resolve("ies-model.json"), bad.resolve("ies-model.json"));
        assertEquals(1, run("segment", "--model", bad.toString(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + f, "--out", dir.toString()));
        assertTrue(err, err.contains("has no model.pt"));
        assertEquals(1, run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=/no/such.nii.gz", "--out", dir.toString()));
        assertTrue(err, err.contains("/no/such.nii.gz"));
        assertFalse(Files.exists(dir));
    }
}
