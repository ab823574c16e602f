package io.github.ies.cli;

import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** {@code ies report --out} obeys the output rules (issue 22): refusals before any work, a folder means folder/report.html. */
public class ReportOutTest extends CliTestBase {

    @Test
    public void outNeverReplacesWhatIsNotAnIesReport() throws Exception {
        int[] dims = {16, 20, 12};
        Geometry g = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {-10, 4, 7});
        Path d = tmp.getRoot().toPath();
        Path f = d.resolve("flair.nii.gz"), m = d.resolve("mprage.nii.gz"), lab = d.resolve("labels.nii.gz");
        Nifti.write(blob(dims, g, 1), f, NiftiDataType.FLOAT32);
        Nifti.write(blob(dims, g, 2), m, NiftiDataType.FLOAT32);
        Volume v = Volume.zeros(dims, g);
        for (int i = 6; i <= 8; i++) v.set(i, 9, 6, 7f);
        Nifti.write(v, lab, NiftiDataType.INT32);
        Path ex = d.resolve("explain");
        assertEquals(err, 0, run("explain", "--model", tinyBundle(), "--input", "FLAIR=" + f, "--input", "MPRAGE=" + m, "--labels", lab.toString(),
                "--methods", "smoothgrad-max", "--samples", "1", "--out", ex.toString(), "--device", "cpu", "--quiet"));

        // an IES input, another output of an IES run and a user's file: refused in one line before any work, unchanged
        Path notes = d.resolve("mynotes.html");
        Files.writeString(notes, "<html>my notes</html>");
        for (Path target : new Path[] {f, ex.resolve("lesions.csv"), notes}) {
            byte[] before = Files.readAllBytes(target);
            assertEquals(1, run("report", "--explain-dir", ex.toString(), "--out", target.toString()));
            assertTrue(err, err.contains("not a report IES wrote") && err.contains(target.toString()));
            assertEquals(err, 1, err.strip().lines().count());
            assertFalse("refused before any work: " + err, err.contains("lesion figure"));
            assertArrayEquals(target.toString(), before, Files.readAllBytes(target));
        }
        assertTrue(err.contains("give a new file name, or a folder"));

        // an existing folder: folder/report.html; again: an IES report is replaced
        Path reports = Files.createDirectories(d.resolve("reports"));
        for (int i = 0; i < 2; i++) {
            assertEquals(err, 0, run("report", "--explain-dir", ex.toString(), "--out", reports.toString(), "--quiet"));
            assertTrue(out, out.contains(reports.resolve("report.html").toString()));
            assertTrue(Files.readString(reports.resolve("report.html")).contains("<meta name=\"generator\" content=\"ies report"));
        }
        // a new folder written with '/': created, with report.html in it
        Path fresh = d.resolve("newdir");
        assertEquals(err, 0, run("report", "--explain-dir", ex.toString(), "--out", fresh + "/", "--quiet"));
        assertTrue(Files.isRegularFile(fresh.resolve("report.html")));
        // the default (report.html in the explain folder), twice
        assertEquals(err, 0, run("report", "--explain-dir", ex.toString(), "--quiet"));
        assertEquals(err, 0, run("report", "--explain-dir", ex.toString(), "--quiet"));
        assertTrue(Files.isRegularFile(ex.resolve("report.html")));
    }
}
