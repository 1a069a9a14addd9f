package dev.elfz.bench;

import dev.elfz.kernel.Kernel;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The entropy stage: one byte plane of {@code size} bytes, the exponent plane (plane 3 of the rotated split, FORMAT.md
 * "lossless chunks") of {@code size} float32 weights, Huffman-coded in 4 streams. GB/s of plane bytes (input of
 * encode, output of decode). Memory as in {@link KernelBench}.
 *
 * <p>The C coder does not depend on the ISA and the Java kernels share one reference, so native-avx2 and java-scalar
 * stand for all. Data as in {@link ElfKernelBenchmark} ({@code -Delfz.bert.jar} for {@code bert}). The compressed
 * size is printed once per trial.
 */
public class EntropyBenchmark extends KernelBench {

    @Param({"native-avx2", "java-scalar"})
    public String impl;

    @Param({"bert"})
    public String data;

    private Kernel kernel;
    private MemorySegment plane;
    private MemorySegment stored;
    private MemorySegment dst;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        open();
        kernel = kernel(impl);
        MemorySegment weights = weights(data, bytes);
        MemorySegment planes = arena.allocate(4L * bytes, 64);
        kernel.planesSplit(weights, bytes, 4, true, planes);
        plane = copy(planes.asSlice(3L * bytes, bytes));
        MemorySegment out = arena.allocate(Kernel.entropyBound(bytes), 64);
        long compressed = kernel.entropyEncode(plane, bytes, out);
        stored = copy(out.asSlice(0, compressed));
        dst = allocate(Kernel.entropyBound(bytes)); // encode needs the bound, decode the plane
        System.out.printf(
                "%n%s, %s exponent plane: %d bytes -> %d (mode %d, %.3f bits/byte)%n",
                impl, data, bytes, compressed, out.get(ValueLayout.JAVA_BYTE, 0), 8.0 * compressed / bytes);
    }

    @Benchmark
    public long encode(Bytes count) {
        count.bytes += bytes;
        return kernel.entropyEncode(plane, bytes, dst);
    }

    @Benchmark
    public MemorySegment decode(Bytes count) {
        count.bytes += bytes;
        kernel.entropyDecode(stored, bytes, dst);
        return dst;
    }
}
