package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Checks every argument of a {@link Kernel} call, so that implementations (and the native downcalls behind
 * some of them) only ever see sizes that fit the segments they are given.
 */
public abstract class AbstractKernel implements Kernel {

    /** Most values one call takes: keeps every byte count far from overflowing a long. */
    public static final long MAX_VALUES = Long.MAX_VALUE / 64;

    @Override
    public final long elfEncode(
            ElfType type,
            MemorySegment src,
            long n,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap,
            long posBase) {
        checkCount(type, n, posBase);
        need(src, n * type.valueBytes(), "src", false);
        need(codes, type.codeBytes(n), "codes", true);
        checkExceptionRoom(type, excPos, excBits, excCap);
        return encode(type, src, n, codes, excPos, excBits, excCap, posBase);
    }

    @Override
    public final void elfDecode(
            ElfType type,
            MemorySegment codes,
            long n,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc,
            long posBase) {
        checkCount(type, n, posBase);
        need(codes, type.codeBytes(n), "codes", false);
        need(dst, n * type.valueBytes(), "dst", true);
        checkExceptions(type, n, excPos, excBits, nExc, posBase);
        decode(type, codes, n, dst, excPos, excBits, nExc, posBase);
    }

    @Override
    public final long packBits(MemorySegment codes, long n, int width, MemorySegment dst) {
        checkWidth(n, width);
        need(codes, n, "codes", false);
        long bytes = Kernel.packedBytes(n, width);
        need(dst, bytes, "dst", true);
        pack(codes, n, width, dst);
        return bytes;
    }

    @Override
    public final void unpackBits(MemorySegment src, long n, int width, MemorySegment codes) {
        checkWidth(n, width);
        need(src, Kernel.packedBytes(n, width), "src", false);
        need(codes, n, "codes", true);
        unpack(src, n, width, codes);
    }

    @Override
    public final void quantize(
            ElfType type,
            MemorySegment src,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits,
            MemorySegment codes) {
        checkGroups(type, n, groupSize, groupOffset, scales, zeros, bits);
        need(src, n * type.valueBytes(), "src", false);
        need(codes, n, "codes", true);
        quantizeChecked(type, src, n, groupSize, groupOffset, scales, zeros, bits, codes);
    }

    @Override
    public final void dequantize(
            ElfType type,
            MemorySegment codes,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits,
            MemorySegment dst) {
        checkGroups(type, n, groupSize, groupOffset, scales, zeros, bits);
        need(codes, n, "codes", false);
        need(dst, n * type.valueBytes(), "dst", true);
        dequantizeChecked(type, codes, n, groupSize, groupOffset, scales, zeros, bits, dst);
    }

    @Override
    public final void bucketize(
            ElfType type, MemorySegment src, long n, MemorySegment bounds, int nBounds, MemorySegment codes) {
        checkCount(type, n, 0);
        if (nBounds < 0 || nBounds > 255) {
            throw new IllegalArgumentException("bound count " + nBounds + " outside [0, 255]");
        }
        need(bounds, (long) nBounds * Float.BYTES, "bounds", false);
        need(src, n * type.valueBytes(), "src", false);
        need(codes, n, "codes", true);
        bucketizeChecked(type, src, n, bounds, nBounds, codes);
    }

    @Override
    public final void lookup(
            ElfType type, MemorySegment codes, long n, MemorySegment table, int bits, MemorySegment dst) {
        checkCount(type, n, 0);
        checkWidth(n, bits);
        need(table, (4L << bits), "table", false);
        need(codes, n, "codes", false);
        need(dst, n * type.valueBytes(), "dst", true);
        lookupChecked(type, codes, n, table, bits, dst);
    }

    // Quantization: arguments are checked. The plain-Java reference (QuantScalar) serves unless a kernel has a
    // faster path of its own, which must give the same bytes.

    protected void quantizeChecked(
            ElfType type,
            MemorySegment src,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits,
            MemorySegment codes) {
        QuantScalar.quantize(type, src, n, groupSize, groupOffset, scales, zeros, bits, codes);
    }

    protected void dequantizeChecked(
            ElfType type,
            MemorySegment codes,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits,
            MemorySegment dst) {
        QuantScalar.dequantize(type, codes, n, groupSize, groupOffset, scales, zeros, bits, dst);
    }

    protected void bucketizeChecked(
            ElfType type, MemorySegment src, long n, MemorySegment bounds, int nBounds, MemorySegment codes) {
        QuantScalar.bucketize(type, src, n, bounds, nBounds, codes);
    }

