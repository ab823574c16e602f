package io.github.ies.phantom;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.github.ies.phantom.Anatomy.GM;
import static io.github.ies.phantom.Anatomy.VENT;
import static io.github.ies.phantom.Anatomy.WM;
import static io.github.ies.phantom.PhantomGenerator.uniform;

/**
 * Places the lesions of the plan ({@link LesionPlan}) in the white matter of an {@link Anatomy}: per kind a site
 * (by the distances to the ventricles, the cortex and other tissue), a shape (ellipsoid, rough blob, cap along a
 * ventricle, juxtacortical, periventricular) scaled until its largest 18-connected component has the planned size, and
 * never touching another lesion. The lesions' ids per voxel are {@link #lesionId}, the list {@link #specs}.
 */
final class LesionPlacer {

    final SplittableRandom rng;
    final short[] lesionId;
    final boolean[] nearLesion;
    final List<PlacedLesion> specs = new ArrayList<>();
    float[] distNonWm, distVent, distCortex;
    int[] wmIdx;

    private final int[] d;
    private final int n;
    private final double sp;
    private final double[] spacing, centre;
    private final byte[] tissue;
    private final Anatomy anatomy;
    private final Noise lesionNoise;

    LesionPlacer(Anatomy anatomy, Noise lesionNoise, SplittableRandom rng) {
        this.rng = rng;
        this.anatomy = anatomy;
        this.lesionNoise = lesionNoise;
        this.d = anatomy.d;
        this.n = anatomy.n;
        this.sp = anatomy.sp;
        this.spacing = anatomy.spacing;
        this.centre = anatomy.centre;
        this.tissue = anatomy.tissue;
        this.lesionId = new short[n];
        this.nearLesion = new boolean[n];
    }

    void placeAll(int count) {
        if (count == 0) return;
        if (!prepare()) return;
        for (int s = 0; s < count; s++) {
            LesionPlan.Slot slot;
            if (s < LesionPlan.PLAN.length) {
                slot = LesionPlan.PLAN[s];
            } else {
                LesionKind[] kinds = {LesionKind.ELLIPSOID, LesionKind.BLOB, LesionKind.JUXTACORTICAL,
                    LesionKind.PERIVENTRICULAR};
                int lo = (int) Math.round(3 * StrictMath.pow(100, rng.nextDouble()));
                slot = new LesionPlan.Slot(kinds[rng.nextInt(kinds.length)], lo, lo + Math.max(2, lo / 2));
            }
            placeOrFallBack(slot);
        }
    }

    /** Places the given slots in order (the realistic style's plan), each as {@link #placeAll} does. */
    void placeSlots(List<LesionPlan.Slot> slots) {
        if (slots.isEmpty() || !prepare()) return;
        for (LesionPlan.Slot slot : slots) placeOrFallBack(slot);
    }

    private void placeOrFallBack(LesionPlan.Slot slot) {
        // no room for this kind (e.g. the ventricle walls are taken): a deep white matter blob of that size
        if (!place(slot, specs.size() + 1) && slot.kind != LesionKind.BLOB) {
            place(new LesionPlan.Slot(LesionKind.BLOB, slot.lo, slot.hi), specs.size() + 1);
        }
    }

    /** The distance maps the sites are chosen by; false without white matter. */
    private boolean prepare() {
        boolean[] f = new boolean[n];
        int wmCount = 0;
        for (int p = 0; p < n; p++) {
            f[p] = tissue[p] != WM;
            if (!f[p]) wmCount++;
        }
        if (wmCount == 0) return false;
        distNonWm = Filters.distance(f, d, spacing);
        for (int p = 0; p < n; p++) f[p] = tissue[p] == VENT;
        distVent = Filters.distance(f, d, spacing);
        for (int p = 0; p < n; p++) f[p] = tissue[p] == GM;
        distCortex = Filters.distance(f, d, spacing);
        wmIdx = new int[wmCount];
        for (int p = 0, c = 0; p < n; p++) if (tissue[p] == WM) wmIdx[c++] = p;
        return true;
    }

    /** Tries to place one lesion; returns false (and places nothing) when no room was found. */
    boolean place(LesionPlan.Slot slot, int id) {
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

    /** A free white matter voxel below the cerebral base (brainstem, cerebellum), at least minDistWm inside. */
    private int randomInfratentorial(double minDistWm) {
        for (int t = 0; t < 6000; t++) {
            int p = wmIdx[rng.nextInt(wmIdx.length)];
            int i = p % d[0], j = (p / d[0]) % d[1], k = p / (d[0] * d[1]);
            double x = (i - centre[0]) * sp, y = (j - centre[1]) * sp, z = (k - centre[2]) * sp;
            if (z >= anatomy.zBase(x, y)) continue;
            if (distNonWm[p] < minDistWm || nearLesion[p] || lesionId[p] != 0) continue;
            return p;
        }
        return -1;
    }

    private Shape proposeShape(LesionPlan.Slot slot, double rEq, int id, int attempt) {
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
                if ((p / (d[0] * d[1]) - centre[2]) * sp < anatomy.headCentre[2] + 4 + 6) return null;
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
            case INFRATENTORIAL: {
                p = randomInfratentorial(0.5 * rEq / relax);
                if (p < 0) return null;
                sh.rot = randomRotation();
                double b = uniform(rng, 0.7, 1.0), c = uniform(rng, 0.6, 1.0);
                double norm = StrictMath.cbrt(b * c);
                sh.axes = new double[] {rEq / norm, rEq * b / norm, rEq * c / norm};
                sh.rough = 0.2;
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
        if (slot.kind != LesionKind.INFRATENTORIAL && rEq > 2.2 * sp && cz < anatomy.zBase(cx, cy) + 2) return null;
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

    /** A lesion placed: kind, voxel count and centroid (voxel indices). */
    static final class PlacedLesion {
        final LesionKind kind;
        final int voxels;
        final double[] centroid;

        PlacedLesion(LesionKind kind, int voxels, double[] centroid) {
            this.kind = kind;
            this.voxels = voxels;
            this.centroid = centroid;
        }
    }

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
}
