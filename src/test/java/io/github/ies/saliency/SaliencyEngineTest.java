package io.github.ies.saliency;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.TorchModel;
import io.github.ies.model.TorchRuntime;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;

import static org.junit.Assert.*;

/**
 * The saliency engine against an independent PyTorch computation (fixtures from
 * scripts/fixtures/make_saliency_fixtures.py), the naive per-voxel algorithm, and central finite differences on a
 * float64 model.
 */
public class SaliencyEngineTest {

    static TorchModel tiny;      // float32 random U-Net with BatchNorm (model fixtures)
    static TorchModel tiny64;    // float64 random U-Net with BatchNorm
    static JsonObject xcheck;
    static int[] dims;
    static float[] x;

    @BeforeClass
    public static void load() throws Exception {
        TorchRuntime.configure(2);
        tiny = TorchModel.load(ModelBundle.load(resource("/model/tiny-bundle")), Device.cpu(), true);
        tiny64 = TorchModel.load(ModelBundle.load(resource("/saliency/engine/tiny64-bundle")), Device.cpu(), true);
        xcheck = JsonParser.parseString(Files.readString(resource("/saliency/engine/xcheck/xcheck.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
        dims = new int[3];
        for (int d = 0; d < 3; d++) dims[d] = xcheck.getAsJsonArray("dims").get(d).getAsInt();
        x = floats("x.f32");
    }

    @AfterClass
    public static void close() {
        if (tiny != null) tiny.close();
        if (tiny64 != null) tiny64.close();
    }

    static Path resource(String rel) throws URISyntaxException {
        return Paths.get(SaliencyEngineTest.class.getResource(rel).toURI());
    }

    static float[] floats(String name) throws Exception {
        return io.github.ies.TestData.float32(resource("/saliency/engine/xcheck/" + name));
    }

    static Target target(int id) throws Exception {
        float[] m = floats("lesion-" + id + "_mask.f32");
        List<Integer> v = new ArrayList<>();
        for (int i = 0; i < m.length; i++) if (m[i] != 0) v.add(i);
        return new Target(id, v.stream().mapToInt(Integer::intValue).toArray(), dims);
    }

    static List<Target> targets() throws Exception {
        List<Target> t = new ArrayList<>();
        for (String id : xcheck.getAsJsonObject("lesions").keySet()) t.add(target(Integer.parseInt(id)));
        return t;
    }

    static Map<Integer, LesionMaps> run(SaliencyEngine e, float[] in, int[] d, List<Target> t)
            throws IOException {
        Map<Integer, LesionMaps> out = new LinkedHashMap<>();
        e.explain(in, d, t, m -> out.put(m.id, m), null);
        return out;
    }

    /** A crop on {@code region} pasted into a full C-order grid. */
    static float[] paste(float[] crop, Box region, int[] d) {
        float[] full = new float[d[0] * d[1] * d[2]];
        int[] o = region.origin(), s = region.size();
        for (int a = 0; a < s[0]; a++)
            for (int b = 0; b < s[1]; b++)
                for (int c = 0; c < s[2]; c++)
                    full[((o[0] + a) * d[1] + o[1] + b) * d[2] + o[2] + c] = crop[(a * s[1] + b) * s[2] + c];
        return full;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    static void assertClose(String what, float[] expected, float[] got, double rel) {
        assertEquals(what + " length", expected.length, got.length);
        double scale = maxAbs(expected);
        assertTrue(what + ": reference map is all zero", scale > 0);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - got[i]));
        assertTrue(what + ": max |diff| " + worst + " > " + rel + " x max|ref| " + scale, worst <= rel * scale);
    }

    /** SmoothGrad max and mean and instance Grad-CAM++ of the xcheck lesions equal the PyTorch fixtures (1e-5 of the max). */
    static void assertMatchesXcheck(Map<Integer, LesionMaps> maps) throws Exception {
        int n = dims[0] * dims[1] * dims[2];
        java.util.Set<Integer> ids = new java.util.TreeSet<>();
        for (String id : xcheck.getAsJsonObject("lesions").keySet()) ids.add(Integer.parseInt(id));
        assertEquals("every xcheck lesion has maps", ids, new java.util.TreeSet<>(maps.keySet()));
        for (LesionMaps m : maps.values()) {
            for (SaliencyMethod meth : List.of(SaliencyMethods.SMOOTHGRAD_MAX, SaliencyMethods.SMOOTHGRAD_MEAN)) {
                float[] ref = floats("lesion-" + m.id + "_" + meth.key + ".f32");
                for (int c = 0; c < 2; c++) {
                    assertClose("lesion " + m.id + " " + meth.key + " channel " + c, channel(ref, c, n),
                            paste(m.maps.get(meth)[c], m.regionOf(meth), dims), 1e-5);
                }
            }
            assertClose("lesion " + m.id + " gradcampp", floats("lesion-" + m.id + "_gradcampp.f32"),
                    paste(m.maps.get(SaliencyMethods.GRADCAMPP)[0], m.regionOf(SaliencyMethods.GRADCAMPP), dims), 1e-5);
        }
    }

    static float[] channel(float[] a, int c, int n) {
        float[] out = new float[n];
        System.arraycopy(a, c * n, out, 0, n);
        return out;
    }

    @Test
    public void fullContextMatchesIndependentPyTorchComputation() throws Exception {
        // batch 3 (replicated inputs, one backward pass for the three lesions) and 0 (CPU default: kept graph, per-cell
        // tasks on workers, one Grad-CAM++ forward pass shared by the three lesions)
        Map<Integer, LesionMaps> maps = null;
        SaliencySettings.Builder o = null;
        for (int batch : new int[] {3, 0}) {
            o = SaliencySettings.builder();
            o.context(SaliencyContext.FULL);
            o.samples(xcheck.get("samples").getAsInt());
            o.noiseLevel(xcheck.get("noise_level").getAsDouble());
            o.batchSize(batch);
            o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX, SaliencyMethods.SMOOTHGRAD_MEAN,
                    SaliencyMethods.GRADCAMPP));
            SaliencyEngine e = new SaliencyEngine(tiny, o.build());
            assertEquals(xcheck.get("sigma").getAsDouble(), e.sigma(x, dims), 1e-6);
            e.setNoise(NoiseSource.fromArray(floats("noise.f32"), o.build().samples, 2, dims));
            maps = run(e, x, dims, targets());
            assertEquals(3, maps.size());
            assertMatchesXcheck(maps);
        }
        // max and mean aggregation differ for a multi-voxel lesion (the comparison is not vacuous)
        LesionMaps m3 = maps.get(3);
        assertTrue(maxAbs(m3.maps.get(SaliencyMethods.SMOOTHGRAD_MAX)[0]) > 1.5 * maxAbs(m3.maps.get(SaliencyMethods.SMOOTHGRAD_MEAN)[0]));

        o.threshold(xcheck.get("class_threshold").getAsDouble());
        assertClose("class gradcampp", floats("class_gradcampp.f32"), new SaliencyEngine(tiny, o.build()).classGradCam(x, dims), 1e-5);
    }

