package io.github.ies.fiji;

import ij.ImagePlus;
import ij.gui.ImageRoi;
import ij.gui.Line;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.gui.TextRoi;
import ij.measure.Calibration;
import ij.process.ColorProcessor;
import ij.process.LUT;
import io.github.ies.geometry.DisplayOrientation;
import io.github.ies.io.Geometry;

import java.awt.Color;
import java.awt.Font;
import java.util.Locale;

/**
 * How the Fiji views show a volume: in the one display convention of the project ({@link DisplayOrientation}:
 * radiological axial slices, the patient's right on the left, anterior at the top, slice 1 the most inferior), as
 * the report and the README's figures. A view is a permutation and flip of the NIfTI voxel order (x, y, slice of the
 * view = some +-i, +-j, +-k): {@link #toView} and {@link #fromView} convert arrays, {@link #calibration} gives the mm
 * of the view's axes, and the overlays label the views: orientation letters, a mm scale bar and colour bars with their
 * values. A volume whose header has no orientation is shown in voxel order (x = i, y = j, slice = k) with no letters.
 */
public final class ViewSpace {

    private static final DisplayOrientation.Plane AXIAL = DisplayOrientation.Plane.AXIAL;

    private final Geometry geometry;
    private final DisplayOrientation orientation;
    private final int[] dims;

    /** The view of volumes of {@code dims} (NIfTI order) with this geometry. */
    public ViewSpace(Geometry geometry, int[] dims) {
        this.geometry = geometry;
        this.orientation = DisplayOrientation.of(geometry);
        this.dims = dims.clone();
    }

    public DisplayOrientation orientation() { return orientation; }

    public Geometry geometry() { return geometry; }

    /** The NIfTI dimensions (i, j, k). */
    public int[] dims() { return dims.clone(); }

    /** The view's width, height and slice count. */
    public int[] viewDims() { return orientation.viewDims(AXIAL, dims); }

    /** The same orientation for a sub-box (e.g. a gallery crop) of {@code size} voxels. */
    public ViewSpace crop(int[] size) {
        return new ViewSpace(geometry, size);
    }

    public float[] toView(float[] nifti) { return orientation.toView(AXIAL, nifti, dims); }
    public int[] toView(int[] nifti) { return orientation.toView(AXIAL, nifti, dims); }
    public float[] fromView(float[] view) { return orientation.fromView(AXIAL, view, dims); }
    public int[] fromView(int[] view) { return orientation.fromView(AXIAL, view, dims); }

    /** The voxel (i, j, k) at view position (x, y) of slice z (0-based). */
    public int[] voxel(int x, int y, int z) { return orientation.voxel(AXIAL, dims, x, y, z); }

    /** The view position (x, y, slice; 0-based) of voxel (i, j, k). */
    public int[] screen(int[] voxel) { return orientation.screen(AXIAL, dims, voxel); }

    /** The view's calibration: mm per pixel along x and y, mm between slices. */
    public Calibration calibration() {
        double[] sp = orientation.viewSpacing(AXIAL, geometry.spacing);
        Calibration cal = new Calibration();
        cal.pixelWidth = sp[0];
        cal.pixelHeight = sp[1];
        cal.pixelDepth = sp[2];
        cal.setUnit("mm");
        return cal;
    }

    /** The value of {@link VolumeImages#DISPLAY_PROPERTY}: the view and the voxel axes it was made from. */
    public String property() {
        return orientation.known() ? "axial radiological from " + orientation.codes() : "voxel order";
    }

    // ------------------------------------------------------------------ overlays

    /** The overlay text size of an image (in its pixels, so it scales with the zoom as the image does). */
    static int fontSize(ImagePlus imp) {
        return Math.max(4, (int) Math.round(Math.min(imp.getWidth(), imp.getHeight()) / 11.0));
    }

    /**
     * Labels a view: the orientation letters at the middle of its edges and a mm scale bar at the bottom right, on
     * every channel, slice and frame.
     */
    public void label(ImagePlus imp) {
        label(imp, null);
    }

    /**
     * {@link #label} with the text drawn dark on the channels whose image is light where it is zero ({@code light[c]},
     * 0-based; e.g. a blue-white-red LUT), yellow on the others; {@code light} null: yellow everywhere.
     */
    public void label(ImagePlus imp, boolean[] light) {
        if (light == null || imp.getNChannels() < 2) {
            labelChannel(imp, 0, Color.YELLOW);
            return;
        }
        for (int c = 0; c < imp.getNChannels(); c++) labelChannel(imp, c + 1, c < light.length && light[c] ? DARK : Color.YELLOW);
    }

    static final Color DARK = new Color(0x20, 0x20, 0x60);

