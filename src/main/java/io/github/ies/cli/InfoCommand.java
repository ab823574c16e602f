package io.github.ies.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiHeader;
import io.github.ies.io.Volume;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ies info FILE [--volume N] [--json]}: header and statistics of a NIfTI file, like fslinfo / nib-ls. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Describe a NIfTI-1/NIfTI-2 file (.nii, .nii.gz, .hdr/.img): dims, datatype, voxel size, "
                + "affine (nibabel's rule: sform, else qform, else pixdim), and min/max/mean of the scaled data of "
                + "one volume (NaNs excluded; counts of NaN and infinite voxels). --json prints strict JSON: non-finite numbers "
                + "are the strings \"NaN\", \"Infinity\" and \"-Infinity\"; min/max/mean are null when every value is NaN."},
        footer = {"", "Exit codes: 0 ok, 1 unreadable or invalid file, 2 bad usage."})
public final class InfoCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "NIfTI file (.nii, .nii.gz, .hdr, .img, gzipped pairs)")
    Path file;

    @Option(names = "--volume", paramLabel = "N", defaultValue = "0",
            description = "volume (0-based) of a 4D file whose statistics are shown (default: ${DEFAULT-VALUE})")
    int volume;

    @Option(names = "--json", description = "print one JSON object instead of text")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Min, max and mean of the values that are not NaN (infinities included, so they may be infinite, and the mean
     * NaN when both infinities occur; all three NaN when every value is NaN), then the counts of NaN, +Infinity and
     * -Infinity values.
     */
    static double[] stats(float[] data) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
        long n = 0, nan = 0, pinf = 0, ninf = 0;
        for (float x : data) {
            if (Float.isNaN(x)) {
                nan++;
                continue;
            }
            if (x == Float.POSITIVE_INFINITY) pinf++;
            if (x == Float.NEGATIVE_INFINITY) ninf++;
            if (x < min) min = x;
            if (x > max) max = x;
            sum += x;
            n++;
        }
        if (n == 0) return new double[] {Double.NaN, Double.NaN, Double.NaN, nan, pinf, ninf};
        return new double[] {min, max, sum / n, nan, pinf, ninf};
    }

    @Override
    public Integer call() throws Exception {
        if (volume < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--volume must be 0 or more, got " + volume);
        }
        NiftiHeader h = Nifti.readHeader(file);
        Volume v = Nifti.read(file, volume);
        double[] st = stats(v.data());
        PrintWriter out = spec.commandLine().getOut();
        if (json) out.println(new GsonBuilder().serializeNulls().create().toJson(finite(toJson(h, v, st))));
        else printText(out, h, v, st);
        out.flush();
        return 0;
    }

    JsonObject toJson(NiftiHeader h, Volume v, double[] st) {
        JsonObject o = new JsonObject();
        o.addProperty("file", file.toString());
        o.addProperty("format", h.versionName());
        o.addProperty("byte_order", h.byteOrder == ByteOrder.BIG_ENDIAN ? "big" : "little");
        JsonArray dims = new JsonArray();
        for (long d : h.dims()) dims.add(d);
        o.add("dims", dims);
        JsonArray spacing = new JsonArray();
        for (int i = 0; i < Math.min(3, h.ndim()); i++) spacing.add(v.geometry().spacing[i]);
        o.add("spacing", spacing);
        o.addProperty("datatype", h.datatypeName());
        JsonArray affine = new JsonArray();
        for (double[] row : v.affine()) {
            JsonArray r = new JsonArray();
            for (double x : row) r.add(x);
            affine.add(r);
        }
        o.add("affine", affine);
        o.addProperty("volumes", h.volumeCount());
        o.addProperty("volume", volume);
        boolean allNaN = st[3] == v.size();
        o.add("min", allNaN ? JsonNull.INSTANCE : number(st[0]));
        o.add("max", allNaN ? JsonNull.INSTANCE : number(st[1]));
        o.add("mean", allNaN ? JsonNull.INSTANCE : number(st[2]));
        o.addProperty("nan_voxels", (long) st[3]);
        o.addProperty("inf_voxels", (long) (st[4] + st[5]));
        o.addProperty("sform_code", h.sformCode);
        o.addProperty("qform_code", h.qformCode);
        o.add("scl_slope", h.hasScaling() ? number(h.sclSlope) : JsonNull.INSTANCE);
        o.add("scl_inter", h.hasScaling() ? number(h.effectiveInter()) : JsonNull.INSTANCE);
        o.addProperty("descrip", h.descrip);
        return o;
    }

    /**
     * A JSON value for a number: the number when finite, else the string "Infinity", "-Infinity" or "NaN" (JSON has
     * no such numbers; Python's json.loads(..., parse_constant) and JavaScript's Number() read these strings).
     */
    static com.google.gson.JsonElement number(double x) {
        if (Double.isFinite(x)) return new JsonPrimitive(x);
        return new JsonPrimitive(Double.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity");
    }

    /** Replaces every non-finite number in a JSON tree by its string (see {@link #number}). */
    static com.google.gson.JsonElement finite(com.google.gson.JsonElement e) {
        if (e.isJsonArray()) {
            JsonArray a = new JsonArray();
            for (com.google.gson.JsonElement x : e.getAsJsonArray()) a.add(finite(x));
            return a;
        }
        if (e.isJsonObject()) {
            JsonObject o = new JsonObject();
            for (var en : e.getAsJsonObject().entrySet()) o.add(en.getKey(), finite(en.getValue()));
            return o;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double d = e.getAsDouble();
            if (!Double.isFinite(d)) return number(d);
        }
        return e;
    }

    private void printText(PrintWriter out, NiftiHeader h, Volume v, double[] st) {
        Geometry g = v.geometry();
        row(out, "file", file.toString());
        row(out, "format", h.versionName() + (h.singleFile ? " single file" : " .hdr/.img pair") + ", "
                + (h.byteOrder == ByteOrder.BIG_ENDIAN ? "big" : "little") + "-endian");
        row(out, "data_type", h.datatypeName());
        StringBuilder dims = new StringBuilder();
        for (long d : h.dims()) dims.append(dims.length() == 0 ? "" : " x ").append(d);
        row(out, "dims", dims.toString());
        StringBuilder pix = new StringBuilder();
        for (int i = 1; i <= h.ndim(); i++) pix.append(pix.length() == 0 ? "" : " x ").append(fmt(h.pixdim[i]));
        row(out, "pixdim", pix + " " + units(h.xyztUnits));
        if (h.volumeCount() > 1) row(out, "volume", volume + " of " + h.volumeCount() + " (statistics below)");
        row(out, "scaling", h.hasScaling() ? "scl_slope " + fmt(h.sclSlope) + ", scl_inter " + fmt(h.effectiveInter())
                : "none");
        row(out, "qform_code", h.qformCode + " (" + codeName(h.qformCode) + ")" + (h.qformCode != 0
                ? ", qfac " + fmt(g.qfac) : ""));
        row(out, "sform_code", h.sformCode + " (" + codeName(h.sformCode) + ")");
        String src = h.sformCode != 0 ? "sform" : h.qformCode != 0 ? "qform" : "pixdim";
        row(out, "affine", "(from the " + src + ")");
        for (double[] r : v.affine()) {
            out.println(String.format(Locale.ROOT, "  %12.6f %12.6f %12.6f %12.6f", r[0], r[1], r[2], r[3]));
        }
        row(out, "min", fmt(st[0]));
        row(out, "max", fmt(st[1]));
        row(out, "mean", fmt(st[2]));
        if (st[3] + st[4] + st[5] > 0) {
            row(out, "non-finite", (long) st[3] + " NaN, " + (long) st[4] + " +Infinity, " + (long) st[5] + " -Infinity voxel(s)");
        }
        if (!h.descrip.isEmpty()) row(out, "descrip", h.descrip);
    }

    private static void row(PrintWriter out, String key, String value) {
        out.println(String.format(Locale.ROOT, "%-12s %s", key, value));
    }

    private static String fmt(double x) {
        if (x == Math.rint(x) && Math.abs(x) < 1e15) return String.valueOf((long) x);
        return String.format(Locale.ROOT, "%.6g", x);
    }

    static String codeName(int code) {
        switch (code) {
            case 0: return "unknown";
            case 1: return "scanner";
            case 2: return "aligned";
            case 3: return "talairach";
            case 4: return "mni";
            case 5: return "template";
            default: return "invalid";
        }
    }

    private static String units(int xyzt) {
        switch (xyzt & 7) {
            case 1: return "m";
            case 2: return "mm";
            case 3: return "um";
            default: return "(units unknown)";
        }
    }
}
