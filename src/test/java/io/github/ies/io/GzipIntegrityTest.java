package io.github.ies.io;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static org.junit.Assert.*;

/**
 * Issue 12, point 2: damaged {@code .nii.gz} files. Every gzip stream is read to its end and its CRC32 and ISIZE
 * are checked; concatenated members are read as one stream; trailing garbage is refused. The reference for "read
 * correctly" is the volume that was written.
 */
public class GzipIntegrityTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Volume volume() {
        float[] d = new float[12 * 10 * 8];
        Random r = new Random(5);
        for (int i = 0; i < d.length; i++) d[i] = (float) Math.rint(1000 * r.nextGaussian());
        return new Volume(d, new int[] {12, 10, 8}, Geometry.axisAligned(new double[] {1, 1.5, 2}, new double[] {6, 5, 4}));
    }

    /** The uncompressed bytes of a valid int16 file. */
    private byte[] plain(Volume v) throws IOException {
        Path p = tmp.newFolder().toPath().resolve("v.nii");
        Nifti.write(v, p, NiftiDataType.INT16);
        return Files.readAllBytes(p);
    }

    private static byte[] gzip(byte[] b, int from, int to) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
            g.write(b, from, to - from);
        }
        return bo.toByteArray();
    }

    private Path write(String name, byte[] b) throws IOException {
        Path p = tmp.getRoot().toPath().resolve(name);
        Files.write(p, b);
        return p;
    }

    private static String failure(Path p) {
        try {
            Nifti.read(p);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    @Test
    public void crcAndLengthOfTheTrailerAreChecked() throws Exception {
        Volume v = volume();
        byte[] gz = gzip(plain(v), 0, plain(v).length);
        assertArrayEquals(v.data(), Nifti.read(write("ok.nii.gz", gz)).data(), 0f);

        byte[] crc = gz.clone();
        crc[crc.length - 8] ^= 0x01;               // the case: byte len-8, the CRC32's first byte
        String m = failure(write("crc.nii.gz", crc));
        assertNotNull("a CRC error must not be accepted", m);
        assertTrue(m, m.contains("crc.nii.gz") && m.contains("CRC32 check failed") && m.contains("damaged"));

        byte[] size = gz.clone();
        size[size.length - 2] ^= 0x10;             // ISIZE
        m = failure(write("isize.nii.gz", size));
        assertNotNull(m);
        assertTrue(m, m.contains("length check failed"));

        byte[] cut = Arrays.copyOf(gz, gz.length - 3);   // the trailer cut short
        m = failure(write("cut.nii.gz", cut));
        assertNotNull(m);
        assertTrue(m, m.contains("truncated") && m.contains("trailer"));
    }

    @Test
    public void concatenatedMembersAreOneStreamAndTrailingGarbageIsRefused() throws Exception {
        Volume v = volume();
        byte[] raw = plain(v);
        // three members, split inside the header and inside the data (gzip -d and Python read this as one stream)
        ByteArrayOutputStream multi = new ByteArrayOutputStream();
        multi.write(gzip(raw, 0, 100));
        multi.write(gzip(raw, 100, 900));
        multi.write(gzip(raw, 900, raw.length));
        assertArrayEquals(v.data(), Nifti.read(write("multi.nii.gz", multi.toByteArray())).data(), 0f);

        // zero padding after the stream is accepted (as by gzip and Python), other bytes are not
        byte[] gz = gzip(raw, 0, raw.length);
        byte[] padded = Arrays.copyOf(gz, gz.length + 512);
        assertArrayEquals(v.data(), Nifti.read(write("padded.nii.gz", padded)).data(), 0f);
        byte[] garbage = Arrays.copyOf(gz, gz.length + 16);
        Arrays.fill(garbage, gz.length, garbage.length, (byte) 'x');
        String m = failure(write("garbage.nii.gz", garbage));
        assertNotNull(m);
        assertTrue(m, m.contains("unexpected data after the end of the gzip stream"));
        // a damaged second member is found too
        byte[] bad = multi.toByteArray();
        bad[bad.length - 8] ^= 0x40;
        assertNotNull(failure(write("multibad.nii.gz", bad)));
    }

    /**
     * The sweep: random bit flips gave changed voxels (min -5268 instead of 0, 377 lesions instead of 9). Every
     * single-bit flip anywhere in the file must now either be refused or leave the voxels exactly as written (a flip in
     * the gzip header's MTIME, XFL or OS bytes changes nothing).
     */
    @Test
    public void everyRandomBitFlipIsRefusedOrHarmless() throws Exception {
        Volume v = volume();
        byte[] gz = gzip(plain(v), 0, plain(v).length);
        Random r = new Random(12);
        int refused = 0, harmless = 0;
        Path p = tmp.getRoot().toPath().resolve("flip.nii.gz");
        for (int t = 0; t < 400; t++) {
            byte[] b = gz.clone();
            int pos = t < gz.length && t < 40 ? t : r.nextInt(b.length);    // every header byte, then anywhere
            b[pos] ^= (byte) (1 << r.nextInt(8));
            Files.write(p, b);
            Volume got;
            try {
                got = Nifti.read(p);
            } catch (NiftiFormatException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("flip.nii.gz"));
                refused++;
                continue;
            }
            assertArrayEquals("flip at byte " + pos + " was read with changed voxels", v.data(), got.data(), 0f);
            assertTrue(got.sameGrid(v));
            harmless++;
        }
        assertTrue("refused " + refused, refused > 300);
        assertTrue("harmless " + harmless, harmless > 0);     // MTIME/XFL/OS flips
    }

    @Test
    public void aDamagedGzippedHeaderOfAPairIsRefused() throws Exception {
        Volume v = volume();
        byte[] raw = plain(v);
        byte[] hdr = Arrays.copyOf(raw, 348);
        hdr[345] = 'i';                                           // "ni1": a .hdr/.img pair
        java.nio.ByteBuffer.wrap(hdr).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(108, 0f);
        byte[] img = Arrays.copyOfRange(raw, 352, raw.length);
        write("pair.img", img);
        byte[] hgz = gzip(hdr, 0, hdr.length);
        Path h = write("pair.hdr.gz", hgz);
        assertArrayEquals(v.data(), Nifti.read(h).data(), 0f);
        hgz[hgz.length - 7] ^= 0x02;
        Files.write(h, hgz);
        String m = failure(h);
        assertNotNull(m);
        assertTrue(m, m.contains("pair.hdr.gz") && m.contains("CRC32"));
    }

    @Test
    public void aFourDFileThatLiesAboutItsVolumesIsRefusedWhenReadingVolumeZero() throws Exception {
        Volume v = volume();
        byte[] raw = plain(v);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bb.putShort(40, (short) 4);
        bb.putShort(48, (short) 3);                                 // claims 3 volumes, holds 1
        String m = failure(write("lie4d.nii.gz", gzip(raw, 0, raw.length)));
        assertNotNull("volume 0 of a 4D gzip file that holds only one volume", m);
        assertTrue(m, m.contains("truncated"));
    }
}
