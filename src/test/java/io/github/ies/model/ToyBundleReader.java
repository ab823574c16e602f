package io.github.ies.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A made-up model format, to show the bundle-reader seam (issue 21): a folder with {@code toy-model.json}
 * ({@code {"network": "net.ts", "modalities": [...], "roi": [x, y, z], "probability_threshold": t}}) and the
 * TorchScript file it names. It is registered by one line in the test resources'
 * {@code META-INF/services/io.github.ies.model.BundleReader}; nothing else in the project knows it.
 */
public final class ToyBundleReader implements BundleReader {

    static final String META = "toy-model.json";

    @Override
    public boolean accepts(Path folder) {
        return Files.isRegularFile(folder.resolve(META));
    }

    @Override
    public String expects() {
        return META + " and the TorchScript file it names (the toy format of the tests)";
    }

    @Override
    public ModelBundle read(Path path, Path folder) throws IOException {
        JsonObject toy = JsonParser.parseString(Files.readString(folder.resolve(META), StandardCharsets.UTF_8)).getAsJsonObject();
        JsonObject ies = new JsonObject();
        ies.addProperty("format", ModelBundle.FORMAT);
        ies.addProperty("name", "toy:" + folder.getFileName());
        ies.add("inputs", toy.getAsJsonArray("modalities"));
        ies.addProperty("normalization", "zscore-nonzero");
        JsonArray roi = toy.getAsJsonArray("roi");
        ies.add("patch_size", roi);
        ies.addProperty("activation", "softmax");
        ies.addProperty("lesion_channel", 1);
        ies.addProperty("threshold", toy.get("probability_threshold").getAsDouble());
        return ModelBundle.of(path, folder, folder.resolve(toy.get("network").getAsString()), ies);
    }
}
