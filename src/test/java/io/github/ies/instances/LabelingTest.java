package io.github.ies.instances;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.util.List;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;

public class LabelingTest {

    /** Three components of sizes 1, 8 and 3, in raster order of first voxels. */
    static Volume threeComponents(Geometry g) {
        Volume v = Volume.zeros(new int[] {10, 8, 6}, g);
        v.set(5, 0, 0, 1); // id 1: single voxel, first in raster order
        for (int k = 2; k < 4; k++) for (int j = 2; j < 4; j++) for (int i = 1; i < 3; i++) v.set(i, j, k, 1); // id 3
        for (int i = 6; i < 9; i++) v.set(i, 7, 1, 1); // id 2: a 3-voxel line at k = 1
        return v;
    }

    @Test
    public void instanceTable() {
        Geometry g = Geometry.axisAligned(new double[] {0.5, 1.0, 2.0}, new double[] {1, 2, 3});
        Labeling l = ConnectedComponents.label(threeComponents(g), Connectivity.SIX);
        assertEquals(3, l.count());
        List<Instance> in = l.instances(g);
        assertEquals(1, in.get(0).voxels);
        assertEquals(3, in.get(1).voxels);
        assertEquals(8, in.get(2).voxels);
        assertEquals(8 * 1.0, in.get(2).volumeMm3, 1e-12);
        assertArrayEquals(new int[] {1, 2, 2}, in.get(2).bboxMin);
        assertArrayEquals(new int[] {2, 3, 3}, in.get(2).bboxMax);
        assertArrayEquals(new double[] {1.5, 2.5, 2.5}, in.get(2).centroidVoxel, 1e-12);
        // world = spacing * (voxel - origin)
        assertArrayEquals(new double[] {0.25, 0.5, -1.0}, in.get(2).centroidWorld, 1e-12);
        assertArrayEquals(new double[] {7, 7, 1}, in.get(1).centroidVoxel, 1e-12);
        assertArrayEquals(new int[] {6, 7, 1}, in.get(1).bboxMin);
        assertArrayEquals(new int[] {8, 7, 1}, in.get(1).bboxMax);
    }

    @Test
    public void minVoxelsFilterKeepsOrderAndRenumbers() {
        Geometry g = Geometry.spacingOnly(new double[] {1, 1, 1});
        Volume v = threeComponents(g);
        Labeling l = ConnectedComponents.label(v, Connectivity.SIX);
        assertSame(l, l.withMinVoxels(1));
        Labeling f = l.withMinVoxels(3);
        assertEquals(2, f.count());
        assertEquals(3, f.voxels(1));
        assertEquals(8, f.voxels(2));
        assertEquals(v.size() - 11, f.voxels(0));
        assertEquals(0, f.labels()[v.index(5, 0, 0)]);
        assertEquals(1, f.labels()[v.index(7, 7, 1)]);
        assertEquals(2, f.labels()[v.index(1, 2, 2)]);
        Labeling g4 = l.withMinVoxels(4);
        assertEquals(1, g4.count());
        assertEquals(1, g4.labels()[v.index(2, 3, 3)]);
        assertEquals(0, l.withMinVoxels(9).count());
        assertEquals(0, l.withMinVoxels(9).foregroundVoxels());
        // the label volume carries ids (offset applied) and the geometry
        Volume lv = f.toVolume(g, 10);
        assertEquals(11f, lv.get(7, 7, 1), 0f);
        assertEquals(12f, lv.get(1, 2, 2), 0f);
        assertEquals(0f, lv.get(5, 0, 0), 0f);
        assertSame(g, lv.geometry());
    }

    @Test
    public void fromLabelVolumeKeepsIds() {
        Geometry g = Geometry.spacingOnly(new double[] {1, 1, 1});
        Volume v = Volume.zeros(new int[] {5, 4, 3}, g);
        v.set(1, 1, 1, 7);
        v.set(2, 1, 1, 7);
        v.set(4, 3, 2, 3);
        Labeling l = Labeling.fromLabelVolume(v, Connectivity.EIGHTEEN);
        assertEquals(7, l.count());
        assertEquals(2, l.voxels(7));
        assertEquals(0, l.voxels(5));
        List<Instance> in = l.instances(g);
        assertEquals(2, in.size());
        assertEquals(3, in.get(0).id);
        assertEquals(7, in.get(1).id);
        assertArrayEquals(new double[] {1.5, 1, 1}, in.get(1).centroidVoxel, 1e-12);
        v.set(0, 0, 0, 2.5f);
        try {
            Labeling.fromLabelVolume(v, Connectivity.EIGHTEEN);
            throw new AssertionError("expected an error");
        } catch (IllegalArgumentException e) {
            org.junit.Assert.assertTrue(e.getMessage().contains("2.5"));
        }
    }
}
