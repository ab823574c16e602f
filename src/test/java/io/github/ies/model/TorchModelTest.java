package io.github.ies.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import static org.junit.Assert.*;

/** The exported TorchScript bundle run through DJL reproduces the eager PyTorch model (fixture from Python). */
public class TorchModelTest {

    static ModelBundle bundle;
    static TorchModel model;

    @BeforeClass
    public static void load() throws Exception {
        TorchRuntime.configure(2);
        bundle = ModelBundle.load(Fixtures.tinyBundle());
        model = TorchModel.load(bundle, Device.cpu(), false);
        model.check();
    }

    @AfterClass
    public static void close() {
        if (model != null) model.close();
    }

    @Test
    public void forwardMatchesEagerModel() throws Exception {
        float[] x = Fixtures.floats("tiny-io/input.f32");
        float[] expected = Fixtures.floats("tiny-io/forward.f32");
        float[] got = model.forward(x, Fixtures.shape("tiny-io/input.f32"));
        assertEquals(expected.length, got.length);
        assertTrue("max |djl - eager| = " + Fixtures.maxAbsDiff(got, expected), Fixtures.maxAbsDiff(got, expected) < 1e-4);
        // the logits are not trivially small: the comparison means something
        double maxAbs = 0;
        for (float v : expected) maxAbs = Math.max(maxAbs, Math.abs(v));
        assertTrue(maxAbs > 0.05);
        assertEquals(2, model.outputChannels());
    }

    @Test
    public void forwardFeaturesMatchesEagerModelWithDelta() throws Exception {
        float[] x = Fixtures.floats("tiny-io/input.f32");
        float[] delta = Fixtures.floats("tiny-io/delta.f32");
        float[] expLogits = Fixtures.floats("tiny-io/ff_logits.f32");
        float[] expFeat = Fixtures.floats("tiny-io/ff_features.f32");
        float[] plain = Fixtures.floats("tiny-io/forward.f32");
        try (NDManager m = model.manager().newSubManager()) {
            NDArray xa = m.create(x, new Shape(Fixtures.shape("tiny-io/input.f32")));
            NDArray da = m.create(delta, new Shape(Fixtures.shape("tiny-io/delta.f32")));
            NDList out = model.forwardFeatures(xa, da, false);
            assertEquals(2, out.size());
            float[] logits = out.get(0).toFloatArray();
            float[] feats = out.get(1).toFloatArray();
            assertEquals(new Shape(Fixtures.shape("tiny-io/ff_features.f32")), out.get(1).getShape());
            assertTrue(Fixtures.maxAbsDiff(logits, expLogits) < 1e-4);
            assertTrue(Fixtures.maxAbsDiff(feats, expFeat) < 1e-4);
            // delta really flows downstream: logits differ from the plain forward pass
            assertTrue(Fixtures.maxAbsDiff(logits, plain) > 1e-3);
        }
    }

    @Test
    public void gradientsWithRespectToDeltaInEvalMode() throws Exception {
        // load with trainParam so autograd can record through the module; it must stay in eval mode
        try (TorchModel g = TorchModel.load(bundle, Device.cpu(), true);
             NDManager m = g.manager().newSubManager()) {
            float[] x = Fixtures.floats("tiny-io/input.f32");
            NDArray xa = m.create(x, new Shape(Fixtures.shape("tiny-io/input.f32")));
            NDArray delta = m.zeros(new Shape(Fixtures.shape("tiny-io/delta.f32")));
            delta.setRequiresGradient(true);
            NDList out;
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getEngine("PyTorch").newGradientCollector()) {
                out = g.forwardFeatures(xa, delta, true);
                // eval mode: the logits equal the no-grad forward (train-mode BatchNorm would change them)
                assertTrue(Fixtures.maxAbsDiff(out.get(0).toFloatArray(), Fixtures.floats("tiny-io/forward.f32")) < 1e-4);
                gc.backward(out.get(0).get(":, 1").sum());
            }
            float[] grad = delta.getGradient().toFloatArray();
            double norm = 0;
            for (float v : grad) norm += v * v;
            assertTrue("gradient w.r.t. delta is zero", norm > 0);
        }
    }

    /** The documented VJP recipe: JniUtils.backward with a cotangent and a kept graph; gradients accumulate. */
    @Test
    public void vectorJacobianProductWithKeptGraph() throws Exception {
        try (TorchModel g = TorchModel.load(bundle, Device.cpu(), true);
             NDManager m = g.manager().newSubManager()) {
            NDArray x = m.create(Fixtures.floats("tiny-io/input.f32"), new Shape(Fixtures.shape("tiny-io/input.f32")));
            x.setRequiresGradient(true);
            NDArray delta = m.zeros(new Shape(Fixtures.shape("tiny-io/delta.f32")));
            delta.setRequiresGradient(true);
            boolean before = ai.djl.pytorch.jni.JniUtils.isGradMode();
            ai.djl.pytorch.jni.JniUtils.setGradMode(true);
            try {
                NDList out = g.forwardFeatures(x, delta, true);
                NDArray cot = m.zeros(out.get(0).getShape());
                cot.set(new ai.djl.ndarray.index.NDIndex("0, 1, 5, 6, 7"), 1f);
                ai.djl.pytorch.jni.JniUtils.backward((ai.djl.pytorch.engine.PtNDArray) out.get(0),
                        (ai.djl.pytorch.engine.PtNDArray) cot, true, false);
                float[] g1 = x.getGradient().toFloatArray();
                ai.djl.pytorch.jni.JniUtils.backward((ai.djl.pytorch.engine.PtNDArray) out.get(0),
                        (ai.djl.pytorch.engine.PtNDArray) cot, true, false);
                float[] g2 = x.getGradient().toFloatArray();
                double n1 = 0, diff = 0;
                for (int i = 0; i < g1.length; i++) {
                    n1 += Math.abs(g1[i]);
                    diff = Math.max(diff, Math.abs(g2[i] - 2 * g1[i]));
                }
                assertTrue("input gradient is zero", n1 > 0);
                assertTrue("second VJP did not accumulate: " + diff, diff < 1e-5);
            } finally {
                ai.djl.pytorch.jni.JniUtils.setGradMode(before);
            }
        }
    }
}
