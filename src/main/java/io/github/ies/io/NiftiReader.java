package io.github.ies.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipException;

/**
 * NIfTI-1 and NIfTI-2 reader: single files ({@code .nii}, {@code .nii.gz}) and {@code .hdr}/{@code .img} pairs
 * (either file may be given, either may be gzipped), both byte orders, the datatypes of {@link NiftiDataType}.
 *
 * <p>Hostile files never cause an out-of-memory: the header is checked (dims, vox_offset, magic), an uncompressed
 * file's length is checked against the data size the header claims before anything is allocated, a volume is
 * limited to {@link #MAX_VOXELS} voxels, and gzipped data is read in bounded chunks so that a stream that ends
 * early fails with "truncated" having allocated no more than what the stream really held.
 */
final class NiftiReader {

    /** The largest volume (voxels) a Java float array can hold. */
    static final long MAX_VOXELS = Integer.MAX_VALUE - 8;
    private static final int CHUNK = 1 << 23;

    private NiftiReader() {}

    /** Finds the header file for a path: itself, or the .hdr(.gz) of a given .img(.gz). */
    static Path headerFile(Path path) throws IOException {
        String name = lower(path);
        if (name.endsWith(".img") || name.endsWith(".img.gz")) {
            Path h = sibling(path, ".img", ".hdr");
            if (h == null) throw new NiftiFormatException(path.toString(), "no header (.hdr or .hdr.gz) next to the image file");
            return h;
        }
        checkFile(path);
        return path;
    }

    /**
     * Checks that a path names a readable regular file, with a message that says what it is instead: missing, a
     * folder, a pipe or device ({@code /dev/zero}, a FIFO), or unreadable.
     */
    static void checkFile(Path path) throws IOException {
        if (Files.isRegularFile(path)) {
            if (!Files.isReadable(path)) {
                throw new AccessDeniedException(path.toString(), null, "permission denied: the file is not readable (check its permissions)");
            }
            return;
        }
        if (Files.isDirectory(path)) {
            throw new NiftiFormatException(path.toString(), "is a folder, not a NIfTI file (give a .nii, .nii.gz or .hdr/.img file)");
        }
        if (Files.exists(path)) {
            throw new NiftiFormatException(path.toString(), "is not a regular file (a pipe, socket or device); give a NIfTI file"
                    + " (.nii, .nii.gz or .hdr/.img) saved on disk");
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null && Files.exists(parent) && !Files.isDirectory(parent)) {
            throw new NoSuchFileException(path.toString(), null, "no such file (" + parent + " is a file, not a folder)");
        }
        throw new NoSuchFileException(path.toString(), null, "no such file");
    }

    /** The data file of a pair header (.hdr(.gz) -> .img(.gz)). */
    static Path imageFile(Path header, Path given) throws IOException {
        String name = lower(given);
        if (name.endsWith(".img") || name.endsWith(".img.gz")) return given;
        if (!(lower(header).endsWith(".hdr") || lower(header).endsWith(".hdr.gz"))) {
            throw new NiftiFormatException(header.toString(), "the magic says the data lies in a separate .img file,"
                    + " but the file name does not end in .hdr");
        }
        Path img = sibling(header, ".hdr", ".img");
        if (img == null) throw new NiftiFormatException(header.toString(), "no image file (.img or .img.gz) next to the header");
        return img;
    }

    private static Path sibling(Path p, String from, String to) {
        String n = p.getFileName().toString();
        String ln = n.toLowerCase(Locale.ROOT);
        boolean gz = ln.endsWith(".gz");
        String stem = n.substring(0, n.length() - from.length() - (gz ? 3 : 0));
        boolean upper = n.substring(stem.length(), stem.length() + from.length()).equals(from.toUpperCase(Locale.ROOT));
        String ext = upper ? to.toUpperCase(Locale.ROOT) : to;
        String[] candidates = gz ? new String[] {ext + ".gz", ext + (upper ? ".GZ" : ".gz"), ext}
                : new String[] {ext, ext + ".gz"};
        for (String c : candidates) {
            Path s = p.resolveSibling(stem + c);
            if (Files.exists(s)) return s;
        }
        return null;
    }

    private static String lower(Path p) {
        return p.getFileName().toString().toLowerCase(Locale.ROOT);
    }

    /** Reads and checks the header of a NIfTI file (any of the names {@link #read} accepts). */
    static NiftiHeader readHeader(Path path) throws IOException {
        return readHeader(path, false);
    }

