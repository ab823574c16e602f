package io.github.ies.fiji;

import ij.ImagePlus;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;

import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

/** Runs the NIfTI commands in a headless SciJava context (no imagej-legacy), as Fiji would. */
public class NiftiCommandsTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Context context;
    private CommandService commands;

    @Before
    public void setUp() {
        context = new Context(CommandService.class);
        commands = context.service(CommandService.class);
    }

    @After
    public void tearDown() {
        context.dispose();
    }

    private static Volume sample() {
        double[][] srow = {{-1.5, 0.1, 0, 90}, {0, 1.5, 0.2, -126}, {0, 0, 2.5, -72}};
        Geometry g = new Geometry(new double[] {1.5, 1.5, 2.5}, -1, 2, 4, new double[] {0.1, 0.2, 0.3},
                new double[] {90, -126, -72}, srow, 10);
        Volume v = Volume.zeros(new int[] {7, 5, 4}, g);
        for (int n = 0; n < v.size(); n++) v.data()[n] = (n * 37 % 101) - 20;
        return v;
    }

    @Test
    public void pluginIndexListsTheCommands() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/json/org.scijava.plugin.Plugin")) {
            assertNotNull("the SciJava annotation processor wrote no plugin index", in);
            String index = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(index.contains(OpenNiftiCommand.class.getName()));
            assertTrue(index.contains(SaveNiftiCommand.class.getName()));
        }
        CommandInfo info = commands.getCommand(OpenNiftiCommand.class);
        assertNotNull(info);
        assertEquals("Open NIfTI", info.getMenuPath().getLeaf().getName());
        assertNotNull("macro key 'file'", info.getInput("file"));
        assertNotNull("macro key 'volume'", info.getInput("volume"));
    }

    @Test
    public void openThenSaveRoundTripsDataAndGeometry() throws Exception {
        Volume v = sample();
        Path in = tmp.getRoot().toPath().resolve("in.nii.gz");
        Nifti.write(v, in, NiftiDataType.INT16);

        FijiRun open = FijiRun.run(context, OpenNiftiCommand.class, Map.of("file", in.toFile()));
        assertFalse(open.getCancelReason(), open.isCanceled());
        ImagePlus imp = (ImagePlus) open.getOutput("image");
        assertEquals("in", imp.getTitle());
        assertEquals(7, imp.getWidth());
        assertEquals(5, imp.getHeight());
        assertEquals(4, imp.getNSlices());
        assertEquals(1.5, imp.getCalibration().pixelWidth, 1e-6);
        assertEquals(2.5, imp.getCalibration().pixelDepth, 1e-6);
        assertEquals(v.get(3, 2, 1), imp.getStack().getProcessor(2).getf(3, 2), 0);

        Path out = tmp.getRoot().toPath().resolve("out.nii");
        FijiRun save = FijiRun.run(context, SaveNiftiCommand.class,
                Map.of("image", imp, "file", out.toFile(), "datatype", "float32"));
        assertFalse(save.getCancelReason(), save.isCanceled());
        Volume back = Nifti.read(out);
        assertArrayEquals(v.data(), back.data(), 0f);
        assertEquals(2, back.geometry().qformCode);
        assertEquals(4, back.geometry().sformCode);
        for (int r = 0; r < 4; r++) assertArrayEquals(v.affine()[r], back.affine()[r], 1e-5);
    }

    @Test
    public void corruptFileCancelsWithTheReason() throws Exception {
        File bad = tmp.newFile("bad.nii");
        java.nio.file.Files.write(bad.toPath(), new byte[100]);
        FijiRun open = FijiRun.run(context, OpenNiftiCommand.class, Map.of("file", bad));
        assertTrue(open.isCanceled());
        assertTrue(open.getCancelReason(), open.getCancelReason().contains("bad.nii"));
    }
}
