package io.github.ies.analysis;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.util.Random;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

public class OperatorsTest {

    static boolean[] randomMask(Random r, int n, double p) {
        boolean[] m = new boolean[n];
        for (int v = 0; v < n; v++) m[v] = r.nextDouble() < p;
        return m;
    }

    @Test
    public void dilationIs18Connected() {
        int[] dims = {5, 5, 5};
        boolean[] m = new boolean[125];
        m[2 + 5 * (2 + 5 * 2)] = true;
        boolean[] d = Operators.dilate18(m, dims);
        assertEquals(19, Operators.count(d)); // centre + 6 faces + 12 edges, no corners
        assertFalse(d[1 + 5 * (1 + 5 * 1)]);
        assertTrue(d[1 + 5 * (1 + 5 * 2)]);
        // twice: every voxel reachable in two 18-steps = all with |di|+|dj|+|dk| <= 4 and each |d| <= 2 minus the 8 far corners
        boolean[] d2 = Operators.dilate18(m, dims, 2);
        int expected = 0;
        for (int k = 0; k < 5; k++) for (int j = 0; j < 5; j++) for (int i = 0; i < 5; i++) {
            int a = Math.abs(i - 2), b = Math.abs(j - 2), c = Math.abs(k - 2);
            boolean in = a + b + c <= 4; // 18-neighbourhood steps change at most 2 coordinates by 1
            assertEquals(i + "," + j + "," + k, in, d2[i + 5 * (j + 5 * k)]);
            if (in) expected++;
        }
        assertEquals(expected, Operators.count(d2));
        assertArrayEquals(m, Operators.dilate18(m, dims, 0));
    }

    @Test
    public void dilationMatchesDefinitionOnRandomMasksAtTheBorder() {
        Random r = new Random(3);
        int[] dims = {7, 4, 6};
        boolean[] m = randomMask(r, 7 * 4 * 6, 0.05);
        boolean[] d = Operators.dilate18(m, dims);
        for (int k = 0; k < 6; k++) for (int j = 0; j < 4; j++) for (int i = 0; i < 7; i++) {
            boolean any = false;
            for (int dk = -1; dk <= 1; dk++) for (int dj = -1; dj <= 1; dj++) for (int di = -1; di <= 1; di++) {
                if (Math.abs(di) + Math.abs(dj) + Math.abs(dk) == 3) continue;
                int ii = i + di, jj = j + dj, kk = k + dk;
                if (ii < 0 || jj < 0 || kk < 0 || ii >= 7 || jj >= 4 || kk >= 6) continue;
                any |= m[ii + 7 * (jj + 4 * kk)];
            }
            assertEquals(any, d[i + 7 * (j + 4 * k)]);
        }
    }

    @Test
    public void distanceInMmWithAnisotropicSpacingEqualsBruteForce() {
        Random r = new Random(11);
        int[] dims = {9, 7, 5};
        double[] sp = {0.8, 1.3, 3.0};
        for (int trial = 0; trial < 5; trial++) {
            boolean[] m = randomMask(r, 9 * 7 * 5, 0.02 + 0.03 * trial);
            if (Operators.count(m) == 0) m[17] = true;
            double[] d = Operators.distanceMm(m, dims, sp);
            for (int v = 0; v < m.length; v++) {
                int i = v % 9, j = (v / 9) % 7, k = v / 63;
                double best = Double.POSITIVE_INFINITY;
                for (int u = 0; u < m.length; u++) {
                    if (!m[u]) continue;
                    double a = (u % 9 - i) * sp[0], b = ((u / 9) % 7 - j) * sp[1], c = (u / 63 - k) * sp[2];
                    best = Math.min(best, Math.sqrt(a * a + b * b + c * c));
                }
                assertEquals(best, d[v], 1e-12);
            }
        }
        double[] none = Operators.distanceMm(new boolean[12], new int[] {2, 3, 2}, sp);
        for (double x : none) assertEquals(Double.POSITIVE_INFINITY, x, 0);
    }

