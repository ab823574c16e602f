package io.github.ies.geometry;

import io.github.ies.io.Geometry;

import java.util.Locale;

/**
 * The one display convention of the report, the README's figures and the Fiji views: <b>radiological</b>, as ITK-SNAP
 * and most clinical viewers show images. World axes are RAS+ (NIfTI's: x towards the patient's right, y anterior,
 * z superior).
 * <pre>
 *   view       screen left -> right          screen top -> bottom     through
 *   axial      patient's right -> left (R L)  anterior -> posterior (A P)   inferior -> superior slices
 *   coronal    patient's right -> left (R L)  superior -> inferior (S I)   posterior -> anterior slices
 *   sagittal   anterior -> posterior (A P)    superior -> inferior (S I)   right -> left slices
 * </pre>
 * The voxel axes are matched to the world axes by nibabel's {@code io_orientation} ({@link Orientation#ofAffine}, the
 * rule of the axis codes in run.json and of the model geometry; an oblique scan is shown along its nearest axes, never
 * resampled): displaying
 * is a permutation and flip of the voxel axes only. A geometry without orientation (qform and sform codes 0) has
 * no known directions: it is shown in voxel order (screen x = i, y = j, slices k), with no letters ({@link #known}).
 */
public final class DisplayOrientation {

    /** The three views. */
    public enum Plane { AXIAL, CORONAL, SAGITTAL }

    /** For each plane, the world directions of screen x, screen y (down) and the slices: world axis (0 x, 1 y, 2 z) times +-1. */
    private static final int[][][] TARGETS = {
        {{0, -1}, {1, -1}, {2, 1}},      // axial: x towards L, y (down) towards P, slices towards S
        {{0, -1}, {2, -1}, {1, 1}},      // coronal: x towards L, y (down) towards I, slices towards A
        {{1, -1}, {2, -1}, {0, -1}},     // sagittal: x towards P, y (down) towards I, slices towards L
    };
    private static final char[][] LETTERS = {{'L', 'R'}, {'P', 'A'}, {'I', 'S'}};

    private final boolean known;
    /** Voxel axis of each world axis, and whether the voxel index increases towards + world (R, A, S). */
    private final int[] voxelOfWorld = new int[3];
    private final boolean[] increasesToPlus = new boolean[3];

    private DisplayOrientation(int[][] ornt) {
        this.known = ornt != null;
        if (!known) {
            // voxel order: world axis w "is" voxel axis w; signs chosen so that the views below keep the voxel order
            for (int a = 0; a < 3; a++) voxelOfWorld[a] = a;
            increasesToPlus[0] = false;     // x towards - world = towards + i
            increasesToPlus[1] = false;
            increasesToPlus[2] = true;
            return;
        }
        for (int v = 0; v < 3; v++) {
            voxelOfWorld[ornt[v][0]] = v;
            increasesToPlus[ornt[v][0]] = ornt[v][1] > 0;
        }
    }

    /**
     * The orientation of a geometry (its affine: sform, else qform), by nibabel's {@code io_orientation}, the rule of
     * run.json's axis codes and of the model geometry; unknown without either, or for an affine that maps a voxel axis
     * to no world axis (the reader refuses such files; a display never fails on one).
     */
    public static DisplayOrientation of(Geometry g) {
        if (g.sformCode == 0 && g.qformCode == 0) return new DisplayOrientation(null);
        try {
            return new DisplayOrientation(Orientation.ofAffine(g.affine()));
        } catch (IllegalArgumentException e) {
            return new DisplayOrientation(null);
        }
    }

    /** Whether the geometry says which way is which (else letters are not shown). */
    public boolean known() { return known; }

    /** The axis codes of the voxel axes, nibabel's {@code aff2axcodes} ("RAS", "LPS", ...); "???" when unknown. */
    public String codes() {
        if (!known) return "???";
        char[] s = new char[3];
        for (int w = 0; w < 3; w++) s[voxelOfWorld[w]] = LETTERS[w][increasesToPlus[w] ? 1 : 0];
        return new String(s);
    }

    /** One screen axis of a view: the voxel axis it runs along and whether it runs against the voxel index. */
    public record Axis(int voxelAxis, boolean flipped) {
        /** The voxel index at screen position {@code p} along an axis of {@code n} voxels. */
        public int voxel(int p, int n) { return flipped ? n - 1 - p : p; }
    }

    /** Screen x, screen y (downwards) and the slice axis of a view. */
    public Axis[] axes(Plane plane) {
        Axis[] out = new Axis[3];
        for (int s = 0; s < 3; s++) {
            int[] t = TARGETS[plane.ordinal()][s];
            int w = t[0];
            boolean towardsPlus = t[1] > 0;
            out[s] = new Axis(voxelOfWorld[w], increasesToPlus[w] != towardsPlus);
        }
        return out;
    }