    protected void lookupChecked(
            ElfType type, MemorySegment codes, long n, MemorySegment table, int bits, MemorySegment dst) {
        QuantScalar.lookup(type, codes, n, table, bits, dst);
    }

    @Override
    public final void planesSplit(MemorySegment src, long n, int width, boolean rotate, MemorySegment planes) {
        checkPlanes(n, width);
        need(src, n * width, "src", false);
        need(planes, n * width, "planes", true);
        planesSplitChecked(src, n, width, rotate, planes);
    }

    @Override
    public final void planesJoin(MemorySegment planes, long n, int width, boolean rotate, MemorySegment dst) {
        checkPlanes(n, width);
        need(planes, n * width, "planes", false);
        need(dst, n * width, "dst", true);
        planesJoinChecked(planes, n, width, rotate, dst);
    }

    @Override
    public final long gridEncode(
            ElfType type,
            MemorySegment src,
            long n,
            double step,
            double bound,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap,
            long posBase) {
        checkGrid(type, n, posBase, step);
        if (!(bound >= 0) || Double.isInfinite(bound)) {
            throw new IllegalArgumentException("grid bound " + bound + " is not a finite number >= 0");
        }
        need(src, n * type.valueBytes(), "src", false);
        need(codes, 4 * n, "codes", true);
        checkExceptionRoom(type, excPos, excBits, excCap);
        return gridEncodeChecked(type, src, n, step, bound, codes, excPos, excBits, excCap, posBase);
    }

    @Override
    public final void gridDecode(
            ElfType type,
            MemorySegment codes,
            long n,
            double step,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc,
            long posBase) {
        checkGrid(type, n, posBase, step);
        need(codes, 4 * n, "codes", false);
        need(dst, n * type.valueBytes(), "dst", true);
        checkExceptions(type, n, excPos, excBits, nExc, posBase);
        gridDecodeChecked(type, codes, n, step, dst, excPos, excBits, nExc, posBase);
    }

    @Override
    public final long entropyEncode(MemorySegment src, long n, MemorySegment dst) {
        if (n < 0 || n > MAX_VALUES) {
            throw new IllegalArgumentException("plane of " + n + " bytes outside [0, " + MAX_VALUES + "]");
        }
        need(src, n, "src", false);
        need(dst, Kernel.entropyBound(n), "dst", true);
        return entropyEncodeChecked(src, n, dst);
    }

    @Override
    public final void entropyDecode(MemorySegment stored, long n, MemorySegment dst) {
        if (n < 0 || n > MAX_VALUES) {
            throw new IllegalArgumentException("plane of " + n + " bytes outside [0, " + MAX_VALUES + "]");
        }
        Objects.requireNonNull(stored, "stored");
        need(dst, n, "dst", true);
        entropyDecodeChecked(stored, n, dst);
    }

    // Planes, grid codes and entropy planes: arguments are checked. The plain-Java references serve unless a
    // kernel has a faster path of its own, which must give the same bytes.

    protected void planesSplitChecked(MemorySegment src, long n, int width, boolean rotate, MemorySegment planes) {
        Planes.split(src, n, width, rotate, planes);
    }

    protected void planesJoinChecked(MemorySegment planes, long n, int width, boolean rotate, MemorySegment dst) {
        Planes.join(planes, n, width, rotate, dst);
    }

    protected long gridEncodeChecked(
            ElfType type,
            MemorySegment src,
            long n,
            double step,
            double bound,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap,
            long posBase) {
        return Grid.encode(type, src, n, step, bound, codes, excPos, excBits, excCap, posBase);
    }

    protected void gridDecodeChecked(
            ElfType type,
            MemorySegment codes,
            long n,
            double step,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc,
            long posBase) {
        Grid.decode(type, codes, n, step, dst, excPos, excBits, nExc, posBase);
    }

    protected long entropyEncodeChecked(MemorySegment src, long n, MemorySegment dst) {
        return EntropyPlane.encode(src, n, dst);
    }

    protected void entropyDecodeChecked(MemorySegment stored, long n, MemorySegment dst) {
        EntropyPlane.decode(stored, n, dst);
    }

    private static void checkPlanes(long n, int width) {
        if (width != 2 && width != 4 && width != 8) {
            throw new IllegalArgumentException("plane width " + width + " is not 2, 4 or 8");
        }
        if (n < 0 || n > MAX_VALUES) {
            throw new IllegalArgumentException("value count " + n + " outside [0, " + MAX_VALUES + "]");
        }
    }

