package io.github.ies.io;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.google.gson.JsonObject;
import org.junit.Test;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Reads every fixture written by nibabel (scripts/fixtures/make_nifti_fixtures.py) and compares header, affine
 * and voxel values with what nibabel read from the same files.
 */
public class NiftiFixturesTest {

    private static void assertMatrix(String what, double[][] expected, double[][] actual, double tol) {
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                if (!Fixtures.close(actual[r][c], expected[r][c], tol)) {
                    fail(what + ": affine[" + r + "][" + c + "] " + actual[r][c] + " != nibabel's " + expected[r][c]
                            + "\nIES     " + Arrays.deepToString(actual) + "\nnibabel " + Arrays.deepToString(expected));
                }
    }

    @Test
    public void generatedFilesMatchNibabel() throws Exception {
        JsonObject all = Fixtures.expected();
        int files = 0, volumes = 0, voxels = 0;
        for (Map.Entry<String, com.google.gson.JsonElement> en : all.entrySet()) {
            String name = en.getKey();
            if (!name.startsWith("generated/")) continue;
            JsonObject e = en.getValue().getAsJsonObject();
            Path p = Fixtures.dir().resolve(name);
            NiftiHeader h = Nifti.readHeader(p);
            double[] dims = Fixtures.doubles(e.getAsJsonArray("dims"));
            long[] expDims = new long[dims.length];
            for (int i = 0; i < dims.length; i++) expDims[i] = (long) dims[i];
            assertArrayEquals(name + " dims", expDims, h.dims());
            assertEquals(name + " version", e.get("version").getAsInt(), h.version);
            assertEquals(name + " byte order", e.get("big_endian").getAsBoolean(), h.byteOrder == ByteOrder.BIG_ENDIAN);
            assertEquals(name + " datatype", e.get("datatype").getAsString(), h.datatypeName());
            assertEquals(name + " sform_code", e.get("sform_code").getAsInt(), h.sformCode);
            assertEquals(name + " qform_code", e.get("qform_code").getAsInt(), h.qformCode);
            JsonObject vols = e.getAsJsonObject("volumes");
            for (String vk : vols.keySet()) {
                int vi = Integer.parseInt(vk);
                Volume v = Nifti.read(p, vi);
                double[] spacing = Fixtures.doubles(e.getAsJsonArray("spacing"));
                for (int i = 0; i < spacing.length; i++) assertEquals(name + " spacing", spacing[i], v.spacing()[i], 1e-12);
                for (int i = 0; i < 3; i++) assertEquals(name + " dim " + i, i < dims.length ? (int) dims[i] : 1, v.dim(i));
                // the generated files hold float32 header values: IES computes the affine as nibabel does, in double
                assertMatrix(name, Fixtures.matrix(e.getAsJsonArray("affine")), v.affine(), 1e-9);
                double[] data = Fixtures.doubles(vols.getAsJsonObject(vk).getAsJsonArray("data"));
                assertEquals(name + " voxel count", data.length, v.size());
                float[] got = v.data();
                for (int n = 0; n < data.length; n++) {
                    if (got[n] != (float) data[n]) {
                        fail(name + " volume " + vi + " voxel " + n + ": IES " + got[n] + ", nibabel " + data[n]);
                    }
                }
                volumes++;
                voxels += data.length;
            }
            files++;
        }
        assertTrue("expected the fixture set (found " + files + " files)", files >= 35);
        assertTrue(volumes >= files && voxels > 1000);
    }

    @Test
    public void everyReadableDatatypeInBothByteOrders() throws Exception {
        JsonObject all = Fixtures.expected();
        for (NiftiDataType t : NiftiDataType.values()) {
            for (String end : new String[] {"le", "be"}) {
                String name = "generated/" + t.label + "_" + end + ".nii";
                assertTrue("missing fixture " + name, all.has(name));
                NiftiHeader h = Nifti.readHeader(Fixtures.dir().resolve(name));
                assertEquals(t, h.dataType());
                assertEquals(end.equals("be") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN, h.byteOrder);
            }
        }
    }

    @Test
    public void scalingIsApplied() throws Exception {
        Path p = Fixtures.dir().resolve("generated/int16_scaled.nii.gz");
        NiftiHeader h = Nifti.readHeader(p);
        assertEquals(0.5, h.sclSlope, 0);
        assertEquals(-3.0, h.sclInter, 0);
        assertTrue(h.hasScaling());
        // raw int16 values are integers, so scaled values are k/2 - 3: some must be non-integer
        boolean half = false;
        for (float x : Nifti.read(p).data()) half |= x != Math.rint(x);
        assertTrue("slope 0.5 must produce half-integers", half);
    }

    @Test
    public void pairGivenByEitherName() throws Exception {
        Path dir = Fixtures.dir().resolve("generated");
        Volume a = Nifti.read(dir.resolve("pair_uint16_gz.hdr.gz"));
        Volume b = Nifti.read(dir.resolve("pair_uint16_gz.img.gz"));
        assertArrayEquals(a.data(), b.data(), 0f);
        NiftiHeader h = Nifti.readHeader(dir.resolve("pair_int16_le.img"));
        assertEquals(false, h.singleFile);
    }

    @Test
    public void fourDVolumesDiffer() throws Exception {
        Path p = Fixtures.dir().resolve("generated/four_d_int16.nii.gz");
        assertEquals(3, Nifti.readHeader(p).volumeCount());
        Volume v0 = Nifti.read(p, 0), v2 = Nifti.read(p, 2);
        assertTrue(!Arrays.equals(v0.data(), v2.data()));
    }

    @Test
    public void realHeaderOnlyFilesMatchNibabel() throws Exception {
        JsonObject all = Fixtures.expected();
        for (String f : new String[] {"real/nifti1.hdr", "real/nifti2.hdr"}) {
            JsonObject e = all.getAsJsonObject(f);
            Path p = Fixtures.dir().resolve(f);
            NiftiHeader h = Nifti.readHeader(p);
            assertEquals(f, e.get("version").getAsInt(), h.version);
            assertEquals(f, false, h.singleFile);
            assertEquals(f, e.get("datatype").getAsString(), h.datatypeName());
            assertEquals(f, e.get("descrip").getAsString(), h.descrip);
            assertEquals(f, e.get("cal_max").getAsDouble(), h.calMax, 0);
            double[] dims = Fixtures.doubles(e.getAsJsonArray("dims"));
            for (int i = 0; i < dims.length; i++) assertEquals(f, (long) dims[i], h.dims()[i]);
            Geometry g = h.geometry();
            assertMatrix(f, Fixtures.matrix(e.getAsJsonArray("affine")), g.affine(), 1e-9);
            // these headers have quatern (0, 1, 0): w^2 = 0 exactly
            assertMatrix(f + " qform", Fixtures.matrix(e.getAsJsonArray("qform_affine")), g.qformAffine(), 1e-9);
            try {
                Nifti.read(p);
                fail(f + " has no .img: reading must fail");
            } catch (NiftiFormatException ex) {
                assertTrue(ex.getMessage(), ex.getMessage().contains("no image file") && ex.getMessage().contains(f));
            }
        }
    }
}
