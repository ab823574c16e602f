package io.github.ies.report;

import java.awt.Color;

/**
 * How a saliency value is drawn over the anatomy, for the report and the README figures (one rule, one colour bar).
 * Signed maps (SmoothGrad) use a diverging map symmetric about 0 on [-range, range]: positive values red (small) to
 * yellow (the range), negative values blue (small) to cyan (-range); non-negative maps (Grad-CAM++) red to yellow on
 * [0, range]. Both start saturated, so a value of a fifth of the range is as visible as the range itself, and both
 * are transparent near 0: opacity rises linearly from 0 at {@value #TRANSPARENT_BELOW} of the range to full at
 * {@value #OPAQUE_FROM} of it, so the anatomy shows where the map is small. Values beyond the range are clipped to
 * its colour.
 */
public final class MapColours {

    /** Below this fraction of the range a value is not drawn. */
    public static final double TRANSPARENT_BELOW = 0.02;
    /** From this fraction of the range on a value is drawn opaque. */
    public static final double OPAQUE_FROM = 0.10;

    private MapColours() {}

    /** RGB (0..1) of a value at fraction {@code t} of the range ({@code t} in [-1, 1], clipped). */
    public static double[] rgb(double t) {
        double a = Math.min(1, Math.abs(t));
        if (t >= 0) return new double[] {1, a, 0};                 // red -> yellow
        return new double[] {0, 0.25 + 0.75 * a, 1};               // blue -> cyan
    }

    /** Opacity (0..1) of a value at fraction {@code t} of the range. */
    public static double alpha(double t) {
        double a = Math.abs(t);
        if (a <= TRANSPARENT_BELOW) return 0;
        return Math.min(1, (a - TRANSPARENT_BELOW) / (OPAQUE_FROM - TRANSPARENT_BELOW));
    }

    /** A grey level (0..1) with the value's colour blended over it. */
    public static Color over(double grey, double value, double range) {
        double t = range > 0 ? value / range : 0;
        double al = alpha(t);
        double[] c = rgb(t);
        float r = (float) ((1 - al) * grey + al * c[0]), g = (float) ((1 - al) * grey + al * c[1]), b = (float) ((1 - al) * grey + al * c[2]);
        return new Color(clamp(r), clamp(g), clamp(b));
    }

    private static float clamp(float x) {
        return Math.max(0f, Math.min(1f, x));
    }
}
