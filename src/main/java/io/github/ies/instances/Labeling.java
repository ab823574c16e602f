package io.github.ies.instances;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A label image: one {@code int} per voxel in NIfTI order (0 = background, 1..{@link #count()} = components) with
 * the size of each label. Produced by {@link ConnectedComponents}; ids are ordered by the raster position of each
 * component's first voxel (see there), and {@link #withMinVoxels(int)} keeps that order.
 */
public final class Labeling {

    private final int[] labels;
    private final int[] dims;
    private final int count;
    private final int[] sizes;
    private final Connectivity connectivity;

    Labeling(int[] labels, int[] dims, int count, int[] sizes, Connectivity connectivity) {
        this.labels = labels;
        this.dims = dims.clone();
        this.count = count;
        this.sizes = sizes;
        this.connectivity = connectivity;
    }

    /**
     * A labeling from an existing label image (e.g. a user's {@code labels.nii.gz}): ids are kept as given (not
     * renumbered; ids without voxels are allowed and skipped by {@link #instances}). Values must be non-negative
     * integers below 2^24.
     *
     * @param connectivity recorded only (the components are taken as given, not re-split)
     */
    public static Labeling fromLabelVolume(Volume v, Connectivity connectivity) {
        float[] d = v.data();
        int[] lab = new int[d.length];
        int max = 0;
        for (int idx = 0; idx < d.length; idx++) {
            float x = d[idx];
            if (!(x >= 0) || x >= (1 << 24) || x != Math.rint(x)) {
                throw new IllegalArgumentException("a label image holds non-negative integer ids below 2^24; found " + x
                        + " at voxel index " + idx);
            }
            lab[idx] = (int) x;
            if (lab[idx] > max) max = lab[idx];
        }
        int[] sizes = new int[max + 1];
        for (int l : lab) sizes[l]++;
        return new Labeling(lab, v.dims(), max, sizes, connectivity);
    }

    /** The label array (i fastest); shared, do not modify. */
    public int[] labels() { return labels; }
    public int[] dims() { return dims.clone(); }
    /** Number of components (the largest id). */
    public int count() { return count; }
    /** Voxel count of a label (0 gives the background's). */
    public int voxels(int id) { return sizes[id]; }
    public Connectivity connectivity() { return connectivity; }

    /** Total number of labelled (foreground) voxels. */
    public int foregroundVoxels() {
        return labels.length - sizes[0];
    }

    /**
     * Drops components with fewer than {@code minVoxels} voxels and renumbers the rest 1..m keeping their order
     * (so ids still follow the raster order of first voxels). {@code minVoxels <= 1} keeps everything.
     */
    public Labeling withMinVoxels(int minVoxels) {
        if (minVoxels <= 1) return this;
        int[] map = new int[count + 1];
        int m = 0;
        for (int id = 1; id <= count; id++) if (sizes[id] >= minVoxels) map[id] = ++m;
        if (m == count) return this;
        int[] out = new int[labels.length];
        int[] newSizes = new int[m + 1];
        for (int idx = 0; idx < labels.length; idx++) {
            int l = labels[idx];
            if (l != 0) {
                int f = map[l];
                out[idx] = f;
                newSizes[f]++;
            }
        }
        newSizes[0] = labels.length;
        for (int id = 1; id <= m; id++) newSizes[0] -= newSizes[id];
        return new Labeling(out, dims, m, newSizes, connectivity);
    }

    /** A 0/1 mask of the labelled voxels. */
    public boolean[] mask() {
        boolean[] m = new boolean[labels.length];
        for (int idx = 0; idx < labels.length; idx++) m[idx] = labels[idx] != 0;
        return m;
    }

    /**
     * The instance table: size, volume, inclusive bounding box and centroid of every component, in id order
     * (ids without voxels, possible only in {@link #fromLabelVolume}, are skipped).
     * The geometry gives the voxel volume and the world coordinates.
     */
    public List<Instance> instances(Geometry geometry) {
        int nx = dims[0], ny = dims[1], nz = dims[2];
        long[] si = new long[count + 1], sj = new long[count + 1], sk = new long[count + 1];
        int[][] mn = new int[3][count + 1], mx = new int[3][count + 1];
        for (int d = 0; d < 3; d++) {
            Arrays.fill(mn[d], Integer.MAX_VALUE);
            Arrays.fill(mx[d], -1);
        }
        int idx = 0;
        for (int k = 0; k < nz; k++)
            for (int j = 0; j < ny; j++)
                for (int i = 0; i < nx; i++, idx++) {
                    int l = labels[idx];
                    if (l == 0) continue;
                    si[l] += i;
                    sj[l] += j;
                    sk[l] += k;
                    if (i < mn[0][l]) mn[0][l] = i;
                    if (i > mx[0][l]) mx[0][l] = i;
                    if (j < mn[1][l]) mn[1][l] = j;
                    if (j > mx[1][l]) mx[1][l] = j;
                    if (k < mn[2][l]) mn[2][l] = k;
                    if (k > mx[2][l]) mx[2][l] = k;
                }
        double vv = geometry.voxelVolume();
        List<Instance> out = new ArrayList<>(count);
        for (int l = 1; l <= count; l++) {
            if (sizes[l] == 0) continue;
            double n = sizes[l];
            double[] c = {si[l] / n, sj[l] / n, sk[l] / n};
            out.add(new Instance(l, sizes[l], sizes[l] * vv, new int[] {mn[0][l], mn[1][l], mn[2][l]},
                    new int[] {mx[0][l], mx[1][l], mx[2][l]}, c, geometry.toWorld(c[0], c[1], c[2])));
        }
        return out;
    }

    /**
     * The labels as a float volume (for {@code Nifti.write(..., NiftiDataType.INT32)}), ids shifted by
     * {@code offset} (background stays 0). Ids must stay below 2^24 to be exact in a float.
     */
    public Volume toVolume(Geometry geometry, int offset) {
        if ((long) count + offset >= (1 << 24)) throw new IllegalStateException("too many labels for a float volume: " + (count + offset));
        float[] f = new float[labels.length];
        for (int idx = 0; idx < labels.length; idx++) {
            int l = labels[idx];
            if (l != 0) f[idx] = l + offset;
        }
        return new Volume(f, dims, geometry);
    }
}
