package io.github.ies.model;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import static org.junit.Assert.*;

/**
 * nnU-Net v2's normalisation schemes against a transcription of nnU-Net's own code in float64
 * (scripts/fixtures/make_normalization_fixtures.py): z-score over the image and over nnU-Net's nonzero mask (any
 * channel nonzero, holes filled), CT (clip to the dataset's percentiles, dataset mean and std), rescale to [0, 1]. The
 * fixture has a cavity that is zero in both channels (a hole the mask fills) and voxels nonzero in one channel only.
 * nnU-Net computes in float32, 1e-7 of each map's maximum from the float64 reference (measured there); the test
 * allows 1e-6.
 */
public class NormalizationTest {

    static Path dir() throws Exception {
        return Paths.get(NormalizationTest.class.getResource("/model/normalization").toURI());
    }

    static void assertClose(String what, float[] want, float[] got) {
        double scale = 0, worst = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        assertTrue(what + ": " + worst + " > 1e-6 x " + scale, worst <= 1e-6 * scale);
    }

    @Test
    public void nnUNetSchemesMatchTheTranscription() throws Exception {
        Path d = dir();
        Volume c0 = Nifti.read(d.resolve("c0.nii.gz")), c1 = Nifti.read(d.resolve("c1.nii.gz"));
        float[] mask = Nifti.read(d.resolve("mask.nii.gz")).data();
        boolean[] got = ChannelNormalization.nonzeroMask(c0, c1);
        int holes = 0;
        for (int i = 0; i < mask.length; i++) {
            assertEquals("mask voxel " + i, mask[i] != 0, got[i]);
            if (got[i] && c0.data()[i] == 0 && c1.data()[i] == 0) holes++;
        }
        assertTrue("the fixture has a filled hole", holes > 0);
        JsonObject ct = JsonParser.parseString(Files.readString(d.resolve("expected.json"))).getAsJsonObject().getAsJsonObject("ct");
        ChannelNormalization ctNorm = ChannelNormalization.ct(ct.get("mean").getAsDouble(), ct.get("std").getAsDouble(),
                ct.get("percentile_00_5").getAsDouble(), ct.get("percentile_99_5").getAsDouble());
        for (Normalization n : List.of(Normalization.ZSCORE, Normalization.ZSCORE_MASK, Normalization.RESCALE_0_1)) {
            Volume[] out = ChannelNormalization.normalize(List.of(ChannelNormalization.of(n), ChannelNormalization.of(n)), c0, c1);
            for (int c = 0; c < 2; c++) {
                assertClose(n.key + " channel " + c, Nifti.read(d.resolve(n.key + "-c" + c + ".nii.gz")).data(), out[c].data());
            }
        }
        // per-channel: CT on channel 0, z-score with the mask on channel 1 (a CT + MR nnU-Net model)
        Volume[] out = ChannelNormalization.normalize(List.of(ctNorm, ChannelNormalization.of(Normalization.ZSCORE_MASK)), c0, c1);
        assertClose("ct", Nifti.read(d.resolve("ct-c0.nii.gz")).data(), out[0].data());
        assertClose("zscore-mask", Nifti.read(d.resolve("zscore-mask-c1.nii.gz")).data(), out[1].data());
        assertNotSame(c0.data(), out[0].data());
    }

    @Test
    public void parametersAndKeys() {
        assertEquals(Normalization.ZSCORE_MASK, Normalization.fromKey("ZScore_Mask"));
        assertNull(Normalization.fromKey("zscore-median"));
        try {
            Normalization.CT.apply(new float[] {1});
            fail();
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().contains("intensity parameters"));
        }
        for (String bad : new String[] {"\"ct\"", "{\"scheme\": \"ct\", \"mean\": 1, \"std\": 2, \"lower\": 3}", "{\"mean\": 1}",
                "{\"scheme\": \"ct\", \"mean\": 1, \"std\": 2, \"lower\": 5, \"upper\": 3}", "\"median\"", "3"}) {
            try {
                ChannelNormalization.parse(JsonParser.parseString(bad));
                fail(bad);
            } catch (IllegalArgumentException e) {
                assertFalse(bad, e.getMessage().isEmpty());
            }
        }
        ChannelNormalization c = ChannelNormalization.parse(JsonParser.parseString(
                "{\"scheme\": \"ct\", \"mean\": 1, \"std\": 2, \"lower\": -3, \"upper\": 4}"));
        assertEquals(c.toJson(), JsonParser.parseString("{\"scheme\": \"ct\", \"mean\": 1.0, \"std\": 2.0, \"lower\": -3.0, \"upper\": 4.0}"));
        // CT: clipped, shifted, scaled; the z-score of a constant image divides by 1e-8 (nnU-Net's epsilon): all zero
        assertArrayEquals(new float[] {-2f, 0f, 1.5f}, Normalization.ct(new float[] {-10, 1, 9}, 1, 2, -3, 4), 0f);
        assertArrayEquals(new float[] {0f, 0f}, Normalization.zscore(new float[] {5, 5}, null), 0f);
    }

    /**
     * {@link ChannelNormalization#zeroValue}: what each scheme makes of a voxel that is 0 in every channel, read off
     * the normalised image itself at such a voxel (a cavity outside nnU-Net's nonzero mask, since it touches the
     * border here), bit for bit; and for whole-image z-score the known answer -mean / std, far from 0.
     */
    @Test
    public void zeroValueIsTheNormalisedValueOfAnEmptyVoxel() {
        int[] dims = {6, 5, 4};
        io.github.ies.io.Geometry g = io.github.ies.io.Geometry.axisAligned(new double[] {1, 1, 1}, new double[] {0, 0, 0});
        Volume a = Volume.zeros(dims, g), b = Volume.zeros(dims, g);
        java.util.Random r = new java.util.Random(3);
        for (int v = 1; v < a.size(); v++) { // voxel 0 (a corner) stays 0 in both channels
            a.data()[v] = (float) (50 + 10 * r.nextGaussian());
            b.data()[v] = (float) (200 + 30 * r.nextGaussian());
        }
        for (ChannelNormalization n : List.of(ChannelNormalization.of(Normalization.ZSCORE), ChannelNormalization.of(Normalization.ZSCORE_NONZERO),
                ChannelNormalization.of(Normalization.ZSCORE_MASK), ChannelNormalization.of(Normalization.RESCALE_0_1),
                ChannelNormalization.of(Normalization.NONE), ChannelNormalization.ct(40, 12, 5, 90))) {
            List<ChannelNormalization> norms = List.of(n, n);
            Volume[] out = ChannelNormalization.normalize(norms, a, b);
            float[] z = ChannelNormalization.zeroValue(norms, a, b);
            for (int c = 0; c < 2; c++) assertEquals(n + " channel " + c, out[c].data()[0], z[c], 0f);
        }
        double sum = 0, ss = 0;
        for (float v : a.data()) sum += v;
        double mean = sum / a.size();
        for (float v : a.data()) ss += (v - mean) * (v - mean);
        float want = (float) (-mean / Math.sqrt(ss / a.size()));
        float got = ChannelNormalization.zeroValue(List.of(ChannelNormalization.of(Normalization.ZSCORE)), a)[0];
        assertEquals(want, got, 1e-6);
        assertTrue(got < -4);
    }
}
