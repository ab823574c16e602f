package io.github.ies.saliency;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.TorchModel;
import io.github.ies.model.TorchRuntime;
import org.junit.BeforeClass;
import org.junit.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static io.github.ies.saliency.SaliencyEngineTest.assertClose;
import static io.github.ies.saliency.SaliencyEngineTest.paste;
import static org.junit.Assert.*;

/**
 * MONAI's layouts (scripts/monai_layouts.py; fixtures from scripts/fixtures/make_layout_fixtures.py): the engine's
 * probes find what the exporter's find, and the {@code full} context is the paper's whole-volume computation: with
 * noise 0 and N = 1, SmoothGrad max and mean and instance Grad-CAM++ equal the per-voxel loop of the eager network in
 * PyTorch (float64) within 1e-4 of each map's maximum.
 */
public class LayoutExactnessTest {

    @BeforeClass
    public static void start() {
        TorchRuntime.configure(2);
    }

    static Path dir(String name) throws Exception {
        return Paths.get(LayoutExactnessTest.class.getResource("/saliency/layouts/" + name).toURI());
    }

    static float[] floats(Path p) throws Exception {
        byte[] b = Files.readAllBytes(p);
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    static JsonObject json(Path p) throws Exception {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    /**
     * A stride-16 BatchNorm UNet with residual units, whose receptive field (93/94 voxels) is wider than the old
     * probe's input: its bundle carries no "alignment" or "receptive_field", the engine probes alignment 16 (the total
     * stride, not 32) and the exporter's receptive field, and a 32 x 48 x 32 volume is not padded.
     */
    @Test
    public void residualUNetProbesLikeTheExporterAndFullIsTheWholeVolume() throws Exception {
        JsonObject expected = json(dir("resunet16-bundle").resolve("probe-expected.json"));
        try (TorchModel model = TorchModel.load(ModelBundle.load(dir("resunet16-bundle")), Device.cpu(), true)) {
            assertFalse(model.bundle().json().has("alignment"));
            assertFalse(model.bundle().json().has("receptive_field"));
            SaliencyEngine e = check(model, "resunet16-ref");
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

    /** SegResNet (group normalisation: unbounded receptive field, stride 8 from the exporter's shape rule). */
    @Test
    public void segResNetFullContextIsExact() throws Exception {
        try (TorchModel model = TorchModel.load(ModelBundle.load(dir("segresnet-bundle")), Device.cpu(), true)) {
            SaliencyEngine e = check(model, "segresnet-ref");
            assertEquals(8, e.alignment());
            assertNull(e.receptiveField());
        }
    }

    /** Runs the full context (noise 0, N = 1) and compares every map with the reference. */
    static SaliencyEngine check(TorchModel model, String ref) throws Exception {
        Path r = dir(ref);
        JsonObject meta = json(r.resolve("ref.json"));
        int[] dims = new int[3];
        for (int d = 0; d < 3; d++) dims[d] = meta.getAsJsonArray("dims").get(d).getAsInt();
        float[] x = floats(r.resolve("x.f32"));
        List<Integer> idx = new ArrayList<>();
        for (com.google.gson.JsonElement v : meta.getAsJsonArray("voxels")) {
            JsonArray p = v.getAsJsonArray();
            idx.add((p.get(0).getAsInt() * dims[1] + p.get(1).getAsInt()) * dims[2] + p.get(2).getAsInt());
        }
        Target t = new Target(1, idx.stream().mapToInt(Integer::intValue).toArray(), dims);
        SaliencySettings.Builder o = SaliencySettings.builder();
        o.context(SaliencyContext.FULL);
        o.noiseLevel(0);
        o.samples(1);
        o.methods(EnumSet.of(Method.SMOOTHGRAD_MAX, Method.SMOOTHGRAD_MEAN, Method.GRADCAMPP));
        SaliencyEngine e = new SaliencyEngine(model, o.build());
        assertArrayEquals("no padding: the volume is a multiple of the stride", new int[3], e.fullPadding(dims));
        Map<Integer, LesionMaps> maps = SaliencyEngineTest.run(e, x, dims, List.of(t));
        LesionMaps m = maps.get(1);
        assertEquals(new Box(new int[3], dims), m.context);
        int n = dims[0] * dims[1] * dims[2];
        for (Method meth : List.of(Method.SMOOTHGRAD_MAX, Method.SMOOTHGRAD_MEAN)) {
            float[] want = floats(r.resolve(meth.key + ".f32"));
            for (int c = 0; c < 2; c++) {
                assertClose(model.bundle().name() + " " + meth.key + " channel " + c, SaliencyEngineTest.channel(want, c, n),
                        paste(m.maps.get(meth)[c], m.regionOf(meth), dims), 1e-4);
            }
        }
        assertClose(model.bundle().name() + " gradcampp", floats(r.resolve("gradcampp.f32")),
                paste(m.maps.get(Method.GRADCAMPP)[0], m.regionOf(Method.GRADCAMPP), dims), 1e-4);
        return e;
    }
}
