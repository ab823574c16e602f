package io.github.ies.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The NIfTI fixtures of src/test/resources/nifti and what nibabel said about them (expected.json). */
public final class Fixtures {

    private Fixtures() {}

    public static Path dir() {
        try {
            return Paths.get(Fixtures.class.getResource("/nifti/expected.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonObject expected() throws IOException {
        return JsonParser.parseString(Files.readString(dir().resolve("expected.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
    }

    public static double[] doubles(JsonArray a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).getAsDouble();
        return d;
    }

    public static double[][] matrix(JsonArray a) {
        double[][] m = new double[a.size()][];
        for (int i = 0; i < m.length; i++) m[i] = doubles(a.get(i).getAsJsonArray());
        return m;
    }

    /** |a - b| <= tol * max(1, |b|). */
    public static boolean close(double a, double b, double tol) {
        return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
    }
}
