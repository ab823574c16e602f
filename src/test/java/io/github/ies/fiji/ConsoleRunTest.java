package io.github.ies.fiji;

import io.github.ies.cli.CliTestBase;
import io.github.ies.cli.IesCli;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.After;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.scijava.SciJava;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.Assert.*;

/**
 * Headless Fiji's {@code --run} as the launcher does it: a SciJava gateway's {@code launch(args)} (scijava-common's
 * {@code AbstractGateway.launch}, which {@code net.imagej.Main} calls: console arguments, start-up operations, then,
 * headless, the context disposed). Before {@link ConsoleRun}, scijava-common's own {@code --run} got a null future for
 * our DynamicCommands, did not wait, and the context was disposed with the command cut off: nothing was written and
 * the process exited 0. Here {@code launch} must return only after the command wrote its folder, with the same files
 * as the command line's, and a failure must end with one line and a non-zero status.
 */
public class ConsoleRunTest {

    @ClassRule
    public static TemporaryFolder tmp = new TemporaryFolder();

    static Path dir, flair, mprage;
    static String bundle;

    private final List<Integer> exits = new ArrayList<>();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeClass
    public static void inputs() throws Exception {
        dir = tmp.newFolder("in").toPath();
        Volume f = FijiCommandsTest.volume(11), m = FijiCommandsTest.volume(12);
        flair = dir.resolve("sub-01_FLAIR.nii.gz");
        mprage = dir.resolve("sub-01_T1w.nii.gz");
        Nifti.write(f, flair, NiftiDataType.FLOAT32);
        Nifti.write(m, mprage, NiftiDataType.FLOAT32);
        bundle = CliTestBase.tinyBundle();
    }

    @Before
    public void hooks() {
        ConsoleRun.exit = exits::add;
        ConsoleRun.err = new PrintStream(err, true, StandardCharsets.UTF_8);
    }

    @After
    public void restore() {
        ConsoleRun.exit = System::exit;
        ConsoleRun.err = System.err;
    }

    /** {@code ImageJ-linux64 --headless --console --run <command> <arguments>}, as net.imagej.Main hands them to the gateway ({@code --console} is the launcher's). */
    private static void launch(String command, String arguments) {
        SciJava gateway = new SciJava();
        gateway.launch("--headless", "--run", command, arguments);
    }

    private static List<String> files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    public void segmentLesionsCompletesBeforeLaunchReturnsAndWritesWhatIesSegmentWrites() throws Exception {
        Path out = tmp.getRoot().toPath().resolve("fiji-segment");
        launch("Segment Lesions", "flair=\"" + flair + "\",mprage=\"" + mprage + "\",model=\"" + bundle + "\",device=cpu,output_folder=\"" + out + "\"");
        assertEquals("no failure: " + err, List.of(), exits);
        assertTrue("the output folder was written before launch returned", Files.isDirectory(out));

        Path cli = tmp.getRoot().toPath().resolve("cli-segment");
        assertEquals(0, IesCli.execute("segment", "--model", bundle, "--input", "FLAIR=" + flair, "--input", "MPRAGE=" + mprage,
                "--device", "cpu", "--quiet", "--out", cli.toString()));
        assertEquals(files(cli), files(out));
        assertEquals(Files.readString(cli.resolve("lesions.csv")), Files.readString(out.resolve("lesions.csv")));
        for (String map : List.of("probability.nii.gz", "labels.nii.gz", "mask.nii.gz")) {
            Volume a = Nifti.read(cli.resolve(map)), b = Nifti.read(out.resolve(map));
            assertArrayEquals(map, a.data(), b.data(), 0f);
            assertArrayEquals(map + " keeps the input's affine", Nifti.read(flair).geometry().srow[0], b.geometry().srow[0], 0);
        }
        String run = Files.readString(out.resolve("run.json"));
        assertTrue(run, run.contains("\"command\": \"fiji-segment\""));
    }

