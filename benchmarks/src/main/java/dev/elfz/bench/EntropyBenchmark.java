package dev.elfz.bench;

import dev.elfz.kernel.Kernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * Entropy coding of one 1 MiB byte plane, one thread, in memory: the exponent plane (plane 3 of the rotated
 * split, FORMAT.md "lossless chunks") of 1 Mi float32 weights, Huffman-coded in 4 streams. One operation is one
 * plane byte (input of encode, output of decode), so the score in ops/us reads as MB/s.
 *
 * <p>The C coder does not depend on the ISA and the Java kernels share one reference, so native-avx2 and
 * java-scalar stand for all. Data as in {@link ElfKernelBenchmark} ({@code -Delfz.bert.jar} for {@code bert}).
 * The compressed size is printed once per trial.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EntropyBenchmark {

    static final int BYTES = 1 << 20;

    @Param({"native-avx2", "java-scalar"})
    String impl;

    @Param({"bert", "synthetic"})
    String data;

    private final Arena arena = Arena.ofShared();
    private Kernel kernel;
    private MemorySegment plane;
    private MemorySegment stored;
    private MemorySegment dst;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        kernel = ElfKernelBenchmark.kernel(impl);
        MemorySegment weights = ElfKernelBenchmark.weights(data, BYTES, arena);
        MemorySegment planes = arena.allocate(4L * BYTES, 64);
        kernel.planesSplit(weights, BYTES, 4, true, planes);
        plane = planes.asSlice(3L * BYTES, BYTES);
        MemorySegment out = arena.allocate(Kernel.entropyBound(BYTES), 64);
        long size = kernel.entropyEncode(plane, BYTES, out);
        stored = out.asSlice(0, size);
        dst = arena.allocate(Kernel.entropyBound(BYTES), 64); // encode needs the bound, decode the plane
        System.out.printf("%n%s, %s exponent plane: %d bytes -> %d (mode %d, %.3f bits/byte)%n", impl, data, BYTES,
                size, out.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0), 8.0 * size / BYTES);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BYTES)
    public long encode() {
        return kernel.entropyEncode(plane, BYTES, dst);
    }

    @Benchmark
    @OperationsPerInvocation(BYTES)
    public MemorySegment decode() {
        kernel.entropyDecode(stored, BYTES, dst);
        return dst;
    }
}
