package io.github.ies.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The staging folders of one output folder: outputs are written into a hidden staging folder and moved into place
 * when complete ({@link #commit}); what killed runs left (staging folders, {@code .*.part} files) is removed when the
 * folder is opened ({@link #removeLeftovers}).
 */
final class Staging {

    /** Prefixes of staging folders that killed runs (of this or earlier versions) may have left. */
    static final String[] LEFTOVER_PREFIXES = {OutputFolder.STAGING_PREFIX, ".ies-explain-"};

    /** Staging folders of runs stopped by a signal: writes into them fail instead of re-creating them. */
    private static final Set<Path> STOPPED = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final List<Path> open = Collections.synchronizedList(new ArrayList<>());
    private final List<Path> seen = new CopyOnWriteArrayList<>();

    Staging(Path dir) {
        this.dir = dir;
    }

    /** Fails when {@code target} lies in the staging folder of a run that a signal is stopping. */
    static void checkNotStopped(Path target) throws IOException {
        if (STOPPED.isEmpty()) return;
        for (Path p : STOPPED) {
            if (target.startsWith(p)) throw new IOException("the run is stopping (SIGINT or SIGTERM): " + p + " was removed");
        }
    }

    /** Removes the staging folders and temporary files that killed runs left (safe: this run holds the lock). */
    void removeLeftovers(List<String> warnings) throws IOException {
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

    /** A new, empty staging folder. */
    Path create() throws IOException {
        Path s = Files.createTempDirectory(dir, OutputFolder.STAGING_PREFIX);
        open.add(s);
        seen.add(s);
        return s;
    }

    /**
     * Moves every file of a staging folder to the same relative path in the output folder (replacing older files,
     * merging sub-folders) and deletes the staging folder. The run record moves first: a run stopped half-way through
     * the moves leaves a folder the next run recognises as IES's (and replaces).
     */
    void commit(Path staging) throws IOException {
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
        open.remove(staging);
    }

    /** Deletes the staging folders not committed. */
    void deleteOpen() {
        for (Path s : new ArrayList<>(open)) deleteTree(s);
        open.clear();
    }

    /** From now on no write may re-create any staging folder of this run ({@link #checkNotStopped}). */
    void stop() {
        STOPPED.addAll(seen);
    }

    /** Deletes every staging folder this run ever made (again, after a signal: a write may have re-created one). */
    void deleteSeen() {
        for (Path s : seen) deleteTree(s);
    }

    /** Deletes a folder tree (best effort). */
    static void deleteTree(Path p) {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
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
