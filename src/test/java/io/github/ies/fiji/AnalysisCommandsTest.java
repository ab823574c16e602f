package io.github.ies.fiji;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import io.github.ies.analysis.CohortAnalysisTest;
import io.github.ies.cli.IesCli;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.Assert.*;

/**
 * Lesion Statistics, Perilesional Context Experiment and Relocate Lesion in a headless SciJava context: each
 * command's results tables equal, cell by cell, the CSV files the CLI writes for the same inputs.
 */
public class AnalysisCommandsTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    static Context context;
    static CommandService commands;

    @BeforeClass
    public static void setUp() {
        context = new Context(CommandService.class, org.scijava.app.StatusService.class);
        commands = context.service(CommandService.class);
    }

    @AfterClass
    public static void tearDown() {
        FijiRun.closeAll();
        context.dispose();
    }

    /** Every cell of the table equals the CSV's (numbers within tol, text exactly), same columns and rows. */
    static void assertTableEqualsCsv(ResultsTable t, Path csv, double tol) throws Exception {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = AnalysisSupport.split(lines.get(0));
        assertEquals(csv + ": rows", lines.size() - 1, t.size());
        assertArrayEquals(csv + ": columns", header.toArray(), t.getHeadings());
        for (int r = 1; r < lines.size(); r++) {
            List<String> cells = AnalysisSupport.split(lines.get(r));
            for (int c = 0; c < header.size(); c++) {
                String s = cells.get(c), col = header.get(c);
                String where = csv.getFileName() + " row " + r + " " + col;
                if (s.isEmpty()) { assertTrue(where, Double.isNaN(t.getValue(col, r - 1))); continue; }
                double d;
                try {
                    d = Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    assertEquals(where, s, t.getStringValue(col, r - 1));
                    continue;
                }
                assertEquals(where, d, t.getValue(col, r - 1), tol * Math.max(1, Math.abs(d)));
            }
        }
    }

    @Test
    public void commandsAreIndexedWithMacroKeys() {
        Map<Class<?>, String[]> keys = Map.of(
                LesionStatisticsCommand.class, new String[] {"explain_folders", "threshold", "bin_mm", "max_mm", "output_folder"},
                ContextExperimentCommand.class, new String[] {"flair", "mprage", "model", "ground_truth", "labels", "min_voxels", "max_voxels",
                        "steps", "threshold", "device", "output_folder"},
                RelocateLesionCommand.class, new String[] {"flair", "mprage", "model", "ground_truth", "labels", "lesion", "shell_mm", "samples",
                        "seed", "saliency_context", "methods", "tissues", "device", "output_folder"});
        Map<Class<?>, String> names = Map.of(LesionStatisticsCommand.class, "Lesion Statistics", ContextExperimentCommand.class,
                "Perilesional Context Experiment", RelocateLesionCommand.class, "Relocate Lesion");
        for (Map.Entry<Class<?>, String[]> e : keys.entrySet()) {
            @SuppressWarnings({"unchecked", "rawtypes"})
            CommandInfo info = commands.getCommand((Class) e.getKey());
            assertNotNull(e.getKey().getName(), info);
            assertEquals("Plugins > Instance Saliency > " + names.get(e.getKey()), info.getMenuPath().getMenuString());
            for (String k : e.getValue()) assertNotNull(names.get(e.getKey()) + " macro key " + k, info.getInput(k));
        }
    }

    @Test
    public void lesionStatisticsEqualsIesAnalyze() throws Exception {
        Path a = CohortAnalysisTest.explainFolder(tmp.newFolder("a").toPath(), 1.0);
        Path b = CohortAnalysisTest.explainFolder(tmp.newFolder("b").toPath(), 1.1);
        Path cli = tmp.getRoot().toPath().resolve("cli");
        assertEquals(0, IesCli.execute("analyze", "--explain-dir", a.toString(), "--explain-dir", b.toString(), "--threshold", "0.1",
                "--bin-mm", "1", "--max-mm", "4", "--out", cli.toString()));
        Path fiji = tmp.getRoot().toPath().resolve("fiji");
        Map<String, Object> in = new HashMap<>();
        in.put("explain_folders", a + ", " + b);
        in.put("threshold", 0.1);
        in.put("bin_mm", 1.0);
        in.put("max_mm", 4.0);
        in.put("output_folder", fiji.toFile());
        FijiRun m = FijiRun.run(context, LesionStatisticsCommand.class, in);
        assertFalse(m.getCancelReason(), m.isCanceled());
        ResultsTable tests = (ResultsTable) m.getOutput("group_tests");
        assertTableEqualsCsv(tests, cli.resolve("group_tests.csv"), 0);
        assertTableEqualsCsv((ResultsTable) m.getOutput("group_summary"), cli.resolve("group_summary.csv"), 0);
        assertTableEqualsCsv((ResultsTable) m.getOutput("channel_contributions"), cli.resolve("channel_contributions.csv"), 0);
        assertEquals(io.github.ies.analysis.CohortAnalysis.GROUP_TESTS_HEADER, String.join(",", tests.getHeadings()));
        assertTrue(tests.size() > 0);
        assertEquals(Files.readString(cli.resolve("group_tests.csv")), Files.readString(fiji.resolve("group_tests.csv")));
        // run.json in both, the Fiji one with the command's inputs under their macro keys
        com.google.gson.JsonObject fr = com.google.gson.JsonParser.parseString(Files.readString(fiji.resolve("run.json"))).getAsJsonObject();
        assertEquals("Lesion Statistics", fr.get("command").getAsString());
        assertEquals(a + ", " + b, fr.getAsJsonObject("parameters").get("explain_folders").getAsString());
        assertEquals(4.0, fr.getAsJsonObject("parameters").get("max_mm").getAsDouble(), 0);
        assertEquals(fiji.toString(), fr.getAsJsonObject("parameters").get("output_folder").getAsString());
        assertTrue(Files.readString(cli.resolve("run.json")).contains("\"command\": \"analyze\""));
        ImagePlus plots = (ImagePlus) m.getOutput("plots");
        assertNotNull(plots);
        long figures;
        try (var s = Files.list(cli.resolve("figures"))) { figures = s.count(); }
        assertEquals(figures, plots.getStackSize());
        assertTrue(plots.getWidth() > 300 && plots.getHeight() > 200);
        assertEquals(ImagePlus.COLOR_RGB, plots.getType());
        assertTrue(plots.getStack().getSliceLabel(1).startsWith("peaks_"));

        // without an output folder: same tables, nothing left behind; a missing folder is a clear failure
        in.remove("output_folder");
        FijiRun m2 = FijiRun.run(context, LesionStatisticsCommand.class, in);
        assertFalse(m2.getCancelReason(), m2.isCanceled());
        assertTableEqualsCsv((ResultsTable) m2.getOutput("group_tests"), cli.resolve("group_tests.csv"), 0);
        in.put("explain_folders", tmp.getRoot() + "/nope");
        FijiRun m3 = FijiRun.run(context, LesionStatisticsCommand.class, in);
        assertTrue(m3.isCanceled());
        assertTrue(m3.getCancelReason(), m3.getCancelReason().contains("explain_folders " + tmp.getRoot() + "/nope: not a folder"));
    }

    @Test
    public void contextExperimentEqualsIesExperimentContext() throws Exception {
        int[] dims = {30, 30, 20};
        Geometry g = Geometry.axisAligned(new double[] {1, 1, 2}, new double[] {0, 0, 0});
        Volume f = Volume.zeros(dims, g), mp = Volume.zeros(dims, g), lab = Volume.zeros(dims, g);
        Random r = new Random(4);
        for (int v = 0; v < f.size(); v++) { f.data()[v] = (float) (100 + 10 * r.nextGaussian()); mp.data()[v] = 50; }
        for (int k = 8; k < 10; k++) for (int j = 10; j < 13; j++) for (int i = 10; i < 13; i++) lab.set(i, j, k, 3);
        for (int k = 4; k < 6; k++) for (int j = 20; j < 23; j++) for (int i = 18; i < 22; i++) lab.set(i, j, k, 5);
        Path d = tmp.getRoot().toPath();
        Nifti.write(f, d.resolve("f.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(mp, d.resolve("m.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(lab, d.resolve("l.nii.gz"), NiftiDataType.UINT8);
        Path cli = d.resolve("cli");
        assertEquals(0, IesCli.execute("experiment", "context", "--model", FijiCommandsTest.bundle(), "--input", "FLAIR=" + d.resolve("f.nii.gz"),
                "--input", "MPRAGE=" + d.resolve("m.nii.gz"), "--labels", d.resolve("l.nii.gz").toString(), "--min-voxels", "10",
                "--max-voxels", "30", "--steps", "3", "--device", "cpu", "--out", cli.toString()));
        Map<String, Object> in = new HashMap<>();
        in.put("flair", VolumeImages.toImagePlus(f, "flair"));
        in.put("mprage", VolumeImages.toImagePlus(mp, "mprage"));
        in.put("model", new File(FijiCommandsTest.bundle()));
        in.put("labels", FijiRun.open(LabelImages.toImagePlus(lab, "context-labels")));
        in.put("min_voxels", 10);
        in.put("max_voxels", 30);
        in.put("steps", 3);
        in.put("device", "cpu");
        Path fiji = d.resolve("fiji");
        in.put("output_folder", fiji.toFile());
        FijiRun m = FijiRun.run(context, ContextExperimentCommand.class, in);
        assertFalse(m.getCancelReason(), m.isCanceled());
        ResultsTable t = (ResultsTable) m.getOutput("context_table");
        assertEquals("step,distance_mm,mean_score,std_score,n_detected,n_lesions,lesion_3,lesion_5", String.join(",", t.getHeadings()));
        assertEquals(4, t.size());
        assertTableEqualsCsv(t, cli.resolve("context.csv"), 1e-4);
        assertTableEqualsCsv(t, fiji.resolve("context.csv"), 0);
        assertEquals(2, (int) t.getValue("n_lesions", 0));
        assertEquals(3 * 1.0, t.getValue("distance_mm", 3), 1e-9);
        ImagePlus plot = (ImagePlus) m.getOutput("context_plot");
        assertNotNull(plot);
        assertTrue(plot.getWidth() >= 520 && plot.getHeight() >= 300);
        assertEquals(ImagePlus.COLOR_RGB, plot.getType());
        assertTrue(Files.size(fiji.resolve("context.png")) > 1000);

        // exactly one of ground_truth and labels
        in.remove("labels");
        FijiRun m2 = FijiRun.run(context, ContextExperimentCommand.class, in);
        assertTrue(m2.isCanceled());
        assertTrue(m2.getCancelReason(), m2.getCancelReason().contains("exactly one of ground_truth and labels"));
    }

    @Test
    public void relocateLesionEqualsIesExperimentRelocate() throws Exception {
        int[] dims = {40, 40, 24};
        Geometry g = Geometry.axisAligned(new double[] {1, 1, 1.5}, new double[] {0, 0, 0});
        Volume f = Volume.zeros(dims, g), mp = Volume.zeros(dims, g), t = Volume.zeros(dims, g), gt = Volume.zeros(dims, g);
        Random r = new Random(2);
        for (int k = 0; k < 24; k++) for (int j = 0; j < 24; j++) for (int i = 0; i < 24; i++) {
            int v = f.index(i, j, k);
            t.data()[v] = (i > 3 && i < 20 && j > 3 && j < 20 && k > 3 && k < 20) ? 7 : 1;
            f.data()[v] = (float) (100 + 10 * r.nextGaussian());
            mp.data()[v] = (float) (200 + 10 * r.nextGaussian());
        }
        for (int k = 6; k < 9; k++) for (int j = 6; j < 9; j++) for (int i = 6; i < 9; i++) { gt.set(i, j, k, 1); f.set(i, j, k, 300); }
        Path d = tmp.getRoot().toPath();
        Nifti.write(f, d.resolve("f.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(mp, d.resolve("m.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(t, d.resolve("t.nii.gz"), NiftiDataType.UINT8);
        Nifti.write(gt, d.resolve("gt.nii.gz"), NiftiDataType.UINT8);
        Path cli = d.resolve("cli");
        assertEquals(0, IesCli.execute("experiment", "relocate", "--model", FijiCommandsTest.bundle(), "--input", "FLAIR=" + d.resolve("f.nii.gz"),
                "--input", "MPRAGE=" + d.resolve("m.nii.gz"), "--gt", d.resolve("gt.nii.gz").toString(), "--tissues", d.resolve("t.nii.gz").toString(),
                "--samples", "2", "--seed", "4", "--methods", "smoothgrad-max", "--device", "cpu", "--quiet", "--out", cli.toString()));
        Map<String, Object> in = new HashMap<>();
        in.put("flair", VolumeImages.toImagePlus(f, "flair"));
        in.put("mprage", VolumeImages.toImagePlus(mp, "mprage"));
        in.put("model", new File(FijiCommandsTest.bundle()));
        in.put("ground_truth", FijiRun.open(LabelImages.toImagePlus(gt, "relocate-gt")));
        in.put("tissues", FijiRun.open(LabelImages.toImagePlus(t, "relocate-tissues")));
        in.put("lesion", 0);
        in.put("samples", 2);
        in.put("seed", 4L);
        in.put("methods", "smoothgrad-max");
        in.put("device", "cpu");
        FijiRun m = FijiRun.run(context, RelocateLesionCommand.class, in);
        assertFalse(m.getCancelReason(), m.isCanceled());
        ResultsTable rt = (ResultsTable) m.getOutput("relocation");
        assertEquals(4, rt.size());
        assertEquals("original", rt.getStringValue("case", 0));
        assertTableEqualsCsv(rt, cli.resolve("relocate.csv"), 1e-4);
        ImagePlus fig = (ImagePlus) m.getOutput("relocation_figure");
        assertNotNull(fig);
        java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(cli.resolve("relocate.png").toFile());
        assertEquals(png.getWidth(), fig.getWidth());
        assertEquals(png.getHeight(), fig.getHeight());
        assertTrue(fig.getWidth() > 200 && fig.getHeight() > 400);
    }
}
