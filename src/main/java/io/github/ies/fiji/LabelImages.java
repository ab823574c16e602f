package io.github.ies.fiji;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.FloatProcessor;
import ij.process.ShortProcessor;
import io.github.ies.io.Volume;

/** Label volumes as ImageJ label images: 16-bit (32-bit float when an id exceeds 65535) with the glasbey-like LUT. */
public final class LabelImages {

    private LabelImages() {}

    public static ImagePlus toImagePlus(Volume labels, String title) {
        ImagePlus geo = VolumeImages.toImagePlus(labels, title);
        float max = 0;
        for (float x : labels.data()) max = Math.max(max, x);
        int nx = labels.dim(0), ny = labels.dim(1), nz = labels.dim(2), plane = nx * ny;
        ImageStack st = new ImageStack(nx, ny);
        float[] d = labels.data();
        for (int k = 0; k < nz; k++) {
            if (max <= 65535) {
                short[] px = new short[plane];
                for (int p = 0; p < plane; p++) px[p] = (short) Math.round(d[k * plane + p]);
                st.addSlice("k=" + k, new ShortProcessor(nx, ny, px, null));
            } else {
                float[] px = new float[plane];
                System.arraycopy(d, k * plane, px, 0, plane);
                st.addSlice("k=" + k, new FloatProcessor(nx, ny, px));
            }
        }
        ImagePlus imp = new ImagePlus(title, st);
        imp.setDimensions(1, nz, 1);
        imp.setCalibration(geo.getCalibration());
        imp.setProp(VolumeImages.GEOMETRY_PROPERTY, geo.getProp(VolumeImages.GEOMETRY_PROPERTY));
        imp.getProcessor().setLut(Luts.labels());
        for (int k = 1; k <= nz; k++) st.getProcessor(k).setLut(Luts.labels());
        imp.setLut(Luts.labels());
        imp.setDisplayRange(0, 255);
        return imp;
    }
}
