package io.github.ies.fiji;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ShortProcessor;
import io.github.ies.io.Fixtures;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.junit.Test;

/** Volume <-> ImagePlus (headless). */
public class VolumeImagesTest {

    /** The world coordinates of the voxel at a view position. */
    static double[] worldAt(Volume v, io.github.ies.geometry.DisplayOrientation o, int x, int y, int z) {
        int[] vx = o.voxel(io.github.ies.geometry.DisplayOrientation.Plane.AXIAL, v.dims(), x, y, z);
        return v.geometry().toWorld(vx[0], vx[1], vx[2]);
    }

    @Test
    public void roundTripKeepsDataDimsCalibrationAndGeometry() throws Exception {
        // a real FSL file: oblique sform/qform, codes 1/1, qfac -1, 2 x 2 x 2.2 mm
        Volume v = Nifti.read(Fixtures.dir().resolve("real/example4d.nii.gz"), 1);
        ImagePlus imp = VolumeImages.toImagePlus(v, "example4d");
        io.github.ies.geometry.DisplayOrientation o = io.github.ies.geometry.DisplayOrientation.of(v.geometry());
        assertEquals("LAS", o.codes());
        // radiological axial view: x = -i (i runs to the patient's left here, so the right is on the left) ... as the orientation says
        assertEquals(128, imp.getWidth());
        assertEquals(96, imp.getHeight());
        assertEquals(24, imp.getNSlices());
        assertEquals("axial radiological from LAS", imp.getProp(VolumeImages.DISPLAY_PROPERTY));
        assertEquals(1, imp.getNChannels());
        assertEquals(1, imp.getNFrames());
        assertEquals(ImagePlus.GRAY32, imp.getType());
        assertEquals(2.0, imp.getCalibration().pixelWidth, 1e-7);
        assertEquals(2.0, imp.getCalibration().pixelHeight, 1e-7);
        assertEquals(2.2, imp.getCalibration().pixelDepth, 1e-6);
        assertEquals("mm", imp.getCalibration().getUnit());
        // voxel (i, j, k) is where the convention puts it: a step right on the screen goes towards the patient's left
        // (world -x), a step down towards posterior (world -y), a step to the next slice towards superior (world +z)
        int i = 77, j = 41, k = 13;
        int[] p = o.screen(io.github.ies.geometry.DisplayOrientation.Plane.AXIAL, v.dims(), new int[] {i, j, k});
        imp.setSlice(p[2] + 1);
        assertEquals(v.get(i, j, k), imp.getProcessor().getf(p[0], p[1]), 0f);
        double[][] w = {worldAt(v, o, p[0], p[1], p[2]), worldAt(v, o, p[0] + 1, p[1], p[2]), worldAt(v, o, p[0], p[1] + 1, p[2]),
            worldAt(v, o, p[0], p[1], p[2] + 1)};
        assertTrue(w[1][0] < w[0][0] - 1.5);
        assertTrue(w[2][1] < w[0][1] - 1.5);
        assertTrue(w[3][2] > w[0][2] + 1.5);
        // labelled: the four orientation letters and a scale bar in the overlay
        java.util.Set<String> texts = new java.util.HashSet<>();
        for (ij.gui.Roi r : imp.getOverlay().toArray()) if (r instanceof ij.gui.TextRoi) texts.add(((ij.gui.TextRoi) r).getText().trim());
        assertTrue(texts.toString(), texts.containsAll(java.util.List.of("R", "L", "A", "P")) && texts.stream().anyMatch(t -> t.endsWith(" mm")));

        Volume back = VolumeImages.toVolume(imp);
        assertArrayEquals(v.dims(), back.dims());
        assertArrayEquals(v.data(), back.data(), 0f);
        Geometry a = v.geometry(), b = back.geometry();
        assertEquals(a.qformCode, b.qformCode);
        assertEquals(a.sformCode, b.sformCode);
        assertEquals(a.qfac, b.qfac, 0);
        assertEquals(a.xyztUnits, b.xyztUnits);
        assertArrayEquals(a.spacing, b.spacing, 0);
        assertArrayEquals(a.quatern, b.quatern, 0);
        assertArrayEquals(a.qoffset, b.qoffset, 0);
        for (int r = 0; r < 3; r++) assertArrayEquals(a.srow[r], b.srow[r], 0);
        assertTrue(a.sameAffine(b, 0));
        // the copy is independent of the volume
        imp.getStack().getProcessor(1).setf(0, 0, 12345f);
        assertTrue(v.get(0, 0, 0) != 12345f);
    }

