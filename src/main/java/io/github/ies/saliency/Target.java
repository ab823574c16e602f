package io.github.ies.saliency;

import io.github.ies.io.Grid;

import java.util.Arrays;

/** A voxel set to explain (an instance), with its bounding box. */
public final class Target {
    public final int id;
    /** Flat C-order indices ((i * dims[1] + j) * dims[2] + k) of the voxels. */
    final int[] voxels;
    final int[] bboxMin = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
    final int[] bboxMax = {Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE};

    /** {@code voxels}: flat C-order indices on a grid of {@code dims} (see {@link #ofNifti} for NIfTI order). */
    public Target(int id, int[] voxels, int[] dims) {
        if (voxels.length == 0) throw new IllegalArgumentException("instance " + id + " has no voxel");
        this.id = id;
        this.voxels = voxels.clone();
        Grid g = new Grid(dims);
        for (int v : voxels) {
            if (v < 0 || v >= g.voxels()) throw new IllegalArgumentException("voxel index " + v + " outside " + Arrays.toString(dims));
            int[] p = g.ijkOfC(v);
            for (int d = 0; d < 3; d++) {
                bboxMin[d] = Math.min(bboxMin[d], p[d]);
                bboxMax[d] = Math.max(bboxMax[d], p[d]);
            }
        }
    }

    /** A target from a NIfTI-order mask (i fastest, as {@code Volume.data()}). */
    public static Target ofNifti(int id, boolean[] mask, int[] dims) {
        Grid g = new Grid(dims);
        int n = 0;
        for (boolean b : mask) if (b) n++;
        int[] v = new int[n];
        int p = 0;
        for (int q = 0; q < mask.length; q++) if (mask[q]) v[p++] = g.cOfNifti(q);
        Arrays.sort(v);
        return new Target(id, v, dims);
    }

    public int voxelCount() { return voxels.length; }
}
