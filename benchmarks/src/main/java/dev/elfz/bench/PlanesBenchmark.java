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
 * Byte planes of 1 MiB of BERT-base's float32 weights (in cache), one thread, per implementation: split and join with
 * the rotation that lossless chunks use, as values of 2 (bf16/f16), 4 (f32) or 8 (f64) bytes. One operation is one
 * byte of values, so the score in ops/us reads as MB/s. Data as in {@link ElfKernelBenchmark}
 * ({@code -Delfz.bert.jar}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PlanesBenchmark {

    static final int BYTES = 1 << 20;

    @Param({"native-avx2", "native-scalar", "java-vector", "java-scalar"})
    String impl;

    @Param({"2", "4", "8"})
    int width;

    @Param({"bert"})
    String data;

    private final Arena arena = Arena.ofShared();
    private Kernel kernel;
    private MemorySegment src;
    private MemorySegment planes;
    private MemorySegment dst;
    private long n;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        kernel = ElfKernelBenchmark.kernel(impl);
        src = ElfKernelBenchmark.weights(data, BYTES / Float.BYTES, arena);
        n = BYTES / width;
        planes = arena.allocate(BYTES, 64);
        dst = arena.allocate(BYTES, 64);
        split();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BYTES)
    public MemorySegment split() {
        kernel.planesSplit(src, n, width, true, planes);
        return planes;
    }

    @Benchmark
    @OperationsPerInvocation(BYTES)
    public MemorySegment join() {
        kernel.planesJoin(planes, n, width, true, dst);
        return dst;
    }
}
