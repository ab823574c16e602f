package io.github.ies.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

public class EvaluateCommandTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    Path pred, gt, brain, other;
    StringWriter out, err;

    @Before
    public void files() throws Exception {
        int[] d = {12, 10, 8};
        Geometry g = Geometry.axisAligned(new double[] {1, 1, 2}, new double[] {6, 5, 4});
        Volume p = Volume.zeros(d, g), t = Volume.zeros(d, g), b = Volume.zeros(d, g);
        // GT: lesion A (2x2x2 at 1..2), lesion B (single voxel at (9,8,6)); prediction: A shifted by one in i,
        // a 2-voxel FP at (5,5,5)-(6,5,5) which touches nothing; B missed
        for (int k = 1; k < 3; k++) for (int j = 1; j < 3; j++) for (int i = 1; i < 3; i++) {
            t.set(i, j, k, 1);
            p.set(i + 1, j, k, 1);
        }
        t.set(9, 8, 6, 1);
        p.set(5, 5, 5, 1);
        p.set(6, 5, 5, 1);
        java.util.Arrays.fill(b.data(), 1f);
        b.set(9, 8, 6, 0); // B outside the brain
        pred = tmp.getRoot().toPath().resolve("pred.nii.gz");
        gt = tmp.getRoot().toPath().resolve("gt.nii");
        brain = tmp.getRoot().toPath().resolve("brain.nii.gz");
        other = tmp.getRoot().toPath().resolve("other.nii.gz");
        Nifti.write(p, pred, NiftiDataType.UINT8);
        Nifti.write(t, gt, NiftiDataType.INT16);
        Nifti.write(b, brain, NiftiDataType.UINT8);
        Nifti.write(Volume.zeros(new int[] {12, 10, 9}, g), other, NiftiDataType.UINT8);
    }

    int run(String... args) {
        CommandLine cl = IesCli.commandLine();
        out = new StringWriter();
        err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
        // every component of the small fixture counted: --min-voxels 1 (the default is segment's size filter, 6)
    public void jsonOutput() {
        int code = run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--min-voxels", "1", "--json");
        assertEquals(err.toString(), 0, code);
        JsonObject j = JsonParser.parseString(out.toString()).getAsJsonObject();
        // voxels: TP 4, FP 4 + 2, FN 4 + 1
        assertEquals(4, j.get("voxels_tp").getAsInt());
        assertEquals(6, j.get("voxels_fp").getAsInt());
        assertEquals(5, j.get("voxels_fn").getAsInt());
        assertEquals(8.0 / 19.0, j.get("dice").getAsDouble(), 1e-12);
        double k = (1 - 0.001) * 9 / (0.001 * (960 - 9));
        assertEquals(8.0 / (k * 6 + 8 + 5), j.get("ndsc").getAsDouble(), 1e-12);
        assertEquals(2, j.get("n_pred_lesions").getAsInt());
        assertEquals(1, j.get("lesion_tp").getAsInt());
        assertEquals(1, j.get("lesion_fp").getAsInt());
        assertEquals(1, j.get("lesion_fn").getAsInt());
        assertEquals(0.5, j.get("lesion_precision").getAsDouble(), 0);
        assertEquals(0.5, j.get("lesion_recall").getAsDouble(), 0);
        assertEquals(0.5, j.get("lesion_f1").getAsDouble(), 1e-15);
        assertEquals((10 - 9) * 2.0, j.get("volume_difference_mm3").getAsDouble(), 1e-9);
        assertEquals(1.0 / 9.0, j.get("relative_volume_difference").getAsDouble(), 1e-9);
        assertEquals(18, j.get("connectivity").getAsInt());
    }

    @Test
    public void optionsChangeTheResult() {
        // --min-voxels 3 drops the 2-voxel FP
        assertEquals(0, run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--json", "--min-voxels", "3"));
        JsonObject j = JsonParser.parseString(out.toString()).getAsJsonObject();
        assertEquals(1, j.get("n_pred_lesions").getAsInt());
        assertEquals(4, j.get("voxels_fp").getAsInt());
        // the brain mask removes GT lesion B
        assertEquals(0, run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--min-voxels", "1", "--json", "--brain-mask", brain.toString()));
        j = JsonParser.parseString(out.toString()).getAsJsonObject();
        assertEquals(1, j.get("n_gt_lesions").getAsInt());
        assertEquals(959, j.get("voxels_evaluated").getAsInt());
        assertEquals(1.0, j.get("lesion_recall").getAsDouble(), 0);
        // 6-connectivity splits nothing here but is accepted and reported
        assertEquals(0, run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--min-voxels", "1", "--json", "--connectivity", "6"));
        assertEquals(6, JsonParser.parseString(out.toString()).getAsJsonObject().get("connectivity").getAsInt());
    }

    @Test
    public void textOutput() {
        assertEquals(0, run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--min-voxels", "1"));
        String s = out.toString();
        assertTrue(s, s.contains("Dice                  0.4211"));
        assertTrue(s, s.contains("Lesion F1             0.5000"));
        assertTrue(s, s.contains("(TP 1, FP 1)"));
    }

    @Test
    public void exitCodes() {
        assertEquals(2, run("evaluate", "--pred", pred.toString()));
        assertTrue(err.toString().contains("--gt"));
        assertEquals(2, run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--connectivity", "8"));
        assertTrue(err.toString(), err.toString().contains("connectivity must be 6, 18 or 26"));
        assertEquals(2, run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--min-voxels", "-1"));
        assertEquals(2, run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--min-voxels", "abc"));
        assertEquals(1, run("evaluate", "--pred", pred.toString(), "--gt", other.toString()));
        assertTrue(err.toString(), err.toString().contains("dimensions [12, 10, 9]"));
        assertTrue(err.toString(), err.toString().contains("other.nii.gz"));
        assertEquals(1, run("evaluate", "--pred", pred.toString(), "--gt", tmp.getRoot().toPath().resolve("missing.nii").toString()));
        assertTrue(err.toString(), err.toString().contains("--gt: no such file"));
        assertEquals("", out.toString());
    }

    @Test
    public void writesOutputsWithOut() throws Exception {
        Path dir = tmp.getRoot().toPath().resolve("eval-out");
        assertEquals(0, run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--min-voxels", "1", "--out", dir.toString(),
                "--tn-spheres", "3", "--seed", "4", "--json"));
        JsonObject j = JsonParser.parseString(out.toString()).getAsJsonObject();
        assertEquals(3, j.get("tn_spheres_requested").getAsInt());
        assertEquals(3, j.get("tn_spheres_placed").getAsInt());
        io.github.ies.instances.LesionTable t = io.github.ies.instances.LesionTable.read(dir.resolve("lesions.csv"));
        assertEquals(2 + 1 + 3, t.rowCount());
        assertEquals("FN", t.get(2, "category"));
        assertEquals("TN", t.get(5, "category"));
        assertEquals(6, t.getInt(5, "id"));
        assertEquals("", t.get(0, "mean_probability"));
        Volume fn = Nifti.read(dir.resolve("fn_labels.nii.gz"));
        assertEquals(3f, fn.get(9, 8, 6), 0f);
        assertTrue(java.nio.file.Files.exists(dir.resolve("metrics.json")));
        assertTrue(java.nio.file.Files.exists(dir.resolve("tn_spheres.nii.gz")));
        assertTrue(java.nio.file.Files.exists(dir.resolve("labels.nii.gz")));
        JsonObject rec = JsonParser.parseString(java.nio.file.Files.readString(dir.resolve("run.json"))).getAsJsonObject();
        assertEquals("evaluate", rec.get("command").getAsString());
        assertEquals(pred.toString(), rec.getAsJsonObject("parameters").get("pred").getAsString());
        assertEquals(j.get("dice").getAsDouble(), rec.getAsJsonObject("metrics").get("dice").getAsDouble(), 0);
        assertEquals(2, run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--tn-spheres", "-2"));
    }
}
