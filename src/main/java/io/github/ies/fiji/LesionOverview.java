package io.github.ies.fiji;

import ij.CompositeImage;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.FloatProcessor;
import io.github.ies.io.Volume;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole-volume overview: a composite of the FLAIR (grey) with, per saliency channel, the per-voxel strongest
 * value (largest magnitude, sign kept) over all explained lesions, so a user sees where the model looked across
 * the brain. Signed maps use a blue-black-red LUT (0 adds nothing to the grey image), non-negative maps a hot LUT;
 * display ranges are symmetric about 0 over the whole volume.
 */
public final class LesionOverview {

    private final Volume anatomy;
    private final String anatomyName;
    private final Map<String, float[]> strongest = new LinkedHashMap<>();
    private final Map<String, LesionGallery.Kind> kinds = new LinkedHashMap<>();

    /** @param anatomy the grey channel (FLAIR), which also gives the grid and calibration */
    public LesionOverview(Volume anatomy, String anatomyName) {
        this.anatomy = anatomy;
        this.anatomyName = anatomyName;
    }

    /** Folds one lesion's map (on the anatomy's grid) into channel {@code name}. */
    public void add(String name, LesionGallery.Kind kind, Volume map) {
        if (!java.util.Arrays.equals(map.dims(), anatomy.dims())) {
            throw new IllegalArgumentException("map " + name + " has dims " + java.util.Arrays.toString(map.dims()) + ", the overview "
                    + java.util.Arrays.toString(anatomy.dims()));
        }
        float[] acc = strongest.computeIfAbsent(name, n -> new float[anatomy.data().length]);
        kinds.put(name, kind);
        float[] m = map.data();
        for (int i = 0; i < acc.length; i++) if (Math.abs(m[i]) > Math.abs(acc[i])) acc[i] = m[i];
    }

    /** Changes how a channel is displayed. */
    public void kind(String name, LesionGallery.Kind kind) {
        kinds.put(name, kind);
    }

    /** The per-voxel strongest values of a channel so far (i fastest), or null. */
    public float[] strongest(String name) {
        return strongest.get(name);
    }

    /** The composite in the display convention ({@link ViewSpace}), labelled, with a colour bar per map channel. */
    public CompositeImage build(String title) {
        List<String> names = new ArrayList<>();
        names.add(anatomyName);
        names.addAll(strongest.keySet());
        ViewSpace view = new ViewSpace(anatomy.geometry(), anatomy.dims());
        int[] vd = view.viewDims();
        int nc = names.size(), nx = vd[0], ny = vd[1], nz = vd[2], plane = nx * ny;
        List<float[]> data = new ArrayList<>();
        for (int c = 0; c < nc; c++) data.add(view.toView(c == 0 ? anatomy.data() : strongest.get(names.get(c))));
        ImageStack st = new ImageStack(nx, ny);
        for (int z = 0; z < nz; z++) {
            for (int c = 0; c < nc; c++) {
                float[] px = new float[plane];
                System.arraycopy(data.get(c), z * plane, px, 0, plane);
                st.addSlice(names.get(c) + (c == 0 ? "" : " (strongest over lesions)"), new FloatProcessor(nx, ny, px));
            }
        }
        ImagePlus imp = new ImagePlus(title, st);
        imp.setDimensions(nc, nz, 1);
        imp.setOpenAsHyperStack(true);
        VolumeImages.properties(imp, view);
        CompositeImage comp = new CompositeImage(imp, nc > 1 ? IJ.COMPOSITE : IJ.GRAYSCALE);
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float x : anatomy.data()) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        LesionGallery.setChannel(comp, 1, Luts.grey(), lo, hi > lo ? hi : lo + 1);
        view.label(comp);
        for (int c = 1; c < nc; c++) {
            float m = 0;
            for (float x : strongest.get(names.get(c))) m = Math.max(m, Math.abs(x));
            if (m == 0) m = 1;
            boolean signed = kinds.get(names.get(c)) == LesionGallery.Kind.SIGNED;
            ij.process.LUT lut = LesionGallery.lutFor(signed ? LesionGallery.Kind.SIGNED : LesionGallery.Kind.POSITIVE);
            LesionGallery.setChannel(comp, c + 1, lut, signed ? -m : 0, m);
            ViewSpace.colourBar(comp, c + 1, lut, signed ? -m : 0, m);
        }
        comp.setPosition(1, nz / 2 + 1, 1);
        return comp;
    }
}
