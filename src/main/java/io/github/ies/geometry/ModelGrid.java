package io.github.ies.geometry;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;

import java.util.Arrays;
import java.util.Locale;

/**
 * The mapping between a subject's native grid (dims and NIfTI affine) and the grid a bundle's network expects
 * ({@link ModelGeometry}), done as MONAI's {@code Orientationd(axcodes)} then {@code Spacingd(pixdim)} do it, and back.
 *
 * <ol>
 * <li><b>Orientation</b> (exact): the voxel axes are permuted and flipped so that their axis codes are the declared
 * ones (nibabel's {@code io_orientation} / {@code ornt_transform} / {@code inv_ornt_aff}, which MONAI calls); the
 * affine becomes {@code A inv_ornt_aff}. No interpolation; for "RAS" this is nibabel's {@code as_closest_canonical}.</li>
 * <li><b>Spacing</b> (MONAI's {@code Spacing} with its defaults: {@code diagonal=False}, {@code scale_extent=False},
 * {@code align_corners=False}, padding "border"): per axis the target spacing, or the current one when it lies within
 * the tolerance of the target (MONAI's AFFINE_TOL, 1e-3 mm); the new affine keeps the directions (the rotation of the
 * Cholesky factorisation, {@code zoom_affine}) with the new voxel sizes; the output shape is
 * {@code round(extent / new spacing + 1)} over the input's corner voxels and the origin is the corner voxel that is
 * lowest along every output axis ({@code compute_shape_offset}; the centres are aligned when there is none). When that
 * affine and shape equal the input's (within 1e-3 + 1e-5 relative, as MONAI's check), nothing is resampled. Otherwise
 * each output voxel takes the value at its position in the input's voxel coordinates, {@code inv(A_in) A_out p},
 * clamped to the input's extent ("border"), by trilinear interpolation (images, probabilities, maps) or by the nearest
 * voxel (label images: ids are kept). Coordinates within 1e-9 voxel of an integer are taken as that integer, and of a
 * half-integer as that half-integer, which rounds up (as scipy's {@code map_coordinates(order=0)}; MONAI's choice at an
 * exact tie depends on floating-point rounding in its normalised coordinates: up for about 70% of the ties measured,
 * down for the rest).</li>
 * </ol>
 *
 * <p>{@link #toNative} maps model-grid results back onto the native grid: the inverse reorientation, exact, or, when
 * the spacing changed, resampling at each native voxel's position in model-grid coordinates (MONAI's
 * {@code Spacingd} inverse: the same interpolation onto the original affine and shape).
 */
public final class ModelGrid {

    /** How values between voxels are found. */
    public enum Interpolation {
        /** Trilinear (images, probabilities, saliency maps). */
        LINEAR,
        /** The nearest voxel, ties rounding up (label images: ids are kept). */
        NEAREST
    }

    /** Coordinates closer than this (in voxels) to an integer or half-integer are taken as exactly that. */
    static final double SNAP = 1e-9;

    private final ModelGeometry declared;
    private final int[] nativeDims;
    private final Geometry nativeGeometry;
    private final double[][] nativeAffine;
    /** native voxel axes -> reoriented axes (nibabel ornt). */
    private final int[][] ornt;
    private final boolean reoriented;
    private final boolean resampled;
    /** The input's header gives no orientation and it was taken to be the declared one. */
    private boolean orientationAssumed;
    private final int[] modelDims;
    private final double[][] modelAffine;
    private final Geometry modelGeometry;
    /** 4x4: native voxel coordinates of a model voxel, and its inverse. */
    private final double[][] nativeFromModel, modelFromNative;

    private ModelGrid(ModelGeometry declared, int[] dims, Geometry g, int[][] ornt, boolean reoriented, boolean resampled,
            int[] modelDims, double[][] modelAffine, double[][] nativeFromModel) {
        this.declared = declared;
        this.nativeDims = dims.clone();
        this.nativeGeometry = g;
        this.nativeAffine = g.affine();
        this.ornt = ornt;
        this.reoriented = reoriented;
        this.resampled = resampled;
        this.modelDims = modelDims;
        this.modelAffine = modelAffine;
        this.nativeFromModel = nativeFromModel;
        this.modelFromNative = Affines.inverse(nativeFromModel);
        if (!reoriented && !resampled) {
            this.modelGeometry = g;
        } else {
            int code = g.sformCode != 0 ? g.sformCode : g.qformCode != 0 ? g.qformCode : Geometry.XFORM_SCANNER_ANAT;
            this.modelGeometry = Affines.toGeometry(modelAffine, code, g.xyztUnits);
        }
    }

