package io.github.ies.model;

import ai.djl.Device;
import com.google.gson.JsonObject;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.List;

import static org.junit.Assert.*;

public class SlidingWindowTest {

    static TorchModel model;

    @BeforeClass
    public static void load() throws Exception {
        TorchRuntime.configure(2);
        model = TorchModel.load(ModelBundle.load(Fixtures.tinyBundle()), Device.cpu(), false);
    }

    @AfterClass
    public static void close() {
        if (model != null) model.close();
    }

    private static SlidingWindow.Predictor predictor(int cin, int[] p) {
        return (batch, b) -> model.forward(batch, new long[] {b, cin, p[0], p[1], p[2]});
    }

    /** Normalisation and blended logits/probabilities agree with the Python re-implementation of MONAI's rule. */
    @Test
    public void agreesWithMonaiReimplementation() throws Exception {
        JsonObject cases = Fixtures.index().getAsJsonObject("cases");
        for (String name : new String[] {"sw-a", "sw-b", "sw-c"}) {
            JsonObject c = cases.getAsJsonObject(name);
            long[] shape = Fixtures.shape(name + "/raw.f32");
            int[] dims = {(int) shape[1], (int) shape[2], (int) shape[3]};
            int n = dims[0] * dims[1] * dims[2];
            float[] raw = Fixtures.floats(name + "/raw.f32");
            float[] norm = new float[raw.length];
            for (int ch = 0; ch < 2; ch++) {
                float[] one = java.util.Arrays.copyOfRange(raw, ch * n, (ch + 1) * n);
                System.arraycopy(Normalization.ZSCORE_NONZERO.apply(one), 0, norm, ch * n, n);
            }
            assertTrue(name + " normalisation", Fixtures.maxAbsDiff(norm, Fixtures.floats(name + "/normalized.f32")) < 1e-5);

            int[] p = {16, 16, 16};
            SlidingWindow sw = new SlidingWindow(p, c.get("overlap").getAsDouble(),
                    Blending.fromKey(c.get("blending").getAsString()));
            SlidingWindow.Output out = sw.run(norm, 2, dims, predictor(2, p), c.get("sw_batch_size").getAsInt(), null);
            assertEquals(name + " windows", c.get("windows").getAsInt(), out.windows);
            assertEquals(2, out.channels);
            double d = Fixtures.maxAbsDiff(out.values, Fixtures.floats(name + "/logits.f32"));
            assertTrue(name + " logits differ by " + d, d < 1e-5);
            float[] prob = Activation.SOFTMAX.lesionProbability(out.values, 2, 1);
            float[] expected = Fixtures.floats(name + "/probability.f32");
            float[] expLesion = java.util.Arrays.copyOfRange(expected, n, 2 * n);
            double dp = Fixtures.maxAbsDiff(prob, expLesion);
            assertTrue(name + " probability differs by " + dp, dp < 1e-5);
        }
    }

    /** Constant blending on a volume of exactly one patch is one forward pass. */
    @Test
    public void onePatchConstantEqualsSingleForwardPass() throws Exception {
        float[] x = Fixtures.floats("tiny-io/input.f32");
        int[] p = {16, 16, 16};
        SlidingWindow sw = new SlidingWindow(p, 0.5, Blending.CONSTANT);
        SlidingWindow.Output out = sw.run(x, 2, p, predictor(2, p), 4, null);
        assertEquals(1, out.windows);
        float[] direct = model.forward(x, new long[] {1, 2, 16, 16, 16});
        assertEquals(0.0, Fixtures.maxAbsDiff(out.values, direct), 1e-6);
    }

    /**
     * Through the real blending path ({@link SlidingWindow#run}): a network that returns its input patch gives back the
     * input at every voxel, whatever the blending, overlap and shape (padded or not). A window placed or pasted at the
     * wrong offset, a weight applied twice or a normalisation that does not sum the same weights would change the
     * values; known answer: the input itself.
     */
    @Test
    public void anIdentityNetworkGivesBackItsInput() throws Exception {
        int[][] shapes = {{40, 33, 50}, {16, 16, 16}, {10, 70, 23}, {20, 31, 17}};
        java.util.Random r = new java.util.Random(5);
        for (Blending b : Blending.values()) {
            for (double overlap : new double[] {0.25, 0.5, 0.8}) {
                for (int[] dims : shapes) {
                    SlidingWindow sw = new SlidingWindow(new int[] {16, 24, 16}, overlap, b);
                    float[] x = new float[dims[0] * dims[1] * dims[2]];
                    for (int v = 0; v < x.length; v++) x[v] = (float) (1 + r.nextGaussian());
                    SlidingWindow.Output out = sw.run(x, 1, dims, (batch, n) -> batch.clone(), 3, null);
                    assertEquals(1, out.channels);
                    assertEquals(x.length, out.values.length);
                    for (int v = 0; v < x.length; v++) {
                        // float32 sums of up to (1 / (1 - overlap))^3 = 125 weighted copies: relative rounding ~125 x 6e-8
                        assertEquals(b + " overlap " + overlap + " " + java.util.Arrays.toString(dims) + " voxel " + v, x[v], out.values[v],
                                1e-5 * Math.max(1, Math.abs(x[v])));
                    }
                }
            }
        }
    }

