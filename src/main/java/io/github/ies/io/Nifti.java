package io.github.ies.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Reading and writing NIfTI volumes: the entry point of the {@code io} package.
 *
 * <p>Writing is atomic: the file is written under a temporary name in the target folder and renamed, so a failed
 * or cancelled run never leaves a half-written volume. A name ending in {@code .gz} is gzipped.
 */
public final class Nifti {

    private Nifti() {}

    /** Reads the first (or only) volume of a NIfTI file. */
    public static Volume read(Path path) throws IOException {
        return read(path, 0);
    }

    /** Reads volume {@code volumeIndex} (0-based) of a 3D or 4D NIfTI file, with scl_slope/scl_inter applied. */
    public static Volume read(Path path, int volumeIndex) throws IOException {
        return NiftiReader.read(path, volumeIndex);
    }

    /** Writes a volume with the given datatype; integer types are rounded (values out of range are an error). */
    public static void write(Volume v, Path path, NiftiDataType type) throws IOException {
        write(v, path, type, 1.0, 0.0);
    }

    /**
     * Writes a volume storing {@code (value - inter) / slope} in the given datatype, with scl_slope and scl_inter
     * in the header so that readers recover the values. The geometry (sform, qform, codes, units) is copied.
     */
    public static void write(Volume v, Path path, NiftiDataType type, double slope, double inter) throws IOException {
        if (!type.isWritable()) throw new IllegalArgumentException("writing " + type.label + " is not supported");
        if (slope == 0 || !Double.isFinite(slope) || !Double.isFinite(inter)) {
            throw new IllegalArgumentException("scl_slope must be finite and non-zero, scl_inter finite");
        }
        int[] d = v.dims();
        Geometry g = v.geometry();
        ByteBuffer h = ByteBuffer.allocate(352).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0, 348);
        h.put(38, (byte) 'r');
        h.putShort(40, (short) 3);
        for (int i = 0; i < 3; i++) {
            if (d[i] > Short.MAX_VALUE) throw new IllegalArgumentException("dimension " + d[i] + " too large for NIfTI-1");
            h.putShort(42 + 2 * i, (short) d[i]);
        }
        for (int i = 3; i < 7; i++) h.putShort(42 + 2 * i, (short) 1);
        h.putShort(70, (short) type.code);
        h.putShort(72, (short) type.bitpix());
        h.putFloat(76, (float) g.qfac);
        for (int i = 0; i < 3; i++) h.putFloat(80 + 4 * i, (float) g.spacing[i]);
        h.putFloat(108, 352f);
        boolean scaled = slope != 1.0 || inter != 0.0;
        h.putFloat(112, scaled ? (float) slope : (type == NiftiDataType.FLOAT32 ? 0f : 1f));
        h.putFloat(116, scaled ? (float) inter : 0f);
        h.put(123, (byte) g.xyztUnits);
        byte[] descrip = "IES for Fiji".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < descrip.length; i++) h.put(148 + i, descrip[i]);
        h.putShort(252, (short) g.qformCode);
        h.putShort(254, (short) g.sformCode);
        for (int i = 0; i < 3; i++) h.putFloat(256 + 4 * i, (float) g.quatern[i]);
        for (int i = 0; i < 3; i++) h.putFloat(268 + 4 * i, (float) g.qoffset[i]);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) h.putFloat(280 + 16 * r + 4 * c, (float) g.srow[r][c]);
        h.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1').put(347, (byte) 0);

        float[] src = v.data();
        ByteBuffer body = ByteBuffer.allocate(Math.multiplyExact(src.length, type.bytes)).order(ByteOrder.LITTLE_ENDIAN);
        double lo = type.min(), hi = type.max();
        double gmin = Double.POSITIVE_INFINITY, gmax = Double.NEGATIVE_INFINITY;
        for (int n = 0; n < src.length; n++) {
            float val = src[n];
            if (type == NiftiDataType.FLOAT32) {
                body.putFloat(scaled ? (float) ((val - inter) / slope) : val);
                continue;
            }
            if (Float.isNaN(val)) throw new IllegalArgumentException("NaN cannot be stored as " + type.label);
            double s = Math.rint((val - inter) / slope);
            if (s < lo || s > hi) {
                throw new IllegalArgumentException("value " + val + " does not fit " + type.label
                        + (scaled ? " with scl_slope " + slope : ""));
            }
            gmin = Math.min(gmin, s);
            gmax = Math.max(gmax, s);
            switch (type) {
                case UINT8: body.put((byte) (int) s); break;
                case INT16: body.putShort((short) s); break;
                case INT32: body.putInt((int) s); break;
                default: throw new AssertionError(type);
            }
        }
        writeAtomically(path, out -> {
            out.write(h.array());
            out.write(body.array());
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
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName().toString(), ".part");
        boolean ok = false;
        try {
            try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                 OutputStream out = isGzipName(abs) ? new GZIPOutputStream(raw, 1 << 16) : raw) {
                content.writeTo(out);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            ok = true;
        } finally {
            if (!ok) Files.deleteIfExists(tmp);
        }
    }

    static boolean isGzipName(Path p) {
        return p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gz");
    }

    /** Opens a file, transparently un-gzipping it when it starts with the gzip magic bytes. */
    static InputStream open(Path p) throws IOException {
        InputStream in = new java.io.BufferedInputStream(Files.newInputStream(p), 1 << 16);
        in.mark(2);
        int b0 = in.read(), b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) return new GZIPInputStream(in, 1 << 16);
        return in;
    }
}
