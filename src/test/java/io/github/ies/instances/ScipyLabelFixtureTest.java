package io.github.ies.instances;

import com.google.gson.JsonObject;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.img.array.ArrayImg;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.img.basictypeaccess.array.ByteArray;
import org.junit.Test;

import java.util.Map;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * Labeling against {@code scipy.ndimage.label} (scipy 1.10, structures generate_binary_structure(3, 1/2/3)) on the
 * committed fixtures; the fixtures hold scipy's labels with ids in NIfTI raster order (see the generating script),
 * so labels must be identical, not only the same partition.
 */
public class ScipyLabelFixtureTest {

    @Test
    public void identicalToScipyOnAllFixtures() throws Exception {
        JsonObject index = Fixtures.json("label_fixtures.json");
        int checked = 0;
        for (Map.Entry<String, com.google.gson.JsonElement> e : index.entrySet()) {
            String name = e.getKey();
            Volume mask = Nifti.read(Fixtures.path("mask_" + name + ".nii.gz"));
            for (Connectivity c : Connectivity.values()) {
                Volume expected = Nifti.read(Fixtures.path("labels_" + name + "_c" + c.neighbours + ".nii.gz"));
                assertArrayEquals(name, mask.dims(), expected.dims());
                Labeling got = ConnectedComponents.label(mask, c);
                int expectedCount = e.getValue().getAsJsonObject().get("count_c" + c.neighbours).getAsInt();
                assertEquals(name + " c" + c + " count", expectedCount, got.count());
                float[] ex = expected.data();
                int[] lab = got.labels();
                for (int t = 0; t < ex.length; t++) {
                    if ((int) ex[t] != lab[t]) {
                        throw new AssertionError(name + " c" + c + ": voxel " + t + " scipy " + (int) ex[t] + " ies " + lab[t]);
                    }
                }
                checked++;
            }
        }
        assertTrue(checked >= 30);
    }

    /** The ImgLib2 entry point copies in flat iteration order: same labels as the Volume entry point. */
    @Test
    public void imglib2EntryPointAgrees() throws Exception {
        Volume mask = Nifti.read(Fixtures.path("mask_blobs.nii.gz"));
        int[] d = mask.dims();
        byte[] bytes = new byte[mask.size()];
        for (int t = 0; t < bytes.length; t++) bytes[t] = (byte) (mask.data()[t] != 0 ? 1 : 0);
        ArrayImg<UnsignedByteType, ByteArray> img = ArrayImgs.unsignedBytes(bytes, d[0], d[1], d[2]);
        for (Connectivity c : Connectivity.values()) {
            Labeling a = ConnectedComponents.label(img, c);
            Labeling b = ConnectedComponents.label(mask, c);
            assertArrayEquals(b.labels(), a.labels());
            assertArrayEquals(d, a.dims());
        }
        // and through the Volume's own ImgLib2 view
        assertArrayEquals(ConnectedComponents.label(mask, Connectivity.EIGHTEEN).labels(),
                ConnectedComponents.label(mask.img(), Connectivity.EIGHTEEN).labels());
    }
}
