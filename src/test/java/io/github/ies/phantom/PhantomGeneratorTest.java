package io.github.ies.phantom;

import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class PhantomGeneratorTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** The default 2 mm subject, generated once for the read-only checks. */
    private static Phantom ph;

    @BeforeClass
    public static void generateDefault() {
        ph = PhantomGenerator.generate(PhantomSpec.defaults(11));
    }

    private static PhantomSpec small(long seed) {
        return new PhantomSpec(seed, new int[] {48, 56, 48}, 4.0, 12);
    }

    @Test
    public void sameSeedGivesSameVoxelsAndBytes() throws Exception {
        Phantom a = PhantomGenerator.generate(small(5)), b = PhantomGenerator.generate(small(5));
        assertArrayEquals(a.flair().data(), b.flair().data(), 0f);
        assertArrayEquals(a.mprage().data(), b.mprage().data(), 0f);
        assertArrayEquals(a.lesionMask().data(), b.lesionMask().data(), 0f);
        Path da = tmp.newFolder("a").toPath(), db = tmp.newFolder("b").toPath();
        a.write(da);
        b.write(db);
        for (String f : new String[] {Phantom.FLAIR, Phantom.MPRAGE, Phantom.LESIONS, Phantom.BRAINMASK,
                Phantom.TISSUES, Phantom.JSON}) {
            assertArrayEquals(f, Files.readAllBytes(da.resolve(f)), Files.readAllBytes(db.resolve(f)));
        }
    }

    @Test
    public void differentSeedGivesDifferentSubject() {
        Phantom a = PhantomGenerator.generate(small(5)), b = PhantomGenerator.generate(small(6));
        assertFalse(Arrays.equals(a.flair().data(), b.flair().data()));
        assertFalse(Arrays.equals(a.lesionMask().data(), b.lesionMask().data()));
        assertFalse(Arrays.equals(a.tissues().data(), b.tissues().data()));
    }

    /** Mean of {@code img} over voxels of the given tissue, lesion voxels excluded (or only lesion voxels). */
    private static double mean(Volume img, Tissue t, boolean lesion) {
        float[] v = img.data(), tis = ph.tissues().data(), les = ph.lesionMask().data();
        double s = 0;
        long c = 0;
        for (int p = 0; p < v.length; p++) {
            boolean isLesion = les[p] > 0;
            if (lesion ? !isLesion : (isLesion || (t != null && tis[p] != t.code))) continue;
            s += v[p];
            c++;
        }
        assertTrue("no voxels for " + t, c > 0);
        return s / c;
    }

    @Test
    public void flairContrastsAreLesionGreyWhiteCsf() {
        double les = mean(ph.flair(), null, true), gm = mean(ph.flair(), Tissue.CORTICAL_GM, false);
        double wm = mean(ph.flair(), Tissue.WHITE_MATTER, false), csf = mean(ph.flair(), Tissue.VENTRICLE, false);
        String msg = "FLAIR lesion " + les + " gm " + gm + " wm " + wm + " ventricle " + csf;
        assertTrue(msg, les > gm);
        assertTrue(msg, gm > wm);
        assertTrue(msg, wm > csf);
        assertTrue(msg, les > 1.3 * wm);
        assertTrue(msg, csf < 0.35 * wm);
    }

    @Test
    public void mprageContrastsAreWhiteGreyLesionCsf() {
        double les = mean(ph.mprage(), null, true), gm = mean(ph.mprage(), Tissue.CORTICAL_GM, false);
        double wm = mean(ph.mprage(), Tissue.WHITE_MATTER, false), dgm = mean(ph.mprage(), Tissue.DEEP_GM, false);
        double vent = mean(ph.mprage(), Tissue.VENTRICLE, false), csf = mean(ph.mprage(), Tissue.CSF, false);
        String msg = "MPRAGE wm " + wm + " gm " + gm + " lesion " + les + " deep gm " + dgm + " ventricle " + vent
                + " csf " + csf;
        assertTrue(msg, wm > gm);
        assertTrue(msg, wm > dgm);
        assertTrue(msg, gm > les);
        for (double other : new double[] {gm, dgm, les, wm}) {
            assertTrue(msg, vent < other);
            assertTrue(msg, csf < other);
        }
    }

    @Test
    public void lesionsLieInWhiteMatterInsideTheBrain() {
        float[] les = ph.lesionMask().data(), tis = ph.tissues().data(), brain = ph.brainMask().data();
        long n = 0;
        for (int p = 0; p < les.length; p++) {
            assertTrue(les[p] == 0f || les[p] == 1f);
            if (les[p] == 0) continue;
            n++;
            assertEquals("lesion voxel " + p + " outside white matter", Tissue.WHITE_MATTER.code, (int) tis[p]);
            assertEquals("lesion voxel " + p + " outside brain mask", 1f, brain[p], 0f);
        }
        long listed = 0;
        for (Lesion l : ph.lesions()) listed += l.voxels;
        assertEquals(listed, n);
        assertEquals(PhantomSpec.DEFAULT_LESIONS, ph.lesions().size());
    }

    @Test
    public void lesionSizesSpanTheRangeAndAreSeparateComponents() {
        List<Integer> sizes18 = components(ph.lesionMask(), 18);
        List<Integer> sizes26 = components(ph.lesionMask(), 26);
        assertEquals("lesions are separate 18-connected components", ph.lesions().size(), sizes18.size());
        assertEquals("no two lesions touch even diagonally", sizes18, sizes26);
        List<Integer> listed = new ArrayList<>();
        for (Lesion l : ph.lesions()) listed.add(l.voxels);
        Collections.sort(listed);
        assertEquals(listed, sizes18);
        assertTrue("smallest " + sizes18.get(0), sizes18.get(0) <= 5);
        assertTrue("largest " + sizes18.get(sizes18.size() - 1), sizes18.get(sizes18.size() - 1) >= 1000);
        int inRange = 0;
        for (int s : sizes18) if (s >= 90 && s <= 120) inRange++;
        assertTrue("lesions of 90-120 voxels: " + inRange, inRange >= 4);
        boolean cap = false;
        for (Lesion l : ph.lesions()) cap |= l.kind == LesionKind.CONFLUENT_CAP && l.voxels >= 1000;
        assertTrue(cap);
    }

    @Test
    public void lesionListMatchesTheMaskComponents() {
        List<double[]> comps = componentsWithCentroids(ph.lesionMask(), 18);
        assertEquals(ph.lesions().size(), comps.size());
        for (Lesion l : ph.lesions()) {
            double[] c = l.centroid();
            boolean found = false;
            for (double[] m : comps) {
                found |= m[0] == l.voxels && Math.abs(m[1] - c[0]) < 1e-9 && Math.abs(m[2] - c[1]) < 1e-9
                        && Math.abs(m[3] - c[2]) < 1e-9;
            }
            assertTrue("lesion " + l + " at " + Arrays.toString(c) + " is a component of the mask", found);
            assertTrue(l.flairContrast >= 1.45 && l.flairContrast <= 2.0);
            assertTrue(l.mprageContrast > 0.3 && l.mprageContrast < 1.0);
        }
        assertEquals(1, ph.lesions().get(0).id);
        assertEquals(LesionKind.CONFLUENT_CAP, ph.lesions().get(0).kind);
    }

    /** Sorted component sizes by a plain breadth-first flood fill. */
    static List<Integer> components(Volume mask, int connectivity) {
        List<Integer> sizes = new ArrayList<>();
        for (double[] c : componentsWithCentroids(mask, connectivity)) sizes.add((int) c[0]);
        Collections.sort(sizes);
        return sizes;
    }

    /** Components as {voxels, centroid i, j, k} by a plain breadth-first flood fill. */
    static List<double[]> componentsWithCentroids(Volume mask, int connectivity) {
        int[] d = mask.dims();
        float[] m = mask.data();
        boolean[] seen = new boolean[m.length];
        int[] queue = new int[m.length];
        List<double[]> comps = new ArrayList<>();
        for (int start = 0; start < m.length; start++) {
            if (m[start] == 0 || seen[start]) continue;
            int head = 0, tail = 0;
            queue[tail++] = start;
            seen[start] = true;
            double si = 0, sj = 0, sk = 0;
            while (head < tail) {
                int p = queue[head++];
                int i = p % d[0], j = (p / d[0]) % d[1], k = p / (d[0] * d[1]);
                si += i;
                sj += j;
                sk += k;
                for (int c = -1; c <= 1; c++)
                    for (int b = -1; b <= 1; b++)
                        for (int a = -1; a <= 1; a++) {
                            int man = Math.abs(a) + Math.abs(b) + Math.abs(c);
                            if (man == 0 || (connectivity == 18 && man == 3) || (connectivity == 6 && man > 1)) continue;
                            int ni = i + a, nj = j + b, nk = k + c;
                            if (ni < 0 || nj < 0 || nk < 0 || ni >= d[0] || nj >= d[1] || nk >= d[2]) continue;
                            int q = ni + d[0] * (nj + d[1] * nk);
                            if (m[q] != 0 && !seen[q]) {
                                seen[q] = true;
                                queue[tail++] = q;
                            }
                        }
            }
            comps.add(new double[] {tail, si / tail, sj / tail, sk / tail});
        }
        return comps;
    }

    @Test
    public void backgroundIsExactlyZeroAndTheHeadIsNot() {
        float[] f = ph.flair().data(), t = ph.mprage().data(), tis = ph.tissues().data();
        long bg = 0;
        for (int p = 0; p < f.length; p++) {
            boolean head = tis[p] != Tissue.BACKGROUND.code;
            if (!head) bg++;
            assertEquals(head, f[p] != 0f);
            assertEquals(head, t[p] != 0f);
        }
        assertTrue("background present", bg > f.length / 4);
        assertEquals(0f, ph.flair().get(0, 0, 0), 0f);
        assertEquals(0f, ph.mprage().get(95, 111, 95), 0f);
    }

    @Test
    public void writtenFilesReadBackWithTheIntendedAffine() throws Exception {
        Path dir = tmp.newFolder("w").toPath();
        ph.write(dir);
        Geometry expected = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {47.5, 55.5, 47.5});
        for (String f : new String[] {Phantom.FLAIR, Phantom.MPRAGE, Phantom.LESIONS, Phantom.BRAINMASK}) {
            Volume v = Nifti.read(dir.resolve(f));
            assertArrayEquals(new int[] {96, 112, 96}, v.dims());
            double[][] a = v.affine(), e = expected.affine();
            for (int r = 0; r < 4; r++) assertArrayEquals(f, e[r], a[r], 1e-5);
            assertEquals(1, v.geometry().sformCode);
            assertEquals(1, v.geometry().qformCode);
        }
        // world origin at the centre voxel, RAS axes
        double[] w = ph.flair().geometry().toWorld(47.5, 55.5, 47.5);
        assertArrayEquals(new double[] {0, 0, 0}, w, 1e-9);
        assertArrayEquals(ph.flair().data(), Nifti.read(dir.resolve(Phantom.FLAIR)).data(), 0f);
        assertArrayEquals(ph.mprage().data(), Nifti.read(dir.resolve(Phantom.MPRAGE)).data(), 0f);
        assertArrayEquals(ph.lesionMask().data(), Nifti.read(dir.resolve(Phantom.LESIONS)).data(), 0f);
        assertArrayEquals(ph.brainMask().data(), Nifti.read(dir.resolve(Phantom.BRAINMASK)).data(), 0f);

        ByteBuffer h = header(dir.resolve(Phantom.FLAIR));
        assertEquals("int16", 4, h.getShort(70));
        float slope = h.getFloat(112);
        assertTrue("scl_slope " + slope, slope > 0 && slope != 1f);
        assertEquals(ph.flairSlope(), slope, 0);
        double maxStored = 0;
        for (float v : ph.flair().data()) maxStored = Math.max(maxStored, v / slope);
        assertTrue("stored values up to a few thousand: " + maxStored, maxStored > 2000 && maxStored < 32767);
        assertEquals("uint8", 2, header(dir.resolve(Phantom.LESIONS)).getShort(70));
    }

    private static ByteBuffer header(Path gz) throws Exception {
        byte[] b = new byte[348];
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            new DataInputStream(in).readFully(b);
        }
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    public void anatomyIsDefinedInMillimetres() {
        Phantom coarse = PhantomGenerator.generate(new PhantomSpec(11, new int[] {48, 56, 48}, 4.0, 0));
        double brain2 = count(ph.brainMask(), 1) * 8.0, brain4 = count(coarse.brainMask(), 1) * 64.0;
        assertEquals("brain volume (mm3) at 2 and 4 mm", brain2, brain4, 0.05 * brain2);
        double wm2 = count(ph.tissues(), Tissue.WHITE_MATTER.code) * 8.0;
        double wm4 = count(coarse.tissues(), Tissue.WHITE_MATTER.code) * 64.0;
        assertEquals("white matter volume (mm3)", wm2, wm4, 0.1 * wm2);
        assertTrue("a brain of 0.9 to 1.8 litres: " + brain2, brain2 > 0.9e6 && brain2 < 1.8e6);
        assertTrue(coarse.lesions().isEmpty());
        assertEquals(0, count(coarse.lesionMask(), 1));
    }

    private static long count(Volume v, int value) {
        long c = 0;
        for (float x : v.data()) if (x == value) c++;
        return c;
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsSmallShape() {
        new PhantomSpec(1, new int[] {31, 64, 64}, 2, 3);
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsZeroSpacing() {
        new PhantomSpec(1, new int[] {64, 64, 64}, 0, 3);
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsNegativeLesionCount() {
        new PhantomSpec(1, new int[] {64, 64, 64}, 2, -1);
    }
}
