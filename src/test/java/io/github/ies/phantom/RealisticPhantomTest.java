package io.github.ies.phantom;

import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

import static io.github.ies.phantom.RealisticGenerator.CONFOUNDER_NAMES;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

/** The realistic style ({@link RealisticGenerator}) against its documented parameters (docs/phantom.md). */
public class RealisticPhantomTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** A realistic 2 mm subject (the default field of view), generated once for the read-only checks. */
    private static RealisticGenerator.Result r;
    private static int[] d;
    private static float[] flairC, t1C;           // bias-corrected images
    private static double nawmFlair, nawmT1;

    @BeforeClass
    public static void generate() {
        r = RealisticGenerator.generate(PhantomSpec.realistic(7, 2.0, 24));
        Phantom p = r.phantom;
        d = p.flair().dims();
        float[] f = p.flair().data(), t = p.mprage().data();
        flairC = new float[f.length];
        t1C = new float[f.length];
        for (int q = 0; q < f.length; q++) {
            flairC[q] = f[q] / r.flairBias[q];
            t1C[q] = t[q] / r.mprageBias[q];
        }
        boolean[] nawm = nawm();
        nawmFlair = mean(flairC, nawm);
        nawmT1 = mean(t1C, nawm);
    }

    /** Normal-appearing WM: WM with all 6 neighbours WM, no confounder, at least 3 voxels (6 mm) from any lesion. */
    private static boolean[] nawm() {
        float[] tis = r.phantom.tissues().data(), les = r.phantom.lesionMask().data();
        byte[] conf = r.confounder;
        boolean[] nearLesion = new boolean[les.length];
        int sx = 1, sy = d[0], sz = d[0] * d[1];
        for (int k = 0, q = 0; k < d[2]; k++)
            for (int j = 0; j < d[1]; j++)
                for (int i = 0; i < d[0]; i++, q++) {
                    if (les[q] == 0) continue;
                    for (int c = -3; c <= 3; c++)
                        for (int b = -3; b <= 3; b++)
                            for (int a = -3; a <= 3; a++) {
                                int ii = i + a, jj = j + b, kk = k + c;
                                if (ii >= 0 && jj >= 0 && kk >= 0 && ii < d[0] && jj < d[1] && kk < d[2]) {
                                    nearLesion[ii + d[0] * (jj + d[1] * kk)] = true;
                                }
                            }
                }
        boolean[] m = new boolean[les.length];
        for (int k = 1; k < d[2] - 1; k++)
            for (int j = 1; j < d[1] - 1; j++)
                for (int i = 1; i < d[0] - 1; i++) {
                    int q = i + d[0] * (j + d[1] * k);
                    int w = Tissue.WHITE_MATTER.code;
                    m[q] = tis[q] == w && tis[q - sx] == w && tis[q + sx] == w && tis[q - sy] == w && tis[q + sy] == w
                            && tis[q - sz] == w && tis[q + sz] == w && !nearLesion[q] && conf[q] == 0;
                }
        return m;
    }

    private static double mean(float[] v, boolean[] m) {
        double s = 0;
        long c = 0;
        for (int q = 0; q < v.length; q++) if (m[q]) { s += v[q]; c++; }
        assertTrue("no voxels", c > 0);
        return s / c;
    }

    private static PhantomSpec small(long seed) {
        return new PhantomSpec(seed, PhantomSpec.realisticShape(4.0), 4.0, 12, PhantomStyle.REALISTIC);
    }

    @Test
    public void sameSeedGivesSameBytesAndDifferentSeedsDiffer() throws Exception {
        Phantom a = PhantomGenerator.generate(small(5)), b = PhantomGenerator.generate(small(5));
        Path da = tmp.newFolder("a").toPath(), db = tmp.newFolder("b").toPath();
        a.write(da);
        b.write(db);
        for (String f : new String[] {Phantom.FLAIR, Phantom.MPRAGE, Phantom.LESIONS, Phantom.BRAINMASK,
                Phantom.TISSUES, Phantom.CONFOUNDERS, Phantom.JSON}) {
            assertArrayEquals(f, Files.readAllBytes(da.resolve(f)), Files.readAllBytes(db.resolve(f)));
        }
        Phantom c = PhantomGenerator.generate(small(6));
        assertFalse(Arrays.equals(a.flair().data(), c.flair().data()));
        assertFalse(Arrays.equals(a.mprage().data(), c.mprage().data()));
        assertFalse(Arrays.equals(a.lesionMask().data(), c.lesionMask().data()));
        assertFalse(Arrays.equals(a.confounders().data(), c.confounders().data()));
        // the realistic style is not the classic one of the same seed
        Phantom classic = PhantomGenerator.generate(new PhantomSpec(5, small(5).shape(), 4.0, 12));
        assertFalse(Arrays.equals(a.flair().data(), classic.flair().data()));
        assertEquals(null, classic.confounders());
    }

    /** The classic style is untouched by the realistic one: the shipped demo subject regenerates byte for byte. */
    @Test
    public void classicDemoSubjectUnchanged() throws Exception {
        Path demo = Paths.get("test-images/demo");
        org.junit.Assume.assumeTrue(Files.isRegularFile(demo.resolve(Phantom.FLAIR)));
        Path out = tmp.newFolder("demo").toPath();
        PhantomGenerator.generate(PhantomSpec.defaults(20261127)).write(out);
        for (String f : new String[] {Phantom.FLAIR, Phantom.MPRAGE, Phantom.LESIONS, Phantom.BRAINMASK}) {
            assertArrayEquals(f, Files.readAllBytes(demo.resolve(f)), Files.readAllBytes(out.resolve(f)));
        }
        assertFalse(Files.exists(out.resolve(Phantom.CONFOUNDERS)));
    }

    @Test
    public void lesionContrastsFallInTheDocumentedRanges() {
        Phantom p = r.phantom;
        float[] les = p.lesionMask().data();
        int[] id = labelById(p);
        int bh = 0, measured = 0;
        StringBuilder log = new StringBuilder();
        for (Lesion l : p.lesions()) {
            // the lesion's core: voxels whose 6 neighbours are all of this lesion (away from partial volume)
            boolean[] core = new boolean[les.length];
            int n = 0;
            for (int k = 1; k < d[2] - 1; k++)
                for (int j = 1; j < d[1] - 1; j++)
                    for (int i = 1; i < d[0] - 1; i++) {
                        int q = i + d[0] * (j + d[1] * k);
                        if (id[q] != l.id) continue;
                        if (id[q - 1] == l.id && id[q + 1] == l.id && id[q - d[0]] == l.id && id[q + d[0]] == l.id
                                && id[q - d[0] * d[1]] == l.id && id[q + d[0] * d[1]] == l.id) {
                            core[q] = true;
                            n++;
                        }
                    }
            assertTrue(l.flairContrast >= RealisticGenerator.FLAIR_LESION[0]
                    && l.flairContrast <= RealisticGenerator.FLAIR_LESION[1]);
            boolean isBh = "black_hole".equals(l.t1Appearance);
            double[] t1Range = isBh ? RealisticGenerator.MPRAGE_BLACK_HOLE : RealisticGenerator.MPRAGE_FAINT;
            assertTrue(l.mprageContrast >= t1Range[0] && l.mprageContrast <= t1Range[1]);
            if (isBh) bh++;
            if (n < 8) continue;
            measured++;
            double rf = mean(flairC, core) / nawmFlair, rt = mean(t1C, core) / nawmT1;
            log.append(String.format("lesion %d %s n=%d core=%d flair %.3f (drawn %.3f) mprage %.3f (drawn %.3f)%n",
                    l.id, l.t1Appearance, l.voxels, n, rf, l.flairContrast, rt, l.mprageContrast));
            // measured = drawn within the texture, the lesion's own +-12 % variation, the blur and the noise
            assertEquals(log.toString(), l.flairContrast, rf, 0.12);
            assertEquals(log.toString(), l.mprageContrast, rt, 0.08);
            assertTrue(log.toString(), rf > RealisticGenerator.FLAIR_LESION[0] - 0.12
                    && rf < RealisticGenerator.FLAIR_LESION[1] + 0.12);
            if (isBh) assertTrue(log.toString(), rt < RealisticGenerator.MPRAGE_BLACK_HOLE[1] + 0.08);
            else assertTrue(log.toString(), rt > RealisticGenerator.MPRAGE_FAINT[0] - 0.08);
        }
        System.out.print(log);
        assertTrue("too few lesions with a core: " + measured, measured >= 5);
        assertEquals(bh, ((Number) p.parameters().get("black_holes")).intValue());
        // on MPRAGE the black holes are a minority
        assertTrue("black holes " + bh + " of " + p.lesions().size(), bh < p.lesions().size() / 2);
    }

    private static int[] labelById(Phantom p) {
        // the lesions are separate 18-connected components; give each voxel its lesion's id by the nearest centroid
        // among the lesions (exact here: components never touch), found by flood fill from the mask
        float[] les = p.lesionMask().data();
        int[] id = new int[les.length];
        for (Lesion l : p.lesions()) {
            double[] c = l.centroid();
            int best = -1;
            double bd = Double.MAX_VALUE;
            for (int q = 0; q < les.length; q++) {
                if (les[q] == 0 || id[q] != 0) continue;
                int i = q % d[0], j = (q / d[0]) % d[1], k = q / (d[0] * d[1]);
                double dd = (i - c[0]) * (i - c[0]) + (j - c[1]) * (j - c[1]) + (k - c[2]) * (k - c[2]);
                if (dd < bd) { bd = dd; best = q; }
            }
            flood(les, id, best, l.id);
            int count = 0;
            for (int v : id) if (v == l.id) count++;
            assertEquals("lesion " + l.id + " voxels", l.voxels, count);
        }
        return id;
    }

    private static void flood(float[] les, int[] id, int start, int label) {
        int[] queue = new int[les.length];
        int head = 0, tail = 0;
        queue[tail++] = start;
        id[start] = label;
        while (head < tail) {
            int q = queue[head++];
            int i = q % d[0], j = (q / d[0]) % d[1], k = q / (d[0] * d[1]);
            for (int c = -1; c <= 1; c++)
                for (int b = -1; b <= 1; b++)
                    for (int a = -1; a <= 1; a++) {
                        if (Math.abs(a) + Math.abs(b) + Math.abs(c) == 3 || (a | b | c) == 0) continue;
                        int ii = i + a, jj = j + b, kk = k + c;
                        if (ii < 0 || jj < 0 || kk < 0 || ii >= d[0] || jj >= d[1] || kk >= d[2]) continue;
                        int o = ii + d[0] * (jj + d[1] * kk);
                        if (les[o] != 0 && id[o] == 0) {
                            id[o] = label;
                            queue[tail++] = o;
                        }
                    }
        }
    }

    @Test
    public void lesionLocationsFollowTheDrawnShares() {
        Phantom p = r.phantom;
        int[] count = new int[4];
        for (Lesion l : p.lesions()) {
            int loc = Arrays.asList(RealisticGenerator.LOCATION_NAMES).indexOf(l.location);
            assertTrue(l.location, loc >= 0);
            count[loc]++;
            double[] c = l.centroid();
            double[] w = world(p.flair(), c);
            if (l.kind == LesionKind.INFRATENTORIAL) assertTrue("infratentorial lesion " + l.id + " at z " + w[2], w[2] < -10);
        }
        assertEquals(24, p.lesions().size());
        for (int loc = 0; loc < 4; loc++) {
            // 24 draws of a multinomial: every location present, none far above its share
            assertTrue(Arrays.toString(count), count[loc] >= 1);
            assertTrue(Arrays.toString(count), count[loc] <= 24 * RealisticGenerator.LOCATION_SHARES[loc] + 3 * Math.sqrt(
                    24 * RealisticGenerator.LOCATION_SHARES[loc] * (1 - RealisticGenerator.LOCATION_SHARES[loc])) + 1);
        }
    }

    private static double[] world(Volume v, double[] c) {
        double[][] a = v.affine();
        double[] w = new double[3];
        for (int row = 0; row < 3; row++) w[row] = a[row][0] * c[0] + a[row][1] * c[1] + a[row][2] * c[2] + a[row][3];
        return w;
    }

    @Test
    public void confoundersAreFlairBrightAndUnlabelled() {
        Phantom p = r.phantom;
        float[] les = p.lesionMask().data(), conf = p.confounders().data(), tis = p.tissues().data();
        int[] count = new int[CONFOUNDER_NAMES.length];
        double[] sum = new double[CONFOUNDER_NAMES.length];
        double ventSum = 0;
        long ventN = 0;
        for (int q = 0; q < les.length; q++) {
            int c = (int) conf[q];
            assertEquals(c, r.confounder[q]);
            if (c > 0) {
                assertEquals("confounder voxel labelled as lesion", 0f, les[q], 0f);
                count[c]++;
                sum[c] += flairC[q];
            } else if (interiorVentricle(tis, q)) {
                ventSum += flairC[q];
                ventN++;
            }
        }
        double vent = ventSum / ventN;
        StringBuilder s = new StringBuilder();
        for (int c = 1; c < count.length; c++) {
            s.append(String.format("%s: %d voxels, FLAIR %.3f x NAWM%n", CONFOUNDER_NAMES[c], count[c],
                    sum[c] / Math.max(1, count[c]) / nawmFlair));
        }
        s.append(String.format("ventricle CSF (voxels with 6 ventricle neighbours) %.3f x NAWM%n", vent / nawmFlair));
        System.out.print(s);
        for (int c = 1; c < count.length; c++) assertTrue(s.toString(), count[c] >= 4);
        // rims and caps brighter than white matter; septum, flow artefacts and choroid plexus far above the CSF around
        assertTrue(s.toString(), sum[RealisticGenerator.RIM] / count[RealisticGenerator.RIM] > 1.05 * nawmFlair);
        assertTrue(s.toString(), sum[RealisticGenerator.CAP] / count[RealisticGenerator.CAP] > 1.10 * nawmFlair);
        for (int c : new int[] {RealisticGenerator.SEPTUM, RealisticGenerator.FLOW, RealisticGenerator.CHOROID}) {
            assertTrue(s.toString(), sum[c] / count[c] > 2 * vent);
        }
        // FLAIR-bright voxels (above 1.2 x NAWM) in white matter or the ventricles that are not lesions exist
        int bright = 0;
        for (int q = 0; q < les.length; q++) {
            boolean wmOrVent = tis[q] == Tissue.WHITE_MATTER.code || tis[q] == Tissue.VENTRICLE.code;
            if (les[q] == 0 && wmOrVent && conf[q] > 0 && flairC[q] > 1.2 * nawmFlair) bright++;
        }
        assertTrue("FLAIR-bright unlabelled voxels: " + bright, bright >= 30);
    }

    /** A ventricle voxel (no confounder) whose 6 neighbours are ventricle too: CSF without partial volume. */
    private static boolean interiorVentricle(float[] tis, int q) {
        int v = Tissue.VENTRICLE.code, i = q % d[0], j = (q / d[0]) % d[1], k = q / (d[0] * d[1]);
        if (tis[q] != v || r.confounder[q] != 0 || i == 0 || j == 0 || k == 0 || i == d[0] - 1 || j == d[1] - 1
                || k == d[2] - 1) {
            return false;
        }
        int sy = d[0], sz = d[0] * d[1];
        return tis[q - 1] == v && tis[q + 1] == v && tis[q - sy] == v && tis[q + sy] == v && tis[q - sz] == v
                && tis[q + sz] == v;
    }

    @Test
    public void backgroundIsRayleigh() {
        for (int seq = 0; seq < 2; seq++) {
            float[] img = seq == 0 ? r.phantom.flair().data() : r.phantom.mprage().data();
            float[] signal = seq == 0 ? r.flairSignal : r.mprageSignal;
            double sigma = seq == 0 ? r.flairSigma : r.mprageSigma;
            double slope = seq == 0 ? r.phantom.flairSlope() : r.phantom.mprageSlope();
            double s1 = 0, s2 = 0;
            long n = 0;
            for (int q = 0; q < img.length; q++) {
                if (signal[q] != 0) continue;
                s1 += img[q];
                s2 += (double) img[q] * img[q];
                n++;
            }
            assertTrue("background voxels " + n, n > 100_000);
            // Rayleigh: mean sigma sqrt(pi/2), sd sigma sqrt((4 - pi)/2); E[M^2] = 2 sigma^2 (+ slope^2/12 rounding)
            double mean = s1 / n, expMean = sigma * Math.sqrt(Math.PI / 2);
            double seMean = sigma * Math.sqrt((4 - Math.PI) / 2) / Math.sqrt(n);
            double m2 = s2 / n, expM2 = 2 * sigma * sigma + slope * slope / 12, seM2 = 2 * sigma * sigma / Math.sqrt(n);
            String msg = String.format("seq %d: n %d mean %.5f expected %.5f (se %.5f); E[M^2] %.4f expected %.4f (se %.4f)",
                    seq, n, mean, expMean, seMean, m2, expM2, seM2);
            System.out.println(msg);
            assertEquals(msg, expMean, mean, 4 * seMean + slope * 0.01);
            assertEquals(msg, expM2, m2, 4 * seM2);
        }
    }

    @Test
    public void biasFieldIsSmoothAndInRange() {
        for (int seq = 0; seq < 2; seq++) {
            float[] b = seq == 0 ? r.flairBias : r.mprageBias;
            double amp = seq == 0 ? r.flairBiasAmplitude : r.mprageBiasAmplitude;
            assertTrue(amp >= RealisticGenerator.BIAS_AMPLITUDE[0] && amp <= RealisticGenerator.BIAS_AMPLITUDE[1]);
            float[] tis = r.phantom.tissues().data();
            double lo = Double.MAX_VALUE, hi = 0, maxStep = 0;
            for (int q = 0; q < b.length; q++) {
                if (tis[q] == 0) continue;
                lo = Math.min(lo, b[q]);
                hi = Math.max(hi, b[q]);
            }
            // exactly +-amp (log) at its extreme inside the head
            double eps = 1e-6;
            assertTrue(lo + " " + hi, lo >= 1 / (1 + amp) - eps && hi <= 1 + amp + eps);
            assertTrue(lo + " " + hi, Math.abs(lo - 1 / (1 + amp)) < eps || Math.abs(hi - (1 + amp)) < eps);
            // smooth: log b is a quadratic, so its second difference along each axis is the same everywhere
            int[] stride = {1, d[0], d[0] * d[1]};
            for (int axis = 0; axis < 3; axis++) {
                double first = Double.NaN, maxDev = 0;
                for (int k = 1; k < d[2] - 1; k++)
                    for (int j = 1; j < d[1] - 1; j++)
                        for (int i = 1; i < d[0] - 1; i++) {
                            int q = i + d[0] * (j + d[1] * k), s = stride[axis];
                            double dd = Math.log(b[q + s]) - 2 * Math.log(b[q]) + Math.log(b[q - s]);
                            maxStep = Math.max(maxStep, Math.abs(Math.log(b[q + s]) - Math.log(b[q])));
                            if (Double.isNaN(first)) first = dd;
                            maxDev = Math.max(maxDev, Math.abs(dd - first));
                        }
                assertTrue("axis " + axis + " second difference varies by " + maxDev, maxDev < 2e-6);
            }
            // and gentle: at most 2 % change per 2 mm voxel in the field of view
            assertTrue("largest step " + maxStep, maxStep < 0.02);
        }
    }

    @Test
    public void twoMillimetreGridAndAffine() {
        assertArrayEquals(new int[] {96, 112, 96}, PhantomSpec.realisticShape(2.0));
        assertArrayEquals(new int[] {192, 224, 192}, PhantomSpec.realisticShape(1.0));
        Volume f = r.phantom.flair();
        assertArrayEquals(new int[] {96, 112, 96}, f.dims());
        double[][] a = f.affine();
        double[][] expected = {{2, 0, 0, -95}, {0, 2, 0, -111}, {0, 0, 2, -95}, {0, 0, 0, 1}};
        for (int row = 0; row < 4; row++) assertArrayEquals(expected[row], a[row], 1e-9);
        for (Volume v : new Volume[] {r.phantom.mprage(), r.phantom.lesionMask(), r.phantom.brainMask(),
                r.phantom.confounders()}) {
            assertNotNull(v);
            for (int row = 0; row < 4; row++) assertArrayEquals(expected[row], v.affine()[row], 1e-9);
        }
        // the same head on a 4 mm grid: brain volume (mm3) and centroid (world mm) agree
        Phantom coarse = PhantomGenerator.generate(new PhantomSpec(7, PhantomSpec.realisticShape(4.0), 4.0, 0,
                PhantomStyle.REALISTIC));
        double[] v2 = brain(r.phantom), v4 = brain(coarse);
        assertEquals(v2[0], v4[0], 0.05 * v2[0]);
        for (int ax = 1; ax <= 3; ax++) assertEquals(v2[ax], v4[ax], 1.5);
    }

    /**
     * The 1 mm variant is the same head: a 64 mm cube around the centre at 1 mm (64^3 voxels, to stay fast) has the
     * affine diag(1, 1, 1) with the origin at its grid centre, and the same white matter and ventricle volumes as
     * the same cube of the 2 mm subject (voxels 32..63 on each axis), within partial-volume differences.
     */
    @Test
    public void oneMillimetreVariantIsTheSameHead() {
        Phantom fine = PhantomGenerator.generate(new PhantomSpec(7, new int[] {64, 64, 64}, 1.0, 0, PhantomStyle.REALISTIC));
        double[][] expected = {{1, 0, 0, -31.5}, {0, 1, 0, -31.5}, {0, 0, 1, -31.5}, {0, 0, 0, 1}};
        for (int row = 0; row < 4; row++) assertArrayEquals(expected[row], fine.flair().affine()[row], 1e-9);
        double[] f = volumes(fine.tissues(), 0, 64, 1.0), c = volumes(r.phantom.tissues(), 32, 64, 8.0);
        String msg = String.format("WM %.0f vs %.0f mm3, ventricles %.0f vs %.0f mm3", f[0], c[0], f[1], c[1]);
        assertTrue(msg, f[0] > 20000 && f[1] > 1000);
        assertEquals(msg, c[0], f[0], 0.10 * c[0]);        // as the classic style between 2 and 4 mm
        assertEquals(msg, c[1], f[1], 0.15 * c[1]);
    }

    /** White matter and ventricle volumes (mm3) in the cube [lo, hi)^3 of voxel indices. */
    private static double[] volumes(Volume tissues, int lo, int hi, double voxelMm3) {
        int[] dd = tissues.dims();
        float[] t = tissues.data();
        double wm = 0, vent = 0;
        for (int k = lo; k < hi; k++)
            for (int j = lo; j < hi; j++)
                for (int i = lo; i < hi; i++) {
                    float v = t[i + dd[0] * (j + dd[1] * k)];
                    if (v == Tissue.WHITE_MATTER.code) wm += voxelMm3;
                    if (v == Tissue.VENTRICLE.code) vent += voxelMm3;
                }
        return new double[] {wm, vent};
    }

    /** Brain volume (mm3) and centroid (world mm). */
    private static double[] brain(Phantom p) {
        Volume m = p.brainMask();
        int[] dd = m.dims();
        float[] v = m.data();
        double s = 0, sx = 0, sy = 0, sz = 0;
        for (int q = 0; q < v.length; q++) {
            if (v[q] == 0) continue;
            double[] w = world(m, new double[] {q % dd[0], (q / dd[0]) % dd[1], q / (dd[0] * dd[1])});
            s++;
            sx += w[0];
            sy += w[1];
            sz += w[2];
        }
        return new double[] {s * m.geometry().voxelVolume(), sx / s, sy / s, sz / s};
    }

    @Test
    public void writtenFilesReadBackWithTheirAffine() throws Exception {
        Phantom a = PhantomGenerator.generate(small(7));
        Path dir = tmp.newFolder("w").toPath();
        a.write(dir);
        Volume f = Nifti.read(dir.resolve(Phantom.FLAIR));
        assertArrayEquals(a.flair().data(), f.data(), 0f);
        for (int row = 0; row < 4; row++) assertArrayEquals(a.flair().affine()[row], f.affine()[row], 1e-6);
        String json = new String(Files.readAllBytes(dir.resolve(Phantom.JSON)), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(json, json.contains("\"style\": \"realistic\"") && json.contains("\"mprage_appearance\""));
        assertTrue(Files.isRegularFile(dir.resolve(Phantom.CONFOUNDERS)));
    }
}
