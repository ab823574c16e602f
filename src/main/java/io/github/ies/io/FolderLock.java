package io.github.ies.io;

import io.github.ies.io.OutputFolder.OutputBusyException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lock file {@value OutputFolder#LOCK} of an output folder: an OS file lock, so a killed run's lock is stale and
 * taken over by the next run, while a live run's lock makes {@link OutputBusyException}. The file holds who took it.
 */
final class FolderLock {

    /** Folders held by this JVM (POSIX locks are per process: a second channel on the file would release ours). */
    private static final Map<Path, String> HELD = new ConcurrentHashMap<>();

    private final Path dir;
    private final Path key;
    // volatile: a shutdown hook (SIGTERM while the lock is being taken) reads them from another thread
    private volatile FileChannel channel;
    private volatile FileLock lock;
    /** Whether this object put {@link #key} into {@link #HELD}. */
    private volatile boolean registered;
    /** Set by {@link #release}: the lock is not taken after it (a signal came first). */
    private boolean released;

    FolderLock(Path dir, Path key) {
        this.dir = dir;
        this.key = key;
    }

    /**
     * Takes the lock of {@code dir} (whose real path is {@code key}) for a run described by {@code holder}; a stale
     * lock taken over is reported into {@code warnings}. Every step is visible to {@link #release} at once, so a run stopped by a
     * signal while it takes the lock (the shutdown hook calling release on another thread) leaves no lock file of its
     * own behind; a lock file it does not hold is never deleted.
     */
    synchronized void lock(String holder, List<String> warnings) throws IOException {
        if (released) throw new IOException("the run is stopping");
        String other = HELD.putIfAbsent(key, describeMe(holder));
        if (other != null) throw busy(other);
        registered = true;
        Path lp = dir.resolve(OutputFolder.LOCK);
        try {
            for (int attempt = 0; ; attempt++) {
                // Never open the lock file a second time while holding it: POSIX drops a process's lock when any of
                // its descriptors of the file is closed. Whether the path still names the locked file is checked
                // with stat (a run that ends deletes its lock file, another may create a new one meanwhile).
                FileChannel ch = FileChannel.open(lp, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                channel = ch;
                Object before = fileKey(lp);
                FileLock l;
                try {
                    l = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    l = null;
                }
                if (l == null) {
                    channel = null;
                    ch.close();
                    throw busy(readLock(lp));
                }
                lock = l;
                Object after = fileKey(lp);
                if ((before == null || !before.equals(after)) && attempt < 5) {
                    lock = null;
                    channel = null;
                    l.release();
                    ch.close();
                    continue;
                }
                String previous = readAll(ch);
                ch.truncate(0);
                ch.write(ByteBuffer.wrap((describeMe(holder) + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                ch.force(true);
                if (!previous.isBlank()) {
                    warnings.add("took over the lock of an earlier run that is no longer running (" + strip(previous) + ")");
                }
                return;
            }
        } catch (IOException | RuntimeException e) {
            HELD.remove(key);
            registered = false;
            throw e;
        }
    }

    /**
     * Deletes the lock file and releases the lock; {@link #lock} and release are synchronized, so a shutdown hook
     * releases after a lock under way, and a lock is never taken after a release.
     */
    synchronized void release() {
        released = true;
        FileLock l = lock;
        FileChannel ch = channel;
        lock = null;
        channel = null;
        if (l != null) {
            try {
                Files.deleteIfExists(dir.resolve(OutputFolder.LOCK));
            } catch (IOException ignored) {
                // leave it: the OS lock is released below, so the next run takes it over
            }
            try {
                l.release();
            } catch (IOException ignored) {
                // closing the channel releases the lock in any case
            }
        }
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
        if (registered) {
            registered = false;
            HELD.remove(key);
        }
    }

    /** True when a live run (this JVM or another process) holds {@code folder}'s lock. */
    static boolean isHeld(Path folder) {
        Path lp = folder.resolve(OutputFolder.LOCK);
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

    private static String describeMe(String holder) {
        String host = System.getenv("HOSTNAME");
        return "pid " + ProcessHandle.current().pid() + (host == null || host.isBlank() ? "" : " on " + host) + ", " + holder
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
}
