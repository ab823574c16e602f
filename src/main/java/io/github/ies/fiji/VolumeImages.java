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
 * Conversions between {@link Volume} and ImageJ's {@link ImagePlus}, 32-bit float. A volume whose header has an
 * orientation is shown in the project's display convention ({@link ViewSpace}: radiological axial slices, the
 * patient's right on the left, anterior at the top, slice 1 the most inferior), labelled with orientation letters and
 * a mm scale bar, calibrated in mm along the view's axes; {@link #DISPLAY_PROPERTY} records it, and
 * {@link #toVolume} puts the voxels back into NIfTI order. The full {@link Geometry} (qform, sform, codes, qfac, units)
 * travels in the image's properties under {@link #GEOMETRY_PROPERTY} as JSON, so a volume converted to an ImagePlus
 * and back keeps its voxels and affine exactly. An image without these properties (a TIFF, an image opened by Fiji's
 * own readers or drawn in ImageJ) is taken to be shown in that same display convention, which is how every IES image
 * looks in Fiji and what a TIFF saved from one holds: x towards the patient's left, y towards posterior, slice 1 the
 * most inferior (LPS), the voxel size from its calibration ({@link #assumedGeometry}); {@link #assumption} says so
 * in one line. When that holds, it gives the same voxels on the model's grid as the NIfTI file it came from.
 */
public final class VolumeImages {

    /** The ImagePlus property holding the geometry as JSON. */
    public static final String GEOMETRY_PROPERTY = "nifti.geometry";
    /** The ImagePlus property saying that the stack is a view ({@link ViewSpace#property}), not NIfTI voxel order. */
    public static final String DISPLAY_PROPERTY = "nifti.display";

    private VolumeImages() {}

    /** A 32-bit ImagePlus in the display convention (one slice per view slice), sharing nothing with the volume. */
    public static ImagePlus toImagePlus(Volume v, String title) {
        ViewSpace view = new ViewSpace(v.geometry(), v.dims());
        ImagePlus imp = stack(title, view.toView(v.data()), view);
        float[] mm = range(v.data());
        if (mm[0] < mm[1]) imp.setDisplayRange(mm[0], mm[1]);
        view.label(imp);
        return imp;
    }

    /** A one-channel stack of view-ordered data, calibrated and carrying the geometry and display properties (no overlay). */
    static ImagePlus stack(String title, float[] viewData, ViewSpace view) {
        int[] vd = view.viewDims();
        int nx = vd[0], ny = vd[1], nz = vd[2], plane = nx * ny;
        ImageStack stack = new ImageStack(nx, ny);
        for (int z = 0; z < nz; z++) {
            float[] px = new float[plane];
            System.arraycopy(viewData, z * plane, px, 0, plane);
            stack.addSlice("slice " + (z + 1), new FloatProcessor(nx, ny, px));
        }
        ImagePlus imp = new ImagePlus(title, stack);
        imp.setDimensions(1, nz, 1);
        properties(imp, view);
        return imp;
    }

    /** Sets a view's calibration and the geometry and display properties on an image. */
    static void properties(ImagePlus imp, ViewSpace view) {
        imp.setCalibration(view.calibration());
        imp.setProp(GEOMETRY_PROPERTY, geometryToJson(view.geometry()));
        imp.setProp(DISPLAY_PROPERTY, view.property());
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
        if (imp.getBitDepth() == 24) throw new IllegalArgumentException("image '" + imp.getTitle() + "' is RGB; a volume needs a grayscale image");
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
        if (g == null) return new Volume(out, new int[] {nx, ny, nz}, assumedGeometry(imp));
        String display = imp.getProp(DISPLAY_PROPERTY);
        if (display == null || display.isEmpty()) return new Volume(out, new int[] {nx, ny, nz}, g);
        ViewSpace view = viewOf(g, new int[] {nx, ny, nz});
        return new Volume(view.fromView(out), view.dims(), g);
    }

    /** The view space of an image in the display convention whose view dimensions are {@code viewDims}. */
    static ViewSpace viewOf(Geometry g, int[] viewDims) {
        io.github.ies.geometry.DisplayOrientation.Axis[] a = io.github.ies.geometry.DisplayOrientation.of(g).axes(io.github.ies.geometry.DisplayOrientation.Plane.AXIAL);
        int[] dims = new int[3];
        for (int s = 0; s < 3; s++) dims[a[s].voxelAxis()] = viewDims[s];
        return new ViewSpace(g, dims);
    }

    /** The view space of an image made by {@link #toImagePlus} (or of any image: voxel order without the properties). */
    public static ViewSpace viewOf(ImagePlus imp) {
        String json = imp.getProp(GEOMETRY_PROPERTY);
        String display = imp.getProp(DISPLAY_PROPERTY);
        int[] vd = {imp.getWidth(), imp.getHeight(), imp.getNSlices()};
        if (json == null || json.isEmpty()) return new ViewSpace(assumedGeometry(imp), vd);
        if (display == null || display.isEmpty()) return new ViewSpace(geometryFromJson(json), vd);
        return viewOf(geometryFromJson(json), vd);
    }

    /** True when an image carries no NIfTI geometry (its geometry is {@link #assumedGeometry}). */
    public static boolean hasGeometry(ImagePlus imp) {
        String json = imp.getProp(GEOMETRY_PROPERTY);
        return json != null && !json.isEmpty();
    }

    /**
     * The geometry assumed for an image without NIfTI geometry: the display convention (x towards the patient's
     * left, y towards posterior, slices from inferior to superior: LPS), voxel size from the calibration (in mm; 1 mm
     * where uncalibrated), the volume's centre at the world origin; sform and qform both written, code "aligned".
     */
    public static Geometry assumedGeometry(ImagePlus imp) {
        double[] sp = assumedSpacing(imp);
        int[] n = {imp.getWidth(), imp.getHeight(), imp.getNSlices()};
        double[] dir = {-1, -1, 1};
        double[][] srow = new double[3][4];
        double[] off = new double[3];
        for (int r = 0; r < 3; r++) {
            srow[r][r] = dir[r] * sp[r];
            off[r] = -dir[r] * sp[r] * (n[r] - 1) / 2.0;
            srow[r][3] = off[r];
        }
        // LPS is RAS turned 180 degrees about z: quaternion (b, c, d) = (0, 0, 1), qfac 1
        return new Geometry(sp, 1, Geometry.XFORM_ALIGNED_ANAT, Geometry.XFORM_ALIGNED_ANAT, new double[] {0, 0, 1}, off, srow, 2 | 8);
    }

    /** The voxel size (mm) of an image's calibration; 1 along an axis whose calibration is missing or not positive. */
    static double[] assumedSpacing(ImagePlus imp) {
        Calibration cal = imp.getCalibration();
        double f = unitToMm(cal.getUnit());
        double[] s = {cal.pixelWidth * f, cal.pixelHeight * f, cal.pixelDepth * f};
        for (int a = 0; a < 3; a++) if (!(s[a] > 0) || Double.isInfinite(s[a])) s[a] = 1;
        return s;
    }

    /**
     * One line saying what is assumed for an image without NIfTI geometry ({@code key} names the input), or null
     * for an image that carries its geometry.
     */
    public static String assumption(ImagePlus imp, String key) {
        if (imp == null || hasGeometry(imp)) return null;
        double[] s = assumedSpacing(imp);
        Calibration cal = imp.getCalibration();
        String unit = cal.getUnit() == null ? "" : cal.getUnit();
        boolean calibrated = !unit.isEmpty() && !unit.toLowerCase(java.util.Locale.ROOT).startsWith("pixel");
        return String.format(java.util.Locale.ROOT, "%s '%s' has no NIfTI geometry: assumed IES's display orientation (x to the patient's left, "
                + "y to posterior, slice 1 inferior: LPS) and voxel size %s x %s x %s mm%s; open the NIfTI file (Open NIfTI) to use its own",
                key, imp.getTitle(), mm(s[0]), mm(s[1]), mm(s[2]), calibrated ? " from its calibration" : " (uncalibrated: 1 mm assumed)");
    }

    /** A voxel size as a short number: 4 significant digits, no trailing zeros (0.5, 0.9375, 2). */
    private static String mm(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
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
