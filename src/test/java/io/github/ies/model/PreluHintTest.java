package io.github.ies.model;

import ai.djl.Device;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.Assert.*;

/**
 * Bundles with frozen single-parameter PReLUs (scripts/fixtures/make_prelu_fixtures.py): exported as given
 * (aten::prelu, as before the exporter wrote leaky_relu) a load-time hint names them; re-exported (leaky_relu; the
 * per-channel PReLU kept) there is none, and both give bit-identical logits and input gradients through the engine.
 */
public class PreluHintTest {

    static TorchModel prelu;
    static TorchModel leaky;

    @BeforeClass
    public static void load() throws Exception {
        TorchRuntime.configure(2);
        prelu = TorchModel.load(ModelBundle.load(Fixtures.resource("prelu/prelu-bundle")), Device.cpu(), true);
        leaky = TorchModel.load(ModelBundle.load(Fixtures.resource("prelu/leaky-bundle")), Device.cpu(), true);
    }

    @AfterClass
    public static void close() {
        if (prelu != null) prelu.close();
        if (leaky != null) leaky.close();
    }

    @Test
    public void findsTheSingleParameterPrelusOfAnOldExport() {
        assertEquals(Set.of("net.act_a", "net.act_up"), new HashSet<>(PreluHint.singleParameterPrelus(prelu)));
        String hint = PreluHint.hint(prelu);
        assertNotNull(hint);
        assertFalse(hint.contains("\n"));
        assertTrue(hint, hint.startsWith("hint: this bundle runs 2 single-parameter PReLU(s)"));
        assertTrue(hint, hint.contains("scripts/export_torchscript.py"));
    }

    @Test
    public void noHintForTheReExport() {
        // the per-channel PReLU the exporter keeps is not counted, and the bundle records the export
        assertEquals(List.of(), PreluHint.singleParameterPrelus(leaky));
        assertTrue(leaky.bundle().json().has(PreluHint.EXPORT_KEY));
        assertNull(PreluHint.hint(leaky));
    }

    @Test
    public void otherBundles() throws Exception {
        try (TorchModel conv = TorchModel.load(ModelBundle.load(Fixtures.resource("backend/conv-2-2")), Device.cpu(), false)) {
            assertNull(PreluHint.hint(conv));   // no PReLU
        }
        try (TorchModel tiny = TorchModel.load(ModelBundle.load(Fixtures.tinyBundle()), Device.cpu(), false)) {
            assertEquals(4, PreluHint.singleParameterPrelus(tiny).size());   // an export from before: 4 PReLU(1)
        }
    }

    @Test
    public void reExportGivesBitIdenticalLogitsAndInputGradients() {
        int[] size = {16, 16, 16};
        int n = size[0] * size[1] * size[2];
        Random r = new Random(25);
        float[] x = new float[2 * n];
        float[] cot = new float[2 * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < cot.length; i++) cot[i] = (float) r.nextGaussian();
        long[] shape = {1, 2, 16, 16, 16};
        float[] yp = prelu.forward(x, shape);
        float[] yl = leaky.forward(x, shape);
        assertArrayEquals(yp, yl, 0f);
        float[] gp = InputGradients.vjp(prelu, x, size, cot);
        float[] gl = InputGradients.vjp(leaky, x, size, cot);
        double norm = 0;
        int negative = 0;
        for (float v : gp) norm += v * v;
        for (int i = 0; i < x.length; i++) if (x[i] < 0) negative++;
        assertTrue(norm > 0 && negative > 0);   // gradients through the negative side of the slopes
        for (int i = 0; i < gp.length; i++) {
            if (Float.floatToRawIntBits(gp[i]) != Float.floatToRawIntBits(gl[i])) {
                fail("input gradient differs at " + i + ": " + gp[i] + " vs " + gl[i]);
            }
        }
    }
}
