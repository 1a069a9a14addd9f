package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The few primitives every codec is built on, with one implementation per machine: native (the C kernel
 * through FFM) and pure Java. All implementations produce the same bytes, bit for bit (FORMAT.md).
 *
 * <p>Segments may be heap or native, mapped or not, and need no alignment. Values and codes are
 * little-endian. Every argument is checked before any work: a bad one throws
 * {@link IllegalArgumentException} or {@link IndexOutOfBoundsException}; corrupt exception positions throw
 * {@link CorruptDataException}.
 */
public interface Kernel {

    /** Short name used in benchmarks and logs: native-avx2, native-scalar, java-vector, java-scalar. */
    String name();

    /**
     * ELF-encodes {@code n} values of {@code type} from {@code src} (at offset 0) into the planar code
     * stream {@code codes} ({@link ElfType#codeBytes(long)} bytes at least). Exceptions go, in order, to
     * {@code excPos} (int64 positions, {@code posBase + index}) and {@code excBits} (the original bits,
     * {@link ElfType#valueBytes()} each), at most {@code excCap} of them.
     *
     * @return the number of exceptions found; when it exceeds {@code excCap} only the first
     *     {@code excCap} were stored and the caller encodes again with room for all
     */
    long elfEncode(
            ElfType type,
            MemorySegment src,
            long n,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap,
            long posBase);

    /**
     * Decodes {@code n} values from {@code codes} into {@code dst}, then writes back {@code nExc}
     * exceptions, whose positions must be strictly increasing within {@code [posBase, posBase + n)}.
     */
    void elfDecode(
            ElfType type,
            MemorySegment codes,
            long n,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc,
            long posBase);

    /**
     * Packs {@code n} codes of {@code width} bits (1..8, one per byte, higher bits ignored) LSB-first.
     *
     * @return bytes written, {@link Kernel#packedBytes(long, int)}
     */
    long packBits(MemorySegment codes, long n, int width, MemorySegment dst);

    /** Unpacks {@code n} codes of {@code width} bits (1..8) into one byte each. */
    void unpackBits(MemorySegment src, long n, int width, MemorySegment codes);

    /**
     * Uniform quantization (FORMAT.md, "Codecs", uniform) of {@code n} values of {@code type} into one code byte
     * each. Value {@code i} belongs to group {@code g = (groupOffset + i) / groupSize}, whose scale is float32
     * {@code scales[g]} and zero point int8 {@code zeros[g]}; with {@code qmin = -2^(bits-1)},
     * {@code qmax = 2^(bits-1) - 1}: {@code code = clamp(rint(x / scale) + zero, qmin, qmax) - qmin}, computed
     * in float32 (float64 for F64), rint rounding half to even; NaN gives code 0.
     */
    void quantize(
            ElfType type,
            MemorySegment src,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits,
            MemorySegment codes);

    /**
     * The inverse of {@link #quantize}: {@code x' = (c + qmin - zero) * scale} in float32 (float64 for F64),
     * rounded to {@code type} half to even, where {@code c} is the code's low {@code bits} bits (so no byte
     * reads or writes out of range, whatever the codes hold).
     */
    void dequantize(
            ElfType type,
            MemorySegment codes,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits,
            MemorySegment dst);

    /**
     * Non-uniform quantization: {@code code = } the number of the {@code nBounds} ascending float32 bounds that
     * are strictly below {@code x} (as float32; float64 for F64), one byte each; NaN gives 0.
     * {@code nBounds} is 0..255.
     */
    void bucketize(ElfType type, MemorySegment src, long n, MemorySegment bounds, int nBounds, MemorySegment codes);

    /**
     * {@code x' = table[c]} rounded to {@code type} half to even, where {@code c} is the code's low {@code bits}
     * bits and {@code table} holds {@code 2^bits} float32 entries.
     */
    void lookup(ElfType type, MemorySegment codes, long n, MemorySegment table, int bits, MemorySegment dst);

    /**
     * Splits {@code n} values of {@code width} bytes (2, 4 or 8) into {@code width} byte planes: plane {@code b},
     * at {@code b * n} in {@code planes}, holds byte {@code b} (little-endian) of every value. With {@code rotate}
     * each value is first rotated left by one bit, so that a float's sign moves to bit 0 and its exponent fills
     * the top plane (FORMAT.md, "lossless chunks").
     */
    void planesSplit(MemorySegment src, long n, int width, boolean rotate, MemorySegment planes);

    /** The inverse of {@link #planesSplit}: {@code width * n} plane bytes back into {@code n} values. */
    void planesJoin(MemorySegment planes, long n, int width, boolean rotate, MemorySegment dst);

    /**
     * Error-bound grid codes (FORMAT.md, "grid chunks") of {@code n} F32 or F64 values: in float64,
     * {@code q = rint(x / step)}, {@code y = q * step} rounded to {@code type}; the code is zigzag(q) as a u32
     * written to 4 byte planes of {@code n} bytes. A value is an exception (code 0, its position and bits listed
     * as {@link #elfEncode} lists them) when it is not finite, {@code |q| > 2^31 - 1}, or {@code |y - x| > bound}.
     *
     * @return the number of exceptions found, as {@link #elfEncode} returns it
     */
    long gridEncode(
            ElfType type,
            MemorySegment src,
            long n,
            double step,
            double bound,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap,
            long posBase);

    /** Decodes grid codes: {@code y = unzigzag(code) * step} rounded to {@code type}, then patches the exceptions. */
    void gridDecode(
            ElfType type,
            MemorySegment codes,
            long n,
            double step,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc,
            long posBase);

    /**
     * Entropy-codes one plane of {@code n} bytes (FORMAT.md, "entropy planes"): as it is, as one repeated byte, or
     * Huffman-coded, whichever the format's rules pick. {@code dst} needs {@link #entropyBound(long)} bytes.
     *
     * @return bytes written
     */
    long entropyEncode(MemorySegment src, long n, MemorySegment dst);

    /**
     * Decodes a plane written by {@link #entropyEncode}, which is the whole of {@code stored}, into {@code n} bytes.
     *
     * @throws CorruptDataException when {@code stored} is not such a plane of {@code n} bytes
     */
    void entropyDecode(MemorySegment stored, long n, MemorySegment dst);

    /** Most bytes {@link #entropyEncode} writes for a plane of {@code n} bytes: the plane as it is, plus its mode. */
    static long entropyBound(long n) {
        return n + 1;
    }

    /** Groups that {@code n} values starting at {@code groupOffset} of a group of {@code groupSize} touch. */
    static long groups(long n, long groupSize, long groupOffset) {
        return n == 0 ? 0 : (groupOffset + n - 1) / groupSize + 1;
    }

    /** Bytes that {@code n} codes of {@code width} bits take when bit-packed. */
    static long packedBytes(long n, int width) {
        return (n / 8) * width + ((n % 8) * width + 7) / 8;
    }
}
