package io.github.ies.fiji;

import ij.ImagePlus;
import ij.Macro;
import ij.WindowManager;
import ij.macro.Interpreter;
import ij.measure.ResultsTable;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.scijava.ItemIO;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.command.ContextCommand;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.ModuleService;
import org.scijava.plugin.Parameter;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

/**
 * Issue 14, points 1, 3 and 4, in {@link LegacyHarness} (Fiji's input handling reproduced): optional images can be
 * left empty from the menu, in macros, scripts and headless runs; every documented macro line names every input of
 * its command and opens no dialog; the Jython examples run their commands without pre-processing.
 */
public class LegacyInputHandlingTest {

    @ClassRule
    public static TemporaryFolder tmp = new TemporaryFolder();

    static LegacyHarness fiji;
    static ImagePlus flair, mprage, gt, labels;
    static File bundle;

    @BeforeClass
    public static void setUp() {
        fiji = new LegacyHarness();
        flair = VolumeImages.toImagePlus(FijiCommandsTest.volume(1), "flair");
        mprage = VolumeImages.toImagePlus(FijiCommandsTest.volume(2), "mprage");
        io.github.ies.io.Volume g = io.github.ies.io.Volume.zeros(FijiCommandsTest.DIMS, FijiCommandsTest.GEOM);
        for (int i = 6; i <= 9; i++) for (int j = 9; j <= 11; j++) for (int k = 5; k <= 7; k++) g.set(i, j, k, 1f);
        gt = LabelImages.toImagePlus(g, "lesions");
        labels = LabelImages.toImagePlus(g, "lesion labels");
        fiji.open(flair);
        fiji.open(mprage);
        fiji.open(labels);
        fiji.open(gt);   // the active image: what imagej-legacy would put into a single unresolved ImagePlus input
        bundle = new File(FijiCommandsTest.bundle());
    }

    @org.junit.After
    public void closeOutputs() {
        fiji.reset();
    }

    @AfterClass
    public static void tearDown() {
        fiji.close();
    }

