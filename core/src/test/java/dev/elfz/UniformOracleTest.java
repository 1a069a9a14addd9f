package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.container.Verify;
import dev.elfz.kernel.JavaScalarKernel;
import dev.elfz.kernel.Kernel;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Uniform quantization through the container against FORMAT.md's formulas, written here: on real BERT-base weights in
 * every float dtype, per tensor, per channel and per group, the decompressed file equals the oracle's values bit for
 * bit. An encoder whose scale is too large, or whose zero point is one off, is caught by the oracle and by verify.
 */
class UniformOracleTest {

    @TempDir
    Path dir;

    static Stream<Arguments> settings() {
        List<Arguments> a = new ArrayList<>();
        for (Dtype d : List.of(Dtype.F32, Dtype.BF16, Dtype.F16, Dtype.F64)) {
            a.add(Arguments.of(d, Granularity.TENSOR, 0, 8, false));
            a.add(Arguments.of(d, Granularity.CHANNEL, 0, 4, false));
            a.add(Arguments.of(d, Granularity.GROUP, 32, 3, false));
        }
        a.add(Arguments.of(Dtype.F32, Granularity.CHANNEL, 0, 2, true));
        a.add(Arguments.of(Dtype.F32, Granularity.GROUP, 100, 8, true)); // groups across rows
        a.add(Arguments.of(Dtype.F32, Granularity.GROUP, 64, 1, false));
        a.add(Arguments.of(Dtype.BF16, Granularity.TENSOR, 0, 5, true));
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} bits {3} symmetric {4}")
    @MethodSource("settings")
    void theDecodedFileIsTheFormulasBitForBit(Dtype dtype, Granularity g, int size, int bits, boolean symmetric)
            throws IOException {
        Path in = TestModels.bert(dir.resolve("bert.safetensors"), dtype, new long[] {96, 768}, new long[] {40, 768});
        LossyOptions lossy = LossyOptions.NONE.withBits(bits).withSymmetric(symmetric);
        if (g != Granularity.TENSOR) {
            lossy = lossy.withGranularity(g, Math.max(1, size));
        }
        // 4 KiB chunks: rows of F64 (6 KiB) and per-tensor groups span chunks
        ElfzOptions o = ElfzOptions.defaults()
                .withCodec(CodecChoice.UNIFORM)
                .withLossy(lossy)
                .withChunkBytes(4096);
        Path z = dir.resolve("bert.elfz");
        Elfz.compress(in, z, o);
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(z, back, o);
        assertNull(mismatch(in, back, z, bits, symmetric));
        Verify.Report report = Verify.verify(in, z, o);
        assertTrue(report.ok(), report.problems().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"scale", "zero point", "channel scale"})
    void aWrongScaleOrZeroPointIsCaughtByTheOracleAndByVerify(String wrong) throws IOException {
        Path in = TestModels.bert(dir.resolve("bert.safetensors"), Dtype.F32, new long[] {96, 768});
        // per channel in 4 KiB chunks, a row (3 KiB) spans two chunks: each stores its scale, the first one doubled
        ElfzOptions o = ElfzOptions.defaults()
                .withCodec(CodecChoice.UNIFORM)
                .withChunkBytes(4096)
                .withLossy(LossyOptions.NONE
                        .withBits(4)
                        .withGranularity(wrong.equals("channel scale") ? Granularity.CHANNEL : Granularity.GROUP, 64));
        // an encoder that codes with its own wrong parameters, consistently: every value still decodes within half
        // of the scale the chunk holds, so only the formula tells
        Kernel wrongKernel = quantizingWith(
                !wrong.equals("zero point")
                        ? (scales, zeros) ->
                                scales.setAtIndex(TestModels.F32, 0, scales.getAtIndex(TestModels.F32, 0) * 2)
                        : (scales, zeros) ->
                                zeros.set(ValueLayout.JAVA_BYTE, 0, (byte) (zeros.get(ValueLayout.JAVA_BYTE, 0) - 1)));
        Path z = dir.resolve("wrong.elfz");
        Elfz.compress(in, z, o.withKernel(wrongKernel));
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(z, back, o);
        String oracle = mismatch(in, back, z, 4, false);
        assertNotNull(oracle);
        assertTrue(oracle.startsWith("tensor bert.0 value "), oracle);
        Verify.Report report = Verify.verify(in, z, o);
        assertEquals(1, report.problems().size(), report.problems().toString());
        String problem = report.problems().getFirst();
        // a zero point one off also pushes a group's extreme past its code range: that value's error may come first
        assertTrue(
                problem.matches(
                                "tensor bert\\.0: group \\d+: scale \\S+ and zero point -?\\d+, not the formula's \\S+ and "
                                        + "-?\\d+ for its values in \\[\\S+, \\S+\\]")
                        || wrong.equals("channel scale")
                                && problem.matches(
                                        "tensor bert\\.0: group \\d+: a scale and zero point that differ from chunk to chunk")
                        || wrong.equals("zero point")
                                && problem.matches(
                                        "tensor bert\\.0: value \\d+: \\S+ decoded as \\S+, error \\S+ > bound \\S+"),
                problem);
    }

