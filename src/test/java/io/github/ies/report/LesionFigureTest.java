package io.github.ies.report;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The lesion figure: world coordinates through the affine, one cut for every row, the outline's colour, the report's number format. */
public class LesionFigureTest {

    @Test
    public void worldCoordinatesThroughTheAffine() {
        // LPS-stored voxels, 2 x 2 x 3 mm, origin (90, 126, -72): x = -2 i + 90, y = -2 j + 126, z = 3 k - 72
        double[][] s = {{-2, 0, 0, 90}, {0, -2, 0, 126}, {0, 0, 3, -72}};
        Geometry g = new Geometry(new double[] {2, 2, 3}, 1, 0, 1, new double[3], new double[3], s, 10);
        Volume v = Volume.zeros(new int[] {90, 110, 50}, g);
        assertEquals("voxel (45, 60, 20) = (0.0, 6.0, -12.0) mm", LesionFigure.where(v, new int[] {45, 60, 20}));
    }

    @Test
    public void everyRowCutsThroughTheSamePointWithAMagentaOutline() {
        Volume an = SlicePanelTest.volume(false);
        Volume a = an.zerosLike(), b = an.zerosLike();
        a.set(2, 2, 2, 5f);          // peaks far apart: the rows would differ if each were cut through its own peak
        b.set(17, 17, 17, -5f);
        boolean[] lesion = new boolean[an.size()];
        for (int i = 9; i <= 11; i++) for (int j = 9; j <= 11; j++) for (int k = 9; k <= 11; k++) lesion[an.index(i, j, k)] = true;
        List<LesionFigure.Row> rows = List.of(new LesionFigure.Row("A", an, new double[] {0, 100}, a, 5, true, "all", "u", null),
                new LesionFigure.Row("B", an, new double[] {0, 100}, b, 5, true, "all", "u", null));
        BufferedImage img = LesionFigure.render(rows, lesion, new int[] {10, 10, 10}, "the centroid", 40);
        int top = LesionFigure.OVERVIEW + LesionFigure.ROW_GAP + LesionFigure.HEAD + LesionFigure.ROW_LABEL;
        int rowH = LesionFigure.ROW_LABEL + LesionFigure.PANEL + LesionFigure.ROW_GAP;
        int outline = LesionFigure.OUTLINE.getRGB() & 0xffffff;
        for (int p = 0; p < 3; p++) {
            int x0 = LesionFigure.LEFT + p * (LesionFigure.PANEL + LesionFigure.GAP);
            int n0 = 0, n1 = 0;
            for (int y = 0; y < LesionFigure.PANEL; y++) for (int x = 0; x < LesionFigure.PANEL; x++) {
                if ((img.getRGB(x0 + x, top + y) & 0xffffff) == outline) n0++;
                if ((img.getRGB(x0 + x, top + rowH + y) & 0xffffff) == outline) n1++;
            }
            assertTrue("panel " + p + " shows the outline", n0 > 0);
            assertEquals("panel " + p + ": both rows cut the lesion the same way", n0, n1);
        }
    }

    @Test
    public void oneNumberFormat() {
        assertEquals("4.739e-5", HtmlReport.short4("4.739123E-5"));
        assertEquals("1.144e-4", HtmlReport.short4("0.0001144"));
        assertEquals("0.2043", HtmlReport.short4("0.20431"));
        assertEquals("12.5", HtmlReport.short4("12.50"));
        assertEquals("7", HtmlReport.short4("7"));
        assertEquals("cat-none", HtmlReport.catClass(""));
        assertEquals("cat-none", HtmlReport.catClass("no category"));
        assertEquals("cat-TP", HtmlReport.catClass("TP"));
    }
}
