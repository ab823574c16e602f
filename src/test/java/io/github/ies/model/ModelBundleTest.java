package io.github.ies.model;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.Assert.*;

public class ModelBundleTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path copyBundle(Consumer<JsonObject> edit) throws IOException {
        Path dir = tmp.newFolder().toPath().resolve("bundle");
        Files.createDirectories(dir);
        Files.copy(Fixtures.tinyBundle().resolve("model.pt"), dir.resolve("model.pt"));
        JsonObject j = JsonParser.parseString(Files.readString(Fixtures.tinyBundle().resolve("ies-model.json"))).getAsJsonObject();
        if (edit != null) edit.accept(j);
        Files.writeString(dir.resolve("ies-model.json"), j.toString());
        return dir;
    }

    private static String failure(Path bundle) {
        try {
            ModelBundle.load(bundle);
        } catch (IOException e) {
            assertTrue("expected a BundleException, got " + e, e instanceof BundleException);
            return e.getMessage();
        }
        throw new AssertionError("bundle " + bundle + " loaded but should not");
    }

    @Test
    public void loadsFixtureAndKeepsUnknownKeys() throws Exception {
        ModelBundle b = ModelBundle.load(Fixtures.tinyBundle());
        assertEquals("tiny-test", b.name());
        assertEquals(java.util.List.of("FLAIR", "MPRAGE"), b.inputs());
        assertArrayEquals(new int[] {16, 16, 16}, b.patchSize());
        assertEquals(Normalization.ZSCORE_NONZERO, b.normalization());
        assertEquals(Blending.GAUSSIAN, b.blending());
        assertEquals(Activation.SOFTMAX, b.activation());
        assertEquals(1, b.lesionChannel());
        assertEquals(0.5, b.threshold(), 0);
        assertEquals(18, b.connectivity());
        assertEquals(6, b.minLesionVoxels());
        assertTrue(b.features());
        assertEquals("model.1.submodule.2.conv", b.featureLayer());
        assertTrue(b.json().getAsJsonObject("some_future_key").get("kept").getAsBoolean());
        assertEquals(1, b.inputIndex("mprage"));
        assertEquals(-1, b.inputIndex("T2"));
        assertEquals(64, b.modelSha256().length());
    }

    @Test
    public void optionalKeysHaveDefaults() throws Exception {
        ModelBundle b = ModelBundle.load(copyBundle(j -> {
            j.remove("overlap"); j.remove("blending"); j.remove("min_lesion_voxels"); j.remove("connectivity");
            j.remove("features"); j.remove("description");
        }));
        assertEquals(0.25, b.overlap(), 0);
        assertEquals(Blending.GAUSSIAN, b.blending());
        assertEquals(6, b.minLesionVoxels());
        assertEquals(18, b.connectivity());
        assertFalse(b.features());
        assertEquals("", b.description());
    }

    @Test
    public void missingFiles() throws Exception {
        Path noModel = copyBundle(null);
        Files.delete(noModel.resolve("model.pt"));
        assertTrue(failure(noModel), failure(noModel).contains("has no model.pt"));
        Path noMeta = copyBundle(null);
        Files.delete(noMeta.resolve("ies-model.json"));
        assertTrue(failure(noMeta), failure(noMeta).contains("has no ies-model.json"));
        String m = failure(tmp.getRoot().toPath().resolve("nowhere"));
        assertTrue(m, m.contains("not found") && m.contains("nowhere"));
    }

    @Test
    public void badJson() throws Exception {
        Path b = copyBundle(null);
        Files.writeString(b.resolve("ies-model.json"), "{\"format\": \"ies-model/1\", \"name\": ");
        String m = failure(b);
        assertTrue(m, m.contains("ies-model.json is not valid JSON"));
        Files.writeString(b.resolve("ies-model.json"), "[1, 2]");
        assertTrue(failure(b).contains("must hold a JSON object"));
    }

    @Test
    public void missingAndWrongKeys() throws Exception {
        String m = failure(copyBundle(j -> j.remove("patch_size")));
        assertTrue(m, m.contains("missing required key \"patch_size\""));
        m = failure(copyBundle(j -> j.remove("inputs")));
        assertTrue(m, m.contains("missing required key \"inputs\""));
        m = failure(copyBundle(j -> j.addProperty("threshold", "high")));
        assertTrue(m, m.contains("key \"threshold\" must be a number") && m.contains("high"));
        m = failure(copyBundle(j -> j.addProperty("patch_size", 16)));
        assertTrue(m, m.contains("\"patch_size\" must be an array of 3 positive integers"));
        m = failure(copyBundle(j -> j.addProperty("activation", "relu")));
        assertTrue(m, m.contains("\"activation\" must be \"softmax\" or \"sigmoid\"") && m.contains("relu"));
        m = failure(copyBundle(j -> j.addProperty("format", "ies-model/9")));
        assertTrue(m, m.contains("unsupported \"format\""));
        m = failure(copyBundle(j -> j.addProperty("connectivity", 8)));
        assertTrue(m, m.contains("\"connectivity\" must be 6, 18 or 26"));
        m = failure(copyBundle(j -> j.addProperty("lesion_channel", 1.5)));
        assertTrue(m, m.contains("\"lesion_channel\" must be an integer"));
        m = failure(copyBundle(j -> j.addProperty("features", "yes")));
        assertTrue(m, m.contains("\"features\" must be true or false"));
    }

    @Test
    public void channelCountNotMatchingModel() throws Exception {
        Path b = copyBundle(j -> {
            com.google.gson.JsonArray a = new com.google.gson.JsonArray();
            a.add("FLAIR"); a.add("MPRAGE"); a.add("T2");
            j.add("inputs", a);
        });
        ModelBundle bundle = ModelBundle.load(b);
        try (TorchModel m = TorchModel.load(bundle, Device.cpu(), false)) {
            m.check();
            fail("a 3-channel bundle for a 2-channel model passed the test forward pass");
        } catch (BundleException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("failed a test forward pass on input (1, 3, 16, 16, 16)")
                    || e.getMessage().contains("failed a test forward pass on input [1, 3, 16, 16, 16]"));
            assertTrue(e.getMessage(), e.getMessage().contains("[FLAIR, MPRAGE, T2]"));
            assertTrue(e.getMessage(), e.getMessage().contains("2 channels"));
        }
    }

    @Test
    public void lesionChannelBeyondOutputs() throws Exception {
        ModelBundle bundle = ModelBundle.load(copyBundle(j -> j.addProperty("lesion_channel", 5)));
        try (TorchModel m = TorchModel.load(bundle, Device.cpu(), false)) {
            m.check();
            fail("lesion_channel 5 accepted for a 2-class model");
        } catch (BundleException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("\"lesion_channel\" 5 but the model outputs 2 channel(s)"));
        }
    }

    @Test
    public void notTorchScript() throws Exception {
        Path b = copyBundle(null);
        Files.writeString(b.resolve("model.pt"), "not a model");
        ModelBundle bundle = ModelBundle.load(b);
        try (TorchModel m = TorchModel.load(bundle, Device.cpu(), false)) {
            fail("garbage model.pt loaded");
        } catch (BundleException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("cannot load model.pt as TorchScript"));
        }
    }

    @Test
    public void zipBundles() throws Exception {
        for (String prefix : new String[] {"", "demo/"}) {
            Path zip = tmp.newFile("b" + prefix.length() + ".zip").toPath();
            try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
                for (String f : new String[] {"model.pt", "ies-model.json"}) {
                    z.putNextEntry(new ZipEntry(prefix + f));
                    Files.copy(Fixtures.tinyBundle().resolve(f), z);
                    z.closeEntry();
                }
            }
            ModelBundle b = ModelBundle.load(zip);
            assertEquals("tiny-test", b.name());
            assertTrue(Files.isRegularFile(b.modelFile()));
            assertEquals(ModelBundle.load(Fixtures.tinyBundle()).modelSha256(), b.modelSha256());
        }
        Path notZip = tmp.newFile("x.zip").toPath();
        try (OutputStream o = Files.newOutputStream(notZip)) { o.write("hello".getBytes(StandardCharsets.UTF_8)); }
        String m = failure(notZip);
        assertTrue(m, m.contains("x.zip"));
    }

    @Test
    public void normalizationIsMonaiNonzeroZscore() {
        float[] v = {0, 1, 2, 3, 0, 6};
        float[] n = Normalization.ZSCORE_NONZERO.apply(v);
        double mean = 3, std = Math.sqrt((4 + 1 + 0 + 9) / 4.0); // population std over nonzero voxels
        assertEquals(0f, n[0], 0);
        assertEquals(0f, n[4], 0);
        assertEquals((1 - mean) / std, n[1], 1e-6);
        assertEquals((6 - mean) / std, n[5], 1e-6);
        float[] v2 = Normalization.ZSCORE_NONZERO.apply(new float[] {0, 5, 5});
        assertEquals(0f, v2[1], 0); // (5 - 5) / 1
        assertArrayEquals(v, Normalization.NONE.apply(v), 0);
    }

    @Test
    public void perChannelNormalizationAndGeometryKeys() throws Exception {
        ModelBundle b = ModelBundle.load(copyBundle(j -> {
            j.add("normalization", JsonParser.parseString("[{\"scheme\": \"ct\", \"mean\": 40, \"std\": 300, \"lower\": -900, "
                    + "\"upper\": 1400}, \"zscore-mask\"]"));
            j.add("orientation", JsonParser.parseString("\"ras\""));
            j.add("spacing", JsonParser.parseString("[1, 1, 1.5]"));
        }));
        assertEquals(Normalization.CT, b.normalization());
        assertEquals(Normalization.ZSCORE_MASK, b.normalizations().get(1).scheme);
        assertTrue(b.normalizationKey(), b.normalizationKey().startsWith("FLAIR: ct(mean 40"));
        assertEquals("RAS", b.geometry().orientation());
        assertArrayEquals(new double[] {1, 1, 1.5}, b.geometry().spacing(), 0);
        assertEquals(1e-3, b.geometry().spacingTolerance(), 0);
        ModelBundle plain = ModelBundle.load(Fixtures.tinyBundle());
        assertTrue(plain.geometry().none());
        assertEquals("zscore-nonzero", plain.normalizationKey());
        assertEquals(2, plain.normalizations().size());

        String m = failure(copyBundle(j -> j.addProperty("orientation", "RAX")));
        assertTrue(m, m.contains("\"orientation\" must be 3 axis codes") && m.contains("RAX"));
        m = failure(copyBundle(j -> j.add("spacing", JsonParser.parseString("[1, -1, 1]"))));
        assertTrue(m, m.contains("\"spacing\" must be an array of 3 positive numbers"));
        m = failure(copyBundle(j -> j.addProperty("spacing", 2)));
        assertTrue(m, m.contains("\"spacing\" must be an array of 3 positive numbers"));
        m = failure(copyBundle(j -> j.addProperty("spacing_tolerance", -1)));
        assertTrue(m, m.contains("spacing_tolerance"));
        m = failure(copyBundle(j -> j.addProperty("normalization", "median")));
        assertTrue(m, m.contains("\"normalization\"") && m.contains("median"));
        m = failure(copyBundle(j -> j.add("normalization", JsonParser.parseString("[\"zscore\"]"))));
        assertTrue(m, m.contains("1 entries for 2 inputs"));
        m = failure(copyBundle(j -> j.add("normalization", JsonParser.parseString("[\"zscore\", \"ct\"]"))));
        assertTrue(m, m.contains("entry 1") && m.contains("needs its parameters"));
    }
}
