package io.github.ies.cli;

import io.github.ies.fiji.HeadlessRunner;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.Assert.*;

public class RunCommandTest extends CliTestBase {


    @Test
    public void parsesFijiHeadlessArguments() {
        Map<String, String> m = HeadlessRunner.parseArgs("flair=\"/a b/f.nii.gz\", samples=2,methods='smoothgrad-max,gradcampp',"
                + "model=/x/y,lesions=\"3,7\",title=\"say \\\"hi\\\"\",empty=\"\"");
        assertEquals("/a b/f.nii.gz", m.get("flair"));
        assertEquals("2", m.get("samples"));
        assertEquals("smoothgrad-max,gradcampp", m.get("methods"));
        assertEquals("/x/y", m.get("model"));
        assertEquals("3,7", m.get("lesions"));
        assertEquals("say \"hi\"", m.get("title"));
        assertEquals("", m.get("empty"));
        assertEquals(7, m.size());
        assertThrows(HeadlessRunner.UsageException.class, () -> HeadlessRunner.parseArgs("flair=\"open"));
        assertThrows(HeadlessRunner.UsageException.class, () -> HeadlessRunner.parseArgs("justaword"));
        assertThrows(HeadlessRunner.UsageException.class, () -> HeadlessRunner.parseArgs("a=1,a=2"));
    }

