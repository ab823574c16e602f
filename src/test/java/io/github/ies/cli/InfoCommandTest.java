package io.github.ies.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.io.Fixtures;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code ies info} against nibabel's view of real files written by SPM, FSL, AFNI and nibabel. */
public class InfoCommandTest {

    /** Exit code, stdout, stderr of {@code IesCli.execute(args)}. */
    static Object[] run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int rc = IesCli.execute(args);
            return new Object[] {rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static void near(String what, double expected, double actual, double tol) {
        if (!Fixtures.close(actual, expected, tol)) fail(what + ": ies info says " + actual + ", nibabel " + expected);
    }

    @Test
    public void jsonAgreesWithNibabelOnRealAndGeneratedFiles() throws Exception {
        JsonObject all = Fixtures.expected();
        int checked = 0, real = 0;
        for (String name : all.keySet()) {
            JsonObject e = all.getAsJsonObject(name);
            if (e.has("header_only")) continue;
            JsonObject vols = e.getAsJsonObject("volumes");
            for (String vk : vols.keySet()) {
                Path p = Fixtures.dir().resolve(name);
                Object[] r = run("info", "--json", "--volume", vk, p.toString());
                assertEquals(name + ": " + r[2], 0, r[0]);
                String out = ((String) r[1]).trim();
                JsonObject j = JsonParser.parseString(out).getAsJsonObject();
                String what = name + " volume " + vk;
                assertEquals(what, e.getAsJsonArray("dims"), j.getAsJsonArray("dims"));
                double[] es = Fixtures.doubles(e.getAsJsonArray("spacing")), js = Fixtures.doubles(j.getAsJsonArray("spacing"));
                assertEquals(what + " spacing count", es.length, js.length);
                for (int i = 0; i < es.length; i++) near(what + " spacing", es[i], js[i], 1e-6);
                assertEquals(what, e.get("datatype").getAsString(), j.get("datatype").getAsString());
                double[][] ea = Fixtures.matrix(e.getAsJsonArray("affine")), ja = Fixtures.matrix(j.getAsJsonArray("affine"));
                for (int a = 0; a < 4; a++)
                    for (int b = 0; b < 4; b++) near(what + " affine[" + a + "][" + b + "]", ea[a][b], ja[a][b], 1e-5);
                JsonObject ev = vols.getAsJsonObject(vk);
                for (String s : new String[] {"min", "max", "mean"}) {
                    double x = ev.get(s).getAsDouble(), y = j.get(s).getAsDouble();
                    if (Math.abs(x - y) > 1e-4 * Math.max(Math.abs(x), 1e-6)) fail(what + " " + s + ": " + y + " vs nibabel " + x);
                }
                assertEquals(what, e.get("sform_code").getAsInt(), j.get("sform_code").getAsInt());
                assertEquals(what, e.get("qform_code").getAsInt(), j.get("qform_code").getAsInt());
                checked++;
                if (name.startsWith("real/")) real++;
            }
        }
        assertTrue("real files checked: " + real, real >= 11);
        assertTrue(checked > 40);
    }

    @Test
    public void textOutput() throws Exception {
        Object[] r = run("info", Fixtures.dir().resolve("real/functional.nii").toString(), "--volume", "7");
        assertEquals(r[2].toString(), 0, r[0]);
        String out = (String) r[1];
        assertTrue(out, out.contains("17 x 21 x 3 x 20"));
        assertTrue(out, out.contains("volume       7 of 20"));
        assertTrue(out, out.contains("int16"));
        assertTrue(out, out.contains("(from the sform)"));
    }

    @Test
    public void badFileExitsOneWithOneLine() throws Exception {
        Path bad = Files.createTempFile("bad", ".nii");
        try {
            Files.writeString(bad, "not a nifti file, just text that is long enough");
            Object[] r = run("info", bad.toString());
            assertEquals(1, r[0]);
            String err = ((String) r[2]).trim();
            assertEquals(err, 1, err.lines().count());
            assertTrue(err, err.startsWith("ies info: error: ") && err.contains(bad.getFileName().toString())
                    && err.contains("sizeof_hdr"));
            Object[] r2 = run("info", Fixtures.dir().resolve("generated/four_d_int16.nii.gz").toString(), "--volume", "5");
            assertEquals(1, r2[0]);
            assertTrue(r2[2].toString(), r2[2].toString().contains("volume 5 requested but the file has 3 volumes"));
        } finally {
            Files.delete(bad);
        }
    }

    @Test
    public void badUsageExitsTwo() {
        assertEquals(2, run("info")[0]);
        assertEquals(2, run("info", "--volume", "x", "a.nii")[0]);
        assertEquals(2, run("info", "--volume", "-1", Fixtures.dir().resolve("real/anatomical.nii").toString())[0]);
        assertEquals(2, run("info", "--bogus", "a.nii")[0]);
    }
}
