package io.github.ies.io;

/** NIfTI datatype codes that IES reads and writes (complex, RGB and float128 are not supported). */
public enum NiftiDataType {
    UINT8(2, 1, "uint8"),
    INT16(4, 2, "int16"),
    INT32(8, 4, "int32"),
    FLOAT32(16, 4, "float32"),
    FLOAT64(64, 8, "float64"),
    INT8(256, 1, "int8"),
    UINT16(512, 2, "uint16"),
    UINT32(768, 4, "uint32"),
    INT64(1024, 8, "int64");

    public final int code;
    public final int bytes;
    public final String label;

    NiftiDataType(int code, int bytes, String label) {
        this.code = code;
        this.bytes = bytes;
        this.label = label;
    }

    public int bitpix() {
        return bytes * 8;
    }

    /** Every datatype that IES reads it also writes. */
    public boolean isWritable() {
        return true;
    }

    public boolean isInteger() {
        return this != FLOAT32 && this != FLOAT64;
    }

    /** Smallest and largest storable value. */
    public double min() {
        switch (this) {
            case UINT8: case UINT16: case UINT32: return 0;
            case INT8: return Byte.MIN_VALUE;
            case INT16: return Short.MIN_VALUE;
            case INT32: return Integer.MIN_VALUE;
            case INT64: return Long.MIN_VALUE;
            default: return Double.NEGATIVE_INFINITY;
        }
    }

    public double max() {
        switch (this) {
            case UINT8: return 255;
            case UINT16: return 65535;
            case UINT32: return 4294967295.0;
            case INT8: return Byte.MAX_VALUE;
            case INT16: return Short.MAX_VALUE;
            case INT32: return Integer.MAX_VALUE;
            case INT64: return Long.MAX_VALUE;
            default: return Double.POSITIVE_INFINITY;
        }
    }

    /** The datatype for a NIfTI code, or null when IES does not support it (complex, RGB, float128...). */
    public static NiftiDataType fromCode(int code) {
        for (NiftiDataType t : values()) if (t.code == code) return t;
        return null;
    }

    /** Parses "float32", "int16", ... (case-insensitive). */
    public static NiftiDataType fromLabel(String label) {
        for (NiftiDataType t : values()) if (t.label.equalsIgnoreCase(label)) return t;
        throw new IllegalArgumentException("unknown datatype '" + label + "'");
    }
}
