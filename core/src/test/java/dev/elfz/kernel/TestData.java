package dev.elfz.kernel;

import dev.elfz.samples.BertWeights;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Test inputs: weight-like random values, boundary values, and real BERT-base weights. */
final class TestData {

    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestData() {}

    /** Bits of one value of the type, as an unsigned long. */
    static long bits(ElfType type, MemorySegment s, long i) {
        return switch (type) {
            case F32 -> Integer.toUnsignedLong(s.get(INT, i * 4));
            case F16, BF16 -> Short.toUnsignedLong(s.get(SHORT, i * 2));
            case F64 -> s.get(LONG, i * 8);
        };
    }

    static void setBits(ElfType type, MemorySegment s, long i, long bits) {
        switch (type) {
            case F32 -> s.set(INT, i * 4, (int) bits);
            case F16, BF16 -> s.set(SHORT, i * 2, (short) bits);
            case F64 -> s.set(LONG, i * 8, bits);
        }
    }

    /** The value as a double (exact for all four types). */
    static double value(ElfType type, long bits) {
        return switch (type) {
            case F32 -> Float.intBitsToFloat((int) bits);
            case F16 -> Float.float16ToFloat((short) bits);
            case BF16 -> Float.intBitsToFloat((int) bits << 16);
            case F64 -> Double.longBitsToDouble(bits);
        };
    }

    static long bitsOf(ElfType type, double v) {
        return switch (type) {
            case F32 -> Integer.toUnsignedLong(Float.floatToRawIntBits((float) v));
            case F16 -> Short.toUnsignedLong(Float.floatToFloat16((float) v));
            case BF16 -> Integer.toUnsignedLong(Float.floatToRawIntBits((float) v)) >>> 16;
            case F64 -> Double.doubleToRawLongBits(v);
        };
    }

    /** The ELF rule from first principles (double arithmetic): is this value stored as an exception? */
    static boolean isException(ElfType type, long bits) {
        double a = Math.abs(value(type, bits));
        return !Double.isFinite(a)
                || Math.rint(Math.scalb(a, type.mantissaBits())) >= Math.scalb(1.0, type.mantissaBits());
    }

