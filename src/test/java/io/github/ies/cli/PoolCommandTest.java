package io.github.ies.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.Assert.*;

/** {@code ies experiment pool}: outputs, run.json, and the refusals (nothing to pool, OUT among the inputs, missing tables). */
public class PoolCommandTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    Path dir(String name, String file, String text) throws Exception {
        Path d = tmp.getRoot().toPath().resolve(name);
        Files.createDirectories(d);
        Files.writeString(d.resolve(file), text);
        String command = file.startsWith("context") ? "experiment context" : "experiment relocate";
        // as the experiments write it: the threshold used in result (Fiji records its raw field, -1, in parameters)
        Files.writeString(d.resolve("run.json"), "{\"command\": \"" + command + "\", \"ies_version\": \"test\", \"parameters\": {\"threshold\": -1}, "
                + "\"result\": {\"threshold\": 0.3}}");
        return d;
    }

    static JsonObject strict(Path json) throws Exception {
        com.google.gson.stream.JsonReader r = new com.google.gson.stream.JsonReader(new java.io.StringReader(Files.readString(json)));
        r.setLenient(false);
        return JsonParser.parseReader(r).getAsJsonObject();
    }

    static String ctx(double s0, double s1) {
        return "step,distance_mm,lesion,voxels,mean_score,max_score,detected\r\n"
                + "0,0.00000,4,20," + s0 + ",0.9,1\r\n1,2.00000,4,20," + s1 + ",0.9,1\r\n";
    }

    @Test
    public void poolsAndRefuses() throws Exception {
        Path a = dir("ctx/seed-1", "context_lesions.csv", ctx(0.4, 0.8));
        Path b = dir("ctx/seed-2", "context_lesions.csv", ctx(0.6, 0.2));
        Path r = dir("rel/seed-1", "relocate.csv", "case,lesion_id,mean_score,detected\r\noriginal,3,0.9,1\r\nbackground,3,0.2,0\r\n");
        Path out = tmp.getRoot().toPath().resolve("pool");
        CliRun run = CliRun.of("experiment", "pool", "--context", a.toString(), "--context", b.toString(), "--relocate", r.toString(),
                "--out", out.toString());
        assertEquals(run.err, 0, run.rc);
        assertTrue(run.out, run.out.contains("context: 2 lesion(s) from 2 folder(s), 2 step(s)"));
        for (String f : new String[] {"context.csv", "context_lesions.csv", "context.png", "relocate.csv", "relocate_summary.csv", "run.json"}) {
            assertTrue(f, Files.isRegularFile(out.resolve(f)));
        }
        String csv = Files.readString(out.resolve("context.csv"));
        assertTrue(csv, csv.contains("\r\n0,0.00000,0.500000,0.100000,2,2,2\r\n"));
        assertTrue(Files.readString(out.resolve("context_lesions.csv")).contains("\r\nseed-2,1,2.00000,4,20,0.200000,"));
        assertTrue(Files.readString(out.resolve("relocate.csv")).startsWith("source,case,lesion_id,mean_score,detected\r\nseed-1,original,3,0.9,1\r\n"));
        JsonObject rj = strict(out.resolve("run.json"));
        assertEquals("experiment pool", rj.get("command").getAsString());
        assertEquals(2, rj.getAsJsonObject("result").get("context_lesions").getAsInt());
        assertEquals(0.3, rj.getAsJsonObject("result").get("context_threshold").getAsDouble(), 0);
        // a rerun replaces the pool
        assertEquals(0, CliRun.of("experiment", "pool", "--context", a.toString(), "--out", out.toString()).rc);
        assertFalse("the second run wrote no relocation table", Files.exists(out.resolve("relocate.csv")));

        CliRun none = CliRun.of("experiment", "pool", "--out", out.toString());
        assertEquals(2, none.rc);
        assertTrue(none.err, none.err.contains("give at least one --context or --relocate folder"));
        CliRun self = CliRun.of("experiment", "pool", "--context", a.toString(), "--out", a.toString());
        assertEquals(2, self.rc);
        assertTrue(self.err, self.err.contains("is one of the pooled folders"));
        CliRun inside = CliRun.of("experiment", "pool", "--context", a.toString(), "--out", a.resolve("pool").toString());
        assertEquals(2, inside.rc);
        assertTrue(inside.err, inside.err.contains("is inside one of the pooled folders"));
        CliRun pooled = CliRun.of("experiment", "pool", "--context", out.toString(), "--out", tmp.getRoot().toPath().resolve("pool3").toString());
        assertEquals(2, pooled.rc);
        assertTrue(pooled.err, pooled.err.contains("is not a folder written by 'ies experiment context' (its run.json is of 'experiment pool')"));
        CliRun wrong = CliRun.of("experiment", "pool", "--relocate", a.toString(), "--out", tmp.getRoot().toPath().resolve("pool3").toString());
        assertEquals(2, wrong.rc);
        assertTrue(wrong.err, wrong.err.contains("is not a folder written by 'ies experiment relocate'"));
        Path empty = dir("ctx/empty", "context.csv", "step\r\n"); // an experiment folder without its per-lesion table
        Path out2 = tmp.getRoot().toPath().resolve("pool2");
        CliRun missing = CliRun.of("experiment", "pool", "--context", empty.toString(), "--out", out2.toString());
        assertEquals(1, missing.rc);
        assertTrue(missing.err, missing.err.contains("has no context_lesions.csv"));
        assertFalse("nothing written on failure", Files.exists(out2.resolve("run.json")));
        // a user's own file named like a pool output is never replaced
        Path foreign = Files.createDirectories(tmp.getRoot().toPath().resolve("mine"));
        Files.writeString(foreign.resolve("relocate_summary.csv"), "my notes");
        CliRun clash = CliRun.of("experiment", "pool", "--relocate", r.toString(), "--out", foreign.toString());
        assertNotEquals(0, clash.rc);
        assertEquals("my notes", Files.readString(foreign.resolve("relocate_summary.csv")));
    }

    @Test
    public void sourcesAreFolderNamesOrParentAndName() {
        assertEquals(java.util.List.of("seed-1", "seed-2"), PoolCommand.names(java.util.List.of(Path.of("/x/ctx/seed-1"), Path.of("/x/ctx/seed-2"))));
        assertEquals(java.util.List.of("a/seed-1", "b/seed-1"), PoolCommand.names(java.util.List.of(Path.of("/x/a/seed-1"), Path.of("/x/b/seed-1"))));
        assertEquals(java.util.List.of("/a/x/s", "/b/x/s"), PoolCommand.names(java.util.List.of(Path.of("/a/x/s"), Path.of("/b/x/s"))));
    }
}
