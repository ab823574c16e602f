package io.github.ies.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPOutputStream;

/**
 * Reading and writing NIfTI volumes: the entry point of the {@code io} package.
 *
 * <p>Writing is atomic: the file is written under a temporary name in the target folder and renamed, so a failed
 * or cancelled run never leaves a half-written volume. A name ending in {@code .gz} is gzipped (level 1).
 */
public final class Nifti {

    private Nifti() {}

    /** Reads the first (or only) volume of a NIfTI file. */
    public static Volume read(Path path) throws IOException {
        return read(path, 0);
    }

    /**
     * Reads volume {@code volumeIndex} (0-based) of a 3D or 4D NIfTI-1 or NIfTI-2 file ({@code .nii},
     * {@code .nii.gz}, or a {@code .hdr}/{@code .img} pair given by either name), with scl_slope/scl_inter applied.
     * A corrupt or unsupported file raises a {@link NiftiFormatException} whose message names the file and the
     * problem.
     */
    public static Volume read(Path path, int volumeIndex) throws IOException {
        return NiftiReader.read(path, volumeIndex);
    }

    /** Reads and checks the header of a NIfTI file (same names as {@link #read}); the data is not read. */
    public static NiftiHeader readHeader(Path path) throws IOException {
        return NiftiReader.readHeader(path);
    }

    /** Writes a volume with the given datatype; integer types are rounded (values out of range are an error). */
    public static void write(Volume v, Path path, NiftiDataType type) throws IOException {
        write(v, path, type, 1.0, 0.0);
    }

    /**
     * Writes a volume storing {@code (value - inter) / slope} in the given datatype, with scl_slope and scl_inter
     * in the header so that readers recover the values. The geometry (pixdim, qfac, sform, qform, codes, units) is
     * copied as exactly as the header's number type allows (float32 in NIfTI-1). The file is a single-file NIfTI-1
     * ({@code .nii}, gzipped when the name ends in {@code .gz}), or NIfTI-2 when a dimension exceeds 32767;
     * cal_min/cal_max are set to the range of the (finite) values.
     */
    public static void write(Volume v, Path path, NiftiDataType type, double slope, double inter) throws IOException {
        write(v, path, type, slope, inter, null);
    }

    /** {@link #write(Volume, Path, NiftiDataType)} with a description in the header's {@code descrip} (ASCII, at most 79 characters). */
    public static void write(Volume v, Path path, NiftiDataType type, String descrip) throws IOException {
        write(v, path, type, 1.0, 0.0, descrip);
    }

    private static void write(Volume v, Path path, NiftiDataType type, double slope, double inter, String descrip) throws IOException {
        if (slope == 0 || !Double.isFinite(slope) || !Double.isFinite(inter)) {
            throw new IllegalArgumentException("scl_slope must be finite and non-zero, scl_inter finite");
        }
        float[] src = v.data();
        float cmin = Float.POSITIVE_INFINITY, cmax = Float.NEGATIVE_INFINITY;
        for (float x : src) {
            if (x < cmin) cmin = x;
            if (x > cmax) cmax = x;
        }
        if (cmin > cmax) cmin = cmax = 0;
        if (cmin == Float.NEGATIVE_INFINITY || cmax == Float.POSITIVE_INFINITY) cmin = cmax = 0;
        boolean nifti2 = false;
        for (int d : v.dims()) nifti2 |= d > Short.MAX_VALUE;
        byte[] header = nifti2 ? NiftiWriter.header2(v, type, slope, inter, cmin, cmax, descrip)
                : NiftiWriter.header1(v, type, slope, inter, cmin, cmax, descrip);
        byte[] body = NiftiWriter.encode(src, type, slope, inter);
        writeAtomically(path, out -> {
            out.write(header);
            out.write(body);
        });
    }

    /** Something that writes a file's content. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes a file under a temporary name in the same folder and renames it into place (gzipping when the name
     * ends in {@code .gz}); on failure the temporary file is deleted and the target is untouched.
     */
    public static void writeAtomically(Path path, Content content) throws IOException {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        OutputFolder.checkNotStopped(abs);
        if (dir != null) Files.createDirectories(dir);
        registerPartHook();
        if (stopping) throw new IOException("the run is stopping (SIGINT or SIGTERM): " + abs + " not written");
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName().toString(), ".part");
        PARTS.add(tmp);
        boolean ok = false;
        try {
            if (stopping) throw new IOException("the run is stopping (SIGINT or SIGTERM): " + abs + " not written");
            try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                 OutputStream out = isGzipName(abs) ? fastGzip(raw) : raw) {
                content.writeTo(out);
            }
            makeWorldReadable(tmp);
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            ok = true;
        } finally {
            PARTS.remove(tmp);
            if (!ok) Files.deleteIfExists(tmp);
        }
    }

    /** Temporary files being written by {@link #writeAtomically}: a JVM stopped by SIGINT or SIGTERM deletes them. */
    private static final java.util.Set<Path> PARTS = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static volatile boolean stopping;
    private static final java.util.concurrent.atomic.AtomicBoolean PART_HOOK = new java.util.concurrent.atomic.AtomicBoolean();

    private static void registerPartHook() {
        if (PART_HOOK.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(Nifti::stopWriting, "ies-partial-files"));
            } catch (IllegalStateException e) {
                // the JVM is already stopping
                stopping = true;
            }
        }
    }

    /**
     * What the shutdown hook does: no new file is started, and the temporary files of writes in progress are deleted
     * (a write still running then fails instead of leaving a {@code .part} file). Package-private for a test.
     */
    static void stopWriting() {
        stopping = true;
        for (Path p : PARTS) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort while the JVM stops
            }
        }
    }

    /** Undoes {@link #stopWriting} (tests only). */
    static void resumeWritingForTest() {
        stopping = false;
    }

    /** gzip at level 1 (nibabel's default too): several times faster than level 6 for a few % larger files. */
    private static OutputStream fastGzip(OutputStream raw) throws IOException {
        return new GZIPOutputStream(raw, 1 << 16) {
            {
                def.setLevel(java.util.zip.Deflater.BEST_SPEED);
            }
        };
    }

    /**
     * Temporary files are created owner-only (0600); outputs get the usual rw-r--r-- so that colleagues and other
     * tools can read them.
     */
    private static void makeWorldReadable(Path p) {
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system (Windows): the default ACLs apply
        }
    }

    static boolean isGzipName(Path p) {
        return p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gz");
    }

    /**
     * Opens a file, transparently un-gzipping it when it starts with the gzip magic bytes. The gzip reader is strict
     * ({@link GzipReader}): its CRC32 and length checks run when the stream is read to its end.
     */
    static InputStream open(Path p) throws IOException {
        InputStream raw = Files.newInputStream(p);
        java.io.PushbackInputStream in = new java.io.PushbackInputStream(raw, 2);
        byte[] magic = in.readNBytes(2);
        in.unread(magic);
        if (magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) return new GzipReader(in, p.toString());
        return new java.io.BufferedInputStream(in, 1 << 16);
    }
}
