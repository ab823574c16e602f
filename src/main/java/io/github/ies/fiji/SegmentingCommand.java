package io.github.ies.fiji;

import org.scijava.plugin.Parameter;

/**
 * A model command that segments: the segmentation parameters shared by Segment Lesions and Explain Lesions (macro
 * keys {@code device}, {@code threshold}, {@code min_size}, {@code connectivity}), parsed the same way for both.
 */
public abstract class SegmentingCommand extends ModelCommand {

    @Parameter(label = "Device", choices = {"auto", "cpu", "gpu"}, persist = false)
    protected String device = io.github.ies.model.DeviceSpec.DEFAULT;

    @Parameter(label = "Threshold (negative: the model's)", persist = false)
    protected double threshold = -1;

    @Parameter(label = "Minimum lesion size (voxels; negative: the model's)", persist = false)
    protected int min_size = -1;

    @Parameter(label = "Connectivity", choices = {"model", "6", "18", "26"}, persist = false)
    protected String connectivity = "model";

    /** The threshold, or null for the model's. */
    protected Double thresholdOrModel() { return CommandSupport.threshold(threshold); }

    /** The minimum lesion size, or null for the model's. */
    protected Integer minSizeOrModel() { return CommandSupport.minSize(min_size); }

    /** The connectivity, or null for the model's. */
    protected Integer connectivityOrModel() { return CommandSupport.connectivity(connectivity); }
}
