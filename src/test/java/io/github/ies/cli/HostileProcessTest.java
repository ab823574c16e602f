package io.github.ies.cli;

import io.github.ies.io.Jvm;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.OutputFolder;
import io.github.ies.io.Volume;
import io.github.ies.phantom.PhantomGenerator;
import io.github.ies.phantom.PhantomSpec;
import org.junit.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.Assert.*;

/**
 * The part of issue 12's hostile-input suite that needs real processes: two runs into one output folder (point 6),
 * SIGINT/SIGTERM during a run (point 12: nothing left, not even the folder it created) and killed batch parents
 * (point 5: the worker JVMs stop too). The waits are liveness bounds (generous), never timing assertions.
 */
public class HostileProcessTest extends CliTestBase {

    private Path[] subject(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path f = dir.resolve("flair.nii.gz"), m = dir.resolve("mprage.nii.gz"), l = dir.resolve("labels.nii.gz");
        Nifti.write(blob(ExplainCommandTest.DIMS, ExplainCommandTest.GEOM, 1), f, NiftiDataType.FLOAT32);
        Nifti.write(blob(ExplainCommandTest.DIMS, ExplainCommandTest.GEOM, 2), m, NiftiDataType.FLOAT32);
        Volume lab = Volume.zeros(ExplainCommandTest.DIMS, ExplainCommandTest.GEOM);
        for (int i = 6; i <= 8; i++) for (int j = 9; j <= 10; j++) lab.set(i, j, 6, 3f);
        Nifti.write(lab, l, NiftiDataType.INT32);
        return new Path[] {f, m, l};
    }

    /** An ies explain that runs until it is stopped (a million SmoothGrad samples). */
    private Process endlessExplain(Path[] in, Path out, File log) throws Exception {
        return Jvm.start(log, IesCli.class.getName(), "explain", "--model", tinyBundle(), "--input", "FLAIR=" + in[0], "--input",
                "MPRAGE=" + in[1], "--labels", in[2].toString(), "--out", out.toString(), "--methods", "smoothgrad-max", "--samples",
                "1000000", "--device", "cpu", "--threads", "1");
    }

    @Test
    public void aSecondRunIntoAHeldFolderIsRefusedAndSignalsLeaveNothing() throws Exception {
        Path root = tmp.getRoot().toPath();
        Path[] in = subject(root.resolve("subject"));
        for (String sig : new String[] {"TERM", "INT"}) {
            Path out = root.resolve("new-" + sig + "/out");
            File log = tmp.newFile("explain-" + sig + ".log");
            Process p = endlessExplain(in, out, log);
            try {
                // the lock file is created, then its holder is written into it: wait for both, or the digest below
                // could catch the empty file and differ from the later one with nothing changed by the refused run
                Jvm.await(() -> out.resolve(OutputFolder.LOCK).toFile().length() > 0, 120, "the explain run to lock " + out);
                Map<String, String> held = HostileInputTest.digest(out);
                // point 6: a second run into the same folder is refused and changes nothing
                assertEquals(1, run("segment", "--model", tinyBundle(), "--input", "FLAIR=" + in[0], "--input", "MPRAGE=" + in[1],
                        "--out", out.toString(), "--device", "cpu", "--quiet"));
                assertTrue(err, err.contains("ies segment: error: the output folder") && err.contains("is in use by another IES run (pid "
                        + p.pid()) && err.contains("ies explain") && err.contains("wait until it ends or choose another folder"));
                assertEquals(held, HostileInputTest.digest(out));
                assertTrue(p.isAlive());
                // point 12: SIGTERM / SIGINT: the run stops and removes its staging folder, its lock and the folders it created
                Jvm.signal(p.pid(), sig);
                Jvm.await(() -> !p.isAlive(), 60, "the explain run to stop after SIG" + sig);
                assertEquals(Files.readString(log.toPath()), sig.equals("TERM") ? 143 : 130, p.exitValue());
                assertFalse("SIG" + sig + " left " + root.resolve("new-" + sig), Files.exists(root.resolve("new-" + sig)));
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    public void batchWorkersStopWhenTheirParentIsKilled() throws Exception {
        Path c = tmp.newFolder("cohort").toPath();
        for (int s = 1; s <= 2; s++) PhantomGenerator.generate(new PhantomSpec(400 + s, new int[] {32, 32, 32}, 6.0, 2)).write(c.resolve("k" + s));
        for (String sig : new String[] {"KILL", "TERM"}) {
            Path out = tmp.getRoot().toPath().resolve("out-" + sig);
            File log = tmp.newFile("batch-" + sig + ".log");
            Process parent = Jvm.start(log, IesCli.class.getName(), "batch", "--subjects", c.toString(), "--out", out.toString(), "--model",
                    tinyBundle(), "--jobs", "2", "--methods", "smoothgrad-max", "--samples", "1000000", "--device", "cpu");
            List<ProcessHandle> workers = new ArrayList<>();
            try {
                Jvm.await(() -> Files.exists(out.resolve("k1").resolve(OutputFolder.LOCK)) && Files.exists(out.resolve("k2").resolve(OutputFolder.LOCK)),
                        180, "both workers to start their subject");
                parent.toHandle().children().forEach(workers::add);
                assertEquals(2, workers.size());
                Jvm.signal(parent.pid(), sig);
                Jvm.await(() -> !parent.isAlive(), 60, "the batch parent to end");
                Jvm.await(() -> workers.stream().noneMatch(ProcessHandle::isAlive), 60, "the worker JVMs to stop after SIG" + sig
                        + " of their parent (log: " + log + ")");
                for (String k : new String[] {"k1", "k2"}) {
                    if (!Files.exists(out.resolve(k))) continue;      // stopped before it wrote its marker: the folder it made is gone
                    try (Stream<Path> l = Files.list(out.resolve(k))) {
                        List<String> left = l.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
                        assertEquals("staging folders and locks of " + k + " after SIG" + sig, List.of(), left);
                    }
                    assertFalse(Files.exists(out.resolve(k).resolve(BatchCommand.DONE)));
                }
            } finally {
                parent.destroyForcibly();
                for (ProcessHandle w : workers) w.destroyForcibly();
            }
        }
    }
}
