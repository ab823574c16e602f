package io.github.ies.model;

import java.util.Locale;

/** Intensity normalisation applied to each input channel before the network sees it. */
public enum Normalization {
    /**
     * MONAI {@code NormalizeIntensity(nonzero=True, channel_wise=True)}: per channel, mean and population standard
     * deviation over the channel's nonzero voxels; nonzero voxels become (v - mean) / std, zero voxels stay 0. A
     * channel without nonzero voxels is left unchanged; a zero std is replaced by 1 (as MONAI does).
     */
    ZSCORE_NONZERO("zscore-nonzero"),
    /** The raw intensities. */
    NONE("none");

    public final String key;

    Normalization(String key) { this.key = key; }

    public static Normalization fromKey(String key) {
        for (Normalization n : values()) if (n.key.equals(key.toLowerCase(Locale.ROOT))) return n;
        return null;
    }

    /** A normalised copy of one channel's voxels (the input is not modified). */
    public float[] apply(float[] data) {
        return this == NONE ? data.clone() : zscoreNonzero(data);
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
}
