package io.github.ies.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Header building and data encoding for {@link Nifti#write} (little-endian single files). */
final class NiftiWriter {

    private NiftiWriter() {}

    static final String DESCRIP = "IES for Fiji";

    /** The description field's bytes: ASCII (others as '?'), at most 79 (the field is 80, NUL-terminated); null: {@link #DESCRIP}. */
    static byte[] descrip(String d) {
        byte[] b = (d == null ? DESCRIP : d).getBytes(StandardCharsets.US_ASCII);
        return b.length > 79 ? java.util.Arrays.copyOf(b, 79) : b;
    }

    private static boolean scaled(double slope, double inter) {
        return slope != 1.0 || inter != 0.0;
    }

    /** A NIfTI-1 single-file header with the 4-byte extension flag (352 bytes). */
    static byte[] header1(Volume v, NiftiDataType type, double slope, double inter, double calMin, double calMax, String descrip) {
        int[] d = v.dims();
        Geometry g = v.geometry();
        ByteBuffer h = ByteBuffer.allocate(NiftiHeader.NIFTI1_SINGLE_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0, NiftiHeader.NIFTI1_SIZE);
        h.put(38, (byte) 'r');
        h.putShort(40, (short) 3);
        for (int i = 0; i < 3; i++) h.putShort(42 + 2 * i, (short) d[i]);
        for (int i = 3; i < 7; i++) h.putShort(42 + 2 * i, (short) 1);
        h.putShort(70, (short) type.code);
        h.putShort(72, (short) type.bitpix());
        h.putFloat(76, (float) g.qfac);
        for (int i = 0; i < 3; i++) h.putFloat(80 + 4 * i, (float) g.spacing[i]);
        for (int i = 4; i < 8; i++) h.putFloat(76 + 4 * i, 1f);
        h.putFloat(108, NiftiHeader.NIFTI1_SINGLE_OFFSET);
        h.putFloat(112, (float) slope);
        h.putFloat(116, (float) inter);
        h.put(123, (byte) g.xyztUnits);
        h.putFloat(124, (float) calMax);
        h.putFloat(128, (float) calMin);
        h.put(148, descrip(descrip));
        h.putShort(252, (short) g.qformCode);
        h.putShort(254, (short) g.sformCode);
        for (int i = 0; i < 3; i++) h.putFloat(256 + 4 * i, (float) g.quatern[i]);
        for (int i = 0; i < 3; i++) h.putFloat(268 + 4 * i, (float) g.qoffset[i]);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) h.putFloat(280 + 16 * r + 4 * c, (float) g.srow[r][c]);
        h.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1').put(347, (byte) 0);
        return h.array();
    }

    /** A NIfTI-2 single-file header with the 4-byte extension flag (544 bytes). */
    static byte[] header2(Volume v, NiftiDataType type, double slope, double inter, double calMin, double calMax, String descrip) {
        int[] d = v.dims();
        Geometry g = v.geometry();
        ByteBuffer h = ByteBuffer.allocate(NiftiHeader.NIFTI2_SINGLE_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0, NiftiHeader.NIFTI2_SIZE);
        h.put(4, new byte[] {'n', '+', '2', 0, '\r', '\n', 0x1a, '\n'});
        h.putShort(12, (short) type.code);
        h.putShort(14, (short) type.bitpix());
        h.putLong(16, 3);
        for (int i = 0; i < 3; i++) h.putLong(24 + 8 * i, d[i]);
        for (int i = 3; i < 7; i++) h.putLong(24 + 8 * i, 1);
        h.putDouble(104, g.qfac);
        for (int i = 0; i < 3; i++) h.putDouble(112 + 8 * i, g.spacing[i]);
        for (int i = 4; i < 8; i++) h.putDouble(104 + 8 * i, 1);
        h.putLong(168, NiftiHeader.NIFTI2_SINGLE_OFFSET);
        h.putDouble(176, slope);
        h.putDouble(184, inter);
        h.putDouble(192, calMax);
        h.putDouble(200, calMin);
        h.put(240, descrip(descrip));
        h.putInt(344, g.qformCode);
        h.putInt(348, g.sformCode);
        for (int i = 0; i < 3; i++) h.putDouble(352 + 8 * i, g.quatern[i]);
        for (int i = 0; i < 3; i++) h.putDouble(376 + 8 * i, g.qoffset[i]);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) h.putDouble(400 + 32 * r + 8 * c, g.srow[r][c]);
        h.putInt(500, g.xyztUnits);
        return h.array();
    }

    /** Encodes {@code (value - inter) / slope} as little-endian {@code type}; integers are rounded and range-checked. */
    static byte[] encode(float[] src, NiftiDataType type, double slope, double inter) {
        int n = src.length;
        ByteBuffer body;
        try {
            body = ByteBuffer.allocate(Math.multiplyExact(n, type.bytes)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("a volume of " + n + " voxels is too large to write as " + type.label);
        }
        boolean scaled = scaled(slope, inter);
        switch (type) {
            case FLOAT32: {
                if (!scaled) {
                    body.asFloatBuffer().put(src);
                } else {
                    float[] a = new float[n];
                    for (int i = 0; i < n; i++) a[i] = (float) ((src[i] - inter) / slope);
                    body.asFloatBuffer().put(a);
                }
                break;
            }
            case FLOAT64: {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) a[i] = scaled ? (src[i] - inter) / slope : src[i];
                body.asDoubleBuffer().put(a);
                break;
            }
            case UINT8:
            case INT8: {
                byte[] a = body.array();
                for (int i = 0; i < n; i++) a[i] = (byte) (long) stored(src[i], type, slope, inter, scaled);
                break;
            }
            case INT16:
            case UINT16: {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) a[i] = (short) (long) stored(src[i], type, slope, inter, scaled);
                body.asShortBuffer().put(a);
                break;
            }
            case INT32:
            case UINT32: {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) a[i] = (int) (long) stored(src[i], type, slope, inter, scaled);
                body.asIntBuffer().put(a);
                break;
            }
            case INT64: {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) a[i] = (long) stored(src[i], type, slope, inter, scaled);
                body.asLongBuffer().put(a);
                break;
            }
            default:
                throw new AssertionError(type);
        }
        return body.array();
    }

    private static double stored(float val, NiftiDataType type, double slope, double inter, boolean scaled) {
        if (Float.isNaN(val)) throw new IllegalArgumentException("NaN cannot be stored as " + type.label);
        double s = Math.rint(scaled ? (val - inter) / slope : val);
        // Long.MAX_VALUE rounds up to 2^63 as a double: compare with >= for int64
        if (s < type.min() || s > type.max() || (type == NiftiDataType.INT64 && s >= 0x1p63)) {
            throw new IllegalArgumentException("value " + val + " does not fit " + type.label
                    + (scaled ? " with scl_slope " + slope + " and scl_inter " + inter : ""));
        }
        return s;
    }
}
