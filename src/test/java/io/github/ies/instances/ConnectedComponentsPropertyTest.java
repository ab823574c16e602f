package io.github.ies.instances;

import org.junit.Test;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * Property-based check of the labeling against a brute-force breadth-first flood fill that starts a new component
 * at each unlabelled foreground voxel in raster order (which numbers components by their first voxel, the
 * documented id order). Many random volumes: densities from sparse to percolating, shapes with 1-voxel-thick
 * dimensions, smoothed (blobby) volumes, all three connectivities.
 */
public class ConnectedComponentsPropertyTest {

    /** Reference: BFS flood fill over the full neighbourhood with explicit bounds checks. */
    static int[] floodFill(float[] data, int[] dims, Connectivity c) {
        int nx = dims[0], ny = dims[1], nz = dims[2];
        int[] lab = new int[data.length];
        int[][] offs = c.offsets().toArray(new int[0][]);
        int next = 0;
        ArrayDeque<int[]> queue = new ArrayDeque<>();
        for (int k = 0; k < nz; k++)
            for (int j = 0; j < ny; j++)
                for (int i = 0; i < nx; i++) {
                    int idx = i + nx * (j + ny * k);
                    if (data[idx] == 0 || lab[idx] != 0) continue;
                    next++;
                    lab[idx] = next;
                    queue.add(new int[] {i, j, k});
                    while (!queue.isEmpty()) {
                        int[] p = queue.poll();
                        for (int[] o : offs) {
                            int a = p[0] + o[0], b = p[1] + o[1], d = p[2] + o[2];
                            if (a < 0 || b < 0 || d < 0 || a >= nx || b >= ny || d >= nz) continue;
                            int q = a + nx * (b + ny * d);
                            if (data[q] != 0 && lab[q] == 0) {
                                lab[q] = next;
                                queue.add(new int[] {a, b, d});
                            }
                        }
                    }
                }
        return lab;
    }

    static float[] randomVolume(SplittableRandom rng, int[] dims, double density, boolean smooth) {
        int n = dims[0] * dims[1] * dims[2];
        float[] v = new float[n];
        if (!smooth) {
            for (int t = 0; t < n; t++) v[t] = rng.nextDouble() < density ? (rng.nextBoolean() ? 1f : -2.5f) : 0f;
            return v;
        }
        // blobby: box-filtered noise, thresholded to about the requested density
        double[] noise = new double[n];
        for (int t = 0; t < n; t++) noise[t] = rng.nextDouble();
        double[] sm = new double[n];
        int nx = dims[0], ny = dims[1], nz = dims[2];
        for (int k = 0; k < nz; k++)
            for (int j = 0; j < ny; j++)
                for (int i = 0; i < nx; i++) {
                    double s = 0;
                    int cnt = 0;
                    for (int dk = -1; dk <= 1; dk++)
                        for (int dj = -1; dj <= 1; dj++)
                            for (int di = -1; di <= 1; di++) {
                                int a = i + di, b = j + dj, d = k + dk;
                                if (a < 0 || b < 0 || d < 0 || a >= nx || b >= ny || d >= nz) continue;
                                s += noise[a + nx * (b + ny * d)];
                                cnt++;
                            }
                    sm[i + nx * (j + ny * k)] = s / cnt;
                }
        double[] sorted = sm.clone();
        Arrays.sort(sorted);
        double thr = sorted[Math.min(n - 1, (int) ((1 - density) * n))];
        for (int t = 0; t < n; t++) v[t] = sm[t] > thr ? 1f : 0f;
        return v;
    }

    static void assertSameLabeling(int[] expected, Labeling actual, String what) {
        assertArrayEquals(what, expected, actual.labels());
        int max = 0;
        for (int l : expected) max = Math.max(max, l);
        assertEquals(what + " count", max, actual.count());
        int[] sizes = new int[max + 1];
        for (int l : expected) sizes[l]++;
        for (int id = 0; id <= max; id++) assertEquals(what + " size of " + id, sizes[id], actual.voxels(id));
    }