    /**
     * Reads the header; with {@code wholeStream} a gzipped header file is read to its end so that its CRC32 and
     * length are checked (a single {@code .nii.gz} is checked when its data is read).
     */
    private static NiftiHeader readHeader(Path path, boolean wholeStream) throws IOException {
        Path hf = headerFile(path);
        byte[] bytes;
        try (InputStream in = Nifti.open(hf)) {
            bytes = in.readNBytes(NiftiHeader.NIFTI2_SIZE);
            if (wholeStream && in instanceof GzipReader) drain(in, hf.toString(), 0);
        } catch (ZipException | EOFException e) {
            throw new NiftiFormatException(hf.toString(), "corrupt gzip stream in the header (" + e.getMessage() + ")", e);
        }
        return NiftiHeader.parse(bytes, hf.toString());
    }

    static Volume read(Path path, int volumeIndex) throws IOException {
        Path hf = headerFile(path);
        NiftiHeader h = readHeader(hf, false);
        if (!h.singleFile) readHeader(hf, true);
        Path df = h.singleFile ? hf : imageFile(hf, path);
        if (!h.singleFile) checkFile(df);
        return readData(h, hf, df, volumeIndex);
    }

    /** Bytes that may follow the data the header describes before a file counts as hostile. */
    static final long MAX_TRAILING = 64L << 20;

    /**
     * Reads a stream to its end (so that a gzip stream's trailer is checked), allowing at most {@code allowed}
     * bytes plus {@link #MAX_TRAILING} more.
     */
    private static void drain(InputStream in, String file, long allowed) throws IOException {
        byte[] b = new byte[1 << 16];
        long n = 0, limit = allowed + MAX_TRAILING;
        for (int r; (r = in.read(b)) > 0; ) {
            n += r;
            if (n > limit) {
                throw new NiftiFormatException(file, "more than " + (MAX_TRAILING >> 20) + " MB of data after the image data the header"
                        + " describes: a damaged or hostile file");
            }
        }
    }