    @Test
    public void shellByDistanceInMm() {
        int[] dims = {21, 21, 11};
        double[] sp = {0.5, 0.5, 2.0};
        boolean[] m = new boolean[21 * 21 * 11];
        m[10 + 21 * (10 + 21 * 5)] = true;
        boolean[] s = Operators.shell(m, dims, sp, 2.0);
        assertFalse(s[10 + 21 * (10 + 21 * 5)]);
        // in-plane: 4 voxels of 0.5 mm = 2 mm inside, 5 voxels outside; along k: one slice (2 mm) inside, two outside
        assertTrue(s[14 + 21 * (10 + 21 * 5)]);
        assertFalse(s[15 + 21 * (10 + 21 * 5)]);
        assertTrue(s[10 + 21 * (10 + 21 * 6)]);
        assertFalse(s[10 + 21 * (10 + 21 * 7)]);
        assertFalse(s[11 + 21 * (10 + 21 * 6)]);
        boolean[] w = Operators.withShell(m, dims, sp, 2.0);
        assertEquals(Operators.count(s) + 1, Operators.count(w));
    }

    @Test
    public void pasteMovesTheVoxelsAndKeepsEverythingElse() {
        int[] dims = {6, 5, 4};
        Geometry g = Geometry.axisAligned(new double[] {1, 2, 3}, new double[] {0, 0, 0});
        Volume a = Volume.zeros(dims, g), b = Volume.zeros(dims, g);
        for (int v = 0; v < a.size(); v++) { a.data()[v] = v; b.data()[v] = -v; }
        boolean[] region = new boolean[a.size()];
        region[a.index(1, 1, 1)] = true;
        region[a.index(2, 1, 1)] = true;
        boolean[] pasted = new boolean[a.size()];
        Volume[] out = Operators.paste(new Volume[] {a, b}, region, new int[] {3, 2, 1}, pasted);
        assertEquals(a.get(1, 1, 1), out[0].get(4, 3, 2), 0);
        assertEquals(a.get(2, 1, 1), out[0].get(5, 3, 2), 0);
        assertEquals(b.get(2, 1, 1), out[1].get(5, 3, 2), 0);
        assertEquals(2, Operators.count(pasted));
        assertTrue(pasted[a.index(4, 3, 2)]);
        int changed = 0;
        for (int v = 0; v < a.size(); v++) if (out[0].data()[v] != a.data()[v]) changed++;
        assertEquals(2, changed);
        assertEquals(a.get(1, 1, 1), out[0].get(1, 1, 1), 0); // the source stays
        assertTrue(out[0].geometry().sameAffine(g, 0));
        assertArrayEquals(pasted, Operators.shift(region, dims, new int[] {3, 2, 1}));
        try {
            Operators.paste(new Volume[] {a}, region, new int[] {4, 0, 0}, null);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("leaves the volume"));
        }
    }

    @Test
    public void pasteWithShellCarriesThePerilesionalTissue() {
        int[] dims = {12, 12, 6};
        double[] sp = {1, 1, 2.5};
        Geometry g = Geometry.axisAligned(sp, new double[] {0, 0, 0});
        Volume a = Volume.zeros(dims, g);
        for (int v = 0; v < a.size(); v++) a.data()[v] = 1 + v % 7;
        boolean[] lesion = new boolean[a.size()];
        lesion[a.index(3, 3, 2)] = true;
        boolean[] region = Operators.withShell(lesion, dims, sp, 2.5);
        // in-plane a^2 + b^2 <= 6.25 (21 voxels incl. the centre), k +-1 only at the centre (2.5 mm); (1,0,1): 2.69 mm, no
        assertEquals(21 + 2, Operators.count(region));
        boolean[] pasted = new boolean[a.size()];
        Volume[] out = Operators.paste(new Volume[] {a}, region, new int[] {5, 5, 1}, pasted);
        for (int v = 0; v < a.size(); v++) if (region[v]) {
            int i = v % 12, j = (v / 12) % 12, k = v / 144;
            assertEquals(a.data()[v], out[0].get(i + 5, j + 5, k + 1), 0);
        }
    }

    @Test
    public void keepOnlyZeroesEverythingElse() {
        int[] dims = {4, 4, 4};
        Volume a = Volume.zeros(dims, Geometry.axisAligned(new double[] {1, 1, 1}, new double[] {0, 0, 0}));
        for (int v = 0; v < a.size(); v++) a.data()[v] = v + 1;
        boolean[] keep = new boolean[64];
        keep[21] = true;
        boolean[] k1 = Operators.dilate18(keep, dims, 1);
        Volume out = Operators.keepOnly(new Volume[] {a}, k1)[0];
        for (int v = 0; v < 64; v++) assertEquals(k1[v] ? a.data()[v] : 0f, out.data()[v], 0);
        assertEquals(19, Operators.count(k1));
    }
}
