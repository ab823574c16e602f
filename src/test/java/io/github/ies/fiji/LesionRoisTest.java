package io.github.ies.fiji;

import ij.gui.OvalRoi;
import ij.gui.Roi;
import org.junit.Test;

import java.util.List;

import static org.junit.Assert.*;

public class LesionRoisTest {

    @Test
    public void roisBecomeLabelsForUserDrawnRegions() {
        int[] dims = {20, 16, 6};
        Roi known = new Roi(2, 3, 3, 2);                 // a lesion ROI: keeps id 7, on slice k = 4
        known.setName("lesion 007 (TP)");
        known.setPosition(0, 5, 1);
        Roi drawn = new OvalRoi(10, 8, 5, 5);            // a region a user drew on slice k = 1: a new id
        drawn.setPosition(0, 2, 1);
        Roi g1 = new Roi(0, 0, 2, 2), g2 = new Roi(18, 14, 2, 2);   // one group on slice 0 and 2: one id
        g1.setGroup(4);
        g1.setPosition(0, 1, 1);
        g2.setGroup(4);
        g2.setPosition(0, 3, 1);
        int[] lab = LesionRois.toViewLabels(List.of(known, drawn, g1, g2), dims);
        int plane = 20 * 16;
        assertEquals(7, lab[4 * plane + 3 * 20 + 2]);
        assertEquals(0, lab[3 * plane + 3 * 20 + 2]);
        int drawnId = lab[plane + 10 * 20 + 12];
        assertEquals(8, drawnId);                         // above all known ids
        int n = 0;
        for (int v : lab) if (v == drawnId) n++;
        assertEquals(drawn.getContainedPoints().length, n);
        assertEquals(9, lab[0]);
        assertEquals(9, lab[2 * plane + 15 * 20 + 19]);
        // and back: ROIs of those labels contain exactly the labelled pixels
        io.github.ies.instances.LesionTable t = new io.github.ies.instances.LesionTable(List.of("id", "category"));
        t.addRow(7, "TP");
        t.addRow(8, "");
        // a voxel-order view (no orientation in the header): view = NIfTI order
        ViewSpace view = new ViewSpace(io.github.ies.io.Geometry.spacingOnly(new double[] {1, 1, 1}), dims);
        assertArrayEquals(lab, LesionRois.toLabels(List.of(known, drawn, g1, g2), view));
        List<Roi> rois = LesionRois.build(lab, view, io.github.ies.instances.LesionRows.of(t, List.of(), List.of()));
        assertEquals(2, rois.size());
        assertEquals("lesion 007 (TP) slice 5", rois.get(0).getName());
        assertEquals(5, rois.get(0).getZPosition());
        assertEquals(6, rois.get(0).getContainedPoints().length);
        assertEquals("lesion 008 slice 2", rois.get(1).getName());
        assertEquals(n, rois.get(1).getContainedPoints().length);
        assertEquals(8, LesionRois.idOf(rois.get(1)));
    }
}
