package io.github.ies.saliency;

/**
 * Accumulates the SmoothGrad maps of N noisy copies for one instance and one input channel (paper eqs. 2 and 3):
 * each copy's map (the max-aggregation map M_n, folded by {@link SmoothGradRunner}, or the mean-aggregation
 * gradient) is added with {@link #addCopy}; the result is the mean over copies, with {@code trackVariance} also the
 * per-voxel standard error of that mean (sample standard deviation over copies / sqrt(N)), so users can judge the
 * Monte-Carlo error. Maps live on a crop grid of {@code size} voxels; the caller owns the layout.
 */
final class SmoothGradAccumulator {

    private final int size;
    private final double[] sum;
    private final double[] sumSq;
    private int copies;

    SmoothGradAccumulator(int size, boolean trackVariance) {
        this.size = size;
        this.sum = new double[size];
        this.sumSq = trackVariance ? new double[size] : null;
    }

    /** Adds one copy's map, {@code size} values from {@code offset}. */
    void addCopy(float[] map, int offset) {
        if (offset < 0 || offset + size > map.length) throw new IllegalArgumentException("map slice out of range");
        for (int i = 0; i < size; i++) {
            double v = map[offset + i];
            sum[i] += v;
            if (sumSq != null) sumSq[i] += v * v;
        }
        copies++;
    }

    int copies() {
        return copies;
    }

    /** The mean over copies. */
    float[] mean() {
        if (copies == 0) throw new IllegalStateException("no copy accumulated");
        float[] out = new float[size];
        for (int i = 0; i < size; i++) out[i] = (float) (sum[i] / copies);
        return out;
    }

    /** Per-voxel standard error of the mean over copies (0 with a single copy). */
    float[] standardError() {
        if (sumSq == null) throw new IllegalStateException("variance was not tracked");
        float[] out = new float[size];
        if (copies < 2) return out;
        for (int i = 0; i < size; i++) {
            double m = sum[i] / copies;
            double var = (sumSq[i] - copies * m * m) / (copies - 1);
            out[i] = (float) Math.sqrt(Math.max(var, 0) / copies);
        }
        return out;
    }
}
