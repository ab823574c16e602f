package io.github.ies.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import io.github.ies.phantom.PhantomGenerator;
import io.github.ies.phantom.PhantomSpec;
import org.junit.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.junit.Assert.*;

/** {@code ies batch} over three small phantoms and a broken subject: failures, summary, resume after a kill, shards. */
public class BatchCommandTest extends CliTestBase {

    private static int rowOf(LesionTable t, String subject) {
        for (int r = 0; r < t.rowCount(); r++) if (t.get(r, "subject").equals(subject)) return r;
        throw new AssertionError("no row " + subject);
    }

    private Path cohort() throws Exception {
        Path c = tmp.newFolder("cohort").toPath();
        for (int s = 1; s <= 3; s++) {
            PhantomGenerator.generate(new PhantomSpec(100 + s, new int[] {32, 32, 32}, 6.0, 3)).write(c.resolve("sub-0" + s));
        }
        // a broken subject: MPRAGE on another grid
        Path b = Files.createDirectories(c.resolve("sub-04"));
        Files.copy(c.resolve("sub-01/flair.nii.gz"), b.resolve("flair.nii.gz"));
        Nifti.write(Volume.zeros(new int[] {32, 32, 30}, Nifti.read(b.resolve("flair.nii.gz")).geometry()), b.resolve("mprage.nii.gz"),
                NiftiDataType.FLOAT32);
        Files.createDirectories(c.resolve("notes"));          // a folder without images is not a subject
        return c;
    }

    private String[] args(Path cohort, Path outDir, String... extra) {
        String[] base = {"batch", "--subjects", cohort.toString(), "--out", outDir.toString(), "--model", tinyBundle(),
                "--methods", "gradcampp", "--samples", "1", "--device", "cpu", "--threshold", "0.5", "--min-size", "3", "--quiet"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    public void batchReportsFailuresResumesAfterAKillAndShards() throws Exception {
        Path cohort = cohort();
        Path outDir = tmp.getRoot().toPath().resolve("out");
        assertEquals(err, 1, run(args(cohort, outDir)));       // one subject failed: exit 1, the others done
        assertTrue(err, err.contains("1 of 4 subject(s) failed"));
        LesionTable sum = LesionTable.read(outDir.resolve("summary.csv"));
        assertEquals(4, sum.rowCount());
        for (int s = 1; s <= 3; s++) {
            int r = rowOf(sum, "sub-0" + s);
            assertEquals("done", sum.get(r, "status"));
            JsonObject m = JsonParser.parseString(Files.readString(outDir.resolve("sub-0" + s + "/metrics.json"), StandardCharsets.UTF_8))
                    .getAsJsonObject();
            assertEquals(m.get("lesion_tp").getAsInt(), sum.getInt(r, "tp"));
            assertEquals(m.get("lesion_fp").getAsInt(), sum.getInt(r, "fp"));
            assertEquals(m.get("lesion_fn").getAsInt(), sum.getInt(r, "fn"));
            assertEquals(m.get("dice").getAsDouble(), sum.getDouble(r, "dice"), 1e-12);
            LesionTable t = LesionTable.read(outDir.resolve("sub-0" + s + "/lesions.csv"));
            assertEquals(t.rowCount(), sum.getInt(r, "explained"));
            assertTrue(Files.isRegularFile(outDir.resolve("sub-0" + s + "/run.json")));
        }
        int bad = rowOf(sum, "sub-04");
        assertEquals("failed", sum.get(bad, "status"));
        assertTrue(sum.get(bad, "message"), sum.get(bad, "message").contains("differ in dims"));

        // simulate a kill in sub-02: no marker, a partial file and a stale temporary folder
        Path s2 = outDir.resolve("sub-02");
        Files.delete(s2.resolve(BatchCommand.DONE));
        Files.writeString(s2.resolve("saliency/lesion-999_gradcampp_layer.nii.gz"), "partial");
        Files.createDirectories(s2.resolve(".ies-explain-123"));
        FileTime t1 = Files.getLastModifiedTime(outDir.resolve("sub-01/" + BatchCommand.DONE));
        byte[] lesions2 = Files.readAllBytes(s2.resolve("lesions.csv"));
        Thread.sleep(20);
        assertEquals(1, run(args(cohort, outDir)));
        assertEquals(t1, Files.getLastModifiedTime(outDir.resolve("sub-01/" + BatchCommand.DONE)));    // skipped
        assertTrue(Files.isRegularFile(s2.resolve(BatchCommand.DONE)));                                  // redone
        assertFalse(Files.exists(s2.resolve("saliency/lesion-999_gradcampp_layer.nii.gz")));
        assertFalse(Files.exists(s2.resolve(".ies-explain-123")));
        assertArrayEquals(lesions2, Files.readAllBytes(s2.resolve("lesions.csv")));                       // same result
        assertEquals("done", LesionTable.read(outDir.resolve("summary.csv")).get(1, "status"));

        // --shard 2/2 takes subjects 2 and 4 of the sorted cohort; all of them are finished or failed already
        assertEquals(1, run(args(cohort, outDir, "--shard", "2/2", "--skip-failed")));
        LesionTable sh = LesionTable.read(outDir.resolve("summary-2-of-2.csv"));
        assertEquals(2, sh.rowCount());
        assertEquals("sub-02", sh.get(0, "subject"));
        assertEquals("sub-04", sh.get(1, "subject"));
        assertEquals(2, run(args(cohort, outDir, "--shard", "3/2")));
        assertTrue(err, err.contains("--shard must be i/n"));
    }

    @Test
    public void jobsRunWorkerJvmsAndTheParentWritesTheSummary() throws Exception {
        Path c = tmp.newFolder("jobs").toPath();
        for (int s = 1; s <= 2; s++) PhantomGenerator.generate(new PhantomSpec(300 + s, new int[] {32, 32, 32}, 6.0, 2)).write(c.resolve("j" + s));
        Path outDir = tmp.getRoot().toPath().resolve("out-jobs");
        assertEquals(err, 0, run(args(c, outDir, "--jobs", "2")));
        LesionTable sum = LesionTable.read(outDir.resolve("summary.csv"));
        assertEquals(2, sum.rowCount());
        for (int r = 0; r < 2; r++) {
            assertEquals("done", sum.get(r, "status"));
            JsonObject done = JsonParser.parseString(Files.readString(outDir.resolve(sum.get(r, "subject")).resolve(BatchCommand.DONE),
                    StandardCharsets.UTF_8)).getAsJsonObject();
            assertEquals(done.get("seconds").getAsDouble(), sum.getDouble(r, "seconds"), 1e-9);
        }
    }

    @Test
    public void csvCohortWithRelativePaths() throws Exception {
        Path c = tmp.newFolder("csv").toPath();
        PhantomGenerator.generate(new PhantomSpec(7, new int[] {32, 32, 32}, 6.0, 2)).write(c.resolve("a"));
        Files.writeString(c.resolve("cohort.csv"), "subject,flair,mprage,gt\r\np7,a/flair.nii.gz,a/mprage.nii.gz,a/lesions.nii.gz\r\n");
        Path outDir = tmp.getRoot().toPath().resolve("out-csv");
        assertEquals(err, 0, run(args(c.resolve("cohort.csv"), outDir)));
        assertEquals("done", LesionTable.read(outDir.resolve("summary.csv")).get(0, "status"));
        Files.writeString(c.resolve("bad.csv"), "subject,flair\r\nx,a/flair.nii.gz\r\n");
        assertEquals(1, run(args(c.resolve("bad.csv"), outDir)));
        assertTrue(err, err.contains("missing column 'mprage'"));
    }
}
