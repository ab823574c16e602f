package io.github.ies.fiji;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;

/**
 * Conversions between {@link Volume} and ImageJ's {@link ImagePlus}: x = i, y = j, slice = k, 32-bit float,
 * calibration from the voxel size (unit mm). The full {@link Geometry} (qform, sform, codes, qfac, units) travels
 * in the image's properties under {@link #GEOMETRY_PROPERTY} as JSON, so a volume converted to an ImagePlus and back
 * keeps its affine exactly; an image without it gets an axis-free geometry from its calibration.
 */
public final class VolumeImages {

    /** The ImagePlus property holding the geometry as JSON. */
    public static final String GEOMETRY_PROPERTY = "nifti.geometry";

    private VolumeImages() {}

    /** A 32-bit ImagePlus (one slice per k) sharing nothing with the volume. */
    public static ImagePlus toImagePlus(Volume v, String title) {
        int nx = v.dim(0), ny = v.dim(1), nz = v.dim(2);
        ImageStack stack = new ImageStack(nx, ny);
        float[] src = v.data();
        int plane = nx * ny;
        for (int k = 0; k < nz; k++) {
            float[] px = new float[plane];
            System.arraycopy(src, k * plane, px, 0, plane);
            stack.addSlice("k=" + k, new FloatProcessor(nx, ny, px));
        }
        ImagePlus imp = new ImagePlus(title, stack);
        imp.setDimensions(1, nz, 1);
        Geometry g = v.geometry();
        Calibration cal = imp.getCalibration();
        cal.pixelWidth = g.spacing[0];
        cal.pixelHeight = g.spacing[1];
        cal.pixelDepth = g.spacing[2];
        cal.setUnit("mm");
        imp.setProp(GEOMETRY_PROPERTY, geometryToJson(g));
        float[] mm = range(src);
        if (mm[0] < mm[1]) imp.setDisplayRange(mm[0], mm[1]);
        return imp;
    }

    /**
     * The volume of a single-channel, single-frame image (any bit depth, values converted to float). The
     * geometry comes from the {@link #GEOMETRY_PROPERTY} property when present, else from the calibration.
     */
    public static Volume toVolume(ImagePlus imp) {
        if (imp.getNChannels() != 1 || imp.getNFrames() != 1) {
            throw new IllegalArgumentException("image '" + imp.getTitle() + "' has " + imp.getNChannels() + " channels and "
                    + imp.getNFrames() + " frames; a volume needs one of each");
        }
        if (imp.getType() == ImagePlus.COLOR_RGB) {
            throw new IllegalArgumentException("image '" + imp.getTitle() + "' is RGB; a volume needs a grayscale image");
        }
        int nx = imp.getWidth(), ny = imp.getHeight(), nz = imp.getStackSize();
        int plane = nx * ny;
        float[] out = new float[Math.multiplyExact(plane, nz)];
        ImageStack stack = imp.getStack();
        for (int k = 0; k < nz; k++) {
            ImageProcessor ip = stack.getProcessor(k + 1);
            if (ip instanceof FloatProcessor) {
                System.arraycopy((float[]) ip.getPixels(), 0, out, k * plane, plane);
            } else {
                for (int p = 0; p < plane; p++) out[k * plane + p] = ip.getf(p);
            }
        }
        Geometry g = null;
        String json = imp.getProp(GEOMETRY_PROPERTY);
        if (json != null && !json.isEmpty()) g = geometryFromJson(json);
        if (g == null) {
            Calibration cal = imp.getCalibration();
            double f = unitToMm(cal.getUnit());
            g = Geometry.spacingOnly(new double[] {cal.pixelWidth * f, cal.pixelHeight * f, cal.pixelDepth * f});
        }
        return new Volume(out, new int[] {nx, ny, nz}, g);
    }

    private static double unitToMm(String unit) {
        if (unit == null) return 1;
        switch (unit.toLowerCase(java.util.Locale.ROOT)) {
            case "m": case "meter": case "metre": return 1000;
            case "cm": return 10;
            case "um": case "µm": case "micron": case "microns": return 1e-3;
            default: return 1;
        }
    }

    private static float[] range(float[] a) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float x : a) {
            if (x < lo) lo = x;
            if (x > hi) hi = x;
        }
        return new float[] {lo, hi};
    }

    /** The geometry as a JSON object (doubles written with full precision, so it reads back exactly). */
    public static String geometryToJson(Geometry g) {
        JsonObject o = new JsonObject();
        o.add("spacing", array(g.spacing));
        o.addProperty("qfac", g.qfac);
        o.addProperty("qform_code", g.qformCode);
        o.addProperty("sform_code", g.sformCode);
        o.add("quatern", array(g.quatern));
        o.add("qoffset", array(g.qoffset));
        JsonArray srow = new JsonArray();
        for (double[] r : g.srow) srow.add(array(r));
        o.add("srow", srow);
        o.addProperty("xyzt_units", g.xyztUnits);
        return o.toString();
    }

    /** Parses {@link #geometryToJson}'s output; throws IllegalArgumentException naming the problem. */
    public static Geometry geometryFromJson(String json) {
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            JsonArray s = o.getAsJsonArray("srow");
            double[][] srow = new double[3][];
            for (int r = 0; r < 3; r++) srow[r] = doubles(s.get(r));
            return new Geometry(doubles(o.get("spacing")), o.get("qfac").getAsDouble(), o.get("qform_code").getAsInt(),
                    o.get("sform_code").getAsInt(), doubles(o.get("quatern")), doubles(o.get("qoffset")), srow,
                    o.get("xyzt_units").getAsInt());
        } catch (JsonParseException | IllegalStateException | NullPointerException | IndexOutOfBoundsException
                | UnsupportedOperationException e) {
            throw new IllegalArgumentException("property " + GEOMETRY_PROPERTY + " is not a valid geometry: " + e.getMessage(), e);
        }
    }

    private static JsonArray array(double[] a) {
        JsonArray j = new JsonArray();
        for (double x : a) j.add(x);
        return j;
    }

    private static double[] doubles(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).getAsDouble();
        return d;
    }
}
