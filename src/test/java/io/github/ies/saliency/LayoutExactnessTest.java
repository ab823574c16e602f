package io.github.ies.saliency;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.TorchModel;
import io.github.ies.model.TorchRuntime;
import org.junit.BeforeClass;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.github.ies.saliency.SaliencyEngineTest.assertClose;
import static io.github.ies.saliency.SaliencyEngineTest.maxAbs;
import static io.github.ies.saliency.SaliencyEngineTest.paste;
import static org.junit.Assert.*;

/**
 * MONAI's layouts (scripts/monai_layouts.py; fixtures from scripts/fixtures/make_layout_fixtures.py): a UNet without
 * residual units, a UNet with residual units, a DynUNet (nnU-Net's architecture, instance norm) and a SegResNet (group
 * norm), each on a volume whose dimensions are multiples of the network's alignment ("aligned": nothing padded) and on
 * one whose dimensions are not ("padded": the full context pads at the high end). For the three contexts, with noise
 * 0 and N = 1, SmoothGrad max and mean and instance Grad-CAM++ equal the independent PyTorch computation (the eager
 * network in float64, per-voxel loop) on the same context box within 1e-4 of each map's maximum, and the context box
 * is the one the fixture script computes by the documented rule. Where the {@code patch} or {@code local} maps equal
 * the {@code full} ones in float64 (the receptive field fits in the box), the engine's equal the full reference within
 * 1e-4; elsewhere the engine's difference from the full reference is the measured one recorded in ref.json and quoted
 * in docs/saliency.md.
 */
public class LayoutExactnessTest {

    static final double EXACT = 1e-4;
    static final List<String> CONTEXTS = List.of("full", "patch", "local");

    @BeforeClass
    public static void start() {
        TorchRuntime.configure(2);
    }

    static Path dir(String name) {
        return io.github.ies.TestData.resource("/saliency/layouts/" + name);
    }

    static float[] floats(Path p) throws Exception {
        return io.github.ies.TestData.float32(p);
    }

    static JsonObject json(Path p) throws Exception {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    static int[] ints(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).getAsInt();
        return v;
    }

    /**
     * The fixture script's input (make_layout_fixtures.hashed_input), bit for bit: splitmix64 of (seed x golden +
     * flat index), its top 24 bits mapped to v / 2^24 x 4 - 2 (exact in float32), +1.5 on the lesion in channel 0,
     * -1.5 in channel 1. {@code lesion}: flat C-order indices.
     */
    static float[] hashedInput(int[] dims, long seed, int[] lesion) {
        int n = dims[0] * dims[1] * dims[2];
        float[] x = new float[2 * n];
        long golden = 0x9E3779B97F4A7C15L;
        for (int q = 0; q < x.length; q++) {
            long z = seed * golden + q + golden;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            double v = (z >>> 40) / 16777216.0;
            x[q] = (float) (v * 4.0 - 2.0);
        }
        for (int i : lesion) {
            x[i] += 1.5f;
            x[n + i] -= 1.5f;
        }
        return x;
    }

    /** A stored reference map (a crop on the bounding box of its nonzero voxels) on the whole volume. */
    static float[] map(Path caseDir, JsonObject m, int[] dims) throws Exception {
        Box b = new Box(ints(m.get("origin")), ints(m.get("size")));
        return paste(floats(caseDir.resolve(m.get("file").getAsString())), b, dims);
    }

