package io.github.ies.model;

import io.github.ies.io.Volume;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link Segmenter#segment} produces: the lesion-class probability and the binary mask on the input grid,
 * plus what a report needs (device, timings, parameters). The instance analysis starts from {@link #mask()} and
 * the bundle's {@code connectivity} / {@code min_lesion_voxels}; the saliency engine from
 * {@link #normalizedInput()}.
 */
public final class SegmentationResult {

    private final ModelBundle bundle;
    private final Volume probability;
    private final Volume mask;
    private final double threshold;
    private final float[] normalizedInput;
    private final int[] dims;
    private final String device;
    private final int windows;
    private final int batchSize;
    private final int outputChannels;
    private final Map<String, Double> timings;
    private final List<String> warnings;

    SegmentationResult(ModelBundle bundle, Volume probability, Volume mask, double threshold, float[] normalizedInput,
                       String device, int windows, int batchSize, int outputChannels, Map<String, Double> timings,
                       List<String> warnings) {
        this.bundle = bundle;
        this.probability = probability;
        this.mask = mask;
        this.threshold = threshold;
        this.normalizedInput = normalizedInput;
        this.dims = probability.dims();
        this.device = device;
        this.windows = windows;
        this.batchSize = batchSize;
        this.outputChannels = outputChannels;
        this.timings = Collections.unmodifiableMap(new LinkedHashMap<>(timings));
        this.warnings = List.copyOf(warnings);
    }

    public ModelBundle bundle() { return bundle; }
    /** Lesion-class probability (softmax or sigmoid of the blended logits), float, input grid and geometry. */
    public Volume probability() { return probability; }
    /** Binary mask (1 where probability > threshold, else 0; 0 outside the brain mask when one was given). */
    public Volume mask() { return mask; }
    public double threshold() { return threshold; }
    /** The normalised network input {@code [C, i, j, k]} in C order (k fastest), channels in the bundle's order. */
    public float[] normalizedInput() { return normalizedInput; }
    public int[] dims() { return dims.clone(); }
    /** The device that computed the result ({@code cpu} or {@code gpu:N}; after an out-of-memory fallback, cpu). */
    public String device() { return device; }
    public int windows() { return windows; }
    /** Patches per batch at the end of the run (smaller than requested after an out-of-memory retry). */
    public int batchSize() { return batchSize; }
    public int outputChannels() { return outputChannels; }
    /** Seconds per stage: normalize, inference, postprocess. */
    public Map<String, Double> timings() { return timings; }
    public List<String> warnings() { return warnings; }

    /**
     * This result with its probability and mask on another grid (the input's, when the model ran on a declared
     * grid), one more warning line when not null; the normalised input stays the one the model saw.
     */
    public SegmentationResult onGrid(Volume probability, Volume mask, String warning) {
        List<String> w = new java.util.ArrayList<>(warnings);
        if (warning != null) w.add(warning);
        return new SegmentationResult(bundle, probability, mask, threshold, normalizedInput, device, windows, batchSize,
                outputChannels, timings, w);
    }

    /** Number of voxels in the mask. */
    public long maskVoxels() {
        long n = 0;
        for (float v : mask.data()) if (v != 0) n++;
        return n;
    }
}
