package io.github.ies.saliency;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** Grad-CAM++ and trilinear upsampling against a direct NumPy/PyTorch evaluation (scripts/fixtures/make_gradcampp_fixtures.py). */
public class GradCamPlusPlusTest {

    private static JsonObject fx;
    private static int k, n;
    private static int[] shape;
    private static float[] a, g;

    @BeforeClass
    public static void load() throws Exception {
        try (var r = new InputStreamReader(GradCamPlusPlusTest.class.getResourceAsStream("/saliency/gradcampp.json"),
                StandardCharsets.UTF_8)) {
            fx = JsonParser.parseReader(r).getAsJsonObject();
        }
        k = fx.get("K").getAsInt();
        shape = ints(fx.getAsJsonArray("shape"));
        n = shape[0] * shape[1] * shape[2];
        a = floats(fx.getAsJsonArray("A"));
        g = floats(fx.getAsJsonArray("g"));
    }

    /**
     * The regime of the demo model's layer (docs/saliency.md, "Where the Grad-CAM++ map sits"): activations mostly
     * negative (a PReLU layer), so S_k < 0 and alpha = 1 / (2 + g S_k) turns negative once g S_k < -2. Worked by hand
     * from eqs. 8-10, one channel, four cells: the map is 0 where g <= 0 whatever A, 0 where g > 0 and A > 0 with
     * alpha < 0, and positive only where g > 0, alpha < 0 and A < 0 (two sign flips).
     */
    @Test
    public void negativeActivationsFlipTheSignOfAlpha() {
        float[] a = {-2f, 1f, -3f, -1f};          // S = -5
        float[] g = {-1f, 1f, 1f, 0.1f};
        float[] map = GradCamPlusPlus.instanceMap(a, g, 1, 4);
        assertEquals(0f, map[0], 0f);                                   // g < 0: ReLU(g) = 0
        // cell 1: alpha = 1 / (2 + 1 x (-5)) = -1/3, w = -1/3, w A = -1/3 -> ReLU: 0
        assertEquals(0f, map[1], 0f);
        // cell 2: alpha = -1/3, w A = (-1/3)(1)(-3) = 1
        assertEquals(1f, map[2], 1e-6f);
        // cell 3: alpha = 1 / (2 + 0.1 x (-5)) = 2/3 > 0, w A = (2/3)(0.1)(-1) < 0 -> 0
        assertEquals(0f, map[3], 0f);
    }

    @Test
    public void instanceMapMatchesNumpy() {
        assertClose(floats(fx.getAsJsonArray("instance")), GradCamPlusPlus.instanceMap(a, g, k, n), 1e-5);
    }

    @Test
    public void classWeightsAndMapMatchNumpy() {
        double[] w = GradCamPlusPlus.classWeights(a, g, k, n);
        JsonArray ew = fx.getAsJsonArray("class_weights");
        for (int c = 0; c < k; c++) assertEquals(ew.get(c).getAsDouble(), w[c], 1e-6 * Math.abs(ew.get(c).getAsDouble()) + 1e-9);
        assertClose(floats(fx.getAsJsonArray("class")), GradCamPlusPlus.classMap(a, g, k, n), 1e-5);
    }

    @Test
    public void instanceMapIsNonNegativeAndNotTrivial() {
        float[] m = GradCamPlusPlus.instanceMap(a, g, k, n);
        int positive = 0;
        for (float v : m) {
            assertTrue(v >= 0);
            if (v > 0) positive++;
        }
        assertTrue("map should not be all zero", positive > n / 4);
    }

    @Test
    public void zeroGradientGivesZeroAlpha() {
        assertEquals(0.0, GradCamPlusPlus.alpha(0.0, 5.0), 0);
        // denominator 2g^2 + g^3 S = 0 when S = -2/g
        assertEquals(0.0, GradCamPlusPlus.alpha(0.5, -4.0), 0);
        assertEquals(1.0 / (2 + 0.5 * 3.0), GradCamPlusPlus.alpha(0.5, 3.0), 1e-12);
    }

    @Test
    public void trilinearMatchesTorchInterpolate() {
        float[] inst = GradCamPlusPlus.instanceMap(a, g, k, n);
        for (var e : fx.getAsJsonArray("upsampled")) {
            JsonObject u = e.getAsJsonObject();
            int[] dst = ints(u.getAsJsonArray("shape"));
            assertClose(floats(u.getAsJsonArray("values")), Resample.trilinear(inst, shape, dst), 1e-5);
        }
    }

    @Test(expected = IllegalArgumentException.class)
    public void wrongLengthIsRejected() {
        GradCamPlusPlus.instanceMap(a, g, k + 1, n);
    }

    /** Element-wise agreement within tol relative to the largest magnitude of the expected map. */
    static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) {
            assertEquals("element " + i, expected[i], actual[i], tol * Math.max(scale, 1e-12));
        }
    }

    static float[] floats(JsonArray arr) {
        float[] f = new float[arr.size()];
        for (int i = 0; i < f.length; i++) f[i] = arr.get(i).getAsFloat();
        return f;
    }

    static int[] ints(JsonArray arr) {
        int[] f = new int[arr.size()];
        for (int i = 0; i < f.length; i++) f[i] = arr.get(i).getAsInt();
        return f;
    }
}
