package io.github.ies.analysis;

import io.github.ies.instances.InstanceAnalysis;
import io.github.ies.instances.InstanceParams;
import io.github.ies.instances.InstanceResult;
import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The experiments' ground-truth lesions take the ids the instance analysis (segment, explain) gives them. */
public class ExplainIdsTest {

    static void box(Volume v, int i0, int j0, int k0, int n, float value) {
        for (int k = k0; k < k0 + n; k++) for (int j = j0; j < j0 + n; j++) for (int i = i0; i < i0 + n; i++) v.set(i, j, k, value);
    }

    @Test
    public void groundTruthLesionsTakeTheirTpAndFnIds() {
        int[] d = {30, 30, 10};
        Geometry g = Geometry.axisAligned(new double[] {1, 1, 1}, new double[3]);
        Volume pred = Volume.zeros(d, g), gt = Volume.zeros(d, g);
        box(pred, 2, 2, 2, 3, 1);       // predicted instance 1: no ground truth (FP)
        box(pred, 10, 10, 2, 3, 1);     // predicted instance 2: covers ground-truth lesion A
        box(gt, 11, 11, 3, 3, 1);       // A (27 voxels), the TP of instance 2
        box(gt, 20, 20, 5, 2, 1);       // B: missed, FN
        box(gt, 25, 2, 5, 2, 1);        // C: missed, FN
        InstanceResult ir = InstanceAnalysis.run(null, pred, gt, null, null, InstanceParams.defaults().withTnSpheres(0));
        assertEquals(4, ir.rows().table().rowCount());          // 2 predicted, 2 FN
        List<String> w = new ArrayList<>();
        Volume ids = ExplainIds.renumber(ContextExperiment.componentsOf(gt), ir, w);
        assertTrue(w.toString(), w.isEmpty());
        assertEquals(2f, ids.get(12, 12, 4), 0f);
        // the FN ids of the table: m + 1 .. in ground-truth raster order (C comes first: it starts at a lower j)
        int fnC = -1, fnB = -1;
        for (int r = 0; r < 4; r++) {
            if (!"FN".equals(ir.rows().table().get(r, "category"))) continue;
            int id = ir.rows().table().getInt(r, "id");
            boolean[] m = ir.mask(id);
            if (m[ids.index(25, 2, 5)]) fnC = id;
            if (m[ids.index(20, 20, 5)]) fnB = id;
        }
        assertEquals(fnC, (int) ids.get(25, 2, 5));
        assertEquals(fnB, (int) ids.get(20, 20, 5));
        assertEquals(0f, ids.get(3, 3, 3), 0f);        // the FP is no ground-truth lesion
        // two ground-truth lesions under one instance: the second gets a new id, with a warning
        Volume gt2 = gt.copy();
        box(gt2, 10, 10, 2, 1, 1);       // a second lesion inside instance 2, apart from A
        ir = InstanceAnalysis.run(null, pred, gt2, null, null, InstanceParams.defaults().withTnSpheres(0));
        ids = ExplainIds.renumber(ContextExperiment.componentsOf(gt2), ir, w);
        assertEquals(1, w.size());
        assertTrue(w.get(0), w.get(0).contains("both overlap instance 2"));
        assertEquals(5f, ids.get(10, 10, 2), 0f);        // after the table's ids 1..4
        assertEquals(2f, ids.get(12, 12, 4), 0f);
    }
}