    @Test
    public void maxAggregationEqualsNaivePerVoxelLoop() throws Exception {
        List<Target> t = targets();
        for (double noise : new double[] {0, 0.05}) {
            for (boolean keep : new boolean[] {true, false}) {
                SaliencySettings.Builder o = SaliencySettings.builder();
                o.context(SaliencyContext.FULL);
                o.samples(2);
                o.noiseLevel(noise);
                o.seed(42);
                o.batchSize(4);
                o.keepGraph(keep);
                o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX));
                SaliencyEngine e = new SaliencyEngine(tiny, o.build());
                Map<Integer, LesionMaps> maps = run(e, x, dims, t);
                for (Target tg : t) {
                    float[][] naive = NaiveSmoothGrad.maxAggregation(e, tiny, x, dims, tg);
                    for (int c = 0; c < 2; c++) {
                        LesionMaps lm = maps.get(tg.id);
                        assertClose("lesion " + tg.id + " noise " + noise + " keepGraph " + keep + " channel " + c, naive[c],
                                paste(lm.maps.get(SaliencyMethods.SMOOTHGRAD_MAX)[c], lm.smoothGradRegion, dims), 1e-5);
                    }
                }
            }
        }
    }

    @Test
    public void gradientsEqualCentralFiniteDifferencesInFloat64() throws Exception {
        int[] d = {12, 16, 8};
        int n = d[0] * d[1] * d[2];
        SplittableRandom r = new SplittableRandom(5);
        float[] in = new float[2 * n];
        for (int i = 0; i < in.length; i++) in[i] = (float) r.nextGaussian();
        int[] lesion = {(6 * d[1] + 8) * d[2] + 4, (6 * d[1] + 9) * d[2] + 4, (7 * d[1] + 8) * d[2] + 4, (6 * d[1] + 8) * d[2] + 5};
        Target t = new Target(1, lesion, d);
        SaliencySettings.Builder o = SaliencySettings.builder();
        o.context(SaliencyContext.FULL);
        o.samples(1);
        o.noiseLevel(0);
        o.float64(true);
        o.batchSize(3);
        o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX, SaliencyMethods.SMOOTHGRAD_MEAN));
        SaliencyEngine e = new SaliencyEngine(tiny64, o.build());
        LesionMaps m = run(e, in, d, List.of(t)).get(1);
        assertEquals(new Box(new int[3], d), m.region);
        float[][] gmax = new float[2][], gmean = new float[2][];
        for (int c = 0; c < 2; c++) {
            gmax[c] = paste(m.maps.get(SaliencyMethods.SMOOTHGRAD_MAX)[c], m.smoothGradRegion, d);
            gmean[c] = paste(m.maps.get(SaliencyMethods.SMOOTHGRAD_MEAN)[c], m.smoothGradRegion, d);
        }
        double scale = Math.max(maxAbs(gmax[0]), maxAbs(gmax[1]));
        assertTrue(scale > 1e-3);
        // probe positions: around the lesion (large gradients) and random ones
        List<int[]> probes = new ArrayList<>();
        for (int c = 0; c < 2; c++) for (int v : lesion) probes.add(new int[] {c, v});
        for (int c = 0; c < 2; c++) probes.add(new int[] {c, (5 * d[1] + 8) * d[2] + 4});
        for (int c = 0; c < 2; c++) probes.add(new int[] {c, (6 * d[1] + 7) * d[2] + 3});
        for (int q = 0; q < 12; q++) probes.add(new int[] {r.nextInt(2), r.nextInt(n)});
        double h = 1e-4, worst = 0;
        int nonzero = 0;
        for (int[] p : probes) {
            double[] plus = lesionLogits(in, d, p[0] * n + p[1], h, lesion);
            double[] minus = lesionLogits(in, d, p[0] * n + p[1], -h, lesion);
            double best = 0, mean = 0;
            for (int j = 0; j < lesion.length; j++) {
                double g = (plus[j] - minus[j]) / (2 * h);
                if (Math.abs(g) > Math.abs(best)) best = g;
                mean += g / lesion.length;
            }
            if (Math.abs(best) > 1e-6 * scale) nonzero++;
            worst = Math.max(worst, Math.abs(best - gmax[p[0]][p[1]]));
            worst = Math.max(worst, Math.abs(mean - gmean[p[0]][p[1]]));
        }
        assertTrue("few informative probes: " + nonzero, nonzero >= 8);
        // float64 network, h = 1e-4: truncation error O(h^2) ~ 1e-8; the maps are stored as float32 (rel. 6e-8)
        assertTrue("max |engine - finite difference| = " + worst + " (scale " + scale + ")", worst <= 1e-6 * scale);
    }

    /** Lesion-class logits at the lesion voxels for the input with one element shifted by dx (float64 forward). */
    private static double[] lesionLogits(float[] in, int[] d, int element, double dx, int[] lesion) {
        try (NDManager m = tiny64.manager().newSubManager()) {
            double[] xd = new double[in.length];
            for (int i = 0; i < in.length; i++) xd[i] = in[i];
            xd[element] += dx;
            NDArray a = m.create(xd, new Shape(1, 2, d[0], d[1], d[2]));
            double[] y = tiny64.forward(a, false).toType(DataType.FLOAT64, false).toDoubleArray();
            int nv = d[0] * d[1] * d[2];
            double[] out = new double[lesion.length];
            for (int j = 0; j < lesion.length; j++) out[j] = y[nv + lesion[j]];
            return out;
        }
    }

    @Test
    public void sameSeedSameMapsWhateverTheBatching() throws Exception {
        List<Target> t = targets();
        float[][] ref = null;
        for (int b : new int[] {1, 4, 1}) {
            SaliencySettings.Builder o = SaliencySettings.builder();
            o.samples(3);
            o.seed(7);
            o.batchSize(b);
            o.uncertainty(true);
            o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX));
            LesionMaps m = run(new SaliencyEngine(tiny, o.build()), x, dims, t).get(3);
            float[][] got = m.maps.get(SaliencyMethods.SMOOTHGRAD_MAX);
            assertTrue(maxAbs(m.standardErrors.get(SaliencyMethods.SMOOTHGRAD_MAX)[0]) > 0);
            if (ref == null) ref = got;
            else for (int c = 0; c < 2; c++) assertClose("batch " + b + " channel " + c, ref[c], got[c], 1e-6);
        }
        SaliencySettings.Builder o = SaliencySettings.builder();
        o.samples(3);
        o.seed(8);
        o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX));
        float[] other = run(new SaliencyEngine(tiny, o.build()), x, dims, t).get(3).maps.get(SaliencyMethods.SMOOTHGRAD_MAX)[0];
        double diff = 0;
        for (int i = 0; i < other.length; i++) diff = Math.max(diff, Math.abs(other[i] - ref[0][i]));
        assertTrue("another seed gives other noise", diff > 1e-4 * maxAbs(ref[0]));
    }

    @Test
    public void seededNoiseDependsOnlyOnTheVoxel() {
        NoiseSource s = NoiseSource.seeded(3);
        int[] d = {10, 9, 11};
        float[] full = s.standardNormal(1, new Box(new int[3], d), 2, d);
        Box b = new Box(new int[] {-2, 3, 4}, new int[] {6, 8, 5});   // partly outside the volume
        float[] crop = s.standardNormal(1, b, 2, d);
        double sum = 0, sq = 0;
        for (float v : full) { sum += v; sq += v * v; }
        assertEquals(0, sum / full.length, 0.1);
        assertEquals(1, sq / full.length, 0.1);
        // normal, not merely mean 0 and variance 1 (uniform noise scaled by sqrt(3) has 58% within 1 and 100% within 2):
        // the fractions within 1 and 2 of 0 are the normal's 0.6827 and 0.9545, to 3 binomial standard deviations
        int in1 = 0, in2 = 0;
        for (float v : full) { if (Math.abs(v) < 1) in1++; if (Math.abs(v) < 2) in2++; }
        assertEquals(0.6827, in1 / (double) full.length, 3 * Math.sqrt(0.6827 * 0.3173 / full.length));
        assertEquals(0.9545, in2 / (double) full.length, 3 * Math.sqrt(0.9545 * 0.0455 / full.length));
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 8; j++)
                    for (int k = 0; k < 5; k++) {
                        int gi = i - 2, gj = j + 3, gk = k + 4;
                        float v = crop[c * b.voxels() + (i * 8 + j) * 5 + k];
                        if (gi < 0 || gj >= d[1]) assertEquals(0f, v, 0f);
                        else assertEquals(full[c * 990 + (gi * d[1] + gj) * d[2] + gk], v, 0f);
                    }
        assertNotEquals(full[0], s.standardNormal(2, new Box(new int[3], d), 2, d)[0], 0f);
    }

    @Test
    public void contextBoxes() throws Exception {
        SaliencySettings.Builder o = SaliencySettings.builder();
        o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX));
        int[] d = {40, 50, 12};
        // a lesion spanning i 3..5, j 20..40, k 5
        List<Integer> v = new ArrayList<>();
        for (int i = 3; i <= 5; i++) for (int j = 20; j <= 40; j++) v.add((i * d[1] + j) * d[2] + 5);
        Target t = new Target(1, v.stream().mapToInt(Integer::intValue).toArray(), d);
        o.context(SaliencyContext.PATCH);
        o.margin(2);
        SaliencyEngine pe = new SaliencyEngine(tiny, o.build());
        assertEquals(4, pe.alignment());                          // probed: the tiny U-Net's strides are 2, 2
        assertEquals("probed", pe.alignmentSource());             // (no "alignment" key in its bundle)
        Box p = pe.contextBox(t, d);                              // patch 16
        assertArrayEquals(new int[] {16, 28, 16}, p.size());      // j: 21 + 4 from an aligned origin -> 28; k: volume smaller -> padded
        assertArrayEquals(new int[] {0, 16, 0}, p.origin());      // aligned origins; j [16, 44) holds [18, 43)
        o.context(SaliencyContext.FULL);
        SaliencyEngine fe = new SaliencyEngine(tiny, o.build());
        Box f = fe.contextBox(t, d);                              // the whole volume, padded by the least it needs
        assertArrayEquals(new int[] {0, 0, 0}, f.origin());
        assertArrayEquals(new int[] {40, 52, 12}, f.size());
        assertArrayEquals(new int[] {0, 2, 0}, fe.fullPadding(d));
        assertArrayEquals(new int[] {0, 0, 0}, fe.fullPadding(new int[] {40, 52, 12}));
        o.context(SaliencyContext.LOCAL);
        o.localMargin(1);
        Box l = new SaliencyEngine(tiny64, o.build()).contextBox(t, d);   // alignment 4
        assertArrayEquals(new int[] {8, 28, 4}, l.size());        // j: [19, 42) from an aligned origin 16
        assertArrayEquals(new int[] {0, 16, 4}, l.origin());
    }

    @Test
    public void cancellationBetweenBatches() throws Exception {
        SaliencySettings.Builder o = SaliencySettings.builder();
        o.samples(5);
        o.batchSize(1);
        o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX));
        List<Integer> seen = new ArrayList<>();
        ProgressListener cancelAfterFirst = new ProgressListener() {
            long last;
            @Override public void progress(String stage, long done, long total) { last = done; }
            @Override public boolean isCancelled() { return last > 0; }
        };
        try {
            new SaliencyEngine(tiny, o.build()).explain(x, dims, targets(), m -> seen.add(m.id), cancelAfterFirst);
            fail("not cancelled");
        } catch (CancellationException expected) {
            assertTrue(seen.isEmpty());
        }
    }

    /** A seeded random volume with a brighter blob (so lesion logits vary) and some lesions. */
    static float[] randomVolume(int[] d, long seed) {
        int n = d[0] * d[1] * d[2];
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[2 * n];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    static Target box(int id, int[] d, int[] lo, int[] hi) {
        List<Integer> v = new ArrayList<>();
        for (int i = lo[0]; i <= hi[0]; i++)
            for (int j = lo[1]; j <= hi[1]; j++)
                for (int k = lo[2]; k <= hi[2]; k++) v.add((i * d[1] + j) * d[2] + k);
        return new Target(id, v.stream().mapToInt(Integer::intValue).toArray(), d);
    }

    /**
     * SmoothGrad on the receptive-field box equals SmoothGrad on the whole volume (and the naive whole-volume loop),
     * for a lesion far from the borders, one touching the volume's border, one spanning several alignment cells and
     * one sharing an alignment cell with the first,
     * in float32 (tiny, alignment 16) and float64 (tiny64, alignment 4); the boxes are strictly smaller than the
     * volume (the comparison is not vacuous).
     */
    @Test
    public void receptiveFieldBoxEqualsTheWholeVolume() throws Exception {
        for (boolean f64 : new boolean[] {false, true}) {
            TorchModel model = f64 ? tiny64 : tiny;
            int[] d = f64 ? new int[] {40, 36, 28} : new int[] {80, 64, 48};
            float[] in = randomVolume(d, 3);
            List<Target> t = List.of(
                    box(1, d, new int[] {d[0] / 2, d[1] / 2, d[2] / 2}, new int[] {d[0] / 2 + 1, d[1] / 2, d[2] / 2 + 1}),
                    box(2, d, new int[] {0, 1, 0}, new int[] {1, 2, 1}),
                    box(3, d, new int[] {d[0] / 2 - 1, 14, 15}, new int[] {d[0] / 2, 17, 16}),
                    // a separate instance in lesion 1's alignment cell: the two share that cell's forward passes
                    box(4, d, new int[] {d[0] / 2 + 2, d[1] / 2 + 1, d[2] / 2}, new int[] {d[0] / 2 + 3, d[1] / 2 + 1, d[2] / 2}));
            SaliencySettings.Builder o = SaliencySettings.builder();
            o.context(SaliencyContext.FULL);
            o.samples(2);
            o.seed(5);
            o.float64(f64);
            o.uncertainty(true);
            o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX, SaliencyMethods.SMOOTHGRAD_MEAN));
            SaliencyEngine crop = new SaliencyEngine(model, o.build());
            assertNotNull("receptive field of " + model.bundle().name(), crop.receptiveField());
            for (Target tg : t) {
                Box ctx = crop.contextBox(tg, d), sb = crop.smoothGradBox(tg, ctx);
                assertTrue(model.bundle().name() + " lesion " + tg.id + ": " + sb + " inside " + ctx, sb.voxels() < ctx.voxels());
                for (int a = 0; a < 3; a++) assertEquals(0, Math.floorMod(sb.origin()[a], crop.alignment()));
            }
            Map<Integer, LesionMaps> got = run(crop, in, d, t);
            SaliencySettings.Builder whole = SaliencySettings.builder();
            whole.context(o.build().context);
            whole.samples(o.build().samples);
            whole.seed(o.build().seed);
            whole.float64(f64);
            whole.uncertainty(true);
            whole.methods(o.build().methods);
            whole.receptiveFieldCrop(false);
            SaliencyEngine wholeEngine = new SaliencyEngine(model, whole.build());
            assertNull(wholeEngine.receptiveField());
            Map<Integer, LesionMaps> want = run(wholeEngine, in, d, t);
            for (Target tg : t) {
                LesionMaps g = got.get(tg.id), w = want.get(tg.id);
                assertEquals(new Box(new int[3], d), w.smoothGradRegion);
                for (SaliencyMethod m : o.build().methods) {
                    for (int c = 0; c < 2; c++) {
                        String what = model.bundle().name() + " lesion " + tg.id + " " + m.key + " channel " + c;
                        assertClose(what, paste(w.maps.get(m)[c], w.smoothGradRegion, d), paste(g.maps.get(m)[c], g.smoothGradRegion, d), 1e-5);
                        assertClose(what + " standard error", paste(w.standardErrors.get(m)[c], w.smoothGradRegion, d),
                                paste(g.standardErrors.get(m)[c], g.smoothGradRegion, d), 1e-5);
                    }
                }
            }
            // serial (one worker, all threads) against the automatic workers on the per-cell tasks
            o.workers(1);
            Map<Integer, LesionMaps> serial = run(new SaliencyEngine(model, o.build()), in, d, t);
            for (Target tg : t) {
                for (SaliencyMethod m : o.build().methods) {
                    for (int c = 0; c < 2; c++) {
                        assertClose(model.bundle().name() + " one worker, lesion " + tg.id + " " + m.key + " channel " + c,
                                serial.get(tg.id).maps.get(m)[c], got.get(tg.id).maps.get(m)[c], 1e-6);
                    }
                }
            }
            float[][] naive = NaiveSmoothGrad.maxAggregation(crop, model, in, d, t.get(2));
            LesionMaps g3 = got.get(3);
            for (int c = 0; c < 2; c++) {
                assertClose("naive lesion 3 channel " + c, naive[c], paste(g3.maps.get(SaliencyMethods.SMOOTHGRAD_MAX)[c], g3.smoothGradRegion, d), 1e-5);
            }
        }
    }

    /** Parallel workers (each its own forward pass, one PyTorch thread) give the serial maps. */
    @Test
    public void parallelWorkersGiveTheSerialMaps() throws Exception {
        List<Target> t = targets();
        Map<Integer, LesionMaps> ref = null;
        int threadsBefore = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        for (int w : new int[] {1, 2, 3}) {
            SaliencySettings.Builder o = SaliencySettings.builder();
            o.samples(2);
            o.seed(9);
            o.workers(w);
            o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX, SaliencyMethods.SMOOTHGRAD_MEAN));
            SaliencyEngine e = new SaliencyEngine(tiny, o.build());
            assertEquals(Math.min(w, 7), e.workers(e.contextBox(t.get(0), dims), 7));
            Map<Integer, LesionMaps> got = run(e, x, dims, t);
            if (ref == null) {
                ref = got;
                continue;
            }
            for (Target tg : t) {
                for (SaliencyMethod m : o.build().methods) {
                    for (int c = 0; c < 2; c++) {
                        assertClose("workers " + w + " lesion " + tg.id + " " + m.key + " channel " + c,
                                ref.get(tg.id).maps.get(m)[c], got.get(tg.id).maps.get(m)[c], 1e-6);
                    }
                }
            }
        }
        assertEquals("the caller's PyTorch thread count is restored", threadsBefore, ai.djl.pytorch.jni.JniUtils.getNumThreads());
    }

    /**
     * A network whose logits depend on the whole input (instance normalisation) has no bounded receptive field:
     * the probe says so and SmoothGrad runs on the whole context box; a bundle's "receptive_field" key is used as
     * given, and null there turns the crop off.
     */
    @Test
    public void receptiveFieldProbeAndBundleKey() throws Exception {
        SaliencySettings.Builder o = SaliencySettings.builder();
        o.context(SaliencyContext.FULL);
        o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX));
        int[] d = {40, 36, 28};
        Target t = box(1, d, new int[] {20, 18, 14}, new int[] {21, 18, 14});
        try (TorchModel inst = TorchModel.load(ModelBundle.load(resource("/saliency/engine/instnorm-bundle")), Device.cpu(), true)) {
            SaliencyEngine e = new SaliencyEngine(inst, o.build());
            assertNull(e.receptiveField());
            assertEquals(e.contextBox(t, d), e.smoothGradBox(t, e.contextBox(t, d)));
            assertTrue(String.join("; ", e.log()), e.log().stream().anyMatch(l -> l.contains("reaches both ends")));
        }
        o.float64(true);
        int[][] probed = new SaliencyEngine(tiny64, o.build()).receptiveField();
        assertNotNull(probed);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("ies-rf");
        try {
            java.nio.file.Path src = resource("/saliency/engine/tiny64-bundle");
            for (String f : new String[] {"model.pt", "ies-model.json"}) java.nio.file.Files.copy(src.resolve(f), dir.resolve(f));
            JsonObject meta = JsonParser.parseString(Files.readString(dir.resolve("ies-model.json"))).getAsJsonObject();
            JsonObject rf = new JsonObject();
            rf.add("below", com.google.gson.JsonParser.parseString("[1, 2, 3]"));
            rf.add("above", com.google.gson.JsonParser.parseString("[4, 5, 6]"));
            meta.add("receptive_field", rf);
            Files.writeString(dir.resolve("ies-model.json"), meta.toString());
            try (TorchModel m = TorchModel.load(ModelBundle.load(dir), Device.cpu(), true)) {
                SaliencyEngine e = new SaliencyEngine(m, o.build());
                assertArrayEquals(new int[] {1, 2, 3}, e.receptiveField()[0]);
                assertArrayEquals(new int[] {4, 5, 6}, e.receptiveField()[1]);
                // alignment 4: lesion cells i [20, 24), j [16, 20), k [12, 16); below rounds up to 4, above to 4 or 8
                Box b = e.smoothGradBox(t, e.contextBox(t, d));
                assertArrayEquals(new int[] {16, 12, 8}, b.origin());
                assertArrayEquals(new int[] {12, 16, 16}, b.size());
            }
            // a bound that is too small is caught by the check on the data, and the whole context box is used
            rf.add("below", com.google.gson.JsonParser.parseString("[0, 0, 0]"));
            rf.add("above", com.google.gson.JsonParser.parseString("[0, 0, 0]"));
            meta.add("receptive_field", rf);
            Files.writeString(dir.resolve("ies-model.json"), meta.toString());
            float[] in = randomVolume(d, 4);
            o.samples(1);
            try (TorchModel m = TorchModel.load(ModelBundle.load(dir), Device.cpu(), true)) {
                SaliencyEngine e = new SaliencyEngine(m, o.build());
                assertNotNull(e.receptiveField());
                LesionMaps got = run(e, in, d, List.of(t)).get(1);
                assertTrue(e.receptiveFieldCheck(), e.receptiveFieldCheck().startsWith("FAILED"));
                assertNull(e.receptiveField());
                assertTrue(String.join("; ", e.log()), e.log().stream().anyMatch(l -> l.contains("check failed")));
                assertEquals(e.contextBox(t, d).clip(d), got.smoothGradRegion);
                SaliencySettings.Builder whole = SaliencySettings.builder();
                whole.context(o.build().context);
                whole.methods(o.build().methods);
                whole.samples(1);
                whole.float64(true);
                whole.receptiveFieldCrop(false);
                LesionMaps want = run(new SaliencyEngine(m, whole.build()), in, d, List.of(t)).get(1);
                for (int c = 0; c < 2; c++) {
                    assertClose("after a failed check, channel " + c, want.maps.get(SaliencyMethods.SMOOTHGRAD_MAX)[c],
                            got.maps.get(SaliencyMethods.SMOOTHGRAD_MAX)[c], 1e-6);
                }
            }
            // the probed bound passes the check
            SaliencyEngine ok = new SaliencyEngine(tiny64, o.build());
            run(ok, in, d, List.of(t));
            assertTrue(ok.receptiveFieldCheck(), ok.receptiveFieldCheck().startsWith("passed"));
            assertNotNull(ok.receptiveField());
            meta.add("receptive_field", com.google.gson.JsonNull.INSTANCE);
            Files.writeString(dir.resolve("ies-model.json"), meta.toString());
            try (TorchModel m = TorchModel.load(ModelBundle.load(dir), Device.cpu(), true)) {
                SaliencyEngine e = new SaliencyEngine(m, o.build());
                assertNull(e.receptiveField());
            }
        } finally {
            for (String f : new String[] {"model.pt", "ies-model.json"}) java.nio.file.Files.deleteIfExists(dir.resolve(f));
            java.nio.file.Files.delete(dir);
        }
    }
}