    /**
     * Runs one network's cases: for each case and context, the engine's box and maps against the fixture's, and its
     * difference from the full context against the measured one. Returns the engine of the last run.
     */
    static SaliencyEngine checkLayout(TorchModel model, String name) throws Exception {
        SaliencyEngine last = null;
        for (String c : List.of("aligned", "padded")) {
            Path r = dir(name + "-" + c);
            JsonObject meta = json(r.resolve("ref.json"));
            int[] dims = ints(meta.get("dims"));
            int align = meta.get("alignment").getAsInt();
            int[] lesion = meta.getAsJsonArray("voxels").asList().stream().mapToInt(v -> {
                int[] p = ints(v);
                return (p[0] * dims[1] + p[1]) * dims[2] + p[2];
            }).toArray();
            float[] x = hashedInput(dims, meta.get("seed").getAsLong(), lesion);
            Target t = new Target(1, lesion, dims);
            JsonObject contexts = meta.getAsJsonObject("contexts");
            LesionMaps full = null;
            for (String ctx : CONTEXTS) {
                JsonObject want = contexts.getAsJsonObject(ctx);
                SaliencySettings.Builder o = SaliencySettings.builder();
                o.context(SaliencyContext.parse(ctx));
                o.margin(meta.get("margin").getAsInt());
                o.localMargin(meta.get("local_margin").getAsInt());
                o.noiseLevel(0);
                o.samples(1);
                o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX, SaliencyMethods.SMOOTHGRAD_MEAN, SaliencyMethods.GRADCAMPP));
                SaliencyEngine e = new SaliencyEngine(model, o.build());
                last = e;
                String what = name + " " + c + " " + ctx;
                assertEquals(what + ": alignment", align, e.alignment());
                int[] pad = e.fullPadding(dims);
                for (int d = 0; d < 3; d++) {
                    assertEquals(what + ": full padding", ContextGeometry.roundUp(dims[d], align) - dims[d], pad[d]);
                }
                assertEquals(what + ": padded exactly when a dimension is not a multiple of the alignment",
                        c.equals("padded"), pad[0] + pad[1] + pad[2] > 0);
                JsonObject box = want.getAsJsonObject("box");
                assertEquals(what + ": context box", new Box(ints(box.get("origin")), ints(box.get("size"))), e.contextBox(t, dims));
                Map<Integer, LesionMaps> maps = SaliencyEngineTest.run(e, x, dims, List.of(t));
                LesionMaps m = maps.get(1);
                if (ctx.equals("full")) full = m;
                JsonObject refMaps = want.has("same_as") ? contexts.getAsJsonObject(want.get("same_as").getAsString()).getAsJsonObject("maps")
                        : want.getAsJsonObject("maps");
                JsonObject fullMaps = contexts.getAsJsonObject("full").getAsJsonObject("maps");
                for (SaliencyMethod meth : List.of(SaliencyMethods.SMOOTHGRAD_MAX, SaliencyMethods.SMOOTHGRAD_MEAN, SaliencyMethods.GRADCAMPP)) {
                    JsonArray refs = refMaps.getAsJsonArray(meth.key);
                    for (int ch = 0; ch < refs.size(); ch++) {
                        String w = what + " " + meth.key + " channel " + ch;
                        float[] got = paste(m.maps.get(meth)[ch], m.regionOf(meth), dims);
                        float[] ref = map(r, refs.get(ch).getAsJsonObject(), dims);
                        assertClose(w + " against the reference on the same box", ref, got, EXACT);
                        if (ctx.equals("full")) continue;
                        // what the context changes: the engine's difference from the full reference is the measured one
                        float[] fullRef = map(r, fullMaps.getAsJsonArray(meth.key).get(ch).getAsJsonObject(), dims);
                        double measured = want.getAsJsonObject("vs_full").getAsJsonArray(meth.key).get(ch).getAsDouble();
                        double scale = maxAbs(fullRef), worst = 0;
                        for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - fullRef[i]));
                        double tol = EXACT * maxAbs(ref) / scale;
                        assertEquals(w + ": difference from full (measured " + String.format(Locale.ROOT, "%.3g", measured) + ")",
                                measured, worst / scale, tol);
                        if (measured <= 1e-12) assertClose(w + " equals full", fullRef, got, EXACT);
                    }
                }
            }
            assertEquals(new Box(new int[3], pad(dims, align)), full.context);
        }
        return last;
    }

    static int[] pad(int[] dims, int align) {
        int[] p = new int[3];
        for (int d = 0; d < 3; d++) p[d] = ContextGeometry.roundUp(dims[d], align);
        return p;
    }

    /** UNet without residual units (stride 4, BatchNorm): the local box holds the receptive field (local = full). */
    @Test
    public void unetWithoutResidualUnits() throws Exception {
        try (TorchModel model = TorchModel.load(ModelBundle.load(dir("unet4-bundle")), Device.cpu(), true)) {
            SaliencyEngine e = checkLayout(model, "unet4");
            assertEquals(4, e.alignment());
            assertNotNull(e.receptiveField());
            JsonObject ref = json(dir("unet4-aligned").resolve("ref.json")).getAsJsonObject("contexts");
            // the receptive field fits in the aligned case's local box: SmoothGrad identical to full
            assertTrue(ref.getAsJsonObject("local").getAsJsonObject("vs_full").getAsJsonArray("smoothgrad-max").get(0).getAsDouble() == 0);
        }
    }

    /**
     * A stride-16 BatchNorm UNet with residual units, whose receptive field (93/94 voxels) is wider than the old
     * probe's input and than every test volume: its bundle carries no "alignment" or "receptive_field", the engine
     * probes alignment 16 (the total stride, not 32) and the exporter's receptive field; 16 x 32 x 16 is not padded.
     */
    @Test
    public void residualUNetProbesLikeTheExporterAndIsExact() throws Exception {
        JsonObject expected = json(dir("resunet16-bundle").resolve("probe-expected.json"));
        try (TorchModel model = TorchModel.load(ModelBundle.load(dir("resunet16-bundle")), Device.cpu(), true)) {
            assertFalse(model.bundle().json().has("alignment"));
            assertFalse(model.bundle().json().has("receptive_field"));
            SaliencyEngine e = checkLayout(model, "resunet16");
            assertEquals(16, expected.get("alignment").getAsInt());
            assertEquals(expected.get("alignment").getAsInt(), e.alignment());
            assertEquals("probed", e.alignmentSource());
            int[][] rf = e.receptiveField();
            assertNotNull(rf);
            JsonObject erf = expected.getAsJsonObject("receptive_field");
            for (int d = 0; d < 3; d++) {
                assertEquals(erf.getAsJsonArray("below").get(d).getAsInt(), rf[0][d]);
                assertEquals(erf.getAsJsonArray("above").get(d).getAsInt(), rf[1][d]);
            }
            assertTrue("receptive field wider than 64 voxels", rf[0][0] + rf[1][0] > 64);
        }
    }

    /**
     * DynUNet (nnU-Net's architecture: instance norm, deep supervision off), whose explained decoder block MONAI
     * registers twice: unbounded receptive field, stride 4 from the exporter's shape rule.
     */
    @Test
    public void dynUNet() throws Exception {
        try (TorchModel model = TorchModel.load(ModelBundle.load(dir("dynunet4-bundle")), Device.cpu(), true)) {
            SaliencyEngine e = checkLayout(model, "dynunet4");
            assertEquals(4, e.alignment());
            assertNull(e.receptiveField());
        }
    }

    /** SegResNet (group normalisation: unbounded receptive field, stride 8 from the exporter's shape rule). */
    @Test
    public void segResNet() throws Exception {
        try (TorchModel model = TorchModel.load(ModelBundle.load(dir("segresnet-bundle")), Device.cpu(), true)) {
            SaliencyEngine e = checkLayout(model, "segresnet");
            assertEquals(8, e.alignment());
            assertNull(e.receptiveField());
        }
    }
}