    private void labelChannel(ImagePlus imp, int channel, Color colour) {
        Overlay ov = overlay(imp);
        int before = ov.size();
        int w = imp.getWidth(), h = imp.getHeight(), fs = fontSize(imp);
        if (orientation.known()) {
            String[] l = orientation.letters(AXIAL);
            ov.add(text(l[0], fs, 0.5, h / 2.0, false, true));
            ov.add(text(l[1], fs, w - 0.5, h / 2.0, true, true));
            ov.add(text(l[2], fs, w / 2.0, 0, false, false));
            ov.add(text(l[3], fs, w / 2.0, h - fs * 1.25, false, false));
        }
        double pw = imp.getCalibration().pixelWidth;
        double mm = niceLength(w * pw / 4);
        double len = mm / pw;
        Line bar = new Line(1.5, h - 1.5, 1.5 + len, h - 1.5);          // bottom left
        bar.setStrokeColor(colour == Color.YELLOW ? Color.WHITE : colour);
        bar.setStrokeWidth(Math.max(1, h / 60.0));
        bar.setName("scale bar");
        bar.setPosition(0, 0, 0);
        ov.add(bar);
        int small = Math.max(3, fs * 2 / 3);
        ov.add(text((mm == Math.rint(mm) ? Long.toString((long) mm) : String.format(Locale.ROOT, "%g", mm)) + " mm", small,
                1.5, h - 2.5 - small * 1.3, false, false));
        for (int r = before; r < ov.size(); r++) {
            Roi roi = ov.get(r);
            if (roi instanceof TextRoi) roi.setStrokeColor(colour);
            roi.setPosition(channel, 0, 0);
        }
        imp.setOverlay(ov);
    }

    /**
     * A colour bar for channel {@code c} (1-based; 0: an image without channels) at the top right, above the right
     * edge's letter: the LUT from {@code min} (bottom) to {@code max} (top) with both values, and 0 when it lies
     * inside, shown with that channel.
     */
    public static void colourBar(ImagePlus imp, int c, LUT lut, double min, double max) {
        colourBar(imp, c, lut, min, max, Color.YELLOW);
    }

    /** {@link #colourBar} with its values in {@code colour}. */
    public static void colourBar(ImagePlus imp, int c, LUT lut, double min, double max, Color colour) {
        Overlay ov = overlay(imp);
        int before = ov.size();
        int w = imp.getWidth(), h = imp.getHeight();
        int bw = Math.max(2, (int) Math.round(w * 0.04)), bh = Math.max(8, (int) Math.round(h * 0.34));
        ColorProcessor cp = new ColorProcessor(bw, bh);
        for (int y = 0; y < bh; y++) {
            int idx = (int) Math.round(255.0 * (bh - 1 - y) / Math.max(1, bh - 1));
            int rgb = (lut.getRed(idx) << 16) | (lut.getGreen(idx) << 8) | lut.getBlue(idx);
            for (int x = 0; x < bw; x++) cp.set(x, y, rgb);
        }
        double x0 = w - bw - 1, y0 = Math.max(1, h * 0.04);
        ImageRoi bar = new ImageRoi((int) x0, (int) y0, cp);
        bar.setName("colour bar");
        bar.setPosition(c, 0, 0);
        ov.add(bar);
        Roi frame = new Roi(x0, y0, bw, bh);
        frame.setStrokeColor(Color.WHITE);
        frame.setPosition(c, 0, 0);
        ov.add(frame);
        int fs = Math.max(3, fontSize(imp) * 2 / 3);
        ov.add(position(text(tick(max), fs, x0 - 1, y0, true, false), c));
        ov.add(position(text(tick(min), fs, x0 - 1, y0 + bh, true, true), c));
        if (min < 0 && max > 0) ov.add(position(text("0", fs, x0 - 1, y0 + bh * max / (max - min), true, true), c));
        for (int r = before; r < ov.size(); r++) if (ov.get(r) instanceof TextRoi) ov.get(r).setStrokeColor(colour);
        imp.setOverlay(ov);
    }

    private static Overlay overlay(ImagePlus imp) {
        Overlay ov = imp.getOverlay();
        return ov == null ? new Overlay() : ov;
    }

    private static TextRoi position(TextRoi t, int c) {
        t.setPosition(c, 0, 0);
        return t;
    }

    /**
     * Yellow text of {@code size} image pixels with its left (or, {@code right}, its right) edge at x and its top (or,
     * {@code middle}, its middle) at y, on every position.
     */
    private static TextRoi text(String s, int size, double x, double y, boolean right, boolean middle) {
        TextRoi t = new TextRoi(x, y, s, new Font(Font.SANS_SERIF, Font.BOLD, size));
        t.setStrokeColor(Color.YELLOW);
        t.setAntialiased(true);
        double tw = t.getFloatWidth(), th = t.getFloatHeight();
        t.setLocation(right ? x - tw : x, middle ? y - th / 2 : y);
        t.setPosition(0, 0, 0);
        return t;
    }

    /** 1, 2, 5, 10, 20, 50 ... mm: the largest not above {@code mm}. */
    static double niceLength(double mm) {
        if (!(mm > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(mm)));
        for (double f : new double[] {5, 2, 1}) if (f * p <= mm) return f * p;
        return p;
    }

    static String tick(double v) {
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