    @Test
    public void runsExplainLesionsFromFilesLikeHeadlessFiji() throws Exception {
        Path dir = tmp.getRoot().toPath();
        Path f = dir.resolve("flair.nii.gz"), m = dir.resolve("mprage.nii.gz"), lab = dir.resolve("labels.nii.gz");
        Nifti.write(io.github.ies.fiji.FijiCommandsTest.volume(1), f, NiftiDataType.FLOAT32);
        Nifti.write(io.github.ies.fiji.FijiCommandsTest.volume(2), m, NiftiDataType.FLOAT32);
        Volume l = Volume.zeros(io.github.ies.fiji.FijiCommandsTest.DIMS, io.github.ies.fiji.FijiCommandsTest.GEOM);
        for (int i = 8; i <= 10; i++) for (int j = 12; j <= 13; j++) l.set(i, j, 8, 5f);
        Nifti.write(l, lab, NiftiDataType.INT32);
        Path outDir = dir.resolve("out"), save = dir.resolve("saved");
        int rc = run("run", "Explain Lesions", "flair=\"" + f + "\",mprage=" + m + ",model=\"" + tinyBundle() + "\",labels=" + lab
                + ",methods=\"smoothgrad-max\",samples=2,seed=4,lesions=5,device=cpu,output_folder=\"" + outDir + "\"", "--save", save.toString());
        assertEquals(err + out, 0, rc);
        assertTrue(out, out.contains("gallery: image 'flair_lesion_gallery'"));
        assertTrue(out, out.contains("5 channel(s)"));            // FLAIR, MPRAGE, 2 x SmoothGrad, mask
        assertTrue(out, out.contains("lesion_table: table, 1 row(s)"));
        LesionTable csv = LesionTable.read(outDir.resolve("lesions.csv"));
        assertEquals(5, csv.getInt(0, "id"));
        double peak = csv.getDouble(0, "smoothgrad_max_flair_peak_pos");
        // the printed / saved table carries the same peak
        LesionTable saved = LesionTable.read(save.resolve("lesion_table.csv"));
        assertEquals(peak, saved.getDouble(0, "smoothgrad_max_flair_peak_pos"), Math.abs(peak) * 1e-12);
        assertTrue(Files.isRegularFile(save.resolve("flair_lesion_gallery.tif")));
        ij.ImagePlus g = ij.IJ.openImage(save.resolve("flair_lesion_gallery.tif").toString());
        assertEquals(5, g.getNChannels());
        assertTrue(g.isComposite());
        // the same seed through 'ies explain' gives the same peak (one engine)
        Path cliOut = dir.resolve("cli");
        assertEquals(0, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels",
                lab.toString(), "--out", cliOut.toString(), "--methods", "smoothgrad-max", "--samples", "2", "--seed", "4", "--device", "cpu", "--quiet"));
        assertEquals(peak, LesionTable.read(cliOut.resolve("lesions.csv")).getDouble(0, "smoothgrad_max_flair_peak_pos"), 0);
    }

    @Test
    public void usageAndRunErrors() throws Exception {
        assertEquals(2, run("run", "Explain Everything", "a=1"));
        assertTrue(err, err.contains("no command 'Explain Everything'") && err.contains("Explain Lesions"));
        assertEquals(2, run("run", "Explain Lesions", "flair=x.nii,colour=red"));
        assertTrue(err, err.contains("no parameter 'colour'") && err.contains("noise_level"));
        assertEquals(1, run("run", "Explain Lesions", "flair=" + tmp.getRoot() + "/missing.nii.gz,mprage=" + tmp.getRoot() + "/missing.nii.gz"));
        assertTrue(err, err.contains("flair: cannot read") && err.contains("no such file") && err.contains("missing.nii.gz"));
        Path f = tmp.getRoot().toPath().resolve("f.nii");
        Nifti.write(io.github.ies.fiji.FijiCommandsTest.volume(1), f, NiftiDataType.FLOAT32);
        assertEquals(1, run("run", "Explain Lesions", "flair=" + f + ",mprage=" + f + ",model=" + tinyBundle() + ",methods=lime"));
        assertTrue(err, err.contains("unknown method 'lime'"));
        assertEquals(0, run("run", "--list", "x"));
        assertTrue(out, out.contains("Segment Lesions: flair mprage model"));
        assertEquals(0, run("run", "--list"));
        assertTrue(out, out.contains("Explain Lesions: flair mprage model"));
        assertEquals(2, run("run"));
        assertTrue(err, err.contains("give a command name") && err.contains("ies run --list"));
        // a command-line option name gets the macro key it maps to
        assertEquals(2, run("run", "Explain Lesions", "flair=x.nii,gt=y.nii"));
        assertTrue(err, err.contains("no parameter 'gt'; the command line's --gt is 'ground_truth' here"));
        assertEquals(2, run("run", "Explain Lesions", "flair=x.nii out=/tmp/x"));
        assertTrue(err, err.contains("the command line's --out is 'output_folder' here"));
    }

    /** The macro recorder's form: space-separated pairs, bracketed values, commas inside bare values, a key alone. */
    @Test
    public void parsesTheMacroRecordersArguments() {
        Map<String, String> m = HeadlessRunner.parseArgs("flair=[sub-01 FLAIR] mprage=mprage model=/data/models/demo-unet/ies-model.json "
                + "threshold=-1 methods=smoothgrad-max,gradcampp lesions=3,7 title=\"a b\" uncertainty output_folder=/data/out");
        assertEquals("sub-01 FLAIR", m.get("flair"));
        assertEquals("mprage", m.get("mprage"));
        assertEquals("/data/models/demo-unet/ies-model.json", m.get("model"));
        assertEquals("-1", m.get("threshold"));
        assertEquals("smoothgrad-max,gradcampp", m.get("methods"));
        assertEquals("3,7", m.get("lesions"));
        assertEquals("a b", m.get("title"));
        assertEquals("true", m.get("uncertainty"));
        assertEquals("/data/out", m.get("output_folder"));
        assertEquals(9, m.size());
        // one pair alone is the same in both syntaxes; a bracketed value means the recorder's
        assertEquals(Map.of("lesions", "3,7"), HeadlessRunner.parseArgs("lesions=[3,7]"));
        assertEquals(Map.of("samples", "2", "seed", "4"), HeadlessRunner.parseArgs("samples=2, seed=4"));
        assertThrows(HeadlessRunner.UsageException.class, () -> HeadlessRunner.parseArgs("a=[open b=2"));
        assertThrows(HeadlessRunner.UsageException.class, () -> HeadlessRunner.parseArgs("a=1 a=2"));
    }

    /** 'ies run' takes a line in the recorder's form (files for the images, the model as the ies-model.json the dialog picks). */
    @Test
    public void runsARecordedMacroLine() throws Exception {
        Path dir = tmp.getRoot().toPath();
        Path f = dir.resolve("flair.nii.gz"), m = dir.resolve("mprage.nii.gz"), lab = dir.resolve("labels.nii.gz");
        Nifti.write(io.github.ies.fiji.FijiCommandsTest.volume(1), f, NiftiDataType.FLOAT32);
        Nifti.write(io.github.ies.fiji.FijiCommandsTest.volume(2), m, NiftiDataType.FLOAT32);
        Volume l = Volume.zeros(io.github.ies.fiji.FijiCommandsTest.DIMS, io.github.ies.fiji.FijiCommandsTest.GEOM);
        for (int i = 8; i <= 10; i++) for (int j = 12; j <= 13; j++) l.set(i, j, 8, 5f);
        Nifti.write(l, lab, NiftiDataType.INT32);
        Path outDir = dir.resolve("out folder");
        String json = Path.of(tinyBundle()).resolve("ies-model.json").toString();
        int rc = run("run", "Explain Lesions", "flair=" + f + " mprage=" + m + " model=" + json + " device=cpu threshold=-1 min_size=-1 "
                + "connectivity=model labels=" + lab + " ground_truth=none tn_spheres=10 methods=smoothgrad-max,gradcampp samples=2 "
                + "noise_level=0.05 seed=4 saliency_context=patch lesions=5 crop_size=0 output_folder=[" + outDir + "]");
        assertEquals(err + out, 0, rc);
        assertTrue(Files.isRegularFile(outDir.resolve("saliency/lesion-005_smoothgrad-max_flair.nii.gz")));
        // and the command line takes the same ies-model.json
        assertEquals(err, 0, run("segment", "--model", json, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out",
                dir.resolve("seg").toString(), "--device", "cpu", "--quiet"));
    }
}
