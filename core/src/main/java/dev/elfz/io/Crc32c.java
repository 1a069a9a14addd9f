package dev.elfz.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/**
 * CRC32C (the JDK's, intrinsic) over memory segments, and the combination of two checksums of adjacent byte runs
 * into the checksum of both: threads may checksum their own chunks and the stream's checksum is put together from
 * theirs in a few hundred operations per chunk, with no thread reading every byte. The JDK offers no such
 * combination; this is zlib's {@code crc32_combine} (x^(8n) mod P by squaring) with the Castagnoli polynomial.
 */
public final class Crc32c {

    private static final int POLY = 0x82F63B78; // Castagnoli, bit-reflected
    private static final int[] X2N = new int[32]; // x^(2^k) mod P

    static {
        int p = 1 << 30; // x^1
        X2N[0] = p;
        for (int k = 1; k < 32; k++) {
            X2N[k] = p = multModP(p, p);
        }
    }

    private Crc32c() {}

    /** The CRC32C of a segment of any size and kind. */
    public static long of(MemorySegment bytes) {
        CRC32C c = new CRC32C();
        update(c, bytes);
        return c.getValue();
    }

    /**
     * Adds a segment to a running CRC32C (a ByteBuffer holds at most 2 GiB; a segment of a Java array other than
     * byte[] has no ByteBuffer view, so its bytes go through a byte[] 64 KiB at a time).
     */
    public static void update(CRC32C c, MemorySegment bytes) {
        boolean view = bytes.isNative() || bytes.heapBase().orElse(null) instanceof byte[];
        long step = view ? 1L << 30 : 1L << 16;
        byte[] copy = view ? null : new byte[(int) Math.min(step, bytes.byteSize())];
        for (long off = 0; off < bytes.byteSize(); off += step) {
            MemorySegment part = bytes.asSlice(off, Math.min(step, bytes.byteSize() - off));
            if (view) {
                c.update(part.asByteBuffer());
            } else {
                MemorySegment.copy(part, ValueLayout.JAVA_BYTE, 0, copy, 0, (int) part.byteSize());
                c.update(copy, 0, (int) part.byteSize());
            }
        }
    }

    /** The CRC32C of bytes A followed by bytes B, from that of A, that of B and B's length. */
    public static long combine(long crcA, long crcB, long lengthB) {
        if (lengthB <= 0) {
            return crcA;
        }
        return (multModP(x8nModP(lengthB), (int) crcA) ^ (int) crcB) & 0xFFFFFFFFL;
    }

    /** a * b mod P, both bit-reflected polynomials. */
    private static int multModP(int a, int b) {
        int m = 1 << 31;
        int p = 0;
        while (true) {
            if ((a & m) != 0) {
                p ^= b;
                if ((a & (m - 1)) == 0) {
                    return p;
                }
            }
            m >>>= 1;
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
    }

    /** x^(8n) mod P. */
    private static int x8nModP(long n) {
        int p = 1 << 31; // x^0
        int k = 3;
        while (n != 0) {
            if ((n & 1) != 0) {
                p = multModP(X2N[k & 31], p);
            }
            n >>>= 1;
            k++;
        }
        return p;
    }
}
