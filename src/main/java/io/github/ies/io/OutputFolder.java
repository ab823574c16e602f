package io.github.ies.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The output folder of one run, held from before the inference until the end. It guarantees that a run never
 * deletes or overwrites what it did not create and never leaves anything half-written:
 *
 * <ul>
 *   <li>{@link #check} (no side effects): the folder is not an existing file, can be created and written, and does not
 *       equal or contain any of the run's inputs (so no output can overwrite an input);</li>
 *   <li>{@link #open}: creates the folder (remembering which folders it created), takes the lock file
 *       {@value #LOCK} (an OS file lock, so a killed run's lock is stale and taken over by the next run; a live run's
 *       lock makes {@link OutputBusyException}), and removes what killed runs left: staging folders
 *       ({@code .ies-staging-*}, {@code .ies-explain-*}) and temporary {@code .*.part} files;</li>
 *   <li>{@link #newStaging} / {@link #commit}: outputs are written into a hidden staging folder and moved into place
 *       when complete;</li>
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
    /** Prefixes of staging folders that killed runs (of this or earlier versions) may have left. */
    static final String[] LEFTOVER_PREFIXES = {STAGING_PREFIX, ".ies-explain-"};

    /** Staging folders of runs stopped by a signal: writes into them fail instead of re-creating them. */
    private static final java.util.Set<Path> STOPPED = ConcurrentHashMap.newKeySet();

    /** Fails when {@code target} lies in the staging folder of a run that a signal is stopping. */
    static void checkNotStopped(Path target) throws IOException {
        if (STOPPED.isEmpty()) return;
        for (Path p : STOPPED) {
            if (target.startsWith(p)) throw new IOException("the run is stopping (SIGINT or SIGTERM): " + p + " was removed");
        }
    }

    /** Folders held by this JVM (POSIX locks are per process: a second channel on the file would release ours). */
    private static final Map<Path, String> HELD = new ConcurrentHashMap<>();

    private final Path dir;
    private final Path key;
    private final List<Path> created;
    private final List<Path> stagings = Collections.synchronizedList(new ArrayList<>());
    private final List<Path> stagingsSeen = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private FileChannel channel;
    private FileLock lock;
    private final Thread hook;
    private volatile boolean keep;
    private volatile boolean closed;

    private OutputFolder(Path dir, Path key, List<Path> created) {
        this.dir = dir;
        this.key = key;
        this.created = created;
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
        Path abs = out.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new OutputFolderException("the output folder " + out + " is an existing " + (Files.isRegularFile(abs) ? "file" : "non-folder")
                    + ": give the path of a folder (it is created if missing)");
        }
        Path anc = abs;
        while (anc != null && !Files.exists(anc)) anc = anc.getParent();
        if (anc == null) throw new OutputFolderException("cannot create the output folder " + out + ": no part of its path exists");
        if (!Files.isDirectory(anc)) {
            throw new OutputFolderException("cannot create the output folder " + out + ": " + anc + " is a file, not a folder");
        }
        if (!Files.isWritable(anc)) {
            throw new OutputFolderException((anc.equals(abs) ? "the output folder " + out + " is not writable"
                    : "cannot create the output folder " + out + ": " + anc + " is not writable")
                    + " (permission denied or a read-only file system): choose another folder or fix its permissions");
        }
        Path real = realOf(abs, anc);
        for (Path in : inputs) {
            if (in == null || !Files.exists(in)) continue;
            Path ri;
            try {
                ri = in.toRealPath();
            } catch (IOException e) {
                continue;
            }
            if (ri.equals(real)) {
                throw new OutputFolderException("the output folder " + out + " is the input " + in
                        + ": choose another folder (IES never writes over its inputs)");
            }
            if (ri.startsWith(real)) {
                throw new OutputFolderException("the output folder " + out + " contains the input " + in
                        + ": IES refuses to write where its inputs are (an output could replace them); choose a folder that"
                        + " holds none of the inputs, e.g. a new sub-folder");
            }
        }
        List<String> foreign = foreignOutputs(abs);
        if (!foreign.isEmpty()) {
            throw new OutputFolderException("the output folder " + out + " holds " + String.join(", ", foreign) + ", which no IES run wrote"
                    + " (there is no IES run.json in it): IES never overwrites what it did not create; choose another folder, e.g. a new"
                    + " sub-folder (nothing was changed)");
        }
    }

    private static boolean hasBatchMarker(Path dir) {
        for (String marker : BATCH_MARKERS) if (Files.isRegularFile(dir.resolve(marker), LinkOption.NOFOLLOW_LINKS)) return true;
        return false;
    }

    /**
     * The names IES writes ({@link ExplainLayout#outputNames}) present in an existing folder that no IES run wrote:
     * none when the folder holds the run.json of an IES run (a {@code command} and an {@code ies_version}; commands
     * without staging write a provisional one first, {@link #claim}), a batch run's marker (in it or in a subject's
     * folder), or the record of an earlier version (context.json / relocate.json of an experiment, an IES metrics.json,
     * the four tables of ies analyze); they are then an earlier run's outputs, which a new run replaces.
     */
    static List<String> foreignOutputs(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        List<String> present = new ArrayList<>();
        for (String n : ExplainLayout.outputNames()) if (Files.exists(dir.resolve(n), LinkOption.NOFOLLOW_LINKS)) present.add(n);
        if (present.isEmpty() || writtenByIes(dir)) return List.of();
        return present;
    }

    private static final String[] BATCH_MARKERS = {"ies-batch-subject.json", "ies-batch-done.json", "ies-batch-failed.json"};

    private static boolean writtenByIes(Path dir) {
        if (hasBatchMarker(dir)) return true;
        // an ies batch output folder: its subjects' folders carry the markers (its summary.csv is at the top)
        try (Stream<Path> st = Files.list(dir)) {
            if (st.anyMatch(d -> Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS) && hasBatchMarker(d))) return true;
        } catch (IOException e) {
            return false;
        }
        if (runCommand(dir) != null) return true;
        // records of earlier versions
        com.google.gson.JsonObject ctx = json(dir.resolve("context.json")), rel = json(dir.resolve("relocate.json")),
                met = json(dir.resolve(ExplainLayout.METRICS));
        if ((ctx != null && ctx.has("experiment")) || (rel != null && rel.has("experiment")) || (met != null && met.has("ndsc_r"))) return true;
        for (String t : new String[] {ExplainLayout.GROUP_TESTS, ExplainLayout.GROUP_SUMMARY, ExplainLayout.CHANNEL_CONTRIBUTIONS, "peaks.csv"}) {
            if (!Files.isRegularFile(dir.resolve(t), LinkOption.NOFOLLOW_LINKS)) return false;
        }
        return true;
    }

    /** The {@code command} of the IES run.json in a folder; null when there is none (or it is not an IES record). */
    public static String runCommand(Path dir) {
        com.google.gson.JsonObject o = json(dir.resolve(ExplainLayout.RUN));
        if (o == null || !o.has("command") || !o.has("ies_version") || !o.get("command").isJsonPrimitive()) return null;
        return o.get("command").getAsString();
    }

    private static com.google.gson.JsonObject json(Path f) {
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) return null;
        try {
            com.google.gson.JsonElement e = com.google.gson.JsonParser.parseString(Files.readString(f, java.nio.charset.StandardCharsets.UTF_8));
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (IOException | RuntimeException ex) {
            return null;
        }
    }

    /**
     * The kind of output folder a command writes: a subject's (segment, explain, demo, batch, Fiji Explain Lesions), or
     * an analysis, context experiment, relocation experiment or evaluation; null for an unknown command.
     */
    static String kind(String command) {
        if (command == null) return null;
        switch (command) {
            case "analyze": case "Lesion Statistics": return "an analysis (ies analyze, Lesion Statistics)";
            case "experiment context": case "Perilesional Context Experiment": return "a context experiment";
            case "experiment relocate": case "Relocate Lesion": return "a relocation experiment";
            case "evaluate": return "an evaluation (ies evaluate)";
            default: return "a subject's segmentation or explanation";
        }
    }

    /**
     * {@link #check(Path, Collection)}, and a folder holding the run.json of another kind of run (e.g. an explain
     * folder given to ies analyze or ies experiment context) is refused too: its record and outputs would be replaced
     * by unrelated ones.
     */
    public static void check(Path out, Collection<Path> inputs, String command) throws OutputFolderException {
        check(out, inputs);
        Path abs = out.toAbsolutePath().normalize();
        String there = Files.isDirectory(abs) ? runCommand(abs) : null;
        if (there != null && command != null && !kind(there).equals(kind(command))) {
            throw new OutputFolderException("the output folder " + out + " holds the outputs of " + kind(there) + " ('" + there + "', its run.json); "
                    + command + " would replace them: choose another folder, e.g. a new sub-folder (nothing was changed)");
        }
    }

    /** What a run writes into its staging folder ({@link #write}). */
    @FunctionalInterface
    public interface Contents {
        void writeTo(Path staging) throws IOException;
    }

    /**
     * A run's outputs written the safe way, for commands that produce a few files at the end (analyze, the
     * experiments, evaluate): the folder checked ({@link #check(Path, Collection, String)}), opened and locked,
     * {@code contents} written into a staging folder (with its run.json), committed, kept; on any failure nothing is
     * moved into place and the folders this run created are removed.
     */
    public static void write(Path out, String command, Collection<Path> inputs, Contents contents) throws IOException {
        check(out, inputs, command);
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

    private static Path realOf(Path abs, Path existingAncestor) {
        try {
            Path r = existingAncestor.toRealPath();
            return r.resolve(existingAncestor.relativize(abs).toString()).normalize();
        } catch (IOException e) {
            return abs;
        }
    }

    /**
     * Checks ({@link #check}), creates and locks the output folder for a run of {@code command}, and removes what
     * killed runs left in it (reported by {@link #warnings()}).
     *
     * @throws OutputBusyException when a live run holds the folder
     */
    public static OutputFolder open(Path out, String command, Collection<Path> inputs) throws IOException {
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
        OutputFolder f = new OutputFolder(abs, key, created);
        Runtime.getRuntime().addShutdownHook(f.hook);
        boolean ok = false;
        try {
            f.lock(command);
            f.removeLeftovers();
            ok = true;
        } finally {
            if (!ok) f.close();
        }
        return f;
    }

    private void lock(String command) throws IOException {
        String other = HELD.putIfAbsent(key, describeMe(command));
        if (other != null) throw busy(other);
        Path lp = dir.resolve(LOCK);
        try {
            for (int attempt = 0; ; attempt++) {
                // Never open the lock file a second time while holding it: POSIX drops a process's lock when any of
                // its descriptors of the file is closed. Whether the path still names the locked file is checked
                // with stat (a run that ends deletes its lock file, another may create a new one meanwhile).
                FileChannel ch = FileChannel.open(lp, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Object before = fileKey(lp);
                FileLock l;
                try {
                    l = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    l = null;
                }
                if (l == null) {
                    ch.close();
                    throw busy(readLock(lp));
                }
                Object after = fileKey(lp);
                if ((before == null || !before.equals(after)) && attempt < 5) {
                    l.release();
                    ch.close();
                    continue;
                }
                String previous = readAll(ch);
                ch.truncate(0);
                ch.write(ByteBuffer.wrap((describeMe(command) + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                ch.force(true);
                channel = ch;
                lock = l;
                if (!previous.isBlank()) {
                    warnings.add("took over the lock of an earlier run that is no longer running (" + strip(previous) + ")");
                }
                return;
            }
        } catch (IOException | RuntimeException e) {
            HELD.remove(key);
            throw e;
        }
    }

    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private OutputBusyException busy(String holder) {
        return new OutputBusyException("the output folder " + dir + " is in use by another IES run (" + strip(holder)
                + "): wait until it ends or choose another folder");
    }

    private static String strip(String lockText) {
        String s = lockText == null ? "" : lockText.strip().replace('\n', ' ');
        return s.isEmpty() ? "no details recorded" : s;
    }

    private static String describeMe(String command) {
        String host = System.getenv("HOSTNAME");
        return "pid " + ProcessHandle.current().pid() + (host == null || host.isBlank() ? "" : " on " + host) + ", " + command
                + ", started " + Instant.now();
    }

    private static String readLock(Path lp) {
        try {
            return Files.readString(lp, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static String readAll(FileChannel ch) throws IOException {
        long n = Math.min(ch.size(), 4096);
        ByteBuffer b = ByteBuffer.allocate((int) n);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) { /* fill */ }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    /** Removes the staging folders and temporary files that killed runs left (safe: this run holds the lock). */
    private void removeLeftovers() throws IOException {
        List<String> removed = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                boolean staging = false;
                for (String pre : LEFTOVER_PREFIXES) staging |= n.startsWith(pre) && Files.isDirectory(p);
                boolean part = n.startsWith(".") && n.endsWith(".part") && Files.isRegularFile(p);
                if (staging || part) {
                    deleteTree(p);
                    removed.add(n);
                }
            }
        }
        if (!removed.isEmpty()) {
            Collections.sort(removed);
            warnings.add("removed " + removed.size() + " leftover(s) of an interrupted run from " + dir + ": " + String.join(", ", removed));
        }
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
        Path s = Files.createTempDirectory(dir, STAGING_PREFIX);
        stagings.add(s);
        stagingsSeen.add(s);
        return s;
    }

    /**
     * Moves every file of a staging folder to the same relative path in the output folder (replacing older files,
     * merging sub-folders) and deletes the staging folder. The run record moves first: a run stopped half-way through
     * the moves leaves a folder the next run recognises as IES's (and replaces).
     */
    public void commit(Path staging) throws IOException {
        List<Path> files;
        Path record = staging.resolve(ExplainLayout.RUN);
        try (Stream<Path> s = Files.walk(staging)) {
            files = s.filter(Files::isRegularFile).sorted(Comparator.comparing((Path f) -> !f.equals(record))).toList();
        }
        for (Path f : files) {
            Path dst = dir.resolve(staging.relativize(f).toString());
            Files.createDirectories(dst.getParent());
            try {
                Files.move(f, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(f, dst, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        deleteTree(staging);
        stagings.remove(staging);
    }

    /** Marks the run as successful: the folders it created stay. */
    public void keep() {
        keep = true;
    }

    /** True when a live run (this JVM or another process) holds {@code folder}'s lock. */
    public static boolean isHeld(Path folder) {
        Path lp = folder.resolve(LOCK);
        if (!Files.exists(lp)) return false;
        try {
            if (HELD.containsKey(folder.toRealPath())) return true;
        } catch (IOException e) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(lp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) return true;
            l.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
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
        STOPPED.addAll(stagingsSeen);        // from now on no write may re-create them (Nifti.writeAtomically checks)
        cleanUp();
        try {
            Thread.sleep(150);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Path s : stagingsSeen) deleteTree(s);
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
        for (Path s : new ArrayList<>(stagings)) deleteTree(s);
        stagings.clear();
        if (channel != null) {
            try {
                Files.deleteIfExists(dir.resolve(LOCK));
            } catch (IOException ignored) {
                // leave it: the OS lock is released below, so the next run takes it over
            }
            try {
                if (lock != null) lock.release();
                channel.close();
            } catch (IOException ignored) {
                // closing the channel releases the lock in any case
            }
            HELD.remove(key);
        }
        if (!keep) removeCreated();
    }

    /** Deletes a folder tree (best effort). */
    public static void deleteTree(Path p) {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // best effort
        }
    }
}
