package io.github.ies.io;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;

/** Corrupt, truncated and hostile files: a clear message naming the file and the problem, never an OutOfMemoryError. */
public class NiftiCorruptTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** The bytes of a valid little-endian int16 NIfTI-1 file of 10x10x10 (352 + 2000 bytes). */
    private byte[] valid() throws IOException {
        float[] d = new float[1000];
        for (int n = 0; n < d.length; n++) d[n] = n - 500;
        Path p = tmp.newFolder().toPath().resolve("v.nii");
        Nifti.write(new Volume(d, new int[] {10, 10, 10}, Geometry.spacingOnly(new double[] {1, 1, 1})), p,
                NiftiDataType.INT16);
        return Files.readAllBytes(p);
    }

    private Path file(String name, byte[] content, boolean gz) throws IOException {
        Path p = tmp.getRoot().toPath().resolve(name);
        if (gz) {
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
                g.write(content);
            }
            content = bo.toByteArray();
        }
        Files.write(p, content);
        return p;
    }

    private Path patched(String name, Consumer<ByteBuffer> patch, boolean gz) throws IOException {
        byte[] b = valid();
        patch.accept(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
        return file(name, b, gz);
    }

    /** Reading fails with a NiftiFormatException naming the file and containing every fragment. */
    private static void assertFails(Path p, String... fragments) throws IOException {
        try {
            Nifti.read(p);
            fail(p + " should not be readable");
        } catch (NiftiFormatException e) {
            String m = e.getMessage();
            assertTrue("message names the file: " + m, m.contains(p.getFileName().toString()));
            for (String f : fragments) assertTrue("message '" + m + "' lacks '" + f + "'", m.contains(f));
        }
    }

    @Test
    public void truncatedPlain() throws Exception {
        assertFails(file("trunc.nii", Arrays.copyOf(valid(), 352 + 1500), false), "truncated", "needs 2352 bytes",
                "has 1852");
    }

    @Test
    public void truncatedGzipped() throws Exception {
        // a well-formed gzip stream whose content ends early
        assertFails(file("trunc.nii.gz", Arrays.copyOf(valid(), 352 + 1500), true), "truncated", "after 1852 bytes");
        // a gzip stream cut in the middle
        byte[] whole = Files.readAllBytes(file("whole.nii.gz", valid(), true));
        assertFails(file("cut.nii.gz", Arrays.copyOf(whole, whole.length / 2), false), "truncated");
    }

    @Test
    public void lyingHeaderHugeDims() throws Exception {
        // 30000^3 int16 in a 2 KB file: refused from the header alone
        for (boolean gz : new boolean[] {false, true}) {
            Path p = patched("huge" + (gz ? ".nii.gz" : ".nii"), b -> {
                for (int i = 1; i <= 3; i++) b.putShort(40 + 2 * i, (short) 30000);
            }, gz);
            assertFails(p, "[30000, 30000, 30000]", "voxels");
        }
    }

    @Test
    public void lyingHeaderLargeButAllocatable() throws Exception {
        // 1000^3 int16 claimed by a 2 KB file: refused from the file length before any allocation
        Path plain = patched("lie.nii", b -> {
            for (int i = 1; i <= 3; i++) b.putShort(40 + 2 * i, (short) 1000);
        }, false);
        assertFails(plain, "needs 2000000352 bytes", "file has 2352");
        // 800^3 int16 (3 GB to hold) in a gzip stream: read in chunks, fails when the stream ends (an
        // OutOfMemoryError would fail this test)
        Path gz = patched("lie.nii.gz", b -> {
            for (int i = 1; i <= 3; i++) b.putShort(40 + 2 * i, (short) 800);
        }, true);
        assertFails(gz, "truncated", "after 2352 bytes");
        // 1280^3 float64 (25 GB to hold): more than the test JVM's heap, refused up front
        Path big = patched("big.nii.gz", b -> {
            for (int i = 1; i <= 3; i++) b.putShort(40 + 2 * i, (short) 1280);
            b.putShort(70, (short) 64);
            b.putShort(72, (short) 64);
        }, true);
        assertFails(big, "[1280, 1280, 1280]", "more than the Java heap");
    }

    @Test
    public void fourDLyingAboutVolumes() throws Exception {
        Path p = patched("fourd.nii", b -> {
            b.putShort(40, (short) 4);
            b.putShort(48, (short) 5000);
        }, false);
        assertFails(p, "[10, 10, 10, 5000]", "truncated or lying header");
    }

    @Test
    public void badMagicAndSize() throws Exception {
        assertFails(patched("magic.nii", b -> b.put(344, (byte) 'x'), false), "bad magic 'x+1", "expected 'n+1' or 'ni1'");
        assertFails(patched("size.nii", b -> b.putInt(0, 123), false), "sizeof_hdr is 123");
        assertFails(file("empty.nii", new byte[0], false), "only 0 bytes");
        assertFails(file("short.nii.gz", Arrays.copyOf(valid(), 200), true), "header truncated: 200 of 348");
        assertFails(file("text.nii", "hello, I am not an image at all".getBytes(), false), "sizeof_hdr");
    }

    @Test
    public void badDims() throws Exception {
        assertFails(patched("neg.nii", b -> b.putShort(44, (short) -5), false), "dim[2] is -5");
        assertFails(patched("zero.nii", b -> b.putShort(42, (short) 0), false), "dim[1] is 0");
        assertFails(patched("ndim.nii", b -> b.putShort(40, (short) 9), false), "dim[0] is 9");
        assertFails(patched("ndim0.nii", b -> b.putShort(40, (short) 0), false), "dim[0] is 0");
    }

    @Test
    public void badVoxOffset() throws Exception {
        assertFails(patched("absurd.nii", b -> b.putFloat(108, 1e12f), false), "data offset 999999995904",
                "truncated or lying header");
        assertFails(patched("absurd.nii.gz", b -> b.putFloat(108, 1e12f), true), "truncated");
        assertFails(patched("huge.nii", b -> b.putFloat(108, 1e30f), false), "vox_offset", "absurd");
        assertFails(patched("negoff.nii", b -> b.putFloat(108, -16f), false), "vox_offset is -16");
        assertFails(patched("nanoff.nii", b -> b.putFloat(108, Float.NaN), false), "vox_offset is NaN");
        assertFails(patched("inside.nii", b -> b.putFloat(108, 100f), false), "vox_offset 100 lies inside the header");
    }

    @Test
    public void unsupportedDatatype() throws Exception {
        assertFails(patched("complex.nii", b -> {
            b.putShort(70, (short) 32);
            b.putShort(72, (short) 64);
        }, false), "unsupported datatype 32 (complex64)");
        assertFails(patched("rgb.nii", b -> {
            b.putShort(70, (short) 128);
            b.putShort(72, (short) 24);
        }, false), "unsupported datatype 128 (rgb24)");
    }

    @Test
    public void volumeOutOfRange() throws Exception {
        Path p = Fixtures.dir().resolve("generated/four_d_int16.nii.gz");
        try {
            Nifti.read(p, 3);
            fail();
        } catch (NiftiFormatException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("volume 3 requested but the file has 3 volumes (indices 0..2)"));
        }
        try {
            Nifti.read(Fixtures.dir().resolve("generated/int16_le.nii"), 1);
            fail();
        } catch (NiftiFormatException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("has 1 volume"));
        }
    }

    @Test
    public void missingFiles() throws Exception {
        try {
            Nifti.read(tmp.getRoot().toPath().resolve("nothing.nii"));
            fail();
        } catch (NoSuchFileException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("nothing.nii"));
        }
        Path img = file("lonely.img", new byte[100], false);
        assertFails(img, "no header");
        Path hdr = file("lonely.hdr", Arrays.copyOf(valid(), 348), false);
        Files.delete(img);
        byte[] h = Files.readAllBytes(hdr);
        h[345] = 'i';  // "ni1": a pair header
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putFloat(108, 0f);  // data at the start of the .img
        Files.write(hdr, h);
        assertFails(hdr, "no image file");
        // a .img shorter than the header says
        file("lonely.img", new byte[100], false);
        try {
            Nifti.read(hdr);
            fail();
        } catch (NiftiFormatException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("lonely.img") && e.getMessage().contains("needs 2000 bytes"));
        }
    }
}
