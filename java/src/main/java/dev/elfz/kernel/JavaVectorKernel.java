package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;
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
 * {@link JavaScalarKernel}. Same bytes as the C reference, bit for bit.
 *
 * <p>One vector holds LANES int lanes, 8 or 16: the machine's preferred shape (at most 512 bits), or a
 * smaller one asked for with the system property {@code dev.elfz.vectorBits=256}. On a machine whose
 * vectors are narrower than 256 bits everything runs on the scalar code.
 *
 * <p>The arithmetic per lane is not C's but gives the same result: every rounding is one IEEE float
 * addition of |x| to a power of two whose ulp is the code's unit (1 for F32, 8192 for F16, 65536 for BF16),
 * which rounds to nearest even exactly as the C integer rne_shift does; decode converts the integer
 * q to float and scales it by a power of two, exactly. JavaKernelTwinTest checks every F16 and BF16 value.
 */
public final class JavaVectorKernel extends AbstractKernel {

    /** Use {@link #create()}: this kernel only works where the Vector API module is resolved. */
    JavaVectorKernel() {
    }

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
    protected long encode(ElfType type, MemorySegment src, long n, MemorySegment codes,
                          MemorySegment excPos, MemorySegment excBits, long excCap, long posBase) {
        JavaScalarKernel.ExceptionSink sink = new JavaScalarKernel.ExceptionSink(type, excPos, excBits, excCap, posBase);
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
    protected void decode(ElfType type, MemorySegment codes, long n, MemorySegment dst,
                          MemorySegment excPos, MemorySegment excBits, long nExc, long posBase) {
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
            VectorShape shape = VectorShape.forBitSize(lanes == 16 ? 512 : 256);
            INTS = IntVector.SPECIES_PREFERRED.withShape(shape);
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

        static long encodeF32(MemorySegment src, long n, MemorySegment codes,
                                      JavaScalarKernel.ExceptionSink sink) {
            final long end = vectorEnd(n);
            final long plane1 = n;
            final long plane2 = 2 * n;
            for (long i = 0; i < end; i += LANES) {
                IntVector bits = IntVector.fromMemorySegment(INTS, src, i << 2, LE);
                FloatVector y = bits.and(0x7fffffff).reinterpretAsFloats().add(1.0f);
                VectorMask<Integer> ok = y.compare(VectorOperators.LT, 2.0f).cast(INTS); // false on NaN
                IntVector code = y.reinterpretAsInts().and(0x7fffff)
                        .or(bits.lanewise(VectorOperators.LSHR, 8).and(0x800000));
                if (!ok.allTrue()) {
                    code = IntVector.zero(INTS).blend(code, ok);
                    JavaScalarKernel.recordExceptions(ElfType.F32, src, i, i + LANES, sink);
                }
                storeBytes(code.lanewise(VectorOperators.LSHR, 16), codes, i);
                storeBytes(code.lanewise(VectorOperators.LSHR, 8), codes, plane1 + i);
                storeBytes(code, codes, plane2 + i);
            }
            return end;
        }

        static long decodeF32(MemorySegment codes, long n, MemorySegment dst) {
            final long end = vectorEnd(n);
            final long plane1 = n;
            final long plane2 = 2 * n;
            for (long i = 0; i < end; i += LANES) {
                IntVector code = loadBytes(codes, i).lanewise(VectorOperators.LSHL, 16)
                        .or(loadBytes(codes, plane1 + i).lanewise(VectorOperators.LSHL, 8))
                        .or(loadBytes(codes, plane2 + i));
                IntVector magnitude = code.and(0x7fffff).or(0x3f800000).reinterpretAsFloats().sub(1.0f)
                        .reinterpretAsInts(); // exact
                magnitude.or(code.lanewise(VectorOperators.LSHL, 8).and(0x80000000)).intoMemorySegment(dst, i << 2, LE);
            }
            return end;
        }

        // ---- BF16: |x| is bf16 << 16 as a float; y = 65536 + |x| rounds it to multiples of 2^-7.

        static long encodeBf16(MemorySegment src, long n, MemorySegment codes,
                                       JavaScalarKernel.ExceptionSink sink) {
            final long end = vectorEnd(n);
            for (long i = 0; i < end; i += LANES) {
                IntVector bits = (IntVector) ShortVector.fromMemorySegment(SHORTS, src, i << 1, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_S2I, INTS, 0);
                FloatVector y = bits.and(0x7fff).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().add(0x1p16f);
                VectorMask<Integer> ok = y.compare(VectorOperators.LT, 0x1p16f + 1).cast(INTS); // false on NaN
                IntVector code = y.reinterpretAsInts().sub(ElfCodes.BF16_BASE)
                        .or(bits.lanewise(VectorOperators.LSHR, 8).and(0x80));
                if (!ok.allTrue()) {
                    code = IntVector.zero(INTS).blend(code, ok);
                    JavaScalarKernel.recordExceptions(ElfType.BF16, src, i, i + LANES, sink);
                }
                storeBytes(code, codes, i);
            }
            return end;
        }

        static long decodeBf16(MemorySegment codes, long n, MemorySegment dst) {
            final long end = vectorEnd(n);
            for (long i = 0; i < end; i += LANES) {
                IntVector code = loadBytes(codes, i);
                // q * 2^-7 is exact and normal (or zero); its float bits' top half is the bf16.
                IntVector magnitude = ((FloatVector) code.and(0x7f).convert(VectorOperators.I2F, 0)).mul(0x1p-7f)
                        .reinterpretAsInts().lanewise(VectorOperators.LSHR, 16);
                IntVector value = magnitude.or(code.lanewise(VectorOperators.LSHL, 8).and(0x8000));
                value.convertShape(VectorOperators.I2S, SHORTS, 0).reinterpretAsShorts().intoMemorySegment(dst, i << 1, LE);
            }
            return end;
        }

        // ---- F16: |x| as a float is (bits << 13) with 112 added to the exponent (a subnormal f16 becomes
        // ---- a number below 2^-14, which rounds to 0 all the same); y = 8192 + |x| rounds to 2^-10.

        static long encodeF16(MemorySegment src, long n, MemorySegment codes,
                                      JavaScalarKernel.ExceptionSink sink) {
            final long end = vectorEnd(n);
            final long rem = n;
            final long codeEnd = ElfType.F16.codeBytes(n);
            for (long i = 0; i < end; i += LANES) {
                IntVector bits = (IntVector) ShortVector.fromMemorySegment(SHORTS, src, i << 1, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_S2I, INTS, 0);
                FloatVector y = bits.and(0x7fff).lanewise(VectorOperators.LSHL, 13).add(112 << 23)
                        .reinterpretAsFloats().add(0x1p13f);
                VectorMask<Integer> ok = y.compare(VectorOperators.LT, 0x1p13f + 1).cast(INTS);
                IntVector code = y.reinterpretAsInts().sub(ElfCodes.F16_BASE)
                        .or(bits.lanewise(VectorOperators.LSHR, 5).and(0x400));
                if (!ok.allTrue()) {
                    code = IntVector.zero(INTS).blend(code, ok);
                    JavaScalarKernel.recordExceptions(ElfType.F16, src, i, i + LANES, sink);
                }
                storeBytes(code.lanewise(VectorOperators.LSHR, 3), codes, i);
                // Low 3 bits: one byte per lane, then 8 lanes (a long) packed into 3 bytes.
                LongVector low = code.convertShape(VectorOperators.I2B, BYTES, 0).reinterpretAsLongs();
                long packed = ElfCodes.pack8(low.lane(0), 3);
                if (LANES == 16) {
                    packed |= ElfCodes.pack8(low.lane(1), 3) << 24;
                }
                JavaScalarKernel.storeGroup(codes, rem + (i >>> 3) * 3, packed, LANES, 3, codeEnd);
            }
            return end;
        }

        static long decodeF16(MemorySegment codes, long n, MemorySegment dst) {
            final long end = vectorEnd(n);
            final long rem = n;
            final long codeEnd = ElfType.F16.codeBytes(n);
            for (long i = 0; i < end; i += LANES) {
                long packed = JavaScalarKernel.loadGroup(codes, rem + (i >>> 3) * 3, LANES, 3, codeEnd);
                IntVector words = IntVector.broadcast(INTS, (int) packed & 0xffffff);
                if (LANES == 16) {
                    words = words.blend((int) (packed >>> 24) & 0xffffff, SECOND_GROUP);
                }
                IntVector low = words.lanewise(VectorOperators.LSHR, F16_LOW_SHIFTS).and(7);
                IntVector code = loadBytes(codes, i).lanewise(VectorOperators.LSHL, 3).or(low);
                // q * 2^-10 * 2^-112 is exact and a normal float; its exponent bias is then f16's.
                IntVector magnitude = ((FloatVector) code.and(0x3ff).convert(VectorOperators.I2F, 0)).mul(0x1p-122f)
                        .reinterpretAsInts().lanewise(VectorOperators.LSHR, 13);
                IntVector value = magnitude.or(code.lanewise(VectorOperators.LSHL, 5).and(0x8000));
                value.convertShape(VectorOperators.I2S, SHORTS, 0).reinterpretAsShorts().intoMemorySegment(dst, i << 1, LE);
            }
            return end;
        }
    }
}
