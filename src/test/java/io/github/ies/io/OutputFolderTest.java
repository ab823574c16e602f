package io.github.ies.io;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.Assert.*;

/**
 * Issue 12, points 6, 7, 11 and 12 at the level of the output folder: inputs inside or equal to OUT are refused, a
 * folder held by a live run (another process or this JVM) is refused and a dead run's lock is taken over, leftovers of
 * killed runs are removed, and the folders a failed run created are removed again.
 */
public class OutputFolderTest {

    /** The run.json of an earlier IES run. */
    static final String EARLIER_RUN = "{\"command\": \"explain\", \"ies_version\": \"0.1.0\"}";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static Set<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).collect(Collectors.toSet());
        }
    }

    private static String refusal(Path out, List<Path> inputs) {
        try {
            OutputFolder.check(out, inputs);
            return null;
        } catch (OutputFolder.OutputFolderException e) {
            return e.getMessage();
        }
    }

    @Test
    public void anOutputFolderThatIsOrHoldsAnInputIsRefused() throws Exception {
        Path s = tmp.newFolder("subject").toPath();
        Path mask = Files.writeString(s.resolve("mask.nii.gz"), "m");
        Path gt = Files.writeString(s.resolve("labels.nii.gz"), "g");
        String m = refusal(s, List.of(mask, gt));
        assertTrue(m, m.contains("contains the input " + mask) && m.contains("choose a folder that holds none of the inputs"));
        assertTrue(refusal(s.getParent(), List.of(gt)).contains("contains the input"));
        assertTrue(refusal(mask, List.of(mask)).contains("is an existing file"));
        Path bundle = tmp.newFolder("bundle").toPath();
        assertTrue(refusal(bundle, List.of(bundle)).contains("is the input"));
        // through a symbolic link
        Path link = tmp.getRoot().toPath().resolve("link");
        Files.createSymbolicLink(link, s);
        assertTrue(refusal(link, List.of(mask)).contains("contains the input"));
        assertTrue(refusal(link.resolve("."), List.of(gt)).contains("contains the input"));
        // a sub-folder, or a sibling, is fine; missing inputs are left to the reader's message
        assertNull(refusal(s.resolve("ies-out"), List.of(mask, gt)));
        assertNull(refusal(tmp.getRoot().toPath().resolve("other"), List.of(mask, gt, s.resolve("nothing.nii"))));
        // under a file
        assertTrue(refusal(mask.resolve("out"), List.of()).contains(mask + " is a file, not a folder"));
    }

    /** A rerun replaces the previous run's files as a whole: exactly those its manifest lists; a user's files, and names outside the folder, are never touched. */
    @Test
    public void rerunRemovesExactlyThePreviousRunsFiles() throws Exception {
        Path out = tmp.getRoot().toPath().resolve("out");
        try (OutputFolder f = OutputFolder.open(out, "test", List.of())) {
            Path s = f.newStaging();
            Files.writeString(s.resolve("run.json"), EARLIER_RUN);
            Files.createDirectories(s.resolve("saliency"));
            Files.writeString(s.resolve("saliency/old.nii.gz"), "old map");
            Files.writeString(s.resolve("metrics.json"), "{}");
            f.commit(s);
            f.keep();
        }
        Files.writeString(out.resolve("notes.txt"), "mine");
        Path outside = tmp.getRoot().toPath().resolve("outside.txt");
        Files.writeString(outside, "not in the folder");
        // names outside the folder, or the lock, are never taken from the record
        com.google.gson.JsonObject rec = com.google.gson.JsonParser.parseString(Files.readString(out.resolve("run.json"))).getAsJsonObject();
        assertEquals("[\"metrics.json\",\"run.json\",\"saliency/old.nii.gz\"]", rec.get("outputs").toString());
        rec.getAsJsonArray("outputs").add("../outside.txt");
        rec.getAsJsonArray("outputs").add(OutputFolder.LOCK);
        Files.writeString(out.resolve("run.json"), rec.toString());
        try (OutputFolder f = OutputFolder.open(out, "test", List.of())) {
            Path s = f.newStaging();
            Files.writeString(s.resolve("run.json"), EARLIER_RUN);
            f.commit(s);
            Path s2 = f.newStaging();                          // a second commit of the same run adds to it
            Files.writeString(s2.resolve("lesions.csv"), "id\n");
            f.commit(s2);
            f.keep();
        }
        assertEquals(Set.of("run.json", "lesions.csv", "notes.txt"), names(out));
        assertTrue(Files.isRegularFile(outside));
        assertEquals("[\"lesions.csv\",\"run.json\"]", com.google.gson.JsonParser.parseString(Files.readString(out.resolve("run.json")))
                .getAsJsonObject().get("outputs").toString());
    }

    @Test
    public void commitMovesEverythingIntoPlaceAndFailureLeavesNothing() throws Exception {
        Path out = tmp.getRoot().toPath().resolve("out");
        Files.createDirectories(out.resolve("saliency"));
        Files.writeString(out.resolve("a.txt"), "old");
        Files.writeString(out.resolve("saliency/keep.txt"), "kept");
        Files.writeString(out.resolve("run.json"), EARLIER_RUN);     // an earlier IES run's folder (else refused: see below)
        try (OutputFolder f = OutputFolder.open(out, "test", List.of())) {
            assertTrue(Files.isRegularFile(out.resolve(OutputFolder.LOCK)));
            Path s = f.newStaging();
            Files.writeString(s.resolve("a.txt"), "new");
            Files.writeString(s.resolve("run.json"), EARLIER_RUN);
            Files.createDirectories(s.resolve("saliency"));
            Files.writeString(s.resolve("saliency/b.txt"), "b");
            assertEquals("nothing visible before commit", "old", Files.readString(out.resolve("a.txt")));
            f.commit(s);
            f.keep();
        }
        assertEquals(Set.of("a.txt", "run.json", "saliency", "saliency/keep.txt", "saliency/b.txt"), names(out));
        assertEquals("new", Files.readString(out.resolve("a.txt")));

        // a failed run into new nested folders: all of them are removed, the existing parent stays
        Path nested = tmp.getRoot().toPath().resolve("new1/new2/out");
        try (OutputFolder f = OutputFolder.open(nested, "test", List.of())) {
            assertEquals(3, f.created().size());
            Files.writeString(f.newStaging().resolve("half.txt"), "x");
        }
        assertFalse(Files.exists(tmp.getRoot().toPath().resolve("new1")));
        // a failed run into an existing folder leaves it as it was
        try (OutputFolder f = OutputFolder.open(out, "test", List.of())) {
            Files.writeString(f.newStaging().resolve("a.txt"), "never");
        }
        assertEquals(Set.of("a.txt", "run.json", "saliency", "saliency/keep.txt", "saliency/b.txt"), names(out));
        assertEquals("new", Files.readString(out.resolve("a.txt")));
    }

    @Test
    public void leftoversOfKilledRunsAreRemovedByTheNextRun() throws Exception {
        Path out = tmp.newFolder("out").toPath();
        Files.createDirectories(out.resolve(".ies-explain-123/saliency"));
        Files.writeString(out.resolve(".ies-explain-123/saliency/lesion-1.nii.gz"), "partial");
        Files.createDirectories(out.resolve(".ies-staging-456"));
        Files.writeString(out.resolve(".lesions.csv4711.part"), "partial");
        Files.writeString(out.resolve("lesions.csv"), "an earlier run's table");
        Files.writeString(out.resolve("run.json"), EARLIER_RUN);
        Files.writeString(out.resolve(".hidden-user-file"), "user data");
        try (OutputFolder f = OutputFolder.open(out, "test", List.of())) {
            assertEquals(1, f.warnings().size());
            String w = f.warnings().get(0);
            assertTrue(w, w.contains("removed 3 leftover(s)") && w.contains(".ies-explain-123") && w.contains(".ies-staging-456"));
            f.keep();
        }
        assertEquals(Set.of("lesions.csv", "run.json", ".hidden-user-file"), names(out));
    }

    @Test
    public void aFolderHeldByALiveRunIsRefusedAndADeadRunsLockIsTakenOver() throws Exception {
        Path out = tmp.getRoot().toPath().resolve("held");
        File log = tmp.newFile("holder.log");
        Process holder = Jvm.start(log, LockHolder.class.getName(), out.toString());
        try {
            Jvm.await(() -> {
                try {
                    return Files.readString(log.toPath()).contains("locked");
                } catch (java.io.IOException e) {
                    return false;
                }
            }, 60, "the lock holder to start");
            try (OutputFolder f = OutputFolder.open(out, "test", List.of())) {
                fail("a live run's lock was ignored");
            } catch (OutputFolder.OutputBusyException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("in use by another IES run (pid " + holder.pid())
                        && e.getMessage().contains("test lock holder") && e.getMessage().contains("choose another folder"));
            }
            assertTrue(OutputFolder.isHeld(out));
            // SIGKILL: no clean-up runs, the lock file stays, but the OS lock dies with the process
            holder.destroyForcibly().waitFor();
            assertTrue(Files.exists(out.resolve(OutputFolder.LOCK)));
            assertFalse(OutputFolder.isHeld(out));
            try (OutputFolder f = OutputFolder.open(out, "test", List.of())) {
                assertTrue(f.warnings().toString(), f.warnings().get(0).contains("took over the lock of an earlier run that is no longer running (pid "
                        + holder.pid()));
                // the same folder twice in one JVM (two Fiji commands): refused as well
                try (OutputFolder g = OutputFolder.open(out, "second", List.of())) {
                    fail("the same JVM held it");
                } catch (OutputFolder.OutputBusyException e) {
                    assertTrue(e.getMessage(), e.getMessage().contains("pid " + ProcessHandle.current().pid()));
                }
                assertTrue("the refused second open must not release the first's lock", OutputFolder.isHeld(out));
                f.keep();
            }
            assertFalse(Files.exists(out.resolve(OutputFolder.LOCK)));
        } finally {
            holder.destroyForcibly();
        }
    }

    /**
     * A SIGINT or SIGTERM during an atomic write (the hostile sweep caught one during the batch marker's write): the
     * shutdown hook's work ({@code Nifti.stopWriting}) deletes the temporary file, the write fails instead of being
     * completed, nothing is left, and no new write starts afterwards.
     */
    @Test
    public void aStopDuringAnAtomicWriteLeavesNoPartFile() throws Exception {
        Path dir = tmp.newFolder("stop").toPath();
        Path target = dir.resolve(".ies-batch-subject.json");
        try {
            try {
                Nifti.writeAtomically(target, out -> {
                    out.write("{\"half\":".getBytes());
                    try (Stream<Path> st = Files.list(dir)) {
                        assertEquals("the temporary file exists while writing", 1, st.filter(p -> p.toString().endsWith(".part")).count());
                    }
                    Nifti.stopWriting();                // what the shutdown hook does
                    out.write(" 1}".getBytes());
                });
                fail("a write interrupted by a stop must fail");
            } catch (java.io.IOException expected) {
                // the temporary file was deleted under it
            }
            try (Stream<Path> st = Files.list(dir)) {
                assertEquals(List.of(), st.collect(Collectors.toList()));
            }
            try {
                Nifti.writeAtomically(dir.resolve("later.json"), out -> out.write('x'));
                fail("no write starts once the JVM is stopping");
            } catch (java.io.IOException expected) {
                assertTrue(expected.getMessage().contains("stopping"));
            }
            try (Stream<Path> st = Files.list(dir)) {
                assertEquals(0, st.count());
            }
        } finally {
            Nifti.resumeWritingForTest();
        }
        Nifti.writeAtomically(target, out -> out.write('x'));
        assertTrue(Files.isRegularFile(target));
    }

    /**
     * A folder holding a file of a name IES writes (a user's own labels.nii.gz, the most common name for a manual
     * segmentation) that no IES run wrote is refused before any work; an earlier IES run's folder (its run.json) and an
     * ies batch output folder (its subjects' markers) are not.
     */
    @Test
    public void aFolderHoldingForeignFilesOfOurNamesIsRefused() throws Exception {
        Path user = tmp.newFolder("user").toPath();
        Files.writeString(user.resolve("notes.txt"), "mine");
        OutputFolder.check(user, List.of());                            // other names: fine
        Files.writeString(user.resolve("labels.nii.gz"), "my manual labels");
        try {
            OutputFolder.check(user, List.of());
            fail("a user's labels.nii.gz must not be overwritten");
        } catch (OutputFolder.OutputFolderException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("labels.nii.gz") && e.getMessage().contains("nothing was changed"));
        }
        Files.writeString(user.resolve("run.json"), "{\"note\": \"someone else's run record\"}");
        try {
            OutputFolder.check(user, List.of());
            fail("a run.json not written by IES proves nothing");
        } catch (OutputFolder.OutputFolderException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("labels.nii.gz, run.json"));
        }
        Path ours = tmp.newFolder("ours").toPath();
        Files.writeString(ours.resolve("labels.nii.gz"), "an earlier run's labels");
        Files.writeString(ours.resolve("run.json"), "{\"command\": \"segment\", \"ies_version\": \"0.1.0\"}");
        OutputFolder.check(ours, List.of());
        Path batch = tmp.newFolder("batch").toPath();
        Files.writeString(batch.resolve("summary.csv"), "subject,status");
        Files.createDirectories(batch.resolve("s1"));
        Files.writeString(batch.resolve("s1").resolve("ies-batch-done.json"), "{}");
        OutputFolder.check(batch, List.of());
        OutputFolder.check(tmp.getRoot().toPath().resolve("new"), List.of());
    }

    /**
     * An output folder of another kind of run is refused (an explain folder given to ies experiment context or ies
     * analyze: its run.json and outputs would be replaced); one of the same kind is not. A claimed folder (a run stopped
     * after its provisional run.json) and the records of earlier versions count as IES's.
     */
    @Test
    public void anotherKindOfRunsFolderIsRefusedAndClaimsAndEarlierRecordsAreIes() throws Exception {
        Path explain = tmp.newFolder("explain").toPath();
        Files.writeString(explain.resolve("lesions.csv"), "id,category");
        Files.writeString(explain.resolve("run.json"), EARLIER_RUN);
        OutputFolder.check(explain, List.of(), OutputKind.EXPLAIN, "explain");
        OutputFolder.check(explain, List.of(), OutputKind.SEGMENT, "segment");
        OutputFolder.check(explain, List.of(), OutputKind.BATCH, "batch");
        String[] others = {"experiment context", "analyze", "evaluate", "experiment relocate", "Lesion Statistics"};
        OutputKind[] kinds = {OutputKind.CONTEXT, OutputKind.ANALYSIS, OutputKind.EVALUATION, OutputKind.RELOCATE, OutputKind.ANALYSIS};
        for (int i = 0; i < others.length; i++) {
            String other = others[i];
            try {
                OutputFolder.check(explain, List.of(), kinds[i], other);
                fail(other + " must not replace an explain folder's run.json");
            } catch (OutputFolder.OutputFolderException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("'explain'") && e.getMessage().contains("nothing was changed"));
            }
        }
        // a run stopped after its claim (tables written, the complete run.json not yet): the next run may go on
        Path analysis = tmp.newFolder("analysis").toPath();
        OutputFolder.claim(analysis, "analyze", "0.1.0");
        Files.writeString(analysis.resolve("group_tests.csv"), "method");
        assertEquals("analyze", OutputFolder.runCommand(analysis));
        OutputFolder.check(analysis, List.of(), OutputKind.ANALYSIS, "analyze");
        OutputFolder.check(analysis, List.of(), OutputKind.ANALYSIS, "Lesion Statistics");
        // folders of earlier versions: context.json of an experiment, an IES metrics.json, the four analyze tables
        Path ctx = tmp.newFolder("ctx").toPath();
        Files.writeString(ctx.resolve("context.csv"), "step");
        Files.writeString(ctx.resolve("context.json"), "{\"experiment\": \"context\"}");
        OutputFolder.check(ctx, List.of(), OutputKind.CONTEXT, "experiment context");
        Path eval = tmp.newFolder("eval").toPath();
        Files.writeString(eval.resolve("labels.nii.gz"), "x");
        Files.writeString(eval.resolve("metrics.json"), "{\"dice\": 0.5, \"ndsc_r\": 0.001}");
        OutputFolder.check(eval, List.of(), OutputKind.EVALUATION, "evaluate");
        Path old = tmp.newFolder("old-analysis").toPath();
        for (String t : new String[] {"group_tests.csv", "group_summary.csv", "channel_contributions.csv", "peaks.csv"}) Files.writeString(old.resolve(t), "x");
        OutputFolder.check(old, List.of(), OutputKind.ANALYSIS, "analyze");
        Files.delete(old.resolve("peaks.csv"));
        try {
            OutputFolder.check(old, List.of(), OutputKind.ANALYSIS, "analyze");
            fail("three tables of those names are not proof of an earlier analysis");
        } catch (OutputFolder.OutputFolderException expected) {
            // refused
        }
    }
    /**
     * The kind of an earlier run's folder comes from its run.json's command label, as the front-ends declare them
     * ({@link OutputKind.Labels}): a Fiji analysis folder may be replaced by ies analyze, not by an explanation.
     */
    @Test
    public void theFrontEndsDeclareTheKindOfTheirLabels() throws Exception {
        assertEquals(OutputKind.ANALYSIS, OutputKind.ofLabel("Lesion Statistics"));
        assertEquals(OutputKind.ANALYSIS, OutputKind.ofLabel("analyze"));
        assertEquals(OutputKind.CONTEXT, OutputKind.ofLabel("Perilesional Context Experiment"));
        assertEquals(OutputKind.RELOCATE, OutputKind.ofLabel("Relocate Lesion"));
        assertEquals(OutputKind.SEGMENT, OutputKind.ofLabel("fiji-segment"));
        assertEquals(OutputKind.EVALUATION, OutputKind.ofLabel("evaluate"));
        assertEquals("a label no front-end declares is a subject's folder", OutputKind.EXPLAIN, OutputKind.ofLabel("from a later version"));
        Path fiji = tmp.newFolder("fiji-analysis").toPath();
        OutputFolder.claim(fiji, "Lesion Statistics", "0.1.0");
        OutputFolder.check(fiji, List.of(), OutputKind.ANALYSIS, "analyze");
        try {
            OutputFolder.check(fiji, List.of(), OutputKind.EXPLAIN, "explain");
            fail("an explanation must not replace an analysis");
        } catch (OutputFolder.OutputFolderException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("holds the outputs of an analysis ('Lesion Statistics', its run.json); explain would"));
        }
    }

    /**
     * A signal while a run takes its folder's lock (the sweep's "SIGTERM right after it locked", under load): the
     * shutdown hook's release, run before, during or after the lock is taken, leaves no lock file, and a lock is never
     * taken after a release; a lock file another run holds is never deleted by a release that did not take it.
     */
    @Test
    public void aReleaseBeforeOrAfterTheLockLeavesNoLockFile() throws Exception {
        Path d = tmp.newFolder("locked").toPath();
        Path lockFile = d.resolve(OutputFolder.LOCK);
        // the hook ran first: the lock is refused, nothing is written
        FolderLock early = new FolderLock(d, d.toRealPath());
        early.release();
        try {
            early.lock("test", new java.util.ArrayList<>());
            fail("a lock after the release");
        } catch (java.io.IOException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("stopping"));
        }
        assertFalse(Files.exists(lockFile));
        // taken, then released from another thread (the hook): the file is gone and the folder can be locked again
        FolderLock taken = new FolderLock(d, d.toRealPath());
        taken.lock("test", new java.util.ArrayList<>());
        assertTrue(Files.exists(lockFile));
        Thread hook = new Thread(taken::release);
        hook.start();
        hook.join();
        assertFalse(Files.exists(lockFile));
        FolderLock next = new FolderLock(d, d.toRealPath());
        next.lock("test", new java.util.ArrayList<>());
        // a second object on a held folder is refused and its release leaves the holder's file in place
        FolderLock other = new FolderLock(d, d.toRealPath());
        try {
            other.lock("other", new java.util.ArrayList<>());
            fail("two holders");
        } catch (OutputFolder.OutputBusyException expected) {
            // busy
        }
        other.release();
        assertTrue("the holder's lock file stays", Files.exists(lockFile));
        assertTrue(OutputFolder.isHeld(d));
        next.release();
        assertFalse(Files.exists(lockFile));
    }

}
