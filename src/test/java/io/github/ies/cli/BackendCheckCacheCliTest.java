package io.github.ies.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.fiji.FijiCommandsTest;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.model.BackendCheckCache;
import io.github.ies.model.GradientCheck;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.Assert.*;

/**
 * {@code ies explain} twice on the same model and shapes: the second run takes the self-check's verdicts from the disk
 * cache (run.json says so per shape, and no check runs), {@code --recheck} runs them again (issue 25).
 */
public class BackendCheckCacheCliTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @After
    public void noDiskCache() {
        System.clearProperty(BackendCheckCache.PROPERTY);
        GradientCheck.clearCache();
    }

    private JsonArray explain(Path flair, Path mprage, String out, String... extra) throws Exception {
        GradientCheck.clearCache();   // a new process
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("explain", "--model", CliTestBase.tinyBundle(),
                "--input", "FLAIR=" + flair, "--input", "MPRAGE=" + mprage, "--device", "cpu", "--lesions", "1", "--samples", "1",
                "--methods", "smoothgrad-max", "--quiet", "--out", tmp.getRoot().toPath().resolve(out).toString()));
        a.addAll(java.util.List.of(extra));
        assertEquals(0, IesCli.execute(a.toArray(new String[0])));
        JsonObject run = JsonParser.parseString(Files.readString(tmp.getRoot().toPath().resolve(out).resolve("run.json"))).getAsJsonObject();
        JsonArray checks = run.getAsJsonObject("backend_check").getAsJsonArray("checks");
        assertTrue(run.toString(), checks.size() > 0);
        return checks;
    }

    private static void assertAll(String what, JsonArray checks, boolean fromCache) {
        for (JsonElement c : checks) assertEquals(what + ": " + c, fromCache, c.getAsJsonObject().get("from_cache").getAsBoolean());
    }

    @Test
    public void aSecondExplainSkipsTheCheckAndRecheckRunsIt() throws Exception {
        Path dir = tmp.newFolder("in").toPath(), cache = tmp.newFolder("cache").toPath();
        Path flair = dir.resolve("f.nii.gz"), mprage = dir.resolve("m.nii.gz");
        Nifti.write(FijiCommandsTest.volume(11), flair, NiftiDataType.FLOAT32);
        Nifti.write(FijiCommandsTest.volume(12), mprage, NiftiDataType.FLOAT32);
        System.setProperty(BackendCheckCache.PROPERTY, cache.toString());
        int runs = GradientCheck.checksRun();
        JsonArray first = explain(flair, mprage, "a");
        assertAll("first run", first, false);
        int checked = GradientCheck.checksRun() - runs;
        assertEquals(first.size(), checked);
        JsonArray second = explain(flair, mprage, "b");
        assertAll("second run", second, true);
        assertEquals("no check ran", runs + checked, GradientCheck.checksRun());
        assertEquals(first.size(), second.size());
        JsonArray again = explain(flair, mprage, "c", "--recheck");
        assertAll("--recheck", again, false);
        assertEquals(runs + 2 * checked, GradientCheck.checksRun());
        // --recheck asks for the check --no-backend-check skips: a usage error
        assertEquals(IesCli.EXIT_USAGE, IesCli.execute("explain", "--model", CliTestBase.tinyBundle(), "--input", "FLAIR=" + flair,
                "--input", "MPRAGE=" + mprage, "--recheck", "--no-backend-check", "--quiet", "--out", tmp.getRoot().toPath().resolve("d").toString()));
    }
}
