package io.github.ies.io;

import net.imglib2.img.array.ArrayImg;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.img.basictypeaccess.array.FloatArray;
import net.imglib2.type.numeric.real.FloatType;

import java.util.Arrays;

/**
 * A 3D scalar volume in NIfTI voxel order (i fastest, then j, then k) with its spatial geometry.
 *
 * <p>The voxels live in one {@code float[]} shared with an ImgLib2 {@link ArrayImg} view ({@link #img()}), so
 * algorithms may use either the ImgLib2 API or direct array access through {@link #index(int, int, int)}.
 */
public final class Volume {

    private final int[] dims;
    private final float[] data;
    private final Geometry geometry;

    public Volume(float[] data, int[] dims, Geometry geometry) {
        if (dims.length != 3) throw new IllegalArgumentException("a volume has 3 dimensions, got " + dims.length);
        long n = (long) dims[0] * dims[1] * dims[2];
        if (dims[0] <= 0 || dims[1] <= 0 || dims[2] <= 0) {
            throw new IllegalArgumentException("volume dimensions must be positive: " + Arrays.toString(dims));
        }
        if (n != data.length) {
            throw new IllegalArgumentException("data length " + data.length + " does not match dims " + Arrays.toString(dims));
        }
        this.dims = dims.clone();
        this.data = data;
        this.geometry = geometry;
    }

    /** A zero-filled volume with the given dims and geometry. */
    public static Volume zeros(int[] dims, Geometry geometry) {
        long n = (long) dims[0] * dims[1] * dims[2];
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("volume too large: " + Arrays.toString(dims));
        return new Volume(new float[(int) n], dims, geometry);
    }

    /** A zero-filled volume on the same grid (dims and geometry) as this one. */
    public Volume zerosLike() {
        return zeros(dims, geometry);
    }

    /** A deep copy of the voxels, sharing the (immutable) geometry. */
    public Volume copy() {
        return new Volume(data.clone(), dims, geometry);
    }

    public int[] dims() { return dims.clone(); }
    public int dim(int d) { return dims[d]; }
    public int size() { return data.length; }
    /** The backing array, i fastest. Writes are visible through {@link #img()}. */
    public float[] data() { return data; }
    public Geometry geometry() { return geometry; }
    public double[] spacing() { return geometry.spacing.clone(); }
    public double[][] affine() { return geometry.affine(); }

    public int index(int i, int j, int k) { return i + dims[0] * (j + dims[1] * k); }
    public float get(int i, int j, int k) { return data[index(i, j, k)]; }
    public void set(int i, int j, int k, float v) { data[index(i, j, k)] = v; }

    /** An ImgLib2 view of the voxels (no copy). */
    public ArrayImg<FloatType, FloatArray> img() {
        return ArrayImgs.floats(data, dims[0], dims[1], dims[2]);
    }

    /** True when the other volume has the same dims and (within 1e-4 mm) the same affine. */
    public boolean sameGrid(Volume other) {
        return Arrays.equals(dims, other.dims) && geometry.sameAffine(other.geometry, 1e-4);
    }

    /**
     * The one grid check of every command and front-end, before any inference: {@code v} (described by {@code what},
     * e.g. {@code "ground truth 'gt.nii.gz'"}) must lie on the grid of {@code ref} ({@code refWhat}, e.g.
     * {@code "FLAIR 'flair.nii.gz'"}); else an {@link IllegalArgumentException} with {@link #gridMismatch}'s one line.
     */
    public static Volume requireOnGrid(Volume v, String what, Volume ref, String refWhat) {
        String m = gridMismatch(v, what, ref, refWhat);
        if (m != null) throw new IllegalArgumentException(m);
        return v;
    }

    /**
     * Null when {@code v} lies on {@code ref}'s grid (same dims, affines within 1e-4 mm); else the one message: both
     * images named, what differs (the dimensions, or the voxel size, origin or axes of the affine), and how to fix it
     * (resample onto the reference grid, nearest neighbour for a label image or mask).
     */
    public static String gridMismatch(Volume v, String what, Volume ref, String refWhat) {
        if (v.sameGrid(ref)) return null;
        String diff;
        if (!Arrays.equals(v.dims, ref.dims)) {
            diff = "dimensions " + Arrays.toString(v.dims) + " vs " + Arrays.toString(ref.dims);
        } else {
            double[][] a = v.affine(), b = ref.affine();
            double[] sa = v.spacing(), sb = ref.spacing();
            boolean spacing = false, origin = false;
            for (int r = 0; r < 3; r++) {
                spacing |= Math.abs(sa[r] - sb[r]) > 1e-4;
                origin |= Math.abs(a[r][3] - b[r][3]) > 1e-4;
            }
            java.util.List<String> d = new java.util.ArrayList<>();
            if (spacing) d.add(String.format(java.util.Locale.ROOT, "voxel size %s vs %s mm", mm(sa), mm(sb)));
            if (origin) {
                d.add(String.format(java.util.Locale.ROOT, "origin %s vs %s mm", mm(new double[] {a[0][3], a[1][3], a[2][3]}),
                        mm(new double[] {b[0][3], b[1][3], b[2][3]})));
            }
            if (!spacing && !origin) d.add("axis directions (orientation)");
            diff = "same dimensions " + Arrays.toString(v.dims) + " but the affines differ: " + String.join(", ", d);
        }
        return what + " is not on the grid of " + refWhat + " (" + diff + "): bring it onto that grid, nearest neighbour for a label image or"
                + " mask, e.g. ANTs 'antsApplyTransforms -d 3 -i IMAGE -r REFERENCE -o OUT -n NearestNeighbor', FSL 'flirt -in IMAGE -ref"
                + " REFERENCE -applyxfm -usesqform -interp nearestneighbour -out OUT' or nibabel 'resample_from_to(img, ref, order=0)'"
                + " (for a flipped or permuted orientation alone, 'fslreorient2std' on both)";
    }

    private static String mm(double[] v) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < v.length; i++) b.append(i == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%.4g", v[i]));
        return b.append(')').toString();
    }

    /**
     * Stacks channels into the model's tensor layout {@code [channel, i, j, k]} in C order (k fastest), the
     * layout of a contiguous PyTorch tensor of that shape.
     */
    public static float[] toTensorLayout(Volume... channels) {
        int[] d = channels[0].dims;
        int n = channels[0].data.length;
        float[] out = new float[Math.multiplyExact(n, channels.length)];
        for (int c = 0; c < channels.length; c++) {
            if (!Arrays.equals(d, channels[c].dims)) throw new IllegalArgumentException("channel dims differ");
            float[] src = channels[c].data;
            int base = c * n;
            int o = base;
            for (int i = 0; i < d[0]; i++)
                for (int j = 0; j < d[1]; j++)
                    for (int k = 0; k < d[2]; k++)
                        out[o++] = src[i + d[0] * (j + d[1] * k)];
        }
        return out;
    }

    /** Inverse of {@link #toTensorLayout}: channel {@code c} of a {@code [C, i, j, k]} C-order array. */
    public static Volume fromTensorLayout(float[] tensor, int c, int[] dims, Geometry geometry) {
        int n = dims[0] * dims[1] * dims[2];
        float[] out = new float[n];
        int o = c * n;
        for (int i = 0; i < dims[0]; i++)
            for (int j = 0; j < dims[1]; j++)
                for (int k = 0; k < dims[2]; k++)
                    out[i + dims[0] * (j + dims[1] * k)] = tensor[o++];
        return new Volume(out, dims, geometry);
    }
}
