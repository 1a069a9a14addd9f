package dev.elfz.container;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** The fixed parts of an .elfz file (FORMAT.md): a 16-byte prologue, chunks, the JSON index, a 32-byte trailer. */
public final class ElfzFormat {

    private ElfzFormat() {}

    /** PNG-style: a high byte (7-bit transfers), the name, CR LF (newline conversion), ^Z (DOS type). */
    static final byte[] MAGIC = {(byte) 0x89, 'E', 'L', 'F', 'Z', '\r', '\n', 0x1a};

    static final byte[] TRAILER_MAGIC = "ELFZ-END".getBytes(StandardCharsets.US_ASCII);
    /** 2.0 added the entropy stage and the lossless and grid codecs; 1.x files (none of them) still read. */
    public static final int MAJOR = 2;

    public static final int OLDEST_MAJOR = 1;
    /**
     * 2.1 added the file kind onnx, 2.2 onnx_data (and single-file archives of an ONNX model with its external data
     * files), 2.4 torch and gguf, which older readers refuse as unknown kinds; 2.5 the blocks codec (a GGUF file's
     * quantized blocks as byte planes), which older readers refuse as an unknown codec; 2.6 tensors stored as deltas
     * against a base model, with the prologue flag {@link #FLAG_BASE}, which older readers refuse as unknown; 2.7
     * lossy deltas (op {@code sub}), which 2.6 readers refuse as an unknown op.
     */
    public static final int MINOR = 7;

    /** Prologue flag (since 2.6): some tensors are stored against a base model, which the index names. */
    static final int FLAG_BASE = 1;

    public static final int PROLOGUE_BYTES = 16;
    public static final int TRAILER_BYTES = 32;

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** magic, u16 major, u16 minor, u32 flags ({@link #FLAG_BASE} when {@code base}, else 0). */
    static byte[] prologue(boolean base) {
        MemorySegment p = MemorySegment.ofArray(new byte[PROLOGUE_BYTES]);
        MemorySegment.copy(MAGIC, 0, p, ValueLayout.JAVA_BYTE, 0, MAGIC.length);
        p.set(U16, 8, (short) MAJOR);
        p.set(U16, 10, (short) MINOR);
        p.set(U32, 12, base ? FLAG_BASE : 0);
        return p.toArray(ValueLayout.JAVA_BYTE);
    }

    /** u64 index offset, u64 index length, u32 CRC32C of the index, u32 0, the end magic. */
    static byte[] trailer(long indexOffset, long indexLength, int indexCrc) {
        MemorySegment t = MemorySegment.ofArray(new byte[TRAILER_BYTES]);
        t.set(U64, 0, indexOffset);
        t.set(U64, 8, indexLength);
        t.set(U32, 16, indexCrc);
        MemorySegment.copy(TRAILER_MAGIC, 0, t, ValueLayout.JAVA_BYTE, 24, TRAILER_MAGIC.length);
        return t.toArray(ValueLayout.JAVA_BYTE);
    }

    static boolean startsWithMagic(MemorySegment file) {
        return file.byteSize() >= MAGIC.length
                && file.asSlice(0, MAGIC.length).mismatch(MemorySegment.ofArray(MAGIC)) == -1;
    }
}
