package io.github.ies.cli;

import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import io.github.ies.model.ProgressListener;
import io.github.ies.pipeline.ExplainJob;
import io.github.ies.saliency.SaliencyMethods;
import io.github.ies.saliency.SaliencySettings;
import org.junit.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * Issue 22: the explain progress stage covers the whole saliency time. Its 0 comes before the first lesion's
 * maps, its steps never go back, its total never changes, and its 100% comes after the last map (the whole-volume
 * class map included) and before the pipeline says how long the saliency took: nothing of the saliency time is
 * left after the bar is full.
 */
public class ExplainProgressTest extends CliTestBase {

    private static final int[] DIMS = {16, 20, 12};
    private static final Geometry GEOM = Geometry.axisAligned(new double[] {1, 1, 1.5}, new double[] {0, 0, 0});

    @Test
    public void theExplainStageEndsWithTheSaliency() throws Exception {
        Path f = tmp.getRoot().toPath().resolve("flair.nii.gz"), m = tmp.getRoot().toPath().resolve("mprage.nii.gz");
        Nifti.write(blob(DIMS, GEOM, 1), f, NiftiDataType.FLOAT32);
        Nifti.write(blob(DIMS, GEOM, 2), m, NiftiDataType.FLOAT32);
        Volume lab = Volume.zeros(DIMS, GEOM);
        for (int i = 6; i <= 8; i++) for (int j = 9; j <= 10; j++) lab.set(i, j, 6, 7f);
        lab.set(3, 4, 3, 2f);
        Path labels = tmp.getRoot().toPath().resolve("labels.nii.gz");
        Nifti.write(lab, labels, NiftiDataType.INT32);

        ExplainJob.Request q = new ExplainJob.Request();
        q.model = Path.of(tinyBundle());
        q.inputs.put("FLAIR", f);
        q.inputs.put("MPRAGE", m);
        q.labels = labels;
        q.out = tmp.getRoot().toPath().resolve("out");
        q.settings = SaliencySettings.builder().samples(2).methods(SaliencyMethods.parseList(SaliencyMethods.EVERY)).build();
        List<String> events = new ArrayList<>();
        ProgressListener progress = new ProgressListener() {
            @Override public void progress(String stage, long done, long total) {
                if (stage.equals("explain")) events.add("progress " + done + "/" + total);
            }
        };
        ExplainJob.run(q, progress, line -> events.add("log " + line));

        int first = -1, last = -1, saliencyLine = -1;
        long total = -1, previous = -1;
        for (int i = 0; i < events.size(); i++) {
            String e = events.get(i);
            if (e.startsWith("log saliency: ")) saliencyLine = i;
            if (!e.startsWith("progress ")) continue;
            String[] dt = e.substring(9).split("/");
            long done = Long.parseLong(dt[0]), t = Long.parseLong(dt[1]);
            if (first < 0) {
                first = i;
                assertEquals("the stage starts at 0: " + events, 0, done);
            } else {
                assertEquals("one total for the whole stage: " + events, total, t);
                assertTrue("steps never go back: " + events, done >= previous);
            }
            total = t;
            previous = done;
            last = i;
        }
        assertTrue(events.toString(), first >= 0 && saliencyLine > last);
        assertEquals("100% at the end: " + events, total, previous);
        // 2 lesions x (Grad-CAM++ + SmoothGrad) + the class map: more than one step, all inside the saliency time
        assertTrue(events.toString(), total >= 3);
        for (int i = last + 1; i < events.size(); i++) assertTrue("nothing after 100% but the summary: " + events, !events.get(i).startsWith("progress"));
    }
}
