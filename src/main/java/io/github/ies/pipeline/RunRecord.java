package io.github.ies.pipeline;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.TorchRuntime;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * The {@code run.json} of a run, the same blocks for every command: {@code command}, {@code ies_version},
 * {@code finished}, {@code parameters}, {@code model}, {@code environment}, then the command's own blocks, the
 * {@code warnings} and {@code total_seconds}.
 */
public final class RunRecord {

    private final JsonObject json = new JsonObject();
    private final JsonObject parameters = new JsonObject();
    private final JsonObject tail = new JsonObject();

    public RunRecord(String command, String version) {
        json.addProperty("command", command);
        json.addProperty("ies_version", version);
    }

    /** The {@code parameters} block, to fill. */
    public JsonObject parameters() { return parameters; }

    /** The model block: name, format, SHA-256, patch size and the bundle's segmentation settings. */
    public RunRecord model(ModelBundle b) throws IOException {
        JsonObject m = new JsonObject();
        m.addProperty("name", b.name());
        m.addProperty("format", ModelBundle.FORMAT);
        m.addProperty("model_sha256", b.modelSha256());
        m.add("patch_size", ints(b.patchSize()));
        m.addProperty("overlap", b.overlap());
        m.addProperty("blending", b.blending().key);
        m.addProperty("activation", b.activation().key);
        m.addProperty("normalization", b.normalizationKey());
        m.addProperty("lesion_channel", b.lesionChannel());
        m.addProperty("bundle_threshold", b.threshold());
        m.addProperty("feature_layer", b.featureLayer());
        json.add("model", m);
        return this;
    }

    /** The environment block: the device used, PyTorch threads and the versions of DJL, PyTorch, Java and the OS. */
    public RunRecord environment(String device) {
        JsonObject env = new JsonObject();
        env.addProperty("device", device);
        env.addProperty("threads", TorchRuntime.threads());
        env.addProperty("djl_version", TorchRuntime.djlVersion());
        env.addProperty("pytorch_version", TorchRuntime.pytorchVersion());
        env.addProperty("java_version", System.getProperty("java.version"));
        env.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        json.add("environment", env);
        return this;
    }

    /** A block of the command's own (after the environment, in the order added). */
    public RunRecord add(String key, JsonElement value) {
        tail.add(key, value);
        return this;
    }

    /** The finished record, pretty-printed, with the warnings and the total seconds. */
    public String toJson(List<String> warnings, double totalSeconds) {
        JsonObject out = new JsonObject();
        out.add("command", json.get("command"));
        out.add("ies_version", json.get("ies_version"));
        out.addProperty("finished", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());   // millis, not nanoseconds
        out.add("parameters", parameters);
        for (String k : new String[] {"model", "environment"}) if (json.has(k)) out.add(k, json.get(k));
        for (String k : tail.keySet()) out.add(k, tail.get(k));
        JsonArray w = new JsonArray();
        warnings.forEach(w::add);
        out.add("warnings", w);
        out.addProperty("total_seconds", totalSeconds);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create().toJson(out) + "\n";
    }

    public static JsonArray ints(int[] v) {
        JsonArray a = new JsonArray();
        for (int x : v) a.add(x);
        return a;
    }
}
