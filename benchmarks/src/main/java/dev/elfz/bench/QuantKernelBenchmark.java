package dev.elfz.bench;

import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * 4-bit uniform quantization of 16 MiB of float32 weights, one thread, in memory, per implementation: quantize
 * then bit-pack, and unpack then dequantize, as a codec stores and loads them. One operation is one byte of
 * float32 (input of quantize, output of dequantize), so the score in ops/us reads as MB/s.
 *
 * <p>Layouts: {@code group32} has a scale per 32 values (absmax / 7, symmetric, zero point 0), {@code tensor}
 * one scale for all. Data as in {@link ElfKernelBenchmark} ({@code -Delfz.bert.jar} for {@code bert}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class QuantKernelBenchmark {

    static final int BYTES = 16 << 20;
    static final int BITS = 4;

    @Param({"native-avx512", "native-avx2", "native-scalar", "java-vector", "java-scalar"})
    String impl;

    @Param({"group32", "tensor"})
    String layout;

    @Param({"bert"})
    String data;

    private final Arena arena = Arena.ofShared();
    private Kernel kernel;
    private MemorySegment src;
    private MemorySegment scales;
    private MemorySegment zeros;
    private MemorySegment codes;
    private MemorySegment packed;
    private MemorySegment dst;
    private long n;
    private long groupSize;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        kernel = ElfKernelBenchmark.kernel(impl);
        n = BYTES / Float.BYTES;
        src = ElfKernelBenchmark.weights(data, n, arena);
        groupSize = layout.equals("group32") ? 32 : n;
        long groups = Kernel.groups(n, groupSize, 0);
        scales = arena.allocate(groups * Float.BYTES, 64);
        zeros = arena.allocate(groups, 64); // symmetric: zero points 0
        for (long g = 0; g < groups; g++) {
            float max = 0;
            for (long i = g * groupSize; i < Math.min(n, (g + 1) * groupSize); i++) {
                max = Math.max(max, Math.abs(src.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)));
            }
            scales.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, g, max == 0 ? 1 : max / ((1 << (BITS - 1)) - 1));
        }
        codes = arena.allocate(n, 64);
        packed = arena.allocate(Kernel.packedBytes(n, BITS), 64);
        dst = arena.allocate(BYTES, 64);
        quantizePack();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BYTES)
    public MemorySegment quantizePack() {
        kernel.quantize(ElfType.F32, src, n, groupSize, 0, scales, zeros, BITS, codes);
        kernel.packBits(codes, n, BITS, packed);
        return packed;
    }

    @Benchmark
    @OperationsPerInvocation(BYTES)
    public MemorySegment unpackDequantize() {
        kernel.unpackBits(packed, n, BITS, codes);
        kernel.dequantize(ElfType.F32, codes, n, groupSize, 0, scales, zeros, BITS, dst);
        return dst;
    }
}
