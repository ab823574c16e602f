package io.github.ies.instances;

import org.junit.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

public class TnSpheresTest {

    static final int[] DIMS = {60, 50, 30};
    static final double[] SPACING = {0.8, 1.0, 2.0};

    /** An ellipsoidal "brain" with a few forbidden blobs (ground truth / prediction). */
    static boolean[][] scene(long seed) {
        int nx = DIMS[0], ny = DIMS[1], nz = DIMS[2];
        boolean[] brain = new boolean[nx * ny * nz], forbidden = new boolean[brain.length];
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] blobs = new int[12][];
        for (int b = 0; b < blobs.length; b++) blobs[b] = new int[] {rng.nextInt(nx), rng.nextInt(ny), rng.nextInt(nz)};
        for (int k = 0; k < nz; k++)
            for (int j = 0; j < ny; j++)
                for (int i = 0; i < nx; i++) {
                    double x = (i - 29.5) * SPACING[0] / 22, y = (j - 24.5) * SPACING[1] / 23, z = (k - 14.5) * SPACING[2] / 27;
                    int idx = i + nx * (j + ny * k);
                    brain[idx] = x * x + y * y + z * z <= 1;
                    for (int[] c : blobs) {
                        double dx = (i - c[0]) * SPACING[0], dy = (j - c[1]) * SPACING[1], dz = (k - c[2]) * SPACING[2];
                        if (dx * dx + dy * dy + dz * dz <= 9) forbidden[idx] = true;
                    }
                }
        return new boolean[][] {brain, forbidden};
    }

    @Test
    public void spheresAreInsideBrainDisjointAndOfTheIntendedVolume() {
        for (long seed = 1; seed <= 5; seed++) {
            boolean[][] s = scene(seed);
            double target = 60.0; // mm3 = 37.5 voxels of 1.6 mm3
            TnSpheres.Result r = TnSpheres.place(s[0], s[1], DIMS, SPACING, target, 10, seed, 100_000);
            assertEquals(10, r.placed);
            assertNull(r.message);
            double vv = SPACING[0] * SPACING[1] * SPACING[2];
            // the ball's voxel count is the closest achievable to the target
            assertTrue("ball of " + r.ballVoxels + " voxels for a target of 37.5", Math.abs(r.ballVoxels * vv - target) <= 0.2 * target);
            assertEquals(Math.cbrt(3 * target / (4 * Math.PI)), r.nominalRadiusMm, 1e-12);
            int[] count = new int[11];
            double[][] sum = new double[11][3];
            for (int idx = 0; idx < r.labels.length; idx++) {
                int l = r.labels[idx];
                if (l == 0) continue;
                assertTrue("TN voxel outside the brain", s[0][idx]);
                assertFalse("TN voxel on the ground truth / prediction", s[1][idx]);
                count[l]++;
                int i = idx % DIMS[0], j = (idx / DIMS[0]) % DIMS[1], k = idx / (DIMS[0] * DIMS[1]);
                sum[l][0] += i;
                sum[l][1] += j;
                sum[l][2] += k;
            }
            for (int l = 1; l <= 10; l++) assertEquals("sphere " + l + " overlapped another", r.ballVoxels, count[l]);
            // each ball is exactly the voxels within the radius (in mm) of its centre
            for (int l = 1; l <= 10; l++) {
                double[] c = {sum[l][0] / count[l], sum[l][1] / count[l], sum[l][2] / count[l]};
                for (int d = 0; d < 3; d++) assertEquals(Math.rint(c[d]), c[d], 1e-9);
                int inside = 0;
                for (int idx = 0; idx < r.labels.length; idx++) {
                    int i = idx % DIMS[0], j = (idx / DIMS[0]) % DIMS[1], k = idx / (DIMS[0] * DIMS[1]);
                    double dx = (i - c[0]) * SPACING[0], dy = (j - c[1]) * SPACING[1], dz = (k - c[2]) * SPACING[2];
                    boolean in = dx * dx + dy * dy + dz * dz <= r.radiusMm * r.radiusMm + 1e-9;
                    if (in) {
                        inside++;
                        assertEquals(l, r.labels[idx]);
                    }
                }
                assertEquals(r.ballVoxels, inside);
            }
        }
    }

    @Test
    public void closestVoxelCountAndAnisotropy() {
        double[] r = new double[1];
        // isotropic 1 mm: balls of 1, 7, 19, 27, 33, ... voxels
        assertEquals(1, TnSpheres.ballOffsets(new double[] {1, 1, 1}, 1, r).length);
        assertEquals(0.0, r[0], 0);
        assertEquals(7, TnSpheres.ballOffsets(new double[] {1, 1, 1}, 6, r).length);
        assertEquals(1.0, r[0], 0);
        assertEquals(19, TnSpheres.ballOffsets(new double[] {1, 1, 1}, 18, r).length);
        assertEquals(Math.sqrt(2), r[0], 1e-12);
        assertEquals(1, TnSpheres.ballOffsets(new double[] {1, 1, 1}, 0.2, r).length);
        // anisotropic: extent in mm about equal along the axes
        int[][] offs = TnSpheres.ballOffsets(new double[] {0.5, 1, 3}, 4000, r);
        int[] ext = new int[3];
        for (int[] o : offs) for (int d = 0; d < 3; d++) ext[d] = Math.max(ext[d], Math.abs(o[d]));
        assertTrue(Math.abs(ext[0] * 0.5 - ext[1] * 1.0) <= 1.0);
        assertTrue(Math.abs(ext[1] * 1.0 - ext[2] * 3.0) <= 3.0);
        assertTrue(Math.abs(offs.length - 4000) < 0.02 * 4000);
    }

    @Test
    public void deterministicPerSeed() {
        boolean[][] s = scene(3);
        TnSpheres.Result a = TnSpheres.place(s[0], s[1], DIMS, SPACING, 40, 10, 77, 100_000);
        TnSpheres.Result b = TnSpheres.place(s[0], s[1], DIMS, SPACING, 40, 10, 77, 100_000);
        TnSpheres.Result c = TnSpheres.place(s[0], s[1], DIMS, SPACING, 40, 10, 78, 100_000);
        assertArrayEquals(a.labels, b.labels);
        assertFalse(Arrays.equals(a.labels, c.labels));
    }

    @Test
    public void reportsWhenSpheresDoNotFit() {
        boolean[][] s = scene(1);
        // a ball of about 2000 mm3 (radius 7.8 mm): at most a few fit in this small brain
        TnSpheres.Result r = TnSpheres.place(s[0], s[1], DIMS, SPACING, 2000, 10, 1, 5000);
        assertTrue(r.placed < 10);
        assertTrue(r.tries <= 5000);
        assertTrue(r.message, r.message.startsWith("placed " + r.placed + " of 10 TN spheres"));
        // no brain at all
        boolean[] none = new boolean[s[0].length];
        TnSpheres.Result z = TnSpheres.place(none, s[1], DIMS, SPACING, 10, 3, 1, 1000);
        assertEquals(0, z.placed);
        assertTrue(z.message.contains("placed 0 of 3"));
        assertTrue(z.message.contains("(0 voxels)"));
    }
}
