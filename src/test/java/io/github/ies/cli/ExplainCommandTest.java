package io.github.ies.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.Assert.*;

public class ExplainCommandTest extends CliTestBase {

    static final int[] DIMS = {16, 20, 12};

    static final Geometry GEOM = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {-10, 4, 7});

    private Path volume(String name, long seed) throws Exception {
        Volume v = blob(DIMS, GEOM, seed);
        Path p = tmp.getRoot().toPath().resolve(name);
        Nifti.write(v, p, NiftiDataType.FLOAT32);
        return p;
    }

    private Path labels() throws Exception {
        Volume v = Volume.zeros(DIMS, GEOM);
        for (int i = 6; i <= 8; i++) for (int j = 9; j <= 10; j++) v.set(i, j, 6, 7f);   // id 7, 6 voxels
        v.set(3, 4, 3, 2f);                                                               // id 2, 1 voxel
        v.set(3, 5, 3, 2f);
        Path p = tmp.getRoot().toPath().resolve("labels.nii.gz");
        Nifti.write(v, p, NiftiDataType.INT32);
        return p;
    }

    @Test
    public void explainsGivenLabelsAndWritesMapsTableAndRunRecord() throws Exception {
        Path f = volume("flair.nii.gz", 1), m = volume("mprage.nii.gz", 2), lab = labels();
        Path dir = tmp.getRoot().toPath().resolve("out");
        int rc = run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "mprage=" + m, "--labels", lab.toString(),
                "--out", dir.toString(), "--samples", "3", "--seed", "5", "--uncertainty", "--quiet");
        assertEquals(err, 0, rc);
        Path sal = dir.resolve("saliency");
        for (int id : new int[] {2, 7}) {
            for (String meth : new String[] {"smoothgrad-max", "smoothgrad-mean"}) {
                for (String ch : new String[] {"flair", "mprage"}) {
                    assertTrue(Files.isRegularFile(sal.resolve(io.github.ies.io.ExplainLayout.mapName(id, meth, ch, false))));
                    assertTrue(Files.isRegularFile(sal.resolve(io.github.ies.io.ExplainLayout.mapName(id, meth, ch, true))));
                }
            }
            assertTrue(Files.isRegularFile(sal.resolve(io.github.ies.io.ExplainLayout.mapName(id, "gradcampp", "layer", false))));
        }
        assertTrue(Files.isRegularFile(sal.resolve("class_gradcampp_layer.nii.gz")));
        // map: input grid and affine, float32, peaks in the table equal the map's extremes
        Volume map = Nifti.read(sal.resolve("lesion-007_smoothgrad-max_flair.nii.gz"));
        assertArrayEquals(DIMS, map.dims());
        assertTrue(map.sameGrid(Nifti.read(f)));
        float mx = Float.NEGATIVE_INFINITY, mn = Float.POSITIVE_INFINITY;
        for (float v : map.data()) { mx = Math.max(mx, v); mn = Math.min(mn, v); }
        assertTrue(mx > 0 && mn < 0);
        LesionTable t = LesionTable.read(dir.resolve("lesions.csv"));
        assertEquals(2, t.rowCount());
        int row = t.rowOfId(7);
        assertEquals(6, t.getInt(row, "voxels"));
        assertEquals(mx, t.getDouble(row, "smoothgrad_max_flair_peak_pos"), 1e-6 * Math.abs(mx));
        assertEquals(mn, t.getDouble(row, "smoothgrad_max_flair_peak_neg"), 1e-6 * Math.abs(mn));
        // the standard errors in the table are the standard-error map's values at the map's maximum and minimum
        Volume se = Nifti.read(sal.resolve("lesion-007_smoothgrad-max_flair_se.nii.gz"));
        int argmax = 0, argmin = 0;
        for (int i = 1; i < map.data().length; i++) {
            if (map.data()[i] > map.data()[argmax]) argmax = i;
            if (map.data()[i] < map.data()[argmin]) argmin = i;
        }
        assertTrue(se.data()[argmax] > 0 && se.data()[argmin] > 0);
        assertEquals(se.data()[argmax], t.getDouble(row, "smoothgrad_max_flair_peak_pos_se"), 1e-6 * se.data()[argmax]);
        assertEquals(se.data()[argmin], t.getDouble(row, "smoothgrad_max_flair_peak_neg_se"), 1e-6 * se.data()[argmin]);
        assertTrue(t.hasColumn("gradcampp_layer_peak_pos"));
        assertTrue(t.hasColumn("smoothgrad_mean_mprage_peak_neg"));
        JsonObject j = JsonParser.parseString(Files.readString(dir.resolve("run.json"), StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("explain", j.get("command").getAsString());
        assertEquals(5, j.getAsJsonObject("parameters").get("seed").getAsLong());
        assertEquals(3, j.getAsJsonObject("parameters").get("samples").getAsInt());
        assertEquals("patch", j.getAsJsonObject("parameters").get("context").getAsString());
        assertEquals(2, j.getAsJsonArray("lesions").size());
        assertTrue(j.getAsJsonArray("lesions").get(0).getAsJsonObject().get("seconds").getAsDouble() > 0);
        // no temporary folder left behind
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")));
        }
        // the same seed gives the same maps
        Path dir2 = tmp.getRoot().toPath().resolve("out2");
        assertEquals(err, 0, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels", lab.toString(),
                "--out", dir2.toString(), "--samples", "3", "--seed", "5", "--lesions", "7", "--methods", "smoothgrad-max", "--quiet"));
        assertArrayEquals(map.data(), Nifti.read(dir2.resolve("saliency/lesion-007_smoothgrad-max_flair.nii.gz")).data(), 0f);
        assertFalse(Files.exists(dir2.resolve("saliency/lesion-002_smoothgrad-max_flair.nii.gz")));
        assertFalse(Files.exists(dir2.resolve("saliency/class_gradcampp_layer.nii.gz")));
        // one worker on the whole context box: the same maps to float rounding, recorded in run.json
        Path dir3 = tmp.getRoot().toPath().resolve("out3");
        assertEquals(err, 0, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels", lab.toString(),
                "--out", dir3.toString(), "--samples", "3", "--seed", "5", "--lesions", "7", "--methods", "smoothgrad-max", "--quiet",
                "--workers", "1", "--no-receptive-field-crop"));
        float[] one = Nifti.read(dir3.resolve("saliency/lesion-007_smoothgrad-max_flair.nii.gz")).data();
        double scale = Math.max(Math.abs(mx), Math.abs(mn));
        for (int i = 0; i < one.length; i++) assertEquals(map.data()[i], one[i], 1e-5 * scale);
        JsonObject p3 = JsonParser.parseString(Files.readString(dir3.resolve("run.json"), StandardCharsets.UTF_8)).getAsJsonObject()
                .getAsJsonObject("parameters");
        assertEquals(1, p3.get("workers").getAsInt());
        assertFalse(p3.get("receptive_field_crop").getAsBoolean());
        assertEquals(2, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels", lab.toString(),
                "--out", dir3.toString() + "x", "--workers", "-1", "--quiet"));
        assertTrue(err, err.contains("--workers must be >= 0"));
    }

    @Test
    public void segmentsFirstWithoutLabels() throws Exception {
        Path f = volume("flair.nii.gz", 1), m = volume("mprage.nii.gz", 2);
        Path dir = tmp.getRoot().toPath().resolve("seg");
        int rc = run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", dir.toString(),
                "--samples", "1", "--methods", "smoothgrad-mean,class-gradcampp", "--quiet");
        assertEquals(err, 0, rc);
        for (String n : new String[] {"probability.nii.gz", "mask.nii.gz", "labels.nii.gz", "lesions.csv", "run.json",
                "saliency/class_gradcampp_layer.nii.gz"}) {
            assertTrue(n, Files.isRegularFile(dir.resolve(n)));
        }
        LesionTable t = LesionTable.read(dir.resolve("lesions.csv"));
        assertTrue(t.hasColumn("smoothgrad_mean_flair_peak_pos"));
        assertTrue("the tiny model finds instances in this subject", t.rowCount() > 0);
        for (int r = 0; r < t.rowCount(); r++) {
            assertTrue(Files.isRegularFile(dir.resolve("saliency/" + io.github.ies.io.ExplainLayout.mapName(t.getInt(r, "id"), "smoothgrad-mean", "flair", false))));
        }
    }

    @Test
    public void unknownLesionFailsAndLeavesNothing() throws Exception {
        Path f = volume("flair.nii.gz", 1), m = volume("mprage.nii.gz", 2), lab = labels();
        Path dir = tmp.getRoot().toPath().resolve("bad");
        int rc = run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels", lab.toString(),
                "--out", dir.toString(), "--lesions", "7,99", "--quiet");
        assertEquals(1, rc);
        assertTrue(err, err.contains("no instance with id 99") && err.contains("2,7"));
        assertFalse("a failed run removes the output folder it created", Files.exists(dir));
        // an existing output folder is kept, and left as it was
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("mine.txt"), "x");
        assertEquals(1, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels", lab.toString(),
                "--out", dir.toString(), "--lesions", "99", "--quiet"));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("mine.txt")), s.toList());
        }
    }

    @Test
    public void usageErrors() throws Exception {
        Path f = volume("flair.nii.gz", 1), m = volume("mprage.nii.gz", 2);
        String d = tmp.getRoot().toPath().resolve("u").toString();
        assertEquals(2, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", d, "--methods", "lime"));
        assertTrue(err.contains("unknown method 'lime'"));
        assertEquals(2, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", d, "--context", "wide"));
        assertTrue(err.contains("--context"));
        assertEquals(2, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", d, "--samples", "0"));
        assertEquals(1, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--out", d, "--quiet"));
        assertTrue(err, err.contains("missing input channel(s) [MPRAGE]"));
    }

    @Test
    public void demoWithoutDemoFilesFailsClearly() throws Exception {
        Path home = tmp.newFolder("nohome").toPath();
        assertEquals(1, run("demo", "--home", home.toString(), "--out", home.resolve("o").toString(), "--quiet"));
        assertTrue(err, err.contains("demo file not found") && err.contains("flair.nii.gz"));
        assertFalse(Files.exists(home.resolve("o")));
    }
}
