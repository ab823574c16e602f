package io.github.ies.io;

import java.util.Arrays;

/**
 * The spatial part of a NIfTI header: voxel size, qform (quaternion) and sform (affine rows) with their codes,
 * and the units. Every output volume copies the geometry of its input so that it overlays it in other viewers.
 *
 * <p>Voxel order is NIfTI's (i, j, k). {@link #affine()} follows nibabel's rule: the sform if
 * {@code sformCode != 0}, else the qform if {@code qformCode != 0}, else the pixdim diagonal.
 */
public final class Geometry {

    /** NIfTI xform codes. */
    public static final int XFORM_UNKNOWN = 0, XFORM_SCANNER_ANAT = 1, XFORM_ALIGNED_ANAT = 2, XFORM_TALAIRACH = 3,
            XFORM_MNI_152 = 4;

    /** Voxel size along i, j, k in mm (absolute pixdim[1..3]). */
    public final double[] spacing;
    /** pixdim[0]: -1 or 1, the qform's handedness. */
    public final double qfac;
    public final int qformCode;
    public final int sformCode;
    /** quatern_b, quatern_c, quatern_d. */
    public final double[] quatern;
    /** qoffset_x, qoffset_y, qoffset_z. */
    public final double[] qoffset;
    /** srow_x, srow_y, srow_z (3 rows of 4). */
    public final double[][] srow;
    /** xyzt_units byte of the header (mm and seconds by default). */
    public final int xyztUnits;

    public Geometry(double[] spacing, double qfac, int qformCode, int sformCode, double[] quatern, double[] qoffset,
            double[][] srow, int xyztUnits) {
        if (spacing.length != 3 || quatern.length != 3 || qoffset.length != 3 || srow.length != 3) {
            throw new IllegalArgumentException("geometry needs 3 spacings, 3 quaternion parameters, 3 offsets, 3 srows");
        }
        this.spacing = spacing.clone();
        this.qfac = qfac < 0 ? -1 : 1;
        this.qformCode = qformCode;
        this.sformCode = sformCode;
        this.quatern = quatern.clone();
        this.qoffset = qoffset.clone();
        this.srow = new double[3][];
        for (int r = 0; r < 3; r++) {
            if (srow[r].length != 4) throw new IllegalArgumentException("srow must have 4 columns");
            this.srow[r] = srow[r].clone();
        }
        this.xyztUnits = xyztUnits;
    }

    /**
     * An axis-aligned geometry with the given spacing whose world origin (0,0,0) lies at the given voxel
     * coordinates, written as both sform and qform with code {@code XFORM_SCANNER_ANAT} (RAS+ orientation).
     */
    public static Geometry axisAligned(double[] spacing, double[] originVoxel) {
        double[][] s = new double[3][4];
        double[] off = new double[3];
        for (int r = 0; r < 3; r++) {
            s[r][r] = spacing[r];
            off[r] = -originVoxel[r] * spacing[r];
            s[r][3] = off[r];
        }
        return new Geometry(spacing, 1, XFORM_SCANNER_ANAT, XFORM_SCANNER_ANAT, new double[3], off, s, 2 | 8);
    }

    /** A geometry with only voxel sizes (no qform, no sform): world = diag(spacing) * voxel. */
    public static Geometry spacingOnly(double[] spacing) {
        double[][] s = new double[3][4];
        return new Geometry(spacing, 1, 0, 0, new double[3], new double[3], s, 2 | 8);
    }

    /**
     * The voxel-to-world affine (4x4), by nibabel's rule ({@code get_best_affine}): the sform if
     * {@code sformCode != 0}, else the qform if {@code qformCode != 0}, else the pixdim diagonal (NIfTI's "method
     * 1"; nibabel would there centre and x-flip the grid as for Analyze files).
     */
    public double[][] affine() {
        if (sformCode != 0) return sformAffine();
        if (qformCode != 0) return qformAffine();
        double[][] a = new double[4][4];
        for (int r = 0; r < 3; r++) a[r][r] = spacing[r];
        a[3][3] = 1;
        return a;
    }

    /** The sform rows as a 4x4 matrix (whatever the code). */
    public double[][] sformAffine() {
        double[][] a = new double[4][];
        for (int r = 0; r < 3; r++) a[r] = srow[r].clone();
        a[3] = new double[] {0, 0, 0, 1};
        return a;
    }

    /**
     * The qform as a 4x4 matrix (whatever the code), exactly as nibabel's {@code get_qform}: the quaternion's
     * w is {@code sqrt(1 - b^2 - c^2 - d^2)}, or 0 when that is negative (rounding in the stored float32 values;
     * nibabel refuses below -3 float32 eps, the NIfTI reference code renormalises (b, c, d): both give this
     * matrix, since the rotation is computed scale-invariantly as nibabel's {@code quat2mat}); pixdim[3] is
     * multiplied by qfac.
     */
    public double[][] qformAffine() {
        double x = quatern[0], y = quatern[1], z = quatern[2];
        double w2 = 1.0 - (x * x + y * y + z * z);
        double w = w2 < 0 ? 0 : Math.sqrt(w2);
        double nq = w * w + x * x + y * y + z * z;
        double[][] r;
        if (nq < 2.220446049250313e-16) {
            r = new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        } else {
            double s = 2.0 / nq;
            double xs = x * s, ys = y * s, zs = z * s;
            double wx = w * xs, wy = w * ys, wz = w * zs;
            double xx = x * xs, xy = x * ys, xz = x * zs;
            double yy = y * ys, yz = y * zs, zz = z * zs;
            r = new double[][] {
                {1.0 - (yy + zz), xy - wz, xz + wy},
                {xy + wz, 1.0 - (xx + zz), yz - wx},
                {xz - wy, yz + wx, 1.0 - (xx + yy)}
            };
        }
        double[] sc = {spacing[0], spacing[1], spacing[2] * qfac};
        double[][] m = new double[4][4];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) m[i][j] = r[i][j] * sc[j];
            m[i][3] = qoffset[i];
        }
        m[3][3] = 1;
        return m;
    }

    /** Applies the affine to a voxel coordinate (i, j, k). */
    public double[] toWorld(double i, double j, double k) {
        double[][] a = affine();
        double[] w = new double[3];
        for (int r = 0; r < 3; r++) w[r] = a[r][0] * i + a[r][1] * j + a[r][2] * k + a[r][3];
        return w;
    }

    /** Voxel volume in mm3. */
    public double voxelVolume() {
        return spacing[0] * spacing[1] * spacing[2];
    }

    /** True when both geometries map voxels to the same world positions (affines equal within tol mm; never with a NaN). */
    public boolean sameAffine(Geometry other, double tol) {
        double[][] a = affine(), b = other.affine();
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                if (!(Math.abs(a[r][c] - b[r][c]) <= tol)) return false;     // NaN is never the same
        return true;
    }

    @Override
    public String toString() {
        return "Geometry[spacing=" + Arrays.toString(spacing) + ", qform_code=" + qformCode + ", sform_code="
                + sformCode + ", affine=" + Arrays.deepToString(affine()) + "]";
    }
}
