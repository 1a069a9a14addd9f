package dev.elfz.bench;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Byte planes per implementation: split and join with the rotation that lossless chunks use, the bytes of BERT-base's
 * float32 weights taken as values of {@code width} bytes: 2 (bf16/f16), 4 (f32) or 8 (f64). GB/s of values. Size and
 * memory as in {@link KernelBench}; data as in {@link ElfKernelBenchmark} ({@code -Delfz.bert.jar}).
 */
public class PlanesBenchmark extends ImplBench {

    @Param({"2", "4"})
    public int width;

    private MemorySegment src;
    private MemorySegment planes;
    private MemorySegment dst;
    private long n;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        open();
        src = copy(weights(data, bytes / Float.BYTES));
        n = bytes / width;
        planes = allocate(bytes);
        dst = allocate(bytes);
        split(new Bytes());
    }

    @Benchmark
    public MemorySegment split(Bytes count) {
        count.bytes += bytes;
        kernel.planesSplit(src, n, width, true, planes);
        return planes;
    }

    @Benchmark
    public MemorySegment join(Bytes count) {
        count.bytes += bytes;
        kernel.planesJoin(planes, n, width, true, dst);
        return dst;
    }
}
