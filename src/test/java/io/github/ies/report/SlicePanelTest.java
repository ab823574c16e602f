package io.github.ies.report;

import io.github.ies.geometry.DisplayOrientation;
import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The report's slices are radiological whatever the file's voxel order, and draw values with the colour bar's colours. */
public class SlicePanelTest {

    /** A 20^3 volume, 2 mm voxels, grey 50 (of a 0..100 window), whose voxel axes are RAS or LPS. */
    static Volume volume(boolean lps) {
        double[][] s = {{lps ? -2 : 2, 0, 0, 0}, {0, lps ? -2 : 2, 0, 0}, {0, 0, 2, 0}};
        Geometry g = new Geometry(new double[] {2, 2, 2}, 1, 0, 1, new double[3], new double[3], s, 10);
        Volume v = Volume.zeros(new int[] {20, 20, 20}, g);
        java.util.Arrays.fill(v.data(), 50f);
        return v;
    }

    /** The panel, without letters, ticks or scale bar, through the centre voxel (10, 10, 10), 1 px per mm. */
    static BufferedImage panel(Volume anatomy, Volume map, DisplayOrientation.Plane plane) {
        SlicePanel p = new SlicePanel();
        p.anatomy = anatomy;
        p.window = new double[] {0, 100};
        p.map = map;
        p.range = 10;
        p.plane = plane;
        p.through = new int[] {10, 10, 10};
        p.fovMm = 40;
        p.sizePx = 40;
        p.letters = false;
        p.ticks = false;
        p.scaleBar = false;
        BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        p.draw(g, 0, 0);
        g.dispose();
        return img;
    }

    @Test
    public void thePatientsRightIsOnTheLeftAndAnteriorAtTheTop() {
        for (boolean lps : new boolean[] {false, true}) {
            Volume a = volume(lps);
            Volume map = a.zerosLike();
            // a value 4 voxels (8 mm) towards the patient's right and anterior (world +x, +y) of the centre, in its axial slice
            int i = lps ? 6 : 14, j = lps ? 6 : 14;
            double[] w0 = a.geometry().toWorld(10, 10, 10), w = a.geometry().toWorld(i, j, 10);
            assertTrue(w[0] - w0[0] == 8 && w[1] - w0[1] == 8);
            map.set(i, j, 10, 10f);
            BufferedImage img = panel(a, map, DisplayOrientation.Plane.AXIAL);
            // centre voxel at pixels 19..20; 8 mm to the left and up: pixels 11..12
            assertEquals("lps " + lps, MapColours.over(0.5, 10, 10), new Color(img.getRGB(11, 11)));
            assertEquals("lps " + lps, MapColours.over(0.5, 10, 10), new Color(img.getRGB(12, 12)));
            assertEquals(MapColours.over(0.5, 0, 10), new Color(img.getRGB(28, 28)));
            assertEquals(MapColours.over(0.5, 0, 10), new Color(img.getRGB(28, 11)));   // not mirrored to the right
            // the coronal slice through j = 10 does not hold it
            BufferedImage cor = panel(a, map, DisplayOrientation.Plane.CORONAL);
            assertEquals(MapColours.over(0.5, 0, 10), new Color(cor.getRGB(11, 20)));
        }
    }

    @Test
    public void coloursFollowTheRangeAndTheTransparency() {
        assertEquals(new Color(0.5f, 0.5f, 0.5f), MapColours.over(0.5, 0.01, 1));               // below 2% of the range: the anatomy
        assertEquals(new Color(1f, 0.1f, 0f), MapColours.over(0.5, 0.1, 1));                     // 10%: opaque red
        assertEquals(new Color(0f, 1f, 1f), MapColours.over(0.5, -1, 1));                        // -range: cyan
        assertEquals(new Color(1f, 1f, 0f), MapColours.over(0.5, 3, 1));                        // beyond the range: clipped
        assertEquals(10.0, SlicePanel.niceLength(16), 0);
        assertEquals(5.0, SlicePanel.niceLength(9), 0);
        assertEquals("1.5e-05", SlicePanel.tick(1.5e-5));
        assertEquals("-11", SlicePanel.tick(-11.0));
    }
}