    /** The letters at the left, right, top and bottom edges of a view ({@code R L A P} for the axial view); empty when unknown. */
    public String[] letters(Plane plane) {
        if (!known) return new String[] {"", "", "", ""};
        int[][] t = TARGETS[plane.ordinal()];
        String[] out = new String[4];
        for (int s = 0; s < 2; s++) {
            int w = t[s][0];
            char towards = LETTERS[w][t[s][1] > 0 ? 1 : 0], from = LETTERS[w][t[s][1] > 0 ? 0 : 1];
            out[2 * s] = Character.toString(from);
            out[2 * s + 1] = Character.toString(towards);
        }
        return out;
    }

    /** A one-line description for captions and docs: "radiological (voxel axes RAS)". */
    public String describe() {
        return known ? String.format(Locale.ROOT, "radiological (voxel axes %s)", codes()) : "voxel order (no orientation in the header)";
    }

    /**
     * The dimensions of a volume of {@code dims} shown in a view: screen width, height and the number of slices.
     */
    public int[] viewDims(Plane plane, int[] dims) {
        Axis[] a = axes(plane);
        return new int[] {dims[a[0].voxelAxis], dims[a[1].voxelAxis], dims[a[2].voxelAxis]};
    }

    /** The voxel size along screen x, screen y and the slices of a view. */
    public double[] viewSpacing(Plane plane, double[] spacing) {
        Axis[] a = axes(plane);
        return new double[] {spacing[a[0].voxelAxis], spacing[a[1].voxelAxis], spacing[a[2].voxelAxis]};
    }

    /** The voxel (i, j, k) at screen position (x, y) of slice {@code z} of a view of a volume of {@code dims}. */
    public int[] voxel(Plane plane, int[] dims, int x, int y, int z) {
        Axis[] a = axes(plane);
        int[] v = new int[3];
        int[] p = {x, y, z};
        for (int s = 0; s < 3; s++) v[a[s].voxelAxis] = a[s].voxel(p[s], dims[a[s].voxelAxis]);
        return v;
    }

    /** The screen position (x, y, slice) of voxel (i, j, k) in a view of a volume of {@code dims}. */
    public int[] screen(Plane plane, int[] dims, int[] voxel) {
        Axis[] a = axes(plane);
        int[] p = new int[3];
        for (int s = 0; s < 3; s++) p[s] = a[s].voxel(voxel[a[s].voxelAxis], dims[a[s].voxelAxis]);
        return p;
    }

    /**
     * A whole volume (NIfTI order, i fastest) rearranged into a view's order (screen x fastest, then y, then slices):
     * a permutation, no resampling. {@link #fromView} undoes it.
     */
    public float[] toView(Plane plane, float[] data, int[] dims) {
        int[] vd = viewDims(plane, dims);
        float[] out = new float[data.length];
        int[] index = viewToNiftiIndex(plane, dims);
        for (int p = 0; p < out.length; p++) out[p] = data[index[p]];
        return out;
    }

    /** The inverse of {@link #toView}: a view-ordered array back to NIfTI order. */
    public float[] fromView(Plane plane, float[] view, int[] dims) {
        float[] out = new float[view.length];
        int[] index = viewToNiftiIndex(plane, dims);
        for (int p = 0; p < out.length; p++) out[index[p]] = view[p];
        return out;
    }

    /** For an int label array: {@link #toView}. */
    public int[] toView(Plane plane, int[] data, int[] dims) {
        int[] out = new int[data.length];
        int[] index = viewToNiftiIndex(plane, dims);
        for (int p = 0; p < out.length; p++) out[p] = data[index[p]];
        return out;
    }

    /** For an int label array: {@link #fromView}. */
    public int[] fromView(Plane plane, int[] view, int[] dims) {
        int[] out = new int[view.length];
        int[] index = viewToNiftiIndex(plane, dims);
        for (int p = 0; p < out.length; p++) out[index[p]] = view[p];
        return out;
    }

    /** The NIfTI index of every view position (screen x fastest). */
    private int[] viewToNiftiIndex(Plane plane, int[] dims) {
        int[] vd = viewDims(plane, dims);
        int[] index = new int[vd[0] * vd[1] * vd[2]];
        int p = 0;
        for (int z = 0; z < vd[2]; z++)
            for (int y = 0; y < vd[1]; y++)
                for (int x = 0; x < vd[0]; x++) {
                    int[] v = voxel(plane, dims, x, y, z);
                    index[p++] = v[0] + dims[0] * (v[1] + dims[1] * v[2]);
                }
        return index;
    }
}
