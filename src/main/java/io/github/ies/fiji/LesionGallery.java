package io.github.ies.fiji;

import ij.CompositeImage;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.FloatProcessor;
import ij.process.LUT;
import io.github.ies.io.Crops;
import io.github.ies.io.Volume;

import java.awt.Color;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The lesion gallery: a hyperstack with one frame per explained lesion, each a fixed-size crop centred on the
 * lesion, and one channel per image or map (e.g. FLAIR, MPRAGE, SmoothGrad-FLAIR, SmoothGrad-MPRAGE, Grad-CAM++,
 * lesion mask), in the display convention ({@link ViewSpace}: radiological, labelled with orientation letters and a
 * mm scale bar, calibrated), as a composite with the maps over the anatomy like the report: MRI channels grey, signed
 * saliency in the report's blue-cyan / red-yellow colours with a display range symmetric about 0 and common to all
 * frames (so the maps of different lesions compare), non-negative maps red to yellow from 0, all of them black (adding
 * nothing) near 0 so the anatomy shows; the mask a green ramp; each map channel has a colour bar with its values. The
 * first image and the first map are shown at first, the other channels in the Channels Tool. Grad-CAM++ ({@link Kind#PER_FRAME})
 * has its own range per lesion: its values differ by orders of magnitude between lesions, so each frame holds the map
 * divided by that lesion's peak (0..1), the peak written in the plane's label. Each plane is labelled
 * "lesion 007 (TP): channel".
 */
public final class LesionGallery {

    /** How a channel is displayed. */
    public enum Kind { IMAGE, SIGNED, POSITIVE, PER_FRAME, MASK }

    /** A channel of the gallery. */
    public static final class Channel {
        public final String name;
        public final Kind kind;

        public Channel(String name, Kind kind) {
            this.name = name;
            this.kind = kind;
        }
    }

    /** One lesion: its crops (C-order of the crop: i fastest, then j, then k) per channel name. */
    public static final class Frame {
        public final int id;
        public final String category;
        public final Map<String, float[]> crops;

        public Frame(int id, String category, Map<String, float[]> crops) {
            this.id = id;
            this.category = category;
            this.crops = crops;
        }
    }

    private LesionGallery() {}

    /**
     * The crop of {@code v} of size {@code size} whose centre voxel is {@code centre} (voxel (size/2) of the crop),
     * i fastest; voxels outside the volume are 0.
     */
    public static float[] crop(Volume v, int[] centre, int[] size) {
        int[] origin = {centre[0] - size[0] / 2, centre[1] - size[1] / 2, centre[2] - size[2] / 2};
        return Crops.crop(v.data(), v.dims(), Crops.Order.NIFTI, origin, size);
    }

    /** The frame label of a lesion, "lesion 007 (TP)". */
    public static String frameLabel(int id, String category) {
        return LesionRois.name(id, category);
    }

    /**
     * The gallery hyperstack ({@code channels} x slices x frames) of crops of {@code crop.dims()} voxels (NIfTI order),
     * shown as {@code crop} views them. A channel missing from a frame's crops is left at 0.
     */
    public static CompositeImage build(String title, List<Channel> channels, List<Frame> frames, ViewSpace crop) {
        if (frames.isEmpty()) throw new IllegalArgumentException("a lesion gallery needs at least one lesion");
        int[] vd = crop.viewDims();
        int nc = channels.size(), nz = vd[2], nt = frames.size(), plane = vd[0] * vd[1];
        ImageStack st = new ImageStack(vd[0], vd[1]);
        double[] lo = new double[nc], hi = new double[nc];
        java.util.Arrays.fill(lo, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(hi, Double.NEGATIVE_INFINITY);
        for (Frame f : frames) {
            String fl = frameLabel(f.id, f.category);
            float[][] views = new float[nc][];
            String[] labels = new String[nc];
            for (int c = 0; c < nc; c++) {
                Channel ch = channels.get(c);
                float[] cr = f.crops.get(ch.name);
                labels[c] = fl + ": " + ch.name;
                if (cr == null) continue;
                float[] v = crop.toView(cr);
                if (ch.kind == Kind.PER_FRAME) {
                    float m = 0;
                    for (float x : v) m = Math.max(m, x);
                    if (m > 0) {
                        for (int i = 0; i < v.length; i++) v[i] /= m;
                        labels[c] += " (/ " + String.format(Locale.ROOT, "%.3g", m) + ", this lesion's peak)";
                    } else {
                        labels[c] += " (zero everywhere)";
                    }
                }
                for (float x : v) {
                    if (x < lo[c]) lo[c] = x;
                    if (x > hi[c]) hi[c] = x;
                }
                views[c] = v;
            }
            for (int z = 0; z < nz; z++) {
                for (int c = 0; c < nc; c++) {
                    float[] px = new float[plane];
                    if (views[c] != null) System.arraycopy(views[c], z * plane, px, 0, plane);
                    st.addSlice(labels[c], new FloatProcessor(vd[0], vd[1], px));
                }
            }
        }
        ImagePlus imp = new ImagePlus(title, st);
        imp.setDimensions(nc, nz, nt);
        imp.setOpenAsHyperStack(true);
        imp.setCalibration(crop.calibration());
        // as in the report: the maps over the anatomy (an additive composite whose map colours are black near 0),
        // the first image and the first map shown, the others a click away in the Channels Tool
        CompositeImage comp = new CompositeImage(imp, nc > 1 ? IJ.COMPOSITE : IJ.GRAYSCALE);
        crop.label(comp, new boolean[nc]);
        for (int c = 0; c < nc; c++) {
            Kind k = channels.get(c).kind;
            double[] r = displayRange(k, lo[c], hi[c]);
            setChannel(comp, c + 1, lutFor(k), r[0], r[1]);
            if (k == Kind.SIGNED || k == Kind.POSITIVE || k == Kind.PER_FRAME) {
                ViewSpace.colourBar(comp, c + 1, lutFor(k), r[0], r[1], java.awt.Color.YELLOW);
            }
        }
        if (nc > 1) comp.setActiveChannels(activeChannels(channels));
        comp.setPosition(1, Math.max(1, nz / 2 + 1), 1);
        return comp;
    }

    /**
     * The channels shown at first ("1" or "0" per channel, ImageJ's Channels Tool): the first image channel as the
     * anatomy and the first map over it; every channel when there is no image or no map.
     */
    static String activeChannels(List<Channel> channels) {
        int image = -1, map = -1;
        for (int c = 0; c < channels.size(); c++) {
            Kind k = channels.get(c).kind;
            if (k == Kind.IMAGE && image < 0) image = c;
            if ((k == Kind.SIGNED || k == Kind.POSITIVE || k == Kind.PER_FRAME) && map < 0) map = c;
        }
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < channels.size(); c++) sb.append(image < 0 || map < 0 || c == image || c == map ? '1' : '0');
        return sb.toString();
    }

    /** The report's colours ({@link io.github.ies.report.MapColours}) for maps, over the anatomy; grey images; a green mask. */
    static LUT lutFor(Kind k) {
        switch (k) {
            case SIGNED: return Luts.signedOverAnatomy();
            case POSITIVE: case PER_FRAME: return Luts.positiveOverAnatomy();
            case MASK: return Luts.ramp(Color.GREEN);
            default: return Luts.grey();
        }
    }

    /** Symmetric [-m, m] for signed maps, [0, max] for non-negative maps, [0, 1] for masks, [min, max] otherwise. */
    static double[] displayRange(Kind k, double lo, double hi) {
        if (!(lo <= hi)) {
            lo = 0;
            hi = 0;
        }
        switch (k) {
            case SIGNED: {
                double m = Math.max(Math.abs(lo), Math.abs(hi));
                if (m == 0) m = 1;
                return new double[] {-m, m};
            }
            case POSITIVE: return new double[] {0, hi > 0 ? hi : 1};
            case PER_FRAME: return new double[] {0, 1};
            case MASK: return new double[] {0, 1};
            default: return new double[] {lo, hi > lo ? hi : lo + 1};
        }
    }

    /** Sets channel {@code c} (1-based) of a composite to a LUT with a display range. */
    static void setChannel(CompositeImage comp, int c, LUT lut, double min, double max) {
        lut.min = min;
        lut.max = max;
        comp.setChannelLut(lut, c);
        int z = comp.getSlice(), t = comp.getFrame();
        comp.setPositionWithoutUpdate(c, z, t);
        comp.setDisplayRange(min, max);
        comp.getChannelLut(c).min = min;
        comp.getChannelLut(c).max = max;
    }

    static String describe(double[] r) {
        return String.format(Locale.ROOT, "[%g, %g]", r[0], r[1]);
    }
}
