package dev.elfz.kernel;

import static dev.elfz.kernel.TestData.bits;
import static dev.elfz.kernel.TestData.bitsOf;
import static dev.elfz.kernel.TestData.edges;
import static dev.elfz.kernel.TestData.gaussian;
import static dev.elfz.kernel.TestData.setBits;
import static dev.elfz.kernel.TestData.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.elfz.PromiseOracle;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The two pure-Java kernels are twins: java-vector gives the same bytes as java-scalar for every input
 * (codes, exception positions and bits, decoded values), and both give the bytes of an oracle written
 * from first principles here: q = rint(|x| * 2^m) in double arithmetic (exact for all four types),
 * exception when that is not below 2^m (or x is NaN), and the planar layout written bit by bit.
 *
 * <p>The vector kernel is constructed directly, so its vector loops run wherever the Vector API is
 * resolved (the build passes --add-modules jdk.incubator.vector); on a machine with vectors narrower than
 * 256 bits it runs the scalar code and the comparison is trivially true.
 */
class JavaKernelTwinTest {

    private static final ValueLayout.OfLong POS = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final byte SENTINEL = (byte) 0xA5;

    private final Kernel scalar = new JavaScalarKernel();
    private final Kernel vector = new JavaVectorKernel();

    // ---------------------------------------------------------------------------------------------
    // The oracle.

    private static long signOf(ElfType type, long bits) {
        return bits >>> (8 * type.valueBytes() - 1) & 1;
    }

    /** sign << m | round_half_even(|x| * 2^m), or -1 for an exception. */
    static long oracleCode(ElfType type, long bits) {
        int m = type.mantissaBits();
        double a = Math.abs(value(type, bits));
        if (!(a < 1)) { // NaN, Inf, |x| >= 1
            return -1;
        }
        double q = Math.rint(Math.scalb(a, m)); // exact: a power-of-two scaling, then rint (ties to even)
        if (q >= Math.scalb(1.0, m)) {
            return -1;
        }
        return signOf(type, bits) << m | (long) q;
    }

    /** The bits of sign * q * 2^-m, exact in every type; q = 0 keeps its sign. */
    static long oracleValue(ElfType type, long code) {
        int m = type.mantissaBits();
        double v = Math.scalb((double) (code & ((1L << m) - 1)), -m);
        return bitsOf(type, (code >>> m & 1) != 0 ? -v : v);
    }

