package io.github.ies.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class PhantomCommandTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final StringWriter err = new StringWriter(), out = new StringWriter();

    private int run(String... args) {
        CommandLine cl = IesCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        return cl.execute(args);
    }

    @Test
    public void writesTheSubject() throws Exception {
        Path dir = tmp.getRoot().toPath().resolve("subj");
        int rc = run("phantom", "--out", dir.toString(), "--seed", "3", "--shape", "48,56,48", "--spacing", "4",
                "--lesions", "6");
        assertEquals(err.toString(), 0, rc);
        for (String f : new String[] {"flair.nii.gz", "mprage.nii.gz", "lesions.nii.gz", "brainmask.nii.gz",
                "tissues.nii.gz", "phantom.json"}) {
            assertTrue(f, Files.isRegularFile(dir.resolve(f)));
        }
        Volume flair = Nifti.read(dir.resolve("flair.nii.gz"));
        assertArrayEquals(new int[] {48, 56, 48}, flair.dims());
        assertArrayEquals(new double[] {4, 4, 4}, flair.spacing(), 1e-6);
        JsonObject json = JsonParser.parseString(new String(Files.readAllBytes(dir.resolve("phantom.json")),
                StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals(3, json.get("seed").getAsLong());
        assertEquals("ies-phantom/1", json.get("format").getAsString());
        assertEquals(1, json.get("version").getAsInt());
        assertEquals(4.0, json.get("spacing_mm").getAsDouble(), 0);
        assertEquals(json.get("lesion_count").getAsInt(), json.getAsJsonArray("lesions").size());
        assertTrue(out.toString().contains("lesions"));
        try (var s = Files.list(dir)) {
            assertFalse("no temporary files left", s.anyMatch(p -> p.getFileName().toString().endsWith(".part")));
        }
    }

    @Test
    public void neverOverwritesAUsersScans() throws Exception {
        Path subject = tmp.getRoot().toPath().resolve("subject");
        Files.createDirectories(subject);
        Files.writeString(subject.resolve("flair.nii.gz"), "the user's own FLAIR");
        String[] args = {"phantom", "--out", subject.toString(), "--seed", "3", "--shape", "32,32,32", "--spacing", "4", "--lesions", "2", "-q"};
        assertEquals(1, run(args));
        assertTrue(err.toString(), err.toString().contains("flair.nii.gz") && err.toString().contains("nothing was changed"));
        assertEquals("the user's own FLAIR", Files.readString(subject.resolve("flair.nii.gz")));
        try (var s = Files.list(subject)) { assertEquals(1, s.count()); }
        // with --count, one refused folder stops the run before any folder is written
        Path many = tmp.getRoot().toPath().resolve("many-user");
        Files.createDirectories(many.resolve("seed-4"));
        Files.writeString(many.resolve("seed-4").resolve("lesions.nii.gz"), "the user's own labels");
        assertEquals(1, run("phantom", "--out", many.toString(), "--seed", "3", "--count", "2", "--shape", "32,32,32", "--spacing", "4", "-q"));
        assertFalse(Files.exists(many.resolve("seed-3")));
        assertEquals("the user's own labels", Files.readString(many.resolve("seed-4").resolve("lesions.nii.gz")));
        // a phantom stopped half-way (its provisional phantom.json and one volume written) is rewritten by the next run
        Path half = tmp.getRoot().toPath().resolve("half");
        Files.createDirectories(half);
        Files.writeString(half.resolve("phantom.json"), "{\"format\": \"ies-phantom/1\", \"status\": \"being written\"}");
        Files.writeString(half.resolve("flair.nii.gz"), "half");
        assertEquals(err.toString(), 0, run("phantom", "--out", half.toString(), "--seed", "3", "--shape", "32,32,32", "--spacing", "4", "-q"));
        assertEquals(32, Nifti.read(half.resolve("flair.nii.gz")).dims()[0]);
        // an earlier phantom's folder is rewritten
        Path again = tmp.getRoot().toPath().resolve("again");
        args[2] = again.toString();
        assertEquals(0, run(args));
        assertEquals(0, run(args));
    }

    @Test
    public void countWritesOneFolderPerSeedWithTheSameBytesAsSingleRuns() throws Exception {
        Path many = tmp.getRoot().toPath().resolve("many"), one = tmp.getRoot().toPath().resolve("one");
        String[] common = {"--shape", "40,48,40", "--spacing", "4", "--lesions", "4", "-q"};
        assertEquals(err.toString(), 0, run(concat(new String[] {"phantom", "--out", many.toString(), "--seed", "10",
            "--count", "2"}, common)));
        assertEquals(err.toString(), 0, run(concat(new String[] {"phantom", "--out", one.toString(), "--seed", "11"},
                common)));
        assertTrue(Files.isDirectory(many.resolve("seed-10")));
        for (String f : new String[] {"flair.nii.gz", "lesions.nii.gz", "phantom.json"}) {
            assertArrayEquals(f, Files.readAllBytes(one.resolve(f)), Files.readAllBytes(many.resolve("seed-11").resolve(f)));
        }
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(many.resolve("seed-10").resolve("flair.nii.gz")),
                Files.readAllBytes(many.resolve("seed-11").resolve("flair.nii.gz"))));
        assertEquals("quiet", "", out.toString());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private void assertUsage(String expectedInMessage, String... args) {
        int rc = run(args);
        assertEquals(err.toString(), IesCli.EXIT_USAGE, rc);
        assertTrue(err.toString(), err.toString().contains(expectedInMessage));
    }

    @Test
    public void badArgumentsAreUsageErrors() {
        String o = tmp.getRoot().toPath().resolve("x").toString();
        assertUsage("32", "phantom", "--out", o, "--seed", "1", "--shape", "31,64,64");
        assertUsage("shape", "phantom", "--out", o, "--seed", "1", "--shape", "64,64");
        assertUsage("shape", "phantom", "--out", o, "--seed", "1", "--shape", "a,b,c");
        assertUsage("spacing", "phantom", "--out", o, "--seed", "1", "--spacing", "0");
        assertUsage("spacing", "phantom", "--out", o, "--seed", "1", "--spacing", "-2");
        assertUsage("lesion", "phantom", "--out", o, "--seed", "1", "--lesions", "-1");
        assertUsage("--count", "phantom", "--out", o, "--seed", "1", "--count", "0");
        assertUsage("--seed", "phantom", "--out", o);
        assertUsage("--out", "phantom", "--seed", "1");
        assertFalse("nothing written on bad usage", Files.exists(tmp.getRoot().toPath().resolve("x")));
    }

    @Test
    public void realisticStyleWritesItsGridAndConfounders() throws Exception {
        Path dir = tmp.getRoot().toPath().resolve("real");
        // no --shape: the realistic style's 192x224x192 mm field of view at 4 mm
        int rc = run("phantom", "--style", "realistic", "--out", dir.toString(), "--seed", "3", "--spacing", "4",
                "--lesions", "6");
        assertEquals(err.toString(), 0, rc);
        Volume flair = Nifti.read(dir.resolve("flair.nii.gz"));
        assertArrayEquals(new int[] {48, 56, 48}, flair.dims());
        assertTrue(Files.isRegularFile(dir.resolve("confounders.nii.gz")));
        JsonObject json = JsonParser.parseString(new String(Files.readAllBytes(dir.resolve("phantom.json")),
                StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("realistic", json.get("style").getAsString());
        assertTrue(out.toString(), out.toString().contains("realistic style"));
        // the same folder rewritten as a classic phantom: the realistic run's confounders go with it
        assertEquals(err.toString(), 0, run("phantom", "--out", dir.toString(), "--seed", "3", "--shape", "32,32,32",
                "--spacing", "4", "-q"));
        assertFalse(Files.exists(dir.resolve("confounders.nii.gz")));
        assertFalse(JsonParser.parseString(Files.readString(dir.resolve("phantom.json"))).getAsJsonObject().has("style"));
    }

    @Test
    public void badStyleOrRealisticSpacingAreUsageErrors() {
        String o = tmp.getRoot().toPath().resolve("x").toString();
        assertUsage("use classic or realistic", "phantom", "--out", o, "--seed", "1", "--style", "fancy");
        assertUsage("--spacing 0.2 gives", "phantom", "--out", o, "--seed", "1", "--style", "realistic", "--spacing", "0.2");
        assertUsage("--spacing 20 gives", "phantom", "--out", o, "--seed", "1", "--style", "realistic", "--spacing", "20");
        assertUsage("spacing", "phantom", "--out", o, "--seed", "1", "--style", "realistic", "--spacing", "0");
        assertFalse("nothing written on bad usage", Files.exists(tmp.getRoot().toPath().resolve("x")));
    }

    @Test
    public void outputThatIsAFileIsRefused() throws Exception {
        Path f = tmp.newFile("afile").toPath();
        assertUsage("not a folder", "phantom", "--out", f.toString(), "--seed", "1");
    }
}
