package io.github.ies.instances;

/**
 * One connected component: its id in the label image, size, bounding box (inclusive voxel indices) and centroid
 * (mean voxel coordinate, and that point mapped through the volume's affine).
 */
public final class Instance {
    public final int id;
    public final int voxels;
    /** voxels x voxel volume (mm3). */
    public final double volumeMm3;
    /** Inclusive bounding box {i, j, k} minima and maxima. */
    public final int[] bboxMin, bboxMax;
    /** Mean (i, j, k) of the voxels. */
    public final double[] centroidVoxel;
    /** The centroid in world coordinates (x, y, z) by the affine (mm). */
    public final double[] centroidWorld;

    public Instance(int id, int voxels, double volumeMm3, int[] bboxMin, int[] bboxMax, double[] centroidVoxel,
            double[] centroidWorld) {
        this.id = id;
        this.voxels = voxels;
        this.volumeMm3 = volumeMm3;
        this.bboxMin = bboxMin.clone();
        this.bboxMax = bboxMax.clone();
        this.centroidVoxel = centroidVoxel.clone();
        this.centroidWorld = centroidWorld.clone();
    }

    @Override
    public String toString() {
        return "Instance[id=" + id + ", voxels=" + voxels + ", volume_mm3=" + volumeMm3 + "]";
    }
}
