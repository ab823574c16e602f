package io.github.ies.geometry;

import io.github.ies.io.Geometry;
import org.junit.Test;

import java.util.Random;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * The display convention checked against the world coordinates themselves: whatever the voxel order of the file, a
 * step to the right on the screen of an axial or coronal view moves towards the patient's left (world -x), a step down
 * towards posterior (axial) or inferior (coronal, sagittal), a step right in a sagittal view towards posterior; and
 * the letters name those directions.
 */
public class DisplayOrientationTest {

    /** A geometry whose voxel axes are the world axes {@code perm} with signs {@code sign} (sform only), spacing 1, 2, 3. */
    static Geometry geometry(int[] perm, int[] sign) {
        double[] sp = {1, 2, 3};
        double[][] s = new double[3][4];
        for (int v = 0; v < 3; v++) s[perm[v]][v] = sign[v] * sp[v];
        s[0][3] = 10;
        s[1][3] = -20;
        s[2][3] = 5;
        return new Geometry(sp, 1, 0, Geometry.XFORM_SCANNER_ANAT, new double[3], new double[3], s, 2 | 8);
    }

    /** World direction (unit, per world axis) of one screen step along screen axis {@code s} of a view. */
    static double[] step(DisplayOrientation o, Geometry g, DisplayOrientation.Plane p, int[] dims, int s) {
        int[] a = {1, 1, 1}, b = {1, 1, 1};
        b[s] = 2;
        int[] va = o.voxel(p, dims, a[0], a[1], a[2]), vb = o.voxel(p, dims, b[0], b[1], b[2]);
        double[] wa = g.toWorld(va[0], va[1], va[2]), wb = g.toWorld(vb[0], vb[1], vb[2]);
        double[] d = new double[3];
        for (int i = 0; i < 3; i++) d[i] = Math.signum(Math.round(wb[i] - wa[i]));
        return d;
    }

