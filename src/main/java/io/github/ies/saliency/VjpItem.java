package io.github.ies.saliency;

/**
 * One vector-Jacobian product of a noisy copy: the gradient of the lesion logit of one voxel of a target (max
 * aggregation), or of the mean of its logits ({@link #MEAN}).
 *
 * @param target index of the target in its group
 * @param voxel  flat C-order index of the voxel in the box the product runs on, or {@link #MEAN}
 */
record VjpItem(int target, int voxel) {

    /** The voxel value of a mean-aggregation product (the 1/|L| weights of all the target's voxels). */
    static final int MEAN = -1;

    boolean mean() { return voxel == MEAN; }
}
