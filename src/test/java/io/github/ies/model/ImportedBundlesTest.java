package io.github.ies.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.BeforeClass;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.Assert.*;

/**
 * Bundles made by the importers from synthetic mini models as MONAI and nnU-Net v2 write them
 * (scripts/fixtures/make_import_fixtures.py runs scripts/import_monai_bundle.py and scripts/import_nnunet.py): the
 * bundle's keys are read as the importers were meant to write them, and the TorchScript module, run through DJL on
 * (i, j, k) inputs, gives the original network's logits and explained-layer features in its own conventions (for
 * nnU-Net: inputs in (k, j, i) order permuted by transpose_forward, outputs back), within 1e-4 of their largest
 * magnitude.
 */
public class ImportedBundlesTest {

    @BeforeClass
    public static void start() {
        TorchRuntime.configure(2);
    }

    static Path dir(String name) {
        return io.github.ies.TestData.resource("/model/imported/" + name);
    }

    static float[] floats(Path p) throws Exception {
        return io.github.ies.TestData.float32(p);
    }

    static long[] shape(JsonArray a, boolean batch) {
        long[] s = new long[a.size() + (batch ? 1 : 0)];
        if (batch) s[0] = 1;
        for (int i = 0; i < a.size(); i++) s[i + (batch ? 1 : 0)] = a.get(i).getAsLong();
        return s;
    }

    static void assertClose(String what, float[] want, float[] got) {
        assertEquals(what + " length", want.length, got.length);
        double scale = 0, worst = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        assertTrue(what + ": reference all zero", scale > 0);
        assertTrue(what + ": " + worst + " > 1e-4 x " + scale, worst <= 1e-4 * scale);
    }

    /** Runs the bundle on the fixture's input and compares logits and features with the original network's. */
    static ModelBundle check(String name) throws Exception {
        Path d = dir(name);
        ModelBundle b = ModelBundle.load(d);
        JsonObject exp = JsonParser.parseString(Files.readString(d.resolve("check/expected.json"))).getAsJsonObject();
        JsonObject shapes = exp.getAsJsonObject("shapes");
        float[] x = floats(d.resolve("check/x.f32"));
        try (TorchModel m = TorchModel.load(b, Device.cpu(), false); NDManager sub = m.manager().newSubManager()) {
            NDArray xa = sub.create(x, new Shape(shape(shapes.getAsJsonArray("x"), true)));
            NDList out = m.forwardFeatures(xa, sub.zeros(new Shape(1)), false);
            assertEquals(name + " logits shape", new Shape(shape(shapes.getAsJsonArray("logits"), true)), out.get(0).getShape());
            assertEquals(name + " features shape (i, j, k order)", new Shape(shape(shapes.getAsJsonArray("features"), true)), out.get(1).getShape());
            assertClose(name + " logits", floats(d.resolve("check/logits.f32")), out.get(0).toFloatArray());
            assertClose(name + " features", floats(d.resolve("check/features.f32")), out.get(1).toFloatArray());
            assertClose(name + " forward", floats(d.resolve("check/logits.f32")), m.forward(x, shape(shapes.getAsJsonArray("x"), true)));
        }
        return b;
    }

    @Test
    public void monaiBundle() throws Exception {
        ModelBundle b = check("monai-unet");
        assertEquals(List.of("FLAIR", "T1"), b.inputs());
        assertEquals(Normalization.ZSCORE_NONZERO, b.normalization());
        assertArrayEquals(new int[] {16, 16, 16}, b.patchSize());
        assertEquals(0.5, b.overlap(), 0);
        assertEquals(Blending.GAUSSIAN, b.blending());
        assertEquals(Activation.SOFTMAX, b.activation());
        assertEquals(1, b.lesionChannel());
        assertEquals(0.5, b.threshold(), 0);
        assertEquals("RAS", b.geometry().orientation());
        assertArrayEquals(new double[] {1, 1, 1.2}, b.geometry().spacing(), 0);
        assertEquals("model.1.submodule.2", b.featureLayer());
    }

    @Test
    public void nnUNetFolder() throws Exception {
        ModelBundle b = check("nnunet-plainconv");
        assertEquals(List.of("CT", "FLAIR"), b.inputs());
        ChannelNormalization ct = b.normalizations().get(0);
        assertEquals(Normalization.CT, ct.scheme);
        assertEquals(45.5, ct.mean, 0);
        assertEquals(310.25, ct.std, 0);
        assertEquals(-980, ct.lower, 0);
        assertEquals(1800, ct.upper, 0);
        assertEquals(Normalization.ZSCORE_MASK, b.normalizations().get(1).scheme);
        // nnU-Net's patch [12, 16, 20] and spacing [3.0, 0.8, 0.9] in its (k, j, i) order permuted by [1, 0, 2]
        assertArrayEquals(new int[] {20, 12, 16}, b.patchSize());
        assertArrayEquals(new double[] {0.9, 3.0, 0.8}, b.geometry().spacing(), 0);
        assertNull("SimpleITKIO keeps the stored orientation", b.geometry().orientation());
        assertEquals(0.5, b.overlap(), 0);
        assertEquals(1, b.lesionChannel());
        assertEquals(4, b.json().get("alignment").getAsInt());
        assertTrue(b.json().get("receptive_field").isJsonNull());
    }
}
