package io.github.ies.pipeline;

import io.github.ies.instances.LesionColumns;
import io.github.ies.instances.LesionRow;
import io.github.ies.instances.LesionRows;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import io.github.ies.saliency.Box;
import io.github.ies.saliency.MapUnits;
import io.github.ies.saliency.SaliencyMethods;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The per-lesion channel share of lesions.csv against a hand computation, and the units in the map files' NIfTI description. */
public class ChannelShareTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    static LesionRow row(int id, int[] lo, int[] hi) {
        return new LesionRow(id, "TP", 1, 1, new double[3], new double[3], lo, hi, 0.9, 0.95f, false, Map.of());
    }

    @Test
    public void shareOfAbsoluteSmoothGradMaxInsideTheBox() {
        // maps on a 2x2x3 region at origin (10, 20, 30), C order (i slowest); the lesion's box is i 10..11, j 20, k 31..40
        Box region = new Box(new int[] {10, 20, 30}, new int[] {2, 2, 3});
        float[] flair = new float[12], t1 = new float[12];
        for (int i = 0; i < 12; i++) {
            flair[i] = 100;   // outside the box: must not count
            t1[i] = -100;
        }
        // inside: (a, b=0, c=1..2) for a = 0, 1 -> indices (a*2 + 0)*3 + c
        flair[1] = 3; flair[2] = -1; flair[7] = 2; flair[8] = 0;        // |.| sum 6
        t1[1] = -1; t1[2] = 0.5f; t1[7] = 0; t1[8] = 0.5f;              // |.| sum 2
        Map<String, Double> s = ExplainPipeline.channelShares(new float[][] {flair, t1}, region, row(1, new int[] {10, 20, 31}, new int[] {11, 20, 40}),
                List.of("flair", "t1"));
        assertEquals(0.75, s.get("flair"), 1e-12);
        assertEquals(0.25, s.get("t1"), 1e-12);
        // zero inside the box: undefined
        Map<String, Double> z = ExplainPipeline.channelShares(new float[][] {new float[12], new float[12]}, region,
                row(1, new int[] {10, 20, 31}, new int[] {11, 20, 40}), List.of("flair", "t1"));
        assertTrue(Double.isNaN(z.get("flair")));
    }

    @Test
    public void shareColumnsWrittenAndReadBack() throws Exception {
        LesionRows rows = new LesionRows(List.of(row(3, new int[3], new int[3]), row(5, new int[3], new int[3])));
        rows.addShareColumns(List.of("flair", "t1"));
        rows.setShares(3, Map.of("flair", 0.75, "t1", 0.25));
        LesionTable t = rows.table();
        assertEquals("smoothgrad_max_flair_share", LesionColumns.shareColumn("flair"));
        assertEquals("0.75", t.get(0, "smoothgrad_max_flair_share"));
        assertEquals("", t.get(1, "smoothgrad_max_t1_share"));
        Path p = tmp.getRoot().toPath().resolve("lesions.csv");
        rows.write(p);
        LesionRows back = LesionRows.read(p, List.of(), List.of("smoothgrad-max"));
        assertEquals(0.25, back.share(3, "t1"), 0);
        assertEquals(t.columns(), back.columns());
    }

    @Test
    public void mapFilesSayWhatTheirValuesAre() throws Exception {
        Volume v = Volume.zeros(new int[] {4, 4, 4}, Geometry.spacingOnly(new double[] {1, 1, 1}));
        Path p = tmp.getRoot().toPath().resolve("m.nii.gz");
        String d = MapUnits.descrip(SaliencyMethods.SMOOTHGRAD_MEAN, "flair", false);
        Nifti.write(v, p, NiftiDataType.FLOAT32, d);
        assertEquals(d, Nifti.readHeader(p).descrip);
        assertTrue(d, d.contains("[logit/input unit]") && d.contains("mean") && d.length() <= 79);
        assertTrue(MapUnits.descrip(SaliencyMethods.GRADCAMPP, "layer", false).endsWith("[logit]"));
    }
}
