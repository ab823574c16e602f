package io.github.ies.cli;

import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * A rerun into a folder an earlier IES run wrote is a fresh result (issue 22): explain with fewer lesions and methods
 * and segment without --gt leave exactly the new run's files (plus a user's own files), and the report on the folder
 * shows exactly the new run, even when an older version left the earlier run's files beside it.
 */
public class RerunTest extends CliTestBase {

    static final int[] DIMS = {16, 20, 12};
    static final Geometry GEOM = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {-10, 4, 7});

    private Path f, m, lab;

    private void inputs() throws Exception {
        Path d = tmp.getRoot().toPath();
        f = d.resolve("flair.nii.gz");
        m = d.resolve("mprage.nii.gz");
        Nifti.write(blob(DIMS, GEOM, 1), f, NiftiDataType.FLOAT32);
        Nifti.write(blob(DIMS, GEOM, 2), m, NiftiDataType.FLOAT32);
        Volume v = Volume.zeros(DIMS, GEOM);
        for (int i = 6; i <= 8; i++) for (int j = 9; j <= 10; j++) v.set(i, j, 6, 7f);   // id 7
        v.set(3, 4, 3, 2f);                                                               // id 2
        v.set(3, 5, 3, 2f);
        lab = d.resolve("labels.nii.gz");
        Nifti.write(v, lab, NiftiDataType.INT32);
    }

    /** Every file in a folder, relative, '/'-separated (hidden ones too). */
    static Set<String> files(Path dir) throws Exception {
        Set<String> s = new TreeSet<>();
        try (Stream<Path> w = Files.walk(dir)) {
            w.filter(Files::isRegularFile).forEach(p -> s.add(dir.relativize(p).toString().replace('\\', '/')));
        }
        return s;
    }

    private String[] explain(Path out, String lesions, String methods, boolean gt) {
        List<String> a = new java.util.ArrayList<>(List.of("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m,
                "--labels", lab.toString(), "--lesions", lesions, "--methods", methods, "--samples", "2", "--out", out.toString(), "--device", "cpu",
                "--quiet"));
        if (gt) a.addAll(List.of("--gt", lab.toString(), "--tn-spheres", "1"));
        return a.toArray(new String[0]);
    }

    @Test
    public void explainRerunWithFewerLesionsAndMethodsLeavesExactlyTheNewRun() throws Exception {
        inputs();
        Path ex = tmp.getRoot().toPath().resolve("explain");
        assertEquals(err, 0, run(explain(ex, "2,7", "smoothgrad-max,smoothgrad-mean,gradcampp", true)));
        Set<String> first = files(ex);
        assertTrue(first.toString(), first.contains("metrics.json") && first.contains("tn_spheres.nii.gz")
                && first.contains("saliency/" + ExplainLayout.mapName(2, "smoothgrad-max", "flair", false))
                && first.contains("saliency/" + ExplainLayout.mapName(7, "gradcampp", "layer", false)));
        Files.writeString(ex.resolve("notes.txt"), "my notes");                       // a user's files: never touched
        Files.writeString(ex.resolve("saliency").resolve("my-overlay.txt"), "mine");
        // the report in its default place (the explain folder) is one of the run's outputs: the rerun replaces it too
        assertEquals(err, 0, run("report", "--explain-dir", ex.toString(), "--quiet"));
        assertTrue(Files.isRegularFile(ex.resolve("report.html")));
        assertTrue(com.google.gson.JsonParser.parseString(Files.readString(ex.resolve("run.json"))).getAsJsonObject()
                .getAsJsonArray("outputs").contains(new com.google.gson.JsonPrimitive("report.html")));

        assertEquals(err, 0, run(explain(ex, "7", "smoothgrad-max", false)));
        Set<String> expected = new TreeSet<>(List.of("labels.nii.gz", "lesions.csv", "run.json", "notes.txt",
                "saliency/my-overlay.txt",
                "saliency/lesion-007_smoothgrad-max_flair.nii.gz", "saliency/lesion-007_smoothgrad-max_mprage.nii.gz"));
        assertEquals(expected, files(ex));
        assertEquals("my notes", Files.readString(ex.resolve("notes.txt")));
        // run.json lists exactly the run's outputs
        Set<String> listed = new TreeSet<>();
        com.google.gson.JsonParser.parseString(Files.readString(ex.resolve("run.json"))).getAsJsonObject().getAsJsonArray("outputs")
                .forEach(e -> listed.add(e.getAsString()));
        Set<String> outputs = new TreeSet<>(expected);
        outputs.removeAll(List.of("notes.txt", "saliency/my-overlay.txt"));
        assertEquals(outputs, listed);

        // the report shows exactly the new run: lesion 7 only, no metrics
        Path rep = tmp.getRoot().toPath().resolve("r1.html");
        assertEquals(err, 0, run("report", "--explain-dir", ex.toString(), "--out", rep.toString(), "--quiet"));
        String clean = Files.readString(rep);
        assertTrue(clean.contains("-lesion-7\""));
        // SmoothGrad ranges: one for both channels by default (FLAIR and MPRAGE comparable by colour), per channel on request
        assertTrue(clean.contains("SmoothGrad-max one range for all lesions and both channels"));
        Path perChannel = tmp.getRoot().toPath().resolve("r-per-channel.html");
        assertEquals(err, 0, run("report", "--explain-dir", ex.toString(), "--out", perChannel.toString(), "--per-channel-ranges", "--quiet"));
        String pc = Files.readString(perChannel);
        assertTrue(pc.contains("SmoothGrad-max one range for all lesions and each channel its own"));
        assertFalse(pc.contains("all lesions and both channels"));
        assertNotEquals("the FLAIR and MPRAGE rows are drawn with other ranges", images(clean), images(pc));
        assertFalse(clean.contains("-lesion-2\""));
        assertFalse(clean.contains(": metrics.json</summary>"));

        // a folder of an older version: the earlier run's maps and metrics.json still beside the new run's (no "outputs");
        // the report reads only what run.json lists, so it draws the same figure and no metrics
        Path old = tmp.getRoot().toPath().resolve("old");
        assertEquals(err, 0, run(explain(old, "2,7", "smoothgrad-max,smoothgrad-mean,gradcampp", true)));
        Path polluted = tmp.getRoot().toPath().resolve("polluted");
        Files.createDirectories(polluted.resolve("saliency"));
        for (String n : files(old)) {
            Files.copy(old.resolve(n), polluted.resolve(n));
        }
        for (String n : files(ex)) {
            if (n.contains("my-") || n.equals("notes.txt")) continue;
            Files.copy(ex.resolve(n), polluted.resolve(n), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        com.google.gson.JsonObject rec = com.google.gson.JsonParser.parseString(Files.readString(polluted.resolve("run.json"))).getAsJsonObject();
        rec.remove("outputs");
        Files.writeString(polluted.resolve("run.json"), rec.toString());
        Path rep2 = tmp.getRoot().toPath().resolve("r2.html");
        assertEquals(err, 0, run("report", "--explain-dir", polluted.toString(), "--out", rep2.toString(), "--quiet"));
        String mixed = Files.readString(rep2);
        assertFalse(mixed.contains(": metrics.json</summary>"));
        assertEquals(images(clean), images(mixed));

        // and a rerun into that older folder removes the earlier run's files too (named as IES names its outputs)
        Files.writeString(polluted.resolve("notes.txt"), "mine");
        assertEquals(err, 0, run(explain(polluted, "7", "smoothgrad-max", false)));
        assertEquals(expected.stream().filter(n -> !n.contains("my-")).collect(java.util.stream.Collectors.toCollection(TreeSet::new)),
                files(polluted));
    }

    private static List<String> images(String html) {
        List<String> out = new java.util.ArrayList<>();
        Matcher x = Pattern.compile("-lesion-\\d+\"><figcaption[^>]*>[^<]*</figcaption><img[^>]*src=\"(data:image/png;base64,[^\"]+)\"").matcher(html);
        while (x.find()) out.add(x.group(1));
        assertFalse("lesion figures found", out.isEmpty());
        return out;
    }

    @Test
    public void segmentRerunWithoutGroundTruthLeavesExactlyTheNewRun() throws Exception {
        inputs();
        Path seg = tmp.getRoot().toPath().resolve("segment");
        String b = tinyBundle();
        assertEquals(err, 0, run("segment", "--model", b, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--gt", lab.toString(),
                "--tn-spheres", "1", "--out", seg.toString(), "--device", "cpu", "--quiet"));
        Set<String> first = files(seg);
        assertTrue(first.toString(), first.containsAll(List.of("fn_labels.nii.gz", "metrics.json")));
        Files.writeString(seg.resolve("notes.txt"), "my notes");
        assertEquals(err, 0, run("segment", "--model", b, "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--out", seg.toString(),
                "--device", "cpu", "--quiet"));
        assertEquals(new TreeSet<>(List.of("probability.nii.gz", "mask.nii.gz", "labels.nii.gz", "lesions.csv",
                "run.json", "notes.txt")), files(seg));
        assertEquals("my notes", Files.readString(seg.resolve("notes.txt")));
    }
}