    @Test
    public void matchesFloodFillOnRandomVolumes() {
        int[][] shapes = {{7, 6, 5}, {1, 9, 8}, {9, 1, 8}, {9, 8, 1}, {1, 1, 30}, {30, 1, 1}, {1, 1, 1}, {2, 2, 2},
            {13, 11, 9}, {4, 17, 3}, {20, 3, 16}};
        double[] densities = {0.02, 0.1, 0.25, 0.4, 0.6, 0.9};
        int cases = 0;
        for (long seed = 1; seed <= 40; seed++) {
            SplittableRandom rng = new SplittableRandom(seed * 7919);
            for (int[] dims : shapes) {
                double density = densities[rng.nextInt(densities.length)];
                boolean smooth = rng.nextInt(3) == 0;
                float[] v = randomVolume(rng, dims, density, smooth);
                for (Connectivity c : Connectivity.values()) {
                    String what = "seed " + seed + " dims " + Arrays.toString(dims) + " density " + density
                            + (smooth ? " smooth" : "") + " conn " + c;
                    assertSameLabeling(floodFill(v, dims, c), ConnectedComponents.label(v, dims, c), what);
                    cases++;
                }
            }
        }
        assertTrue(cases > 1000);
    }

    @Test
    public void idsFollowRasterOrderOfFirstVoxel() {
        SplittableRandom rng = new SplittableRandom(42);
        int[] dims = {23, 19, 17};
        for (int rep = 0; rep < 20; rep++) {
            float[] v = randomVolume(rng, dims, 0.08 + 0.02 * rep, rep % 2 == 0);
            for (Connectivity c : Connectivity.values()) {
                int[] lab = ConnectedComponents.label(v, dims, c).labels();
                int expectNext = 1;
                for (int l : lab) {
                    if (l == 0) continue;
                    assertTrue("id " + l + " appears before id " + expectNext, l <= expectNext);
                    if (l == expectNext) expectNext++;
                }
            }
        }
    }

    /** Connectivity matters: two voxels touching by a corner, an edge, a face. */
    @Test
    public void neighbourhoodDefinitions() {
        int[] dims = {3, 3, 3};
        float[] corner = new float[27], edge = new float[27], face = new float[27];
        corner[0] = corner[26] = 1; // (0,0,0) and (2,2,2): not neighbours at all
        corner[13] = 0;
        float[] c2 = new float[27];
        c2[0] = 1;
        c2[1 + 3 + 9] = 1; // (1,1,1): corner neighbour of (0,0,0)
        edge[0] = 1;
        edge[1 + 3] = 1; // (1,1,0): edge neighbour
        face[0] = 1;
        face[1] = 1; // (1,0,0): face neighbour
        assertEquals(2, ConnectedComponents.label(corner, dims, Connectivity.TWENTY_SIX).count());
        assertEquals(2, ConnectedComponents.label(c2, dims, Connectivity.EIGHTEEN).count());
        assertEquals(1, ConnectedComponents.label(c2, dims, Connectivity.TWENTY_SIX).count());
        assertEquals(2, ConnectedComponents.label(edge, dims, Connectivity.SIX).count());
        assertEquals(1, ConnectedComponents.label(edge, dims, Connectivity.EIGHTEEN).count());
        assertEquals(1, ConnectedComponents.label(face, dims, Connectivity.SIX).count());
        assertEquals(6, Connectivity.SIX.offsets().size());
        assertEquals(18, Connectivity.EIGHTEEN.offsets().size());
        assertEquals(26, Connectivity.TWENTY_SIX.offsets().size());
        assertEquals(13, Connectivity.TWENTY_SIX.backwardOffsets().size());
        assertEquals(9, Connectivity.EIGHTEEN.backwardOffsets().size());
        assertEquals(3, Connectivity.SIX.backwardOffsets().size());
    }

    /** A U-shaped component forces a merge of two provisional labels; a spiral forces chains of merges. */
    @Test
    public void mergesAcrossRows() {
        int[] dims = {5, 4, 1};
        float[] u = {
            1, 0, 0, 0, 1,
            1, 0, 1, 0, 1,
            1, 0, 1, 0, 1,
            1, 1, 1, 1, 1};
        Labeling l = ConnectedComponents.label(u, dims, Connectivity.SIX);
        assertEquals(1, l.count());
        assertEquals(13, l.voxels(1));
        assertEquals(7, l.voxels(0));
    }
}
