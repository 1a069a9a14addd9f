package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.elfz.PromiseOracle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The one suite every kernel passes: round trips within the bound, exact exceptions, the exact bytes of
 * FORMAT.md, odd lengths and unaligned slices, heap and native segments, real weights, and bad arguments.
 */
abstract class KernelContractTest {

    /** The kernel under test. */
    abstract Kernel kernel();

    /** Encodes and decodes, checks every value against the rule, returns the codes. */
    static byte[] roundTrip(Kernel k, ElfType type, MemorySegment src, long n, MemorySegment scratch) {
        MemorySegment codes = scratch.asSlice(1, type.codeBytes(n)); // odd offset on purpose
        MemorySegment pos = scratch.asSlice(type.codeBytes(n) + 3, n * 8);
        MemorySegment bits = scratch.asSlice(type.codeBytes(n) + 3 + n * 8, n * type.valueBytes());
        long base = 12345;
        long nExc = k.elfEncode(type, src, n, codes, pos, bits, n, base);
        MemorySegment out =
                scratch.asSlice(type.codeBytes(n) + 3 + n * (8 + type.valueBytes()) + 5, n * type.valueBytes());
        k.elfDecode(type, codes, n, out, pos, bits, nExc, base);
        long seen = 0;
        for (long i = 0; i < n; i++) {
            long in = TestData.bits(type, src, i), got = TestData.bits(type, out, i);
            if (TestData.isException(type, in)) {
                assertEquals(base + i, pos.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, seen++), "exception position");
                assertEquals(in, got, () -> type + " exception not restored bit for bit");
                continue;
            }
            double x = TestData.value(type, in), y = TestData.value(type, got);
            if (Math.abs(x - y) > PromiseOracle.elfBound(type)) {
                fail(type + " " + x + " decoded as " + y + ": error over " + PromiseOracle.elfBound(type));
            }
            long signBit = 1L << (8 * type.valueBytes() - 1);
            assertEquals(in & signBit, got & signBit, () -> type + " sign of " + x + " lost");
        }
        assertEquals(seen, nExc, "exception count");
        return codes.toArray(ValueLayout.JAVA_BYTE);
    }

    @ParameterizedTest
    @EnumSource(ElfType.class)
    void everyLengthUpTo600OnNativeAndHeapSegments(ElfType type) {
        Kernel k = kernel();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = TestData.weightLike(type, 601 + 7, type.ordinal(), arena);
            MemorySegment scratch = arena.allocate(601 * 32 + 64);
            MemorySegment heapScratch = MemorySegment.ofArray(new long[601 * 4 + 8]);
            for (int n = 0; n <= 600; n++) {
                MemorySegment src = all.asSlice(n % 7 * type.valueBytes(), (long) n * type.valueBytes());
                byte[] offHeap = roundTrip(k, type, src, n, scratch);
                MemorySegment heapSrc = MemorySegment.ofArray(src.toArray(ValueLayout.JAVA_BYTE));
                byte[] onHeap = roundTrip(k, type, heapSrc, n, heapScratch);
                assertArrayEquals(offHeap, onHeap, "heap and native segments give the same bytes");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ElfType.class)
    void edgeValuesAtEveryLanePosition(ElfType type) {
        Kernel k = kernel();
        long[] edges = TestData.edges(type);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment scratch = arena.allocate(64 * 32);
            for (int n = 1; n <= 40; n++) {
                MemorySegment src = arena.allocate((long) n * type.valueBytes());
                for (int i = 0; i < n; i++) {
                    TestData.setBits(type, src, i, edges[(i * 7 + n) % edges.length]);
                }
                roundTrip(k, type, src, n, scratch);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = ElfType.class,
            names = {"F16", "BF16"})
    void everyBitPatternOfSixteenBitTypes(ElfType type) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(65536 * 2);
            for (int i = 0; i < 65536; i++) {
                TestData.setBits(type, src, i, i);
            }
            roundTrip(kernel(), type, src, 65536, arena.allocate(65536 * 16 + 64));
        }
    }

    @Test
    void largeBlocksWithTails() {
        try (Arena arena = Arena.ofConfined()) {
            for (ElfType type : ElfType.values()) {
                long n = 100_003;
                roundTrip(kernel(), type, TestData.weightLike(type, n, 99, arena), n, arena.allocate(n * 32 + 64));
            }
        }
    }

    /** Golden bytes: the layout of FORMAT.md, fixed for good. */
    @Test
    void knownBytes() {
        // 0.5f -> 1+x = 1.5 -> mantissa 0x400000; -0.25f -> 0x200000 | sign 0x800000; 0.5 - 2^-23 -> 0x3fffff;
        // 0.5 - 2^-25 rounds (half an ulp of [1,2) is 2^-24) up to 1.5. Printed here value by value.
        assertEquals(
                "400000" + "a00000" + "3fffff" + "400000", planesOfF32(0.5f, -0.25f, 0.5f - 0x1p-23f, 0.5f - 0x1p-25f));
        try (Arena arena = Arena.ofConfined()) {
            // f16 0.5 (0x3800) -> q 512, code 0x200: plane byte 0x40, low 3 bits 000; -0.75 (0xba00) -> 0x400|768
            MemorySegment src = arena.allocate(4);
            src.set(TestData.SHORT, 0, (short) 0x3800);
            src.set(TestData.SHORT, 2, (short) 0xba00);
            MemorySegment codes = arena.allocate(ElfType.F16.codeBytes(2));
            assertEquals(
                    0, kernel().elfEncode(ElfType.F16, src, 2, codes, MemorySegment.NULL, MemorySegment.NULL, 0, 0));
            assertEquals("40e000", HexFormat.of().formatHex(codes.toArray(ValueLayout.JAVA_BYTE)));
            // pack: width 3 codes 1..7,0 LSB-first -> 0b...: bytes d1 58 1f (computed bit by bit)
            MemorySegment c = MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5, 6, 7, 0});
            MemorySegment p = MemorySegment.ofArray(new byte[3]);
            assertEquals(3, kernel().packBits(c, 8, 3, p));
            assertEquals("d1581f", HexFormat.of().formatHex(p.toArray(ValueLayout.JAVA_BYTE)));
        }
    }

    private String planesOfF32(float... values) {
        MemorySegment src = MemorySegment.ofArray(values);
        MemorySegment codes = MemorySegment.ofArray(new byte[values.length * 3]);
        assertEquals(
                0,
                kernel().elfEncode(
                                ElfType.F32, src, values.length, codes, MemorySegment.NULL, MemorySegment.NULL, 0, 0));
        byte[] b = codes.toArray(ValueLayout.JAVA_BYTE);
        StringBuilder planes = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            planes.append(HexFormat.of().toHexDigits(b[i]))
                    .append(HexFormat.of().toHexDigits(b[values.length + i]))
                    .append(HexFormat.of().toHexDigits(b[2 * values.length + i]));
        }
        return planes.toString();
    }

    @Test
    void namedBoundaryValues() {
        Kernel k = kernel();
        float[] in = {
            -0.0f,
            0.99999994f,
            0.9999999f,
            Float.MIN_VALUE,
            -1e-30f,
            5.9604645e-8f,
            1.0f,
            Float.intBitsToFloat(0x7fc0beef),
            Float.NEGATIVE_INFINITY
        };
        float[] out = new float[in.length];
        long[] pos = new long[in.length];
        int[] bits = new int[in.length];
        MemorySegment codes = MemorySegment.ofArray(new byte[in.length * 3]);
        long nExc = k.elfEncode(
                ElfType.F32,
                MemorySegment.ofArray(in),
                in.length,
                codes,
                MemorySegment.ofArray(pos),
                MemorySegment.ofArray(bits),
                in.length,
                0);
        assertEquals(4, nExc, "0.99999994 (1+x rounds to 2), 1.0, NaN and -Inf are exceptions");
        assertArrayEquals(new long[] {1, 6, 7, 8}, Arrays.copyOf(pos, 4));
        k.elfDecode(
                ElfType.F32,
                codes,
                in.length,
                MemorySegment.ofArray(out),
                MemorySegment.ofArray(pos),
                MemorySegment.ofArray(bits),
                nExc,
                0);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(out[0]), "-0.0 comes back as -0.0");
        assertEquals(0x7fc0beef, Float.floatToRawIntBits(out[7]), "NaN payload kept");
        assertEquals(0.9999999f, out[2], 0x1p-24f);
        assertEquals(0.0f, out[3], "a subnormal decodes to 0 within the bound");
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(out[4]), "tiny negative -> -0.0");
        assertEquals(5.9604645e-8f, out[5], 0x1p-24f);
    }

    @Test
    void exceptionsBeyondCapacityAreCountedNotStored() {
        float[] in = new float[64];
        for (int i = 0; i < 64; i++) {
            in[i] = i % 4 == 0 ? 2f + i : 0.01f * i;
        }
        long[] pos = new long[5];
        MemorySegment codes = MemorySegment.ofArray(new byte[192]);
        assertEquals(
                16,
                kernel().elfEncode(
                                ElfType.F32,
                                MemorySegment.ofArray(in),
                                64,
                                codes,
                                MemorySegment.ofArray(pos),
                                MemorySegment.ofArray(new int[5]),
                                5,
                                0));
        assertArrayEquals(new long[] {0, 4, 8, 12, 16}, pos);
    }

    @Test
    void badArgumentsThrowBeforeAnyWork() {
        Kernel k = kernel();
        MemorySegment src = MemorySegment.ofArray(new float[64]);
        MemorySegment codes = MemorySegment.ofArray(new byte[192]);
        MemorySegment pos = MemorySegment.ofArray(new long[64]);
        MemorySegment bits = MemorySegment.ofArray(new int[64]);
        assertThrows(IndexOutOfBoundsException.class, () -> k.elfEncode(ElfType.F32, src, 65, codes, pos, bits, 0, 0));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.elfEncode(ElfType.F32, src, 64, codes.asSlice(0, 191), pos, bits, 0, 0));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.elfEncode(ElfType.F32, src, 64, codes, pos.asSlice(0, 8), bits, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> k.elfEncode(ElfType.F32, src, -1, codes, pos, bits, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> k.elfEncode(ElfType.F32, src, 64, codes, pos, bits, -1, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> k.elfEncode(ElfType.F32, src, 64, codes, pos, bits, 0, Long.MAX_VALUE - 10));
        assertThrows(
                IllegalArgumentException.class,
                () -> k.elfEncode(ElfType.F32, src, 64, codes.asReadOnly(), pos, bits, 0, 0));
        assertThrows(NullPointerException.class, () -> k.elfEncode(null, src, 64, codes, pos, bits, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> k.packBits(codes, 8, 9, src));
        assertThrows(IllegalArgumentException.class, () -> k.packBits(codes, 8, 0, src));
        assertThrows(IndexOutOfBoundsException.class, () -> k.unpackBits(codes, 600, 3, src));
        assertThrows(IndexOutOfBoundsException.class, () -> k.packBits(codes, 193, 3, src));

        // corrupt exception lists: out of range, out of order, more than values
        k.elfEncode(ElfType.F32, src, 64, codes, pos, bits, 64, 0);
        MemorySegment out = MemorySegment.ofArray(new float[64]);
        pos.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, 0, 64);
        assertThrows(CorruptDataException.class, () -> k.elfDecode(ElfType.F32, codes, 64, out, pos, bits, 1, 0));
        pos.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, 0, 5);
        pos.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, 1, 5);
        assertThrows(CorruptDataException.class, () -> k.elfDecode(ElfType.F32, codes, 64, out, pos, bits, 2, 0));
        pos.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, 0, -1);
        assertThrows(CorruptDataException.class, () -> k.elfDecode(ElfType.F32, codes, 64, out, pos, bits, 1, 0));
        assertThrows(CorruptDataException.class, () -> k.elfDecode(ElfType.F32, codes, 64, out, pos, bits, 65, 0));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.elfDecode(ElfType.F32, codes.asSlice(1), 64, out, pos, bits, 0, 0));
    }

    @Test
    void packEveryWidthAndLength() {
        Kernel k = kernel();
        SplittableRandom r = new SplittableRandom(5);
        for (int width = 1; width <= 8; width++) {
            for (int n = 0; n <= 300; n++) {
                byte[] codes = new byte[n];
                for (int i = 0; i < n; i++) {
                    codes[i] = (byte) r.nextInt(); // high bits must be ignored
                }
                byte[] packed = new byte[(int) Kernel.packedBytes(n, width)];
                assertEquals(
                        packed.length,
                        k.packBits(MemorySegment.ofArray(codes), n, width, MemorySegment.ofArray(packed)));
                for (int i = 0; i < n; i++) { // bit-by-bit reference
                    for (int b = 0; b < width; b++) {
                        int bit = i * width + b;
                        assertEquals((codes[i] >> b) & 1, (packed[bit / 8] >> (bit % 8)) & 1, "bit " + bit);
                    }
                }
                byte[] back = new byte[n];
                k.unpackBits(MemorySegment.ofArray(packed), n, width, MemorySegment.ofArray(back));
                for (int i = 0; i < n; i++) {
                    assertEquals(codes[i] & ((1 << width) - 1), back[i] & 0xff, "code " + i);
                }
            }
        }
    }

    @Test
    void realBertWeights() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment weights = TestData.bert(64L << 20, arena);
            long n = weights.byteSize() / 4;
            MemorySegment scratch = arena.allocate(n * 20 + 64);
            roundTrip(kernel(), ElfType.F32, weights, n, scratch);
            // and converted to the other float types, as f16/bf16/f64 checkpoints hold them
            for (ElfType type : new ElfType[] {ElfType.F16, ElfType.BF16, ElfType.F64}) {
                long m = Math.min(n, 1 << 20);
                MemorySegment converted = arena.allocate(m * type.valueBytes());
                for (long i = 0; i < m; i++) {
                    TestData.setBits(
                            type,
                            converted,
                            i,
                            TestData.bitsOf(
                                    type,
                                    weights.getAtIndex(TestData.INT, i) == 0
                                            ? 0
                                            : Float.intBitsToFloat(weights.getAtIndex(TestData.INT, i))));
                }
                roundTrip(kernel(), type, converted, m, scratch);
            }
        }
    }

    // ---- Quantization: every kernel writes the bytes of QuantOracle (elfz.h's formulas), whatever the input.

    /** Scales near the data's range (powers of two, so ties are exact), and now and then an odd one. */
    private static float randomScale(SplittableRandom r, int bits) {
        int pick = r.nextInt(16);
        if (pick == 0) {
            int[] odd = {0, 0x80000000, 0x7fc00000, 0x7f800001, 0x7f800000, 0xff800000, 1, 0x00400000, 0x7f7fffff};
            return Float.intBitsToFloat(odd[r.nextInt(odd.length)]);
        }
        float s = 0.15f / (1 << (bits - 1));
        return pick < 8
                ? Math.scalb(1f, Math.getExponent(s) + r.nextInt(3) - 1)
                : s * (0.5f + 1.5f * r.nextFloat()) * (pick == 8 ? -1 : 1);
    }

    /** n values of the type near the groups' scales: ties (k + 1/2) * scale, far-out values, edge values, weights. */
    private static void fillQuantInput(
            ElfType type,
            MemorySegment src,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            SplittableRandom r) {
        long[] edges = TestData.edges(type);
        for (long i = 0; i < n; i++) {
            float scale = scales.getAtIndex(QuantScalar.F32, (groupOffset + i) / groupSize);
            int pick = r.nextInt(16);
            long bits;
            if (pick == 0) {
                bits = edges[r.nextInt(edges.length)];
            } else if (pick < 4) {
                double x = (r.nextInt(600) - 300 + (pick == 1 ? 0.5 : 0.0)) * (double) scale * (pick == 3 ? 1e30 : 1);
                bits = TestData.bitsOf(type, type == ElfType.F64 ? x : (float) x);
            } else if (pick < 5) {
                bits = r.nextLong(); // any bit pattern
            } else {
                bits = TestData.bitsOf(type, TestData.gaussian(r) * 0.05);
            }
            TestData.setBits(type, src, i, bits);
        }
    }

    /** A segment of the given size: on the heap (byte[]) or native at an odd address. */
    private static MemorySegment segment(long bytes, boolean heap, Arena arena) {
        return heap
                ? MemorySegment.ofArray(new byte[(int) bytes])
                : arena.allocate(bytes + 1).asSlice(1);
    }

    /** Quantizes and dequantizes one block with the kernel; the bytes must be the oracle's. */
    private void checkUniform(
            ElfType type, long n, long groupSize, long groupOffset, int bits, SplittableRandom r, Arena arena) {
        Kernel k = kernel();
        boolean heap = r.nextBoolean();
        long groups = Kernel.groups(n, groupSize, groupOffset);
        MemorySegment scales = segment(groups * 4, heap, arena);
        MemorySegment zeros = segment(groups, heap, arena);
        for (long g = 0; g < groups; g++) {
            scales.setAtIndex(QuantScalar.F32, g, randomScale(r, bits));
            int zero = r.nextInt(4) == 0
                    ? r.nextInt(256)
                    : r.nextInt(1 << bits) - (1 << (bits - 1)); // any int8, mostly in range
            zeros.set(ValueLayout.JAVA_BYTE, g, (byte) zero);
        }
        MemorySegment src = segment(n * type.valueBytes(), heap, arena);
        fillQuantInput(type, src, n, groupSize, groupOffset, scales, r);
        MemorySegment codes = segment(n, heap, arena);
        MemorySegment want =
                MemorySegment.ofArray(QuantOracle.quantize(type, src, n, groupSize, groupOffset, scales, zeros, bits));
        k.quantize(type, src, n, groupSize, groupOffset, scales, zeros, bits, codes);
        String where = " (n=" + n + ", bits=" + bits + ", groups of " + groupSize + " from " + groupOffset + ")";
        assertSameBytes(want, codes, type + " quantize" + where);

        for (long i = 0; i < n; i++) {
            codes.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt()); // high bits must be ignored
        }
        MemorySegment out = segment(n * type.valueBytes(), heap, arena);
        MemorySegment wantOut = segment(n * type.valueBytes(), heap, arena);
        for (long i = 0; i < n; i++) {
            long g = (groupOffset + i) / groupSize;
            TestData.setBits(
                    type,
                    wantOut,
                    i,
                    QuantOracle.dequantize(
                            type,
                            codes.get(ValueLayout.JAVA_BYTE, i),
                            scales.getAtIndex(QuantScalar.F32, g),
                            zeros.get(ValueLayout.JAVA_BYTE, g),
                            bits));
        }
        k.dequantize(type, codes, n, groupSize, groupOffset, scales, zeros, bits, out);
        assertSameBytes(wantOut, out, type + " dequantize" + where);
    }

    private static void assertSameBytes(MemorySegment want, MemorySegment got, String what) {
        long at = want.mismatch(got);
        if (at >= 0) {
            fail(what + ": first difference at byte " + at + ", "
                    + HexFormat.of().toHexDigits(got.get(ValueLayout.JAVA_BYTE, at)) + " instead of "
                    + HexFormat.of().toHexDigits(want.get(ValueLayout.JAVA_BYTE, at)));
        }
    }

    @ParameterizedTest
    @EnumSource(ElfType.class)
    void uniformQuantizationGivesTheReferenceBytes(ElfType type) {
        SplittableRandom r = new SplittableRandom(17 + type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int n = 0; n <= 300; n++) {
                for (int bits = 1; bits <= 8; bits++) {
                    for (long size : new long[] {1, 3, 32, 1000, Math.max(n, 1)}) {
                        checkUniform(type, n, size, r.nextLong(size), bits, r, arena);
                    }
                }
            }
            for (long n : new long[] {4099, 100_003}) {
                for (long size : new long[] {32, 128, n}) {
                    checkUniform(type, n, size, r.nextLong(size), 4, r, arena);
                    checkUniform(type, n, size, 0, 8, r, arena);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ElfType.class)
    void bucketizeAndLookupGiveTheReferenceBytes(ElfType type) {
        Kernel k = kernel();
        SplittableRandom r = new SplittableRandom(23 + type.ordinal());
        float[] odd = {
            0f,
            -0f,
            Float.NaN,
            Float.intBitsToFloat(0x7f800001),
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE,
            65520f,
            -1e-40f
        };
        try (Arena arena = Arena.ofConfined()) {
            for (int n = 0; n <= 300; n += 1 + n / 50) {
                for (int bits = 1; bits <= 8; bits++) {
                    boolean heap = r.nextBoolean();
                    // bounds: ascending, or shuffled with repeats, signed zeros, infinities and NaN
                    int nBounds = bits == 8 ? 255 : (1 << bits) - 1 + (n % 3 == 0 ? 1 : 0);
                    MemorySegment bounds = segment(nBounds * 4L, heap, arena);
                    float b = -0.3f;
                    for (int j = 0; j < nBounds; j++) {
                        b += r.nextInt(8) == 0 ? 0 : r.nextFloat() * 0.6f / (nBounds + 1);
                        bounds.setAtIndex(
                                QuantScalar.F32, j, n % 2 == 1 && r.nextInt(6) == 0 ? odd[r.nextInt(odd.length)] : b);
                    }
                    if (n % 2 == 1) {
                        for (int j = nBounds - 1; j > 0; j--) {
                            int m = r.nextInt(j + 1);
                            float t = bounds.getAtIndex(QuantScalar.F32, j);
                            bounds.setAtIndex(QuantScalar.F32, j, bounds.getAtIndex(QuantScalar.F32, m));
                            bounds.setAtIndex(QuantScalar.F32, m, t);
                        }
                    }
                    MemorySegment src = segment((long) n * type.valueBytes(), heap, arena);
                    MemorySegment one = arena.allocate(4);
                    one.set(QuantScalar.F32, 0, 0.01f);
                    fillQuantInput(type, src, n, n + 1, 0, one, r);
                    for (int i = 0; i < n && nBounds > 0; i += 1 + r.nextInt(8)) { // values equal to a bound
                        TestData.setBits(
                                type,
                                src,
                                i,
                                TestData.bitsOf(type, bounds.getAtIndex(QuantScalar.F32, r.nextInt(nBounds))));
                    }
                    MemorySegment codes = segment(n, heap, arena);
                    MemorySegment want = segment(n, heap, arena);
                    float[] b32 = bounds.asSlice(0, nBounds * 4L).toArray(QuantScalar.F32);
                    for (int i = 0; i < n; i++) {
                        want.set(ValueLayout.JAVA_BYTE, i, (byte)
                                QuantOracle.bucketize(type, TestData.bits(type, src, i), b32));
                    }
                    k.bucketize(type, src, n, bounds, nBounds, codes);
                    assertSameBytes(want, codes, type + " bucketize (n=" + n + ", " + nBounds + " bounds)");

                    // a table of any float32 bits: NaNs with payloads, values that round to Inf or to subnormals
                    MemorySegment table = segment(4L << bits, heap, arena);
                    for (int e = 0; e < 1 << bits; e++) {
                        table.setAtIndex(
                                QuantScalar.F32,
                                e,
                                r.nextInt(4) == 0
                                        ? Float.intBitsToFloat(r.nextInt())
                                        : r.nextInt(4) == 0
                                                ? odd[r.nextInt(odd.length)]
                                                : (float) (TestData.gaussian(r) * 0.1));
                    }
                    for (int i = 0; i < n; i++) {
                        codes.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt()); // high bits must be ignored
                    }
                    MemorySegment out = segment((long) n * type.valueBytes(), heap, arena);
                    MemorySegment wantOut = segment((long) n * type.valueBytes(), heap, arena);
                    for (int i = 0; i < n; i++) {
                        TestData.setBits(
                                type,
                                wantOut,
                                i,
                                QuantOracle.round(
                                        type,
                                        table.getAtIndex(
                                                QuantScalar.F32,
                                                codes.get(ValueLayout.JAVA_BYTE, i) & ((1 << bits) - 1))));
                    }
                    k.lookup(type, codes, n, table, bits, out);
                    assertSameBytes(wantOut, out, type + " lookup (n=" + n + ", bits=" + bits + ")");
                }
            }
        }
    }

    @Test
    void quantizationRoundTripsWithinHalfAStep() {
        Kernel k = kernel();
        float[] x = new float[1000];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (TestData.gaussian(r) * 0.05);
        }
        float[] scales = new float[x.length / 32 + 1];
        byte[] zeros = new byte[scales.length];
        for (int g = 0; g < scales.length; g++) { // symmetric 4-bit per group of 32: max |x| maps to 7
            float max = 0;
            for (int i = g * 32; i < Math.min(x.length, g * 32 + 32); i++) {
                max = Math.max(max, Math.abs(x[i]));
            }
            scales[g] = max / 7;
        }
        byte[] codes = new byte[x.length];
        float[] back = new float[x.length];
        k.quantize(
                ElfType.F32,
                MemorySegment.ofArray(x),
                x.length,
                32,
                0,
                MemorySegment.ofArray(scales),
                MemorySegment.ofArray(zeros),
                4,
                MemorySegment.ofArray(codes));
        k.dequantize(
                ElfType.F32,
                MemorySegment.ofArray(codes),
                x.length,
                32,
                0,
                MemorySegment.ofArray(scales),
                MemorySegment.ofArray(zeros),
                4,
                MemorySegment.ofArray(back));
        for (int i = 0; i < x.length; i++) {
            assertTrue(codes[i] >= 1 && codes[i] <= 15, "symmetric codes stay in 1..15");
            assertEquals(x[i], back[i], scales[i / 32] * 0.5001f, "value " + i);
        }
    }

    @Test
    void badQuantizationArgumentsThrowBeforeAnyWork() {
        Kernel k = kernel();
        MemorySegment src = MemorySegment.ofArray(new float[64]);
        MemorySegment codes = MemorySegment.ofArray(new byte[64]);
        MemorySegment scales = MemorySegment.ofArray(new float[2]);
        MemorySegment zeros = MemorySegment.ofArray(new byte[2]);
        MemorySegment nativeCodes = Arena.ofAuto().allocate(64);
        k.quantize(ElfType.F32, src, 64, 32, 0, scales, zeros, 4, codes); // fine
        for (int bits : new int[] {0, 9, -1}) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> k.quantize(ElfType.F32, src, 64, 32, 0, scales, zeros, bits, codes));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> k.dequantize(ElfType.F32, codes, 64, 32, 0, scales, zeros, bits, src));
            assertThrows(IllegalArgumentException.class, () -> k.lookup(ElfType.F32, codes, 64, src, bits, src));
        }
        for (long[] group :
                new long[][] {{32, 32}, {32, 33}, {0, 0}, {-1, 0}, {32, -1}, {Long.MAX_VALUE, Long.MAX_VALUE - 10}}) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> k.quantize(ElfType.F32, src, 64, group[0], group[1], scales, zeros, 4, nativeCodes));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> k.dequantize(ElfType.F32, nativeCodes, 64, group[0], group[1], scales, zeros, 4, src));
        }
        // too few scales or zero points for the groups the values touch (offset 1: 64 values span 3 groups of 32)
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.quantize(ElfType.F32, src, 64, 32, 1, scales, zeros, 4, codes));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.quantize(ElfType.F32, src, 64, 32, 0, scales.asSlice(0, 7), zeros, 4, codes));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.dequantize(ElfType.F32, codes, 64, 32, 0, scales, zeros.asSlice(0, 1), 4, src));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.quantize(ElfType.F64, src, 64, 32, 0, scales, zeros, 4, codes));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.quantize(ElfType.F32, src, 65, 64, 0, scales, zeros, 4, codes));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.quantize(ElfType.F32, src, 64, 32, 0, scales, zeros, 4, codes.asSlice(1)));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.dequantize(ElfType.F64, codes, 64, 32, 0, scales, zeros, 4, src));
        assertThrows(
                IllegalArgumentException.class,
                () -> k.quantize(ElfType.F32, src, 64, 32, 0, scales, zeros, 4, codes.asReadOnly()));
        assertThrows(
                IllegalArgumentException.class,
                () -> k.dequantize(ElfType.F32, codes, 64, 32, 0, scales, zeros, 4, src.asReadOnly()));
        assertThrows(
                IllegalArgumentException.class, () -> k.quantize(ElfType.F32, src, -1, 32, 0, scales, zeros, 4, codes));
        assertThrows(NullPointerException.class, () -> k.quantize(null, src, 64, 32, 0, scales, zeros, 4, codes));
        assertThrows(NullPointerException.class, () -> k.quantize(ElfType.F32, src, 64, 32, 0, null, zeros, 4, codes));

        MemorySegment bounds = MemorySegment.ofArray(new float[255]);
        for (int nBounds : new int[] {-1, 256}) {
            assertThrows(
                    IllegalArgumentException.class, () -> k.bucketize(ElfType.F32, src, 64, bounds, nBounds, codes));
        }
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.bucketize(ElfType.F32, src, 64, bounds.asSlice(0, 4 * 14), 15, codes));
        assertThrows(IndexOutOfBoundsException.class, () -> k.bucketize(ElfType.F64, src, 64, bounds, 15, codes));
        assertThrows(
                IllegalArgumentException.class,
                () -> k.bucketize(ElfType.F32, src, 64, bounds, 15, codes.asReadOnly()));
        assertThrows(
                IndexOutOfBoundsException.class, () -> k.lookup(ElfType.F32, codes, 64, bounds.asSlice(0, 60), 4, src));
        assertThrows(IndexOutOfBoundsException.class, () -> k.lookup(ElfType.F64, codes, 64, bounds, 4, src));
        assertThrows(
                IndexOutOfBoundsException.class, () -> k.lookup(ElfType.F32, codes.asSlice(1), 64, bounds, 4, src));
        assertEquals(-1, nativeCodes.mismatch(Arena.ofAuto().allocate(64)), "the calls that threw wrote nothing");

        // no values: empty segments will do, NULL too
        k.quantize(
                ElfType.F32,
                MemorySegment.NULL,
                0,
                1,
                0,
                MemorySegment.NULL,
                MemorySegment.NULL,
                1,
                MemorySegment.NULL);
        k.dequantize(
                ElfType.F16,
                MemorySegment.NULL,
                0,
                5,
                4,
                MemorySegment.NULL,
                MemorySegment.NULL,
                8,
                MemorySegment.NULL);
        k.bucketize(ElfType.F32, src, 0, MemorySegment.NULL, 0, MemorySegment.NULL);
        k.lookup(ElfType.BF16, MemorySegment.NULL, 0, bounds, 2, MemorySegment.NULL);
    }

    // ---- Byte planes: the bytes of an oracle written here (rotation by Integer/Long.rotateLeft), every width.

    /** The value {@code i} of {@code width} bytes, little-endian, rotated left by one bit within its width if asked. */
    private static long planeValue(MemorySegment src, long i, int width, boolean rotate) {
        long v = 0;
        for (int b = 0; b < width; b++) {
            v |= (src.get(ValueLayout.JAVA_BYTE, i * width + b) & 0xffL) << (8 * b);
        }
        if (!rotate) {
            return v;
        }
        return switch (width) {
            case 2 -> ((v << 1) | (v >>> 15)) & 0xffff;
            case 4 -> Integer.toUnsignedLong(Integer.rotateLeft((int) v, 1));
            default -> Long.rotateLeft(v, 1);
        };
    }

    /** Splits with the kernel, checks every plane byte against the oracle, joins back and checks the values. */
    private static byte[] planesRoundTrip(
            Kernel k, MemorySegment src, long n, int width, boolean rotate, boolean heap, Arena arena) {
        MemorySegment planes = segment(n * width, heap, arena);
        k.planesSplit(src, n, width, rotate, planes);
        for (long i = 0; i < n; i++) {
            long v = planeValue(src, i, width, rotate);
            for (int b = 0; b < width; b++) {
                if (planes.get(ValueLayout.JAVA_BYTE, b * n + i) != (byte) (v >>> (8 * b))) {
                    fail("width " + width + (rotate ? " rotated" : "") + ", n=" + n + ": plane " + b + " byte " + i
                            + " is " + planes.get(ValueLayout.JAVA_BYTE, b * n + i) + ", want "
                            + (byte) (v >>> (8 * b)));
                }
            }
        }
        MemorySegment back = segment(n * width, !heap, arena);
        k.planesJoin(planes, n, width, rotate, back);
        assertSameBytes(
                src.asSlice(0, n * width), back, "width " + width + (rotate ? " rotated" : "") + " join, n=" + n);
        return planes.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void planesEveryWidthAndLengthOnHeapAndNativeSegments() {
        Kernel k = kernel();
        SplittableRandom r = new SplittableRandom(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int width : new int[] {2, 4, 8}) {
                for (boolean rotate : new boolean[] {false, true}) {
                    for (long n : LongStream.concat(LongStream.rangeClosed(0, 100), LongStream.of(1000, 4099, 100_003))
                            .toArray()) {
                        MemorySegment src = arena.allocate(n * width + 8).asSlice(n % 7, n * width);
                        for (long i = 0; i < n * width; i++) {
                            int pick = r.nextInt(8); // runs of 0x00 and 0xff: signs and exponents at their ends
                            src.set(ValueLayout.JAVA_BYTE, i, (byte) (pick == 0 ? 0 : pick == 1 ? -1 : r.nextInt()));
                        }
                        byte[] offHeap = planesRoundTrip(k, src, n, width, rotate, false, arena);
                        MemorySegment heapSrc = MemorySegment.ofArray(src.toArray(ValueLayout.JAVA_BYTE));
                        assertArrayEquals(
                                offHeap,
                                planesRoundTrip(k, heapSrc, n, width, rotate, true, arena),
                                "heap and native segments give the same planes");
                    }
                }
            }
        }
    }

    /** Golden bytes: rotation moves the sign to bit 0 and the exponent to the top plane. */
    @Test
    void planesKnownBytes() {
        assertEquals(
                "0001" + "0000" + "0000" + "7f80",
                planesHex(4, true, MemorySegment.ofArray(new float[] {1.0f, -2.0f})));
        assertEquals(
                "0000" + "0000" + "8000" + "3fc0",
                planesHex(4, false, MemorySegment.ofArray(new float[] {1.0f, -2.0f})));
        // f16 1.0 (0x3c00) -> 0x7800, -1.0 (0xbc00) -> 0x7801, least subnormal 0x0001 -> 0x0002
        assertEquals("000102" + "787800", planesHex(2, true, MemorySegment.ofArray(new short[] {
            0x3c00, (short) 0xbc00, 1
        })));
        // bf16 -0.0 (0x8000) -> 0x0001 rotated, 0x8000 as it is
        assertEquals("01" + "00", planesHex(2, true, MemorySegment.ofArray(new short[] {(short) 0x8000})));
        assertEquals("00" + "80", planesHex(2, false, MemorySegment.ofArray(new short[] {(short) 0x8000})));
        // f64 1.0 (0x3ff0...) -> 0x7fe0...; -2.0 (0xc000...) -> 0x8000...01
        assertEquals(
                "0001" + "0000".repeat(5) + "e000" + "7f80",
                planesHex(8, true, MemorySegment.ofArray(new double[] {1.0, -2.0})));
    }

    private String planesHex(int width, boolean rotate, MemorySegment src) {
        long n = src.byteSize() / width;
        MemorySegment planes = MemorySegment.ofArray(new byte[(int) src.byteSize()]);
        kernel().planesSplit(src, n, width, rotate, planes);
        MemorySegment back = MemorySegment.ofArray(new byte[(int) src.byteSize()]);
        kernel().planesJoin(planes, n, width, rotate, back);
        assertEquals(-1, src.mismatch(back), "join gives the values back");
        return HexFormat.of().formatHex(planes.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void badPlanesArgumentsThrowBeforeAnyWork() {
        Kernel k = kernel();
        MemorySegment src = MemorySegment.ofArray(new byte[64]);
        MemorySegment planes = Arena.ofAuto().allocate(64);
        for (int width : new int[] {0, 1, 3, 5, 16, -4}) {
            assertThrows(IllegalArgumentException.class, () -> k.planesSplit(src, 8, width, false, planes));
            assertThrows(IllegalArgumentException.class, () -> k.planesJoin(src, 8, width, true, planes));
        }
        assertThrows(IllegalArgumentException.class, () -> k.planesSplit(src, -1, 4, false, planes));
        assertThrows(IndexOutOfBoundsException.class, () -> k.planesSplit(src, 17, 4, false, planes));
        assertThrows(IndexOutOfBoundsException.class, () -> k.planesSplit(src, 16, 4, false, planes.asSlice(1)));
        assertThrows(IndexOutOfBoundsException.class, () -> k.planesJoin(src.asSlice(1), 16, 4, false, planes));
        assertThrows(IndexOutOfBoundsException.class, () -> k.planesJoin(src, 8, 8, false, planes.asSlice(1)));
        assertThrows(IllegalArgumentException.class, () -> k.planesSplit(src, 8, 8, true, planes.asReadOnly()));
        assertThrows(NullPointerException.class, () -> k.planesSplit(null, 8, 8, true, planes));
        assertEquals(-1, planes.mismatch(Arena.ofAuto().allocate(64)), "the calls that threw wrote nothing");
        k.planesSplit(MemorySegment.NULL, 0, 2, true, MemorySegment.NULL);
        k.planesJoin(MemorySegment.NULL, 0, 8, false, MemorySegment.NULL);
    }

    // ---- Grid codes: the bytes of an oracle written here from the rule of Kernel#gridEncode, in double.

    /** The grid code of a value, or -1 when it is an exception. */
    static long gridCode(ElfType type, long bits, double step, double bound) {
        double x = TestData.value(type, bits);
        if (!Double.isFinite(x)) {
            return -1;
        }
        double q = Math.rint(x / step);
        if (q < -2147483647.0 || q > 2147483647.0) {
            return -1;
        }
        double y = type == ElfType.F32 ? (double) (float) (q * step) : q * step;
        if (!(Math.abs(y - x) <= bound)) {
            return -1;
        }
        long k = (long) q;
        return k >= 0 ? 2 * k : -2 * k - 1;
    }

    /** The bits that grid code decodes to. */
    static long gridValueBits(ElfType type, long code, double step) {
        long k = (code & 1) == 0 ? code >>> 1 : -(code >>> 1) - 1;
        return TestData.bitsOf(type, k * step);
    }

    /**
     * Grid-encodes with the kernel, checks codes and exceptions against the oracle, decodes and checks every value:
     * exceptions bit for bit, the others the grid value, within the bound. Returns the codes.
     */
    static byte[] gridRoundTrip(
            Kernel k, ElfType type, MemorySegment src, long n, double step, double bound, boolean heap, Arena arena) {
        int vs = type.valueBytes();
        MemorySegment codes = segment(4 * n, heap, arena);
        MemorySegment pos = segment(8 * n, heap, arena);
        MemorySegment bits = segment(vs * n, heap, arena);
        long base = 777;
        long nExc = k.gridEncode(type, src, n, step, bound, codes, pos, bits, n, base);
        MemorySegment out = segment(vs * n, !heap, arena);
        k.gridDecode(type, codes, n, step, out, pos, bits, nExc, base);
        long seen = 0;
        for (long i = 0; i < n; i++) {
            long in = TestData.bits(type, src, i), want = gridCode(type, in, step, bound), code = 0;
            for (int b = 0; b < 4; b++) {
                code |= (codes.get(ValueLayout.JAVA_BYTE, b * n + i) & 0xffL) << (8 * b);
            }
            long at = i;
            Supplier<String> what = () -> type + " value " + at + " of " + n + " (" + TestData.value(type, in)
                    + "), step " + step + ", bound " + bound;
            if (code != Math.max(want, 0)) {
                fail(what.get() + ": code " + code + ", want " + Math.max(want, 0));
            }
            long got = TestData.bits(type, out, i);
            if (want < 0) {
                if (pos.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, seen) != base + i
                        || TestData.bits(type, bits, seen) != in) {
                    fail(what.get() + ": exception " + seen + " not listed with its position and bits");
                }
                if (got != in) {
                    fail(what.get() + ": an exception must come back bit for bit");
                }
                seen++;
            } else {
                if (got != gridValueBits(type, code, step)) {
                    fail(what.get() + ": decoded as " + TestData.value(type, got) + ", not the grid value");
                }
                double err = Math.abs(TestData.value(type, got) - TestData.value(type, in));
                if (!(err <= bound)) {
                    fail(what.get() + ": decoded as " + TestData.value(type, got) + ", error " + err
                            + " over the bound");
                }
            }
        }
        assertEquals(seen, nExc, "exception count");
        return codes.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Values for a grid: weights, ties between grid points, values at and just past the bound, huge and odd ones. */
    static MemorySegment gridInput(ElfType type, long n, double step, double bound, long seed, Arena arena) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] edges = TestData.edges(type);
        MemorySegment s = arena.allocate(n * type.valueBytes());
        for (long i = 0; i < n; i++) {
            double k = r.nextInt(2001) - 1000;
            double x = switch (r.nextInt(12)) {
                case 0 -> TestData.value(type, edges[r.nextInt(edges.length)]);
                case 1 -> (k + 0.5) * step;
                case 2 -> k * step + (r.nextBoolean() ? bound : -bound);
                case 3 -> Math.nextAfter(k * step + bound, r.nextBoolean() ? Double.POSITIVE_INFINITY : 0);
                case 4 -> Math.nextAfter(k * step - bound, r.nextBoolean() ? Double.NEGATIVE_INFINITY : 0);
                case 5 -> (2147483647.0 + (r.nextInt(5) - 2) * 0.5) * step * (r.nextBoolean() ? 1 : -1);
                case 6 -> TestData.gaussian(r) * 1e30;
                case 7 -> TestData.gaussian(r) * step * 1e-3;
                default -> TestData.gaussian(r) * 0.05;
            };
            long b = r.nextInt(8) == 0 ? edges[r.nextInt(edges.length)] : TestData.bitsOf(type, x);
            TestData.setBits(type, s, i, b);
        }
        return s;
    }

    /** Steps and bounds: powers of two (exact ties and edges), odd ones, a bound of 0, a bound of more than a step. */
    static final double[][] GRIDS = {
        {0x1p-8, 0x1p-9},
        {0.0123, 0.0123 * 0.49},
        {1e-3 / 3, 1e-4},
        {3.0, 0},
        {1e-300, 2e-300},
        {Double.MIN_VALUE, Double.MIN_VALUE},
        {1e300, 5e299}
    };

    @ParameterizedTest
    @EnumSource(
            value = ElfType.class,
            names = {"F32", "F64"})
    void gridEveryLengthAndEdgeValueOnHeapAndNativeSegments(ElfType type) {
        Kernel k = kernel();
        try (Arena arena = Arena.ofConfined()) {
            for (long n : LongStream.concat(LongStream.rangeClosed(0, 100), LongStream.of(1000, 4099, 65_543))
                    .toArray()) {
                double[] grid = GRIDS[(int) (n % GRIDS.length)];
                MemorySegment src = gridInput(type, n, grid[0], grid[1], n, arena);
                byte[] offHeap = gridRoundTrip(k, type, src, n, grid[0], grid[1], false, arena);
                MemorySegment heapSrc = MemorySegment.ofArray(src.toArray(ValueLayout.JAVA_BYTE));
                assertArrayEquals(
                        offHeap,
                        gridRoundTrip(k, type, heapSrc, n, grid[0], grid[1], true, arena),
                        "heap and native segments give the same codes");
            }
        }
    }

    /** Real weights, F32 and (converted) F64, on the grids an error-bound codec uses: step = 2 * bound. */
    @Test
    void gridRealBertWeightsStayWithinTheBound() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment weights = TestData.bert(16L << 20, arena);
            long n = weights.byteSize() / 4;
            for (double bound : new double[] {1e-2, 1e-3, 1e-4, 0x1p-12, 1e-6}) {
                gridRoundTrip(kernel(), ElfType.F32, weights, n, 2 * bound, bound, false, arena);
            }
            long m = 1 << 20;
            MemorySegment f64 = arena.allocate(m * 8);
            for (long i = 0; i < m; i++) {
                f64.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, weights.getAtIndex(TestData.FLOAT, i));
            }
            for (double bound : new double[] {1e-3, 1e-5}) {
                gridRoundTrip(kernel(), ElfType.F64, f64, m, 2 * bound, bound, true, arena);
            }
        }
    }

    /** Codes of named F64 values, steps and bounds that are powers of two: every product and edge is exact. */
    private long[] gridCodes(
            double[] in, double step, double bound, long wantExceptions, long[] pos, long[] bits, double[] out) {
        byte[] codes = new byte[4 * in.length];
        long nExc = kernel().gridEncode(
                        ElfType.F64,
                        MemorySegment.ofArray(in),
                        in.length,
                        step,
                        bound,
                        MemorySegment.ofArray(codes),
                        MemorySegment.ofArray(pos),
                        MemorySegment.ofArray(bits),
                        in.length,
                        0);
        assertEquals(wantExceptions, nExc, "exceptions");
        kernel().gridDecode(
                        ElfType.F64,
                        MemorySegment.ofArray(codes),
                        in.length,
                        step,
                        MemorySegment.ofArray(out),
                        MemorySegment.ofArray(pos),
                        MemorySegment.ofArray(bits),
                        nExc,
                        0);
        long[] c = new long[in.length];
        for (int i = 0; i < in.length; i++) {
            for (int b = 0; b < 4; b++) {
                c[i] |= (codes[b * in.length + i] & 0xffL) << (8 * b);
            }
        }
        return c;
    }

    @Test
    void gridNamedValues() {
        double step = 0x1p-8;
        long[] pos = new long[32];
        long[] bits = new long[32];
        double[] out = new double[32];
        // ties go to the even q; -0.0 and -step/2 are q = -0, code 0, and come back as +0.0 (within the bound)
        double[] ties = {-0.0, 0.0, 0.5 * step, 1.5 * step, 2.5 * step, -0.5 * step, -2.5 * step, 0.7 * step};
        assertArrayEquals(new long[] {0, 0, 0, 4, 4, 0, 3, 2}, gridCodes(ties, step, step / 2, 0, pos, bits, out));
        assertEquals(0, Double.doubleToRawLongBits(out[0]), "-0.0 decodes to +0.0");
        assertEquals(0, Double.doubleToRawLongBits(out[5]), "-step/2 decodes to +0.0");
        assertEquals(-2 * step, out[6]);

        // at the bound: on the grid; one ulp past it: an exception; so are NaN, Inf, |q| >= 2^31 and overflow
        double bound = step / 4;
        double[] in = {
            3 * step + bound,
            Math.nextUp(3 * step + bound),
            -5 * step - bound,
            Math.nextDown(-5 * step - bound),
            Double.NaN,
            Double.longBitsToDouble(0x7ff8deadbeef0001L),
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            2147483647 * step,
            2147483647.5 * step,
            -2147483648.0 * step,
            1e300,
            Double.MIN_VALUE,
            -Double.MIN_VALUE,
            Double.MAX_VALUE,
            -2147483647 * step
        };
        long[] wantExc = {1, 3, 4, 5, 6, 7, 9, 10, 11, 14};
        assertArrayEquals(
                new long[] {6, 0, 9, 0, 0, 0, 0, 0, 4294967294L, 0, 0, 0, 0, 0, 0, 4294967293L},
                gridCodes(in, step, bound, wantExc.length, pos, bits, out));
        assertArrayEquals(wantExc, Arrays.copyOf(pos, wantExc.length));
        for (long p : wantExc) {
            assertEquals(
                    Double.doubleToRawLongBits(in[(int) p]),
                    Double.doubleToRawLongBits(out[(int) p]),
                    "exception " + in[(int) p] + " bit for bit, NaN payload included");
        }
        assertEquals(3 * step, out[0]);
        assertEquals(-5 * step, out[2]);
        assertEquals(2147483647 * step, out[8], "the largest q");
        assertEquals(-2147483647 * step, out[15], "the smallest q");
        assertEquals(0, Double.doubleToRawLongBits(out[13]), "-MIN_VALUE: q = -0, +0.0 back");

        // F32: y is q * step rounded to float32: 0.1f is (float) (1 * 0.1) exactly; -MIN_VALUE is 1.4e-45 off 0
        float[] f = {0.1f, Float.MAX_VALUE, -Float.MIN_VALUE, Float.intBitsToFloat(0x7fc0beef), -0.0f};
        int[] fbits = new int[f.length];
        assertEquals(
                3,
                kernel().gridEncode(
                                ElfType.F32,
                                MemorySegment.ofArray(f),
                                f.length,
                                0.1,
                                0,
                                MemorySegment.ofArray(new byte[4 * f.length]),
                                MemorySegment.ofArray(pos),
                                MemorySegment.ofArray(fbits),
                                f.length,
                                0));
        assertArrayEquals(new long[] {1, 2, 3}, Arrays.copyOf(pos, 3));
        assertEquals(0x7fc0beef, fbits[2]);
    }

    @Test
    void gridExceptionsBeyondCapacityAreCountedNotStored() {
        double[] in = new double[64];
        for (int i = 0; i < 64; i++) {
            in[i] = i % 4 == 0 ? Double.NaN : 0.01 * i;
        }
        long[] pos = new long[6];
        long[] bits = new long[6];
        Arrays.fill(pos, -1);
        Arrays.fill(bits, -1);
        MemorySegment codes = MemorySegment.ofArray(new byte[256]);
        assertEquals(
                16,
                kernel().gridEncode(
                                ElfType.F64,
                                MemorySegment.ofArray(in),
                                64,
                                0.01,
                                0.005,
                                codes,
                                MemorySegment.ofArray(pos).asSlice(0, 40),
                                MemorySegment.ofArray(bits).asSlice(0, 40),
                                5,
                                0));
        assertArrayEquals(new long[] {0, 4, 8, 12, 16, -1}, pos, "the first 5 stored, nothing past them");
        assertEquals(-1, bits[5]);
        assertEquals(
                16,
                kernel().gridEncode(
                                ElfType.F64,
                                MemorySegment.ofArray(in),
                                64,
                                0.01,
                                0.005,
                                codes,
                                MemorySegment.NULL,
                                MemorySegment.NULL,
                                0,
                                0),
                "count only");
    }

    @Test
    void badGridArgumentsThrowBeforeAnyWork() {
        Kernel k = kernel();
        MemorySegment src = MemorySegment.ofArray(new double[64]);
        MemorySegment codes = Arena.ofAuto().allocate(256);
        MemorySegment pos = MemorySegment.ofArray(new long[64]);
        MemorySegment bits = MemorySegment.ofArray(new long[64]);
        MemorySegment out = Arena.ofAuto().allocate(512);
        for (ElfType type : new ElfType[] {ElfType.F16, ElfType.BF16}) {
            assertThrows(
                    IllegalArgumentException.class, () -> k.gridEncode(type, src, 8, 1, 0, codes, pos, bits, 8, 0));
            assertThrows(IllegalArgumentException.class, () -> k.gridDecode(type, codes, 8, 1, out, pos, bits, 0, 0));
        }
        for (double step : new double[] {0, -0.0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> k.gridEncode(ElfType.F64, src, 8, step, 0, codes, pos, bits, 8, 0));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> k.gridDecode(ElfType.F64, codes, 8, step, out, pos, bits, 0, 0));
        }
        for (double bound : new double[] {-1, -Double.MIN_VALUE, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> k.gridEncode(ElfType.F64, src, 8, 1, bound, codes, pos, bits, 8, 0));
        }
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.gridEncode(ElfType.F64, src, 65, 1, 0, codes, pos, bits, 8, 0));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.gridEncode(ElfType.F64, src, 64, 1, 0, codes.asSlice(1), pos, bits, 8, 0));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.gridEncode(ElfType.F64, src, 64, 1, 0, codes, pos.asSlice(8), bits, 64, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> k.gridEncode(ElfType.F64, src, 64, 1, 0, codes, pos, bits, -1, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> k.gridEncode(ElfType.F64, src, 64, 1, 0, codes, pos, bits, 8, Long.MAX_VALUE - 10));
        assertThrows(
                IllegalArgumentException.class,
                () -> k.gridEncode(ElfType.F64, src, 64, 1, 0, codes.asReadOnly(), pos, bits, 8, 0));
        assertThrows(
                IndexOutOfBoundsException.class, () -> k.gridDecode(ElfType.F64, codes, 65, 1, out, pos, bits, 0, 0));
        assertThrows(
                IndexOutOfBoundsException.class,
                () -> k.gridDecode(ElfType.F64, codes, 64, 1, out.asSlice(1), pos, bits, 0, 0));
        assertEquals(-1, codes.mismatch(Arena.ofAuto().allocate(256)), "the calls that threw wrote nothing");
        assertEquals(-1, out.mismatch(Arena.ofAuto().allocate(512)), "the calls that threw wrote nothing");

        // corrupt exception lists: out of range, before posBase, out of order, repeated, more than values
        long[][] corrupt = {{64}, {-1}, {5, 5}, {9, 3}, {2}};
        long[] bases = {0, 0, 0, 0, 3};
        for (int c = 0; c < corrupt.length; c++) {
            long[] p = corrupt[c];
            long base = bases[c];
            assertThrows(
                    CorruptDataException.class,
                    () -> k.gridDecode(ElfType.F64, codes, 64, 1, out, MemorySegment.ofArray(p), bits, p.length, base),
                    () -> Arrays.toString(p));
        }
        assertThrows(CorruptDataException.class, () -> k.gridDecode(ElfType.F64, codes, 64, 1, out, pos, bits, 65, 0));
        assertEquals(-1, out.mismatch(Arena.ofAuto().allocate(512)), "a corrupt list is refused before any write");
        k.gridEncode(
                ElfType.F32,
                MemorySegment.NULL,
                0,
                1,
                0,
                MemorySegment.NULL,
                MemorySegment.NULL,
                MemorySegment.NULL,
                0,
                0);
        k.gridDecode(
                ElfType.F64,
                MemorySegment.NULL,
                0,
                1,
                MemorySegment.NULL,
                MemorySegment.NULL,
                MemorySegment.NULL,
                0,
                0);
    }

    // ---- Entropy planes: the bytes of the reference (EntropyPlane), read back by an independent reader.

    /**
     * Reads a plane bit by bit as FORMAT.md, "Entropy planes", describes it, without
     * tables: the n bytes, or null when it is not a valid plane of n bytes.
     */
    static byte[] readPlane(byte[] p, int n) {
        if (p.length == 0 || p[0] > 2 || p[0] < 0) {
            return null;
        }
        if (p[0] == 0) {
            return p.length == n + 1 ? Arrays.copyOfRange(p, 1, n + 1) : null;
        }
        if (p[0] == 1) {
            byte[] out = new byte[n];
            Arrays.fill(out, p.length == 2 ? p[1] : 0);
            return p.length == 2 && n > 0 ? out : null;
        }
        if (p.length < 2) {
            return null;
        }
        int last = p[1] & 0xff, header = 2 + (last + 2) / 2 + 12;
        if (p.length < header) {
            return null;
        }
        int[] len = new int[last + 1];
        int used = 0, kraft = 0;
        for (int s = 0; s <= last; s++) {
            len[s] = (p[2 + s / 2] >> (s % 2 == 1 ? 4 : 0)) & 15;
            if (len[s] > 11) {
                return null;
            }
            used += len[s] > 0 ? 1 : 0;
            kraft += len[s] > 0 ? 1 << (11 - len[s]) : 0;
        }
        if (last % 2 == 0 && (p[2 + last / 2] & 0xf0) != 0 || len[last] == 0 || used < 2 || kraft != 2048) {
            return null;
        }
        // canonical decoding as puff.c does it: symbols by (length, symbol), counted per length
        int[] sorted = new int[used], perLength = new int[12];
        int k = 0;
        for (int l = 1; l <= 11; l++) {
            for (int s = 0; s <= last; s++) {
                if (len[s] == l) {
                    sorted[k++] = s;
                    perLength[l]++;
                }
            }
        }
        long[] size = new long[4];
        long rest = p.length - header;
        for (int i = 0; i < 3; i++) {
            size[i] = ByteBuffer.wrap(p, header - 12 + 4 * i, 4)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .getInt()
                    & 0xffffffffL;
            if (size[i] > rest) {
                return null;
            }
            rest -= size[i];
        }
        size[3] = rest;
        byte[] out = new byte[n];
        int q = (n + 3) / 4;
        long at = header;
        for (int i = 0; i < 4; i++) {
            long bit = 0;
            for (int j = Math.min(i * q, n); j < Math.min((i + 1) * q, n); j++) {
                int code = 0, first = 0, index = 0, symbol = -1;
                for (int l = 1; symbol < 0; l++) {
                    if (l > 11 || bit >= size[i] * 8) {
                        return null;
                    }
                    code |= (p[(int) (at + bit / 8)] >> (bit % 8)) & 1; // a code's first bit is its top bit
                    bit++;
                    if (code - first < perLength[l]) {
                        symbol = sorted[index + code - first];
                    }
                    index += perLength[l];
                    first = (first + perLength[l]) << 1;
                    code <<= 1;
                }
                out[j] = (byte) symbol;
            }
            if ((bit + 7) / 8 != size[i]) {
                return null;
            }
            for (; bit < size[i] * 8; bit++) {
                if (((p[(int) (at + bit / 8)] >> (bit % 8)) & 1) != 0) {
                    return null;
                }
            }
            at += size[i];
        }
        return out;
    }

    /**
     * Encodes a plane with the kernel (heap or native segments, at odd offsets, canaries after the bound), checks
     * it is the reference's bytes and the rules' mode, reads it back with {@link #readPlane} and decodes it with
     * the kernel; returns the plane.
     */
    static byte[] entropyRoundTrip(Kernel k, byte[] plane, boolean heap, Arena arena) {
        int n = plane.length;
        MemorySegment src = segment(n, heap, arena);
        MemorySegment.copy(MemorySegment.ofArray(plane), 0, src, 0, n);
        MemorySegment dst = segment(n + 1 + 16, heap, arena).fill((byte) 0xa5);
        long size = k.entropyEncode(src, n, dst);
        String what = k.name() + " entropy plane of " + n + " bytes";
        assertTrue(size >= 1 && size <= Kernel.entropyBound(n), what + ": " + size + " bytes");
        for (long i = size; i < dst.byteSize(); i++) {
            assertEquals((byte) 0xa5, dst.get(ValueLayout.JAVA_BYTE, i), what + ": wrote past its " + size + " bytes");
        }
        byte[] stored = dst.asSlice(0, size).toArray(ValueLayout.JAVA_BYTE);
        byte[] want = new byte[n + 1];
        long wantSize = EntropyPlane.encode(MemorySegment.ofArray(plane), n, MemorySegment.ofArray(want));
        assertArrayEquals(Arrays.copyOf(want, (int) wantSize), stored, what + ": not the reference's bytes");

        long distinct = IntStream.range(0, n).map(i -> plane[i]).distinct().count();
        int mode = stored[0];
        assertEquals(n == 0 ? 0 : distinct == 1 ? 1 : mode, mode, what + ": mode");
        assertTrue(mode != 2 || size < n - n / 64, what + ": a Huffman plane that saves too little");
        assertArrayEquals(plane, readPlane(stored, n), what + ": the format's reader reads something else");

        MemorySegment out = segment(n + 8, heap, arena).fill((byte) 0x5a);
        MemorySegment storedSegment = segment(stored.length, heap, arena);
        MemorySegment.copy(MemorySegment.ofArray(stored), 0, storedSegment, 0, stored.length);
        k.entropyDecode(storedSegment, n, out);
        assertArrayEquals(plane, out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), what + ": decoded");
        assertEquals(
                -1,
                out.asSlice(n).mismatch(MemorySegment.ofArray(new byte[8]).fill((byte) 0x5a)),
                what + ": decode wrote past n");
        return stored;
    }

    @Test
    void entropyPlanesOfEveryLengthUpTo300() {
        Kernel k = kernel();
        try (Arena arena = Arena.ofConfined()) {
            for (int n = 0; n <= 300; n++) {
                for (TestData.PlaneKind kind : TestData.PlaneKind.values()) {
                    byte[] plane = TestData.plane(kind, n, n * 31L + kind.ordinal());
                    byte[] stored = entropyRoundTrip(k, plane, (n + kind.ordinal()) % 2 == 0, arena);
                    if (kind == TestData.PlaneKind.ZEROS && n > 0) {
                        assertArrayEquals(new byte[] {1, 0}, stored, "a plane of zeros is constant");
                    }
                    if (kind == TestData.PlaneKind.RANDOM && n > 8) {
                        assertEquals(0, stored[0], "random bytes are stored raw, n=" + n);
                    }
                }
            }
        }
    }

    /** Golden bytes, worked out by hand from the format (native/test/elfz_test.c has the same two). */
    @Test
    void knownEntropyPlanes() {
        byte[] plane = new byte[64];
        for (int i = 0; i < 64; i++) {
            plane[i] = (byte) (i % 4 == 3 ? 1 : 0);
        }
        try (Arena arena = Arena.ofConfined()) {
            // two symbols of 1 bit: 0 -> 0, 1 -> 1; each stream 0001 0001 ... LSB-first = 0x88 0x88
            assertEquals(
                    "0201" + "11" + "02000000" + "02000000" + "02000000" + "8888".repeat(4),
                    HexFormat.of().formatHex(entropyRoundTrip(kernel(), plane, true, arena)));
            // 5 (32 times), 7 and 9 (16 times each): lengths 1, 2, 2; codes 0, 10, 11, written from their top bit
            for (int i = 0; i < 64; i++) {
                plane[i] = (byte) (i % 4 == 1 ? 7 : i % 4 == 3 ? 9 : 5);
            }
            assertEquals(
                    "0209" + "0000102020" + "03000000".repeat(3) + "b22ccb".repeat(4),
                    HexFormat.of().formatHex(entropyRoundTrip(kernel(), plane, false, arena)));
        }
    }

    @Test
    void largeAndSkewedEntropyPlanes() {
        Kernel k = kernel();
        SplittableRandom r = new SplittableRandom(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {4096, 65520, 65521, 100_003, 1 << 20}) {
                byte[] p = new byte[n];
                for (int i = 0; i < n; i++) {
                    p[i] = (byte) TestData.geometric(r, 0.6, 256);
                }
                assertEquals(2, entropyRoundTrip(k, p, n % 2 == 0, arena)[0], "geometric 0.6, n=" + n);
                for (int i = 0; i < n; i++) {
                    p[i] = (byte) (110 + TestData.geometric(r, 0.15, 30));
                }
                assertEquals(2, entropyRoundTrip(k, p, n % 2 == 1, arena)[0], "geometric 0.15, n=" + n);
                for (int i = 0; i < n; i++) {
                    p[i] = (byte) r.nextInt();
                }
                assertEquals(0, entropyRoundTrip(k, p, true, arena)[0], "random bytes are raw, n=" + n);
                for (int i = 0; i < n; i++) { // noise on every 16th byte: the pre-check says raw
                    p[i] = (byte) (i % 16 == 0 ? r.nextInt() : 5);
                }
                assertEquals(n >= 65521 ? 0 : 2, entropyRoundTrip(k, p, false, arena)[0], "noisy sample, n=" + n);
                for (int i = 0; i < n; i++) { // the pre-check passes, the whole plane does not
                    p[i] = (byte) (i % 64 == 0 ? 5 : r.nextInt());
                }
                assertEquals(0, entropyRoundTrip(k, p, true, arena)[0], "noise, n=" + n);
            }
            // counts 2^18, 2^17, ... over 22 symbols and more: optimal codes of up to 21 bits, limited to 11
            for (int symbols : new int[] {12, 22, 100, 256}) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                for (int s = 0; s < symbols; s++) {
                    for (int c = 0; c < 1 << Math.max(0, 18 - s); c++) {
                        b.write(s);
                    }
                }
                byte[] stored = entropyRoundTrip(k, b.toByteArray(), symbols % 2 == 0, arena);
                assertEquals(2, stored[0]);
                int longest = 0;
                for (int s = 0; s <= (stored[1] & 0xff); s++) {
                    longest = Math.max(longest, (stored[2 + s / 2] >> (4 * (s % 2))) & 15);
                }
                assertEquals(11, longest, symbols + " symbols: the longest code");
            }
        }
    }

    /** The exponent plane of real BERT weights: Huffman, under 0.36 of its size; every plane round trips. */
    @Test
    void realBertPlanes() throws IOException {
        Kernel k = kernel();
        int n = 1 << 20;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment planes = TestData.bertPlanes(n, arena);
            for (int b = 0; b < 4; b++) {
                byte[] plane = planes.asSlice((long) b * n, n).toArray(ValueLayout.JAVA_BYTE);
                byte[] stored = entropyRoundTrip(k, plane, b % 2 == 0, arena);
                if (b == 3) {
                    assertEquals(2, stored[0], "the exponent plane is Huffman-coded");
                    assertTrue(stored.length < 0.36 * n, "exponent plane: " + stored.length + " bytes of " + n);
                }
            }
        }
    }

    /** Spoiled Huffman planes throw CorruptDataException, nothing else; changes to its header are always caught. */
    @Test
    void corruptEntropyPlanesThrowCorruptDataException() {
        Kernel k = kernel();
        SplittableRandom r = new SplittableRandom(13);
        int n = 3000;
        byte[] plane = new byte[n];
        for (int i = 0; i < n; i++) {
            plane[i] = (byte) (60 + TestData.geometric(r, 0.5, 20));
        }
        byte[] good = new byte[n + 1];
        int size = (int) k.entropyEncode(MemorySegment.ofArray(plane), n, MemorySegment.ofArray(good));
        good = Arrays.copyOf(good, size);
        assertEquals(2, good[0]);
        int header = 2 + ((good[1] & 0xff) + 2) / 2 + 12;
        MemorySegment out = MemorySegment.ofArray(new byte[n]);
        try (Arena arena = Arena.ofConfined()) {
            for (int cut = 0; cut < size; cut++) { // every truncation, on the heap and off it
                MemorySegment stored = segment(cut, cut % 2 == 0, arena);
                MemorySegment.copy(MemorySegment.ofArray(good), 0, stored, 0, cut);
                assertThrows(CorruptDataException.class, () -> k.entropyDecode(stored, n, out), "cut to " + cut);
            }
        }
        byte[] longer = Arrays.copyOf(good, size + 1);
        assertThrows(CorruptDataException.class, () -> k.entropyDecode(MemorySegment.ofArray(longer), n, out));
        for (int mode = 3; mode < 256; mode++) {
            byte[] bad = good.clone();
            bad[0] = (byte) mode;
            assertThrows(CorruptDataException.class, () -> k.entropyDecode(MemorySegment.ofArray(bad), n, out));
        }
        int caught = 0;
        for (int at = 1; at < size; at++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[at] ^= (byte) (1 << bit);
                byte[] read = readPlane(bad, n);
                String what = "bit " + bit + " of byte " + at + " flipped";
                if (at >= 2 && at < header || read == null) { // a length, the unused nibble, a size: never valid
                    assertThrows(
                            CorruptDataException.class,
                            () -> k.entropyDecode(MemorySegment.ofArray(bad), n, out),
                            what);
                    caught++;
                } else {
                    k.entropyDecode(MemorySegment.ofArray(bad), n, out);
                    assertArrayEquals(
                            read, out.toArray(ValueLayout.JAVA_BYTE), what + ": decoded as the reader reads it");
                }
            }
        }
        assertTrue(caught > (header - 2) * 8, caught + " flips caught");
        for (int t = 0; t < 3000; t++) { // garbage behind a Huffman mode byte
            byte[] bad = new byte[2 + r.nextInt(120)];
            r.nextBytes(bad);
            bad[0] = 2;
            if (t % 2 == 1) {
                bad[1] = (byte) r.nextInt(8);
            }
            int m = r.nextInt(300);
            byte[] read = readPlane(bad, m);
            MemorySegment o = MemorySegment.ofArray(new byte[m]);
            if (read == null) {
                assertThrows(CorruptDataException.class, () -> k.entropyDecode(MemorySegment.ofArray(bad), m, o));
            } else {
                k.entropyDecode(MemorySegment.ofArray(bad), m, o);
                assertArrayEquals(read, o.toArray(ValueLayout.JAVA_BYTE));
            }
        }
        assertThrows(CorruptDataException.class, () -> k.entropyDecode(MemorySegment.NULL, 0, out), "no mode");
        assertThrows(
                CorruptDataException.class,
                () -> k.entropyDecode(MemorySegment.ofArray(new byte[] {1, 7}), 0, out),
                "constant plane of nothing");
        assertThrows(
                CorruptDataException.class,
                () -> k.entropyDecode(MemorySegment.ofArray(new byte[] {0, 7}), 2, out),
                "raw plane too short");
    }

    /**
     * Large planes go through the decoders' multi-symbol loops (16 KiB and up): planes around that size, streams of
     * very different lengths, and a spoiled 40 KB plane (cuts near its end, flips near its ends and every 97th byte
     * between) decode exactly as the reader reads them, or throw CorruptDataException.
     */
    @Test
    void largeEntropyPlanesDecodeAsTheReaderReadsThem() {
        Kernel k = kernel();
        SplittableRandom r = new SplittableRandom(17);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {16383, 16384, 16385, 16387, 16464, 16465, 16543}) {
                byte[] p = new byte[n];
                for (int i = 0; i < n; i++) {
                    p[i] = (byte) (40 + TestData.geometric(r, 0.5, 20));
                }
                assertEquals(2, entropyRoundTrip(k, p, n % 2 == 0, arena)[0], "geometric 0.5, n=" + n);
                for (int i = 0; i < n; i++) { // a one-bit code over most of the plane, long codes at its end
                    p[i] = (byte) (i < n - n / 5 ? 9 : 10 + r.nextInt(100));
                }
                assertEquals(2, entropyRoundTrip(k, p, n % 2 == 1, arena)[0], "lopsided, n=" + n);
            }
        }
        int n = 40_000;
        byte[] plane = new byte[n];
        for (int i = 0; i < n; i++) {
            plane[i] = (byte) (60 + TestData.geometric(r, 0.5, 20));
        }
        byte[] good = new byte[n + 1];
        int size = (int) k.entropyEncode(MemorySegment.ofArray(plane), n, MemorySegment.ofArray(good));
        good = Arrays.copyOf(good, size);
        assertEquals(2, good[0]);
        MemorySegment out = MemorySegment.ofArray(new byte[n]);
        for (int cut = size - 64; cut < size; cut++) {
            byte[] bad = Arrays.copyOf(good, cut);
            assertThrows(
                    CorruptDataException.class,
                    () -> k.entropyDecode(MemorySegment.ofArray(bad), n, out),
                    "cut to " + cut);
        }
        int caught = 0, tried = 0;
        for (int at = 1; at < size; at += at < 64 || at > size - 64 ? 1 : 97) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[at] ^= (byte) (1 << bit);
                byte[] read = readPlane(bad, n);
                String what = "bit " + bit + " of byte " + at + " flipped";
                tried++;
                if (read == null) {
                    assertThrows(
                            CorruptDataException.class,
                            () -> k.entropyDecode(MemorySegment.ofArray(bad), n, out),
                            what);
                    caught++;
                } else {
                    k.entropyDecode(MemorySegment.ofArray(bad), n, out);
                    assertArrayEquals(
                            read, out.toArray(ValueLayout.JAVA_BYTE), what + ": decoded as the reader reads it");
                }
            }
        }
        assertTrue(caught > 0 && caught < tried, caught + " of " + tried + " flips caught");
    }

    /**
     * Streams padded past their symbols: corrupt (bytes left over), and the decoders' rounds are then bounded by the
     * segments, not the streams. Two one-bit codes give 7 symbols per lookup, segments of 35 r bytes end exactly on
     * a round: the plane is refused with CorruptDataException, no store reaching past a segment or the output.
     */
    @Test
    void paddedStreamsAreRefusedWithinTheOutput() {
        Kernel k = kernel();
        SplittableRandom r = new SplittableRandom(19);
        int n = 4 * 35 * 600, header = 14 + (41 + 2) / 2, pad = 64;
        byte[] plane = new byte[n];
        for (int i = 0; i < n; i++) {
            plane[i] = (byte) (r.nextInt(3) == 0 ? 41 : 40);
        }
        byte[] good = new byte[n + 1];
        int size = (int) k.entropyEncode(MemorySegment.ofArray(plane), n, MemorySegment.ofArray(good));
        assertEquals(2, good[0]);
        assertEquals(0x11, good[2 + 20], "two one-bit codes");
        ByteBuffer in = ByteBuffer.wrap(good, 0, size).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bad = ByteBuffer.allocate(size + 4 * pad).order(ByteOrder.LITTLE_ENDIAN);
        bad.put(good, 0, header);
        int at = header, rest = size - header;
        for (int i = 0; i < 4; i++) {
            int stream = i < 3 ? in.getInt(header - 12 + 4 * i) : rest;
            rest -= stream;
            if (i < 3) {
                bad.putInt(header - 12 + 4 * i, stream + pad);
            }
            bad.put(good, at, stream).put(new byte[pad]);
            at += stream;
        }
        MemorySegment out = Arena.ofAuto().allocate(n);
        assertThrows(CorruptDataException.class, () -> k.entropyDecode(MemorySegment.ofArray(bad.array()), n, out));
    }

    @Test
    void badEntropyArgumentsThrowBeforeAnyWork() {
        Kernel k = kernel();
        MemorySegment src = MemorySegment.ofArray(new byte[64]);
        MemorySegment dst = Arena.ofAuto().allocate(65);
        assertThrows(IndexOutOfBoundsException.class, () -> k.entropyEncode(src, 64, dst.asSlice(1)));
        assertThrows(IndexOutOfBoundsException.class, () -> k.entropyEncode(src, 65, dst));
        assertThrows(IllegalArgumentException.class, () -> k.entropyEncode(src, -1, dst));
        assertThrows(IllegalArgumentException.class, () -> k.entropyEncode(src, 64, dst.asReadOnly()));
        assertThrows(NullPointerException.class, () -> k.entropyEncode(null, 64, dst));
        assertEquals(-1, dst.mismatch(Arena.ofAuto().allocate(65)), "the calls that threw wrote nothing");
        assertEquals(1, k.entropyEncode(MemorySegment.NULL, 0, dst));
        k.entropyDecode(dst.asSlice(0, 1), 0, MemorySegment.NULL);
        assertThrows(IndexOutOfBoundsException.class, () -> k.entropyDecode(dst, 65, src));
        assertThrows(IllegalArgumentException.class, () -> k.entropyDecode(dst, 64, src.asReadOnly()));
        assertThrows(IllegalArgumentException.class, () -> k.entropyDecode(dst, -1, src));
        assertThrows(NullPointerException.class, () -> k.entropyDecode(null, 64, src));
    }

    @Test
    void nameSaysWhichImplementation() {
        assertTrue(kernel().name().matches("native-(scalar|avx2|avx512)|java-(vector|scalar)"), kernel().name());
    }
}
