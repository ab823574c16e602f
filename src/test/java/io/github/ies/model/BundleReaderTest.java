package io.github.ies.model;

import io.github.ies.cli.CliTestBase;
import io.github.ies.cli.IesCli;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import io.github.ies.io.Geometry;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.Assert.*;

/**
 * Issue 21: a new model format is a new reader class plus one registration line ({@link ToyBundleReader}, registered
 * in the test resources only). A toy-format folder holding the tiny test network loads, segments exactly as the same
 * network in IES's own format, and a folder of no known format is refused naming what each format needs.
 */
public class BundleReaderTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aToyFormatSegmentsExactlyAsTheSameNetworkInIesFormat() throws Exception {
        Path tiny = Path.of(CliTestBase.tinyBundle());
        Path toy = tmp.newFolder("toy-bundle").toPath();
        Files.copy(tiny.resolve(ModelBundle.MODEL_FILE), toy.resolve("net.ts"));
        Files.writeString(toy.resolve(ToyBundleReader.META), "{\"network\": \"net.ts\", \"modalities\": [\"FLAIR\", \"MPRAGE\"], "
                + "\"roi\": [16, 16, 16], \"probability_threshold\": 0.5}", StandardCharsets.UTF_8);

        assertTrue(BundleReader.all().stream().anyMatch(r -> r instanceof ToyBundleReader));
        ModelBundle b = ModelBundle.load(toy);
        assertEquals("toy:toy-bundle", b.name());
        assertEquals(List.of("FLAIR", "MPRAGE"), b.inputs());
        assertEquals(toy.resolve("net.ts"), b.modelFile());

        int[] dims = {24, 28, 16};
        Geometry g = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {0, 0, 0});
        Path f = tmp.getRoot().toPath().resolve("f.nii.gz"), m = tmp.getRoot().toPath().resolve("m.nii.gz");
        Nifti.write(CliTestBase.blob(dims, g, 3), f, NiftiDataType.FLOAT32);
        Nifti.write(CliTestBase.blob(dims, g, 4), m, NiftiDataType.FLOAT32);
        Path a = tmp.getRoot().toPath().resolve("ies"), t = tmp.getRoot().toPath().resolve("toy");
        for (Object[] run : new Object[][] {{tiny, a}, {toy, t}}) {
            assertEquals(0, IesCli.execute("segment", "--model", run[0].toString(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m,
                    "--device", "cpu", "--quiet", "--out", run[1].toString()));
        }
        Volume pa = Nifti.read(a.resolve("probability.nii.gz")), pt = Nifti.read(t.resolve("probability.nii.gz"));
        assertArrayEquals(pa.data(), pt.data(), 0f);
        float max = 0;
        for (float x : pa.data()) max = Math.max(max, x);
        assertTrue("the network ran", max > 0);
    }

    @Test
    public void aFolderOfNoKnownFormatNamesWhatEachNeeds() throws Exception {
        Path empty = tmp.newFolder("empty").toPath();
        try {
            ModelBundle.load(empty);
            fail("an empty folder loaded");
        } catch (BundleException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("has no ies-model.json") && e.getMessage().contains("toy-model.json"));
        }
    }
}
