package io.github.ies.instances;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * True-negative regions: {@code n} random balls (spheres in mm, so ellipsoids in voxels with anisotropic spacing)
 * that lie entirely inside the brain mask and the grid and share no voxel with the forbidden voxels (ground truth
 * and prediction) nor with each other.
 *
 * <p>Size: the ball whose voxel count is closest to the target volume (the mean ground-truth lesion volume,
 * mm3, divided by the voxel volume), among balls {(di sx)^2 + (dj sy)^2 + (dk sz)^2 <= R^2} around a voxel centre
 * (at least the centre voxel). The radius reported is that R in mm; the nominal radius of a sphere of the target
 * volume is {@code cbrt(3 V / (4 pi))}.
 *
 * <p>Placement: centres are drawn uniformly among the brain voxels with {@link SplittableRandom}(seed), a draw is
 * kept when the whole ball fits; at most {@code maxTries} draws in total. When fewer than {@code n} balls fit the
 * result says how many were placed ({@link Result#message}).
 */
public final class TnSpheres {

    private TnSpheres() {}

    /** Placed balls: labels 1..placed in a flat int array (NIfTI order), and what was asked. */
    public static final class Result {
        public final int[] labels;
        public final int requested, placed, tries;
        public final double radiusMm, nominalRadiusMm, targetVolumeMm3;
        /** Voxels per ball. */
        public final int ballVoxels;
        /** Null when all requested balls were placed; otherwise why not. */
        public final String message;

        Result(int[] labels, int requested, int placed, int tries, double radiusMm, double nominalRadiusMm,
                double targetVolumeMm3, int ballVoxels, String message) {
            this.labels = labels;
            this.requested = requested;
            this.placed = placed;
            this.tries = tries;
            this.radiusMm = radiusMm;
            this.nominalRadiusMm = nominalRadiusMm;
            this.targetVolumeMm3 = targetVolumeMm3;
            this.ballVoxels = ballVoxels;
            this.message = message;
        }
    }

    /** The offsets {di, dj, dk} of the ball closest in voxel count to {@code targetVoxels}, and its radius (mm). */
    static int[][] ballOffsets(double[] spacing, double targetVoxels, double[] radiusOut) {
        double vv = spacing[0] * spacing[1] * spacing[2];
        double nominal = Math.cbrt(3 * Math.max(targetVoxels, 1) * vv / (4 * Math.PI));
        double rmax = 1.5 * nominal + 2 * Math.max(spacing[0], Math.max(spacing[1], spacing[2]));
        int[] h = new int[3];
        for (int d = 0; d < 3; d++) h[d] = (int) Math.ceil(rmax / spacing[d]);
        List<double[]> cand = new ArrayList<>();
        for (int dk = -h[2]; dk <= h[2]; dk++)
            for (int dj = -h[1]; dj <= h[1]; dj++)
                for (int di = -h[0]; di <= h[0]; di++) {
                    double x = di * spacing[0], y = dj * spacing[1], z = dk * spacing[2];
                    double r2 = x * x + y * y + z * z;
                    if (r2 <= rmax * rmax) cand.add(new double[] {r2, di, dj, dk});
                }
        cand.sort((a, b) -> Double.compare(a[0], b[0]));
        // grow by whole shells of equal distance; keep the count closest to the target (first on ties)
        int best = 1;
        double bestErr = Math.abs(1 - targetVoxels);
        int t = 0;
        while (t < cand.size()) {
            int u = t;
            while (u < cand.size() && cand.get(u)[0] == cand.get(t)[0]) u++;
            double err = Math.abs(u - targetVoxels);
            if (err < bestErr) {
                best = u;
                bestErr = err;
            }
            if (u > targetVoxels) break;
            t = u;
        }
        int[][] offs = new int[best][];
        for (int s = 0; s < best; s++) {
            double[] c = cand.get(s);
            offs[s] = new int[] {(int) c[1], (int) c[2], (int) c[3]};
        }
        radiusOut[0] = Math.sqrt(cand.get(best - 1)[0]);
        return offs;
    }

    /**
     * Places the balls.
     *
     * @param brain brain mask (true = inside), flat NIfTI order
     * @param forbidden voxels no ball may touch (ground truth or prediction)
     * @param targetVolumeMm3 volume of each ball (the mean ground-truth lesion volume)
     */
    public static Result place(boolean[] brain, boolean[] forbidden, int[] dims, double[] spacing,
            double targetVolumeMm3, int n, long seed, int maxTries) {
        int nx = dims[0], ny = dims[1], nz = dims[2];
        if (brain.length != (long) nx * ny * nz || forbidden.length != brain.length) {
            throw new IllegalArgumentException("masks do not match dims " + Arrays.toString(dims));
        }
        if (!(targetVolumeMm3 > 0) || !Double.isFinite(targetVolumeMm3)) {
            throw new IllegalArgumentException("TN sphere volume must be positive, got " + targetVolumeMm3);
        }
        double vv = spacing[0] * spacing[1] * spacing[2];
        double[] r = new double[1];
        int[][] offs = ballOffsets(spacing, targetVolumeMm3 / vv, r);
        double nominal = Math.cbrt(3 * targetVolumeMm3 / (4 * Math.PI));
        int[] ext = new int[3];
        int[] rel = new int[offs.length];
        for (int s = 0; s < offs.length; s++) {
            for (int d = 0; d < 3; d++) ext[d] = Math.max(ext[d], Math.abs(offs[s][d]));
            rel[s] = offs[s][0] + nx * (offs[s][1] + ny * offs[s][2]);
        }
        int[] brainIdx;
        {
            int cnt = 0;
            for (boolean b : brain) if (b) cnt++;
            brainIdx = new int[cnt];
            cnt = 0;
            for (int idx = 0; idx < brain.length; idx++) if (brain[idx]) brainIdx[cnt++] = idx;
        }
        int[] labels = new int[brain.length];
        int placed = 0, tries = 0;
        SplittableRandom rng = new SplittableRandom(seed);
        while (placed < n && tries < maxTries && brainIdx.length > 0) {
            tries++;
            int c = brainIdx[rng.nextInt(brainIdx.length)];
            int i = c % nx, j = (c / nx) % ny, k = c / (nx * ny);
            if (i < ext[0] || i >= nx - ext[0] || j < ext[1] || j >= ny - ext[1] || k < ext[2] || k >= nz - ext[2]) continue;
            boolean ok = true;
            for (int s = 0; s < rel.length && ok; s++) {
                int q = c + rel[s];
                ok = brain[q] && !forbidden[q] && labels[q] == 0;
            }
            if (!ok) continue;
            placed++;
            for (int s = 0; s < rel.length; s++) labels[c + rel[s]] = placed;
        }
        String msg = null;
        if (placed < n) {
            msg = String.format(Locale.ROOT,
                    "placed %d of %d TN spheres (radius %.2f mm, %d voxels each) after %d random tries: the brain mask"
                            + " (%d voxels) has too little room outside the ground truth and the prediction",
                    placed, n, r[0], offs.length, tries, brainIdx.length);
        }
        return new Result(labels, n, placed, tries, r[0], nominal, targetVolumeMm3, offs.length, msg);
    }
}
