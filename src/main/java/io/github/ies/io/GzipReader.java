package io.github.ies.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A strict gzip (RFC 1952) reader: every member's header is checked (method, reserved flags, the optional header
 * CRC16), every member's trailer is checked (CRC32 and ISIZE) when the member ends, concatenated members are read
 * in turn (as {@code gzip -d} and Python's {@code gzip} do), zero padding after the last member is accepted, and
 * anything else after it is an error (Python's {@code gzip}, and so nibabel, refuses it too). Java's
 * {@code GZIPInputStream} silently ignores trailing garbage, and a caller that stops reading before the end never
 * sees a trailer check at all; IES reads every stream to its end (see {@link NiftiReader}).
 *
 * <p>Damage raises a {@link NiftiFormatException} naming the file and what failed.
 */
final class GzipReader extends InputStream {

    private static final int FTEXT = 1, FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16;

    private final InputStream in;
    private final String file;
    private final Inflater inf = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final byte[] buf = new byte[1 << 16];
    private int bufLen, bufPos;
    /** Compressed bytes consumed before {@code buf[0]} (for messages). */
    private long consumedBefore;
    private long memberOut;
    private int member;
    private boolean eof;
    private final byte[] one = new byte[1];

    /** Reads the first member's header; {@code in} is positioned at the start of the gzip stream. */
    GzipReader(InputStream in, String file) throws IOException {
        this.in = in;
        this.file = file;
        readHeader();
    }

    private NiftiFormatException damaged(String what) {
        return new NiftiFormatException(file, what + " (gzip member " + member + ", near compressed byte "
                + (consumedBefore + bufPos) + "): the file is damaged; copy or export it again");
    }

    /** Makes at least one unread byte available in buf; false at the end of the raw stream. */
    private boolean fill() throws IOException {
        if (bufPos < bufLen) return true;
        consumedBefore += bufLen;
        bufPos = 0;
        bufLen = 0;
        int r = in.read(buf, 0, buf.length);
        if (r <= 0) return false;
        bufLen = r;
        return true;
    }

    private int rawByte() throws IOException {
        return fill() ? buf[bufPos++] & 0xff : -1;
    }

    private int headerByte(CRC32 hcrc) throws IOException {
        int b = rawByte();
        if (b < 0) throw new NiftiFormatException(file, "truncated: the gzip stream ends inside the header of member " + member);
        hcrc.update(b);
        return b;
    }

    /** Parses a member header (the magic included). */
    private void readHeader() throws IOException {
        member++;
        CRC32 hcrc = new CRC32();
        int id1 = headerByte(hcrc), id2 = headerByte(hcrc);
        if (id1 != 0x1f || id2 != 0x8b) throw damaged("not a gzip member header (magic bytes " + hex(id1) + " " + hex(id2) + ")");
        int cm = headerByte(hcrc);
        if (cm != 8) throw damaged("unsupported gzip compression method " + cm + " (only deflate, 8, exists)");
        int flg = headerByte(hcrc);
        if ((flg & 0xe0) != 0) throw damaged("reserved gzip header flags are set (" + hex(flg) + ")");
        for (int i = 0; i < 6; i++) headerByte(hcrc);             // MTIME, XFL, OS
        if ((flg & FEXTRA) != 0) {
            int xlen = headerByte(hcrc) | headerByte(hcrc) << 8;
            for (int i = 0; i < xlen; i++) headerByte(hcrc);
        }
        if ((flg & FNAME) != 0) while (headerByte(hcrc) != 0) { /* skip the name */ }
        if ((flg & FCOMMENT) != 0) while (headerByte(hcrc) != 0) { /* skip the comment */ }
        if ((flg & FHCRC) != 0) {
            int want = (int) (hcrc.getValue() & 0xffff);
            int got = rawByte() | rawByte() << 8;
            if (got != want) throw damaged("gzip header CRC16 mismatch");
        }
        inf.reset();
        crc.reset();
        memberOut = 0;
    }

    private static String hex(int b) {
        return String.format(Locale.ROOT, "0x%02x", b);
    }

    private long trailerWord() throws IOException {
        long v = 0;
        for (int i = 0; i < 4; i++) {
            int b = rawByte();
            if (b < 0) throw new NiftiFormatException(file, "truncated: the gzip stream ends inside the trailer of member " + member);
            v |= (long) b << (8 * i);
        }
        return v;
    }

    /** Checks the trailer of the member that just ended; returns true when another member follows. */
    private boolean endMember() throws IOException {
        bufPos = bufLen - inf.getRemaining();
        long storedCrc = trailerWord(), storedSize = trailerWord();
        if (storedCrc != crc.getValue()) {
            throw damaged(String.format(Locale.ROOT, "gzip CRC32 check failed: stored %08x, data gives %08x", storedCrc, crc.getValue()));
        }
        if (storedSize != (memberOut & 0xffffffffL)) {
            throw damaged("gzip length check failed: the trailer says " + storedSize + " bytes (mod 2^32), the data holds " + memberOut);
        }
        // what follows: nothing, zero padding, or another member
        if (!fill()) return false;
        if ((buf[bufPos] & 0xff) == 0x1f) {
            readHeader();
            return true;
        }
        boolean zeros = true;
        while (zeros && fill()) {
            for (; bufPos < bufLen; bufPos++) if (buf[bufPos] != 0) zeros = false;
        }
        if (!zeros) throw damaged("unexpected data after the end of the gzip stream");
        return false;
    }

    @Override
    public int read() throws IOException {
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (!eof) {
            int n;
            try {
                n = inf.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw damaged("corrupt deflate data (" + e.getMessage() + ")");
            }
            if (n > 0) {
                crc.update(b, off, n);
                memberOut += n;
                return n;
            }
            if (inf.finished()) {
                if (!endMember()) eof = true;
                continue;
            }
            if (inf.needsDictionary()) throw damaged("corrupt deflate data (a preset dictionary is requested)");
            if (inf.needsInput()) {
                if (!fill()) {
                    throw new NiftiFormatException(file, "truncated: the gzip stream ends in the middle of compressed data (member "
                            + member + ", after " + (consumedBefore + bufLen) + " compressed bytes)");
                }
                inf.setInput(buf, bufPos, bufLen - bufPos);
                bufPos = bufLen;
            }
        }
        return -1;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] b = new byte[(int) Math.min(1 << 16, Math.max(1, n))];
        long left = n;
        while (left > 0) {
            int r = read(b, 0, (int) Math.min(b.length, left));
            if (r < 0) break;
            left -= r;
        }
        return n - left;
    }

    @Override
    public void close() throws IOException {
        inf.end();
        in.close();
    }
}