    /** Gaussian weights (sigma 0.05) with tiny values, outliers and random bit patterns mixed in. */
    static MemorySegment weightLike(ElfType type, long n, long seed, Arena arena) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * type.valueBytes(), 8);
        for (long i = 0; i < n; i++) {
            int pick = r.nextInt(1000);
            long b;
            if (pick < 3) {
                b = r.nextLong() & (type == ElfType.F64 ? -1L : (1L << (8 * type.valueBytes())) - 1);
            } else {
                double x = gaussian(r) * (pick < 6 ? 3 : pick < 9 ? 1e-6 : 0.05);
                b = bitsOf(type, x);
            }
            setBits(type, s, i, b);
        }
        return s;
    }

    static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(r.nextDouble() + 1e-300)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** Values on every edge of the rule (native/test/elfz_test.c has its own list, for C). */
    static long[] edges(ElfType type) {
        return switch (type) {
            case F32 ->
                new long[] {
                    0x00000000L,
                    0x80000000L,
                    0x3f7fffffL /* 0.99999994: 1+x rounds to 2 */,
                    0x3f7ffffeL,
                    0x3f800000L,
                    0xbf800000L,
                    0x40200000L,
                    0x7f7fffffL,
                    0xff7fffffL,
                    0x7f800000L,
                    0xff800000L,
                    0x7fc00000L,
                    0x7fc0beefL,
                    0xffc12345L,
                    0x7f800001L,
                    0xff80deadL,
                    0x00000001L,
                    0x80000001L,
                    0x007fffffL,
                    0x807fffffL,
                    0x00800000L,
                    0x33800000L,
                    0x33800001L,
                    0x34000000L,
                    0x34400000L,
                    0xb3c00000L,
                    0x3f000000L,
                    0x3effffffL,
                    0xbf7fffffL
                };
            case F16 ->
                new long[] {
                    0x0000, 0x8000, 0x3bff, 0x3bfe, 0xbbff, 0x3c00, 0xbc00, 0x4100, 0x7bff, 0x7c00, 0xfc00, 0x7e00,
                    0x7e01, 0x7c01, 0xfe37, 0xfd55, 0x0001, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x1000, 0x1001, 0x1200,
                    0x1400, 0x1300, 0x3800, 0x37ff
                };
            case BF16 ->
                new long[] {
                    0x0000, 0x8000, 0x3f7f, 0x3f7e, 0xbf7f, 0x3f80, 0xbf80, 0x4020, 0x7f7f, 0x7f80, 0xff80, 0x7fc0,
                    0x7fc1, 0x7f81, 0xffc5, 0x0001, 0x8001, 0x007f, 0x0080, 0x3b80, 0x3b81, 0x3bc0, 0x3c40, 0x3c00,
                    0x3f00, 0x3eff
                };
            case F64 ->
                new long[] {
                    0L,
                    0x8000000000000000L,
                    0x3fefffffffffffffL,
                    0x3feffffffffffffeL,
                    0xbfefffffffffffffL,
                    0x3ff0000000000000L,
                    0xbff0000000000000L,
                    0x4004000000000000L,
                    0x7fefffffffffffffL,
                    0x7ff0000000000000L,
                    0xfff0000000000000L,
                    0x7ff8000000000000L,
                    0x7ff8deadbeef0001L,
                    0x7ff0000000000001L,
                    0xfff4000000000123L,
                    1L,
                    0x8000000000000001L,
                    0x000fffffffffffffL,
                    0x0010000000000000L,
                    0x3ca0000000000000L,
                    0x3ca0000000000001L,
                    0x3cb8000000000000L,
                    0x3fe0000000000000L,
                    0x3fdfffffffffffffL
                };
        };
    }

    /** Kinds of byte plane for the entropy coder's tests. */
    enum PlaneKind {
        ZEROS,
        TWO_SYMBOLS,
        ALL_SYMBOLS,
        SKEWED,
        GEOMETRIC,
        RANDOM,
        RUNS
    }

    /** A plane of {@code n} bytes of the kind, deterministic for the seed. */
    static byte[] plane(PlaneKind kind, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte)
                    switch (kind) {
                        case ZEROS -> 0;
                        case TWO_SYMBOLS -> r.nextInt(5) == 0 ? 0xc3 : 0x3c;
                        case ALL_SYMBOLS -> i;
                        case SKEWED -> 120 + (int) Math.round(gaussian(r) * 2);
                        case GEOMETRIC -> 100 + geometric(r, 0.5, 40);
                        case RANDOM -> r.nextInt();
                        case RUNS -> i / 37 * 13;
                    };
        }
        return p;
    }

    /** 0 with probability 1 - ratio, 1 with ratio (1 - ratio), ...: at most {@code k - 1}. */
    static int geometric(SplittableRandom r, double ratio, int k) {
        int s = 0;
        while (s < k - 1 && r.nextDouble() < ratio) {
            s++;
        }
        return s;
    }

    /**
     * The 4 byte planes (FORMAT.md, "lossless chunks": rotated, so plane 3 is the exponent) of the first
     * {@code values} float32 weights of BERT-base, each {@code values} bytes, back to back.
     */
    static MemorySegment bertPlanes(long values, Arena arena) throws IOException {
        MemorySegment weights = bert(values * 4, arena);
        MemorySegment planes = arena.allocate(values * 4);
        new JavaScalarKernel().planesSplit(weights, values, 4, true, planes);
        return planes;
    }

    private static Path bertCache;

    /** The first {@code bytes} of BERT-base's float32 weights (a test dependency), mapped from a temp file. */
    static synchronized MemorySegment bert(long bytes, Arena arena) throws IOException {
        if (bertCache == null || Files.size(bertCache) < bytes) {
            Path tmp = Files.createTempFile("bert-weights", ".f32");
            tmp.toFile().deleteOnExit();
            BertWeights.extract(null, bytes, tmp);
            bertCache = tmp;
        }
        try (FileChannel ch = FileChannel.open(bertCache)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(bytes, ch.size()), arena);
        }
    }
}
