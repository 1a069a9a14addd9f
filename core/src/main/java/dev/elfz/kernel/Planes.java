package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** The reference loops of {@link Kernel#planesSplit} and {@link Kernel#planesJoin}: one value at a time. */
final class Planes {

    private Planes() {}

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static void split(MemorySegment src, long n, int width, boolean rotate, MemorySegment planes) {
        split(src, n, 0, width, rotate, planes);
    }

    /** Values [from, n) of a block of n (the planes are the block's). */
    static void split(MemorySegment src, long n, long from, int width, boolean rotate, MemorySegment planes) {
        for (long i = from; i < n; i++) {
            long v = read(src, i, width);
            if (rotate) {
                v = rotateLeft(v, width);
            }
            for (int b = 0; b < width; b++) {
                planes.set(ValueLayout.JAVA_BYTE, b * n + i, (byte) (v >>> (8 * b)));
            }
        }
    }

    static void join(MemorySegment planes, long n, int width, boolean rotate, MemorySegment dst) {
        join(planes, n, 0, width, rotate, dst);
    }

    /** Values [from, n) of a block of n. */
    static void join(MemorySegment planes, long n, long from, int width, boolean rotate, MemorySegment dst) {
        for (long i = from; i < n; i++) {
            long v = 0;
            for (int b = 0; b < width; b++) {
                v |= (planes.get(ValueLayout.JAVA_BYTE, b * n + i) & 0xffL) << (8 * b);
            }
            write(dst, i, width, rotate ? rotateRight(v, width) : v);
        }
    }

    private static long read(MemorySegment src, long i, int width) {
        return switch (width) {
            case 2 -> src.getAtIndex(U16, i) & 0xffffL;
            case 4 -> src.getAtIndex(U32, i) & 0xffffffffL;
            default -> src.getAtIndex(U64, i);
        };
    }

    private static void write(MemorySegment dst, long i, int width, long v) {
        switch (width) {
            case 2 -> dst.setAtIndex(U16, i, (short) v);
            case 4 -> dst.setAtIndex(U32, i, (int) v);
            default -> dst.setAtIndex(U64, i, v);
        }
    }

    /** Rotates the low {@code 8 * width} bits of v left by one. */
    static long rotateLeft(long v, int width) {
        int bits = 8 * width;
        long mask = bits == 64 ? -1L : (1L << bits) - 1;
        return ((v << 1) | (v >>> (bits - 1))) & mask;
    }

    static long rotateRight(long v, int width) {
        int bits = 8 * width;
        long mask = bits == 64 ? -1L : (1L << bits) - 1;
        return ((v >>> 1) | (v << (bits - 1))) & mask;
    }
}
