package io.github.ies.fiji;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.FloatProcessor;
import ij.process.ShortProcessor;
import io.github.ies.io.Volume;

/** Label volumes as ImageJ label images: 16-bit (32-bit float when an id exceeds 65535) with the glasbey-like LUT. */
public final class LabelImages {

    private LabelImages() {}

    /** A label image in the display convention ({@link ViewSpace}), labelled and calibrated, carrying the geometry. */
    public static ImagePlus toImagePlus(Volume labels, String title) {
        ViewSpace view = new ViewSpace(labels.geometry(), labels.dims());
        float max = 0;
        for (float x : labels.data()) max = Math.max(max, x);
        int[] vd = view.viewDims();
        int nx = vd[0], ny = vd[1], nz = vd[2], plane = nx * ny;
        ImageStack st = new ImageStack(nx, ny);
        float[] d = view.toView(labels.data());
        for (int k = 0; k < nz; k++) {
            if (max <= 65535) {
                short[] px = new short[plane];
                for (int p = 0; p < plane; p++) px[p] = (short) Math.round(d[k * plane + p]);
                st.addSlice("slice " + (k + 1), new ShortProcessor(nx, ny, px, null));
            } else {
                float[] px = new float[plane];
                System.arraycopy(d, k * plane, px, 0, plane);
                st.addSlice("slice " + (k + 1), new FloatProcessor(nx, ny, px));
            }
        }
        ImagePlus imp = new ImagePlus(title, st);
        imp.setDimensions(1, nz, 1);
        VolumeImages.properties(imp, view);
        imp.getProcessor().setLut(Luts.labels());
        for (int k = 1; k <= nz; k++) st.getProcessor(k).setLut(Luts.labels());
        imp.setLut(Luts.labels());
        imp.setDisplayRange(0, 255);
        view.label(imp);
        return imp;
    }
}
