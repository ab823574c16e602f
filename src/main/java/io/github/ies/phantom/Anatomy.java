package io.github.ies.phantom;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.github.ies.phantom.PhantomGenerator.uniform;

/**
 * The phantom's anatomy in millimetres: head, scalp, skull, CSF, cortex with sulci, white matter, deep grey matter,
 * ventricles, brainstem and cerebellum, drawn per seed ({@link #draw}); then the tissue class of every voxel and the
 * brain envelope ({@link #classify}), and the sub-sample labels of boundary voxels on coarse grids
 * ({@link #supersampleBoundaries}).
 */
final class Anatomy {

    /** Tissue codes (as {@link Tissue#code}). */
    static final byte BG = 0, SCALP = 1, SKULL = 2, SOFT = 3, CSF = 4, GM = 5, DGM = 6, WM = 7, VENT = 8;

    final int[] d;
    final int n;
    final double sp;
    final double[] spacing;
    final double[] centre;

    // anatomy parameters, drawn per seed
    final double[] headAxes = new double[3], headCentre = new double[3];
    private double headDeform, scalpMm, skullMm, csfMm;
    double gmMm, sulcusFeatureMm;
    private double sulcusWidth, sulcusDepthMm;
    double ventScale;
    private double baseZ, ccZ, cbY, cbZ, sylvianZ, insulaX;
    /** The brainstem's centre (y, mm): an elliptic cylinder of semi-axes 11 (x) and 13 (y) mm, CSF rim to 1.45. */
    double stemY;
    private final Noise headNoise, layerNoise, sulcusNoise, sulcusDepthNoise;
    /** The smooth tissue texture, also of the images ({@link Rendering}). */
    final Noise textureNoise;
    private final List<VentricleSegment> segments = new ArrayList<>();
    private final List<double[]> deepGm = new ArrayList<>(); // {cx, cy, cz, ax, ay, az}
    private final double[] thirdVentricle = new double[6];

    /** Tissue class per voxel ({@link #classify}). */
    byte[] tissue;
    /** Inside the brain envelope, per voxel ({@link #classify}). */
    boolean[] brain;

    /** The grid of {@code spec}, with the noise fields of seed mix {@code s} (streams s + 1 to s + 5). */
    Anatomy(PhantomSpec spec, long s) {
        this.d = spec.shape();
        this.n = d[0] * d[1] * d[2];
        this.sp = spec.spacing;
        this.spacing = new double[] {sp, sp, sp};
        this.centre = new double[] {(d[0] - 1) / 2.0, (d[1] - 1) / 2.0, (d[2] - 1) / 2.0};
        headNoise = new Noise(s + 1);
        layerNoise = new Noise(s + 2);
        sulcusNoise = new Noise(s + 3);
        sulcusDepthNoise = new Noise(s + 4);
        textureNoise = new Noise(s + 5);
    }

    /** Draws the anatomy parameters of this seed (the first stream of the generator). */
    void draw(SplittableRandom r) {
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
        for (int i = 0; i + 1 < q.length; i++) segments.add(new VentricleSegment(q[i], q[i + 1], side));
    }

    /** The lower surface of the cerebrum: low under the temporal lobes, rising towards the occipital poles. */
    double zBase(double x, double y) {
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
        for (VentricleSegment s : segments) {
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
    void classify() {
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

    /** For boundary voxels: index into {@link #subLabels} (8 tissue labels of the sub-samples), else -1. */
    int[] subIndex;
    byte[] subLabels;

    /**
     * Partial volume for coarse grids: voxels with a 6-neighbour of another tissue are sampled at 2x2x2 points
     * (offsets of a quarter voxel), so thin structures (sulci, cortex, septum) keep their share of each voxel.
     */
    void supersampleBoundaries() {
        supersampleBoundaries(false);
    }

    /** As {@link #supersampleBoundaries()}; {@code always}: at every spacing (the realistic style), not only coarse ones. */
    void supersampleBoundaries(boolean always) {
        if (!always && sp < PhantomGenerator.SUPERSAMPLE_ABOVE_MM) return;
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
}
