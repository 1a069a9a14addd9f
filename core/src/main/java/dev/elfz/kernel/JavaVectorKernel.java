package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The pure-Java kernel on the Vector API (jdk.incubator.vector): F32, F16 and BF16 encode and decode run
 * LANES values at a time; F64, bit packing and every tail (fewer than LANES values) are the scalar code of
 * {@link JavaScalarKernel}. F32 quantize and dequantize run LANES values of a group at a time; the rest of
 * a group, the other types, bucketize and lookup are the reference loops of {@link QuantScalar}. Byte planes of 2-
 * and 4-byte values run LANES values at a time (40 GB/s against the reference's 1 here); 8-byte planes, grid codes
 * and entropy planes are {@link AbstractKernel}'s references. Same bytes as the C reference, bit for bit.
 *
 * <p>One vector holds 8 or 16 int lanes: the machine's preferred shape, at most 512 bits (512 measured
 * faster than 256 for every type on Zen 5), or a smaller one asked for with the system property
 * {@code dev.elfz.vectorBits=256} (for tests and benchmarks). Where vectors are narrower than 256 bits,
 * {@link #create()} gives the scalar kernel instead.
 *
 * <p>Encode loops run over chunks of 64 vectors with no call inside: a vector holding an exception only
 * sets a bit, and those vectors are scanned again by the scalar code to record the exceptions in order.
 * (With the rare call inside the loop, C2 inlined it, hit its node-count cutoff for the rest, and the
 * speed depended on what had been compiled before: F16 encode 2.3 or 7 GB/s by the order of the tests.)
 *
 * <p>The arithmetic per lane is not C's but gives the same result: every rounding is one IEEE float
 * addition of |x| to a power of two whose ulp is the code's unit (1 for F32, 8192 for F16, 65536 for BF16),
 * which rounds to nearest even exactly as the C integer rne_shift does; decode converts the integer
 * q to float and scales it by a power of two, exactly. JavaKernelTwinTest checks every F16 and BF16 value.
 */
public final class JavaVectorKernel extends AbstractKernel {

    /** Use {@link #create()}: this kernel only works where the Vector API module is resolved. */
    JavaVectorKernel() {}

    /**
     * This kernel when the Vector API is there (the JVM runs with {@code --add-modules jdk.incubator.vector})
     * and its vectors are at least 256 bits wide, else {@link JavaScalarKernel}, which gives the same bytes.
     */
    public static Kernel create() {
        return accelerated() ? new JavaVectorKernel() : new JavaScalarKernel();
    }

    /** Whether the vector loops run here: the module is resolved and vectors hold 8 or 16 ints. */
    public static boolean accelerated() {
        try {
            return Simd.LANES > 0;
        } catch (LinkageError e) { // jdk.incubator.vector not resolved in this JVM
            return false;
        }
    }

    @Override
    public String name() {
        return "java-vector";
    }

    @Override
    protected long encode(
            ElfType type,
            MemorySegment src,
            long n,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap,
            long posBase) {
        JavaScalarKernel.ExceptionSink sink =
                new JavaScalarKernel.ExceptionSink(type, excPos, excBits, excCap, posBase);
        long done = switch (type) {
            case F32 -> Simd.encodeF32(src, n, codes, sink);
            case F16 -> Simd.encodeF16(src, n, codes, sink);
            case BF16 -> Simd.encodeBf16(src, n, codes, sink);
            case F64 -> 0;
        };
        JavaScalarKernel.encodeRange(type, src, n, done, codes, sink);
        return sink.count();
    }

    @Override
    protected void decode(
            ElfType type,
            MemorySegment codes,
            long n,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc,
            long posBase) {
        long done = switch (type) {
            case F32 -> Simd.decodeF32(codes, n, dst);
            case F16 -> Simd.decodeF16(codes, n, dst);
            case BF16 -> Simd.decodeBf16(codes, n, dst);
            case F64 -> 0;
        };
        JavaScalarKernel.decodeRange(type, codes, n, done, dst);
        JavaScalarKernel.patchExceptions(type, dst, excPos, excBits, nExc, posBase);
    }

    @Override
    protected void pack(MemorySegment codes, long n, int width, MemorySegment dst) {
        JavaScalarKernel.packRange(codes, n, 0, width, dst);
    }

    @Override
    protected void unpack(MemorySegment src, long n, int width, MemorySegment codes) {
        JavaScalarKernel.unpackRange(src, n, 0, width, codes);
    }

    /** The vector loops; a class of its own so that a JVM without the Vector API fails only here. */
    private static final class Simd {

        private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

        /** Int lanes per vector: 8, 16, or 0 when the Vector API would not pay (then all is scalar). */
        static final int LANES;

        private static final VectorSpecies<Integer> INTS;
        private static final VectorSpecies<Float> FLOATS;
        private static final VectorSpecies<Short> SHORTS;
        private static final VectorSpecies<Byte> BYTES;
        /** The shift of every lane's bits inside the packed 3-bit word of its group of 8: 3 * (lane % 8). */
        private static final IntVector F16_LOW_SHIFTS;
        /** Lanes 8..15 (second group of 8) when LANES is 16. */
        private static final VectorMask<Integer> SECOND_GROUP;

        static {
            int preferred = IntVector.SPECIES_PREFERRED.vectorBitSize();
            int bits = Math.min(preferred, Integer.getInteger("dev.elfz.vectorBits", 512));
            int lanes = bits >= 512 ? 16 : bits >= 256 ? 8 : 0;
            LANES = lanes;
            INTS = lanes == 16 ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
            FLOATS = lanes == 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
            int l = INTS.length();
            SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * l));
            BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * l));
            int[] shifts = new int[l];
            boolean[] second = new boolean[l];
            for (int j = 0; j < l; j++) {
                shifts[j] = 3 * (j % 8);
                second[j] = j >= 8;
            }
            F16_LOW_SHIFTS = IntVector.fromArray(INTS, shifts, 0);
            SECOND_GROUP = VectorMask.fromArray(INTS, second, 0);
        }

        /** Values the vector loops take: whole vectors only (a multiple of 8, as ranges must start). */
        private static long vectorEnd(long n) {
            return LANES == 0 ? 0 : n - n % LANES;
        }

        /**
         * Values the F16 vector loops take: whole vectors whose packed low bits (3 * LANES / 8 bytes at
         * n + 3 * i / 8) can be moved as one long that ends inside the code stream. The bytes such a
         * store writes past the vector's own belong to later groups, which are written after it.
         */
        private static long f16VectorEnd(long n) {
            long end = vectorEnd(n);
            long packedBytes = Kernel.packedBytes(n, 3);
            while (end > 0 && (end - LANES) / 8 * 3 + Long.BYTES > packedBytes) {
                end -= LANES;
            }
            return end;
        }

        /**
         * Vectors per chunk of encode: the loop over a chunk has no call in it, only a bit per vector
         * noting that it held an exception; those vectors are scanned again afterwards to record them.
         */
        private static final int CHUNK_VECTORS = 64;

        /** Records, in order, the exceptions of the vectors of the chunk at {@code from} flagged in {@code bad}. */
        private static void recordFlagged(
                ElfType type, MemorySegment src, long from, long bad, JavaScalarKernel.ExceptionSink sink) {
            for (long b = bad; b != 0; b &= b - 1) {
                long at = from + (long) Long.numberOfTrailingZeros(b) * LANES;
                JavaScalarKernel.recordExceptions(type, src, at, at + LANES, sink);
            }
        }

        /** The low byte of every lane, stored as LANES consecutive bytes. */
        private static void storeBytes(IntVector v, MemorySegment seg, long offset) {
            v.convertShape(VectorOperators.I2B, BYTES, 0).reinterpretAsBytes().intoMemorySegment(seg, offset, LE);
        }

        /** LANES consecutive bytes, zero-extended into int lanes. */
        private static IntVector loadBytes(MemorySegment seg, long offset) {
            return (IntVector) ByteVector.fromMemorySegment(BYTES, seg, offset, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        }

        // ---- F32: y = 1 + |x| in float; code = sign << 23 | mantissa(y); exception unless y < 2.

        static long encodeF32(MemorySegment src, long n, MemorySegment codes, JavaScalarKernel.ExceptionSink sink) {
            final long end = vectorEnd(n);
            final long plane1 = n;
            final long plane2 = 2 * n;
            for (long from = 0; from < end; from += CHUNK_VECTORS * LANES) {
                long to = Math.min(from + CHUNK_VECTORS * LANES, end);
                long bad = 0; // bit k: vector k of the chunk holds an exception
                for (long i = from; i < to; i += LANES) {
                    IntVector bits = IntVector.fromMemorySegment(INTS, src, i << 2, LE);
                    FloatVector y = bits.and(0x7fffffff).reinterpretAsFloats().add(1.0f);
                    VectorMask<Integer> ok = y.compare(VectorOperators.LT, 2.0f).cast(INTS); // false on NaN
                    IntVector code = y.reinterpretAsInts()
                            .and(0x7fffff)
                            .or(bits.lanewise(VectorOperators.LSHR, 8).and(0x800000));
                    code = IntVector.zero(INTS).blend(code, ok); // exceptions code as 0
                    bad |= (ok.allTrue() ? 0L : 1L) << ((i - from) / LANES);
                    storeBytes(code.lanewise(VectorOperators.LSHR, 16), codes, i);
                    storeBytes(code.lanewise(VectorOperators.LSHR, 8), codes, plane1 + i);
                    storeBytes(code, codes, plane2 + i);
                }
                recordFlagged(ElfType.F32, src, from, bad, sink);
            }
            return end;
        }

        static long decodeF32(MemorySegment codes, long n, MemorySegment dst) {
            final long end = vectorEnd(n);
            final long plane1 = n;
            final long plane2 = 2 * n;
            for (long i = 0; i < end; i += LANES) {
                IntVector code = loadBytes(codes, i)
                        .lanewise(VectorOperators.LSHL, 16)
                        .or(loadBytes(codes, plane1 + i).lanewise(VectorOperators.LSHL, 8))
                        .or(loadBytes(codes, plane2 + i));
                IntVector magnitude = code.and(0x7fffff)
                        .or(0x3f800000)
                        .reinterpretAsFloats()
                        .sub(1.0f)
                        .reinterpretAsInts(); // exact
                magnitude
                        .or(code.lanewise(VectorOperators.LSHL, 8).and(0x80000000))
                        .intoMemorySegment(dst, i << 2, LE);
            }
            return end;
        }

        // ---- BF16: |x| is bf16 << 16 as a float; y = 65536 + |x| rounds it to multiples of 2^-7.

        static long encodeBf16(MemorySegment src, long n, MemorySegment codes, JavaScalarKernel.ExceptionSink sink) {
            final long end = vectorEnd(n);
            for (long from = 0; from < end; from += CHUNK_VECTORS * LANES) {
                long to = Math.min(from + CHUNK_VECTORS * LANES, end);
                long bad = 0; // bit k: vector k of the chunk holds an exception
                for (long i = from; i < to; i += LANES) {
                    IntVector bits = (IntVector) ShortVector.fromMemorySegment(SHORTS, src, i << 1, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_S2I, INTS, 0);
                    FloatVector y = bits.and(0x7fff)
                            .lanewise(VectorOperators.LSHL, 16)
                            .reinterpretAsFloats()
                            .add(0x1p16f);
                    VectorMask<Integer> ok =
                            y.compare(VectorOperators.LT, 0x1p16f + 1).cast(INTS); // false on NaN
                    IntVector code = y.reinterpretAsInts()
                            .sub(ElfCodes.BF16_BASE)
                            .or(bits.lanewise(VectorOperators.LSHR, 8).and(0x80));
                    code = IntVector.zero(INTS).blend(code, ok); // exceptions code as 0
                    bad |= (ok.allTrue() ? 0L : 1L) << ((i - from) / LANES);
                    storeBytes(code, codes, i);
                }
                recordFlagged(ElfType.BF16, src, from, bad, sink);
            }
            return end;
        }

        static long decodeBf16(MemorySegment codes, long n, MemorySegment dst) {
            final long end = vectorEnd(n);
            for (long i = 0; i < end; i += LANES) {
                IntVector code = loadBytes(codes, i);
                // q * 2^-7 is exact and normal (or zero); its float bits' top half is the bf16.
                IntVector magnitude = ((FloatVector) code.and(0x7f).convert(VectorOperators.I2F, 0))
                        .mul(0x1p-7f)
                        .reinterpretAsInts()
                        .lanewise(VectorOperators.LSHR, 16);
                IntVector value =
                        magnitude.or(code.lanewise(VectorOperators.LSHL, 8).and(0x8000));
                value.convertShape(VectorOperators.I2S, SHORTS, 0)
                        .reinterpretAsShorts()
                        .intoMemorySegment(dst, i << 1, LE);
            }
            return end;
        }

        // ---- F16: |x| as a float is (bits << 13) with 112 added to the exponent (a subnormal f16 becomes
        // ---- a number below 2^-14, which rounds to 0 all the same); y = 8192 + |x| rounds to 2^-10.

        static long encodeF16(MemorySegment src, long n, MemorySegment codes, JavaScalarKernel.ExceptionSink sink) {
            final long end = f16VectorEnd(n);
            final long rem = n;
            for (long from = 0; from < end; from += CHUNK_VECTORS * LANES) {
                long to = Math.min(from + CHUNK_VECTORS * LANES, end);
                long bad = 0; // bit k: vector k of the chunk holds an exception
                for (long i = from; i < to; i += LANES) {
                    IntVector bits = (IntVector) ShortVector.fromMemorySegment(SHORTS, src, i << 1, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_S2I, INTS, 0);
                    FloatVector y = bits.and(0x7fff)
                            .lanewise(VectorOperators.LSHL, 13)
                            .add(112 << 23)
                            .reinterpretAsFloats()
                            .add(0x1p13f);
                    VectorMask<Integer> ok =
                            y.compare(VectorOperators.LT, 0x1p13f + 1).cast(INTS);
                    IntVector code = y.reinterpretAsInts()
                            .sub(ElfCodes.F16_BASE)
                            .or(bits.lanewise(VectorOperators.LSHR, 5).and(0x400));
                    code = IntVector.zero(INTS).blend(code, ok); // exceptions code as 0
                    bad |= (ok.allTrue() ? 0L : 1L) << ((i - from) / LANES);
                    storeBytes(code.lanewise(VectorOperators.LSHR, 3), codes, i);
                    // Low 3 bits: lane j's go to bits 3 * (j % 8), then each group of 8 lanes is ORed
                    // together: pairs within a long, then across 4 longs by sliding (lanes 0 and 4).
                    // (Narrowing to bytes and packing a long of them with pext, as the scalar code does,
                    // measured 2x slower on JDK 25: extracting lanes of a narrowed vector is slow.)
                    LongVector u = code.and(7)
                            .lanewise(VectorOperators.LSHL, F16_LOW_SHIFTS)
                            .reinterpretAsLongs();
                    u = u.or(u.lanewise(VectorOperators.LSHR, 32));
                    u = u.or(u.slice(1));
                    u = u.or(u.slice(2));
                    long packed = u.lane(0) & 0xffffff;
                    if (LANES == 16) {
                        packed |= (u.lane(4) & 0xffffff) << 24;
                    }
                    codes.set(JavaScalarKernel.LE_LONG, rem + (i >>> 3) * 3, packed);
                }
                recordFlagged(ElfType.F16, src, from, bad, sink);
            }
            return end;
        }

        static long decodeF16(MemorySegment codes, long n, MemorySegment dst) {
            final long end = f16VectorEnd(n);
            final long rem = n;
            for (long i = 0; i < end; i += LANES) {
                long packed = codes.get(JavaScalarKernel.LE_LONG, rem + (i >>> 3) * 3);
                IntVector words = IntVector.broadcast(INTS, (int) packed & 0xffffff);
                if (LANES == 16) {
                    words = words.blend((int) (packed >>> 24) & 0xffffff, SECOND_GROUP);
                }
                IntVector low =
                        words.lanewise(VectorOperators.LSHR, F16_LOW_SHIFTS).and(7);
                IntVector code =
                        loadBytes(codes, i).lanewise(VectorOperators.LSHL, 3).or(low);
                // q * 2^-10 * 2^-112 is exact and a normal float; its exponent bias is then f16's.
                IntVector magnitude = ((FloatVector) code.and(0x3ff).convert(VectorOperators.I2F, 0))
                        .mul(0x1p-122f)
                        .reinterpretAsInts()
                        .lanewise(VectorOperators.LSHR, 13);
                IntVector value =
                        magnitude.or(code.lanewise(VectorOperators.LSHL, 5).and(0x8000));
                value.convertShape(VectorOperators.I2S, SHORTS, 0)
                        .reinterpretAsShorts()
                        .intoMemorySegment(dst, i << 1, LE);
            }
            return end;
        }

        // ---- Byte planes of 2- and 4-byte values: LANES values per step, rotated by ROL / ROR; a plane byte is a
        // ---- lane narrowed to its low byte, as ELF's byte planes are written.

        /** Splits values [0, end) of the block; returns end (whole vectors). */
        static long planesSplit(MemorySegment src, long n, int width, boolean rotate, MemorySegment planes) {
            final long end = vectorEnd(n);
            if (width == 4) {
                for (long i = 0; i < end; i += LANES) {
                    IntVector v = IntVector.fromMemorySegment(INTS, src, i << 2, LE);
                    if (rotate) {
                        v = v.lanewise(VectorOperators.ROL, 1);
                    }
                    storeBytes(v, planes, i);
                    storeBytes(v.lanewise(VectorOperators.LSHR, 8), planes, n + i);
                    storeBytes(v.lanewise(VectorOperators.LSHR, 16), planes, 2 * n + i);
                    storeBytes(v.lanewise(VectorOperators.LSHR, 24), planes, 3 * n + i);
                }
            } else {
                for (long i = 0; i < end; i += LANES) {
                    ShortVector v = ShortVector.fromMemorySegment(SHORTS, src, i << 1, LE);
                    if (rotate) {
                        v = v.lanewise(VectorOperators.ROL, 1);
                    }
                    storeBytes(v, planes, i);
                    storeBytes(v.lanewise(VectorOperators.LSHR, 8), planes, n + i);
                }
            }
            return end;
        }

        /** Joins values [0, end) of the block; returns end (whole vectors). */
        static long planesJoin(MemorySegment planes, long n, int width, boolean rotate, MemorySegment dst) {
            final long end = vectorEnd(n);
            if (width == 4) {
                for (long i = 0; i < end; i += LANES) {
                    IntVector v = loadBytes(planes, i)
                            .or(loadBytes(planes, n + i).lanewise(VectorOperators.LSHL, 8))
                            .or(loadBytes(planes, 2 * n + i).lanewise(VectorOperators.LSHL, 16))
                            .or(loadBytes(planes, 3 * n + i).lanewise(VectorOperators.LSHL, 24));
                    if (rotate) {
                        v = v.lanewise(VectorOperators.ROR, 1);
                    }
                    v.intoMemorySegment(dst, i << 2, LE);
                }
            } else {
                for (long i = 0; i < end; i += LANES) {
                    ShortVector v = loadByteShorts(planes, i)
                            .or(loadByteShorts(planes, n + i).lanewise(VectorOperators.LSHL, 8));
                    if (rotate) {
                        v = v.lanewise(VectorOperators.ROR, 1);
                    }
                    v.intoMemorySegment(dst, i << 1, LE);
                }
            }
            return end;
        }

        /** The low byte of every short lane, stored as LANES consecutive bytes. */
        private static void storeBytes(ShortVector v, MemorySegment seg, long offset) {
            v.convertShape(VectorOperators.S2B, BYTES, 0).reinterpretAsBytes().intoMemorySegment(seg, offset, LE);
        }

        /** LANES consecutive bytes, zero-extended into short lanes. */
        private static ShortVector loadByteShorts(MemorySegment seg, long offset) {
            return (ShortVector) ByteVector.fromMemorySegment(BYTES, seg, offset, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
        }

        // ---- Uniform quantization, F32 (the arithmetic of the C kernel, elfz_internal.h): per group,
        // ---- offset = zero - qmin and top = 2^bits - 1; code = clamp(rint(x / scale) + offset, 0, top),
        // ---- x' = ((code & top) - offset) * scale. Those are the reference's codes: rint gives an integer,
        // ---- to which adding the offset is exact below 2^23, and above it the sum clamps to the same end.

        /**
         * Quantizes ({@code inverse} false: {@code in} values, {@code out} codes) or dequantizes ({@code inverse}
         * true: the other way round) run by run, a run being the values of one group: whole vectors here, the
         * rest of a run by the reference, as a group of its own.
         */
        static void uniformF32(
                boolean inverse,
                MemorySegment in,
                long n,
                long groupSize,
                long groupOffset,
                MemorySegment scales,
                MemorySegment zeros,
                int bits,
                MemorySegment out) {
            final int top = (1 << bits) - 1;
            final int inShift = inverse ? 0 : 2; // log2 of the bytes per element of in and out
            final int outShift = inverse ? 2 : 0;
            long i = 0;
            long len = groupSize - groupOffset; // the first run ends where its group does
            for (long g = 0; i < n; g++, len = groupSize) {
                len = Math.min(len, n - i);
                float scale = scales.getAtIndex(QuantScalar.F32, g);
                int offset = zeros.get(ValueLayout.JAVA_BYTE, g) + (1 << (bits - 1));
                long end = i + len - len % LANES;
                if (inverse) {
                    dequantizeF32(in, i, end, scale, offset, top, out);
                } else {
                    quantizeF32(in, i, end, scale, offset, top, out);
                }
                long rest = i + len - end;
                if (rest > 0) {
                    MemorySegment restIn = in.asSlice(end << inShift, rest << inShift);
                    MemorySegment restOut = out.asSlice(end << outShift, rest << outShift);
                    MemorySegment scale1 = scales.asSlice(g * Float.BYTES, Float.BYTES);
                    MemorySegment zero1 = zeros.asSlice(g, 1);
                    if (inverse) {
                        QuantScalar.dequantize(ElfType.F32, restIn, rest, rest, 0, scale1, zero1, bits, restOut);
                    } else {
                        QuantScalar.quantize(ElfType.F32, restIn, rest, rest, 0, scale1, zero1, bits, restOut);
                    }
                }
                i += len;
            }
        }

        /** Codes of values [from, to) (whole vectors) of one group. */
        private static void quantizeF32(
                MemorySegment src, long from, long to, float scale, int offset, int top, MemorySegment codes) {
            final float offsetF = offset;
            final float topF = top;
            for (long i = from; i < to; i += LANES) {
                FloatVector y =
                        FloatVector.fromMemorySegment(FLOATS, src, i << 2, LE).div(scale);
                // rint, half to even: below 2^23 adding and subtracting 2^23 rounds |y| to an integer in one
                // IEEE addition; from 2^23 up |y| is one already, and the sum (still >= 2^23) clamps alike.
                // Inf and NaN pass through. The sign goes back on afterwards (rint is odd).
                IntVector sign = y.reinterpretAsInts().and(0x80000000);
                FloatVector r = y.abs()
                        .add(0x1p23f)
                        .sub(0x1p23f)
                        .reinterpretAsInts()
                        .or(sign)
                        .reinterpretAsFloats();
                FloatVector c = r.add(offsetF);
                c = FloatVector.zero(FLOATS)
                        .blend(c, c.compare(VectorOperators.GT, 0f))
                        .min(topF); // NaN: not > 0
                storeBytes((IntVector) c.convert(VectorOperators.F2I, 0), codes, i);
            }
        }

        /** Values [from, to) (whole vectors) of one group from their codes. */
        private static void dequantizeF32(
                MemorySegment codes, long from, long to, float scale, int offset, int top, MemorySegment dst) {
            for (long i = from; i < to; i += LANES) {
                IntVector level = loadBytes(codes, i).and(top).sub(offset);
                ((FloatVector) level.convert(VectorOperators.I2F, 0)).mul(scale).intoMemorySegment(dst, i << 2, LE);
            }
        }
    }

    // Quantization: F32 quantize and dequantize are vector loops; the rest is AbstractKernel's reference.
    @Override
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
        if (type == ElfType.F32) {
            Simd.uniformF32(false, src, n, groupSize, groupOffset, scales, zeros, bits, codes);
        } else {
            super.quantizeChecked(type, src, n, groupSize, groupOffset, scales, zeros, bits, codes);
        }
    }

    @Override
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
        if (type == ElfType.F32) {
            Simd.uniformF32(true, codes, n, groupSize, groupOffset, scales, zeros, bits, dst);
        } else {
            super.dequantizeChecked(type, codes, n, groupSize, groupOffset, scales, zeros, bits, dst);
        }
    }

    // Byte planes: widths 2 and 4 are vector loops (the last values the reference's); width 8 is the reference.
    @Override
    protected void planesSplitChecked(MemorySegment src, long n, int width, boolean rotate, MemorySegment planes) {
        long done = width == 8 ? 0 : Simd.planesSplit(src, n, width, rotate, planes);
        Planes.split(src, n, done, width, rotate, planes);
    }

    @Override
    protected void planesJoinChecked(MemorySegment planes, long n, int width, boolean rotate, MemorySegment dst) {
        long done = width == 8 ? 0 : Simd.planesJoin(planes, n, width, rotate, dst);
        Planes.join(planes, n, done, width, rotate, dst);
    }
}