    /** The Java scalar kernel, but {@code wrong} changes the first group's parameters of each chunk before it codes. */
    private static Kernel quantizingWith(BiConsumer<MemorySegment, MemorySegment> wrong) {
        Kernel k = new JavaScalarKernel();
        return (Kernel) Proxy.newProxyInstance(
                Kernel.class.getClassLoader(), new Class<?>[] {Kernel.class}, (proxy, m, args) -> {
                    if (m.getName().equals("quantize")) {
                        wrong.accept((MemorySegment) args[5], (MemorySegment) args[6]);
                    }
                    try {
                        return m.invoke(k, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The first value of a uniform tensor whose decoded bits are not the oracle's, or null. */
    private static String mismatch(Path original, Path decompressed, Path elfz, int bits, boolean symmetric)
            throws IOException {
        try (SafetensorsFile x = SafetensorsFile.open(original);
                SafetensorsFile y = SafetensorsFile.open(decompressed);
                ElfzReader r = ElfzReader.open(elfz)) {
            for (TensorInfo t : x.tensors()) {
                ElfzTensor et = r.tensor(t.name());
                assertEquals(Codec.UNIFORM, et.codec(), t.name());
                long groupSize =
                        ((Number) PromiseOracle.params(elfz).get(et.name()).get("group_size")).longValue();
                String bad = mismatch(t, x.data(t), y.data(y.tensor(t.name())), groupSize, bits, symmetric);
                if (bad != null) {
                    return bad;
                }
            }
        }
        return null;
    }

    /** The first value of tensor {@code t} whose decoded bits ({@code y}) are not the oracle's, or null. */
    static String mismatch(
            TensorInfo t, MemorySegment x, MemorySegment y, long groupSize, int bits, boolean symmetric) {
        long[] want = expected(x, t.dtype(), t.elements(), groupSize, bits, symmetric);
        for (int i = 0; i < want.length; i++) {
            if (bits(y, t.dtype(), i) != want[i]) {
                return "tensor " + t.name() + " value " + i + ": " + TestModels.get(x, t.dtype(), i) + " decoded as "
                        + TestModels.get(y, t.dtype(), i) + ", the formulas give bits 0x" + Long.toHexString(want[i]);
            }
        }
        return null;
    }

    /**
     * FORMAT.md's uniform quantization, value by value: each group's range widened to hold 0, its float32 scale
     * (Rmax - Rmin) / (Qmax - Qmin) (symmetric: max(|Rmin|, Rmax) / Qmax; 1 for a range of just 0), its zero point
     * rint(Qmax - Rmax / scale) clamped to [Qmin, Qmax] (symmetric: 0), then c = clamp(rint(x / scale) + Z, Qmin,
     * Qmax) in float32 (float64 for F64) and (c - Z) * scale rounded half to even to the dtype. Returns the bits.
     */
    static long[] expected(MemorySegment x, Dtype d, long n, long groupSize, int bits, boolean symmetric) {
        int qmin = -(1 << (bits - 1));
        int qmax = (1 << (bits - 1)) - 1;
        long[] out = new long[(int) n];
        for (long from = 0; from < n; from += groupSize) {
            long to = Math.min(n, from + groupSize);
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (long i = from; i < to; i++) {
                lo = Math.min(lo, TestModels.get(x, d, i));
                hi = Math.max(hi, TestModels.get(x, d, i));
            }
            float rmin = Math.min((float) lo, 0f);
            float rmax = Math.max((float) hi, 0f);
            float scale = symmetric ? Math.max(-rmin, rmax) / qmax : (rmax - rmin) / (qmax - qmin);
            if (scale == 0) {
                scale = 1;
            }
            int z = symmetric ? 0 : (int) Math.max(qmin, Math.min(qmax, Math.rint(qmax - rmax / (double) scale)));
            for (long i = from; i < to; i++) {
                double v = TestModels.get(x, d, i);
                double q = d == Dtype.F64 ? Math.rint(v / scale) : Math.rint((float) v / scale);
                int level = (int) Math.max(qmin, Math.min(qmax, q + z)) - z;
                out[(int) i] = switch (d) {
                    case F64 -> Double.doubleToRawLongBits(level * (double) scale);
                    case F32 -> Float.floatToRawIntBits(level * scale);
                    case F16 -> Float.floatToFloat16(level * scale) & 0xffff;
                    default -> bf16(level * scale);
                };
            }
        }
        return out;
    }

    /** A float32 rounded half to even to bfloat16 (the top 16 bits), finite values only. */
    private static long bf16(float f) {
        int b = Float.floatToRawIntBits(f);
        int lower = b & 0xffff;
        int upper = b >>> 16;
        boolean up = lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1);
        return (upper + (up ? 1 : 0)) & 0xffff;
    }

    private static long bits(MemorySegment s, Dtype d, long i) {
        return switch (d) {
            case F64 -> Double.doubleToRawLongBits(s.getAtIndex(TestModels.F64, i));
            case F32 -> Float.floatToRawIntBits(s.getAtIndex(TestModels.F32, i));
            default -> s.getAtIndex(TestModels.U16, i) & 0xffff;
        };
    }
}