    /** The planar layout of FORMAT.md, bit by bit: byte planes MSB first, then the low r bits LSB-first. */
    static byte[] layout(ElfType type, long[] codes) {
        int n = codes.length;
        int w = type.codeBits();
        int planes = w / 8;
        int r = w % 8;
        byte[] out = new byte[(int) type.codeBytes(n)];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < planes; p++) {
                out[p * n + i] = (byte) (codes[i] >>> (w - 8 * (p + 1)));
            }
            for (int b = 0; b < r; b++) {
                if ((codes[i] >>> b & 1) != 0) {
                    int bit = i * r + b;
                    out[planes * n + bit / 8] |= (byte) (1 << (bit % 8));
                }
            }
        }
        return out;
    }

    /** What encode must produce for a block. */
    record Expected(byte[] codes, long[] excIndex, long[] excBits, long[] decoded) {
        static Expected of(ElfType type, long[] bits) {
            long[] codes = new long[bits.length];
            long[] decoded = new long[bits.length];
            long[] excIndex = new long[bits.length];
            long[] excBits = new long[bits.length];
            int e = 0;
            for (int i = 0; i < bits.length; i++) {
                long c = oracleCode(type, bits[i]);
                if (c < 0) {
                    excIndex[e] = i;
                    excBits[e++] = bits[i];
                    codes[i] = 0;
                    decoded[i] = bits[i];
                } else {
                    codes[i] = c;
                    decoded[i] = oracleValue(type, c);
                }
            }
            return new Expected(layout(type, codes), Arrays.copyOf(excIndex, e), Arrays.copyOf(excBits, e), decoded);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Inputs.

    /**
     * A mix: weight-like values, tiny ones, values near 1 on both sides of the threshold, exact ties of the
     * rounding, outliers, random bit patterns (NaNs, Infs, subnormals) and the edges, in runs and alone.
     */
    static long[] mixed(ElfType type, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] edges = edges(type);
        int m = type.mantissaBits();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            int pick = r.nextInt(100);
            double sign = r.nextBoolean() ? 1 : -1;
            long b;
            if (pick < 40) {
                b = bitsOf(type, gaussian(r) * 0.05);
            } else if (pick < 48) {
                b = bitsOf(type, gaussian(r) * 1e-6);
            } else if (pick < 56) {
                b = bitsOf(type, sign * (1 - Math.scalb(r.nextDouble(), -m + r.nextInt(4))));
            } else if (pick < 66) { // (2k + 1) / 2^(m+1): exactly half a unit, ties to even
                long k = r.nextLong(1L << m);
                b = bitsOf(type, sign * Math.scalb((double) (2 * k + 1), -(m + 1)));
            } else if (pick < 74) {
                b = bitsOf(type, gaussian(r) * 2);
            } else if (pick < 84) {
                b = r.nextLong() & (type == ElfType.F64 ? -1L : (1L << (8 * type.valueBytes())) - 1);
            } else {
                b = edges[r.nextInt(edges.length)];
            }
            out[i] = b;
        }
        return out;
    }

    static MemorySegment heapValues(ElfType type, long[] bits, int offset) {
        MemorySegment s = MemorySegment.ofArray(new byte[offset + bits.length * type.valueBytes()])
                .asSlice(offset);
        for (int i = 0; i < bits.length; i++) {
            setBits(type, s, i, bits[i]);
        }
        return s;
    }

    static MemorySegment filled(long bytes) {
        MemorySegment s = MemorySegment.ofArray(new byte[(int) bytes]);
        s.fill(SENTINEL);
        return s;
    }

    // ---------------------------------------------------------------------------------------------
    // Running one kernel.

    /** Everything encode wrote: the count, the code stream, the whole position and bits buffers. */
    record Encoded(long count, byte[] codes, byte[] pos, byte[] bits) {}

    static Encoded encode(Kernel k, ElfType type, MemorySegment src, int n, long excCap, long posBase) {
        MemorySegment codes = filled(type.codeBytes(n) + 2).asSlice(1, type.codeBytes(n)); // odd address
        MemorySegment pos = filled(n * 8L + 16);
        MemorySegment bits = filled((long) n * type.valueBytes() + 16);
        long count = k.elfEncode(type, src, n, codes, pos, bits, excCap, posBase);
        return new Encoded(
                count,
                codes.toArray(ValueLayout.JAVA_BYTE),
                pos.toArray(ValueLayout.JAVA_BYTE),
                bits.toArray(ValueLayout.JAVA_BYTE));
    }

    static byte[] decode(Kernel k, ElfType type, byte[] codes, int n, long[] excIndex, long[] excBits, long posBase) {
        MemorySegment pos = MemorySegment.ofArray(new byte[excIndex.length * 8]);
        MemorySegment bits = MemorySegment.ofArray(new byte[excIndex.length * type.valueBytes()]);
        for (int i = 0; i < excIndex.length; i++) {
            pos.setAtIndex(POS, i, posBase + excIndex[i]);
            setBits(type, bits, i, excBits[i]);
        }
        MemorySegment dst = filled((long) n * type.valueBytes());
        k.elfDecode(type, MemorySegment.ofArray(codes), n, dst, pos, bits, excIndex.length, posBase);
        return dst.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Checks the encode of a block against the oracle, with room for {@code excCap} exceptions. */
    static void assertEncoded(String what, ElfType type, Expected want, Encoded got, long excCap, long posBase) {
        assertEquals(want.excIndex.length, got.count, what + ": exception count");
        assertArrayEquals(want.codes, got.codes, what + ": codes");
        int stored = (int) Math.min(excCap, want.excIndex.length);
        MemorySegment pos = MemorySegment.ofArray(got.pos);
        MemorySegment bits = MemorySegment.ofArray(got.bits);
        for (int i = 0; i < stored; i++) {
            if (pos.getAtIndex(POS, i) != posBase + want.excIndex[i] || bits(type, bits, i) != want.excBits[i]) {
                fail(what + ": exception " + i + " at " + pos.getAtIndex(POS, i) + " bits "
                        + Long.toHexString(bits(type, bits, i)) + ", expected at " + (posBase + want.excIndex[i])
                        + " bits " + Long.toHexString(want.excBits[i]));
            }
        }
        for (int b = stored * 8; b < got.pos.length; b++) {
            if (got.pos[b] != SENTINEL) {
                fail(what + ": position buffer written past the " + stored + " exceptions stored");
            }
        }
        for (int b = stored * type.valueBytes(); b < got.bits.length; b++) {
            if (got.bits[b] != SENTINEL) {
                fail(what + ": bits buffer written past the " + stored + " exceptions stored");
            }
        }
    }

    /** Decoded values against the oracle, then against the rule itself (bound, sign, exact exceptions). */
    static void assertDecoded(String what, ElfType type, long[] in, Expected want, byte[] got) {
        MemorySegment out = MemorySegment.ofArray(got);
        for (int i = 0; i < in.length; i++) {
            long y = bits(type, out, i);
            if (y != want.decoded[i]) {
                fail(what + ": value " + i + " (" + Long.toHexString(in[i]) + ") decoded as " + Long.toHexString(y)
                        + ", expected " + Long.toHexString(want.decoded[i]));
            }
            if (oracleCode(type, in[i]) < 0) {
                if (y != in[i]) {
                    fail(what + ": exception " + i + " not restored bit for bit");
                }
            } else {
                double x = value(type, in[i]);
                double d = value(type, y);
                if (!(Math.abs(x - d) <= PromiseOracle.elfBound(type)) || signOf(type, in[i]) != signOf(type, y)) {
                    fail(what + ": " + x + " decoded as " + d + ": error over " + PromiseOracle.elfBound(type)
                            + " or sign lost");
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The tests.

    /** Every length 0..1100 (all tails, vectors of 8 and 16, chunk edges), both kernels, the oracle. */
    @ParameterizedTest
    @EnumSource(ElfType.class)
    void everyLengthSameBytesAsScalarAndOracle(ElfType type) {
        long[] pool = mixed(type, 1100 + 7, 11 + type.ordinal());
        SplittableRandom r = new SplittableRandom(type.ordinal());
        for (int n = 0; n <= 1100; n++) {
            long[] in = Arrays.copyOfRange(pool, n % 7, n % 7 + n);
            MemorySegment src = heapValues(type, in, n % 3);
            Expected want = Expected.of(type, in);
            long posBase = r.nextLong(1L << 40);
            String what = type + " n=" + n;

            Encoded s = encode(scalar, type, src, n, n, posBase);
            Encoded v = encode(vector, type, src, n, n, posBase);
            assertEquals(s.count, v.count, what + ": vector exception count differs from scalar");
            assertArrayEquals(s.codes, v.codes, what + ": vector codes differ from scalar");
            assertArrayEquals(s.pos, v.pos, what + ": vector exception positions differ from scalar");
            assertArrayEquals(s.bits, v.bits, what + ": vector exception bits differ from scalar");
            assertEncoded(what + " scalar", type, want, s, n, posBase);
            assertEncoded(what + " vector", type, want, v, n, posBase);

            if (n % 4 == 0) { // room for only some exceptions: all counted, the first stored, nothing past them
                long cap = want.excIndex.length / 2;
                assertEncoded(
                        what + " scalar cap " + cap,
                        type,
                        want,
                        encode(scalar, type, src, n, cap, posBase),
                        cap,
                        posBase);
                assertEncoded(
                        what + " vector cap " + cap,
                        type,
                        want,
                        encode(vector, type, src, n, cap, posBase),
                        cap,
                        posBase);
            }

            byte[] ds = decode(scalar, type, want.codes, n, want.excIndex, want.excBits, posBase);
            byte[] dv = decode(vector, type, want.codes, n, want.excIndex, want.excBits, posBase);
            assertArrayEquals(ds, dv, what + ": vector decode differs from scalar");
            assertDecoded(what + " decode", type, in, want, dv);
        }
    }

    /** Every F16 and BF16 bit pattern encoded, and every code decoded, by both kernels. */
    @ParameterizedTest
    @EnumSource(
            value = ElfType.class,
            names = {"F16", "BF16"})
    void everySixteenBitPatternAndEveryCode(ElfType type) {
        long[] all = new long[65536];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        Expected want = Expected.of(type, all);
        MemorySegment src = heapValues(type, all, 0);
        assertEncoded(
                type + " all patterns, scalar",
                type,
                want,
                encode(scalar, type, src, all.length, all.length, 7),
                all.length,
                7);
        assertEncoded(
                type + " all patterns, vector",
                type,
                want,
                encode(vector, type, src, all.length, all.length, 7),
                all.length,
                7);

        int codes = 1 << type.codeBits();
        long[] every = new long[codes];
        long[] want2 = new long[codes];
        for (int c = 0; c < codes; c++) {
            every[c] = c;
            want2[c] = oracleValue(type, c);
        }
        byte[] stream = layout(type, every);
        byte[] ds = decode(scalar, type, stream, codes, new long[0], new long[0], 0);
        byte[] dv = decode(vector, type, stream, codes, new long[0], new long[0], 0);
        assertArrayEquals(ds, dv, type + ": vector decode of every code differs from scalar");
        MemorySegment out = MemorySegment.ofArray(dv);
        for (int c = 0; c < codes; c++) {
            if (bits(type, out, c) != want2[c]) {
                fail(type + ": code " + c + " decoded as " + Long.toHexString(bits(type, out, c)));
            }
        }
    }

    /** The named cases, value by value, through both kernels. */
    @Test
    void namedCases() {
        for (Kernel k : new Kernel[] {scalar, vector}) {
            // F32 in a block of 19 (vector body and tail), as raw bits so that no NaN is touched on the way
            int[] in = {
                0x3f7fffff /* 0.99999994 */,
                Float.floatToRawIntBits(0.9999999f),
                0x80000000 /* -0.0 */,
                0,
                1 /* MIN_VALUE */,
                0x80000001,
                0x3f800000 /* 1 */,
                0xbf800000,
                Float.floatToRawIntBits(2.5f),
                0x7f7fffff /* MAX */,
                0x7f800000,
                0xff800000,
                0x7fc0beef,
                0xffc12345,
                0x7f800001 /* signalling */,
                Float.floatToRawIntBits(0.5f - 0x1p-25f),
                Float.floatToRawIntBits(0x1p-24f),
                Float.floatToRawIntBits(0x1.8p-24f),
                Float.floatToRawIntBits(-0.25f)
            };
            int[] out = new int[in.length];
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
                    100);
            assertEquals(10, nExc, k.name() + ": exceptions");
            assertArrayEquals(
                    new long[] {100, 106, 107, 108, 109, 110, 111, 112, 113, 114},
                    Arrays.copyOf(pos, 10),
                    k.name() + ": 0.99999994 (1 + x rounds to 2), +-1, 2.5, MAX, +-Inf and three NaNs");
            k.elfDecode(
                    ElfType.F32,
                    codes,
                    in.length,
                    MemorySegment.ofArray(out),
                    MemorySegment.ofArray(pos),
                    MemorySegment.ofArray(bits),
                    nExc,
                    100);
            for (int i : new int[] {0, 6, 7, 8, 9, 10, 11, 12, 13, 14}) {
                assertEquals(in[i], out[i], k.name() + ": exception " + i + " restored bit for bit");
            }
            assertEquals(0.9999999f, Float.intBitsToFloat(out[1]), 0x1p-24f, k.name());
            assertEquals(0x80000000, out[2], k.name() + ": -0.0 comes back as -0.0");
            assertEquals(0, out[3], k.name() + ": +0.0");
            assertEquals(0, out[4], k.name() + ": a subnormal decodes to +0.0");
            assertEquals(0x80000000, out[5], k.name() + ": a negative subnormal to -0.0");
            assertEquals(0.5f, Float.intBitsToFloat(out[15]), k.name() + ": 0.5 - 2^-25 rounds up to 0.5");
            assertEquals(0, out[16], k.name() + ": 2^-24 is a tie, to even: 0");
            assertEquals(0x1p-23f, Float.intBitsToFloat(out[17]), k.name() + ": 1.5 * 2^-24 rounds up to 2^-23");
            assertEquals(-0.25f, Float.intBitsToFloat(out[18]), k.name());

            // the largest value below 1 is an exception in every type, the one below it is not
            for (ElfType type : ElfType.values()) {
                long below1 = bitsOf(type, 1.0) - 1;
                assertEquals(
                        1,
                        encode(k, type, heapValues(type, new long[] {below1}, 0), 1, 1, 0).count,
                        k.name() + " " + type + ": nextDown(1) rounds up to 1");
                assertEquals(
                        0,
                        encode(k, type, heapValues(type, new long[] {below1 - 1}, 0), 1, 1, 0).count,
                        k.name() + " " + type + ": the value below it does not");
            }
        }
    }

    /** Native segments, heap segments of other arrays, a block of 100 003 values with no vector-size tail. */
    @ParameterizedTest
    @EnumSource(ElfType.class)
    void largeBlockOnNativeAndArraySegments(ElfType type) {
        int n = 100_003;
        long[] in = mixed(type, n, 99);
        Expected want = Expected.of(type, in);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nat = arena.allocate((long) n * type.valueBytes() + 1).asSlice(1);
            MemorySegment array = switch (type) { // a segment over an array of the value type
                case F32 -> MemorySegment.ofArray(new float[n]);
                case F16, BF16 -> MemorySegment.ofArray(new short[n]);
                case F64 -> MemorySegment.ofArray(new double[n]);
            };
            for (int i = 0; i < n; i++) {
                setBits(type, nat, i, in[i]);
                setBits(type, array, i, in[i]);
            }
            for (MemorySegment src : new MemorySegment[] {nat, array}) {
                for (Kernel k : new Kernel[] {scalar, vector}) {
                    MemorySegment codes = arena.allocate(type.codeBytes(n));
                    MemorySegment pos = arena.allocate(n * 8L);
                    MemorySegment bits = arena.allocate((long) n * type.valueBytes());
                    long count = k.elfEncode(type, src, n, codes, pos, bits, n, 0);
                    String what = k.name() + " " + type + (src.isNative() ? " native" : " array");
                    assertEquals(want.excIndex.length, count, what);
                    assertArrayEquals(want.codes, codes.toArray(ValueLayout.JAVA_BYTE), what + ": codes");
                    MemorySegment dst = arena.allocate((long) n * type.valueBytes());
                    k.elfDecode(type, codes, n, dst, pos, bits, count, 0);
                    assertDecoded(what, type, in, want, dst.toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
    }

    /** Bit packing, every width, lengths around every group size: twins and bit by bit. */
    @Test
    void packAndUnpackTwins() {
        SplittableRandom r = new SplittableRandom(3);
        for (int width = 1; width <= 8; width++) {
            for (int n = 0; n <= 140; n++) {
                byte[] codes = new byte[n];
                r.nextBytes(codes); // the bits above width must be ignored
                long[] masked = new long[n];
                for (int i = 0; i < n; i++) {
                    masked[i] = codes[i] & ((1 << width) - 1);
                }
                byte[] want = new byte[(int) Kernel.packedBytes(n, width)];
                for (int i = 0; i < n; i++) {
                    for (int b = 0; b < width; b++) {
                        int bit = i * width + b;
                        want[bit / 8] |= (byte) ((masked[i] >>> b & 1) << (bit % 8));
                    }
                }
                for (Kernel k : new Kernel[] {scalar, vector}) {
                    MemorySegment packed = filled(want.length);
                    assertEquals(want.length, k.packBits(MemorySegment.ofArray(codes), n, width, packed));
                    assertArrayEquals(
                            want, packed.toArray(ValueLayout.JAVA_BYTE), k.name() + " pack w=" + width + " n=" + n);
                    MemorySegment back = filled(n);
                    k.unpackBits(packed, n, width, back);
                    byte[] got = back.toArray(ValueLayout.JAVA_BYTE);
                    for (int i = 0; i < n; i++) {
                        if (masked[i] != (got[i] & 0xff)) {
                            fail(k.name() + " unpack w=" + width + " n=" + n + " code " + i);
                        }
                    }
                }
            }
        }
    }
}
