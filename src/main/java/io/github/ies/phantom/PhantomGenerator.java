package io.github.ies.phantom;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Generates a synthetic MS brain (see {@code docs/phantom.md}): anatomy in millimetres, lesions in white matter,
 * FLAIR and MPRAGE contrasts with partial-volume blur, bias field and Rician noise. Deterministic: the same spec
 * gives the same voxels on every run and JVM (explicitly seeded {@link SplittableRandom} streams, hash-based noise,
 * {@link StrictMath} for transcendental functions, no hash-ordered collections).
 */
public final class PhantomGenerator {

    /** Format tag written to {@code phantom.json}. */
    public static final String FORMAT = "ies-phantom/1";
    /** Generator version written to {@code phantom.json}; bumped whenever the same seed gives different images. */
    public static final int VERSION = 1;

    /** Standard deviation (mm) of the partial-volume blur applied to the intensity images. */
    static final double PV_SIGMA_MM = 1.0;
    /** Standard deviation (mm) of the extra blur of lesion contrast (fuzzy lesion borders). */
    static final double LESION_EDGE_SIGMA_MM = 0.9;

    private static final byte BG = 0, SCALP = 1, SKULL = 2, SOFT = 3, CSF = 4, GM = 5, DGM = 6, WM = 7, VENT = 8;

    private final PhantomSpec spec;
    private final int[] d;
    private final int n;
    private final double sp;
    private final double[] spacing;
    private final double[] centre;
    private final Geometry geometry;

    // anatomy parameters, drawn per seed
    private final double[] headAxes = new double[3], headCentre = new double[3];
    private double headDeform, scalpMm, skullMm, csfMm, gmMm, sulcusFeatureMm, sulcusWidth, sulcusDepthMm;
    private double ventScale, baseZ, ccZ, stemY, cbY, cbZ, sylvianZ, insulaX;
    private final Noise headNoise, layerNoise, sulcusNoise, sulcusDepthNoise, textureNoise, lesionNoise;
    private final List<Segment> segments = new ArrayList<>();
    private final List<double[]> deepGm = new ArrayList<>(); // {cx, cy, cz, ax, ay, az}
    private final double[] thirdVentricle = new double[6];

    private byte[] tissue;
    private boolean[] brain;

