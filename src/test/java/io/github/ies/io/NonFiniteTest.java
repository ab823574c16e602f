package io.github.ies.io;

import org.junit.Test;

import static org.junit.Assert.*;

/** Issue 12, point 3: the non-finite policy on a volume. */
public class NonFiniteTest {

    @Test
    public void errorNamesTheCountsAndTheFirstVoxelZeroReplacesThemAndWarns() {
        int[] d = {4, 3, 2};
        Volume v = Volume.zeros(d, Geometry.spacingOnly(new double[] {1, 1, 1}));
        for (int i = 0; i < v.size(); i++) v.data()[i] = i + 1;
        assertNull(NonFinite.check(v, "input FLAIR", NonFinite.Policy.ERROR));
        v.set(1, 2, 1, Float.NaN);
        v.set(3, 0, 1, Float.POSITIVE_INFINITY);
        v.set(0, 1, 0, Float.NEGATIVE_INFINITY);
        try {
            NonFinite.check(v, "input FLAIR (f.nii)", NonFinite.Policy.ERROR);
            fail();
        } catch (NonFinite.NonFiniteException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("input FLAIR (f.nii): 1 NaN, 1 +Infinity, 1 -Infinity voxel(s) of 24"
                    + " (the first at voxel i,j,k = 0,1,0)"));
            assertTrue(e.getMessage(), e.getMessage().contains("--non-finite zero"));
        }
        float[] before = v.data().clone();
        String w = NonFinite.check(v, "input FLAIR", NonFinite.Policy.ZERO);
        assertTrue(w, w.contains("1 NaN, 1 +Infinity, 1 -Infinity") && w.contains("set to 0"));
        for (int i = 0; i < v.size(); i++) {
            assertEquals(Float.isFinite(before[i]) ? before[i] : 0f, v.data()[i], 0f);
        }
        assertEquals(NonFinite.Policy.ZERO, NonFinite.Policy.fromKey("Zero"));
        assertNull(NonFinite.Policy.fromKey("ignore"));
    }
}
