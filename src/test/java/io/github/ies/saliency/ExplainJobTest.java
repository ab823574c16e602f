package io.github.ies.saliency;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;
import org.junit.Test;

import static org.junit.Assert.*;

public class ExplainJobTest {

    @Test
    public void pasteMapsCropVoxelsToTheirNiftiPositions() {
        int[] nd = {7, 5, 6};
        Volume ref = Volume.zeros(nd, Geometry.axisAligned(new double[] {1, 2, 3}, new double[] {0, 0, 0}));
        Box region = new Box(new int[] {2, 1, 3}, new int[] {4, 3, 2});
        float[] crop = new float[region.voxels()];
        for (int a = 0; a < 4; a++) for (int b = 0; b < 3; b++) for (int c = 0; c < 2; c++) crop[(a * 3 + b) * 2 + c] = 100 * a + 10 * b + c + 1;
        Volume v = io.github.ies.pipeline.ExplainPipeline.paste(crop, region, ref);
        int nonzero = 0;
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 5; j++)
                for (int k = 0; k < 6; k++) {
                    float want = i >= 2 && i < 6 && j >= 1 && j < 4 && k >= 3 && k < 5 ? 100 * (i - 2) + 10 * (j - 1) + (k - 3) + 1 : 0;
                    assertEquals("(" + i + "," + j + "," + k + ")", want, v.get(i, j, k), 0f);
                    if (want != 0) nonzero++;
                }
        assertEquals(24, nonzero);
        assertSame(ref.geometry(), v.geometry());
    }

    @Test
    public void targetFromNiftiMaskUsesTensorOrder() {
        int[] nd = {4, 3, 5};
        boolean[] mask = new boolean[60];
        mask[1 + 4 * (2 + 3 * 4)] = true;     // (i, j, k) = (1, 2, 4)
        mask[3 + 4 * (0 + 3 * 1)] = true;     // (3, 0, 1)
        Target t = Target.ofNifti(5, mask, nd);
        assertArrayEquals(new int[] {(1 * 3 + 2) * 5 + 4, (3 * 3 + 0) * 5 + 1}, t.voxels);
        assertArrayEquals(new int[] {1, 0, 1}, t.bboxMin);
        assertArrayEquals(new int[] {3, 2, 4}, t.bboxMax);
        assertEquals("smoothgrad_max_flair", new io.github.ies.instances.PeakKey(SaliencyMethods.SMOOTHGRAD_MAX.key, "flair").columnPrefix());
    }
}
