package io.github.ies.cli;

import io.github.ies.fiji.ContextExperimentCommand;
import io.github.ies.fiji.RelocateLesionCommand;
import io.github.ies.jobs.BatchJob;
import io.github.ies.jobs.ContextJob;
import io.github.ies.request.InvalidRequest;
import io.github.ies.jobs.RelocateJob;
import org.junit.Test;
import picocli.CommandLine;

import java.lang.reflect.Field;
import java.util.Map;

import static org.junit.Assert.*;

/**
 * Issue 21 (the experiments): both front-ends map their options onto one request per use case, so each default and
 * each message exists once, in the job. This walks the command line's and Fiji's options of the two experiments
 * against the requests' defaults, and renders one request message both ways.
 */
public class JobRequestsTest {

    private static Object fijiDefault(Class<?> command, String key) throws ReflectiveOperationException {
        Object c = command.getDeclaredConstructor().newInstance();
        Field f = command.getDeclaredField(key);
        f.setAccessible(true);
        return f.get(c);
    }

    private static String cliDefault(Object command, String option) {
        return new CommandLine(command).getCommandSpec().findOption(option).defaultValue();
    }

    @Test
    public void contextDefaultsAreTheRequestsInBothFrontEnds() throws Exception {
        ContextJob.Request q = new ContextJob.Request();
        Map<String, Integer> byKey = Map.of("min_voxels", q.minVoxels, "max_voxels", q.maxVoxels, "steps", q.steps);
        for (Map.Entry<String, Integer> e : byKey.entrySet()) {
            assertEquals(e.getKey(), e.getValue(), fijiDefault(ContextExperimentCommand.class, e.getKey()));
            assertEquals(e.getKey(), e.getValue().toString(), cliDefault(new ExperimentCommand.Context(), InvalidRequest.option(e.getKey())));
        }
        assertEquals(Integer.toString(q.batchSize), cliDefault(new ExperimentCommand.Context(), "--batch-size"));
    }

    @Test
    public void relocateDefaultsAreTheRequestsInBothFrontEnds() throws Exception {
        RelocateJob.Request q = new RelocateJob.Request();
        Map<String, Object> byKey = Map.of("min_voxels", q.minVoxels, "wm_label", q.wmLabel, "shell_mm", q.shellMm, "clearance", q.clearance);
        for (Map.Entry<String, Object> e : byKey.entrySet()) {
            assertEquals(e.getKey(), e.getValue(), fijiDefault(RelocateLesionCommand.class, e.getKey()));
            assertEquals(e.getKey(), Double.parseDouble(e.getValue().toString()),
                    Double.parseDouble(cliDefault(new RelocateCommand(), InvalidRequest.option(e.getKey()))), 0);
        }
    }

    @Test
    public void aRequestMessageNamesTheSettingAsEachFrontEndDoes() {
        ContextJob.Request q = new ContextJob.Request();
        q.minVoxels = 0;
        try {
            q.validate();
            fail("min_voxels 0 accepted");
        } catch (InvalidRequest e) {
            assertEquals("need 1 <= min_voxels <= max_voxels", e.getMessage());
            assertEquals("need 1 <= --min-voxels <= --max-voxels", e.render(InvalidRequest::option));
        }
        ContextJob.Request t = new ContextJob.Request();
        t.threshold = 1.5;
        try {
            t.validate();
            fail("threshold 1.5 accepted");
        } catch (InvalidRequest e) {
            assertEquals("--threshold must be in [0, 1], got 1.5", e.render(InvalidRequest::option));
        }
        RelocateJob.Request r = new RelocateJob.Request();
        r.shellMm = -1;
        try {
            r.validate();
            fail("shell_mm -1 accepted");
        } catch (InvalidRequest e) {
            assertEquals("--shell-mm and --clearance must be >= 0", e.render(InvalidRequest::option));
        }
        // the command line says it with its option names, before any work
        CliRun run = CliRun.of("experiment", "context", "--model", "m", "--input", "FLAIR=f", "--gt", "g", "--min-voxels", "0", "--out", "o");
        assertEquals(2, run.rc);
        assertTrue(run.err, run.err.contains("need 1 <= --min-voxels <= --max-voxels"));
    }

    private static String refusal(BatchJob.Request q) {
        try {
            q.validate();
        } catch (InvalidRequest e) {
            return e.render(k -> "{" + k + "}");
        }
        throw new AssertionError("accepted");
    }

    private static BatchJob.Request batch() {
        BatchJob.Request q = new BatchJob.Request();
        q.subjects = java.nio.file.Path.of("cohort");
        q.out = java.nio.file.Path.of("out");
        q.model = java.nio.file.Path.of("model");
        return q;
    }

    @Test
    public void batchRequestChecksJobsPartsAndTheExplainSettingsByKey() {
        BatchJob.Request q = batch();
        assertSame(q, q.validate());
        q = batch();
        q.jobs = 0;
        assertEquals("{jobs} must be >= 1, got 0", refusal(q));
        for (String bad : new String[] {"3/2", "0/2", "1/0", "x", "1/2/3", "a/b"}) {
            q = batch();
            q.shard = BatchJob.Part.parse(bad);
            assertEquals(bad, "{shard} must be i/n with 1 <= i <= n, got '" + bad + "'", refusal(q));
            q = batch();
            q.worker = BatchJob.Part.parse(bad);
            assertEquals(bad, "{worker} must be i/n with 1 <= i <= n, got '" + bad + "'", refusal(q));
        }
        q = batch();
        q.shard = new BatchJob.Part(5, 4);
        assertEquals("{shard} must be i/n with 1 <= i <= n, got '5/4'", refusal(q));
        q = batch();
        q.shard = BatchJob.Part.parse(" 2 / 4");
        q.worker = new BatchJob.Part(1, 1);
        assertSame(q, q.validate());
        assertEquals(2, q.shard.i);
        assertEquals(4, q.shard.n);
        assertEquals(" 2 / 4", q.shard.text);
        assertNull(BatchJob.Part.parse(null));
        q = batch();
        q.explain.tnSpheres = -1;
        assertEquals("{tn_spheres} must be >= 0, got -1", refusal(q));
        q = batch();
        q.subjects = null;
        assertEquals("{subjects}, {out} and {model} are required", refusal(q));
        // the command line says it with its option names, before any work (exit 2)
        CliRun run = CliRun.of("batch", "--model", "m", "--subjects", "s", "--out", "o", "--jobs", "0");
        assertEquals(2, run.rc);
        assertTrue(run.err, run.err.contains("usage error: --jobs must be >= 1, got 0"));
        run = CliRun.of("batch", "--model", "m", "--subjects", "s", "--out", "o", "--worker", "2/1");
        assertEquals(2, run.rc);
        assertTrue(run.err, run.err.contains("usage error: --worker must be i/n with 1 <= i <= n, got '2/1'"));
    }
}
