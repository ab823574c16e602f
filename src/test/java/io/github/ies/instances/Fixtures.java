package io.github.ies.instances;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Access to the committed fixtures in src/test/resources/instances (made by scripts/fixtures/make_label_fixtures.py). */
final class Fixtures {
    private Fixtures() {}

    static Path path(String name) {
        URL u = Fixtures.class.getResource("/instances/" + name);
        if (u == null) throw new IllegalStateException("missing test fixture instances/" + name);
        try {
            return Paths.get(u.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonObject json(String name) throws IOException {
        return JsonParser.parseString(Files.readString(path(name), StandardCharsets.UTF_8)).getAsJsonObject();
    }
}
