package io.github.ies.model;

import java.util.Locale;

/** Turns the blended logits into the lesion-class probability. */
public enum Activation {
    /** Softmax over the output channels, then the lesion channel. */
    SOFTMAX("softmax"),
    /** Logistic sigmoid of the lesion channel's logit. */
    SIGMOID("sigmoid");

    public final String key;

    Activation(String key) { this.key = key; }

    public static Activation fromKey(String key) {
        for (Activation a : values()) if (a.key.equals(key.toLowerCase(Locale.ROOT))) return a;
        return null;
    }

    /**
     * Lesion probability per voxel from logits in {@code [K, n]} layout (channel-major, n voxels per channel).
     */
    public float[] lesionProbability(float[] logits, int channels, int lesionChannel) {
        int n = logits.length / channels;
        float[] out = new float[n];
        if (this == SIGMOID) {
            for (int v = 0; v < n; v++) out[v] = (float) (1.0 / (1.0 + Math.exp(-logits[lesionChannel * n + v])));
            return out;
        }
        for (int v = 0; v < n; v++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < channels; c++) max = Math.max(max, logits[c * n + v]);
            double sum = 0;
            for (int c = 0; c < channels; c++) sum += Math.exp(logits[c * n + v] - max);
            out[v] = (float) (Math.exp(logits[lesionChannel * n + v] - max) / sum);
        }
        return out;
    }
}
