package io.github.ies.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.stream.JsonReader;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Messages;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import io.github.ies.phantom.PhantomGenerator;
import io.github.ies.phantom.PhantomSpec;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.junit.Assert.*;

/**
 * The in-process part of issue 12's hostile-input suite (the parts that need a second process are in
 * {@link HostileProcessTest}): every case of the points 1-4 and 6-13 through the command line, each asserting
 * the exit code, the one-line message and that no user file changed.
 */
public class HostileInputTest extends CliTestBase {

    static final int[] DIMS = {20, 18, 17};
    static final Geometry GEOM = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {10, 9, 8});

    static String nanBundle() {
        try {
            return Paths.get(HostileInputTest.class.getResource("/model/nan-bundle").toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path folder(String name) throws IOException {
        return Files.createDirectories(tmp.getRoot().toPath().resolve(name));
    }

    private static Path write(Path p, Volume v, NiftiDataType t) throws IOException {
        Nifti.write(v, p, t);
        return p;
    }

    /** A FLAIR-like and an MPRAGE-like float32 blob in {@code dir}. */
    private Path[] subject(Path dir) throws IOException {
        return new Path[] {write(dir.resolve("flair.nii.gz"), blob(DIMS, GEOM, 1, 0.15), NiftiDataType.FLOAT32),
            write(dir.resolve("mprage.nii.gz"), blob(DIMS, GEOM, 2, 0.15), NiftiDataType.FLOAT32)};
    }

    /** An uncompressed copy of a volume file with header or data bytes patched. */
    private static Path patched(Path dst, Volume v, NiftiDataType t, Consumer<ByteBuffer> patch) throws IOException {
        Nifti.write(v, dst, t);
        byte[] b = Files.readAllBytes(dst);
        patch.accept(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
        Files.write(dst, b);
        return dst;
    }

    private String[] segment(Path flair, Path mprage, Path out, String... extra) {
        String[] base = {"segment", "--model", tinyBundle(), "--input", "FLAIR=" + flair, "--input", "MPRAGE=" + mprage, "--out",
            out.toString(), "--device", "cpu", "--quiet"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    /** SHA-256 of every file under a folder (relative name to hash): the "no user file changed" reference. */
    static Map<String, String> digest(Path dir) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                byte[] h = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
                StringBuilder sb = new StringBuilder();
                for (byte b : h) sb.append(String.format("%02x", b));
                m.put(dir.relativize(p).toString(), sb.toString());
            }
        }
        return m;
    }

    /** The error line: one line, starting with the command's label, saying more than a path. */
    private void oneLineError(String label, String... fragments) {
        String e = err.strip();
        assertEquals("one line: " + e, 1, e.lines().count());
        assertTrue(e, e.startsWith(label + ": error: "));
        String msg = e.substring(label.length() + 9).strip();
        assertFalse("the message is only a path: " + e, msg.matches("[^ ]*"));
        for (String f : fragments) assertTrue("'" + e + "' lacks '" + f + "'", e.contains(f));
    }

    // ---- point 1 ----

    @Test
    public void batchNeverDeletesWhatItDidNotCreate() throws Exception {
        Path c = folder("cohort");
        PhantomGenerator.generate(new PhantomSpec(11, new int[] {32, 32, 32}, 6.0, 2)).write(c.resolve("s1"));
        Map<String, String> before = digest(c);
        assertEquals(6, before.size());
        // the case: --out is the subjects folder
        assertEquals(1, run("batch", "--subjects", c.toString(), "--out", c.toString(), "--model", tinyBundle(), "--quiet"));
        oneLineError("ies batch", "the output folder " + c + " is the input " + c);
        assertEquals(before, digest(c));
        assertEquals(1, run("batch", "--subjects", c.toString(), "--out", c.getParent().toString(), "--model", tinyBundle(), "--quiet"));
        oneLineError("ies batch", "contains the input");
        assertEquals(before, digest(c));

        // an OUT/<subject> folder that ies batch did not make is left alone, and the subject is reported as failed
        Path out = folder("batch-out");
        Files.createDirectories(out.resolve("s1"));
        Files.writeString(out.resolve("s1/notes.txt"), "the user's notes");
        assertEquals(1, run("batch", "--subjects", c.toString(), "--out", out.toString(), "--model", tinyBundle(), "--methods", "gradcampp",
                "--samples", "1", "--device", "cpu", "--quiet"));
        assertEquals("the user's notes", Files.readString(out.resolve("s1/notes.txt")));
        assertEquals(1, Files.list(out.resolve("s1")).count());
        LesionTable sum = LesionTable.read(out.resolve("summary.csv"));
        assertEquals("failed", sum.get(0, "status"));
        assertTrue(sum.get(0, "message"), sum.get(0, "message").contains("was not made by ies batch"));
        assertEquals(before, digest(c));
    }

    // ---- point 2 ----

    @Test
    public void damagedGzipFilesAreRefusedBySegmentAndInfo() throws Exception {
        Path s = folder("gz");
        Path[] in = subject(s);
        byte[] b = Files.readAllBytes(in[0]);
        b[b.length - 8] ^= 1;                                   // the flip: gzip -t reports a CRC error
        Path bad = Files.write(s.resolve("flair-crc.nii.gz"), b);
        assertEquals(1, run("info", bad.toString()));
        oneLineError("ies info", "flair-crc.nii.gz", "CRC32 check failed");
        Path out = s.resolve("out");
        assertEquals(1, run(segment(bad, in[1], out)));
        oneLineError("ies segment", "CRC32 check failed");
        assertFalse(Files.exists(out));
    }

    // ---- point 3 ----

    @Test
    public void nonFiniteVoxelsAreAnErrorOrZeroedWithAWarning() throws Exception {
        Path s = folder("nf");
        Path[] in = subject(s);
        Volume f = Nifti.read(in[0]);
        int idx = f.index(10, 9, 8);
        assertTrue(f.data()[idx] > 0);
        Volume nan = f.copy();
        nan.data()[idx] = Float.NaN;
        Path nanFile = write(s.resolve("flair-nan.nii.gz"), nan, NiftiDataType.FLOAT32);
        Path out = s.resolve("out-nan");
        assertEquals(1, run(segment(nanFile, in[1], out)));
        oneLineError("ies segment", "input FLAIR", "flair-nan.nii.gz", "1 NaN voxel(s)", "i,j,k = 10,9,8", "--non-finite zero");
        assertFalse(Files.exists(out));

        // --non-finite zero: the same result as the file with that voxel set to 0 (the reference), and a warning
        assertEquals(err, 0, run(segment(nanFile, in[1], out, "--non-finite", "zero")));
        assertTrue(err, err.contains("warning: input FLAIR") && err.contains("1 NaN voxel(s)") && err.contains("set to 0"));
        Volume zero = f.copy();
        zero.data()[idx] = 0;
        Path zeroFile = write(s.resolve("flair-zero.nii.gz"), zero, NiftiDataType.FLOAT32);
        Path ref = s.resolve("out-ref");
        assertEquals(err, 0, run(segment(zeroFile, in[1], ref)));
        assertArrayEquals(Nifti.read(ref.resolve("probability.nii.gz")).data(), Nifti.read(out.resolve("probability.nii.gz")).data(), 0f);
        assertTrue(Files.readString(out.resolve("run.json")).contains("1 NaN voxel(s)"));

        // +Inf, scl_slope = 1e38 (every non-zero int16 voxel overflows float32) and a float64 1e300
        Volume inf = f.copy();
        inf.data()[idx] = Float.POSITIVE_INFINITY;
        Path infFile = write(s.resolve("flair-inf.nii"), inf, NiftiDataType.FLOAT32);
        assertEquals(1, run(segment(infFile, in[1], s.resolve("o1"))));
        oneLineError("ies segment", "1 +Infinity voxel(s)");
        Volume ints = f.copy();
        for (int i = 0; i < ints.size(); i++) ints.data()[i] = Math.round(ints.data()[i]);
        Path slope = patched(s.resolve("flair-slope.nii"), ints, NiftiDataType.INT16, b -> b.putFloat(112, 1e38f));
        assertEquals(1, run(segment(slope, in[1], s.resolve("o2"))));
        oneLineError("ies segment", "+Infinity voxel(s)");
        Path f64 = patched(s.resolve("flair-f64.nii"), f, NiftiDataType.FLOAT64, b -> b.putDouble(352 + 8 * idx, 1e300));
        assertEquals(1, run(segment(f64, in[1], s.resolve("o3"))));
        oneLineError("ies segment", "1 +Infinity voxel(s)");
        // the ground truth and the brain mask are checked too
        assertEquals(1, run(segment(in[0], in[1], s.resolve("o4"), "--gt", nanFile.toString())));
        oneLineError("ies segment", "ground truth");
    }

    @Test
    public void aModelThatReturnsNanIsAnErrorOrZeroedWithAWarning() throws Exception {
        Path s = folder("nanmodel");
        Path[] in = subject(s);
        Path out = s.resolve("new/nested/out");
        assertEquals(1, run("segment", "--model", nanBundle(), "--input", "FLAIR=" + in[0], "--input", "MPRAGE=" + in[1], "--out",
                out.toString(), "--device", "cpu", "--quiet"));
        oneLineError("ies segment", "returned non-finite values for finite inputs", "output channel 0", "output channel 1 (the lesion channel)",
                "NaN");
        assertFalse("a failed run leaves no folder it created", Files.exists(s.resolve("new")));

        assertEquals(err, 0, run("segment", "--model", nanBundle(), "--input", "FLAIR=" + in[0], "--input", "MPRAGE=" + in[1], "--out",
                out.toString(), "--device", "cpu", "--quiet", "--non-finite", "zero"));
        assertTrue(err, err.contains("warning: the model nan-where-bright returned non-finite values") && err.contains("set to 0"));
        Volume p = Nifti.read(out.resolve("probability.nii.gz"));
        int nanCount = 0;
        for (float x : p.data()) {
            assertTrue(Float.isFinite(x));
        }
        // the reference: the model returns NaN exactly where the normalised FLAIR exceeds 1.5; those voxels are 0
        float[] x = io.github.ies.model.Normalization.zscoreNonzero(Nifti.read(in[0]).data());
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 1.5f) {
                assertEquals(0f, p.data()[i], 0f);
                nanCount++;
            }
        }
        assertTrue(nanCount > 0);
        assertTrue(err, err.contains(nanCount + " NaN of " + p.size()));
    }

    // ---- points 4 and 9 ----

    @Test
    public void nanAffinesQuaternionsAndPixdimsAreRefusedNamingTheField() throws Exception {
        Path s = folder("geom");
        Path[] in = subject(s);
        Volume f = Nifti.read(in[0]);
        Path nanSrow = patched(s.resolve("flair-srow.nii"), f, NiftiDataType.FLOAT32, b -> b.putFloat(292, Float.NaN));
        assertEquals(1, run(segment(nanSrow, in[1], s.resolve("o"))));
        oneLineError("ies segment", "srow_x[3] is NaN");
        Path nanQuat = patched(s.resolve("flair-quat.nii"), f, NiftiDataType.FLOAT32, b -> b.putFloat(260, Float.NaN));
        assertEquals(1, run(segment(nanQuat, in[1], s.resolve("o"))));
        oneLineError("ies segment", "quatern_c is NaN");
        Path badQuat = patched(s.resolve("flair-q111.nii"), f, NiftiDataType.FLOAT32, b -> {
            b.putFloat(256, 1f);
            b.putFloat(260, 1f);
            b.putFloat(264, 1f);
        });
        assertEquals(1, run("info", badQuat.toString()));
        oneLineError("ies info", "not a rotation");
        Path nanPix = patched(s.resolve("flair-pix.nii"), f, NiftiDataType.FLOAT32, b -> b.putFloat(80, Float.NaN));
        assertEquals(1, run(segment(nanPix, in[1], s.resolve("o"))));
        oneLineError("ies segment", "pixdim[1]", "is NaN");
        Path infPix = patched(s.resolve("gt-pix.nii"), Volume.zeros(DIMS, GEOM), NiftiDataType.UINT8,
                b -> b.putFloat(84, Float.POSITIVE_INFINITY));
        assertEquals(1, run("evaluate", "--pred", infPix.toString(), "--gt", infPix.toString()));
        oneLineError("ies evaluate", "pixdim[2]", "Infinity");
        assertFalse(Files.exists(s.resolve("o")));
    }

    // ---- point 7 ----

    @Test
    public void outputsNeverOverwriteInputs() throws Exception {
        Path s = folder("S");
        Path[] in = subject(s);
        Volume mask = Volume.zeros(DIMS, GEOM);
        for (int i = 0; i < mask.size(); i++) mask.data()[i] = 1;
        Path m = write(s.resolve("mask.nii.gz"), mask, NiftiDataType.UINT8);
        Path gt = write(s.resolve("labels.nii.gz"), Volume.zeros(DIMS, GEOM), NiftiDataType.UINT8);
        Map<String, String> before = digest(s);
        assertEquals(1, run(segment(in[0], in[1], s, "--brain-mask", m.toString(), "--gt", gt.toString())));
        oneLineError("ies segment", "the output folder " + s + " contains the input", "choose a folder that holds none of the inputs");
        assertEquals(before, digest(s));
        assertEquals(1, run(segment(in[0], in[1], in[0])));
        oneLineError("ies segment", "is an existing file");
        assertEquals(1, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + in[0], "--input", "MPRAGE=" + in[1], "--out",
                s.toString(), "--quiet"));
        oneLineError("ies explain", "contains the input");
        assertEquals(before, digest(s));
        // a sub-folder is fine
        assertEquals(err, 0, run(segment(in[0], in[1], s.resolve("seg"), "--brain-mask", m.toString())));
        before.keySet().forEach(k -> assertTrue(Files.exists(s.resolve(k))));
    }

    // ---- point 8 ----

    @Test
    public void errorsSayWhatIsWrongAndTheOutputFolderIsCheckedBeforeAnyWork() throws Exception {
        Path s = folder("msg");
        Path[] in = subject(s);
        Path file = Files.writeString(s.resolve("existing.txt"), "x");
        assertEquals(1, run(segment(in[0], in[1], file)));
        oneLineError("ies segment", "existing.txt is an existing file", "give the path of a folder");
        assertEquals(1, run(segment(in[0], in[1], file.resolve("out"))));
        oneLineError("ies segment", "is a file, not a folder");
        // a model that cannot even load: the bad output folder is what is reported, so it was checked first
        Path broken = folder("broken-bundle");
        Files.copy(Paths.get(tinyBundle()).resolve("ies-model.json"), broken.resolve("ies-model.json"));
        Files.writeString(broken.resolve("model.pt"), "not torchscript");
        assertEquals(1, run("segment", "--model", broken.toString(), "--input", "FLAIR=" + in[0], "--input", "MPRAGE=" + in[1],
                "--out", file.toString(), "--quiet"));
        oneLineError("ies segment", "is an existing file");
        assertEquals(1, run("explain", "--model", broken.toString(), "--input", "FLAIR=" + in[0], "--input", "MPRAGE=" + in[1],
                "--out", file.toString(), "--quiet"));
        oneLineError("ies explain", "is an existing file");

        // Java's file-system exceptions (their message is only a path) are spelled out
        assertEquals("/x/out: permission denied (check its permissions, or choose another path)",
                Messages.describe(new AccessDeniedException("/x/out")));
        assertEquals("/x/f.nii: no such file or folder (check the path)", Messages.describe(new NoSuchFileException("/x/f.nii")));
        assertEquals("/x/out: already exists (move it away or choose another path)",
                Messages.describe(new FileAlreadyExistsException("/x/out")));
        assertEquals("/x/out: Read-only file system", Messages.describe(new java.nio.file.FileSystemException("/x/out", null,
                "Read-only file system")));
    }

    // ---- point 10 ----

    private static JsonObject strictJson(String s) throws IOException {
        JsonReader r = new JsonReader(new StringReader(s));
        r.setStrictness(com.google.gson.Strictness.STRICT);
        JsonElement e = com.google.gson.internal.Streams.parse(r);
        assertEquals(com.google.gson.stream.JsonToken.END_DOCUMENT, r.peek());
        return e.getAsJsonObject();
    }

    @Test
    public void infoJsonIsStrictJsonWithSpecialValuesAsStrings() throws Exception {
        Path s = folder("info");
        Volume v = Volume.zeros(new int[] {4, 3, 2}, GEOM);
        for (int i = 0; i < v.size(); i++) v.data()[i] = i;
        v.data()[3] = Float.NaN;
        v.data()[5] = Float.POSITIVE_INFINITY;
        Path p = write(s.resolve("inf.nii"), v, NiftiDataType.FLOAT32);
        assertEquals(err, 0, run("info", "--json", p.toString()));
        JsonObject j = strictJson(out.strip());
        assertEquals(0.0, j.get("min").getAsDouble(), 0);
        assertEquals("Infinity", j.get("max").getAsString());
        assertEquals("Infinity", j.get("mean").getAsString());
        assertEquals(1, j.get("nan_voxels").getAsInt());
        assertEquals(1, j.get("inf_voxels").getAsInt());
        v.data()[6] = Float.NEGATIVE_INFINITY;
        write(p, v, NiftiDataType.FLOAT32);
        assertEquals(0, run("info", "--json", p.toString()));
        j = strictJson(out.strip());
        assertEquals("-Infinity", j.get("min").getAsString());
        assertEquals("NaN", j.get("mean").getAsString());     // +Inf and -Inf: the mean is undefined
        java.util.Arrays.fill(v.data(), Float.NaN);
        write(p, v, NiftiDataType.FLOAT32);
        assertEquals(0, run("info", "--json", p.toString()));
        j = strictJson(out.strip());
        assertTrue(j.get("min").isJsonNull() && j.get("max").isJsonNull() && j.get("mean").isJsonNull());
        assertEquals(24, j.get("nan_voxels").getAsInt());
        // the text output counts them too
        assertEquals(0, run("info", p.toString()));
        assertTrue(out, out.contains("24 NaN, 0 +Infinity, 0 -Infinity voxel(s)"));
    }

    // ---- point 11 ----

    @Test
    public void aStaleStagingFolderIsRemovedByTheNextSuccessfulRun() throws Exception {
        Path s = folder("stale");
        Path[] in = subject(s);
        Path out = folder("stale-out");
        Files.createDirectories(out.resolve(".ies-explain-1234/saliency"));
        Files.writeString(out.resolve(".ies-explain-1234/saliency/lesion-1_gradcampp_layer.nii.gz"), "partial");
        Files.createDirectories(out.resolve(".ies-staging-99"));
        assertEquals(err, 0, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + in[0], "--input", "MPRAGE=" + in[1], "--out",
                out.toString(), "--methods", "gradcampp", "--samples", "1", "--device", "cpu", "--quiet"));
        assertTrue(err, err.contains("removed 2 leftover(s) of an interrupted run"));
        try (Stream<Path> l = Files.list(out)) {
            assertTrue(l.noneMatch(p -> p.getFileName().toString().startsWith(".")));
        }
        assertTrue(Files.isRegularFile(out.resolve("run.json")));
    }

    // ---- point 12 ----

    @Test
    public void aFailedExplainLeavesNoFoldersItCreated() throws Exception {
        Path s = folder("fail");
        Path[] in = subject(s);
        Path out = s.resolve("a/b/c");
        assertEquals(1, run("explain", "--model", nanBundle(), "--input", "FLAIR=" + in[0], "--input", "MPRAGE=" + in[1], "--out",
                out.toString(), "--methods", "smoothgrad-max", "--samples", "1", "--device", "cpu", "--quiet"));
        oneLineError("ies explain", "non-finite values");
        assertFalse(Files.exists(s.resolve("a")));
        // an existing output folder is left as it was
        Path existing = folder("fail/existing");
        Files.writeString(existing.resolve("keep.txt"), "k");
        assertEquals(1, run("explain", "--model", nanBundle(), "--input", "FLAIR=" + in[0], "--input", "MPRAGE=" + in[1], "--out",
                existing.toString(), "--methods", "smoothgrad-max", "--samples", "1", "--device", "cpu", "--quiet"));
        assertEquals(java.util.Set.of("keep.txt"), digest(existing).keySet());
        try (Stream<Path> l = Files.list(existing)) {
            assertEquals(1, l.count());
        }
    }

    // ---- point 13 ----

    @Test
    public void misleadingMessagesAreFixed() throws Exception {
        Path s = folder("misc");
        Path[] in = subject(s);
        Path dir = folder("misc/adir.nii.gz");
        assertEquals(1, run(segment(dir, in[1], s.resolve("o"))));
        oneLineError("ies segment", "adir.nii.gz: is a folder, not a NIfTI file");
        assertEquals(1, run("info", "/dev/zero"));
        oneLineError("ies info", "/dev/zero: is not a regular file");
        Path fifo = s.resolve("pipe.nii");
        if (new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0) {
            assertEquals(1, run(segment(fifo, in[1], s.resolve("o"))));
            oneLineError("ies segment", "pipe.nii: is not a regular file");
        }
        assertEquals(1, run(segment(s.resolve("missing.nii.gz"), in[1], s.resolve("o"))));
        oneLineError("ies segment", "missing.nii.gz", "no such file");

        Path u64 = patched(s.resolve("u64.nii"), Nifti.read(in[0]), NiftiDataType.INT64, b -> b.putShort(70, (short) 1280));
        assertEquals(1, run("info", u64.toString()));
        oneLineError("ies info", "unsupported datatype 1280 (uint64)");

        Path notZip = Files.writeString(s.resolve("model.zip"), "this is not a zip file at all");
        assertEquals(1, run(new String[] {"segment", "--model", notZip.toString(), "--input", "FLAIR=" + in[0], "--input",
            "MPRAGE=" + in[1], "--out", s.resolve("o").toString()}));
        oneLineError("ies segment", "is not a zip file");

        // a 4D FLAIR: refused, not silently its first volume
        Volume f = Nifti.read(in[0]);
        Path fourD = patched(s.resolve("flair4d.nii"), f, NiftiDataType.FLOAT32, b -> {
            b.putShort(40, (short) 4);
            b.putShort(48, (short) 1);
        });
        ByteArrayOutputStream two = new ByteArrayOutputStream();
        byte[] one = Files.readAllBytes(fourD);
        ByteBuffer.wrap(one).order(ByteOrder.LITTLE_ENDIAN).putShort(48, (short) 2);
        two.write(one);
        two.write(one, 352, one.length - 352);
        try (GZIPOutputStream g = new GZIPOutputStream(Files.newOutputStream(s.resolve("flair4d.nii.gz")))) {
            g.write(two.toByteArray());
        }
        assertEquals(1, run(segment(s.resolve("flair4d.nii.gz"), in[1], s.resolve("o"))));
        oneLineError("ies segment", "input FLAIR has 2 volumes", "needs one 3D volume", "fslroi");
        assertFalse(Files.exists(s.resolve("o")));
        // a 4D file with a single volume is a 3D volume
        assertEquals(err, 0, run(segment(fourD, in[1], s.resolve("o"))));
    }
}
