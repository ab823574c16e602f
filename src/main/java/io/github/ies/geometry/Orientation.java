package io.github.ies.geometry;

import java.util.Locale;

/**
 * Voxel-axis orientations as nibabel (and MONAI's {@code Orientation} transform, which calls it) define them. An
 * orientation ("ornt") has one row per voxel axis: {world axis, +1 or -1}. Axis codes name, per voxel axis, the world
 * direction it increases towards, from the labels (L, R), (P, A), (I, S) of world axes x, y, z (RAS+: x to the right,
 * y anterior, z superior); "RAS" is nibabel's canonical orientation.
 */
public final class Orientation {

    private static final char[][] LABELS = {{'L', 'R'}, {'P', 'A'}, {'I', 'S'}};

    private Orientation() {}

    /**
     * nibabel's {@code io_orientation}: for each voxel axis, the world axis it is closest to and the direction, from the
     * closest shear-free rotation of the affine's direction cosines; ties are resolved axis by axis, each world axis
     * used once.
     */
    public static int[][] ofAffine(double[][] affine) {
        double[][] rzs = Affines.linear(affine);
        double[] zooms = Affines.columnNorms(affine);
        double[][] rs = new double[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) rs[i][j] = rzs[i][j] / zooms[j];
        double[][] r = Affines.polar(rs);
        int[][] ornt = new int[3][2];
        for (int in = 0; in < 3; in++) {
            int out = 0;
            for (int w = 1; w < 3; w++) if (Math.abs(r[w][in]) > Math.abs(r[out][in])) out = w;
            if (r[out][in] == 0) throw new IllegalArgumentException("the affine maps voxel axis " + in + " to no world axis");
            ornt[in][0] = out;
            ornt[in][1] = r[out][in] < 0 ? -1 : 1;
            for (int c = 0; c < 3; c++) r[out][c] = 0;
        }
        return ornt;
    }

    /** nibabel's {@code aff2axcodes}: the axis codes of an affine, e.g. "RAS" or "LPI". */
    public static String codes(double[][] affine) {
        return codes(ofAffine(affine));
    }

    /** The axis codes of an orientation. */
    public static String codes(int[][] ornt) {
        StringBuilder sb = new StringBuilder();
        for (int[] row : ornt) sb.append(LABELS[row[0]][row[1] > 0 ? 1 : 0]);
        return sb.toString();
    }

    /** True for three letters naming each world axis once, from L/R, P/A, I/S (any case). */
    public static boolean validCodes(String codes) {
        try {
            ofCodes(codes);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** nibabel's {@code axcodes2ornt}; throws naming the problem for anything but 3 letters covering x, y and z. */
    public static int[][] ofCodes(String codes) {
        if (codes == null || codes.length() != 3) {
            throw new IllegalArgumentException("an orientation is 3 letters such as \"RAS\", got " + (codes == null ? "nothing" : "\"" + codes + "\""));
        }
        String c = codes.toUpperCase(Locale.ROOT);
        int[][] ornt = new int[3][2];
        boolean[] used = new boolean[3];
        for (int i = 0; i < 3; i++) {
            int axis = -1, dir = 0;
            for (int w = 0; w < 3; w++) {
                if (c.charAt(i) == LABELS[w][0]) { axis = w; dir = -1; }
                if (c.charAt(i) == LABELS[w][1]) { axis = w; dir = 1; }
            }
            if (axis < 0) throw new IllegalArgumentException("orientation \"" + codes + "\": '" + codes.charAt(i) + "' is not one of L, R, P, A, I, S");
            if (used[axis]) throw new IllegalArgumentException("orientation \"" + codes + "\" names the " + "xyz".charAt(axis) + " axis twice");
            used[axis] = true;
            ornt[i][0] = axis;
            ornt[i][1] = dir;
        }
        return ornt;
    }

    /** nibabel's {@code ornt_transform}: the orientation that takes arrays in {@code start} to {@code end}. */
    public static int[][] transform(int[][] start, int[][] end) {
        int[][] result = new int[3][2];
        for (int endIn = 0; endIn < 3; endIn++) {
            boolean found = false;
            for (int startIn = 0; startIn < 3; startIn++) {
                if (end[endIn][0] == start[startIn][0]) {
                    result[startIn][0] = endIn;
                    result[startIn][1] = start[startIn][1] == end[endIn][1] ? 1 : -1;
                    found = true;
                    break;
                }
            }
            if (!found) throw new IllegalArgumentException("unable to find world axis " + end[endIn][0]);
        }
        return result;
    }

    /**
     * nibabel's {@code inv_ornt_aff}: the 4x4 affine taking voxel coordinates of the array transformed by {@code ornt}
     * (axis {@code in} flipped when {@code ornt[in][1] == -1}, then moved to position {@code ornt[in][0]}) back to
     * voxel coordinates of the original array of dims {@code shape}.
     */
    public static double[][] inverseAffine(int[][] ornt, int[] shape) {
        double[][] undoReorder = new double[4][4];
        for (int in = 0; in < 3; in++) undoReorder[in][ornt[in][0]] = 1;
        undoReorder[3][3] = 1;
        double[][] undoFlip = Affines.identity(4);
        for (int in = 0; in < 3; in++) {
            undoFlip[in][in] = ornt[in][1];
            double centre = -(shape[in] - 1) / 2.0;
            undoFlip[in][3] = ornt[in][1] * centre - centre;
        }
        return Affines.multiply(undoFlip, undoReorder);
    }

    /** The dims of an array of dims {@code shape} transformed by {@code ornt}. */
    public static int[] transformedShape(int[][] ornt, int[] shape) {
        int[] out = new int[3];
        for (int in = 0; in < 3; in++) out[ornt[in][0]] = shape[in];
        return out;
    }

    /** True when {@code ornt} changes nothing (no flip, no permutation). */
    public static boolean isIdentity(int[][] ornt) {
        for (int in = 0; in < 3; in++) if (ornt[in][0] != in || ornt[in][1] != 1) return false;
        return true;
    }
}
