package io.github.ies.cli;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;
import org.junit.Rule;
import org.junit.rules.TemporaryFolder;

import java.net.URISyntaxException;
import java.nio.file.Paths;
import java.util.Random;

/** Shared parts of the command-line tests: a temporary folder, an in-process runner, the tiny bundle, test volumes. */
public abstract class CliTestBase {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** Standard error and output of the last {@link #run}. */
    protected String err, out;

    /** Runs {@code ies} in-process; returns the exit code. */
    protected int run(String... args) {
        CliRun r = CliRun.of(args);
        err = r.err;
        out = r.out;
        return r.rc;
    }

    /** The random tiny U-Net bundle of the model fixtures (patch 16). */
    public static String tinyBundle() {
        try {
            return Paths.get(CliTestBase.class.getResource("/model/tiny-bundle").toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A seeded random bright ellipsoid (100-500) in a zero background: a stand-in for a brain. */
    public static Volume blob(int[] dims, Geometry geometry, long seed) {
        return blob(dims, geometry, seed, 0.2);
    }

    /** As {@link #blob(int[], Geometry, long)} with the ellipsoid's squared relative radius {@code r2}. */
    public static Volume blob(int[] dims, Geometry geometry, long seed, double r2) {
        Volume v = Volume.zeros(dims, geometry);
        Random r = new Random(seed);
        for (int k = 0; k < dims[2]; k++)
            for (int j = 0; j < dims[1]; j++)
                for (int i = 0; i < dims[0]; i++) {
                    double di = (i - dims[0] / 2.0) / dims[0], dj = (j - dims[1] / 2.0) / dims[1], dk = (k - dims[2] / 2.0) / dims[2];
                    if (di * di + dj * dj + dk * dk < r2) v.set(i, j, k, (float) (100 + 400 * r.nextDouble()));
                }
        return v;
    }
}