    @Test
    public void everyAxisOrderShowsRadiologically() {
        int[][] perms = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}, {2, 1, 0}, {1, 0, 2}};
        int[] dims = {5, 6, 7};
        for (int[] perm : perms) {
            for (int signs = 0; signs < 8; signs++) {
                int[] sign = {(signs & 1) == 0 ? 1 : -1, (signs & 2) == 0 ? 1 : -1, (signs & 4) == 0 ? 1 : -1};
                Geometry g = geometry(perm, sign);
                DisplayOrientation o = DisplayOrientation.of(g);
                assertTrue(o.known());
                String what = "perm " + java.util.Arrays.toString(perm) + " sign " + java.util.Arrays.toString(sign) + " (" + o.codes() + ")";
                // axial: right -> towards L (-x), down -> towards P (-y), slices -> towards S (+z)
                assertArrayEquals(what, new double[] {-1, 0, 0}, step(o, g, DisplayOrientation.Plane.AXIAL, dims, 0), 0);
                assertArrayEquals(what, new double[] {0, -1, 0}, step(o, g, DisplayOrientation.Plane.AXIAL, dims, 1), 0);
                assertArrayEquals(what, new double[] {0, 0, 1}, step(o, g, DisplayOrientation.Plane.AXIAL, dims, 2), 0);
                // coronal: right -> L, down -> I
                assertArrayEquals(what, new double[] {-1, 0, 0}, step(o, g, DisplayOrientation.Plane.CORONAL, dims, 0), 0);
                assertArrayEquals(what, new double[] {0, 0, -1}, step(o, g, DisplayOrientation.Plane.CORONAL, dims, 1), 0);
                // sagittal: right -> P, down -> I
                assertArrayEquals(what, new double[] {0, -1, 0}, step(o, g, DisplayOrientation.Plane.SAGITTAL, dims, 0), 0);
                assertArrayEquals(what, new double[] {0, 0, -1}, step(o, g, DisplayOrientation.Plane.SAGITTAL, dims, 1), 0);
                assertArrayEquals(new String[] {"R", "L", "A", "P"}, o.letters(DisplayOrientation.Plane.AXIAL));
                assertArrayEquals(new String[] {"R", "L", "S", "I"}, o.letters(DisplayOrientation.Plane.CORONAL));
                assertArrayEquals(new String[] {"A", "P", "S", "I"}, o.letters(DisplayOrientation.Plane.SAGITTAL));
                // the view's spacing follows its axes
                double[] vs = o.viewSpacing(DisplayOrientation.Plane.AXIAL, g.spacing);
                int[] vd = o.viewDims(DisplayOrientation.Plane.AXIAL, dims);
                for (int s = 0; s < 3; s++) {
                    int v = o.axes(DisplayOrientation.Plane.AXIAL)[s].voxelAxis();
                    assertEquals(g.spacing[v], vs[s], 0);
                    assertEquals(dims[v], vd[s]);
                }
            }
        }
    }

    @Test
    public void axisCodesAsNibabelNamesThem() {
        assertEquals("RAS", DisplayOrientation.of(geometry(new int[] {0, 1, 2}, new int[] {1, 1, 1})).codes());
        assertEquals("LPS", DisplayOrientation.of(geometry(new int[] {0, 1, 2}, new int[] {-1, -1, 1})).codes());
        assertEquals("ASR", DisplayOrientation.of(geometry(new int[] {1, 2, 0}, new int[] {1, 1, 1})).codes());
        assertEquals("PIL", DisplayOrientation.of(geometry(new int[] {1, 2, 0}, new int[] {-1, -1, -1})).codes());
    }

    @Test
    public void aSlightlyObliqueScanUsesItsNearestAxes() {
        double c = Math.cos(0.2), s = Math.sin(0.2);
        double[][] sr = {{2 * c, -2 * s, 0, 0}, {2 * s, 2 * c, 0, 0}, {0, 0, 2, 0}};
        Geometry g = new Geometry(new double[] {2, 2, 2}, 1, 0, 1, new double[3], new double[3], sr, 10);
        assertEquals("RAS", DisplayOrientation.of(g).codes());
    }

    /**
     * A strongly oblique scan, where matching the strongest direction cosine first would name the axes IRP: nibabel
     * ({@code ornt2axcodes(io_orientation(A))}, Debian's nibabel) names them PRS, and so do run.json and the model
     * geometry ({@link Orientation#codes(double[][])}); the views follow the same axes.
     */
    @Test
    public void aStronglyObliqueScanIsNamedAsNibabelNamesIt() {
        double[][] r = {{0.521, 0.8329, -0.1867}, {-0.6534, 0.2483, -0.7151}, {-0.5493, 0.4946, 0.6736}};
        double[][] sr = new double[3][4];
        for (int w = 0; w < 3; w++) for (int v = 0; v < 3; v++) sr[w][v] = 2 * r[w][v];
        sr[0][3] = -90;
        sr[1][3] = 126;
        sr[2][3] = -72;
        Geometry g = new Geometry(new double[] {2, 2, 2}, 1, 0, 1, new double[3], new double[3], sr, 10);
        DisplayOrientation o = DisplayOrientation.of(g);
        assertEquals("PRS", o.codes());
        assertEquals(Orientation.codes(g.affine()), o.codes());
        // axial view: screen x runs along voxel axis 1 (R) against its index, screen y along voxel axis 0 (P) with it
        DisplayOrientation.Axis[] a = o.axes(DisplayOrientation.Plane.AXIAL);
        assertEquals(1, a[0].voxelAxis());
        assertTrue(a[0].flipped());
        assertEquals(0, a[1].voxelAxis());
        assertFalse(a[1].flipped());
        assertEquals(2, a[2].voxelAxis());
        assertFalse(a[2].flipped());
    }

    @Test
    public void noOrientationMeansVoxelOrderAndNoLetters() {
        DisplayOrientation o = DisplayOrientation.of(Geometry.spacingOnly(new double[] {1, 1, 1}));
        assertFalse(o.known());
        int[] dims = {4, 5, 6};
        assertArrayEquals(new int[] {1, 2, 3}, o.voxel(DisplayOrientation.Plane.AXIAL, dims, 1, 2, 3));
        assertArrayEquals(new String[] {"", "", "", ""}, o.letters(DisplayOrientation.Plane.AXIAL));
    }

    @Test
    public void toViewAndBackIsThePermutation() {
        int[] dims = {5, 6, 7};
        Random r = new Random(3);
        float[] d = new float[5 * 6 * 7];
        for (int i = 0; i < d.length; i++) d[i] = r.nextFloat();
        for (int[] perm : new int[][] {{0, 1, 2}, {2, 0, 1}}) {
            Geometry g = geometry(perm, new int[] {1, -1, 1});
            DisplayOrientation o = DisplayOrientation.of(g);
            for (DisplayOrientation.Plane p : DisplayOrientation.Plane.values()) {
                float[] view = o.toView(p, d, dims);
                int[] vd = o.viewDims(p, dims);
                // every view position holds the voxel voxel() names
                for (int z = 0; z < vd[2]; z += 2) for (int y = 0; y < vd[1]; y += 3) for (int x = 0; x < vd[0]; x++) {
                    int[] v = o.voxel(p, dims, x, y, z);
                    assertEquals(d[v[0] + dims[0] * (v[1] + dims[1] * v[2])], view[x + vd[0] * (y + vd[1] * z)], 0f);
                    assertArrayEquals(new int[] {x, y, z}, o.screen(p, dims, v));
                }
                assertArrayEquals(d, o.fromView(p, view, dims), 0f);
            }
        }
    }
}