    @Test
    public void explainLesionsWritesTheMapsOfIesExplain() throws Exception {
        Path out = tmp.getRoot().toPath().resolve("fiji-explain");
        // the macro recorder's syntax works too (values with spaces in brackets)
        launch("Explain Lesions", "flair=" + flair + " mprage=" + mprage + " model=" + bundle + " device=cpu lesions=1 samples=2 "
                + "methods=smoothgrad-max,gradcampp seed=3 output_folder=" + out);
        assertEquals("no failure: " + err, List.of(), exits);
        Path cli = tmp.getRoot().toPath().resolve("cli-explain");
        assertEquals(0, IesCli.execute("explain", "--model", bundle, "--input", "FLAIR=" + flair, "--input", "MPRAGE=" + mprage, "--device", "cpu",
                "--lesions", "1", "--samples", "2", "--methods", "smoothgrad-max,gradcampp", "--seed", "3", "--quiet", "--out", cli.toString()));
        assertEquals(Files.readString(cli.resolve("lesions.csv")), Files.readString(out.resolve("lesions.csv")));
        List<String> maps = files(cli.resolve("saliency"));
        assertFalse(maps.isEmpty());
        assertEquals(maps, files(out.resolve("saliency")));
        for (String map : maps) {
            float[] a = Nifti.read(cli.resolve("saliency").resolve(map)).data(), b = Nifti.read(out.resolve("saliency").resolve(map)).data();
            float max = 0;
            for (float x : a) max = Math.max(max, Math.abs(x));
            assertTrue(map + " is not empty", max > 0);
            for (int i = 0; i < a.length; i++) assertEquals(map + " voxel " + i, a[i], b[i], 1e-6 * max);
        }
    }

    @Test
    public void aMissingModelEndsWithOneLineAndStatusOne() throws Exception {
        Path out = tmp.getRoot().toPath().resolve("never");
        launch("Segment Lesions", "flair=\"" + flair + "\",mprage=\"" + mprage + "\",model=\"" + dir.resolve("no-such-model") + "\",output_folder=\"" + out + "\"");
        assertEquals(List.of(ConsoleRun.FAILED), exits);
        String text = err.toString(StandardCharsets.UTF_8).trim();
        assertEquals("one line: " + text, 1, text.lines().count());
        assertTrue(text, text.startsWith("Segment Lesions: ") && text.contains("no-such-model"));
        assertFalse("nothing written", Files.exists(out));
    }

    @Test
    public void anUnreadableNiftiPathNamesTheKeyAndThePath() throws Exception {
        Path bad = dir.resolve("broken.nii.gz");
        Files.write(bad, new byte[] {31, (byte) 139, 8, 0, 1, 2, 3});
        launch("Segment Lesions", "flair=\"" + bad + "\",mprage=\"" + mprage + "\",model=\"" + bundle + "\"");
        assertEquals(List.of(ConsoleRun.FAILED), exits);
        String text = err.toString(StandardCharsets.UTF_8).trim();
        assertEquals("one line: " + text, 1, text.lines().count());
        assertTrue(text, text.startsWith("Segment Lesions: flair: cannot read " + bad));
    }

    @Test
    public void anUnknownKeyIsAUsageError() throws Exception {
        launch("Segment Lesions", "flair=\"" + flair + "\",mprage=\"" + mprage + "\",model=\"" + bundle + "\",out=/tmp/x");
        assertEquals(List.of(ConsoleRun.USAGE), exits);
        assertTrue(err.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8).contains("output_folder"));
    }

    /**
     * With ImageJ's window (not headless) the IES commands are left to scijava-common's own --run: a failure or a
     * cancelled dialog must not end the process that holds the user's open images.
     */
    @Test
    public void withImageJsWindowAFailedRunDoesNotEndTheProcess() throws Exception {
        ConsoleRun.headless = () -> false;
        try {
            launch("Segment Lesions", "flair=\"" + flair + "\",mprage=\"" + mprage + "\",model=\"" + dir.resolve("no-such-model") + "\"");
            assertEquals("no exit", List.of(), exits);
        } finally {
            ConsoleRun.headless = java.awt.GraphicsEnvironment::isHeadless;
        }
    }

    @Test
    public void openNiftiRunsByItsMenuLeafAndByItsLabel() throws Exception {
        for (String name : List.of("Open NIfTI", "Open NIfTI (IES)", "Open_NIfTI")) {
            exits.clear();
            launch(name, "file=\"" + flair + "\"");
            assertEquals(name + ": " + err, List.of(), exits);
        }
        launch("Open NIfTI", "file=\"" + dir.resolve("missing.nii.gz") + "\"");
        assertEquals(List.of(ConsoleRun.FAILED), exits);
        assertTrue(err.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8).contains("missing.nii.gz"));
    }
}
