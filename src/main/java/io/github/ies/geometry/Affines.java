package io.github.ies.geometry;

import io.github.ies.io.Geometry;

/**
 * Small dense linear algebra on 3x3 and 4x4 matrices ({@code double[row][column]}) for voxel-to-world affines, and the
 * conversion of an affine to a NIfTI {@link Geometry} (sform and qform).
 */
public final class Affines {

    private Affines() {}

    public static double[][] identity(int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) m[i][i] = 1;
        return m;
    }

    public static double[][] copy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }

    public static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length, m = b[0].length, k = b.length;
        double[][] c = new double[n][m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int q = 0; q < k; q++) s += a[i][q] * b[q][j];
                c[i][j] = s;
            }
        return c;
    }

    /** a x (p, 1) for a 4x4 affine and a 3-vector p. */
    public static double[] apply(double[][] a, double[] p) {
        double[] r = new double[3];
        for (int i = 0; i < 3; i++) r[i] = a[i][0] * p[0] + a[i][1] * p[1] + a[i][2] * p[2] + a[i][3];
        return r;
    }

    public static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++)
            for (int j = 0; j < a[0].length; j++) t[j][i] = a[i][j];
        return t;
    }

    /** The inverse by Gauss-Jordan elimination with partial pivoting; throws for a singular matrix. */
    public static double[][] inverse(double[][] a) {
        int n = a.length;
        double[][] m = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, m[i], 0, n);
            m[i][n + i] = 1;
        }
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
            if (!(Math.abs(m[p][c]) > 1e-300)) throw new IllegalArgumentException("singular matrix");
            double[] t = m[p];
            m[p] = m[c];
            m[c] = t;
            double d = m[c][c];
            for (int j = 0; j < 2 * n; j++) m[c][j] /= d;
            for (int r = 0; r < n; r++) {
                if (r == c || m[r][c] == 0) continue;
                double f = m[r][c];
                for (int j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
            }
        }
        double[][] inv = new double[n][n];
        for (int i = 0; i < n; i++) System.arraycopy(m[i], n, inv[i], 0, n);
        return inv;
    }

    public static double det3(double[][] m) {
        return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    }

    /** The upper-left 3x3 block of a 4x4 affine. */
    public static double[][] linear(double[][] a) {
        double[][] r = new double[3][3];
        for (int i = 0; i < 3; i++) System.arraycopy(a[i], 0, r[i], 0, 3);
        return r;
    }

    /** A 4x4 affine from a 3x3 linear part and a translation. */
    public static double[][] affine(double[][] lin, double[] t) {
        double[][] a = identity(4);
        for (int i = 0; i < 3; i++) {
            System.arraycopy(lin[i], 0, a[i], 0, 3);
            a[i][3] = t[i];
        }
        return a;
    }

    /** Voxel sizes: the norms of the columns of the linear part (MONAI's affine_to_spacing; zeros become 1). */
    public static double[] columnNorms(double[][] a) {
        double[] s = new double[3];
        for (int c = 0; c < 3; c++) {
            s[c] = Math.sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
            if (s[c] == 0) s[c] = 1;
        }
        return s;
    }

    /** The upper triangular U with positive diagonal and U^T U = m (Cholesky of a symmetric positive definite 3x3). */
    public static double[][] choleskyUpper(double[][] m) {
        double[][] l = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j <= i; j++) {
                double s = m[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                if (i == j) {
                    if (!(s > 0)) throw new IllegalArgumentException("matrix is not positive definite");
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        return transpose(l);
    }

    /**
     * The orthogonal factor R of the polar decomposition m = R S (the orthogonal matrix closest to m; nibabel computes
     * it as U V^T from the SVD), by Newton's iteration R <- (R + R^-T) / 2 for a nonsingular m.
     */
    public static double[][] polar(double[][] m) {
        double[][] r = copy(m);
        for (int it = 0; it < 100; it++) {
            double[][] inv = transpose(inverse(r));
            double change = 0;
            double[][] next = new double[3][3];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    next[i][j] = 0.5 * (r[i][j] + inv[i][j]);
                    change = Math.max(change, Math.abs(next[i][j] - r[i][j]));
                }
            r = next;
            if (change < 1e-15) break;
        }
        return r;
    }

    /**
     * A NIfTI geometry whose sform is {@code affine} and whose qform is the same affine as far as a qform can hold it
     * (as nibabel's {@code set_qform}: voxel sizes from the column norms, qfac -1 for a left-handed affine, the
     * rotation projected on the closest orthogonal matrix, shears dropped). Both codes are {@code code}.
     */
    public static Geometry toGeometry(double[][] affine, int code, int xyztUnits) {
        double[][] rzs = linear(affine);
        double[] zooms = columnNorms(affine);
        double[][] r = new double[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) r[i][j] = rzs[i][j] / zooms[j];
        double qfac = 1;
        if (det3(r) < 0) {
            qfac = -1;
            for (int i = 0; i < 3; i++) r[i][2] = -r[i][2];
        }
        r = polar(r);
        double[] q = quaternion(r);
        double[][] srow = new double[3][];
        for (int i = 0; i < 3; i++) srow[i] = affine[i].clone();
        return new Geometry(zooms, qfac, code, code, new double[] {q[1], q[2], q[3]},
                new double[] {affine[0][3], affine[1][3], affine[2][3]}, srow, xyztUnits);
    }

    /** The unit quaternion {w, x, y, z} (w >= 0) of a proper rotation matrix. */
    static double[] quaternion(double[][] r) {
        double t = r[0][0] + r[1][1] + r[2][2];
        double w, x, y, z;
        if (t > 0) {
            double s = Math.sqrt(t + 1) * 2;
            w = 0.25 * s;
            x = (r[2][1] - r[1][2]) / s;
            y = (r[0][2] - r[2][0]) / s;
            z = (r[1][0] - r[0][1]) / s;
        } else if (r[0][0] > r[1][1] && r[0][0] > r[2][2]) {
            double s = Math.sqrt(1 + r[0][0] - r[1][1] - r[2][2]) * 2;
            w = (r[2][1] - r[1][2]) / s;
            x = 0.25 * s;
            y = (r[0][1] + r[1][0]) / s;
            z = (r[0][2] + r[2][0]) / s;
        } else if (r[1][1] > r[2][2]) {
            double s = Math.sqrt(1 + r[1][1] - r[0][0] - r[2][2]) * 2;
            w = (r[0][2] - r[2][0]) / s;
            x = (r[0][1] + r[1][0]) / s;
            y = 0.25 * s;
            z = (r[1][2] + r[2][1]) / s;
        } else {
            double s = Math.sqrt(1 + r[2][2] - r[0][0] - r[1][1]) * 2;
            w = (r[1][0] - r[0][1]) / s;
            x = (r[0][2] + r[2][0]) / s;
            y = (r[1][2] + r[2][1]) / s;
            z = 0.25 * s;
        }
        double n = Math.sqrt(w * w + x * x + y * y + z * z);
        if (w < 0) n = -n;
        return new double[] {w / n, x / n, y / n, z / n};
    }
}
