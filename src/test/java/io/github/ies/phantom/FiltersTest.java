package io.github.ies.phantom;

import org.junit.Test;

import java.util.SplittableRandom;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

public class FiltersTest {

    @Test
    public void distanceTransformMatchesBruteForce() {
        int[] d = {13, 9, 11};
        double[] sp = {1.0, 2.0, 0.5};
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 5; trial++) {
            boolean[] f = new boolean[d[0] * d[1] * d[2]];
            for (int p = 0; p < f.length; p++) f[p] = r.nextDouble() < 0.02 * (trial + 1);
            float[] dist = Filters.distance(f, d, sp);
            for (int p = 0; p < f.length; p++) {
                double best = Double.POSITIVE_INFINITY;
                int i = p % d[0], j = (p / d[0]) % d[1], k = p / (d[0] * d[1]);
                for (int q = 0; q < f.length; q++) {
                    if (!f[q]) continue;
                    double dx = (q % d[0] - i) * sp[0], dy = ((q / d[0]) % d[1] - j) * sp[1];
                    double dz = (q / (d[0] * d[1]) - k) * sp[2];
                    best = Math.min(best, Math.sqrt(dx * dx + dy * dy + dz * dz));
                }
                if (Double.isInfinite(best)) assertTrue(dist[p] > 1e9);
                else assertEquals(best, dist[p], 1e-4);
            }
        }
    }

    /**
     * A point spread by the separable sampled Gaussian: the sum is kept away from borders, and along each axis the
     * ratio of neighbouring values is exactly the kernel's, exp(-spacing^2 / (2 sigma^2)) with the spacing in mm
     * (anisotropic, so a mix-up of mm and voxels or of axes shows), up to float rounding.
     */
    @Test
    public void gaussianKeepsTheSumAwayFromBordersAndSpreadsAPoint() {
        int[] d = {21, 21, 21};
        double[] sp = {0.5, 1, 2};
        double sigma = 1.5;
        float[] a = new float[d[0] * d[1] * d[2]];
        int c = 10 + 21 * (10 + 21 * 10);
        a[c] = 1000;
        Filters.gaussian(a, d, sp, sigma);
        double sum = 0;
        for (float v : a) sum += v;
        assertEquals(1000, sum, 1e-2);
        assertTrue(a[c] < 1000 && a[c] > 0);
        int[] step = {1, 21, 21 * 21};
        for (int axis = 0; axis < 3; axis++) {
            double want = Math.exp(-sp[axis] * sp[axis] / (2 * sigma * sigma));
            assertEquals("axis " + axis + " symmetric", a[c + step[axis]], a[c - step[axis]], 1e-6 * a[c]);
            assertEquals("axis " + axis + " neighbour ratio", want, a[c + step[axis]] / (double) a[c], 1e-5 * want);
            double want2 = Math.exp(-4 * sp[axis] * sp[axis] / (2 * sigma * sigma));
            assertEquals("axis " + axis + " second neighbour ratio", want2, a[c + 2 * step[axis]] / (double) a[c], 1e-5 * want2);
        }
    }
}
