package io.github.ies.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Reads the fixtures written by scripts/fixtures/make_model_fixtures.py. */
final class Fixtures {
    private Fixtures() { }

    static Path resource(String rel) {
        try {
            return Paths.get(Fixtures.class.getResource("/model/" + rel).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path tinyBundle() { return resource("tiny-bundle"); }

    static JsonObject index() throws IOException {
        return JsonParser.parseString(Files.readString(resource("fixtures.json"), StandardCharsets.UTF_8)).getAsJsonObject();
    }

    static long[] shape(String rel) throws IOException {
        JsonArray a = index().getAsJsonObject("shapes").getAsJsonArray(rel);
        long[] s = new long[a.size()];
        for (int i = 0; i < s.length; i++) s[i] = a.get(i).getAsLong();
        return s;
    }

    static float[] floats(String rel) throws IOException {
        return io.github.ies.TestData.float32(resource(rel));
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
