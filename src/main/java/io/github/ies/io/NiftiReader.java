package io.github.ies.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * NIfTI reader. Minimal first version: single-file NIfTI-1 ({@code .nii}, {@code .nii.gz}), both byte orders, the
 * datatypes of {@link NiftiDataType}. (NIfTI-2, .hdr/.img pairs and full validation are being added.)
 */
final class NiftiReader {

    private NiftiReader() {}

    static Volume read(Path path, int volumeIndex) throws IOException {
        try (InputStream in = Nifti.open(path)) {
            byte[] hb = in.readNBytes(348);
            if (hb.length < 348) throw new IOException(path + ": not a NIfTI file (header truncated: " + hb.length + " bytes)");
            ByteBuffer h = ByteBuffer.wrap(hb).order(ByteOrder.LITTLE_ENDIAN);
            if (h.getInt(0) != 348) {
                h.order(ByteOrder.BIG_ENDIAN);
                if (h.getInt(0) != 348) throw new IOException(path + ": not a NIfTI-1 file (sizeof_hdr is not 348)");
            }
            int ndim = h.getShort(40);
            if (ndim < 1 || ndim > 7) throw new IOException(path + ": bad dim[0] " + ndim);
            int[] dims = new int[3];
            long nvol = 1;
            for (int i = 0; i < 3; i++) dims[i] = i < ndim ? h.getShort(42 + 2 * i) : 1;
            for (int i = 3; i < ndim; i++) nvol *= h.getShort(42 + 2 * i);
            for (int i = 0; i < 3; i++) if (dims[i] <= 0) throw new IOException(path + ": bad dimension " + dims[i]);
            if (volumeIndex < 0 || volumeIndex >= nvol) {
                throw new IOException(path + ": volume " + volumeIndex + " requested but the file has " + nvol);
            }
            int code = h.getShort(70);
            NiftiDataType type = NiftiDataType.fromCode(code);
            if (type == null) throw new IOException(path + ": unsupported datatype " + code);
            double[] spacing = new double[3];
            for (int i = 0; i < 3; i++) spacing[i] = Math.abs(h.getFloat(80 + 4 * i));
            double qfac = h.getFloat(76);
            long voxOffset = (long) h.getFloat(108);
            double slope = h.getFloat(112), inter = h.getFloat(116);
            if (slope == 0 || !Double.isFinite(slope) || !Double.isFinite(inter)) { slope = 1; inter = 0; }
            int xyzt = h.get(123) & 0xff;
            int qcode = h.getShort(252), scode = h.getShort(254);
            double[] quat = {h.getFloat(256), h.getFloat(260), h.getFloat(264)};
            double[] qoff = {h.getFloat(268), h.getFloat(272), h.getFloat(276)};
            double[][] srow = new double[3][4];
            for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) srow[r][c] = h.getFloat(280 + 16 * r + 4 * c);
            Geometry g = new Geometry(spacing, qfac, qcode, scode, quat, qoff, srow, xyzt);
            long n = (long) dims[0] * dims[1] * dims[2];
            long skip = voxOffset - 348 + (long) volumeIndex * n * type.bytes;
            in.skipNBytes(skip);
            byte[] raw = in.readNBytes(Math.toIntExact(n * type.bytes));
            if (raw.length < n * type.bytes) throw new IOException(path + ": data truncated");
            ByteBuffer b = ByteBuffer.wrap(raw).order(h.order());
            float[] out = new float[(int) n];
            for (int v = 0; v < n; v++) {
                double x;
                switch (type) {
                    case UINT8: x = b.get() & 0xff; break;
                    case INT8: x = b.get(); break;
                    case INT16: x = b.getShort(); break;
                    case UINT16: x = b.getShort() & 0xffff; break;
                    case INT32: x = b.getInt(); break;
                    case UINT32: x = b.getInt() & 0xffffffffL; break;
                    case INT64: x = b.getLong(); break;
                    case FLOAT32: x = b.getFloat(); break;
                    case FLOAT64: x = b.getDouble(); break;
                    default: throw new AssertionError(type);
                }
                out[v] = (float) (x * slope + inter);
            }
            return new Volume(out, dims, g);
        }
    }
}