    private PhantomGenerator(PhantomSpec spec) {
        this.spec = spec;
        this.d = spec.shape();
        this.n = d[0] * d[1] * d[2];
        this.sp = spec.spacing;
        this.spacing = new double[] {sp, sp, sp};
        this.centre = new double[] {(d[0] - 1) / 2.0, (d[1] - 1) / 2.0, (d[2] - 1) / 2.0};
        this.geometry = Geometry.axisAligned(spacing, centre);
        long s = Noise.mix(spec.seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        headNoise = new Noise(s + 1);
        layerNoise = new Noise(s + 2);
        sulcusNoise = new Noise(s + 3);
        sulcusDepthNoise = new Noise(s + 4);
        textureNoise = new Noise(s + 5);
        lesionNoise = new Noise(s + 6);
    }

    /** Generates the phantom described by {@code spec}. */
    public static Phantom generate(PhantomSpec spec) {
        return new PhantomGenerator(spec).run();
    }

    private Phantom run() {
        SplittableRandom root = new SplittableRandom(spec.seed);
        SplittableRandom anatomyRng = root.split();
        SplittableRandom lesionRng = root.split();
        SplittableRandom contrastRng = root.split();
        SplittableRandom noiseRng = root.split();

        drawAnatomy(anatomyRng);
        classify();
        supersampleBoundaries();
        LesionPlacer placer = new LesionPlacer(lesionRng);
        placer.placeAll(spec.lesions);

        Map<String, Object> params = new LinkedHashMap<>();
        params.put("head_scale_x", headAxes[0] / 76.0);
        params.put("head_scale_y", headAxes[1] / 95.0);
        params.put("head_scale_z", headAxes[2] / 82.0);
        params.put("ventricle_scale", ventScale);
        params.put("cortex_thickness_mm", gmMm);
        params.put("sulcus_feature_mm", sulcusFeatureMm);

        Contrast flairC = Contrast.flair(contrastRng);
        Contrast t1C = Contrast.mprage(contrastRng);
        double[] sharedBias = biasCoefficients(contrastRng);
        double[] flairBiasC = mixBias(sharedBias, biasCoefficients(contrastRng));
        double[] t1BiasC = mixBias(sharedBias, biasCoefficients(contrastRng));
        double flairBiasAmp = uniform(contrastRng, 0.10, 0.15), t1BiasAmp = uniform(contrastRng, 0.10, 0.15);
        double flairNoise = uniform(contrastRng, 0.02, 0.035), t1Noise = uniform(contrastRng, 0.015, 0.03);
        double flairMax = uniform(contrastRng, 3500, 6000), t1Max = uniform(contrastRng, 3500, 6000);
        flairC.put(params, "flair_");
        t1C.put(params, "mprage_");
        params.put("flair_bias_amplitude", flairBiasAmp);
        params.put("mprage_bias_amplitude", t1BiasAmp);
        params.put("flair_noise_sigma_rel_wm", flairNoise);
        params.put("mprage_noise_sigma_rel_wm", t1Noise);
        params.put("pv_blur_sigma_mm", PV_SIGMA_MM);

        List<Lesion> lesions = new ArrayList<>();
        double[] lesionFlair = new double[placer.specs.size() + 1];
        double[] lesionT1 = new double[placer.specs.size() + 1];
        for (int id = 1; id <= placer.specs.size(); id++) {
            PlacedLesion pl = placer.specs.get(id - 1);
            LesionKind kind = pl.kind;
            double cf, ct;
            if (kind == LesionKind.CONFLUENT_CAP || pl.voxels > 300) {
                cf = uniform(contrastRng, 1.6, 1.95);
                ct = uniform(contrastRng, 0.38, 0.52);
            } else {
                cf = uniform(contrastRng, 1.45, 2.0);
                ct = contrastRng.nextDouble() < 0.25 && pl.voxels < 150 ? uniform(contrastRng, 0.84, 0.95)
                        : uniform(contrastRng, 0.36, 0.62);
            }
            lesionFlair[id] = cf;
            lesionT1[id] = ct;
            lesions.add(new Lesion(id, kind, pl.centroid, pl.voxels, cf, ct));
        }

        float[] flairRaw = render(flairC, lesionFlair, placer.lesionId);
        float[] t1Raw = render(t1C, lesionT1, placer.lesionId);
        float[] flairBias = biasField(flairBiasC, flairBiasAmp);
        float[] t1Bias = biasField(t1BiasC, t1BiasAmp);
        double flairSlope = finish(flairRaw, flairBias, flairC.wm * flairNoise, flairMax, noiseRng.split());
        double t1Slope = finish(t1Raw, t1Bias, t1C.wm * t1Noise, t1Max, noiseRng.split());

        float[] lesionMask = new float[n], brainMask = new float[n], tissues = new float[n];
        for (int p = 0; p < n; p++) {
            lesionMask[p] = placer.lesionId[p] > 0 ? 1f : 0f;
            brainMask[p] = brain[p] ? 1f : 0f;
            tissues[p] = tissue[p];
        }
        return new Phantom(spec, new Volume(flairRaw, d, geometry), flairSlope, new Volume(t1Raw, d, geometry), t1Slope,
                new Volume(lesionMask, d, geometry), new Volume(brainMask, d, geometry),
                new Volume(tissues, d, geometry), lesions, params);
    }

    static double uniform(SplittableRandom r, double lo, double hi) {
        return lo + (hi - lo) * r.nextDouble();
    }

    // ------------------------------------------------------------------------------------------------ anatomy

    /** A ventricle segment: a capsule with elliptical, possibly tilted cross-section interpolated along it. */
    private static final class Segment {
        final double[] a = new double[3], t = new double[3], e1 = new double[3], e2 = new double[3];
        final double len, rx0, rz0, rx1, rz1, tilt0, tilt1, side;
        final double[] lo = new double[3], hi = new double[3];

        Segment(double[] p, double[] q, double side) {
            this.side = side;
            double l2 = 0;
            for (int r = 0; r < 3; r++) {
                a[r] = p[r];
                t[r] = q[r] - p[r];
                l2 += t[r] * t[r];
            }
            len = Math.sqrt(l2);
            for (int r = 0; r < 3; r++) t[r] /= len;
            // e2: the vertical made perpendicular to t; e1 = e2 x t
            double dot = t[2];
            double[] up = {-dot * t[0], -dot * t[1], 1 - dot * t[2]};
            double un = Math.sqrt(up[0] * up[0] + up[1] * up[1] + up[2] * up[2]);
            for (int r = 0; r < 3; r++) e2[r] = up[r] / un;
            e1[0] = e2[1] * t[2] - e2[2] * t[1];
            e1[1] = e2[2] * t[0] - e2[0] * t[2];
            e1[2] = e2[0] * t[1] - e2[1] * t[0];
            rx0 = p[3];
            rz0 = p[4];
            tilt0 = Math.toRadians(p[5]);
            rx1 = q[3];
            rz1 = q[4];
            tilt1 = Math.toRadians(q[5]);
            double rmax = Math.max(Math.max(rx0, rz0), Math.max(rx1, rz1));
            for (int r = 0; r < 3; r++) {
                lo[r] = Math.min(p[r], q[r]) - rmax - 1;
                hi[r] = Math.max(p[r], q[r]) + rmax + 1;
            }
        }

        /** Normalised squared distance: below 1 inside. */
        double value(double x, double y, double z) {
            if (x < lo[0] || x > hi[0] || y < lo[1] || y > hi[1] || z < lo[2] || z > hi[2]) return 9;
            double wx = x - a[0], wy = y - a[1], wz = z - a[2];
            double s = (wx * t[0] + wy * t[1] + wz * t[2]) / len;
            double u = Math.min(1, Math.max(0, s));
            double qx = wx - u * len * t[0], qy = wy - u * len * t[1], qz = wz - u * len * t[2];
            double ca = qx * e1[0] + qy * e1[1] + qz * e1[2];
            double cb = qx * e2[0] + qy * e2[1] + qz * e2[2];
            double cc = qx * t[0] + qy * t[1] + qz * t[2];
            double rx = rx0 + u * (rx1 - rx0), rz = rz0 + u * (rz1 - rz0), th = tilt0 + u * (tilt1 - tilt0);
            double cos = StrictMath.cos(th), sin = StrictMath.sin(th) * side;
            double along = -ca * sin + cb * cos; // long axis: up-medial to down-lateral
            double across = ca * cos + cb * sin;
            double rc = Math.min(rx, rz);
            return (across / rx) * (across / rx) + (along / rz) * (along / rz) + (cc / rc) * (cc / rc);
        }
    }

    private void drawAnatomy(SplittableRandom r) {
        double[] base = {76, 95, 82};
        for (int a = 0; a < 3; a++) headAxes[a] = base[a] * uniform(r, 0.96, 1.03);
        headCentre[0] = uniform(r, -1.5, 1.5);
        headCentre[1] = uniform(r, -3, 1);
        headCentre[2] = uniform(r, -6, -2);
        headDeform = uniform(r, 0.02, 0.035);
        scalpMm = uniform(r, 4.0, 5.5);
        skullMm = uniform(r, 5.5, 7.0);
        csfMm = uniform(r, 1.5, 2.5);
        gmMm = uniform(r, 2.6, 3.2);
        sulcusFeatureMm = uniform(r, 14, 18);
        sulcusWidth = uniform(r, 0.45, 0.6);
        sulcusDepthMm = uniform(r, 10, 14);
        ventScale = uniform(r, 0.9, 1.45);
        baseZ = uniform(r, -47, -42) + headCentre[2] + 4;
        ccZ = uniform(r, 24, 27);
        stemY = headCentre[1] - uniform(r, 14, 20);
        sylvianZ = uniform(r, -4, 2) + headCentre[2] + 4;
        insulaX = uniform(r, 34, 38);
        cbY = stemY - uniform(r, 24, 28);
        cbZ = zBase(0, cbY) - uniform(r, 16, 18);

        // lateral ventricles, per side: x, y, z, half-width, half-height, tilt (degrees)
        double[][] main = {
            {4.5, 31, 10, 2.0, 3.5, 30},
            {5.0, 22, 13, 3.5, 6.0, 30},
            {5.5, 8, 15, 3.5, 5.0, 25},
            {7.5, -8, 16, 3.5, 4.0, 15},
            {16, -24, 13, 5.0, 5.5, 0},
            {15, -38, 9, 2.5, 3.0, 0},
            {11, -46, 8, 1.0, 1.5, 0}};
        double[][] temporal = {
            {16, -24, 13, 5.0, 5.5, 0},
            {25, -20, 2, 3.0, 3.5, 0},
            {29, -8, -10, 2.2, 2.5, 0},
            {29, 2, -16, 1.0, 1.5, 0}};
        double jitterY = uniform(r, -3, 3);
        for (int side = -1; side <= 1; side += 2) {
            double asym = uniform(r, 0.92, 1.08);
            addChain(main, side, asym, jitterY);
            addChain(temporal, side, asym, jitterY);
            double[][] dg = {
                {9, -12, 4, 7.5, 12, 8},   // thalamus
                {13, 16, 9, 5, 9, 7},      // caudate head
                {24.5, 2, 1, 5, 13, 9}};   // lentiform nucleus
            for (double[] g : dg) {
                deepGm.add(new double[] {side * (g[0] * (1 + 0.2 * (ventScale - 1)) + uniform(r, -0.8, 0.8)),
                    g[1] + jitterY + uniform(r, -1.5, 1.5), g[2] + headCentre[2] + 4 + uniform(r, -1, 1),
                    g[3] * uniform(r, 0.92, 1.08), g[4] * uniform(r, 0.92, 1.08), g[5] * uniform(r, 0.92, 1.08)});
            }
        }
        thirdVentricle[0] = 0;
        thirdVentricle[1] = -6 + jitterY;
        thirdVentricle[2] = 1 + headCentre[2] + 4;
        thirdVentricle[3] = 1.3 * ventScale;
        thirdVentricle[4] = 12;
        thirdVentricle[5] = 8;
    }

    private void addChain(double[][] pts, int side, double asym, double jitterY) {
        double vs = ventScale * asym;
        double[][] q = new double[pts.length][];
        for (int i = 0; i < pts.length; i++) {
            double[] p = pts[i];
            q[i] = new double[] {side * p[0] * (1 + 0.25 * (vs - 1)), p[1] * (1 + 0.1 * (vs - 1)) + jitterY,
                p[2] + headCentre[2] + 4, p[3] * vs, p[4] * vs, p[5]};
        }
        for (int i = 0; i + 1 < q.length; i++) segments.add(new Segment(q[i], q[i + 1], side));
    }

    /** The lower surface of the cerebrum: low under the temporal lobes, rising towards the occipital poles. */
    private double zBase(double x, double y) {
        double yy = y - headCentre[1];
        return baseZ + 0.0015 * yy * yy + 0.35 * Math.max(0, -20 - yy) + 0.001 * x * x;
    }

    /**
     * True inside the central core (corpus callosum and below) where the hemispheres are joined: a half-ellipse in
     * the (y, z) plane whose arched top is the corpus callosum. Elsewhere the interhemispheric fissure splits them.
     */
    private boolean inCentralCore(double y, double z) {
        double cy = (y - headCentre[1] + 3) / 37;
        double cz = (z - (ccZ + headCentre[2] + 4 - 34)) / 34;
        return cy * cy + cz * cz < 1;
    }

    /**
     * The cerebellum below the tentorium: an ellipsoid of folia (thin CSF clefts in grey matter, parallel to its
     * surface) around a white matter core; a 1.5 mm CSF gap separates it from the cerebrum. BG when not there.
     */
    private byte cerebellum(double x, double y, double z, double zb, double dInside) {
        double ex = (x - headCentre[0]) / 47, ey = (y - cbY) / 27, ez = (z - cbZ) / 17;
        double e = Math.sqrt(ex * ex + ey * ey + ez * ez);
        if (e >= 1) return BG;
        if (zb > -1.5 || dInside < 0) return CSF;
        double vermis = Math.abs(x - headCentre[0]);
        if (vermis < 1.0 && ey < 0.2) return CSF;
        if (e < 0.42 + 0.08 * textureNoise.atMm(x, y, z, 6)) return WM;
        double f = e * 8.5 + 0.7 * sulcusDepthNoise.atMm(x, y, z, 9);
        if (f - Math.floor(f) < 0.16 && e > 0.5) return CSF;
        return GM;
    }

    /**
     * Distance (mm) to the lateral (Sylvian) fissure of either hemisphere: its stem, a sheet rising towards the
     * back and towards the lateral surface, from that surface in to the insula at |x| = {@code insulaX}, and the
     * insular cistern, a vertical sheet along the insula (seen on axial slices as a cleft parallel to the midline);
     * rounded ends.
     */
    private double sylvianDistance(double x, double y, double z) {
        double yy = y - headCentre[1];
        double ax = Math.abs(x - headCentre[0]);
        double dy = Math.max(0, Math.max(yy - 22, -32 - yy));
        double zs = sylvianZ - 0.3 * yy + 0.3 * Math.max(0, ax - insulaX);
        double dz = z - zs;
        double dx = Math.max(0, insulaX - ax);
        double stem = Math.sqrt(dx * dx + dy * dy + dz * dz);
        double cx = ax - insulaX - 1.5;
        double cz = Math.max(0, Math.abs(dz) - 11);
        double dyc = Math.max(0, Math.max(yy - 16, -26 - yy));
        double cistern = Math.sqrt(cx * cx + cz * cz + dyc * dyc);
        return Math.min(stem, cistern);
    }

    /** Fixed rotation of the sulcus noise coordinates, so sulci do not follow the noise lattice axes. */
    private static final double[][] SULCUS_ROT = rotation(0.61, 0.83, 0.37);

    private static double[][] rotation(double ax, double ay, double az) {
        double cx = StrictMath.cos(ax), sx = StrictMath.sin(ax), cy = StrictMath.cos(ay), sy = StrictMath.sin(ay);
        double cz = StrictMath.cos(az), sz = StrictMath.sin(az);
        return new double[][] {
            {cy * cz, sx * sy * cz - cx * sz, cx * sy * cz + sx * sz},
            {cy * sz, sx * sy * sz + cx * cz, cx * sy * sz - sx * cz},
            {-sy, sx * cy, cx * cy}};
    }

    private double sulcusField(double u, double v, double w) {
        return sulcusNoise.perlin(u, v, w) + 0.3 * sulcusNoise.perlin(2.03 * u + 5.1, 2.03 * v - 3.7, 2.03 * w + 1.3);
    }

    /** Approximate distance (mm) to the nearest sulcus sheet: |n| / |grad n| of the sulcus noise field. */
    private double sulcusDistance(double x, double y, double z) {
        double[][] r = SULCUS_ROT;
        double f = sulcusFeatureMm;
        double u = (r[0][0] * x + r[0][1] * y + r[0][2] * z) / f;
        double v = (r[1][0] * x + r[1][1] * y + r[1][2] * z) / f;
        double w = (r[2][0] * x + r[2][1] * y + r[2][2] * z) / f;
        double n0 = sulcusField(u, v, w);
        double e = 0.04;
        double gx = sulcusField(u + e, v, w) - n0, gy = sulcusField(u, v + e, w) - n0;
        double gz = sulcusField(u, v, w + e) - n0;
        double g = Math.sqrt(gx * gx + gy * gy + gz * gz) / (e * f);
        return Math.abs(n0) / Math.max(g, 1e-3 / f);
    }

    private boolean inVentricle(double x, double y, double z) {
        if (Math.abs(x) > 50 || y < -65 || y > 50) return false;
        double side = x >= 0 ? 1 : -1;
        for (Segment s : segments) {
            if (s.side != side) continue;
            if (s.value(x, y, z) < 1) return true;
        }
        double[] v = thirdVentricle;
        double ex = (x - v[0]) / v[3], ey = (y - v[1]) / v[4], ez = (z - v[2]) / v[5];
        return ex * ex + ey * ey + ez * ez < 1;
    }

    /** Grey matter walls of the third ventricle (hypothalamus, medial thalamus). */
    private boolean nearThirdVentricle(double x, double y, double z) {
        double[] v = thirdVentricle;
        double ex = (x - v[0]) / (v[3] + 5), ey = (y - v[1]) / (v[4] + 2), ez = (z - v[2]) / (v[5] + 3);
        return ex * ex + ey * ey + ez * ez < 1;
    }

    private boolean inDeepGm(double x, double y, double z) {
        for (double[] g : deepGm) {
            double ex = (x - g[0]) / g[3], ey = (y - g[1]) / g[4], ez = (z - g[2]) / g[5];
            if (ex * ex + ey * ey + ez * ez < 1) return true;
        }
        return false;
    }

    /** Flag or-ed into {@link #label}'s result for points inside the brain envelope. */
    private static final byte BRAIN = 0x10;

    private static byte tag(byte label, boolean inBrain) {
        return inBrain ? (byte) (label | BRAIN) : label;
    }

    /** Labels every voxel (tissue classes at voxel centres) and the brain envelope. */
    private void classify() {
        tissue = new byte[n];
        brain = new boolean[n];
        for (int k = 0, p = 0; k < d[2]; k++) {
            double z = (k - centre[2]) * sp;
            for (int j = 0; j < d[1]; j++) {
                double y = (j - centre[1]) * sp;
                for (int i = 0; i < d[0]; i++, p++) {
                    byte l = label((i - centre[0]) * sp, y, z);
                    tissue[p] = (byte) (l & 0x0F);
                    brain[p] = (l & BRAIN) != 0;
                }
            }
        }
    }

    /** The tissue class at a point (mm), with {@link #BRAIN} set inside the brain envelope. */
    private byte label(double x, double y, double z) {
        double ax = headAxes[0], ay = headAxes[1], az = headAxes[2];
        double cosLimit = 1 + headDeform * 1.2;
        boolean inBrain = false;
        double px = x - headCentre[0], py = y - headCentre[1], pz = z - headCentre[2];
        double f2 = (px / ax) * (px / ax) + (py / ay) * (py / ay) + (pz / az) * (pz / az);
        if (f2 > cosLimit * cosLimit) return BG;
        double r = Math.sqrt(px * px + py * py + pz * pz);
        double f = Math.sqrt(f2);
        double dh;
        double ux = 0, uy = 0, uz = 1;
        if (r < 1e-6) {
            dh = 1000;
        } else {
            ux = px / r;
            uy = py / r;
            uz = pz / r;
            double radius = r / f * (1 + headDeform * headNoise.at(ux * 2.2, uy * 2.2, uz * 2.2));
            dh = radius - r;
        }
        if (dh < 0) return BG;
        double layer = layerNoise.at(ux * 3.1 + 7, uy * 3.1, uz * 3.1);
        double ts = scalpMm * (1 + 0.25 * layer);
        double tk = skullMm * (1 - 0.15 * layer);
        if (dh < ts) {
            return tag(SCALP, inBrain);
        }
        if (dh < ts + tk) {
            return tag(SKULL, inBrain);
        }
        double dic = dh - ts - tk;
        double zb = z - zBase(x, y);
        if (zb < 0) {
            double sx = (x - headCentre[0]) / 11, sy = (y - stemY) / 13;
            double e = sx * sx + sy * sy;
            if (e < 1) {
                inBrain = true;
                return tag(WM, inBrain);
            }
            if (e < 1.45) {
                return tag(CSF, inBrain);
            }
            byte cb = cerebellum(x, y, z, zb, dic - csfMm * (1 + 0.3 * layer));
            if (cb != BG) {
                return cb == CSF ? CSF : (byte) (cb | BRAIN);
            }
        }
        if (zb < -2 - tk) {
            return tag(SOFT, inBrain);
        }
        if (zb < -2) {
            return tag(SKULL, inBrain);
        }
        double db = Math.min(dic - csfMm * (1 + 0.3 * layer), zb);
        if (!inCentralCore(y, z)) db = Math.min(db, Math.abs(x - headCentre[0]) - 1.0);
        db = Math.min(db, sylvianDistance(x, y, z) - 1.0);
        if (db < 0) {
            return tag(CSF, inBrain);
        }
        inBrain = true;
        if (inVentricle(x, y, z)) {
            return tag(VENT, inBrain);
        }
        if (inDeepGm(x, y, z) || nearThirdVentricle(x, y, z)) {
            return tag(DGM, inBrain);
        }
        if (db < gmMm + sulcusDepthMm * 1.45) {
            double dsul = sulcusDepthMm * (1 + 0.4 * sulcusDepthNoise.atMm(x, y, z, 30));
            if (db < dsul + gmMm) {
                double delta = sulcusDistance(x, y, z);
                double hw = sulcusWidth * (1 + 1.2 * Math.max(0, 1 - db / 4));
                if (delta < hw && db < dsul) {
                    return tag(CSF, inBrain);
                }
                if (db < gmMm || delta < hw + gmMm) {
                    return tag(GM, inBrain);
                }
            }
        }
        return tag(WM, inBrain);
    }

    // ------------------------------------------------------------------------------------------------ lesions

    private static final class PlacedLesion {
        final LesionKind kind;
        final int voxels;
        final double[] centroid;

        PlacedLesion(LesionKind kind, int voxels, double[] centroid) {
            this.kind = kind;
            this.voxels = voxels;
            this.centroid = centroid;
        }
    }

    /** One planned lesion: kind and accepted voxel-count range at the output spacing. */
    private static final class Slot {
        final LesionKind kind;
        final int lo, hi;

        Slot(LesionKind kind, int lo, int hi) {
            this.kind = kind;
            this.lo = lo;
            this.hi = hi;
        }
    }

    /** The lesion plan in priority order: a prefix of it is used for fewer lesions. */
    private static final Slot[] PLAN = {
        new Slot(LesionKind.CONFLUENT_CAP, 1000, 1600),
        new Slot(LesionKind.ELLIPSOID, 90, 120),
        new Slot(LesionKind.BLOB, 90, 120),
        new Slot(LesionKind.JUXTACORTICAL, 90, 120),
        new Slot(LesionKind.PERIVENTRICULAR, 90, 120),
        new Slot(LesionKind.ELLIPSOID, 3, 5),
        new Slot(LesionKind.BLOB, 10, 30),
        new Slot(LesionKind.BLOB, 90, 120),
        new Slot(LesionKind.BLOB, 200, 450),
        new Slot(LesionKind.JUXTACORTICAL, 30, 80),
        new Slot(LesionKind.ELLIPSOID, 4, 8),
        new Slot(LesionKind.CONFLUENT_CAP, 250, 600),
        new Slot(LesionKind.BLOB, 40, 90),
        new Slot(LesionKind.PERIVENTRICULAR, 15, 40),
        new Slot(LesionKind.BLOB, 120, 250),
        new Slot(LesionKind.JUXTACORTICAL, 6, 15),
        new Slot(LesionKind.ELLIPSOID, 90, 120),
        new Slot(LesionKind.ELLIPSOID, 3, 6),
        new Slot(LesionKind.PERIVENTRICULAR, 50, 90),
        new Slot(LesionKind.JUXTACORTICAL, 20, 50),
        new Slot(LesionKind.BLOB, 400, 800),
        new Slot(LesionKind.ELLIPSOID, 8, 20),
        new Slot(LesionKind.BLOB, 25, 60),
        new Slot(LesionKind.PERIVENTRICULAR, 130, 200),
        new Slot(LesionKind.ELLIPSOID, 5, 12),
        new Slot(LesionKind.JUXTACORTICAL, 60, 130),
        new Slot(LesionKind.BLOB, 15, 35),
        new Slot(LesionKind.PERIVENTRICULAR, 20, 60),
        new Slot(LesionKind.ELLIPSOID, 30, 70),
        new Slot(LesionKind.BLOB, 150, 300),
    };

    private static final int[][] N18 = neighbours(18), N26 = neighbours(26);

    private static int[][] neighbours(int conn) {
        List<int[]> list = new ArrayList<>();
        for (int c = -1; c <= 1; c++)
            for (int b = -1; b <= 1; b++)
                for (int a = -1; a <= 1; a++) {
                    int m = Math.abs(a) + Math.abs(b) + Math.abs(c);
                    if (m == 0 || (conn == 18 && m == 3) || (conn == 6 && m > 1)) continue;
                    list.add(new int[] {a, b, c});
                }
        return list.toArray(new int[0][]);
    }

    private final class LesionPlacer {
        final SplittableRandom rng;
        final short[] lesionId = new short[n];
        final boolean[] nearLesion = new boolean[n];
        final List<PlacedLesion> specs = new ArrayList<>();
        float[] distNonWm, distVent, distCortex;
        int[] wmIdx;

        LesionPlacer(SplittableRandom rng) {
            this.rng = rng;
        }

        void placeAll(int count) {
            if (count == 0) return;
            boolean[] f = new boolean[n];
            int wmCount = 0;
            for (int p = 0; p < n; p++) {
                f[p] = tissue[p] != WM;
                if (!f[p]) wmCount++;
            }
            if (wmCount == 0) return;
            distNonWm = Filters.distance(f, d, spacing);
            for (int p = 0; p < n; p++) f[p] = tissue[p] == VENT;
            distVent = Filters.distance(f, d, spacing);
            for (int p = 0; p < n; p++) f[p] = tissue[p] == GM;
            distCortex = Filters.distance(f, d, spacing);
            wmIdx = new int[wmCount];
            for (int p = 0, c = 0; p < n; p++) if (tissue[p] == WM) wmIdx[c++] = p;

            for (int s = 0; s < count; s++) {
                Slot slot;
                if (s < PLAN.length) {
                    slot = PLAN[s];
                } else {
                    LesionKind[] kinds = {LesionKind.ELLIPSOID, LesionKind.BLOB, LesionKind.JUXTACORTICAL,
                        LesionKind.PERIVENTRICULAR};
                    int lo = (int) Math.round(3 * StrictMath.pow(100, rng.nextDouble()));
                    slot = new Slot(kinds[rng.nextInt(kinds.length)], lo, lo + Math.max(2, lo / 2));
                }
                // no room for this kind (e.g. the ventricle walls are taken): a deep white matter blob of that size
                if (!place(slot, specs.size() + 1) && slot.kind != LesionKind.BLOB) {
                    place(new Slot(LesionKind.BLOB, slot.lo, slot.hi), specs.size() + 1);
                }
            }
        }

        /** Tries to place one lesion; returns false (and places nothing) when no room was found. */
        boolean place(Slot slot, int id) {
            double target = (slot.lo + slot.hi) / 2.0;
            double vox = sp * sp * sp;
            double rEq = StrictMath.cbrt(3 * target * vox / (4 * Math.PI));
            for (int attempt = 0; attempt < 80; attempt++) {
                Shape shape = proposeShape(slot, rEq, id, attempt);
                if (shape == null) continue;
                double s = 1.0, sLo = 0, sHi = Double.POSITIVE_INFINITY;
                for (int it = 0; it < 16; it++) {
                    int[] vox26 = rasterise(shape, s);
                    if (vox26 == null) break; // touches another lesion or leaves the grid
                    int count = vox26.length;
                    if (count >= slot.lo && count <= slot.hi) {
                        commit(vox26, slot.kind, id);
                        return true;
                    }
                    if (count < slot.lo) {
                        sLo = s;
                        s = Double.isInfinite(sHi) ? s * Math.min(1.6, Math.max(1.04,
                                StrictMath.cbrt(target / Math.max(1, count)))) : (sLo + sHi) / 2;
                    } else {
                        sHi = s;
                        s = sLo > 0 ? (sLo + sHi) / 2
                                : s * Math.max(0.6, Math.min(0.97, StrictMath.cbrt(target / count)));
                    }
                    if (s > 4 || s < 0.05) break;
                }
            }
            return false;
        }

        private int randomWm(double minDistWm, double ventLo, double ventHi, double ctxLo, double ctxHi) {
            for (int t = 0; t < 3000; t++) {
                int p = wmIdx[rng.nextInt(wmIdx.length)];
                if (distNonWm[p] < minDistWm) continue;
                if (distVent[p] < ventLo || distVent[p] > ventHi) continue;
                if (distCortex[p] < ctxLo || distCortex[p] > ctxHi) continue;
                if (nearLesion[p] || lesionId[p] != 0) continue;
                return p;
            }
            return -1;
        }

        private Shape proposeShape(Slot slot, double rEq, int id, int attempt) {
            double relax = 1 + attempt / 20.0;
            double big = 1e9;
            int p;
            Shape sh = new Shape();
            sh.noiseOffset = 37.0 * id + 11.0 * attempt;
            switch (slot.kind) {
                case CONFLUENT_CAP: {
                    p = randomWm(0, 0, sp * 1.01 * relax, 4, big);
                    if (p < 0) return null;
                    // caps of the lateral ventricles' horns and bodies, not of the third ventricle or temporal horns
                    if (Math.abs((p % d[0] - centre[0]) * sp) < 8) return null;
                    if ((p / (d[0] * d[1]) - centre[2]) * sp < headCentre[2] + 4 + 6) return null;
                    sh.cap = true;
                    sh.capThickness = Math.max(2.5 * sp, 3.5 * rEq / 10);
                    double a = rEq * 1.4;
                    sh.axes = new double[] {a * uniform(rng, 0.8, 1.1), a * uniform(rng, 1.0, 1.4),
                        a * uniform(rng, 0.8, 1.1)};
                    sh.rot = identity();
                    sh.rough = 0.35;
                    break;
                }
                case PERIVENTRICULAR: {
                    p = randomWm(0.4 * rEq / relax, 1.0, rEq * 1.5 + 3, 3, big);
                    if (p < 0) return null;
                    double[] g = gradient(distVent, p);
                    sh.rot = frameAlong(g);
                    sh.axes = new double[] {rEq * 1.7, rEq * 0.77, rEq * 0.77};
                    sh.rough = 0.12;
                    break;
                }
                case JUXTACORTICAL: {
                    p = randomWm(0, rEq + 4, big, 0.3 * rEq, Math.max(sp * 1.5, 1.1 * rEq) * relax);
                    if (p < 0) return null;
                    double[] g = gradient(distCortex, p);
                    sh.rot = frameAlong(g);
                    sh.axes = new double[] {rEq * 0.8, rEq * 1.15, rEq * 1.1};
                    sh.rough = 0.3;
                    break;
                }
                default: {
                    p = randomWm(0.7 * rEq / relax, (rEq + 3) / relax, big, (rEq + 2) / relax, big);
                    if (p < 0) return null;
                    sh.rot = randomRotation();
                    double b = uniform(rng, 0.65, 1.0), c = uniform(rng, 0.55, 1.0);
                    double norm = StrictMath.cbrt(b * c);
                    sh.axes = new double[] {rEq / norm, rEq * b / norm, rEq * c / norm};
                    sh.rough = slot.kind == LesionKind.BLOB ? 0.4 : 0.0;
                }
            }
            int i = p % d[0], j = (p / d[0]) % d[1], k = p / (d[0] * d[1]);
            // infratentorial (brainstem, cerebellum) lesions stay small, as in MS
            double cx = (i - centre[0]) * sp, cy = (j - centre[1]) * sp, cz = (k - centre[2]) * sp;
            if (rEq > 2.2 * sp && cz < zBase(cx, cy) + 2) return null;
            sh.centre = new double[] {(i - centre[0] + uniform(rng, -0.5, 0.5)) * sp,
                (j - centre[1] + uniform(rng, -0.5, 0.5)) * sp, (k - centre[2] + uniform(rng, -0.5, 0.5)) * sp};
            sh.noiseFeature = Math.max(2.0, 0.8 * rEq);
            return sh;
        }

        private double[] gradient(float[] field, int p) {
            int i = p % d[0], j = (p / d[0]) % d[1], k = p / (d[0] * d[1]);
            int[] c = {i, j, k};
            double[] g = new double[3];
            int[] stride = {1, d[0], d[0] * d[1]};
            for (int a = 0; a < 3; a++) {
                if (c[a] == 0 || c[a] == d[a] - 1) continue;
                g[a] = field[p + stride[a]] - field[p - stride[a]];
            }
            double len = Math.sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
            if (len < 1e-9) return new double[] {0, 0, 1};
            for (int a = 0; a < 3; a++) g[a] /= len;
            return g;
        }

        /** Rotation whose first column is u (the shape's first axis). */
        private double[][] frameAlong(double[] u) {
            double[] h = Math.abs(u[2]) < 0.9 ? new double[] {0, 0, 1} : new double[] {1, 0, 0};
            double[] v = cross(u, h);
            normalise(v);
            double[] w = cross(u, v);
            return new double[][] {{u[0], v[0], w[0]}, {u[1], v[1], w[1]}, {u[2], v[2], w[2]}};
        }

        private double[][] randomRotation() {
            // uniform random unit quaternion (Shoemake)
            double u1 = rng.nextDouble(), u2 = rng.nextDouble(), u3 = rng.nextDouble();
            double a = Math.sqrt(1 - u1) * StrictMath.sin(2 * Math.PI * u2);
            double b = Math.sqrt(1 - u1) * StrictMath.cos(2 * Math.PI * u2);
            double c = Math.sqrt(u1) * StrictMath.sin(2 * Math.PI * u3);
            double w = Math.sqrt(u1) * StrictMath.cos(2 * Math.PI * u3);
            return new double[][] {
                {1 - 2 * (b * b + c * c), 2 * (a * b - c * w), 2 * (a * c + b * w)},
                {2 * (a * b + c * w), 1 - 2 * (a * a + c * c), 2 * (b * c - a * w)},
                {2 * (a * c - b * w), 2 * (b * c + a * w), 1 - 2 * (a * a + b * b)}};
        }

        /**
         * Voxels of the shape at scale s that are white matter, restricted to the largest 18-connected component;
         * null when the component touches (26-adjacency) another lesion or the shape reaches the grid border.
         */
        private int[] rasterise(Shape sh, double s) {
            double rmax = Math.max(sh.axes[0], Math.max(sh.axes[1], sh.axes[2])) * s * (1 + sh.rough) + 1;
            int[] lo = new int[3], hi = new int[3];
            for (int a = 0; a < 3; a++) {
                lo[a] = (int) Math.floor((sh.centre[a] - rmax) / sp + centre[a]);
                hi[a] = (int) Math.ceil((sh.centre[a] + rmax) / sp + centre[a]);
                if (lo[a] < 1 || hi[a] > d[a] - 2) return null;
            }
            int bx = hi[0] - lo[0] + 1, by = hi[1] - lo[1] + 1, bz = hi[2] - lo[2] + 1;
            boolean[] in = new boolean[bx * by * bz];
            double[][] r = sh.rot;
            double capT = sh.capThickness * s;
            for (int k = lo[2]; k <= hi[2]; k++) {
                double z = (k - centre[2]) * sp - sh.centre[2];
                for (int j = lo[1]; j <= hi[1]; j++) {
                    double y = (j - centre[1]) * sp - sh.centre[1];
                    for (int i = lo[0]; i <= hi[0]; i++) {
                        int p = i + d[0] * (j + d[1] * k);
                        if (tissue[p] != WM || lesionId[p] != 0) continue;
                        double x = (i - centre[0]) * sp - sh.centre[0];
                        double a0 = (r[0][0] * x + r[1][0] * y + r[2][0] * z) / (sh.axes[0] * s);
                        double a1 = (r[0][1] * x + r[1][1] * y + r[2][1] * z) / (sh.axes[1] * s);
                        double a2 = (r[0][2] * x + r[1][2] * y + r[2][2] * z) / (sh.axes[2] * s);
                        double q = Math.sqrt(a0 * a0 + a1 * a1 + a2 * a2);
                        if (q > 1 + sh.rough) continue;
                        double nz = 0;
                        if (sh.rough > 0) {
                            double f = sh.noiseFeature * s;
                            nz = lesionNoise.at((x + sh.centre[0]) / f + sh.noiseOffset, (y + sh.centre[1]) / f,
                                    (z + sh.centre[2]) / f);
                        }
                        if (sh.cap) {
                            if (q > 1) continue;
                            if (distVent[p] > capT * (1 + sh.rough * nz) * (1 - 0.5 * q * q)) continue;
                        } else if (q + sh.rough * nz > 1) {
                            continue;
                        }
                        in[(i - lo[0]) + bx * ((j - lo[1]) + by * (k - lo[2]))] = true;
                    }
                }
            }
            // largest 18-connected component
            int[] comp = new int[in.length];
            int[] queue = new int[in.length];
            int best = -1, bestSize = 0, label = 0;
            for (int start = 0; start < in.length; start++) {
                if (!in[start] || comp[start] != 0) continue;
                label++;
                int head = 0, tail = 0;
                queue[tail++] = start;
                comp[start] = label;
                while (head < tail) {
                    int c = queue[head++];
                    int ci = c % bx, cj = (c / bx) % by, ck = c / (bx * by);
                    for (int[] o : N18) {
                        int ni = ci + o[0], nj = cj + o[1], nk = ck + o[2];
                        if (ni < 0 || nj < 0 || nk < 0 || ni >= bx || nj >= by || nk >= bz) continue;
                        int q = ni + bx * (nj + by * nk);
                        if (in[q] && comp[q] == 0) {
                            comp[q] = label;
                            queue[tail++] = q;
                        }
                    }
                }
                if (tail > bestSize) {
                    bestSize = tail;
                    best = label;
                }
            }
            int[] out = new int[bestSize];
            int c = 0;
            for (int q = 0; q < in.length; q++) {
                if (comp[q] != best || best < 0) continue;
                int i = q % bx + lo[0], j = (q / bx) % by + lo[1], k = q / (bx * by) + lo[2];
                int p = i + d[0] * (j + d[1] * k);
                if (nearLesion[p]) return null;
                out[c++] = p;
            }
            return out;
        }

        private void commit(int[] voxels, LesionKind kind, int id) {
            double[] sum = new double[3];
            for (int p : voxels) {
                lesionId[p] = (short) id;
                int i = p % d[0], j = (p / d[0]) % d[1], k = p / (d[0] * d[1]);
                sum[0] += i;
                sum[1] += j;
                sum[2] += k;
            }
            for (int p : voxels) {
                int i = p % d[0], j = (p / d[0]) % d[1], k = p / (d[0] * d[1]);
                for (int[] o : N26) {
                    int ni = i + o[0], nj = j + o[1], nk = k + o[2];
                    if (ni < 0 || nj < 0 || nk < 0 || ni >= d[0] || nj >= d[1] || nk >= d[2]) continue;
                    nearLesion[ni + d[0] * (nj + d[1] * nk)] = true;
                }
                nearLesion[p] = true;
            }
            int m = voxels.length;
            specs.add(new PlacedLesion(kind, m, new double[] {sum[0] / m, sum[1] / m, sum[2] / m}));
        }
    }

    private static final class Shape {
        double[] centre, axes;
        double[][] rot;
        double rough, noiseFeature, noiseOffset, capThickness;
        boolean cap;
    }

    private static double[][] identity() {
        return new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    }

    private static double[] cross(double[] a, double[] b) {
        return new double[] {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }

    private static void normalise(double[] v) {
        double l = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        for (int a = 0; a < 3; a++) v[a] /= l;
    }

    // ------------------------------------------------------------------------------------------------ contrast

    /** Mean intensity per tissue class for one sequence, white matter = {@link #wm}. */
    private static final class Contrast {
        final double[] mean = new double[9];
        double wm;
        double texture;

        static Contrast flair(SplittableRandom r) {
            Contrast c = new Contrast();
            c.wm = uniform(r, 300, 600);
            c.set(SCALP, uniform(r, 0.75, 1.0));
            c.set(SKULL, uniform(r, 0.05, 0.1));
            c.set(SOFT, uniform(r, 0.45, 0.65));
            c.set(CSF, uniform(r, 0.12, 0.22));
            c.set(GM, uniform(r, 1.3, 1.45));
            c.set(DGM, uniform(r, 1.08, 1.2));
            c.set(WM, 1.0);
            c.set(VENT, c.rel(CSF) * uniform(r, 0.8, 0.95));
            c.texture = uniform(r, 0.02, 0.04);
            return c;
        }

        static Contrast mprage(SplittableRandom r) {
            Contrast c = new Contrast();
            c.wm = uniform(r, 400, 800);
            c.set(SCALP, uniform(r, 1.0, 1.3));
            c.set(SKULL, uniform(r, 0.06, 0.12));
            c.set(SOFT, uniform(r, 0.4, 0.55));
            c.set(CSF, uniform(r, 0.15, 0.27));
            c.set(GM, uniform(r, 0.66, 0.76));
            c.set(DGM, uniform(r, 0.76, 0.86));
            c.set(WM, 1.0);
            c.set(VENT, c.rel(CSF) * uniform(r, 0.85, 1.0));
            c.texture = uniform(r, 0.015, 0.03);
            return c;
        }

        void set(int label, double relative) {
            mean[label] = relative * wm;
        }

        double rel(int label) {
            return mean[label] / wm;
        }

        void put(Map<String, Object> params, String prefix) {
            params.put(prefix + "wm", wm);
            String[] names = {"background", "scalp", "skull", "soft_tissue", "csf", "cortical_gm", "deep_gm",
                "white_matter", "ventricle"};
            for (int t = 1; t < names.length; t++) {
                if (t == WM) continue;
                params.put(prefix + names[t] + "_rel_wm", rel(t));
            }
            params.put(prefix + "texture", texture);
        }
    }

    /** Voxels at least this large (mm) get partial volume from 2x2x2 sub-samples at tissue boundaries. */
    static final double SUPERSAMPLE_ABOVE_MM = 1.25;

    /** For boundary voxels: index into {@link #subLabels} (8 tissue labels of the sub-samples), else -1. */
    private int[] subIndex;
    private byte[] subLabels;

    /**
     * Partial volume for coarse grids: voxels with a 6-neighbour of another tissue are sampled at 2x2x2 points
     * (offsets of a quarter voxel), so thin structures (sulci, cortex, septum) keep their share of each voxel.
     */
    private void supersampleBoundaries() {
        if (sp < SUPERSAMPLE_ABOVE_MM) return;
        subIndex = new int[n];
        int count = 0;
        int sx = 1, sy = d[0], sz = d[0] * d[1];
        for (int k = 0, p = 0; k < d[2]; k++)
            for (int j = 0; j < d[1]; j++)
                for (int i = 0; i < d[0]; i++, p++) {
                    byte t = tissue[p];
                    boolean edge = (i > 0 && tissue[p - sx] != t) || (i < d[0] - 1 && tissue[p + sx] != t)
                            || (j > 0 && tissue[p - sy] != t) || (j < d[1] - 1 && tissue[p + sy] != t)
                            || (k > 0 && tissue[p - sz] != t) || (k < d[2] - 1 && tissue[p + sz] != t);
                    subIndex[p] = edge && t != BG ? count++ : -1;
                }
        subLabels = new byte[8 * count];
        double h = sp / 4;
        for (int k = 0, p = 0; k < d[2]; k++) {
            double z = (k - centre[2]) * sp;
            for (int j = 0; j < d[1]; j++) {
                double y = (j - centre[1]) * sp;
                for (int i = 0; i < d[0]; i++, p++) {
                    int si = subIndex[p];
                    if (si < 0) continue;
                    double x = (i - centre[0]) * sp;
                    for (int q = 0; q < 8; q++) {
                        byte l = label(x + ((q & 1) == 0 ? -h : h), y + ((q & 2) == 0 ? -h : h),
                                z + ((q & 4) == 0 ? -h : h));
                        subLabels[8 * si + q] = (byte) (l & 0x0F);
                    }
                }
            }
        }
    }

    /**
     * Noise-free image: tissue means with a smooth texture, lesions at their own contrast, blurred for partial
     * volume.
     */
    private float[] render(Contrast c, double[] lesionContrast, short[] lesionId) {
        float[] img = new float[n];
        float[] delta = new float[n];
        for (int k = 0, p = 0; k < d[2]; k++) {
            double z = (k - centre[2]) * sp;
            for (int j = 0; j < d[1]; j++) {
                double y = (j - centre[1]) * sp;
                for (int i = 0; i < d[0]; i++, p++) {
                    int t = tissue[p];
                    if (t == BG) continue;
                    double x = (i - centre[0]) * sp;
                    double tex = 1 + c.texture * textureNoise.fbmMm(x, y, z, 7.0);
                    double base = c.mean[t];
                    int si = subIndex == null ? -1 : subIndex[p];
                    if (si >= 0) {
                        base = 0;
                        for (int q = 0; q < 8; q++) base += c.mean[subLabels[8 * si + q]];
                        base /= 8;
                    }
                    img[p] = (float) (base * tex);
                    int id = lesionId[p];
                    if (id > 0) {
                        double nz = lesionNoise.atMm(x, y, z, 3.0);
                        delta[p] = (float) (c.wm * tex * (lesionContrast[id] - 1) * (1 + 0.12 * nz));
                    }
                }
            }
        }
        // lesion borders are fuzzy: the lesion contrast spreads a little into the surrounding white matter only
        // (a halo outside the ground truth, as a rater's outline sits inside the visible hyperintensity)
        float[] halo = delta.clone();
        Filters.gaussian(halo, d, spacing, LESION_EDGE_SIGMA_MM);
        for (int p = 0; p < n; p++) {
            if (lesionId[p] > 0) img[p] += delta[p];
            else if (tissue[p] == WM) img[p] += halo[p];
        }
        Filters.gaussian(img, d, spacing, PV_SIGMA_MM);
        return img;
    }

    private static double[] biasCoefficients(SplittableRandom r) {
        double[] c = new double[9];
        for (int t = 0; t < c.length; t++) c[t] = uniform(r, -1, 1) * (t < 3 ? 1.0 : 0.6);
        return c;
    }

    private static double[] mixBias(double[] shared, double[] own) {
        double[] c = new double[shared.length];
        for (int t = 0; t < c.length; t++) c[t] = 0.65 * shared[t] + 0.35 * own[t];
        return c;
    }

    /** exp of a second-order polynomial in normalised coordinates, scaled to +-amp (log) inside the head. */
    private float[] biasField(double[] c, double amp) {
        float[] log = new float[n];
        double maxAbs = 0;
        for (int k = 0, p = 0; k < d[2]; k++) {
            double z = (k - centre[2]) * sp / 90;
            for (int j = 0; j < d[1]; j++) {
                double y = (j - centre[1]) * sp / 100;
                for (int i = 0; i < d[0]; i++, p++) {
                    if (tissue[p] == BG) continue;
                    double x = (i - centre[0]) * sp / 80;
                    double v = c[0] * x + c[1] * y + c[2] * z + c[3] * x * x + c[4] * y * y + c[5] * z * z
                            + c[6] * x * y + c[7] * x * z + c[8] * y * z;
                    log[p] = (float) v;
                    maxAbs = Math.max(maxAbs, Math.abs(v));
                }
            }
        }
        double scale = maxAbs > 0 ? StrictMath.log(1 + amp) / maxAbs : 0;
        for (int p = 0; p < n; p++) log[p] = tissue[p] == BG ? 0f : (float) StrictMath.exp(log[p] * scale);
        return log;
    }

    /**
     * Applies the bias field and Rician noise inside the head, zeroes the background and quantises to int16 with
     * a scanner-like slope (the largest value maps to about {@code storedMax}); returns the slope.
     */
    private double finish(float[] img, float[] bias, double sigma, double storedMax, SplittableRandom rng) {
        double max = 0;
        for (int p = 0; p < n; p++) {
            if (tissue[p] == BG) {
                img[p] = 0;
                continue;
            }
            double s = img[p] * bias[p];
            double u1 = rng.nextDouble(), u2 = rng.nextDouble();
            double rad = Math.sqrt(-2 * StrictMath.log(1 - u1)) * sigma;
            double n1 = rad * StrictMath.cos(2 * Math.PI * u2), n2 = rad * StrictMath.sin(2 * Math.PI * u2);
            double v = Math.sqrt((s + n1) * (s + n1) + n2 * n2);
            img[p] = (float) v;
            max = Math.max(max, v);
        }
        double slope = (float) (max / storedMax);
        if (!(slope > 0)) slope = 1;
        for (int p = 0; p < n; p++) {
            if (tissue[p] == BG) continue;
            double stored = Math.max(1, Math.min(32767, Math.rint(img[p] / slope)));
            img[p] = (float) (stored * slope);
        }
        return slope;
    }
}
