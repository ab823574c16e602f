package io.github.ies.saliency;

import io.github.ies.model.CorruptingGradients;
import io.github.ies.model.GradientBackend;
import io.github.ies.model.GradientCheck;
import io.github.ies.model.OneDnn;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.TorchModel;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.List;
import java.util.Map;

import static io.github.ies.saliency.SaliencyEngineTest.*;
import static org.junit.Assert.*;

/**
 * The saliency engine on backends that compute wrong gradients ({@link CorruptingGradients}, issue 11): the self-check
 * finds the fault and the engine takes the path it proved sound, with the same maps as on a sound backend (and as
 * the independent PyTorch computation); a gradient that turns NaN during the run stops it with the lesion and copy
 * named; a backend with no sound path writes nothing.
 */
public class BackendFallbackTest {

    static TorchModel tiny;

    @BeforeClass
    public static void load() throws Exception {
        SaliencyEngineTest.load();
        tiny = SaliencyEngineTest.tiny;
    }

    @AfterClass
    public static void close() {
        tiny.setGradients(GradientBackend.LIBTORCH);
        SaliencyEngineTest.close();
    }

    @Before
    public void fresh() {
        tiny.setGradients(GradientBackend.LIBTORCH);
        GradientCheck.clearCache();
    }

    static SaliencySettings.Builder options(int batch, boolean keepGraph) {
        SaliencySettings.Builder o = SaliencySettings.builder();
        o.context(SaliencyContext.PATCH);
        o.samples(2);
        o.seed(3);
        o.batchSize(batch);
        o.keepGraph(keepGraph);
        o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX, SaliencyMethods.SMOOTHGRAD_MEAN,
                SaliencyMethods.GRADCAMPP));
        return o;
    }

    static void assertSameMaps(String what, Map<Integer, LesionMaps> want, Map<Integer, LesionMaps> got) {
        assertFalse(what + ": no maps to compare", want.isEmpty());
        assertEquals(want.keySet(), got.keySet());
        for (int id : want.keySet()) {
            for (SaliencyMethod m : want.get(id).maps.keySet()) {
                float[][] w = want.get(id).maps.get(m), g = got.get(id).maps.get(m);
                for (int c = 0; c < w.length; c++) {
                    assertClose(what + " lesion " + id + " " + m.key + " channel " + c, paste(w[c], want.get(id).regionOf(m), dims),
                            paste(g[c], got.get(id).regionOf(m), dims), 1e-5);
                }
            }
        }
    }

    /**
     * Batched VJPs that come back NaN (the AVX-512 fault): --batch-size 4 --no-keep-graph gives the maps of
     * --batch-size 1 within 1e-5 of each map's maximum, through the self-check's fallback; without the check the
     * same backend silently changes the maps (the double does corrupt).
     */
    @Test
    public void batchedFaultFallsBackToOneVjpPerPass() throws Exception {
        Map<Integer, LesionMaps> want = run(new SaliencyEngine(tiny, options(1, true).build()), x, dims, targets());
        CorruptingGradients bad = new CorruptingGradients(CorruptingGradients.Fault.BATCHED_NAN);
        tiny.setGradients(bad);
        SaliencyEngine e = new SaliencyEngine(tiny, options(4, false).build());
        Map<Integer, LesionMaps> got = run(e, x, dims, targets());
        assertTrue(bad.corrupted.get() > 0);
        assertSameMaps("batch 4 on a batched-NaN backend", want, got);
        assertTrue(e.backendChecks().stream().anyMatch(r -> r.batch == 4 && Boolean.FALSE.equals(r.batched)));
        assertTrue(String.join("; ", e.log()), e.log().stream().anyMatch(l -> l.contains("batched gradients are unsound")));
        // unchecked, the same backend's NaN gradients are an error, never a silently changed map
        SaliencySettings.Builder unchecked = options(4, false);
        unchecked.backendCheck(false);
        try {
            run(new SaliencyEngine(tiny, unchecked.build()), x, dims, targets());
            fail("NaN gradients were accepted");
        } catch (GradientException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().matches("lesion \\d+, (noisy copy \\d of 2|the clean input): the gradient has NaN or Inf values.*"));
        }
    }

    /**
     * oneDNN kernels whose backward pass is wrong (the conv3d fault): the engine runs on libtorch's reference kernels
     * and its maps equal the independent PyTorch computation (xcheck fixtures) within 1e-5 of each map's maximum.
     */
    @Test
    public void wrongOneDnnGradientsAreAvoided() throws Exception {
        io.github.ies.model.GradientCheckTest.requireOneDnnSwitch();
        CorruptingGradients bad = new CorruptingGradients(CorruptingGradients.Fault.ONEDNN_WRONG);
        tiny.setGradients(bad);
        SaliencySettings.Builder o = options(0, true);
        o.context(SaliencyContext.FULL);
        o.samples(xcheck.get("samples").getAsInt());
        o.noiseLevel(xcheck.get("noise_level").getAsDouble());
        SaliencyEngine e = new SaliencyEngine(tiny, o.build());
        e.setNoise(NoiseSource.fromArray(floats("noise.f32"), o.build().samples, 2, dims));
        Map<Integer, LesionMaps> maps = run(e, x, dims, targets());
        assertTrue(bad.corrupted.get() > 0);
        assertEquals(GradientCheck.Kernels.REFERENCE, e.kernels());
        assertTrue(String.join("; ", e.log()), e.log().stream().anyMatch(l -> l.contains("reference CPU kernels")));
        assertMatchesXcheck(maps);
        assertTrue("oneDNN is back on after the run", OneDnn.enabled());
    }

    /** A gradient that turns NaN after the checks passed stops the run, naming the lesion and the copy. */
    @Test
    public void aNanGradientDuringTheRunIsAnErrorNamingLesionAndCopy() throws Exception {
        CorruptingGradients bad = new CorruptingGradients(CorruptingGradients.Fault.NAN_WHEN_ARMED);
        tiny.setGradients(bad);
        SaliencySettings.Builder o = options(0, true);
        o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX));
        o.workers(1);
        java.util.List<Integer> written = new java.util.ArrayList<>();
        ProgressListener armAfterFirstCopy = new ProgressListener() {
            @Override public void progress(String stage, long done, long total) { if (done == 1) bad.arm(3); }
        };
        try {
            new SaliencyEngine(tiny, o.build()).explain(x, dims, List.of(target(3)), m -> written.add(m.id), armAfterFirstCopy);
            fail("a NaN gradient was accepted");
        } catch (GradientException expected) {
            assertEquals(1, bad.corrupted.get());
            assertTrue(expected.getMessage(), expected.getMessage().startsWith("lesion 3, noisy copy 2 of 2: the gradient has NaN or Inf values"));
            assertTrue("no map of the lesion was handed out", written.isEmpty());
        }
    }

    /** A backward pass wrong with every kernel set: no path is sound, nothing is computed, one line says why. */
    @Test
    public void noSoundKernelsStopsTheRun() throws Exception {
        CorruptingGradients bad = new CorruptingGradients(CorruptingGradients.Fault.ALWAYS_WRONG);
        tiny.setGradients(bad);
        SaliencySettings.Builder o = options(0, true);
        o.methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX));
        List<Integer> written = new java.util.ArrayList<>();
        try {
            new SaliencyEngine(tiny, o.build()).explain(x, dims, targets(), m -> written.add(m.id), null);
            fail("maps were computed with a refuted backend");
        } catch (GradientException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().startsWith("tiny-test: the gradient self-check failed on input shape"));
            assertTrue(expected.getMessage(), expected.getMessage().contains("adjoint test"));
            assertFalse(expected.getMessage().contains("\n"));
            assertTrue(written.isEmpty());
        }
    }
}