    /**
     * Plans the mapping of a native grid onto the declared model geometry. A declaration without orientation and
     * spacing ({@link ModelGeometry#none()}) gives the identity.
     */
    public static ModelGrid plan(int[] dims, Geometry geometry, ModelGeometry declared) {
        if (dims.length != 3) throw new IllegalArgumentException("3D grid expected");
        double[][] a = geometry.affine();
        // a header without orientation (qform and sform codes 0) says nothing about the axes: taken to be stored in
        // the declared orientation (nibabel, and so MONAI, would give it the affine diag(-dx, dy, dz), i reversed)
        boolean assumed = declared.orientation() != null && geometry.sformCode == 0 && geometry.qformCode == 0;
        int[][] ornt = declared.orientation() == null || assumed ? new int[][] {{0, 1}, {1, 1}, {2, 1}}
                : Orientation.transform(Orientation.ofAffine(a), Orientation.ofCodes(declared.orientation()));
        ModelGrid g = planOriented(dims, geometry, declared, a, ornt);
        g.orientationAssumed = assumed;
        return g;
    }

    private static ModelGrid planOriented(int[] dims, Geometry geometry, ModelGeometry declared, double[][] a, int[][] ornt) {
        boolean reoriented = !Orientation.isIdentity(ornt);
        double[][] undo = Orientation.inverseAffine(ornt, dims);        // reoriented voxel -> native voxel
        int[] rdims = Orientation.transformedShape(ornt, dims);
        double[][] ra = reoriented ? Affines.multiply(a, undo) : a;
        if (declared.spacing() == null) {
            return new ModelGrid(declared, dims, geometry, ornt, reoriented, false, rdims, ra, undo);
        }
        // MONAI Spacing: target per axis, or the current spacing within the tolerance
        double[] orig = Affines.columnNorms(ra);
        double[] target = declared.spacing();
        double[] out = new double[3];
        for (int d = 0; d < 3; d++) {
            out[d] = orig[d] - declared.spacingTolerance() <= target[d] && target[d] <= orig[d] + declared.spacingTolerance()
                    ? orig[d] : target[d];
        }
        // zoom_affine(diagonal=False): the rotation of rzs = R U (U upper triangular, Cholesky of rzs^T rzs) with the new zooms
        double[][] rzs = Affines.linear(ra);
        double[][] u = Affines.choleskyUpper(Affines.multiply(Affines.transpose(rzs), rzs));
        double[][] rot = Affines.multiply(rzs, Affines.inverse(u));
        double[][] lin = new double[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) lin[i][j] = rot[i][j] * Math.signum(u[j][j]) * Math.abs(out[j]);
        // compute_shape_offset(scale_extent=False)
        double[][] zeroT = Affines.affine(lin, new double[3]);
        double[][] toOut = Affines.multiply(Affines.inverse(zeroT), ra);
        double[][] corners = new double[8][];
        double[][] cornersOut = new double[8][];
        for (int c = 0; c < 8; c++) {
            double[] p = {(c & 4) != 0 ? rdims[0] - 1 : 0, (c & 2) != 0 ? rdims[1] - 1 : 0, (c & 1) != 0 ? rdims[2] - 1 : 0};
            corners[c] = Affines.apply(ra, p);
            cornersOut[c] = Affines.apply(toOut, p);
        }
        int[] mdims = new int[3];
        for (int d = 0; d < 3; d++) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (double[] q : cornersOut) {
                lo = Math.min(lo, q[d]);
                hi = Math.max(hi, q[d]);
            }
            mdims[d] = (int) Math.rint(hi - lo + 1.0);
            if (mdims[d] < 1) throw new IllegalArgumentException("resampling to " + Arrays.toString(target) + " mm leaves no voxel");
        }
        double[] offset = null;
        for (int i = 0; i < 8 && offset == null; i++) {
            boolean lowest = true;
            for (int d = 0; d < 3; d++) {
                double min = Double.POSITIVE_INFINITY;
                for (double[] q : cornersOut) min = Math.min(min, q[d] - cornersOut[i][d]);
                if (Math.abs(min) > 1e-8) lowest = false;
            }
            if (lowest) offset = corners[i];
        }
        if (offset == null) {                                       // centres aligned
            offset = new double[3];
            for (int r = 0; r < 3; r++) {
                double s = ra[r][3];
                for (int c = 0; c < 3; c++) s += ra[r][c] * rdims[c] / 2.0 - lin[r][c] * mdims[c] / 2.0;
                offset[r] = s;
            }
        }
        double[][] ma = Affines.affine(lin, offset);
        boolean unchanged = Arrays.equals(mdims, rdims);
        for (int r = 0; r < 4 && unchanged; r++)
            for (int c = 0; c < 4; c++) if (!(Math.abs(ra[r][c] - ma[r][c]) <= 1e-3 + 1e-5 * Math.abs(ma[r][c]))) unchanged = false;
        if (unchanged) return new ModelGrid(declared, dims, geometry, ornt, reoriented, false, rdims, ra, undo);
        double[][] xform = Affines.multiply(Affines.inverse(ra), ma);      // model voxel -> reoriented voxel
        return new ModelGrid(declared, dims, geometry, ornt, reoriented, true, mdims, ma, Affines.multiply(undo, xform));
    }

    public ModelGeometry declared() { return declared; }

    public int[] nativeDims() { return nativeDims.clone(); }

    public Geometry nativeGeometry() { return nativeGeometry; }

    /** Axis codes of the native grid (e.g. "LAS"). */
    public String nativeOrientation() { return Orientation.codes(nativeAffine); }

    public int[] modelDims() { return modelDims.clone(); }

    public double[][] modelAffine() { return Affines.copy(modelAffine); }

    /** The model grid's geometry (sform and qform from its affine); the native geometry itself for the identity. */
    public Geometry modelGeometry() { return modelGeometry; }

    /** Axis codes of the model grid. */
    public String modelOrientation() { return Orientation.codes(modelAffine); }

    /** Voxel sizes of the model grid, mm. */
    public double[] modelSpacing() { return Affines.columnNorms(modelAffine); }

    /** The orientation transform applied (nibabel's ornt, one row {new axis, +-1} per native axis). */
    public int[][] orientationTransform() { return new int[][] {ornt[0].clone(), ornt[1].clone(), ornt[2].clone()}; }

    /** True when axes are permuted or flipped. */
    public boolean reoriented() { return reoriented; }

    /** True when the voxels are interpolated (the spacing changed). */
    public boolean resampled() { return resampled; }

    /**
     * True when the input's header gives no orientation (qform and sform codes 0) and the bundle declares one: the
     * input is taken to be stored in the declared orientation (not reoriented).
     */
    public boolean orientationAssumed() { return orientationAssumed; }

    /** True when {@link #describe()} tells the user something: nothing declared, a mapping, or an assumed orientation. */
    public boolean worthSaying() { return declared.none() || !identity() || orientationAssumed; }

    /** True when the model grid is the native grid (nothing to do). */
    public boolean identity() { return !reoriented && !resampled; }

    /** The 4x4 affine taking model-grid voxel coordinates to native voxel coordinates. */
    public double[][] nativeFromModel() { return Affines.copy(nativeFromModel); }

    /** A native-grid volume (same dims and affine as planned) on the model grid. */
    public Volume toModel(Volume v, Interpolation mode) {
        if (!Arrays.equals(v.dims(), nativeDims) || !v.geometry().sameAffine(nativeGeometry, 1e-4)) {
            throw new IllegalArgumentException("volume " + Arrays.toString(v.dims()) + " is not on the native grid "
                    + Arrays.toString(nativeDims) + " this mapping was planned for");
        }
        if (identity()) return v.copy();
        float[] out = resampled ? sample(v.data(), nativeDims, modelDims, nativeFromModel, mode) : reorient(v.data());
        return new Volume(out, modelDims, modelGeometry);
    }

    /** A model-grid volume (dims {@link #modelDims()}) back on the native grid, with the native geometry. */
    public Volume toNative(Volume m, Interpolation mode) {
        if (!Arrays.equals(m.dims(), modelDims)) {
            throw new IllegalArgumentException("volume " + Arrays.toString(m.dims()) + " is not on the model grid " + Arrays.toString(modelDims));
        }
        if (identity()) return new Volume(m.data().clone(), nativeDims, nativeGeometry);
        float[] out = resampled ? sample(m.data(), modelDims, nativeDims, modelFromNative, mode) : unorient(m.data());
        return new Volume(out, nativeDims, nativeGeometry);
    }

    /** Native NIfTI-order voxels to model NIfTI-order voxels by the exact axis permutation and flips. */
    private float[] reorient(float[] src) {
        return permute(src, true);
    }

    /** The inverse of {@link #reorient}. */
    private float[] unorient(float[] src) {
        return permute(src, false);
    }

    /** Each native voxel (i, j, k) and its model voxel: copies model from native ({@code toModel}) or back. */
    private float[] permute(float[] src, boolean toModel) {
        float[] out = new float[src.length];
        int[] n = nativeDims;
        int[] p = new int[3];
        for (int k = 0; k < n[2]; k++)
            for (int j = 0; j < n[1]; j++)
                for (int i = 0; i < n[0]; i++) {
                    int[] q = {i, j, k};
                    for (int a = 0; a < 3; a++) p[ornt[a][0]] = ornt[a][1] > 0 ? q[a] : n[a] - 1 - q[a];
                    int model = p[0] + modelDims[0] * (p[1] + modelDims[1] * p[2]), nat = i + n[0] * (j + n[1] * k);
                    if (toModel) out[model] = src[nat];
                    else out[nat] = src[model];
                }
        return out;
    }

    /** Resamples {@code src} (dims {@code from}) at {@code xf p} for every voxel p of a grid of dims {@code to}. */
    static float[] sample(float[] src, int[] from, int[] to, double[][] xf, Interpolation mode) {
        float[] out = new float[to[0] * to[1] * to[2]];
        int n0 = from[0], n1 = from[1], n2 = from[2];
        int s1 = n0, s2 = n0 * n1;
        int o = 0;
        for (int k = 0; k < to[2]; k++)
            for (int j = 0; j < to[1]; j++)
                for (int i = 0; i < to[0]; i++) {
                    double c0 = coordinate(xf[0], i, j, k, n0), c1 = coordinate(xf[1], i, j, k, n1), c2 = coordinate(xf[2], i, j, k, n2);
                    if (mode == Interpolation.NEAREST) {
                        int q0 = Math.min((int) Math.floor(c0 + 0.5 + SNAP), n0 - 1);
                        int q1 = Math.min((int) Math.floor(c1 + 0.5 + SNAP), n1 - 1);
                        int q2 = Math.min((int) Math.floor(c2 + 0.5 + SNAP), n2 - 1);
                        out[o++] = src[q0 + s1 * q1 + s2 * q2];
                        continue;
                    }
                    int a0 = Math.min((int) Math.floor(c0), n0 - 1), a1 = Math.min((int) Math.floor(c1), n1 - 1),
                            a2 = Math.min((int) Math.floor(c2), n2 - 1);
                    double f0 = c0 - a0, f1 = c1 - a1, f2 = c2 - a2;
                    int b0 = f0 > 0 ? a0 + 1 : a0, b1 = f1 > 0 ? a1 + 1 : a1, b2 = f2 > 0 ? a2 + 1 : a2;
                    double v = 0;
                    for (int corner = 0; corner < 8; corner++) {
                        boolean u0 = (corner & 1) != 0, u1 = (corner & 2) != 0, u2 = (corner & 4) != 0;
                        double w = (u0 ? f0 : 1 - f0) * (u1 ? f1 : 1 - f1) * (u2 ? f2 : 1 - f2);
                        if (w != 0) v += w * src[(u0 ? b0 : a0) + s1 * (u1 ? b1 : a1) + s2 * (u2 ? b2 : a2)];
                    }
                    out[o++] = (float) v;
                }
        return out;
    }

    /**
     * One coordinate of {@code row . (i, j, k, 1)}, clamped to [0, n - 1] (MONAI's "border" padding) and snapped to
     * the nearest integer within {@link #SNAP}.
     */
    private static double coordinate(double[] row, int i, int j, int k, int n) {
        double v = row[0] * i + row[1] * j + row[2] * k + row[3];
        v = Math.min(Math.max(v, 0), n - 1);
        double r = Math.rint(v);
        return Math.abs(v - r) < SNAP ? r : v;
    }

    /** The model grid in a few words, e.g. "the model's grid [96, 112, 96] RAS 2x2x2 mm". */
    public String modelGridText() {
        return "the model's grid " + Arrays.toString(modelDims) + " " + modelOrientation() + " " + spacingText(modelSpacing()) + " mm";
    }

    /** One line for logs: what is done to the inputs. */
    public String describe() {
        if (declared.none()) return "the model declares no geometry: inputs are used as stored";
        String text = describeMapping();
        if (!orientationAssumed) return text;
        return "the inputs' header gives no orientation (qform and sform codes 0): taken to be stored as the model's "
                + declared.orientation() + ", not reoriented (MONAI would take nibabel's default affine, with i reversed); " + text;
    }

    private String describeMapping() {
        if (identity()) {
            return String.format(Locale.ROOT, "inputs (%s, %s mm) are already on the model's grid (%s)", nativeOrientation(),
                    spacingText(Affines.columnNorms(nativeAffine)), declared);
        }
        StringBuilder sb = new StringBuilder("inputs ").append(Arrays.toString(nativeDims)).append(' ').append(nativeOrientation())
                .append(' ').append(spacingText(Affines.columnNorms(nativeAffine))).append(" mm");
        if (reoriented) sb.append(" reoriented to ").append(modelOrientation()).append(" (exact)");
        if (resampled) sb.append(reoriented ? " and" : "").append(" resampled to ").append(spacingText(modelSpacing()))
                .append(" mm (images trilinear, labels nearest)");
        sb.append(": model grid ").append(Arrays.toString(modelDims)).append("; results are mapped back to the native grid");
        return sb.toString();
    }

    private static String spacingText(double[] s) {
        return mm(s[0]) + "x" + mm(s[1]) + "x" + mm(s[2]);
    }

    /** A length with up to 4 significant digits, without trailing zeros (2, 1.5, 0.9375). */
    static String mm(double v) {
        return new java.math.BigDecimal(String.format(Locale.ROOT, "%.4g", v)).stripTrailingZeros().toPlainString();
    }

    /** What was done, for run.json. */
    public JsonObject record() {
        JsonObject o = new JsonObject();
        JsonObject d = new JsonObject();
        if (declared.orientation() != null) d.addProperty("orientation", declared.orientation());
        if (declared.spacing() != null) d.add("spacing", array(declared.spacing()));
        d.addProperty("spacing_tolerance", declared.spacingTolerance());
        o.add("declared", d);
        o.add("native", grid(nativeDims, nativeAffine));
        o.add("model", grid(modelDims, modelAffine));
        o.addProperty("reoriented", reoriented);
        o.addProperty("resampled", resampled);
        if (orientationAssumed) o.addProperty("native_orientation", "unknown (qform and sform codes 0): taken to be " + declared.orientation());
        if (resampled) o.addProperty("interpolation", "images, probabilities and maps trilinear; label images nearest (ids kept); border clamped");
        o.addProperty("summary", describe());
        return o;
    }

    private static JsonObject grid(int[] dims, double[][] affine) {
        JsonObject g = new JsonObject();
        JsonArray dd = new JsonArray();
        for (int v : dims) dd.add(v);
        g.add("dims", dd);
        g.addProperty("orientation", Orientation.codes(affine));
        g.add("spacing", array(Affines.columnNorms(affine)));
        JsonArray a = new JsonArray();
        for (int r = 0; r < 4; r++) a.add(array(affine[r]));
        g.add("affine", a);
        return g;
    }

    private static JsonArray array(double[] v) {
        JsonArray a = new JsonArray();
        for (double x : v) a.add(x);
        return a;
    }
}
