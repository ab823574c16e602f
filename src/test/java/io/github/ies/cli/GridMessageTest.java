package io.github.ies.cli;

import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * One grid-mismatch message in every command (issue 22): a ground truth or brain mask off the inputs' grid is refused
 * before any inference (no model line, no progress, no output folder), naming both files, what differs and the fix.
 */
public class GridMessageTest extends CliTestBase {

    static final int[] DIMS = {16, 20, 12};
    static final Geometry GEOM = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {-10, 4, 7});

    @Test
    public void everyCommandGivesTheSameMessageBeforeAnyInference() throws Exception {
        Path d = tmp.getRoot().toPath();
        Path f = d.resolve("flair.nii.gz"), m = d.resolve("mprage.nii.gz");
        Nifti.write(blob(DIMS, GEOM, 1), f, NiftiDataType.FLOAT32);
        Nifti.write(blob(DIMS, GEOM, 2), m, NiftiDataType.FLOAT32);
        Path gt = d.resolve("gt-cropped.nii.gz");          // other dimensions
        Volume g = Volume.zeros(new int[] {16, 20, 10}, GEOM);
        g.set(5, 5, 5, 1);
        Nifti.write(g, gt, NiftiDataType.UINT8);
        Path mask = d.resolve("mask-shifted.nii.gz");     // same dimensions, another origin
        Nifti.write(Volume.zeros(DIMS, Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {-9, 4, 7})), mask, NiftiDataType.UINT8);
        Path out = d.resolve("out");
        String b = tinyBundle();
        String[] in = {"--model", b, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", out.toString(), "--device", "cpu"};

        String[][] runs = {
            cat(new String[] {"segment"}, in, "--gt", gt.toString()),
            cat(new String[] {"explain"}, in, "--gt", gt.toString(), "--samples", "1"),
            cat(new String[] {"experiment", "context"}, in, "--gt", gt.toString()),
        };
        for (String[] a : runs) {
            int rc = run(a);
            assertEquals(String.join(" ", a) + ": " + err, 1, rc);
            assertTrue(err, err.contains("ground truth '" + gt + "' is not on the grid of FLAIR '" + f + "' (dimensions [16, 20, 10] vs [16, 20, 12])")
                    || err.contains("'" + gt + "' is not on the grid of the first input channel (dimensions [16, 20, 10] vs [16, 20, 12])"));
            assertFix(a);
        }
        assertEquals(err, 1, run(cat(new String[] {"segment"}, in, "--brain-mask", mask.toString())));
        assertTrue(err, err.contains("brain mask '" + mask + "' is not on the grid of FLAIR '" + f + "' (same dimensions [16, 20, 12] but the affines"
                + " differ: origin (18.00, -8.000, -14.00) vs (20.00, -8.000, -14.00) mm)"));
        assertFix(new String[] {"segment --brain-mask"});
        // evaluate: the prediction is the reference
        Path pred = d.resolve("pred.nii.gz");
        Nifti.write(Volume.zeros(DIMS, GEOM), pred, NiftiDataType.UINT8);
        assertEquals(err, 1, run("evaluate", "--pred", pred.toString(), "--gt", gt.toString(), "--out", out.toString()));
        assertTrue(err, err.contains("ground truth '" + gt + "' is not on the grid of the prediction '" + pred + "' (dimensions [16, 20, 10] vs"));
        assertFix(new String[] {"evaluate"});
    }

    /** The fix named, one error line, nothing computed or written. */
    private void assertFix(String[] a) throws Exception {
        String w = String.join(" ", a);
        assertTrue(w + ": " + err, err.contains("nearest neighbour") && err.contains("antsApplyTransforms") && err.contains("resample_from_to"));
        // one line of error (the progress lines before it, such as "reading 2 input(s)", are not part of it)
        assertEquals(w + ": " + err, 1, err.strip().lines().filter(l -> l.contains("error")).count());
        assertTrue(w + ": " + err, err.strip().lines().filter(l -> !l.contains("error")).allMatch(l -> l.contains(": reading ")));
        assertFalse(w + ": the model ran: " + err, err.contains("model ") && err.contains(" on cpu"));
        assertFalse(w + ": an output folder was made", Files.exists(tmp.getRoot().toPath().resolve("out")));
    }

    private static String[] cat(String[] head, String[] mid, String... tail) {
        String[] r = new String[head.length + mid.length + tail.length];
        System.arraycopy(head, 0, r, 0, head.length);
        System.arraycopy(mid, 0, r, head.length, mid.length);
        System.arraycopy(tail, 0, r, head.length + mid.length, tail.length);
        return r;
    }
}
