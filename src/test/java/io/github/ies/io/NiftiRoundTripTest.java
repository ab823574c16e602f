package io.github.ies.io;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Write then read: every writable datatype, with and without scl_slope/scl_inter, plain and gzipped. */
public class NiftiRoundTripTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** An oblique geometry with values that float32 does not hold exactly (to check they are rounded, not lost). */
    static Geometry oblique() {
        double[][] srow = {{-1.4, 0.1234567891, 0.02, 91.123456789}, {0.05, 1.2, -0.3, -126.75}, {0.01, 0.3, 2.2, -72.3}};
        return new Geometry(new double[] {1.4, 1.25, 2.2}, -1, Geometry.XFORM_SCANNER_ANAT, Geometry.XFORM_MNI_152,
                new double[] {0.1, -0.2, 0.3}, new double[] {91.1, -126.75, -72.3}, srow, 2 | 8);
    }

    static Volume sample(NiftiDataType t, double slope, double inter, long seed) {
        int[] d = {7, 5, 4};
        float[] data = new float[7 * 5 * 4];
        Random r = new Random(seed);
        double lo = Math.max(t.min(), -1e6), hi = Math.min(t.max(), 1e6);
        for (int n = 0; n < data.length; n++) {
            double stored = t.isInteger() ? Math.rint(lo + (hi - lo) * r.nextDouble()) : r.nextGaussian() * 1000;
            if (n == 0) stored = lo;
            if (n == 1) stored = hi;
            data[n] = (float) (stored * slope + inter);
        }
        if (!t.isInteger()) data[2] = Float.NaN;
        return new Volume(data, d, oblique());
    }

    static void assertGeometryCopied(Geometry in, Geometry out) {
        for (int i = 0; i < 3; i++) {
            assertEquals((float) in.spacing[i], out.spacing[i], 0);
            assertEquals((float) in.quatern[i], out.quatern[i], 0);
            assertEquals((float) in.qoffset[i], out.qoffset[i], 0);
            for (int c = 0; c < 4; c++) assertEquals((float) in.srow[i][c], out.srow[i][c], 0);
        }
        assertEquals(in.qfac, out.qfac, 0);
        assertEquals(in.qformCode, out.qformCode);
        assertEquals(in.sformCode, out.sformCode);
        assertEquals(in.xyztUnits, out.xyztUnits);
        assertTrue(in.sameAffine(out, 1e-4));
    }

    @Test
    public void everyDatatypePlainAndGzWithAndWithoutScaling() throws Exception {
        int runs = 0;
        for (NiftiDataType t : NiftiDataType.values()) {
            assertTrue(t.isWritable());
            for (double[] si : new double[][] {{1, 0}, {0.5, -3}, {-2.5, 100}}) {
                for (String ext : new String[] {".nii", ".nii.gz"}) {
                    Volume in = sample(t, si[0], si[1], runs);
                    Path p = tmp.getRoot().toPath().resolve(t.label + "_" + runs + ext);
                    Nifti.write(in, p, t, si[0], si[1]);
                    NiftiHeader h = Nifti.readHeader(p);
                    assertEquals(t, h.dataType());
                    assertEquals(1, h.version);
                    assertEquals(ext.endsWith(".gz"), isGz(p));
                    Volume out = Nifti.read(p);
                    assertArrayEquals(in.dims(), out.dims());
                    float[] a = in.data(), b = out.data();
                    for (int n = 0; n < a.length; n++) {
                        if (Float.isNaN(a[n])) {
                            assertTrue(Float.isNaN(b[n]));
                            continue;
                        }
                        // integer types store exact multiples; float32 with scaling loses at most float rounding
                        double tol = t == NiftiDataType.FLOAT32 || t == NiftiDataType.FLOAT64 ? 1e-6 : 1e-7;
                        if (!Fixtures.close(b[n], a[n], tol * Math.max(1, Math.abs(a[n])))) {
                            fail(t + " " + ext + " slope " + si[0] + " voxel " + n + ": wrote " + a[n] + " read " + b[n]);
                        }
                    }
                    assertGeometryCopied(in.geometry(), out.geometry());
                    runs++;
                }
            }
        }
        assertEquals(NiftiDataType.values().length * 6, runs);
    }

    private static boolean isGz(Path p) throws Exception {
        byte[] b = Files.readAllBytes(p);
        return (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
    }

    @Test
    public void calMinMaxHoldTheDataRange() throws Exception {
        Volume v = sample(NiftiDataType.FLOAT32, 1, 0, 3);
        Path p = tmp.getRoot().toPath().resolve("cal.nii");
        Nifti.write(v, p, NiftiDataType.FLOAT32);
        NiftiHeader h = Nifti.readHeader(p);
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float x : v.data()) if (!Float.isNaN(x)) { min = Math.min(min, x); max = Math.max(max, x); }
        assertEquals(min, h.calMin, 0);
        assertEquals(max, h.calMax, 0);
        assertEquals(352, h.dataOffset());
    }

    @Test
    public void largeDimensionIsWrittenAsNifti2() throws Exception {
        int[] d = {40000, 2, 1};
        float[] data = new float[80000];
        for (int n = 0; n < data.length; n++) data[n] = n % 977;
        Volume v = new Volume(data, d, Geometry.axisAligned(new double[] {0.5, 0.5, 1}, new double[] {3, 0, 0}));
        Path p = tmp.getRoot().toPath().resolve("long.nii.gz");
        Nifti.write(v, p, NiftiDataType.INT16);
        NiftiHeader h = Nifti.readHeader(p);
        assertEquals(2, h.version);
        assertEquals(544, h.dataOffset());
        Volume back = Nifti.read(p);
        assertArrayEquals(d, back.dims());
        assertArrayEquals(data, back.data(), 0f);
        assertTrue(v.geometry().sameAffine(back.geometry(), 0));
    }

    @Test
    public void failedWriteLeavesNothing() throws Exception {
        Volume v = new Volume(new float[] {1, Float.NaN, 3}, new int[] {3, 1, 1}, oblique());
        Path p = tmp.getRoot().toPath().resolve("nan.nii.gz");
        try {
            Nifti.write(v, p, NiftiDataType.INT16);
            fail("NaN cannot be int16");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("NaN"));
        }
        assertFalse(Files.exists(p));
        try (var s = Files.list(tmp.getRoot().toPath())) {
            assertEquals("no temporary file left", 0, s.count());
        }
        Volume big = new Volume(new float[] {1, 2, 70000}, new int[] {3, 1, 1}, oblique());
        try {
            Nifti.write(big, p, NiftiDataType.INT16);
            fail("70000 does not fit int16");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("70000") && e.getMessage().contains("int16"));
        }
    }

    @Test
    public void geometryOfNiftiFilesSurvivesRewrite() throws Exception {
        // a file written by other software (FSL, big-endian SPM...) rewritten by IES keeps its codes and values
        for (String f : new String[] {"real/example4d.nii.gz", "real/anatomical.nii", "generated/qform_qfac_neg.nii",
                "generated/qform_w2_negative.nii"}) {
            Path src = Fixtures.dir().resolve(f);
            NiftiHeader h0 = Nifti.readHeader(src);
            Volume in = Nifti.read(src);
            Path p = tmp.getRoot().toPath().resolve("copy.nii.gz");
            Nifti.write(in, p, NiftiDataType.FLOAT32);
            NiftiHeader h1 = Nifti.readHeader(p);
            assertEquals(f, h0.qformCode, h1.qformCode);
            assertEquals(f, h0.sformCode, h1.sformCode);
            assertEquals(f, Math.signum(h0.pixdim[0] == 0 ? 1 : h0.pixdim[0]), h1.pixdim[0], 0);
            assertArrayEquals(f, h0.quatern, h1.quatern, 0);
            assertArrayEquals(f, h0.qoffset, h1.qoffset, 0);
            for (int r = 0; r < 3; r++) assertArrayEquals(f, h0.srow[r], h1.srow[r], 0);
            for (int i = 1; i <= 3; i++) assertEquals(f, Math.abs(h0.pixdim[i]), h1.pixdim[i], 0);
            assertTrue(f, in.geometry().sameAffine(Nifti.read(p).geometry(), 0));
            assertArrayEquals(f, in.data(), Nifti.read(p).data(), 0f);
        }
    }
}
