package io.github.ies.saliency;

/**
 * The signs of the explained layer's activations A (the {@code forward_features} output Grad-CAM++ weighs) over the
 * forward passes of one engine: how many values were seen and how many were negative. Grad-CAM++'s closed-form
 * weights alpha = 1 / (2 + g S_k) assume A >= 0 (a ReLU layer, S_k >= 0); a layer ending in a PReLU or without an
 * activation has negative values, and then alpha changes sign where g S_k < -2 (docs/saliency.md, "Where the
 * Grad-CAM++ map sits, and why"). Each context box is counted once (a batch of replicated inputs as one copy).
 */
public final class ActivationSigns {

    private long values, negative;

    /** Counts {@code a[from, to)}. */
    public synchronized void add(float[] a, int from, int to) {
        long n = 0;
        for (int i = from; i < to; i++) if (a[i] < 0f) n++;
        negative += n;
        values += to - from;
    }

    /** The values counted (0: Grad-CAM++ did not run). */
    public synchronized long values() { return values; }

    public synchronized long negative() { return negative; }

    /** The fraction of negative values, NaN when none were counted. */
    public synchronized double negativeFraction() {
        return values == 0 ? Double.NaN : (double) negative / values;
    }
}