    private static Map<String, Object> chosen(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    /** A command as it was before issue 14: optional ImagePlus inputs. The harness must show the bug it had. */
    public static class OldStyleCommand extends ContextCommand {
        @Parameter
        public ImagePlus flair;
        @Parameter
        public ImagePlus mprage;
        @Parameter(required = false)
        public ImagePlus ground_truth;
        @Parameter(type = ItemIO.OUTPUT)
        public String seen;

        @Override
        public void run() {
            seen = ground_truth == null ? "none" : ground_truth.getTitle();
        }
    }

    @Test
    public void harnessReproducesTheOldAutofillOfOptionalImagePlusInputs() throws Exception {
        CommandInfo info = new CommandInfo(OldStyleCommand.class);
        ModuleService modules = fiji.context().service(ModuleService.class);
        // macro "flair=flair mprage=mprage": the one ImagePlus left gets the active image (imagej-legacy)
        LegacyHarness.STATE.macroOptions = "flair=flair mprage=mprage";
        LegacyHarness.STATE.outcome = new LegacyHarness.Outcome();
        Module m = modules.run(info, true, (Map<String, Object>) null).get();
        LegacyHarness.STATE.macroOptions = null;
        assertEquals("the old command silently used the active image as ground truth", "lesions", m.getOutput("seen"));
        // the dialog: an empty optional ImagePlus shows (and keeps) the first open image (scijava-common#391)
        LegacyHarness.STATE.outcome = new LegacyHarness.Outcome();
        LegacyHarness.STATE.userEdits = new LinkedHashMap<>();
        Module d = modules.run(info, true, (Map<String, Object>) null).get();
        assertEquals("flair", d.getOutput("seen"));
    }

    @Test
    public void menuRunLeavesGroundTruthEmptyAndRecordsACompleteMacro() throws Exception {
        LegacyHarness.Outcome o = fiji.menu(SegmentLesionsCommand.class, chosen("flair", flair, "mprage", mprage, "model", bundle));
        assertNotNull("the menu opens a dialog", o.dialog);
        assertTrue(o.dialog.contains("ground_truth"));
        assertFalse(o.cancelReason(), o.canceled());
        assertEquals("none", o.input("ground_truth"));
        ResultsTable t = (ResultsTable) TableResults.of(o.module).get("lesions");
        assertTrue(t.size() > 0);
        assertEquals("no ground truth: the category cell is empty, not NaN", "", t.getStringValue("category", 0));
        assertFalse("no ground truth, no TN spheres or FN rows", t.getColumnAsVariables("category").length > 0
                && java.util.Arrays.stream(t.getColumnAsVariables("category")).anyMatch(v -> "TN".equals(v.getString()) || "FN".equals(v.getString())));

        // the recorder's line names every input, so replaying it opens no dialog and runs the same
        String rec = o.recorded;
        assertNotNull(rec);
        assertTrue(rec, rec.contains("ground_truth=none"));
        String options = rec.substring(rec.indexOf(", \"") + 3, rec.lastIndexOf("\")"));
        LegacyHarness.Outcome replay = fiji.macro("Segment Lesions", options);
        assertTrue("replaying the recorded macro opened " + replay.dialog + " " + replay.fileChooser, replay.quiet());
        assertFalse(replay.cancelReason(), replay.canceled());
        assertEquals(t.size(), ((ResultsTable) TableResults.of(replay.module).get("lesions")).size());
    }

    @Test
    public void menuRunOfExplainWithBothOptionalImagesEmptySegmentsFirst() throws Exception {
        LegacyHarness.Outcome o = fiji.menu(ExplainLesionsCommand.class, chosen("flair", flair, "mprage", mprage, "model", bundle,
                "methods", "gradcampp", "lesions", "1"));
        assertTrue(o.dialog.containsAll(List.of("labels", "ground_truth", "output_folder")));
        assertFalse(o.cancelReason(), o.canceled());
        assertEquals("none", o.input("labels"));
        assertEquals("none", o.input("ground_truth"));
        assertEquals(new File("none"), o.input("output_folder"));
        assertEquals(1, ((ImagePlus) o.module.getOutput("gallery")).getNFrames());
        assertTrue(o.recorded, o.recorded.contains("labels=none") && o.recorded.contains("ground_truth=none") && o.recorded.contains("output_folder=none"));
    }

    @Test
    public void aChosenOptionalImageIsUsedAndItsTitleIsAChoice() throws Exception {
        LegacyHarness.Outcome o = fiji.menu(SegmentLesionsCommand.class,
                chosen("flair", flair, "mprage", mprage, "model", bundle, "ground_truth", "lesions"));
        assertFalse(o.cancelReason(), o.canceled());
        ModuleItem<?> item = o.module.getInfo().getInput("ground_truth");
        assertEquals(List.of("none", "flair", "mprage", "lesion labels", "lesions"), item.getChoices());
        ResultsTable t = (ResultsTable) TableResults.of(o.module).get("lesions");
        boolean categorized = false;
        for (int r = 0; r < t.size(); r++) categorized |= !t.getStringValue("category", r).isEmpty();
        assertTrue("the ground truth gave categories", categorized);
    }

    @Test
    public void macroWithNoneAndUnknownTitles() throws Exception {
        String base = "flair=flair mprage=mprage model=[" + bundle + "] device=cpu threshold=-1 min_size=-1 connectivity=model output_folder=none";
        LegacyHarness.Outcome none = fiji.macro("Segment Lesions", base + " ground_truth=none");
        assertTrue(none.quiet());
        assertFalse(none.cancelReason(), none.canceled());
        LegacyHarness.Outcome bad = fiji.macro("Segment Lesions", base + " ground_truth=[no such image]");
        assertTrue(bad.quiet());
        assertTrue(bad.cancelReason(), bad.cancelReason().contains("ground_truth: no open image titled 'no such image'"));
        LegacyHarness.Outcome missing = fiji.macro("Segment Lesions", base);
        assertEquals("a left-out key opens the dialog", List.of("ground_truth"), missing.dialog);
    }

    @Test
    public void contextExperimentFromTheMenuTakesOneOfGroundTruthAndLabels() throws Exception {
        LegacyHarness.Outcome o = fiji.menu(ContextExperimentCommand.class, chosen("flair", flair, "mprage", mprage, "model", bundle,
                "labels", "lesion labels", "min_voxels", 1, "max_voxels", 1000, "steps", 1));
        assertEquals("none", o.input("ground_truth"));
        assertFalse(o.cancelReason(), o.canceled());
        assertNotNull(TableResults.of(o.module).get("context_table"));
    }

    /** Every macro line in README.md and docs/*.md: names every input of its command, and runs without a dialog. */
    @Test
    public void documentedMacroLinesNameEveryInputAndOpenNoDialog() throws Exception {
        Path root = Path.of(System.getProperty("user.dir"));
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (java.util.stream.Stream<Path> s = Files.list(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).forEach(docs::add);
        }
        Pattern run = Pattern.compile("run\\(\"([^\"]+)\",\\s*\"([^\"]*)\"\\);");
        CommandService commands = fiji.context().service(CommandService.class);
        int checked = 0;
        List<String> leaves = new ArrayList<>();
        for (CommandInfo ci : commands.getCommands()) {
            if (ci.getClassName().startsWith("io.github.ies.fiji") && ci.getMenuPath() != null && !ci.getMenuPath().isEmpty()) {
                leaves.add(ci.getMenuPath().getLeaf().getName());
            }
        }
        for (Path doc : docs) {
            for (String line : Files.readAllLines(doc)) {
                Matcher m = run.matcher(line);
                while (m.find()) {
                    String leaf = m.group(1), options = m.group(2);
                    if (!leaves.contains(leaf)) continue;
                    CommandInfo info = null;
                    for (CommandInfo ci : commands.getCommands()) {
                        if (ci.getClassName().startsWith("io.github.ies.fiji") && ci.getMenuPath() != null && !ci.getMenuPath().isEmpty()
                                && ci.getMenuPath().getLeaf().getName().equals(leaf)) info = ci;
                    }
                    for (ModuleItem<?> in : info.inputs()) {
                        if (LegacyHarness.isService(in)) continue;
                        assertNotNull(doc.getFileName() + ": run(\"" + leaf + "\") leaves out '" + in.getName() + "', which opens a dialog",
                                Macro.getValue(options, in.getName(), null));
                        if (ImagePlus.class.isAssignableFrom(in.getType())) {
                            String title = Macro.getValue(options, in.getName(), null);
                            assertNotNull(doc.getFileName() + ": image '" + title + "' must be open for this test", ij.WindowManager.getImage(title) != null
                                    ? title : open(title));
                        }
                    }
                    LegacyHarness.Outcome o = fiji.macro(leaf, options);
                    assertTrue(doc.getFileName() + ": " + line + " opened " + o.dialog + " / file chooser " + o.fileChooser, o.quiet());
                    assertFalse("values must convert: " + o.cancelReason(), o.cancelReason() != null && o.cancelReason().contains("required but unset"));
                    checked++;
                }
            }
        }
        assertTrue("documented macro lines checked: " + checked, checked >= 4);
    }

    private static String open(String title) {
        ImagePlus imp = VolumeImages.toImagePlus(FijiCommandsTest.volume(3), title);
        return fiji.open(imp);
    }

    /** The Jython examples run their commands with pre-processing off, so no dialog opens in the GUI or headless. */
    @Test
    public void jythonExamplesRunCommandsWithoutPreprocessing() throws Exception {
        Path dir = Path.of(System.getProperty("user.dir"), "scripts", "fiji");
        Pattern call = Pattern.compile("\\.run\\(\\s*(?:command\\.getCommand\\()?(\\w+Command)\\)?\\s*,\\s*(\\w+)\\s*,");
        int calls = 0;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            for (Path py : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".py")).sorted()::iterator) {
                String src = Files.readString(py);
                assertFalse(py.getFileName() + ": CommandService.run(...).get() gives null for our DynamicCommands",
                        Pattern.compile("command\\.run\\(\\s*\\w+Command\\s*,").matcher(src).find());
                Matcher m = call.matcher(src);
                while (m.find()) {
                    assertEquals(py.getFileName() + ": " + m.group(1) + " must run with pre-processing off", "False", m.group(2));
                    calls++;
                }
            }
        }
        assertTrue(calls >= 2);
        // what Explain_Open_Images.py passes, with process=False: no dialog, the optional images left as "none"
        LegacyHarness.Outcome o = fiji.script(ExplainLesionsCommand.class, false, chosen("flair", flair.getTitle(), "mprage", mprage.getTitle(),
                "model", bundle, "lesions", "1", "methods", "gradcampp", "ground_truth", "none", "output_folder", new File("none")));
        assertTrue(o.quiet());
        assertFalse(o.cancelReason(), o.canceled());
        assertEquals("none", o.input("labels"));
        // the same keys with pre-processing on would open a dialog in the GUI for everything left out
        LegacyHarness.Outcome on = fiji.script(ExplainLesionsCommand.class, true, chosen("flair", flair, "mprage", mprage, "model", bundle,
                "lesions", "1", "methods", "gradcampp"));
        assertNotNull(on.dialog);
        assertTrue(on.dialog.containsAll(List.of("labels", "ground_truth", "device", "threshold")));
    }

    /** Headless ({@code ies run}, Fiji's --headless --run): optional images left out, "none", or a NIfTI path. */
    @Test
    public void headlessRunsLeaveOptionalImagesOutOrGivePaths() throws Exception {
        Path d = tmp.newFolder("headless").toPath();
        Nifti.write(VolumeImages.toVolume(flair), d.resolve("flair.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(VolumeImages.toVolume(mprage), d.resolve("mprage.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(VolumeImages.toVolume(gt), d.resolve("gt.nii.gz"), NiftiDataType.UINT8);
        String base = "flair=" + d.resolve("flair.nii.gz") + ",mprage=" + d.resolve("mprage.nii.gz") + ",model=" + bundle;
        try (HeadlessRunner r = new HeadlessRunner()) {
            CommandInfo seg = r.find("Segment Lesions");
            Module left = r.run(seg, HeadlessRunner.parseArgs(base));
            assertFalse(((org.scijava.Cancelable) left).getCancelReason(), ((org.scijava.Cancelable) left).isCanceled());
            assertEquals("none", left.getInput("ground_truth"));
            Module path = r.run(seg, HeadlessRunner.parseArgs(base + ",ground_truth=" + d.resolve("gt.nii.gz")));
            assertFalse(((org.scijava.Cancelable) path).getCancelReason(), ((org.scijava.Cancelable) path).isCanceled());
            ResultsTable t = TableResults.of(path).get("lesions");
            assertEquals("TP", t.getStringValue("category", 0));
            Module ex = r.run(r.find("Explain Lesions"), HeadlessRunner.parseArgs(base + ",labels=none,ground_truth=none,lesions=1,methods=gradcampp"));
            assertFalse(((org.scijava.Cancelable) ex).getCancelReason(), ((org.scijava.Cancelable) ex).isCanceled());
        }
    }

    @Test
    public void noneAndFolders() throws Exception {
        assertTrue(OptionalImages.isNone(null) && OptionalImages.isNone("") && OptionalImages.isNone(" None "));
        assertNull(OptionalImages.resolve("none", "labels"));
        assertNull(OptionalImages.folder(new File("none")));
        assertNull(OptionalImages.folder(new File("")));
        assertNull(OptionalImages.folder(null));
        assertEquals(Path.of("/tmp/x"), OptionalImages.folder(new File("/tmp/x")));
        assertSame(gt, OptionalImages.resolve("lesions", "ground_truth"));
    }

    /** Issue 20: the dialog proposes the open images by name for FLAIR and MPRAGE (title choices, kept by the widget). */
    @Test
    public void dialogDefaultsFlairAndMprageByName() throws Exception {
        // open: flair, mprage, "lesion labels" and "lesions" (the active image)
        LegacyHarness.Outcome o = fiji.menu(SegmentLesionsCommand.class, chosen("model", bundle));
        assertTrue(o.dialog.containsAll(List.of("flair", "mprage")));
        assertEquals("flair", o.input("flair"));
        assertEquals("mprage", o.input("mprage"));
        assertFalse(o.cancelReason(), o.canceled());
        assertTrue(o.recorded, o.recorded.contains("flair=flair mprage=mprage"));
    }

    @Test
    public void inputDefaultsByNameOrElseTwoDifferentImages() {
        String[] p = InputImageDefaults.pick(new String[] {"sub-01_T1w", "sub-01_FLAIR"}, "sub-01_T1w", null, null);
        assertArrayEquals(new String[] {"sub-01_FLAIR", "sub-01_T1w"}, p);
        // no name matches ("test1" is no T1): the active image for FLAIR, another one for MPRAGE
        assertArrayEquals(new String[] {"test1", "scan 2"}, InputImageDefaults.pick(new String[] {"scan 2", "test1"}, "test1", null, null));
        // a value already given is kept and not proposed for the other input
        assertArrayEquals(new String[] {"sub-01_T1w", "sub-01_FLAIR"}, InputImageDefaults.pick(new String[] {"sub-01_T1w", "sub-01_FLAIR"}, null, "sub-01_T1w", null));
        // one image open: FLAIR only, never the same image for both
        assertArrayEquals(new String[] {"a", null}, InputImageDefaults.pick(new String[] {"a"}, "a", null, null));
    }

    /**
     * Issue 20: a headless macro chains Open NIfTI -> Segment Lesions -> Explain Lesions: each command's images are
     * registered with ImageJ 1 (batch mode, no window), so the next line finds them by title; the commands with an
     * output folder write it.
     */
    @Test
    public void headlessMacroChainsOpenSegmentAndExplain() throws Exception {
        Path d = tmp.newFolder("chain").toPath();
        Nifti.write(VolumeImages.toVolume(flair), d.resolve("chain_flair.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(VolumeImages.toVolume(mprage), d.resolve("chain_mprage.nii.gz"), NiftiDataType.FLOAT32);
        try {
            LegacyHarness.Outcome o1 = fiji.macro("Open NIfTI", "file=" + d.resolve("chain_flair.nii.gz"));
            LegacyHarness.Outcome o2 = fiji.macro("Open NIfTI", "file=" + d.resolve("chain_mprage.nii.gz"));
            assertFalse(o1.cancelReason(), o1.canceled() || o2.canceled());
            ImagePlus f = WindowManager.getImage("chain_flair"), m = WindowManager.getImage("chain_mprage");
            assertNotNull("Open NIfTI's image is found by title by the next macro line", f);
            assertNotNull(m);
            Path seg = d.resolve("seg"), ex = d.resolve("ex");
            LegacyHarness.Outcome o3 = fiji.macro("Segment Lesions", "flair=chain_flair mprage=chain_mprage model=[" + bundle
                    + "] device=cpu ground_truth=none threshold=-1 min_size=-1 connectivity=model output_folder=[" + seg + "]");
            assertFalse(o3.cancelReason(), o3.canceled());
            assertTrue(Files.isRegularFile(seg.resolve("labels.nii.gz")) && Files.isRegularFile(seg.resolve("lesions.csv"))
                    && Files.isRegularFile(seg.resolve("run.json")));
            ImagePlus lab = WindowManager.getImage("chain_flair_labels");
            assertNotNull("Segment Lesions' label image is found by title", lab);
            assertNotNull(WindowManager.getImage("chain_flair_probability"));
            LegacyHarness.Outcome o4 = fiji.macro("Explain Lesions", "flair=chain_flair mprage=chain_mprage labels=chain_flair_labels model=["
                    + bundle + "] device=cpu lesions=1 methods=gradcampp output_folder=[" + ex + "]");
            assertFalse(o4.cancelReason(), o4.canceled());
            assertTrue(Files.isRegularFile(ex.resolve("lesions.csv")));
            assertEquals("the explained instances are the label image's", Files.readString(seg.resolve("labels.nii.gz").resolveSibling("lesions.csv")).lines().count(),
                    Files.readString(ex.resolve("lesions.csv")).lines().count());
            for (String t : new String[] {"chain_flair_lesion_gallery", "chain_flair_saliency_overview"}) {
                ImagePlus imp = WindowManager.getImage(t);
                assertNotNull(t, imp);
            }
        } finally {
            fiji.reset();
        }
    }

    /** Issue 20: a macro may give NIfTI paths for the images; they are read with IES's reader (affine kept). */
    @Test
    public void macroNiftiPathsAreReadWithTheAffine() throws Exception {
        Path d = tmp.newFolder("paths").toPath();
        io.github.ies.io.Volume fv = VolumeImages.toVolume(flair);
        Nifti.write(fv, d.resolve("f.nii.gz"), NiftiDataType.FLOAT32);
        Nifti.write(VolumeImages.toVolume(mprage), d.resolve("m.nii.gz"), NiftiDataType.FLOAT32);
        LegacyHarness.Outcome o = fiji.macro("Segment Lesions", "flair=" + d.resolve("f.nii.gz") + " mprage=" + d.resolve("m.nii.gz")
                + " model=[" + bundle + "] device=cpu ground_truth=none threshold=-1 min_size=-1 connectivity=model output_folder=none");
        assertTrue("the macro names every input: no dialog", o.quiet());
        assertFalse(o.cancelReason(), o.canceled());
        assertEquals(d.resolve("f.nii.gz").toString(), o.input("flair"));
        ImagePlus lab = (ImagePlus) o.module.getOutput("labels");
        assertArrayEquals("outputs keep the input's affine", fv.geometry().srow[2], VolumeImages.toVolume(lab).geometry().srow[2], 0);
        // a path that cannot be read: one line with the key, the path and why
        LegacyHarness.Outcome bad = fiji.macro("Segment Lesions", "flair=" + d.resolve("nothing.nii.gz") + " mprage=" + d.resolve("m.nii.gz")
                + " model=[" + bundle + "] device=cpu ground_truth=none threshold=-1 min_size=-1 connectivity=model output_folder=none");
        assertTrue(bad.canceled());
        assertEquals("Segment Lesions: flair: cannot read " + d.resolve("nothing.nii.gz") + ": no such file", bad.cancelReason());
    }
}