    /** Scan rules as MONAI's: interval, clamped last window, full coverage, and the Gaussian map's shape. */
    @Test
    public void windowGridAndImportanceMap() {
        assertEquals(48, SlidingWindow.scanInterval(112, 64, 0.25));
        assertEquals(64, SlidingWindow.scanInterval(64, 64, 0.25));
        assertEquals(1, SlidingWindow.scanInterval(100, 1, 0.5));
        assertArrayEquals(new int[] {0, 32}, SlidingWindow.starts(96, 64, 48));
        assertArrayEquals(new int[] {0, 48}, SlidingWindow.starts(112, 64, 48));
        assertArrayEquals(new int[] {0, 12, 24, 30}, SlidingWindow.starts(46, 16, 12));
        assertArrayEquals(new int[] {0}, SlidingWindow.starts(16, 16, 16));
        SlidingWindow sw = new SlidingWindow(new int[] {64, 64, 64}, 0.25, Blending.GAUSSIAN);
        List<int[]> w = sw.windows(new int[] {96, 112, 96});
        assertEquals(8, w.size());
        assertArrayEquals(new int[] {0, 0, 0}, w.get(0));
        assertArrayEquals(new int[] {0, 0, 32}, w.get(1)); // last axis fastest
        // smaller than the patch: one window over the padded volume, padding (patch - size) // 2 before
        assertArrayEquals(new int[] {2, 0, 3}, new SlidingWindow(new int[] {16, 16, 16}, 0.5, Blending.GAUSSIAN).padBefore(new int[] {11, 16, 9}));
        float[] g = SlidingWindow.importanceMap(new int[] {9, 9, 9}, Blending.GAUSSIAN);
        assertEquals(1.0, g[4 * 81 + 4 * 9 + 4], 1e-7);           // centre of an odd patch
        double sigma = 9 * 0.125, e1 = Math.exp(-1 / (2 * sigma * sigma));
        assertEquals(e1, g[4 * 81 + 4 * 9 + 5], 1e-6);            // one voxel off-centre
        assertEquals(1e-3, g[0], 1e-9);                            // corner clamped at 1e-3
        for (float v : SlidingWindow.importanceMap(new int[] {4, 5, 6}, Blending.CONSTANT)) assertEquals(1f, v, 0f);
    }

    /** Progress is reported per batch and cancellation stops the run between batches. */
    @Test
    public void progressAndCancellation() throws Exception {
        int[] p = {8, 8, 8};
        SlidingWindow sw = new SlidingWindow(p, 0.5, Blending.GAUSSIAN);
        int[] dims = {20, 20, 20};
        int nWin = sw.windows(dims).size();
        assertEquals(64, nWin); // starts 0, 4, 8, 12 per axis
        int[] calls = {0};
        SlidingWindow.Predictor fake = (batch, b) -> {
            calls[0]++;
            return new float[b * 512]; // one output channel of zeros
        };
        java.util.List<Long> reports = new java.util.ArrayList<>();
        SlidingWindow.Output out = sw.run(new float[8000], 1, dims, fake, 30, (stage, done, total) -> {
            assertEquals(64, total);
            reports.add(done);
        });
        assertEquals(java.util.List.of(30L, 60L, 64L), reports);
        assertEquals(3, calls[0]);
        assertEquals(1, out.channels);
        calls[0] = 0;
        ProgressListener cancelAfterFirst = new ProgressListener() {
            boolean cancelled;
            @Override public void progress(String stage, long done, long total) { cancelled = true; }
            @Override public boolean isCancelled() { return cancelled; }
        };
        try {
            sw.run(new float[8000], 1, dims, fake, 30, cancelAfterFirst);
            fail("not cancelled");
        } catch (java.util.concurrent.CancellationException expected) {
            assertEquals(1, calls[0]);
        }
    }
}
