package io.github.ies.saliency;

/**
 * The maps of one noisy copy for the targets of a group, each {@code [C, box]} on the box its products ran on:
 * per target, the max-aggregation map M_n (signed value of largest magnitude over the target's voxel gradients) and
 * the mean-aggregation gradient; null where a method is off or the target had no product there.
 */
final class CopyMaps {

    final float[][] max;
    final float[][] mean;

    CopyMaps(int targets) {
        this.max = new float[targets][];
        this.mean = new float[targets][];
    }
}
