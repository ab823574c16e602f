package io.github.ies.saliency;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import io.github.ies.cli.CliRun;
import io.github.ies.cli.CliTestBase;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.Assert.*;

/**
 * The extension point: a method defined in a new file ({@link LesionIndicator}) and registered with one line runs
 * through the real explain path (the command line, {@code ExplainPipeline}, the engine, {@code FolderSink}) with
 * the tiny bundle, and its maps, peak columns and run record come out under its key, equal to the known answer.
 */
public class AddedMethodTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static final int[] DIMS = {16, 20, 12};
    private static final Geometry GEOM = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {-10, 4, 7});

    @Test
    public void anUnregisteredMethodIsRefused() {
        try {
            SaliencyMethods.parseList("smoothgrad-max,lesion-indicator");
            fail("parsed an unregistered key");
        } catch (IllegalArgumentException e) {
            assertEquals("unknown method 'lesion-indicator' (expected smoothgrad-max, smoothgrad-mean, gradcampp or class-gradcampp)", e.getMessage());
        }
        try {
            SaliencySettings.builder().methods(LesionIndicator.METHOD).build();
            fail("settings with an unregistered method");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("methods: lesion-indicator is not registered"));
        }
    }

    @Test
    public void aRegisteredMethodIsParsedRunWrittenAndTabulated() throws Exception {
        Path root = tmp.getRoot().toPath();
        Path f = root.resolve("flair.nii.gz"), m = root.resolve("mprage.nii.gz"), lab = root.resolve("labels.nii.gz");
        Nifti.write(CliTestBase.blob(DIMS, GEOM, 1), f, NiftiDataType.FLOAT32);
        Nifti.write(CliTestBase.blob(DIMS, GEOM, 2), m, NiftiDataType.FLOAT32);
        Volume labels = Volume.zeros(DIMS, GEOM);
        for (int i = 6; i <= 8; i++) for (int j = 9; j <= 10; j++) labels.set(i, j, 6, 7f);   // id 7, 6 voxels
        labels.set(3, 4, 3, 2f);                                                               // id 2, 2 voxels
        labels.set(3, 5, 4, 2f);
        Nifti.write(labels, lab, NiftiDataType.INT32);
        Path dir = root.resolve("out");

        assertNull(SaliencyMethods.fromKey("lesion-indicator"));
        SaliencyMethods.register(LesionIndicator.METHOD);   // the one registration line
        try {
            CliRun help = CliRun.of("explain", "--help");
            assertTrue(help.out, help.out.replaceAll("\\s+", " ").contains("smoothgrad-max, smoothgrad-mean, gradcampp, class-gradcampp, lesion-indicator (default: all)"));
            assertTrue(SaliencyMethods.parseList("all").contains(LesionIndicator.METHOD));

            CliRun r = CliRun.of("explain", "--model", CliTestBase.tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m,
                    "--labels", lab.toString(), "--out", dir.toString(), "--samples", "1", "--methods", "lesion-indicator,smoothgrad-max",
                    "--quiet");
            assertEquals(r.err, 0, r.rc);

            // the maps: channel c is c + 1 on the lesion's voxels of the label image, 0 elsewhere, on the input's grid
            Path sal = dir.resolve(ExplainLayout.SALIENCY);
            String[] channels = {"flair", "mprage"};
            for (int id : new int[] {2, 7}) {
                for (int c = 0; c < 2; c++) {
                    Volume map = Nifti.read(sal.resolve(ExplainLayout.mapName(id, "lesion-indicator", channels[c], false)));
                    assertTrue(map.sameGrid(labels));
                    int on = 0;
                    for (int v = 0; v < map.data().length; v++) {
                        float want = labels.data()[v] == id ? c + 1 : 0;
                        assertEquals("lesion " + id + " " + channels[c] + " voxel " + v, want, map.data()[v], 0f);
                        if (want != 0) on++;
                    }
                    assertEquals(id == 7 ? 6 : 2, on);
                    assertFalse(Files.exists(sal.resolve(ExplainLayout.mapName(id, "lesion-indicator", channels[c], true))));
                    // the other method of the run is untouched
                    assertTrue(Files.isRegularFile(sal.resolve(ExplainLayout.mapName(id, "smoothgrad-max", channels[c], false))));
                }
            }

            // the table: its peak columns after SmoothGrad's (registry order), peaks c + 1 and 0
            LesionTable t = LesionTable.read(dir.resolve(ExplainLayout.LESIONS));
            List<String> peaks = new ArrayList<>();
            for (String col : t.columns()) if (col.contains("_peak_")) peaks.add(col);
            assertEquals(List.of("smoothgrad_max_flair_peak_pos", "smoothgrad_max_flair_peak_neg", "smoothgrad_max_mprage_peak_pos",
                    "smoothgrad_max_mprage_peak_neg", "lesion_indicator_flair_peak_pos", "lesion_indicator_flair_peak_neg",
                    "lesion_indicator_mprage_peak_pos", "lesion_indicator_mprage_peak_neg"), peaks);
            for (int id : new int[] {2, 7}) {
                int row = t.rowOfId(id);
                for (int c = 0; c < 2; c++) {
                    assertEquals(c + 1, t.getDouble(row, "lesion_indicator_" + channels[c] + "_peak_pos"), 0);
                    assertEquals(0, t.getDouble(row, "lesion_indicator_" + channels[c] + "_peak_neg"), 0);
                }
            }

            // the run record names the methods in registry order
            JsonArray methods = JsonParser.parseString(Files.readString(dir.resolve(ExplainLayout.RUN)))
                    .getAsJsonObject().getAsJsonObject("parameters").getAsJsonArray("methods");
            assertEquals("[\"smoothgrad-max\",\"lesion-indicator\"]", methods.toString());
        } finally {
            SaliencyMethods.unregister(LesionIndicator.METHOD);
        }
        assertNull(SaliencyMethods.fromKey("lesion-indicator"));
        assertTrue(CliRun.of("explain", "--help").out.replaceAll("\\s+", " ").contains("gradcampp, class-gradcampp (default: all)"));
    }
}
