package dev.elfz.bench;

import dev.elfz.kernel.ElfType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Error-bound grid codes per implementation: encode and decode with step = 2 * bound. F32 is BERT-base's weights as
 * they are; F64 the same values widened ({@code size} bytes of them, so half as many). GB/s of values (input of encode,
 * output of decode). Size and memory as in {@link KernelBench}; data as in {@link ElfKernelBenchmark}
 * ({@code -Delfz.bert.jar}).
 */
public class GridBenchmark extends ImplBench {

    @Param({"F32"})
    public ElfType type;

    @Param({"1e-3"})
    public double bound;

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
        open();
        n = bytes / type.valueBytes();
        src = copy(convert(weights(data, n), type));
        codes = allocate(4 * n);
        excPos = allocate(n * 8);
        excBits = allocate(n * type.valueBytes());
        dst = allocate(bytes);
        exceptions = encode(new Bytes());
    }

    @Benchmark
    public long encode(Bytes count) {
        count.bytes += bytes;
        return kernel.gridEncode(type, src, n, 2 * bound, bound, codes, excPos, excBits, n, 0);
    }

    @Benchmark
    public MemorySegment decode(Bytes count) {
        count.bytes += bytes;
        kernel.gridDecode(type, codes, n, 2 * bound, dst, excPos, excBits, exceptions, 0);
        return dst;
    }
}
