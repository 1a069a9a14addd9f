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
 * Error-bound grid codes of 1 MiB of BERT-base's weights (in cache), one thread, per implementation: encode and decode
 * with step = 2 * bound. F32 is the weights as they are; F64 the same 1 MiB of bytes holding half as many of them,
 * widened. One operation is one byte of values (input of encode, output of decode), so ops/us reads as MB/s. Data as
 * in {@link ElfKernelBenchmark} ({@code -Delfz.bert.jar}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GridBenchmark {

    static final int BYTES = 1 << 20;

    @Param({"native-avx2", "native-scalar", "java-vector", "java-scalar"})
    String impl;

    @Param({"F32", "F64"})
    ElfType type;

    @Param({"1e-3"})
    double bound;

    @Param({"bert"})
    String data;

    private final Arena arena = Arena.ofShared();
    private Kernel kernel;
    private MemorySegment src;
    private MemorySegment codes;
    private MemorySegment excPos;
    private MemorySegment excBits;
    private MemorySegment dst;
    private long n;
    private long exceptions;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (type != ElfType.F32 && type != ElfType.F64) {
            throw new IllegalArgumentException("grid codes are for F32 and F64");
        }
        kernel = ElfKernelBenchmark.kernel(impl);
        n = BYTES / type.valueBytes();
        MemorySegment f32 = ElfKernelBenchmark.weights(data, n, arena);
        if (type == ElfType.F32) {
            src = f32;
        } else {
            src = arena.allocate(BYTES, 64);
            for (long i = 0; i < n; i++) {
                src.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, f32.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
            }
        }
        codes = arena.allocate(4 * n, 64);
        excPos = arena.allocate(n * 8, 64);
        excBits = arena.allocate(n * type.valueBytes(), 64);
        dst = arena.allocate(BYTES, 64);
        exceptions = encode();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BYTES)
    public long encode() {
        return kernel.gridEncode(type, src, n, 2 * bound, bound, codes, excPos, excBits, n, 0);
    }

    @Benchmark
    @OperationsPerInvocation(BYTES)
    public MemorySegment decode() {
        kernel.gridDecode(type, codes, n, 2 * bound, dst, excPos, excBits, exceptions, 0);
        return dst;
    }
}
