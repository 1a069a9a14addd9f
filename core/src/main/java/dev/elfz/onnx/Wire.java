package dev.elfz.onnx;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A cursor over protobuf's wire format in a memory segment (a mapped file): tags, varints and the bounds of
 * length-delimited fields, read in place, so that nothing is copied. Every read is checked against the end of
 * the enclosing message; a malformed byte is an {@link OnnxException} naming its position in the file.
 */
final class Wire {

    static final int VARINT = 0;
    static final int I64 = 1;
    static final int LEN = 2;
    static final int I32 = 5;

    private final Path file;
    private final MemorySegment bytes;
    private long pos;
    private final long end;
    private int field;
    private int type;
    private long tagAt;

    Wire(Path file, MemorySegment bytes, long from, long end) {
        this.file = file;
        this.bytes = bytes;
        this.pos = from;
        this.end = end;
    }

    boolean more() {
        return pos < end;
    }

    long position() {
        return pos;
    }

    /** Reads the next tag; {@link #field()} and {@link #type()} then describe the field that follows. */
    void next() throws OnnxException {
        tagAt = pos;
        long tag = varint();
        field = (int) (tag >>> 3);
        type = (int) (tag & 7);
        if ((tag >>> 3) == 0 || (tag >>> 3) > (1 << 29) - 1) {
            throw fail(tagAt, "field number " + (tag >>> 3) + " (not 1 to 2^29 - 1): not protobuf");
        }
        if (type != VARINT && type != I64 && type != LEN && type != I32) {
            throw fail(tagAt, "wire type " + type + " of field " + field + " (groups and unknown types are not ONNX)");
        }
    }

    int field() {
        return field;
    }

    int type() {
        return type;
    }

    /** Fails unless the current field has one of these wire types (a known field of the wrong type). */
    void expect(String name, int... types) throws OnnxException {
        for (int t : types) {
            if (t == type) {
                return;
            }
        }
        throw fail(
                tagAt,
                name + " (field " + field + ") has wire type " + type + ", expected "
                        + Arrays.toString(types).replaceAll("[\\[\\]]", "").replace(", ", " or "));
    }

    /** A base-128 varint of at most 10 bytes. */
    long varint() throws OnnxException {
        long at = pos;
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= end) {
                throw fail(at, "truncated varint (the message ends at byte " + end + ")");
            }
            byte b = bytes.get(ValueLayout.JAVA_BYTE, pos++);
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw fail(at, "varint longer than 10 bytes");
    }

    /** The length of a length-delimited field, checked to lie inside the enclosing message; the cursor stays. */
    long length() throws OnnxException {
        long at = pos;
        long n = varint();
        if (n < 0 || n > end - pos) {
            throw fail(
                    at,
                    "field " + field + " of length " + Long.toUnsignedString(n) + " runs past the end of its "
                            + "message (byte " + end + "): truncated file?");
        }
        return n;
    }

    /** A cursor over the next {@code n} bytes (a nested message or packed run); this one moves past them. */
    Wire sub(long n) {
        Wire w = new Wire(file, bytes, pos, pos + n);
        pos += n;
        return w;
    }

    /** Skips the current field's value. */
    void skip() throws OnnxException {
        switch (type) {
            case VARINT -> varint();
            case LEN -> {
                long n = length(); // not "pos += length()": that would add to pos as it was before the varint
                pos += n;
            }
            default -> {
                int n = type == I64 ? 8 : 4;
                if (end - pos < n) {
                    throw fail(pos, "truncated " + n + "-byte field " + field);
                }
                pos += n;
            }
        }
    }

    OnnxException fail(long at, String what) {
        return new OnnxException(file, "malformed protobuf at byte " + at + ": " + what);
    }
}
