package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference coder of one entropy plane (FORMAT.md, "entropy planes"): a mode byte, then the plane as it is
 * (mode 0) or one byte that fills it (mode 1).
 */
final class EntropyPlane {

    private EntropyPlane() {}

    static final int RAW = 0;
    static final int CONSTANT = 1;

    static long encode(MemorySegment src, long n, MemorySegment dst) {
        if (n > 0 && constant(src, n)) {
            dst.set(ValueLayout.JAVA_BYTE, 0, (byte) CONSTANT);
            dst.set(ValueLayout.JAVA_BYTE, 1, src.get(ValueLayout.JAVA_BYTE, 0));
            return 2;
        }
        dst.set(ValueLayout.JAVA_BYTE, 0, (byte) RAW);
        MemorySegment.copy(src, 0, dst, 1, n);
        return n + 1;
    }

    static void decode(MemorySegment stored, long n, MemorySegment dst) {
        long size = stored.byteSize();
        int mode = size == 0 ? -1 : stored.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        switch (mode) {
            case RAW -> {
                if (size != n + 1) {
                    throw new CorruptDataException("a raw plane of " + n + " bytes takes " + (n + 1) + " bytes, not " + size);
                }
                MemorySegment.copy(stored, 1, dst, 0, n);
            }
            case CONSTANT -> {
                if (size != 2 || n == 0) {
                    throw new CorruptDataException("a constant plane of " + n + " bytes takes 2 bytes, not " + size);
                }
                dst.asSlice(0, n).fill(stored.get(ValueLayout.JAVA_BYTE, 1));
            }
            default -> throw new CorruptDataException(size == 0 ? "an entropy plane of 0 bytes has no mode"
                    : "entropy plane mode " + mode + " is unknown");
        }
    }

    private static boolean constant(MemorySegment src, long n) {
        byte first = src.get(ValueLayout.JAVA_BYTE, 0);
        for (long i = 1; i < n; i++) {
            if (src.get(ValueLayout.JAVA_BYTE, i) != first) {
                return false;
            }
        }
        return true;
    }
}