    private static Volume readData(NiftiHeader h, Path hf, Path df, int volumeIndex) throws IOException {
        String file = df.toString();
        NiftiDataType type = h.dataType();
        if (type == null) {
            throw new NiftiFormatException(hf.toString(), "unsupported datatype " + h.datatypeCode + " (" + h.datatypeName()
                    + "); IES reads " + supported() + ": convert the file, e.g. fslmaths IN OUT -odt float, or nibabel's"
                    + " img.set_data_dtype('float32')");
        }
        long nvol = h.volumeCount();
        if (volumeIndex < 0 || volumeIndex >= nvol) {
            throw new NiftiFormatException(hf.toString(), "volume " + volumeIndex + " requested but the file has " + nvol
                    + (nvol == 1 ? " volume (index 0)" : " volumes (indices 0.." + (nvol - 1) + ")"));
        }
        long n = h.voxelsPerVolume();
        if (n > MAX_VOXELS) {
            throw new NiftiFormatException(hf.toString(), "a volume of dims " + Arrays.toString(h.spatialDims()) + " has "
                    + n + " voxels, more than the " + MAX_VOXELS + " a volume may have");
        }
        long volBytes = n * type.bytes;
        long offset = h.dataOffset();
        long start = offset + volumeIndex * volBytes;
        long needed = offset + nvol * volBytes;
        boolean gz = isGzip(df);
        if (!gz) {
            long len = Files.size(df);
            if (len < needed) {
                throw new NiftiFormatException(file, "truncated or lying header: the header (dims "
                        + Arrays.toString(h.dims()) + ", " + type.label + ", data offset " + offset + ") needs " + needed
                        + " bytes but the file has " + len);
            }
        }
        long memory = volBytes + 4 * n;  // the raw chunks and the float array
        if (memory > Runtime.getRuntime().maxMemory()) {
            throw new NiftiFormatException(hf.toString(), "reading a volume of dims " + Arrays.toString(h.spatialDims())
                    + " (" + type.label + ") needs about " + (memory >> 20) + " MB, more than the Java heap's "
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MB (raise -Xmx, e.g. IES_JAVA_OPTS=-Xmx16g)");
        }
        List<byte[]> chunks = new ArrayList<>();
        try (InputStream in = Nifti.open(df)) {
            try {
                in.skipNBytes(start);
            } catch (EOFException e) {
                throw truncated(file, h, type, offset, needed, -1);
            }
            long left = volBytes;
            long got = 0;
            while (left > 0) {
                int want = (int) Math.min(CHUNK, left);
                byte[] c = in.readNBytes(want);
                got += c.length;
                if (c.length < want) throw truncated(file, h, type, offset, needed, start + got);
                chunks.add(c);
                left -= want;
            }
            if (gz) {
                // the other volumes, then the end of the stream: the gzip trailer (CRC32, length) is checked there
                long rest = needed - start - volBytes;
                try {
                    in.skipNBytes(rest);
                } catch (EOFException e) {
                    throw truncated(file, h, type, offset, needed, -2);
                }
                drain(in, file, 0);
            }
        } catch (ZipException | EOFException e) {
            throw new NiftiFormatException(file, "corrupt or truncated gzip stream (" + e.getMessage() + ")", e);
        }
        float[] out = new float[(int) n];
        double slope = h.effectiveSlope(), inter = h.effectiveInter();
        int o = 0;
        for (byte[] c : chunks) {
            decode(ByteBuffer.wrap(c).order(h.byteOrder), type, out, o, slope, inter);
            o += c.length / type.bytes;
        }
        int[] dims = new int[3];
        long[] sd = h.spatialDims();
        for (int i = 0; i < 3; i++) dims[i] = (int) sd[i];
        return new Volume(out, dims, h.geometry());
    }

    private static NiftiFormatException truncated(String file, NiftiHeader h, NiftiDataType type, long offset, long needed,
            long got) {
        return new NiftiFormatException(file, "truncated: the header (dims " + Arrays.toString(h.dims()) + ", "
                + type.label + ", data offset " + offset + ") needs " + needed + " bytes of data but the "
                + (got == -1 ? "stream ends before the requested volume" : got == -2 ? "stream ends before the last volume"
                        : "stream ends after " + got + " bytes"));
    }

    private static String supported() {
        StringBuilder sb = new StringBuilder();
        for (NiftiDataType t : NiftiDataType.values()) sb.append(sb.length() == 0 ? "" : ", ").append(t.label);
        return sb.toString();
    }

    private static boolean isGzip(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    /** Converts the raw values in {@code b} to floats (value * slope + inter) into out[o...]. */
    static void decode(ByteBuffer b, NiftiDataType type, float[] out, int o, double slope, double inter) {
        boolean scaled = slope != 1.0 || inter != 0.0;
        int m = b.remaining() / type.bytes;
        switch (type) {
            case UINT8: {
                byte[] a = b.array();
                int base = b.arrayOffset() + b.position();
                if (scaled) for (int i = 0; i < m; i++) out[o + i] = (float) ((a[base + i] & 0xff) * slope + inter);
                else for (int i = 0; i < m; i++) out[o + i] = a[base + i] & 0xff;
                break;
            }
            case INT8: {
                byte[] a = b.array();
                int base = b.arrayOffset() + b.position();
                if (scaled) for (int i = 0; i < m; i++) out[o + i] = (float) (a[base + i] * slope + inter);
                else for (int i = 0; i < m; i++) out[o + i] = a[base + i];
                break;
            }
            case INT16:
            case UINT16: {
                short[] a = new short[m];
                b.asShortBuffer().get(a);
                boolean u = type == NiftiDataType.UINT16;
                if (scaled) for (int i = 0; i < m; i++) out[o + i] = (float) ((u ? a[i] & 0xffff : a[i]) * slope + inter);
                else if (u) for (int i = 0; i < m; i++) out[o + i] = a[i] & 0xffff;
                else for (int i = 0; i < m; i++) out[o + i] = a[i];
                break;
            }
            case INT32:
            case UINT32: {
                int[] a = new int[m];
                b.asIntBuffer().get(a);
                boolean u = type == NiftiDataType.UINT32;
                for (int i = 0; i < m; i++) {
                    double x = u ? (a[i] & 0xffffffffL) : a[i];
                    out[o + i] = (float) (x * slope + inter);
                }
                break;
            }
            case INT64: {
                long[] a = new long[m];
                b.asLongBuffer().get(a);
                for (int i = 0; i < m; i++) out[o + i] = (float) ((double) a[i] * slope + inter);
                break;
            }
            case FLOAT32: {
                if (scaled) {
                    float[] a = new float[m];
                    b.asFloatBuffer().get(a);
                    for (int i = 0; i < m; i++) out[o + i] = (float) (a[i] * slope + inter);
                } else {
                    b.asFloatBuffer().get(out, o, m);
                }
                break;
            }
            case FLOAT64: {
                double[] a = new double[m];
                b.asDoubleBuffer().get(a);
                for (int i = 0; i < m; i++) out[o + i] = (float) (a[i] * slope + inter);
                break;
            }
            default:
                throw new AssertionError(type);
        }
    }
}
