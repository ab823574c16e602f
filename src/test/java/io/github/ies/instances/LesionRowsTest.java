package io.github.ies.instances;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

/** The typed lesion rows and their CSV view: the columns, the text, a round trip. */
public class LesionRowsTest {

    @Rule public TemporaryFolder tmp = new TemporaryFolder();

    private static final List<String> METHODS = List.of("smoothgrad-max", "smoothgrad-mean", "gradcampp", "class-gradcampp");

    /** An ies explain lesions.csv (rows of the demo subject: TP, an explained TP, an explained FN, a TN) read and written back byte for byte. */
    @Test
    public void knownAnswerFileReadsAndWritesBackByteForByte() throws Exception {
        Path fixture = Path.of("src/test/resources/instances/lesions-explain.csv");
        LesionRows rows = LesionRows.read(fixture, List.of(), METHODS);
        assertEquals(List.of(1, 2, 7, 23, 26), rows.ids());
        assertEquals(List.of(new PeakKey("smoothgrad-max", "flair"), new PeakKey("smoothgrad-max", "mprage"),
                new PeakKey("smoothgrad-mean", "flair"), new PeakKey("smoothgrad-mean", "mprage"), new PeakKey("gradcampp", "layer")),
                rows.peakKeys());
        LesionRow seven = rows.byId(7);
        assertEquals("TP", seven.category());
        assertEquals(106, seven.voxels());
        assertArrayEquals(new int[] {41, 65, 38}, seven.bboxMin());
        assertArrayEquals(new int[] {45, 70, 43}, seven.bboxMax());
        assertEquals(10.481605f, seven.peak(new PeakKey("smoothgrad-max", "flair")).pos(), 0f);
        assertEquals(-1.8852794f, seven.peak(new PeakKey("smoothgrad-max", "flair")).neg(), 0f);
        assertTrue(Float.isNaN(seven.peak(new PeakKey("gradcampp", "layer")).neg()));
        assertTrue(seven.explained());
        assertFalse(rows.byId(1).explained());
        assertNull(rows.byId(1).peak(new PeakKey("gradcampp", "layer")));
        assertEquals(LesionColumns.BASE, rows.columns().subList(0, LesionColumns.BASE.size()));
        Path out = tmp.getRoot().toPath().resolve("lesions.csv");
        rows.write(out);
        assertArrayEquals(Files.readAllBytes(fixture), Files.readAllBytes(out));
    }

    /** The header of the measurement columns, as every lesions.csv starts. */
    @Test
    public void baseHeaderIsTheKnownOne() {
        assertEquals("id,category,voxels,volume_mm3,centroid_i,centroid_j,centroid_k,centroid_x,centroid_y,centroid_z,bbox_i_min,bbox_j_min,"
                + "bbox_k_min,bbox_i_max,bbox_j_max,bbox_k_max,mean_probability,max_probability", String.join(",", LesionColumns.BASE));
        assertEquals(List.of("smoothgrad_max_t1_ce_peak_pos", "smoothgrad_max_t1_ce_peak_neg", "smoothgrad_max_t1_ce_peak_pos_se",
                "smoothgrad_max_t1_ce_peak_neg_se"), LesionColumns.peakColumns(new PeakKey("smoothgrad-max", "t1-ce"), true));
        assertEquals(List.of("gradcampp_layer_peak_pos"), LesionColumns.peakColumns(new PeakKey("gradcampp", "layer"), false));
    }

    /** Rows -> CSV -> rows: equal, standard errors, undefined values and a channel with '-' (split by the known maps) included. */
    @Test
    public void roundTripKeepsTheRows() throws Exception {
        PeakKey sg = new PeakKey("smoothgrad-mean", "t1-ce"), gc = new PeakKey("gradcampp", "layer");
        LesionRow a = new LesionRow(3, "TP", 12, 96.0, new double[] {1.5, 2.25, 3.0}, new double[] {-4.5, 0.125, 7.0},
                new int[] {0, 1, 2}, new int[] {3, 4, 5}, 0.5, 0.875f, false, Map.of());
        LesionRow b = new LesionRow(9, "", 1, 8.0, new double[] {4.0, 5.0, 6.0}, new double[] {1.0, 2.0, 3.0},
                new int[] {4, 5, 6}, new int[] {4, 5, 6}, Double.NaN, Float.NaN, false, Map.of());
        LesionRows rows = new LesionRows(List.of(a, b));
        rows.addPeakColumns(sg, true);
        rows.addPeakColumns(gc, false);
        rows.setPeak(3, sg, new Peak(0.1f, -2.5e-7f, 0.01f, 0f));
        rows.setPeak(3, gc, Peak.of(1.14374365E-4f, Float.NaN));
        Path csv = tmp.getRoot().toPath().resolve("lesions.csv");
        rows.write(csv);
        String text = Files.readString(csv);
        assertTrue(text, text.endsWith("\r\n9,,1,8.0,4.0,5.0,6.0,1.0,2.0,3.0,4,5,6,4,5,6,,,,,,,\r\n"));
        LesionRows back = LesionRows.read(csv, List.of(sg), METHODS);
        assertEquals(rows.rows(), back.rows());
        assertEquals(rows.peakColumns(), back.peakColumns());
        assertEquals(rows.columns(), back.columns());
        // without the map files the channel's '-' cannot be told from '_'
        assertEquals(new PeakKey("smoothgrad-mean", "t1_ce"), LesionRows.read(csv, List.of(), METHODS).peakKeys().get(0));
    }

    /** A table lacking measurement columns (an older or hand-made one) reads with those undefined and writes only what it has. */
    @Test
    public void partialTableKeepsItsColumns() {
        LesionTable t = new LesionTable(List.of("id", "category", "smoothgrad_max_flair_peak_pos", "smoothgrad_max_flair_peak_neg"));
        t.addRow(1, "FN", 0.5f, -0.25f);
        t.addRow(2, "TN", null, null);
        LesionRows rows = LesionRows.of(t, List.of(), METHODS);
        assertEquals(-1, rows.get(0).voxels());
        assertNull(rows.get(0).bboxMin());
        assertEquals(Peak.of(0.5f, -0.25f), rows.get(0).peak(new PeakKey("smoothgrad-max", "flair")));
        assertFalse(rows.get(1).explained());
        assertEquals(t.columns(), rows.columns());
        assertEquals("0.5", rows.table().get(0, "smoothgrad_max_flair_peak_pos"));
        assertEquals("", rows.table().get(1, "smoothgrad_max_flair_peak_neg"));
    }
}
