package io.github.ies.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The fields of a NIfTI-1 or NIfTI-2 header that matter for reading, writing and describing a volume, as stored
 * in the file (raw values: no scaling fix-ups, no affine choice). Obtain one with {@link Nifti#readHeader}.
 *
 * <p>{@link #parse} checks the header itself (sizeof_hdr, magic, dim, datatype support is <em>not</em> checked
 * here so that {@code ies info} can describe any file); {@link NiftiReader} checks the data against the file.
 */
public final class NiftiHeader {

    /** sizeof_hdr of NIfTI-1 and NIfTI-2. */
    public static final int NIFTI1_SIZE = 348, NIFTI2_SIZE = 540;
    /** Where the data starts in a single file when vox_offset is 0 (header plus the 4-byte extension flag). */
    public static final int NIFTI1_SINGLE_OFFSET = 352, NIFTI2_SINGLE_OFFSET = 544;

    /** 1 for NIfTI-1, 2 for NIfTI-2. */
    public final int version;
    public final ByteOrder byteOrder;
    /** True for magic {@code n+1}/{@code n+2} (data in the same file), false for {@code ni1}/{@code ni2} (.hdr/.img). */
    public final boolean singleFile;
    /** dim[0..7] as stored. */
    public final long[] dim;
    /** pixdim[0..7] as stored (pixdim[0] is qfac). */
    public final double[] pixdim;
    public final int datatypeCode;
    public final int bitpix;
    /** vox_offset as stored (NIfTI-1 stores a float; it is truncated here). */
    public final double voxOffset;
    public final double sclSlope, sclInter, calMin, calMax;
    public final int qformCode, sformCode, xyztUnits, intentCode;
    public final double[] quatern, qoffset;
    public final double[][] srow;
    public final String descrip, auxFile, intentName;

    private NiftiHeader(int version, ByteOrder order, boolean single, long[] dim, double[] pixdim, int datatype,
            int bitpix, double voxOffset, double slope, double inter, double calMin, double calMax, int qcode,
            int scode, int xyzt, int intent, double[] quatern, double[] qoffset, double[][] srow, String descrip,
            String auxFile, String intentName) {
        this.version = version;
        this.byteOrder = order;
        this.singleFile = single;
        this.dim = dim;
        this.pixdim = pixdim;
        this.datatypeCode = datatype;
        this.bitpix = bitpix;
        this.voxOffset = voxOffset;
        this.sclSlope = slope;
        this.sclInter = inter;
        this.calMin = calMin;
        this.calMax = calMax;
        this.qformCode = qcode;
        this.sformCode = scode;
        this.xyztUnits = xyzt;
        this.intentCode = intent;
        this.quatern = quatern;
        this.qoffset = qoffset;
        this.srow = srow;
        this.descrip = descrip;
        this.auxFile = auxFile;
        this.intentName = intentName;
    }

    /** The header size (sizeof_hdr) for this version. */
    public int headerSize() {
        return version == 1 ? NIFTI1_SIZE : NIFTI2_SIZE;
    }

    /** dim[0], the number of dimensions (1..7). */
    public int ndim() {
        return (int) dim[0];
    }

    /** dim[1..dim[0]]. */
    public long[] dims() {
        return Arrays.copyOfRange(dim, 1, 1 + ndim());
    }

    /** The three spatial dims (1 where dim[0] is smaller than 3). */
    public long[] spatialDims() {
        long[] d = new long[3];
        for (int i = 0; i < 3; i++) d[i] = i < ndim() ? dim[i + 1] : 1;
        return d;
    }

    /** The number of 3D volumes: the product of dim[4..dim[0]] (1 for a 3D file). */
    public long volumeCount() {
        long n = 1;
        for (int i = 4; i <= ndim(); i++) n = Math.multiplyExact(n, dim[i]);
        return n;
    }

    /** Voxels in one 3D volume. */
    public long voxelsPerVolume() {
        long[] d = spatialDims();
        return Math.multiplyExact(Math.multiplyExact(d[0], d[1]), d[2]);
    }

    /** The datatype, or null when IES does not read it (complex, RGB, ...). */
    public NiftiDataType dataType() {
        return NiftiDataType.fromCode(datatypeCode);
    }

    /** A name for the datatype code, also for the unsupported ones ("complex64", "rgb24", ...). */
    public String datatypeName() {
        return datatypeName(datatypeCode);
    }

    public static String datatypeName(int code) {
        NiftiDataType t = NiftiDataType.fromCode(code);
        if (t != null) return t.label;
        switch (code) {
            case 0: return "unknown";
            case 1: return "binary";
            case 32: return "complex64";
            case 128: return "rgb24";
            case 1280: return "uint64";
            case 1536: return "float128";
            case 1792: return "complex128";
            case 2048: return "complex256";
            case 2304: return "rgba32";
            default: return "code " + code;
        }
    }

    /** True when scl_slope is finite and non-zero (then slope and inter are applied; a non-finite inter counts as 0). */
    public boolean hasScaling() {
        return sclSlope != 0 && Double.isFinite(sclSlope);
    }

    /** The slope applied on reading (1 when the header has none). */
    public double effectiveSlope() {
        return hasScaling() ? sclSlope : 1.0;
    }

    /** The intercept applied on reading (0 when the header has no scaling; a non-finite one with a slope is refused). */
    public double effectiveInter() {
        return hasScaling() && Double.isFinite(sclInter) ? sclInter : 0.0;
    }

    /**
     * Where the data starts in the data file: vox_offset, or for a single file whose vox_offset is 0 the end of
     * the header and extension flag (352 or 544), as nibabel and niftilib do.
     */
    public long dataOffset() {
        if (singleFile && voxOffset == 0) return version == 1 ? NIFTI1_SINGLE_OFFSET : NIFTI2_SINGLE_OFFSET;
        return (long) voxOffset;
    }

    /** The spatial geometry (spacing = |pixdim[1..3]|, qfac, qform, sform, units). */
    public Geometry geometry() {
        double[] spacing = new double[3];
        for (int i = 0; i < 3; i++) spacing[i] = i < ndim() ? Math.abs(pixdim[i + 1]) : 1.0;
        return new Geometry(spacing, pixdim[0], qformCode, sformCode, quatern, qoffset, srow, xyztUnits);
    }

    /** "NIfTI-1" or "NIfTI-2". */
    public String versionName() {
        return "NIfTI-" + version;
    }

    /**
     * Parses and checks a header. {@code bytes} holds at least the first 348 bytes (NIfTI-1) or 540 bytes
     * (NIfTI-2) of the header file; {@code file} names it in error messages.
     */
    public static NiftiHeader parse(byte[] bytes, String file) throws NiftiFormatException {
        if (bytes.length < 4) {
            throw new NiftiFormatException(file, "not a NIfTI file: only " + bytes.length + " bytes");
        }
        ByteBuffer h = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int size = h.getInt(0);
        if (size != NIFTI1_SIZE && size != NIFTI2_SIZE) {
            h.order(ByteOrder.BIG_ENDIAN);
            size = h.getInt(0);
        }
        if (size != NIFTI1_SIZE && size != NIFTI2_SIZE) {
            throw new NiftiFormatException(file, "not a NIfTI file: sizeof_hdr is " + h.order(ByteOrder.LITTLE_ENDIAN).getInt(0)
                    + " (expected 348 for NIfTI-1 or 540 for NIfTI-2)");
        }
        if (bytes.length < size) {
            throw new NiftiFormatException(file, "header truncated: " + bytes.length + " of " + size + " bytes");
        }
        return size == NIFTI1_SIZE ? parse1(h, file) : parse2(h, file);
    }

    private static NiftiHeader parse1(ByteBuffer h, String file) throws NiftiFormatException {
        String magic = string(h, 344, 4);
        boolean single;
        if (magic.equals("n+1")) single = true;
        else if (magic.equals("ni1")) single = false;
        else {
            throw new NiftiFormatException(file, "bad magic '" + printable(h, 344, 4) + "' (expected 'n+1' or 'ni1'"
                    + (magic.isEmpty() ? "; an Analyze 7.5 header is not supported" : "") + ")");
        }
        long[] dim = new long[8];
        for (int i = 0; i < 8; i++) dim[i] = h.getShort(40 + 2 * i);
        double[] pixdim = new double[8];
        for (int i = 0; i < 8; i++) pixdim[i] = h.getFloat(76 + 4 * i);
        double[][] srow = new double[3][4];
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) srow[r][c] = h.getFloat(280 + 16 * r + 4 * c);
        NiftiHeader hdr = new NiftiHeader(1, h.order(), single, dim, pixdim, h.getShort(70), h.getShort(72),
                h.getFloat(108), h.getFloat(112), h.getFloat(116), h.getFloat(128), h.getFloat(124),
                h.getShort(252), h.getShort(254), h.get(123) & 0xff, h.getShort(68),
                new double[] {h.getFloat(256), h.getFloat(260), h.getFloat(264)},
                new double[] {h.getFloat(268), h.getFloat(272), h.getFloat(276)}, srow,
                string(h, 148, 80), string(h, 228, 24), string(h, 328, 16));
        hdr.check(file);
        return hdr;
    }

    private static NiftiHeader parse2(ByteBuffer h, String file) throws NiftiFormatException {
        String magic = string(h, 4, 4);
        boolean single;
        if (magic.equals("n+2")) single = true;
        else if (magic.equals("ni2")) single = false;
        else {
            throw new NiftiFormatException(file, "bad magic '" + printable(h, 4, 4) + "' (expected 'n+2' or 'ni2')");
        }
        if (h.get(8) != '\r' || h.get(9) != '\n' || h.get(10) != 0x1a || h.get(11) != '\n') {
            throw new NiftiFormatException(file, "bad NIfTI-2 magic: the bytes after '" + magic
                    + "' are not \\r\\n\\032\\n (file damaged by a text-mode transfer?)");
        }
        long[] dim = new long[8];
        for (int i = 0; i < 8; i++) dim[i] = h.getLong(16 + 8 * i);
        double[] pixdim = new double[8];
        for (int i = 0; i < 8; i++) pixdim[i] = h.getDouble(104 + 8 * i);
        double[][] srow = new double[3][4];
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) srow[r][c] = h.getDouble(400 + 32 * r + 8 * c);
        NiftiHeader hdr = new NiftiHeader(2, h.order(), single, dim, pixdim, h.getShort(12), h.getShort(14),
                h.getLong(168), h.getDouble(176), h.getDouble(184), h.getDouble(200), h.getDouble(192),
                h.getInt(344), h.getInt(348), h.getInt(500), h.getInt(504),
                new double[] {h.getDouble(352), h.getDouble(360), h.getDouble(368)},
                new double[] {h.getDouble(376), h.getDouble(384), h.getDouble(392)}, srow,
                string(h, 240, 80), string(h, 320, 24), string(h, 508, 16));
        hdr.check(file);
        return hdr;
    }

    private void check(String file) throws NiftiFormatException {
        if (dim[0] < 1 || dim[0] > 7) {
            throw new NiftiFormatException(file, "dim[0] is " + dim[0] + " (must be 1..7)");
        }
        for (int i = 1; i <= dim[0]; i++) {
            if (dim[i] <= 0) {
                throw new NiftiFormatException(file, "dim[" + i + "] is " + dim[i] + " (dims must be positive); dims "
                        + Arrays.toString(dims()));
            }
        }
        try {
            Math.multiplyExact(Math.multiplyExact(voxelsPerVolume(), volumeCount()), 8L);
        } catch (ArithmeticException e) {
            throw new NiftiFormatException(file, "dims " + Arrays.toString(dims()) + " are absurdly large");
        }
        if (!Double.isFinite(voxOffset) || voxOffset < 0) {
            throw new NiftiFormatException(file, "vox_offset is " + voxOffset + " (must be a non-negative number)");
        }
        if (voxOffset > (double) (1L << 50)) {
            throw new NiftiFormatException(file, "vox_offset " + (long) voxOffset + " is absurd");
        }
        int minSingle = version == 1 ? NIFTI1_SINGLE_OFFSET : NIFTI2_SINGLE_OFFSET;
        if (singleFile && voxOffset != 0 && voxOffset < minSingle) {
            throw new NiftiFormatException(file, "vox_offset " + (long) voxOffset + " lies inside the header (a single "
                    + versionName() + " file needs at least " + minSingle + ")");
        }
        if (hasScaling() && !Double.isFinite(sclInter)) {
            throw new NiftiFormatException(file, "scl_inter is " + sclInter + " with scl_slope " + sclSlope
                    + ": the intensity scaling is invalid (nibabel refuses it too); fix scl_inter or set scl_slope to 0");
        }
        checkGeometry(file);
    }

    /**
     * The geometry checks: the voxel sizes of the spatial dims present (pixdim[1..3]) are finite and non-zero; a
     * qform in use (qform_code &gt; 0) has finite quatern_b/c/d and qoffset and b&#178;+c&#178;+d&#178; &lt;= 1 (nibabel refuses
     * the same quaternions, with its tolerance of 3 machine epsilons of the header's float type); an sform in use
     * (sform_code &gt; 0) has finite rows and a non-singular 3x3 part. So every affine IES uses or copies is finite and
     * invertible, and voxel volumes are finite.
     */
    private void checkGeometry(String file) throws NiftiFormatException {
        String fix = "; fix the header (e.g. with nibabel) or the tool that wrote it";
        for (int i = 1; i <= Math.min(3, ndim()); i++) {
            if (!Double.isFinite(pixdim[i]) || pixdim[i] == 0) {
                throw new NiftiFormatException(file, "pixdim[" + i + "] (the voxel size along " + "ijk".charAt(i - 1) + ") is "
                        + pixdim[i] + ": voxel sizes must be finite and non-zero" + fix);
            }
        }
        if (qformCode > 0) {
            String q = " (qform_code " + qformCode + "); fix the qform or set qform_code to 0";
            String[] qn = {"quatern_b", "quatern_c", "quatern_d"}, on = {"qoffset_x", "qoffset_y", "qoffset_z"};
            for (int i = 0; i < 3; i++) {
                if (!Double.isFinite(quatern[i])) throw new NiftiFormatException(file, qn[i] + " is " + quatern[i] + q);
                if (!Double.isFinite(qoffset[i])) throw new NiftiFormatException(file, on[i] + " is " + qoffset[i] + q);
            }
            double n2 = quatern[0] * quatern[0] + quatern[1] * quatern[1] + quatern[2] * quatern[2];
            double eps = version == 1 ? Math.ulp(1.0f) : Math.ulp(1.0);
            if (1.0 - n2 < -3 * eps) {
                throw new NiftiFormatException(file, "quatern_b, quatern_c, quatern_d = (" + quatern[0] + ", " + quatern[1] + ", "
                        + quatern[2] + ") are not a rotation: b^2+c^2+d^2 = " + n2 + " exceeds 1" + q);
            }
        }
        if (sformCode > 0) {
            String s = " (sform_code " + sformCode + "); fix the sform or set sform_code to 0";
            String[] rn = {"srow_x", "srow_y", "srow_z"};
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 4; c++) {
                    if (!Double.isFinite(srow[r][c])) throw new NiftiFormatException(file, rn[r] + "[" + c + "] is " + srow[r][c] + s);
                }
            }
            double[][] m = srow;
            double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                    + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
            double scale = 1;
            for (int r = 0; r < 3; r++) scale *= Math.sqrt(m[r][0] * m[r][0] + m[r][1] * m[r][1] + m[r][2] * m[r][2]);
            if (!(Math.abs(det) > 1e-12 * scale) || scale == 0) {
                throw new NiftiFormatException(file, "the sform (srow_x, srow_y, srow_z) is singular (determinant " + det
                        + "): it maps the voxel grid onto a plane, line or point" + s);
            }
        }
    }

    private static String string(ByteBuffer h, int off, int len) {
        int end = off;
        while (end < off + len && h.get(end) != 0) end++;
        byte[] b = new byte[end - off];
        for (int i = 0; i < b.length; i++) b[i] = h.get(off + i);
        return new String(b, StandardCharsets.ISO_8859_1).trim();
    }

    private static String printable(ByteBuffer h, int off, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = off; i < off + len; i++) {
            int c = h.get(i) & 0xff;
            if (c >= 32 && c < 127) sb.append((char) c);
            else sb.append(String.format("\\x%02x", c));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return versionName() + (singleFile ? " single file" : " pair") + ", " + (byteOrder == ByteOrder.BIG_ENDIAN
                ? "big" : "little") + "-endian, dims " + Arrays.toString(dims()) + ", " + datatypeName();
    }
}
