package io.github.ies.fiji;

import ij.process.LUT;

import java.awt.Color;

/** Lookup tables built in code (no LUT files needed): grey, diverging blue-white-red, hot, mask and a glasbey-like label LUT. */
public final class Luts {

    private Luts() {}

    public static LUT grey() {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) r[i] = g[i] = b[i] = (byte) i;
        return new LUT(r, g, b);
    }

    /**
     * Blue (index 0) to white (indices 127 and 128) to red (255): with a display range [-m, m], 0 maps to white and
     * the sign of a value is its hue.
     */
    public static LUT blueWhiteRed() {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) {
            if (i < 128) {
                double t = i / 127.0;              // 0 blue .. 1 white
                r[i] = (byte) Math.round(255 * t);
                g[i] = (byte) Math.round(255 * t);
                b[i] = (byte) 255;
            } else {
                double t = (255 - i) / 127.0;      // 1 white .. 0 red
                r[i] = (byte) 255;
                g[i] = (byte) Math.round(255 * t);
                b[i] = (byte) Math.round(255 * t);
            }
        }
        return new LUT(r, g, b);
    }

    /**
     * Blue (0) to black (127, 128) to red (255): the diverging LUT for an additive composite over a grey image
     * (0 adds nothing, so the anatomy stays visible).
     */
    public static LUT blueBlackRed() {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) {
            if (i < 128) b[i] = (byte) Math.round(255 * (127 - i) / 127.0);
            else r[i] = (byte) Math.round(255 * (i - 128) / 127.0);
        }
        return new LUT(r, g, b);
    }

    /** Black - red - yellow - white, for non-negative maps (Grad-CAM++). */
    public static LUT hot() {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) {
            double t = i / 255.0;
            r[i] = (byte) Math.round(255 * Math.min(1, 3 * t));
            g[i] = (byte) Math.round(255 * Math.min(1, Math.max(0, 3 * t - 1)));
            b[i] = (byte) Math.round(255 * Math.min(1, Math.max(0, 3 * t - 2)));
        }
        return new LUT(r, g, b);
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
