package io.github.ies.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The backend self-check's results kept on disk, so that a machine pays each check once, not every process
 * (issue 25). One file per check, {@code <sha256 of the key>.json}, in the user's cache folder
 * ({@code $XDG_CACHE_HOME/ies/backend-check}, else {@code ~/.cache/ies/backend-check}; the system property
 * {@value #PROPERTY} or the environment variable {@value #ENV} names another folder, or {@code off}).
 *
 * <p>The key holds everything a verdict depends on: the check's format ({@link #FORMAT}: results of an older check,
 * such as those from before libtorch's allocator junk fill, are not trusted), the model file's sha256, the input
 * shape, batch size and precision, the device, the CPU (model name and flags from /proc/cpuinfo on Linux; os.arch
 * and the processor count elsewhere), libtorch's version, the gradient backend and whether the junk fill was on. An
 * entry whose JSON is bad, or whose key or format differs from the one asked for, is ignored (one warning line, the
 * check runs again and its result replaces the entry). Entries are written to a temporary file in the folder and
 * moved into place, so no reader sees half an entry; the cache creates only its own entries and temporary files
 * and deletes nothing else.
 */
public final class BackendCheckCache {

    /** The check's format: changes whenever a verdict of an earlier check may no longer hold. 2: junk fill (issue 25). */
    public static final int FORMAT = 2;
    public static final String PROPERTY = "ies.backend_check.cache";
    public static final String ENV = "IES_BACKEND_CHECK_CACHE";

    private static final Gson GSON = new GsonBuilder().serializeNulls().setPrettyPrinting().create();

    private BackendCheckCache() {}

    /** The cache folder, or null when the cache is off. */
    public static Path folder() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) v = System.getenv(ENV);
        if (v != null && !v.isBlank()) return v.trim().equalsIgnoreCase("off") ? null : Paths.get(v.trim());
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Paths.get(xdg).isAbsolute() ? Paths.get(xdg)
                : Paths.get(System.getProperty("user.home"), ".cache");
        return base.resolve("ies").resolve("backend-check");
    }

    /** The CPU as the key names it: "model name" and "flags" of /proc/cpuinfo on Linux, else os.arch and the processors. */
    public static String cpu() {
        String cached = cpu;
        if (cached != null) return cached;
        String model = null, flags = null;
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                int c = line.indexOf(':');
                if (c < 0) continue;
                String k = line.substring(0, c).trim(), v = line.substring(c + 1).trim();
                if (model == null && k.equals("model name")) model = v;
                if (flags == null && (k.equals("flags") || k.equals("Features"))) flags = v;
                if (model != null && flags != null) break;
            }
        } catch (IOException | RuntimeException e) {
            model = null;
        }
        cached = model != null || flags != null
                ? (model == null ? "?" : model) + "; flags " + (flags == null ? "?" : flags)
                : System.getProperty("os.arch") + "; " + Runtime.getRuntime().availableProcessors() + " processors";
        cpu = cached;
        return cached;
    }

    private static volatile String cpu;

    /** The key of a check (see the class comment). */
    static JsonObject key(String modelSha256, int[] shape, int batch, boolean float64, String device, String cpu,
            String libtorch, String gradients, boolean junkFill) {
        JsonObject k = new JsonObject();
        k.addProperty("format", FORMAT);
        k.addProperty("model_sha256", modelSha256);
        JsonArray s = new JsonArray();
        for (int v : shape) s.add(v);
        k.add("shape", s);
        k.addProperty("batch", batch);
        k.addProperty("precision", float64 ? "float64" : "float32");
        k.addProperty("device", device);
        k.addProperty("cpu", cpu);
        k.addProperty("libtorch", libtorch);
        k.addProperty("gradients", gradients);
        k.addProperty("junk_fill", junkFill);
        return k;
    }

    /** The entry's file for a key. */
    static Path file(Path folder, JsonObject key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.toString().getBytes(StandardCharsets.UTF_8));
            return folder.resolve(HexFormat.of().formatHex(h) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A lookup: the stored result (null when absent or ignored) and the warning line when an entry was ignored. */
    static final class Lookup {
        final GradientCheck.Result result;
        final String warning;

        Lookup(GradientCheck.Result result, String warning) {
            this.result = result;
            this.warning = warning;
        }
    }

    /** Reads the entry for {@code key}: absent gives nothing; a bad, foreign or older entry gives a warning. */
    static Lookup read(Path folder, JsonObject key) {
        Path f = file(folder, key);
        String text;
        try {
            text = Files.readString(f, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Lookup(null, null);
        } catch (IOException | RuntimeException e) {
            return new Lookup(null, "gradient self-check: cache entry " + f + " unreadable (" + e + "); checking again");
        }
        try {
            JsonObject o = JsonParser.parseString(text).getAsJsonObject();
            JsonElement k = o.get("key");
            if (k == null || !k.isJsonObject()) throw new IllegalArgumentException("no key");
            if (!key.equals(k)) {
                JsonElement fmt = k.getAsJsonObject().get("format");
                String why = fmt == null || !fmt.isJsonPrimitive() || fmt.getAsInt() != FORMAT
                        ? "written by check format " + (fmt == null ? "?" : fmt) + ", this is " + FORMAT
                        : "its key is another check's";
                return new Lookup(null, "gradient self-check: cache entry " + f + " ignored (" + why + "); checking again");
            }
            return new Lookup(fromJson(o.getAsJsonObject("result")), null);
        } catch (RuntimeException e) {
            return new Lookup(null, "gradient self-check: cache entry " + f + " ignored (not a valid entry: "
                    + TorchModel.firstLine(String.valueOf(e.getMessage())) + "); checking again");
        }
    }

    /**
     * Writes the entry atomically (a temporary file in the folder, then moved over the entry); returns a warning line
     * when it could not be written (the run goes on), else null.
     */
    static String write(Path folder, JsonObject key, GradientCheck.Result r) {
        Path f = file(folder, key), tmp = null;
        try {
            Files.createDirectories(folder);
            JsonObject o = new JsonObject();
            o.add("key", key);
            o.add("result", toJson(r));
            tmp = Files.createTempFile(folder, ".entry-", ".tmp");
            Files.writeString(tmp, GSON.toJson(o) + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            return null;
        } catch (IOException | RuntimeException e) {
            return "gradient self-check: could not store the result in " + folder + " (" + e + "); the next process checks again";
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);   // our own temporary file
                } catch (IOException ignored) {
                    // left behind: a hidden .tmp file, never read as an entry
                }
            }
        }
    }

    static JsonObject toJson(GradientCheck.Result r) {
        JsonObject o = new JsonObject();
        JsonArray s = new JsonArray();
        for (int v : r.shape) s.add(v);
        o.add("shape", s);
        o.addProperty("batch", r.batch);
        o.addProperty("default_kernels", r.defaultKernels);
        o.addProperty("reference_kernels", r.referenceKernels);
        o.addProperty("batched", r.batched);
        o.addProperty("kernel_error", finiteOrNull(r.kernelError));
        o.addProperty("adjoint_error", finiteOrNull(r.adjointError));
        o.addProperty("finite_difference_error", finiteOrNull(r.fdError));
        o.addProperty("batch_error", finiteOrNull(r.batchError));
        JsonArray n = new JsonArray();
        r.notes.forEach(n::add);
        o.add("notes", n);
        o.addProperty("seconds", r.checkSeconds);   // what the check took
        return o;
    }

    static GradientCheck.Result fromJson(JsonObject o) {
        JsonArray s = o.getAsJsonArray("shape");
        int[] shape = new int[s.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = s.get(i).getAsInt();
        List<String> notes = new ArrayList<>();
        for (JsonElement e : o.getAsJsonArray("notes")) notes.add(e.getAsString());
        GradientCheck.Result r = new GradientCheck.Result(shape, o.get("batch").getAsInt(), bool(o, "default_kernels"),
                bool(o, "reference_kernels"), bool(o, "batched"), num(o, "kernel_error"), num(o, "adjoint_error"),
                num(o, "finite_difference_error"), num(o, "batch_error"), notes);
        r.checkSeconds = o.get("seconds").getAsDouble();
        return r;
    }

    private static Boolean bool(JsonObject o, String k) {
        if (!o.has(k)) throw new IllegalArgumentException("no " + k);
        JsonElement e = o.get(k);
        return e.isJsonNull() ? null : e.getAsBoolean();
    }

    private static double num(JsonObject o, String k) {
        if (!o.has(k)) throw new IllegalArgumentException("no " + k);
        JsonElement e = o.get(k);
        return e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }

    private static Double finiteOrNull(double v) { return Double.isFinite(v) ? v : null; }
}
