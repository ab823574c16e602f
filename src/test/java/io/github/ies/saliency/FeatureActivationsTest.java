package io.github.ies.saliency;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.ies.model.Autograd;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.TorchModel;
import io.github.ies.model.TorchRuntime;
import org.junit.Test;

import java.nio.file.Path;
import java.util.Random;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The engine's count of negative activations of the explained layer (recorded in run.json for the report's
 * Grad-CAM++ caveat) against a separate no-grad forward pass of the same input, counted here.
 */
public class FeatureActivationsTest {

    @Test
    public void handBuiltCounts() {
        ActivationSigns s = new ActivationSigns();
        assertTrue(Double.isNaN(s.negativeFraction()));
        s.add(new float[] {-1f, 0f, 2f, -0.5f, 3f}, 0, 5);   // 2 of 5 negative (0 is not)
        s.add(new float[] {9f, -1f, -2f}, 1, 3);               // 2 of 2
        assertEquals(7, s.values());
        assertEquals(4, s.negative());
        assertEquals(4.0 / 7, s.negativeFraction(), 0);
    }

    @Test
    public void classGradCamCountsTheLayersNegativeActivations() throws Exception {
        TorchRuntime.configure(2);
        try (TorchModel tiny = TorchModel.load(ModelBundle.load(Path.of(FeatureActivationsTest.class.getResource("/model/tiny-bundle").toURI())),
                Device.cpu(), true)) {
            int c = tiny.bundle().inputCount();
            int[] dims = {16, 16, 16};
            float[] x = new float[c * 16 * 16 * 16];
            Random r = new Random(7);
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            SaliencySettings.Builder o = SaliencySettings.builder();
            o.methods(Set.of(SaliencyMethods.CLASS_GRADCAMPP));
            o.threshold(0.0);                                  // every voxel counts: the backward pass runs
            SaliencyEngine e = new SaliencyEngine(tiny, o.build());
            e.classGradCam(x, dims);
            ActivationSigns signs = e.featureActivations();
            // independently: the layer's output for the whole (aligned, zero-padded) volume, no autograd
            Box box = new ContextGeometry(e.alignment(), null, o.build(), tiny.bundle().patchSize()).wholeVolume(dims);
            long neg = 0, all = 0;
            try (Autograd ag = Autograd.disabled(tiny); NDManager m = tiny.manager().newSubManager()) {
                NDList out = tiny.forwardFeatures(tiny.input(m, box.extract(x, c, dims), 1, box.size(), false), m.zeros(new Shape(1)), false);
                for (float v : out.get(1).toFloatArray()) {
                    all++;
                    if (v < 0) neg++;
                }
            }
            assertEquals(all, signs.values());
            assertEquals(neg, signs.negative());
            assertTrue("the tiny model's layer has both signs: " + neg + " of " + all, neg > 0 && neg < all);
        }
    }
}