    @Test
    public void imageWithoutGeometryUsesCalibration() {
        ImageStack st = new ImageStack(3, 2);
        for (int k = 0; k < 4; k++) {
            ShortProcessor sp = new ShortProcessor(3, 2);
            for (int p = 0; p < 6; p++) sp.set(p, 100 * k + p);
            st.addSlice(sp);
        }
        ImagePlus imp = new ImagePlus("plain", st);
        imp.getCalibration().pixelWidth = 0.5;
        imp.getCalibration().pixelHeight = 0.75;
        imp.getCalibration().pixelDepth = 3;
        imp.getCalibration().setUnit("mm");
        Volume v = VolumeImages.toVolume(imp);
        assertArrayEquals(new int[] {3, 2, 4}, v.dims());
        assertEquals(302f, v.get(2, 0, 3), 0f);
        assertEquals(105f, v.get(2, 1, 1), 0f);
        assertArrayEquals(new double[] {0.5, 0.75, 3}, v.spacing(), 0);
        // issue 20: the display convention is assumed (x to the patient's left, y to posterior, slices upwards: LPS),
        // the volume's centre at the world origin, in sform and qform alike
        double[][] a = v.affine();
        assertArrayEquals(new double[] {-0.5, 0, 0, 0.5}, a[0], 0);
        assertArrayEquals(new double[] {0, -0.75, 0, 0.375}, a[1], 0);
        assertArrayEquals(new double[] {0, 0, 3, -4.5}, a[2], 0);
        double[][] q = v.geometry().qformAffine();
        for (int r = 0; r < 3; r++) assertArrayEquals(a[r], q[r], 1e-12);
        assertEquals("LPS", io.github.ies.geometry.DisplayOrientation.of(v.geometry()).codes());
        String note = VolumeImages.assumption(imp, "flair");
        assertTrue(note, note.startsWith("flair 'plain' has no NIfTI geometry: assumed") && note.contains("LPS") && note.contains("0.5 x 0.75 x 3 mm from its calibration"));
        // shown in Fiji, it is its own view: the view of the assumed geometry keeps the voxels where they are
        ViewSpace view = VolumeImages.viewOf(imp);
        assertArrayEquals(new int[] {3, 2, 4}, view.viewDims());
        assertArrayEquals(v.data(), view.toView(v.data()), 0f);
        // uncalibrated: 1 mm, and the line says so
        ImagePlus raw = new ImagePlus("raw", st);
        assertArrayEquals(new double[] {1, 1, 1}, VolumeImages.toVolume(raw).spacing(), 0);
        assertTrue(VolumeImages.assumption(raw, "mprage").contains("uncalibrated: 1 mm assumed"));
    }

    @Test
    public void hyperstackIsRefused() {
        ImageStack st = new ImageStack(2, 2);
        for (int n = 0; n < 4; n++) st.addSlice(new ShortProcessor(2, 2));
        ImagePlus imp = new ImagePlus("hyper", st);
        imp.setDimensions(2, 2, 1);
        try {
            VolumeImages.toVolume(imp);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("2 channels"));
        }
    }

    @Test
    public void geometryJsonRoundTripsExactly() {
        Geometry g = new Geometry(new double[] {0.1 + 0.2, 1.0 / 3, Math.PI}, -1, 2, 4, new double[] {0.1, -0.2, 0.3},
                new double[] {1e-17, -126.75, 7.123456789012345}, new double[][] {{1, 2, 3, 4}, {5, 6, 7, 8},
                {9, 10, 11, Math.E}}, 10);
        Geometry h = VolumeImages.geometryFromJson(VolumeImages.geometryToJson(g));
        assertArrayEquals(g.spacing, h.spacing, 0);
        assertArrayEquals(g.qoffset, h.qoffset, 0);
        assertArrayEquals(g.srow[2], h.srow[2], 0);
        assertEquals(g.qfac, h.qfac, 0);
        try {
            VolumeImages.geometryFromJson("{\"spacing\": [1, 2]}");
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("nifti.geometry"));
        }
    }
}