    private static void checkGrid(ElfType type, long n, long posBase, double step) {
        checkCount(type, n, posBase);
        if (type != ElfType.F32 && type != ElfType.F64) {
            throw new IllegalArgumentException("grid codes are for F32 and F64, not " + type);
        }
        if (!(step > 0) || Double.isInfinite(step)) {
            throw new IllegalArgumentException("grid step " + step + " is not a finite number > 0");
        }
    }

    private static void checkGroups(
            ElfType type,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits) {
        checkCount(type, n, 0);
        if (bits < 1 || bits > 8) {
            throw new IllegalArgumentException("code width " + bits + " outside [1, 8]");
        }
        if (groupSize < 1 || groupOffset < 0 || groupOffset >= groupSize) {
            throw new IllegalArgumentException(
                    "group size " + groupSize + " and offset " + groupOffset + ": need 0 <= offset < size");
        }
        if (groupOffset > Long.MAX_VALUE - n) { // else the group count below overflows and checks nothing
            throw new IllegalArgumentException("group offset " + groupOffset + " + " + n + " values overflows");
        }
        long groups = Kernel.groups(n, groupSize, groupOffset);
        need(scales, groups * Float.BYTES, "scales", false);
        need(zeros, groups, "zeros", false);
    }

    /** Arguments are checked; return the exception count as {@link #elfEncode} does. */
    protected abstract long encode(
            ElfType type,
            MemorySegment src,
            long n,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap,
            long posBase);

    /** Arguments are checked, exception positions too. */
    protected abstract void decode(
            ElfType type,
            MemorySegment codes,
            long n,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc,
            long posBase);

    protected abstract void pack(MemorySegment codes, long n, int width, MemorySegment dst);

    protected abstract void unpack(MemorySegment src, long n, int width, MemorySegment codes);

    private static void checkCount(ElfType type, long n, long posBase) {
        Objects.requireNonNull(type, "type");
        if (n < 0 || n > MAX_VALUES) {
            throw new IllegalArgumentException("value count " + n + " outside [0, " + MAX_VALUES + "]");
        }
        if (posBase < 0 || posBase > Long.MAX_VALUE - n) {
            throw new IllegalArgumentException("posBase " + posBase + " out of range for " + n + " values");
        }
    }

    private static void checkWidth(long n, int width) {
        if (width < 1 || width > 8) {
            throw new IllegalArgumentException("code width " + width + " outside [1, 8]");
        }
        if (n < 0 || n > MAX_VALUES) {
            throw new IllegalArgumentException("code count " + n + " outside [0, " + MAX_VALUES + "]");
        }
    }

    private static void need(MemorySegment segment, long bytes, String what, boolean writable) {
        Objects.requireNonNull(segment, what);
        if (segment.byteSize() < bytes) {
            throw new IndexOutOfBoundsException(what + " holds " + segment.byteSize() + " bytes, " + bytes + " needed");
        }
        if (writable && segment.isReadOnly() && bytes > 0) {
            throw new IllegalArgumentException(what + " is read-only");
        }
    }

    /** Room for up to {@code excCap} exceptions: their int64 positions and their original bits. */
    private static void checkExceptionRoom(ElfType type, MemorySegment excPos, MemorySegment excBits, long excCap) {
        if (excCap < 0 || excCap > MAX_VALUES) {
            throw new IllegalArgumentException("excCap " + excCap + " outside [0, " + MAX_VALUES + "]");
        }
        need(excPos, excCap * Long.BYTES, "excPos", true);
        need(excBits, excCap * type.valueBytes(), "excBits", true);
    }

    /** {@code nExc} exceptions to patch into {@code n} values: a count that fits, the buffers, their positions. */
    private static void checkExceptions(
            ElfType type, long n, MemorySegment excPos, MemorySegment excBits, long nExc, long posBase) {
        if (nExc < 0 || nExc > n) {
            throw new CorruptDataException(nExc + " exceptions for " + n + " values");
        }
        need(excPos, nExc * Long.BYTES, "excPos", false);
        need(excBits, nExc * type.valueBytes(), "excBits", false);
        checkPositions(excPos, nExc, posBase, n);
    }

    /** Strictly increasing and inside the block: the one rule that makes patching safe. */
    private static void checkPositions(MemorySegment excPos, long nExc, long posBase, long n) {
        long previous = -1;
        for (long i = 0; i < nExc; i++) {
            long p = excPos.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
            if (p < posBase || p - posBase >= n || p <= previous) {
                throw new CorruptDataException("exception " + i + " at position " + p + " is outside [" + posBase + ", "
                        + (posBase + n) + ") or out of order");
            }
            previous = p;
        }
    }
}
