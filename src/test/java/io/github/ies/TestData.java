package io.github.ies;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Reading the test fixtures the Python scripts write (scripts/fixtures/): one place for every test package. */
public final class TestData {

    private TestData() { }

    /** A test resource ({@code /model/...}, {@code /saliency/...}) as a path. */
    public static Path resource(String absolute) {
        try {
            java.net.URL u = TestData.class.getResource(absolute);
            if (u == null) throw new IllegalStateException("no test resource " + absolute + " (run the fixture scripts in scripts/fixtures/)");
            return Paths.get(u.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A raw little-endian float32 array (numpy's {@code astype("<f4").tofile}). */
    public static float[] float32(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        if (b.length % 4 != 0) throw new IOException(file + ": " + b.length + " bytes is not a float32 array");
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }
}
