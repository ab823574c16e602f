package io.github.ies.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A run's output files are first written into a hidden staging folder inside the output folder and moved into
 * place only when all of them are complete ({@link #commit()}); closing without committing deletes the staging
 * folder, so a failed or cancelled run leaves nothing half-written. Sub-folders are merged into existing ones.
 */
public final class StagedOutput implements AutoCloseable {

    private final Path target;
    private final Path staging;
    private boolean committed;

    private StagedOutput(Path target) throws IOException {
        this.target = target;
        Files.createDirectories(target);
        this.staging = Files.createTempDirectory(target, ".ies-staging-");
    }

    /** Starts staging outputs for the folder {@code target} (created if needed). */
    public static StagedOutput in(Path target) throws IOException {
        return new StagedOutput(target);
    }

    /** The staging folder: write outputs here, under their final relative names. */
    public Path dir() {
        return staging;
    }

    /** A path inside the staging folder. */
    public Path resolve(String relative) {
        return staging.resolve(relative);
    }

    /** Moves every staged file to its place in the target folder (replacing existing files). */
    public void commit() throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(staging)) {
            s.filter(Files::isRegularFile).forEach(files::add);
        }
        for (Path f : files) {
            Path dest = target.resolve(staging.relativize(f).toString());
            Files.createDirectories(dest.getParent());
            try {
                Files.move(f, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(f, dest, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        committed = true;
        deleteTree(staging);
    }

    @Override
    public void close() throws IOException {
        if (!committed) deleteTree(staging);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(q);
        }
    }

    /** True when the folder holds a leftover staging folder of a killed run (they are safe to delete). */
    public static boolean hasLeftovers(Path target) throws IOException {
        if (!Files.isDirectory(target)) return false;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(target, ".ies-staging-*")) {
            return ds.iterator().hasNext();
        }
    }
}
