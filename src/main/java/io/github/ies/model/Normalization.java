package io.github.ies.model;

import java.util.Locale;

/**
 * Intensity normalisation schemes applied to each input channel before the network sees it (a bundle names one for all
 * channels or one per channel; see {@link ChannelNormalization}). Statistics are computed in double precision.
 */
public enum Normalization {
    /**
     * MONAI {@code NormalizeIntensity(nonzero=True, channel_wise=True)}: per channel, mean and population standard
     * deviation over the channel's nonzero voxels; nonzero voxels become (v - mean) / std, zero voxels stay 0. A
     * channel without nonzero voxels is left unchanged; a zero std is replaced by 1 (as MONAI does).
     */
    ZSCORE_NONZERO("zscore-nonzero"),
    /**
     * nnU-Net's {@code ZScoreNormalization} with {@code use_mask_for_norm} false: (v - mean) / max(std, 1e-8) over the
     * whole image (population std).
     */
    ZSCORE("zscore"),
    /**
     * nnU-Net's {@code ZScoreNormalization} with {@code use_mask_for_norm} true: mean and population std over nnU-Net's
     * nonzero mask (voxels nonzero in any input channel, holes filled: {@code create_nonzero_mask}); voxels in the mask
     * become (v - mean) / max(std, 1e-8), the others are left as they are (0 in every channel, by the mask's definition).
     */
    ZSCORE_MASK("zscore-mask"),
    /**
     * nnU-Net's {@code CTNormalization}: clip to [lower, upper] (the dataset's foreground percentiles 0.5 and 99.5), then
     * (v - mean) / max(std, 1e-8) with the dataset's foreground mean and std (from the plans'
     * {@code foreground_intensity_properties_per_channel}).
     */
    CT("ct"),
    /** nnU-Net's {@code RescaleTo01Normalization}: (v - min) / max(max - min, 1e-8) over the image. */
    RESCALE_0_1("rescale-0-1"),
    /** The raw intensities (nnU-Net's {@code NoNormalization}). */
    NONE("none");

    public final String key;

    Normalization(String key) { this.key = key; }

    /** The scheme of a key (case-insensitive, "_" read as "-"), or null. */
    public static Normalization fromKey(String key) {
        String k = key.toLowerCase(Locale.ROOT).replace('_', '-');
        for (Normalization n : values()) if (n.key.equals(k)) return n;
        return null;
    }

    /** The keys, for messages. */
    public static String keys() {
        StringBuilder sb = new StringBuilder();
        for (Normalization n : values()) sb.append(sb.length() == 0 ? "" : ", ").append('"').append(n.key).append('"');
        return sb.toString();
    }

    /** True for schemes that need parameters from the bundle ({@link #CT}). */
    public boolean needsParameters() { return this == CT; }

    /**
     * A normalised copy of one channel's voxels (the input is not modified), for the schemes that need neither
     * parameters nor the other channels; see {@link ChannelNormalization#normalize} for all of them.
     */
    public float[] apply(float[] data) {
        switch (this) {
            case NONE: return data.clone();
            case ZSCORE_NONZERO: return zscoreNonzero(data);
            case ZSCORE: return zscore(data, null);
            case RESCALE_0_1: return rescale01(data);
            default: throw new IllegalStateException(key + " needs " + (this == CT ? "the dataset's intensity parameters" : "all input channels")
                    + ": use ChannelNormalization.normalize");
        }
    }

    /** Mean and population std (in double precision) of the nonzero voxels: {mean, std, count}. */
    public static double[] nonzeroStats(float[] data) {
        long n = 0;
        double sum = 0;
        for (float v : data) if (v != 0f) { n++; sum += v; }
        if (n == 0) return new double[] {0, 0, 0};
        double mean = sum / n, ss = 0;
        for (float v : data) if (v != 0f) { double d = v - mean; ss += d * d; }
        return new double[] {mean, Math.sqrt(ss / n), n};
    }

    public static float[] zscoreNonzero(float[] data) {
        float[] out = data.clone();
        double[] s = nonzeroStats(data);
        if (s[2] == 0) return out;
        double std = s[1] == 0 ? 1.0 : s[1];
        for (int i = 0; i < out.length; i++) if (out[i] != 0f) out[i] = (float) ((out[i] - s[0]) / std);
        return out;
    }

    /** nnU-Net's z-score over the voxels where {@code mask} is true (all voxels when null); the others unchanged. */
    public static float[] zscore(float[] data, boolean[] mask) {
        float[] out = data.clone();
        double[] s = zscoreStats(data, mask);
        if (s == null) return out;
        for (int i = 0; i < out.length; i++) if (mask == null || mask[i]) out[i] = (float) ((data[i] - s[0]) / s[1]);
        return out;
    }

    /** {mean, max(population std, 1e-8)} over the voxels where {@code mask} is true (all when null); null when none. */
    static double[] zscoreStats(float[] data, boolean[] mask) {
        long n = 0;
        double sum = 0;
        for (int i = 0; i < data.length; i++) if (mask == null || mask[i]) { n++; sum += data[i]; }
        if (n == 0) return null;
        double mean = sum / n, ss = 0;
        for (int i = 0; i < data.length; i++) if (mask == null || mask[i]) { double d = data[i] - mean; ss += d * d; }
        return new double[] {mean, Math.max(Math.sqrt(ss / n), 1e-8)};
    }

    /** nnU-Net's CT normalisation: clip to [lower, upper], then (v - mean) / max(std, 1e-8). */
    public static float[] ct(float[] data, double mean, double std, double lower, double upper) {
        float[] out = new float[data.length];
        double s = Math.max(std, 1e-8);
        for (int i = 0; i < out.length; i++) out[i] = (float) ((Math.min(Math.max(data[i], lower), upper) - mean) / s);
        return out;
    }

    /** nnU-Net's rescale to [0, 1]: (v - min) / max(max - min, 1e-8). */
    public static float[] rescale01(float[] data) {
        float[] out = new float[data.length];
        if (data.length == 0) return out;
        double[] r = rescaleRange(data);
        for (int i = 0; i < out.length; i++) out[i] = (float) ((data[i] - r[0]) / r[1]);
        return out;
    }

    /** {min, max(max - min, 1e-8)} of the voxels (rescale to [0, 1]). */
    static double[] rescaleRange(float[] data) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (float v : data) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return new double[] {lo, Math.max(hi - lo, 1e-8)};
    }
}
