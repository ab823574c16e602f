package io.github.ies.saliency;

/**
 * Accumulates SmoothGrad maps over N noisy copies for one instance and one input channel (paper eqs. 2 and 3).
 *
 * <p>Per copy n, the caller feeds the gradients of the instance's lesion-class logits, either
 * <ul>
 *   <li>{@link #addVoxelGradient}: one gradient g_j per instance voxel j (max aggregation: the per-voxel signed value
 *   of largest magnitude over j, M_n(i) = g_{j*}(i) with j* = argmax_j |g_j(i)|), then {@link #endCopy}; or</li>
 *   <li>{@link #addCopy}: one already aggregated map per copy (mean aggregation: the gradient of the mean logit).</li>
 * </ul>
 * The result is the mean over copies; with {@code trackVariance} also the per-voxel standard error of that mean
 * (sample standard deviation over copies / sqrt(N)), so users can judge the Monte-Carlo error.
 * Maps live on a crop grid of {@code size} voxels; the caller owns the layout.
 */
public final class SmoothGradAccumulator {

    private final int size;
    private final double[] sum;
    private final double[] sumSq;
    private final float[] copyMax;
    private boolean copyOpen;
    private int copies;

    public SmoothGradAccumulator(int size, boolean trackVariance) {
        this.size = size;
        this.sum = new double[size];
        this.sumSq = trackVariance ? new double[size] : null;
        this.copyMax = new float[size];
    }

    /** Max aggregation: folds one voxel's gradient into the current copy's signed abs-max. */
    public void addVoxelGradient(float[] grad, int offset) {
        if (offset < 0 || offset + size > grad.length) throw new IllegalArgumentException("gradient slice out of range");
        float[] m = copyMax;
        if (!copyOpen) {
            System.arraycopy(grad, offset, m, 0, size);
            copyOpen = true;
            return;
        }
        for (int i = 0; i < size; i++) {
            float v = grad[offset + i];
            if (Math.abs(v) > Math.abs(m[i])) m[i] = v;
        }
    }

    /** Max aggregation: closes the current copy (at least one voxel gradient must have been added). */
    public void endCopy() {
        if (!copyOpen) throw new IllegalStateException("no voxel gradient was added to this copy");
        addCopy(copyMax, 0);
        copyOpen = false;
    }

    /** Adds one copy's map (e.g. the mean-aggregation gradient, or an externally computed M_n). */
    public void addCopy(float[] map, int offset) {
        if (offset < 0 || offset + size > map.length) throw new IllegalArgumentException("map slice out of range");
        for (int i = 0; i < size; i++) {
            double v = map[offset + i];
            sum[i] += v;
            if (sumSq != null) sumSq[i] += v * v;
        }
        copies++;
    }

    public int copies() {
        return copies;
    }

    /** The mean over copies. */
    public float[] mean() {
        if (copies == 0) throw new IllegalStateException("no copy accumulated");
        float[] out = new float[size];
        for (int i = 0; i < size; i++) out[i] = (float) (sum[i] / copies);
        return out;
    }

    /** Per-voxel standard error of the mean over copies (0 with a single copy). */
    public float[] standardError() {
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
