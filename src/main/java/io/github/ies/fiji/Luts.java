package io.github.ies.fiji;

import ij.process.LUT;
import io.github.ies.report.MapColours;

import java.awt.Color;

/**
 * Lookup tables built in code (no LUT files needed): grey, the report's map colours over anatomy (one convention for
 * Fiji and the report), a mask ramp and a glasbey-like label LUT.
 */
public final class Luts {

    private Luts() {}

    public static LUT grey() {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) r[i] = g[i] = b[i] = (byte) i;
        return new LUT(r, g, b);
    }


    /**
     * The report's diverging colours ({@link MapColours}) for an additive composite over a grey image: index 0 is
     * -range (cyan), 127 and 128 are 0, 255 is +range (yellow); each colour is scaled by the report's opacity, so values
     * below {@value MapColours#TRANSPARENT_BELOW} of the range add nothing (black) and the anatomy underneath shows, as
     * in the report.
     */
    public static LUT signedOverAnatomy() {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) {
            double t = i < 128 ? -(127 - i) / 127.0 : (i - 128) / 127.0;
            put(r, g, b, i, MapColours.rgb(t), MapColours.alpha(t));
        }
        return new LUT(r, g, b);
    }

    /** The report's red-to-yellow colours of non-negative maps (Grad-CAM++) on [0, range], over anatomy as {@link #signedOverAnatomy}. */
    public static LUT positiveOverAnatomy() {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) {
            double t = i / 255.0;
            put(r, g, b, i, MapColours.rgb(t), MapColours.alpha(t));
        }
        return new LUT(r, g, b);
    }

    private static void put(byte[] r, byte[] g, byte[] b, int i, double[] c, double alpha) {
        r[i] = (byte) Math.round(255 * alpha * c[0]);
        g[i] = (byte) Math.round(255 * alpha * c[1]);
        b[i] = (byte) Math.round(255 * alpha * c[2]);
    }


    /** Black to a single colour (e.g. green for a lesion mask). */
    public static LUT ramp(Color c) {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) {
            r[i] = (byte) (c.getRed() * i / 255);
            g[i] = (byte) (c.getGreen() * i / 255);
            b[i] = (byte) (c.getBlue() * i / 255);
        }
        return new LUT(r, g, b);
    }

    /**
     * A glasbey-like label LUT: index 0 black, every other index a saturated colour, neighbouring indices far
     * apart in hue (golden-ratio steps) and alternating in brightness, so touching labels are told apart.
     */
    public static LUT labels() {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        double golden = 0.618033988749895, h = 0.05;
        for (int i = 1; i < 256; i++) {
            h = (h + golden) % 1.0;
            float sat = (i % 3 == 0) ? 0.55f : 1.0f;
            float bri = (i % 2 == 0) ? 0.75f : 1.0f;
            int rgb = Color.HSBtoRGB((float) h, sat, bri);
            r[i] = (byte) ((rgb >> 16) & 255);
            g[i] = (byte) ((rgb >> 8) & 255);
            b[i] = (byte) (rgb & 255);
        }
        return new LUT(r, g, b);
    }
}
