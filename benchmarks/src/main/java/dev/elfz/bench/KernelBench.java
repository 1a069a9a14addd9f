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
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every kernel benchmark shares: one thread, throughput, the {@code size} of the data and the {@code memory}
 * its buffers live in, and a byte counter that JMH turns into the throughput the reports show.
 *
 * <p>{@code size} is the bytes of the kernel's uncompressed side (the values; for bit packing the one-byte codes;
 * for the entropy stage the plane), 4KiB to 64MiB. {@code memory}: {@code heap} (segments of Java arrays: native
 * kernels take them in place through critical downcalls), {@code mapped} (every buffer a memory-mapped temporary
 * file, the data written to it first, as the product maps its files) or {@code native} ({@code Arena}-allocated).
 *
 * <p>Each benchmark method adds {@code size} to {@link Bytes#bytes}, an {@link AuxCounters} counter of type
 * OPERATIONS: JMH reports it as the secondary metric {@code bytes} in bytes/us, i.e. MB/s, next to the primary
 * (calls/us). {@link KernelReport} prints it as GB/s.
 *
 * <p>Warm-up: until C2 compiles them (about a second of calls at any size but the smallest), the Java Vector kernels
 * run a thousand times slower than compiled, so 4 x 300 ms; then 3 x 800 ms measured, one fork (run.sh: 380 cases).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 4, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 3, time = 800, timeUnit = TimeUnit.MILLISECONDS)
public abstract class KernelBench {

    /** The sizes a run can ask for with {@code -p size=...}; the default set is what run.sh measures. */
    static final String SIZES = "4KiB, 64KiB, 1MiB, 16MiB, 64MiB";

    @Param({"4KiB", "16MiB"})
    public String size;

    @Param({"heap", "mapped"})
    public String memory;

    /** The data size in bytes. */
    protected long bytes;

    /** Off-heap scratch of the setup (the data before it is copied to {@link #memory}), and the mapped buffers. */
    protected final Arena arena = Arena.ofShared();

    /** Counts the bytes a benchmark method went through: JMH's "bytes" metric, in MB/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    /** Parses {@link #size}; the subclass's setup calls it first. */
    protected void open() {
        bytes = bytes(size);
    }

    @TearDown(Level.Trial)
    public void close() {
        arena.close();
    }

    /** "4KiB", "16MiB", "1GiB" or a plain number of bytes. */
    static long bytes(String size) {
        String s = size.trim();
        long unit = 1;
        for (String[] u : new String[][] {{"KiB", "1024"}, {"MiB", "1048576"}, {"GiB", "1073741824"}}) {
            if (s.endsWith(u[0])) {
                unit = Long.parseLong(u[1]);
                s = s.substring(0, s.length() - u[0].length());
                break;
            }
        }
        long n = Long.parseLong(s) * unit;
        if (n <= 0 || n % 8 != 0) {
            throw new IllegalArgumentException(
                    "size " + size + " is not a positive multiple of 8 bytes (" + SIZES + ")");
        }
        return n;
    }

    /** A zeroed buffer of {@code n} bytes in {@link #memory}, 8-byte aligned at least. */
    protected MemorySegment allocate(long n) throws IOException {
        return switch (memory) {
            case "heap" ->
                MemorySegment.ofArray(new long[Math.toIntExact((n + 7) / 8)]).asSlice(0, n);
            case "native" -> arena.allocate(n, 64);
            case "mapped" -> {
                Path file = Files.createTempFile("elfz-bench", ".bin");
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    yield ch.map(FileChannel.MapMode.READ_WRITE, 0, Math.max(n, 1), arena)
                            .asSlice(0, n);
                } finally {
                    Files.delete(file); // the mapping stays until the arena closes
                }
            }
            default -> throw new IllegalArgumentException("memory " + memory + " is not heap, mapped or native");
        };
    }

    /** A copy of {@code data} in {@link #memory}. */
    protected MemorySegment copy(MemorySegment data) throws IOException {
        return allocate(data.byteSize()).copyFrom(data);
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
        return switch (data) {
            case "bert" -> bert(values, arena);
            case "synthetic" -> SyntheticWeights.gaussian(arena, new SplittableRandom(7), values, 0, 0.05);
            default -> throw new IllegalArgumentException("data " + data + " is not bert or synthetic");
        };
    }

    private static MemorySegment bert(long values, Arena arena) throws IOException {
        String jar = System.getProperty("elfz.bert.jar");
        if (jar == null) {
            throw new IllegalStateException(
                    "-Delfz.bert.jar=<path of " + BertWeights.ARTIFACT + "> is needed for data=bert");
        }
        if (values * 4 > BertWeights.DATA_BYTES) {
            throw new IllegalArgumentException(
                    "BERT-base has " + BertWeights.DATA_BYTES + " bytes of weights, not " + values * 4);
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

    /** {@code n} float32 weights of {@code data}, off-heap in {@link #arena}. */
    protected MemorySegment weights(String data, long n) throws IOException {
        return weights(data, n, arena);
    }

    /** {@code f32}'s values as {@code type} (F32, F64, F16 or BF16, rounded half to even), off-heap in {@link #arena}. */
    protected MemorySegment convert(MemorySegment f32, ElfType type) {
        if (type == ElfType.F32) {
            return f32;
        }
        long n = f32.byteSize() / Float.BYTES;
        MemorySegment out = arena.allocate(n * type.valueBytes(), 64);
        for (long i = 0; i < n; i++) {
            float x = f32.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            switch (type) {
                case F64 -> out.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, x);
                case F16 -> out.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(x));
                case BF16 -> out.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, ElfType.toBf16(x));
                default -> throw new IllegalArgumentException(type + " is not a float type");
            }
        }
        return out;
    }
}
