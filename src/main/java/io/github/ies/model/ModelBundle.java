package io.github.ies.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.github.ies.geometry.ModelGeometry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A model bundle (format {@code ies-model/1}): a folder, or a {@code .zip} of one, holding {@code model.pt}
 * (TorchScript) and {@code ies-model.json} (metadata). See {@code docs/model.md} for the keys.
 *
 * <p>Required keys: {@code format}, {@code name}, {@code inputs}, {@code normalization}, {@code patch_size},
 * {@code activation}, {@code lesion_channel}, {@code threshold}. Optional keys and defaults: {@code description}
 * (""), {@code overlap} (0.25), {@code blending} ("gaussian"), {@code min_lesion_voxels} (6), {@code connectivity}
 * (18), {@code features} (false), {@code orientation} and {@code spacing} (none: inputs run as stored),
 * {@code spacing_tolerance} (0.001 mm). Unknown keys are kept ({@link #json()}) and ignored.
 */
public final class ModelBundle {

    public static final String FORMAT = "ies-model/1";
    public static final String MODEL_FILE = "model.pt", META_FILE = "ies-model.json";

    private final Path source;
    private final Path folder;
    private final Path modelFile;
    private final JsonObject json;
    private final String name, description;
    private final List<String> inputs;
    private final List<ChannelNormalization> normalizations;
    private final ModelGeometry geometry;
    private final int[] patchSize;
    private final double overlap;
    private final Blending blending;
    private final Activation activation;
    private final int lesionChannel;
    private final double threshold;
    private final int minLesionVoxels;
    private final int connectivity;
    private final boolean features;
    private String sha256;

    private ModelBundle(Path source, Path folder, Path modelFile, JsonObject json) throws BundleException {
        this.source = source;
        this.folder = folder;
        this.modelFile = modelFile;
        this.json = json;
        String where = source + ": " + META_FILE;
        String format = string(json, "format", null, where);
        if (!FORMAT.equals(format)) {
            throw new BundleException(where + ": unsupported \"format\" \"" + format + "\" (expected \"" + FORMAT + "\")");
        }
        this.name = string(json, "name", null, where);
        this.description = string(json, "description", "", where);
        this.inputs = inputs(json, where);
        this.normalizations = normalizations(json, inputs.size(), where);
        this.patchSize = patchSize(json, where);
        this.overlap = number(json, "overlap", 0.25, where);
        if (!(overlap >= 0 && overlap < 1)) throw new BundleException(where + ": \"overlap\" must be in [0, 1), got " + overlap);
        this.blending = enumKey(json, "blending", Blending.GAUSSIAN, Blending::fromKey, "\"gaussian\" or \"constant\"", where);
        this.activation = enumKey(json, "activation", null, Activation::fromKey, "\"softmax\" or \"sigmoid\"", where);
        this.lesionChannel = integer(json, "lesion_channel", null, where);
        if (lesionChannel < 0) throw new BundleException(where + ": \"lesion_channel\" must be >= 0, got " + lesionChannel);
        this.threshold = number(json, "threshold", null, where);
        if (!(threshold >= 0 && threshold <= 1)) throw new BundleException(where + ": \"threshold\" must be in [0, 1], got " + threshold);
        this.minLesionVoxels = integer(json, "min_lesion_voxels", 6, where);
        if (minLesionVoxels < 0) throw new BundleException(where + ": \"min_lesion_voxels\" must be >= 0, got " + minLesionVoxels);
        this.connectivity = integer(json, "connectivity", 18, where);
        if (connectivity != 6 && connectivity != 18 && connectivity != 26) {
            throw new BundleException(where + ": \"connectivity\" must be 6, 18 or 26, got " + connectivity);
        }
        this.features = bool(json, "features", false, where);
        this.geometry = geometry(json, where);
    }

    /** Loads a bundle folder or {@code .zip}; the zip is extracted to a temporary folder deleted at exit. */
    public static ModelBundle load(Path path) throws IOException {
        if (!Files.exists(path)) throw new BundleException("model bundle not found: " + path + " (give the bundle folder or its .zip)");
        Path folder = path;
        if (!Files.isDirectory(path)) {
            if (!Files.isRegularFile(path) || !path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip")) {
                throw new BundleException("model bundle " + path + " is neither a folder nor a .zip file (give the folder holding "
                        + META_FILE + " and " + MODEL_FILE + ", or a .zip of it)");
            }
            byte[] sig;
            try (InputStream in = Files.newInputStream(path)) {
                sig = in.readNBytes(4);
            }
            boolean zip = sig.length == 4 && sig[0] == 'P' && sig[1] == 'K' && (sig[2] == 3 && sig[3] == 4 || sig[2] == 5 && sig[3] == 6);
            if (!zip) {
                throw new BundleException("model bundle " + path + " is not a zip file (it does not start with the zip signature PK): "
                        + "give a .zip of a bundle folder, or the folder itself");
            }
            folder = extract(path);
        }
        BundleReader reader = BundleReader.forFolder(folder);
        if (reader == null) throw new BundleException("model bundle " + path + " has no " + META_FILE + " (" + BundleReader.expected() + ")");
        return reader.read(path, folder);
    }

    /**
     * A bundle of the {@value #FORMAT} format from its metadata (the keys of {@value #META_FILE}) and its TorchScript
     * file: what a {@link BundleReader} of another format makes after translating that format's metadata.
     *
     * @param source the path the user gave (folder or zip)
     * @param folder the folder holding the files
     */
    public static ModelBundle of(Path source, Path folder, Path modelFile, JsonObject meta) throws BundleException {
        if (!Files.isRegularFile(modelFile)) throw new BundleException("model bundle " + source + " has no " + modelFile.getFileName() + " (TorchScript module)");
        return new ModelBundle(source, folder, modelFile, meta);
    }

    /** The reader of IES's own format: {@value #META_FILE} and {@value #MODEL_FILE} in the folder. */
    static final class IesReader implements BundleReader {
        @Override
        public boolean accepts(Path folder) {
            return Files.exists(folder.resolve(META_FILE));
        }

        @Override
        public String expects() {
            return META_FILE + " and " + MODEL_FILE;
        }

        @Override
        public ModelBundle read(Path path, Path folder) throws IOException {
            Path meta = folder.resolve(META_FILE);
            for (String f : new String[] {META_FILE, MODEL_FILE}) {
                Path p = folder.resolve(f);
                if (Files.exists(p) && !Files.isRegularFile(p)) {
                    throw new BundleException("model bundle " + path + ": " + f + " is " + (Files.isDirectory(p) ? "a folder" : "a pipe or device")
                            + ", not a file; export the bundle again with scripts/export_torchscript.py");
                }
            }
            if (!Files.isRegularFile(meta)) throw new BundleException("model bundle " + path + " has no " + META_FILE);
            if (!Files.isRegularFile(folder.resolve(MODEL_FILE))) {
                throw new BundleException("model bundle " + path + " has no " + MODEL_FILE + " (TorchScript module)");
            }
            JsonElement root;
            try {
                root = JsonParser.parseString(Files.readString(meta, StandardCharsets.UTF_8));
            } catch (JsonParseException e) {
                String m = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getMessage();
                throw new BundleException(path + ": " + META_FILE + " is not valid JSON: " + m, e);
            }
            if (!root.isJsonObject()) throw new BundleException(path + ": " + META_FILE + " must hold a JSON object");
            return new ModelBundle(path, folder, folder.resolve(MODEL_FILE), root.getAsJsonObject());
        }
    }

    // ---- accessors ----
    /** The path given to {@link #load} (folder or zip). */
    public Path source() { return source; }
    /** The folder holding the files (the extraction folder for a zip). */
    public Path folder() { return folder; }
    public Path modelFile() { return modelFile; }
    /** The whole metadata object, unknown keys included (a copy). */
    public JsonObject json() { return json.deepCopy(); }
    public String name() { return name; }
    public String description() { return description; }
    public List<String> inputs() { return inputs; }
    public int inputCount() { return inputs.size(); }
    /** The first channel's normalisation scheme (every channel's when {@code "normalization"} is one string). */
    public Normalization normalization() { return normalizations.get(0).scheme; }
    /** One normalisation per input channel, in the order of {@link #inputs()}. */
    public List<ChannelNormalization> normalizations() { return normalizations; }
    /** The normalisation as text for run.json: the scheme when all channels share one, else one entry per channel. */
    public String normalizationKey() {
        boolean same = true;
        for (ChannelNormalization n : normalizations) same &= n.toString().equals(normalizations.get(0).toString());
        if (same) return normalizations.get(0).toString();
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < normalizations.size(); c++) sb.append(c > 0 ? ", " : "").append(inputs.get(c)).append(": ").append(normalizations.get(c));
        return sb.toString();
    }
    /**
     * The grid the network was trained on ({@code "orientation"}, {@code "spacing"}, {@code "spacing_tolerance"});
     * {@link ModelGeometry#none()} when the bundle declares neither (inputs run as stored).
     */
    public ModelGeometry geometry() { return geometry; }
    public int[] patchSize() { return patchSize.clone(); }
    public double overlap() { return overlap; }
    public Blending blending() { return blending; }
    public Activation activation() { return activation; }
    public int lesionChannel() { return lesionChannel; }
    public double threshold() { return threshold; }
    public int minLesionVoxels() { return minLesionVoxels; }
    public int connectivity() { return connectivity; }
    /** True when the module exports {@code forward_features(x, delta)}. */
    public boolean features() { return features; }
    /** The explained layer's dotted name, when the exporter recorded it ({@code feature_layer}). */
    public String featureLayer() {
        JsonElement e = json.get("feature_layer");
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    /** Index of an input channel by name, case-insensitively, or -1. */
    public int inputIndex(String channelName) {
        for (int i = 0; i < inputs.size(); i++) if (inputs.get(i).equalsIgnoreCase(channelName)) return i;
        return -1;
    }

    /** SHA-256 (hex) of {@code model.pt}. */
    public synchronized String modelSha256() throws IOException {
        if (sha256 == null) {
            try (InputStream in = Files.newInputStream(modelFile())) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[1 << 16];
                for (int r; (r = in.read(buf)) > 0; ) md.update(buf, 0, r);
                StringBuilder sb = new StringBuilder();
                for (byte b : md.digest()) sb.append(String.format("%02x", b));
                sha256 = sb.toString();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return sha256;
    }

    @Override
    public String toString() {
        return "ModelBundle[" + name + " from " + source + ", inputs " + inputs + ", patch " + java.util.Arrays.toString(patchSize) + "]";
    }

    // ---- parsing helpers (messages name the key and what was found) ----
    private static JsonElement get(JsonObject o, String key, boolean required, String where) throws BundleException {
        JsonElement e = o.get(key);
        if ((e == null || e.isJsonNull()) && required) throw new BundleException(where + ": missing required key \"" + key + "\"");
        return e == null || e.isJsonNull() ? null : e;
    }

    private static String describe(JsonElement e) {
        if (e.isJsonArray()) return "an array";
        if (e.isJsonObject()) return "an object";
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) return "a boolean (" + p + ")";
        if (p.isNumber()) return "a number (" + p + ")";
        return "a string (" + p + ")";
    }

    private static String string(JsonObject o, String key, String dflt, String where) throws BundleException {
        JsonElement e = get(o, key, dflt == null, where);
        if (e == null) return dflt;
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new BundleException(where + ": key \"" + key + "\" must be a string, got " + describe(e));
        }
        return e.getAsString();
    }

    private static double number(JsonObject o, String key, Double dflt, String where) throws BundleException {
        JsonElement e = get(o, key, dflt == null, where);
        if (e == null) return dflt;
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new BundleException(where + ": key \"" + key + "\" must be a number, got " + describe(e));
        }
        return e.getAsDouble();
    }

    private static int integer(JsonObject o, String key, Integer dflt, String where) throws BundleException {
        JsonElement e = get(o, key, dflt == null, where);
        if (e == null) return dflt;
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new BundleException(where + ": key \"" + key + "\" must be an integer, got " + describe(e));
        }
        double d = e.getAsDouble();
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new BundleException(where + ": key \"" + key + "\" must be an integer, got " + e);
        }
        return (int) d;
    }

    private static boolean bool(JsonObject o, String key, boolean dflt, String where) throws BundleException {
        JsonElement e = get(o, key, false, where);
        if (e == null) return dflt;
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new BundleException(where + ": key \"" + key + "\" must be true or false, got " + describe(e));
        }
        return e.getAsBoolean();
    }

    private interface Lookup<T> { T of(String key); }

    private static <T> T enumKey(JsonObject o, String key, T dflt, Lookup<T> lookup, String allowed, String where)
            throws BundleException {
        String s = string(o, key, dflt == null ? null : "", where);
        if (s.isEmpty() && dflt != null && !o.has(key)) return dflt;
        T v = lookup.of(s);
        if (v == null) throw new BundleException(where + ": key \"" + key + "\" must be " + allowed + ", got \"" + s + "\"");
        return v;
    }

    private static List<String> inputs(JsonObject o, String where) throws BundleException {
        JsonElement e = get(o, "inputs", true, where);
        if (!e.isJsonArray() || e.getAsJsonArray().size() == 0) {
            throw new BundleException(where + ": key \"inputs\" must be a non-empty array of channel names, got " + describe(e));
        }
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonElement x : e.getAsJsonArray()) {
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString() || x.getAsString().isBlank()) {
                throw new BundleException(where + ": key \"inputs\" must hold channel names (strings), got " + describe(x));
            }
            if (!seen.add(x.getAsString().toLowerCase(Locale.ROOT))) {
                throw new BundleException(where + ": key \"inputs\" names channel \"" + x.getAsString() + "\" twice");
            }
            out.add(x.getAsString());
        }
        return Collections.unmodifiableList(out);
    }

    private static List<ChannelNormalization> normalizations(JsonObject o, int channels, String where) throws BundleException {
        JsonElement e = get(o, "normalization", true, where);
        String allowed = "one of " + Normalization.keys() + ", or an array with one entry per input";
        List<ChannelNormalization> out = new ArrayList<>();
        try {
            if (e.isJsonArray()) {
                JsonArray a = e.getAsJsonArray();
                if (a.size() != channels) {
                    throw new BundleException(where + ": key \"normalization\" has " + a.size() + " entries for " + channels + " inputs");
                }
                for (int c = 0; c < a.size(); c++) {
                    try {
                        out.add(ChannelNormalization.parse(a.get(c)));
                    } catch (IllegalArgumentException x) {
                        throw new BundleException(where + ": key \"normalization\", entry " + c + ": " + x.getMessage());
                    }
                }
            } else if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
                ChannelNormalization n = ChannelNormalization.parse(e);
                for (int c = 0; c < channels; c++) out.add(n);
            } else {
                throw new BundleException(where + ": key \"normalization\" must be " + allowed + ", got " + describe(e));
            }
        } catch (IllegalArgumentException x) {
            throw new BundleException(where + ": key \"normalization\" must be " + allowed + ": " + x.getMessage());
        }
        return Collections.unmodifiableList(out);
    }

    private static ModelGeometry geometry(JsonObject o, String where) throws BundleException {
        String orientation = null;
        JsonElement e = o.get("orientation");
        if (e != null && !e.isJsonNull()) {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString() || !io.github.ies.geometry.Orientation.validCodes(e.getAsString())) {
                throw new BundleException(where + ": key \"orientation\" must be 3 axis codes such as \"RAS\" or \"LPS\" (one of L/R, P/A, "
                        + "I/S each), got " + describe(e));
            }
            orientation = e.getAsString();
        }
        double[] spacing = null;
        e = o.get("spacing");
        if (e != null && !e.isJsonNull()) {
            JsonArray a = e.isJsonArray() ? e.getAsJsonArray() : null;
            boolean ok = a != null && a.size() == 3;
            if (ok) {
                spacing = new double[3];
                for (int d = 0; d < 3; d++) {
                    JsonElement x = a.get(d);
                    ok &= x.isJsonPrimitive() && x.getAsJsonPrimitive().isNumber() && x.getAsDouble() > 0 && Double.isFinite(x.getAsDouble());
                    if (ok) spacing[d] = x.getAsDouble();
                }
            }
            if (!ok) {
                throw new BundleException(where + ": key \"spacing\" must be an array of 3 positive numbers (mm per model-grid axis), got "
                        + (a == null ? describe(e) : e.toString()));
            }
        }
        double tol = number(o, "spacing_tolerance", ModelGeometry.DEFAULT_SPACING_TOLERANCE, where);
        if (!(tol >= 0) || Double.isInfinite(tol)) throw new BundleException(where + ": \"spacing_tolerance\" must be >= 0 (mm), got " + tol);
        return new ModelGeometry(orientation, spacing, tol);
    }

    private static int[] patchSize(JsonObject o, String where) throws BundleException {
        JsonElement e = get(o, "patch_size", true, where);
        JsonArray a = e.isJsonArray() ? e.getAsJsonArray() : null;
        if (a == null || a.size() != 3) {
            throw new BundleException(where + ": key \"patch_size\" must be an array of 3 positive integers (i, j, k), got "
                    + (a == null ? describe(e) : e.toString()));
        }
        int[] p = new int[3];
        for (int d = 0; d < 3; d++) {
            JsonElement x = a.get(d);
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber() || x.getAsDouble() != Math.rint(x.getAsDouble())
                    || x.getAsDouble() < 1 || x.getAsDouble() > 4096) {
                throw new BundleException(where + ": key \"patch_size\" must be an array of 3 positive integers (i, j, k), got " + e);
            }
            p[d] = x.getAsInt();
        }
        return p;
    }

    // ---- zip ----
    /** The most a bundle zip may extract to (a zip bomb would otherwise fill the disk). */
    static final long MAX_EXTRACTED = 4L << 30;

    private static long copyLimited(InputStream in, Path target, long left, Path zip) throws IOException {
        long n = 0;
        byte[] b = new byte[1 << 16];
        try (java.io.OutputStream o = Files.newOutputStream(target)) {
            for (int r; (r = in.read(b)) > 0; ) {
                n += r;
                if (n > left) {
                    throw new BundleException("model bundle " + zip + " extracts to more than " + (MAX_EXTRACTED >> 30)
                            + " GB: not a model bundle (a damaged or hostile zip)");
                }
                o.write(b, 0, r);
            }
        }
        return n;
    }

    private static Path extract(Path zip) throws IOException {
        long total = 0;
        Path dir = Files.createTempDirectory("ies-bundle-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> io.github.ies.io.OutputFolder.deleteTree(dir)));
        try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry ze; (ze = zin.getNextEntry()) != null; ) {
                Path target = dir.resolve(ze.getName()).normalize();
                if (!target.startsWith(dir)) throw new BundleException("model bundle " + zip + ": bad entry name " + ze.getName());
                if (ze.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    total += copyLimited(zin, target, MAX_EXTRACTED - total, zip);
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new BundleException("model bundle " + zip + " is not a readable zip file: " + e.getMessage(), e);
        }
        if (Files.isRegularFile(dir.resolve(META_FILE))) return dir;
        // a zip of the folder itself: one top-level folder holding the files
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> top = s.filter(Files::isDirectory).toList();
            if (top.size() == 1 && Files.isRegularFile(top.get(0).resolve(META_FILE))) return top.get(0);
        }
        throw new BundleException("model bundle " + zip + " has no " + META_FILE + " (at its root or in one top folder)");
    }

}
