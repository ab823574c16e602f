package io.github.ies.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * The output folder of one run, held from before the inference until the end. It guarantees that a run never
 * deletes or overwrites what it did not create and never leaves anything half-written:
 *
 * <ul>
 *   <li>{@link #check} (no side effects, {@link FolderChecks}): the folder is not an existing file, can be created and
 *       written, does not equal or contain any of the run's inputs (so no output can overwrite an input), and holds no
 *       outputs of another {@link OutputKind} of run;</li>
 *   <li>{@link #open}: creates the folder (remembering which folders it created), takes the lock file
 *       {@value #LOCK} ({@link FolderLock}: an OS file lock, so a killed run's lock is stale and taken over by the next
 *       run; a live run's lock makes {@link OutputBusyException}), and removes what killed runs left: staging folders
 *       ({@code .ies-staging-*}, {@code .ies-explain-*}) and temporary {@code .*.part} files;</li>
 *   <li>{@link #newStaging} / {@link #commit} ({@link Staging}): outputs are written into a hidden staging folder and
 *       moved into place when complete; the files of the folder's previous IES run (listed in its run.json,
 *       {@code "outputs"}) that this run does not write again are removed then, so a rerun leaves no stale file of the
 *       old one; files IES did not write stay;</li>
 *   <li>{@link #close}: deletes the staging folders and the lock; when the run did not {@link #keep} the folder
 *       (it failed or was cancelled), the folders it created are removed again if empty. A shutdown hook does the
 *       same when the JVM is stopped by SIGINT or SIGTERM.</li>
 * </ul>
 */
public final class OutputFolder implements AutoCloseable {

    /** The lock file's name. */
    public static final String LOCK = ".ies-lock";
    /** Prefix of the staging folders. */
    public static final String STAGING_PREFIX = ".ies-staging-";

    private final Path dir;
    private final List<Path> created;
    private final Staging staging;
    private final List<String> warnings = new ArrayList<>();
    private volatile FolderLock lock;
    private final Thread hook;
    private volatile boolean keep;
    private volatile boolean closed;

    private OutputFolder(Path dir, List<Path> created) {
        this.dir = dir;
        this.created = created;
        this.staging = new Staging(dir);
        this.hook = new Thread(this::cleanUpAtExit, "ies-output-cleanup");
    }

    /** An output folder that cannot be used (an existing file, inputs inside, not writable). */
    public static class OutputFolderException extends IOException {
        private static final long serialVersionUID = 1L;

        public OutputFolderException(String message) {
            super(message);
        }
    }

    /** The output folder is held by another run that is still alive. */
    public static final class OutputBusyException extends OutputFolderException {
        private static final long serialVersionUID = 1L;

        public OutputBusyException(String message) {
            super(message);
        }
    }

    /**
     * Checks, without creating or changing anything, that {@code out} can be a run's output folder: not an existing
     * file, creatable and writable, and neither equal to nor containing any of {@code inputs} (null entries and
     * missing files are ignored).
     */
    public static void check(Path out, Collection<Path> inputs) throws OutputFolderException {
        FolderChecks.check(out, inputs);
    }

    /**
     * {@link #check(Path, Collection)}, and a folder holding the run.json of another {@link OutputKind} of run (e.g. an
     * explain folder given to an analysis or a context experiment) is refused too: its record and outputs would be
     * replaced by unrelated ones. {@code label} is the run's command in its front-end's words, for the message.
     */
    public static void check(Path out, Collection<Path> inputs, OutputKind kind, String label) throws OutputFolderException {
        FolderChecks.check(out, inputs, kind, label);
    }

    /** The {@code command} of the IES run.json in a folder; null when there is none (or it is not an IES record). */
    public static String runCommand(Path dir) {
        return FolderChecks.runCommand(dir);
    }

    /** Fails when {@code target} lies in the staging folder of a run that a signal is stopping. */
    static void checkNotStopped(Path target) throws IOException {
        Staging.checkNotStopped(target);
    }

    /** What a run writes into its staging folder ({@link #write}). */
    @FunctionalInterface
    public interface Contents {
        void writeTo(Path staging) throws IOException;
    }

    /**
     * A run's outputs written the safe way, for commands that produce a few files at the end (an analysis, the
     * experiments, an evaluation): the folder checked ({@link #check(Path, Collection, OutputKind, String)}), opened
     * and locked, {@code contents} written into a staging folder (with its run.json), committed, kept; on any failure
     * nothing is moved into place and the folders this run created are removed.
     */
    public static void write(Path out, OutputKind kind, String command, Collection<Path> inputs, Contents contents) throws IOException {
        check(out, inputs, kind, command);
        try (OutputFolder f = open(out, "ies " + command, inputs)) {
            Path staging = f.newStaging();
            contents.writeTo(staging);
            f.commit(staging);
            f.keep();
        }
    }

    /**
     * Marks a checked output folder as this run's before anything else is written into it (for commands that write
     * their outputs in place, without staging): a provisional run.json ({@code "status": "running"}), replaced by the
     * complete one at the end. A run stopped half-way thus leaves a folder the next run recognises as IES's.
     */
    public static void claim(Path out, String command, String version) throws IOException {
        Files.createDirectories(out);
        String json = "{\n  \"command\": " + new com.google.gson.JsonPrimitive(command) + ",\n  \"ies_version\": "
                + new com.google.gson.JsonPrimitive(version) + ",\n  \"status\": \"running (a complete run replaces this record)\"\n}\n";
        Nifti.writeAtomically(out.resolve(ExplainLayout.RUN), os -> os.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /**
     * Checks ({@link #check}), creates and locks the output folder for a run described by {@code holder} (written
     * into the lock file), and removes what killed runs left in it (reported by {@link #warnings()}).
     *
     * @throws OutputBusyException when a live run holds the folder
     */
    public static OutputFolder open(Path out, String holder, Collection<Path> inputs) throws IOException {
        check(out, inputs);
        Path abs = out.toAbsolutePath().normalize();
        List<Path> missing = new ArrayList<>();
        for (Path p = abs; p != null && !Files.exists(p); p = p.getParent()) missing.add(0, p);
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            for (int i = missing.size() - 1; i >= 0; i--) {
                try {
                    Files.deleteIfExists(missing.get(i));
                } catch (IOException ignored) {
                    break;
                }
            }
            String why = e instanceof java.nio.file.FileSystemException && ((java.nio.file.FileSystemException) e).getReason() != null
                    ? ((java.nio.file.FileSystemException) e).getReason() : e.getClass().getSimpleName();
            throw new OutputFolderException("cannot create the output folder " + out + " (" + why + ": " + e.getMessage()
                    + "): choose a folder on a writable disk");
        }
        List<Path> created = new ArrayList<>();
        for (Path p : missing) if (Files.isDirectory(p)) created.add(p);
        Path key = abs.toRealPath();
        OutputFolder f = new OutputFolder(abs, created);
        Runtime.getRuntime().addShutdownHook(f.hook);
        boolean ok = false;
        try {
            // the lock is the folder's before it is taken, so that a signal while it is taken releases what was done
            f.lock = new FolderLock(abs, key);
            f.lock.lock(holder, f.warnings);
            synchronized (f) {
                // a signal before the lock was the folder's: the hook's clean-up has run, so undo the lock here
                if (f.closed) {
                    f.lock.release();
                    throw new IOException("the run is stopping");
                }
            }
            f.staging.removeLeftovers(f.warnings);
            ok = true;
        } finally {
            if (!ok) f.close();
        }
        return f;
    }

    /** The folder (absolute). */
    public Path dir() {
        return dir;
    }

    /** What {@link #open} did that the user should know: leftovers removed, a stale lock taken over. */
    public List<String> warnings() {
        return Collections.unmodifiableList(warnings);
    }

    /** The folders that {@link #open} created (outermost first). */
    public List<Path> created() {
        return Collections.unmodifiableList(created);
    }

    /** A new, empty staging folder inside the output folder (removed by {@link #close} unless committed). */
    public Path newStaging() throws IOException {
        if (closed) throw new IOException("the output folder " + dir + " is closed (the run is stopping)");
        return staging.create();
    }

    /**
     * Moves every file of a staging folder to the same relative path in the output folder and deletes the staging
     * folder. A run's first commit replaces the previous IES run's outputs as a whole: the files that run wrote (its
     * run.json's {@code "outputs"}; for folders of earlier versions, the files named as IES names its outputs) and this
     * run does not write again are removed, so the folder holds exactly this run's outputs plus what the user put there.
     * The run record (listing the old and new files until the old ones are gone) moves first: a run stopped half-way through the moves leaves a folder the next run
     * recognises as IES's (and replaces).
     */
    public void commit(Path stagingFolder) throws IOException {
        staging.commit(stagingFolder);
    }

    /**
     * Adds {@code name} (a file directly in {@code dir}, written by IES after the folder's run, e.g. a report) to the
     * files that run.json lists as the run's outputs, so that the next run into the folder replaces it with the rest.
     * Only where run.json is an IES record that already lists its outputs; false (nothing changed) elsewhere.
     */
    public static boolean listAmongOutputs(Path dir, String name) throws IOException {
        return Staging.addOutput(dir, name);
    }

    /** Marks the run as successful: the folders it created stay. */
    public void keep() {
        keep = true;
    }

    /** True when a live run (this JVM or another process) holds {@code folder}'s lock. */
    public static boolean isHeld(Path folder) {
        return FolderLock.isHeld(folder);
    }

    @Override
    public void close() {
        if (closed) return;
        cleanUp();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs or has run
        }
    }

    /**
     * The shutdown hook (SIGINT, SIGTERM, System.exit): the run's threads go on while hooks run, and one of them may
     * be writing a file into a staging folder (re-creating it), so the clean-up is repeated once shortly after.
     */
    private void cleanUpAtExit() {
        if (closed) return;
        staging.stop();        // from now on no write may re-create them (Nifti.writeAtomically checks)
        cleanUp();
        try {
            Thread.sleep(150);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        staging.deleteSeen();
        if (!keep) removeCreated();
    }

    private void removeCreated() {
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                Files.deleteIfExists(created.get(i));    // only when empty
            } catch (IOException notEmpty) {
                break;
            }
        }
    }

    /** Staging folders, the lock, and (after a failure) the folders this run created when they are empty. */
    private synchronized void cleanUp() {
        if (closed) return;
        closed = true;
        staging.deleteOpen();
        if (lock != null) lock.release();
        if (!keep) removeCreated();
    }

    /** Deletes a folder tree (best effort). */
    public static void deleteTree(Path p) {
        Staging.deleteTree(p);
    }
}
