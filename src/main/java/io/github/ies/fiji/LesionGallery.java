package io.github.ies.fiji;

import ij.CompositeImage;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.FloatProcessor;
import ij.process.LUT;
import io.github.ies.io.Volume;

import java.awt.Color;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The lesion gallery: a hyperstack with one frame per explained lesion, each a fixed-size crop centred on the
 * lesion, and one channel per image or map (e.g. FLAIR, MPRAGE, SmoothGrad-FLAIR, SmoothGrad-MPRAGE, Grad-CAM++,
 * lesion mask). MRI channels get grey LUTs, signed saliency a blue-white-red LUT with a display range symmetric
 * about 0 and common to all frames (so the maps of different lesions compare), non-negative maps a hot LUT from 0,
 * the mask a green ramp. Each plane is labelled "lesion 007 (TP): channel".
 */
public final class LesionGallery {

    /** How a channel is displayed. */
    public enum Kind { IMAGE, SIGNED, POSITIVE, MASK }

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
        int[] d = v.dims();
        float[] out = new float[size[0] * size[1] * size[2]];
        float[] src = v.data();
        int o0 = centre[0] - size[0] / 2, o1 = centre[1] - size[1] / 2, o2 = centre[2] - size[2] / 2;
        for (int c = 0; c < size[2]; c++) {
            int k = o2 + c;
            if (k < 0 || k >= d[2]) continue;
            for (int b = 0; b < size[1]; b++) {
                int j = o1 + b;
                if (j < 0 || j >= d[1]) continue;
                for (int a = 0; a < size[0]; a++) {
                    int i = o0 + a;
                    if (i < 0 || i >= d[0]) continue;
                    out[a + size[0] * (b + size[1] * c)] = src[i + d[0] * (j + d[1] * k)];
                }
            }
        }
        return out;
    }

    /** The frame label of a lesion, "lesion 007 (TP)". */
    public static String frameLabel(int id, String category) {
        return LesionRois.name(id, category);
    }

    /**
     * The gallery hyperstack ({@code channels} x size[2] slices x frames), calibrated with {@code cal} (may be
     * null). A channel missing from a frame's crops is left at 0.
     */
    public static CompositeImage build(String title, List<Channel> channels, List<Frame> frames, int[] size, Calibration cal) {
        if (frames.isEmpty()) throw new IllegalArgumentException("a lesion gallery needs at least one lesion");
        int nc = channels.size(), nz = size[2], nt = frames.size(), plane = size[0] * size[1];
        ImageStack st = new ImageStack(size[0], size[1]);
        double[] lo = new double[nc], hi = new double[nc];
        java.util.Arrays.fill(lo, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(hi, Double.NEGATIVE_INFINITY);
        for (Frame f : frames) {
            String fl = frameLabel(f.id, f.category);
            for (int z = 0; z < nz; z++) {
                for (int c = 0; c < nc; c++) {
                    float[] px = new float[plane];
                    float[] cr = f.crops.get(channels.get(c).name);
                    if (cr != null) {
                        System.arraycopy(cr, z * plane, px, 0, plane);
                        for (float x : px) {
                            if (x < lo[c]) lo[c] = x;
                            if (x > hi[c]) hi[c] = x;
                        }
                    }
                    st.addSlice(fl + ": " + channels.get(c).name, new FloatProcessor(size[0], size[1], px));
                }
            }
        }
        ImagePlus imp = new ImagePlus(title, st);
        imp.setDimensions(nc, nz, nt);
        imp.setOpenAsHyperStack(true);
        if (cal != null) imp.setCalibration(cal.copy());
        CompositeImage comp = new CompositeImage(imp, nc > 1 ? IJ.COLOR : IJ.GRAYSCALE);
        for (int c = 0; c < nc; c++) {
            double[] r = displayRange(channels.get(c).kind, lo[c], hi[c]);
            setChannel(comp, c + 1, lutFor(channels.get(c).kind), r[0], r[1]);
        }
        comp.setPosition(1, Math.max(1, nz / 2 + 1), 1);
        return comp;
    }

    static LUT lutFor(Kind k) {
        switch (k) {
            case SIGNED: return Luts.blueWhiteRed();
            case POSITIVE: return Luts.hot();
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
