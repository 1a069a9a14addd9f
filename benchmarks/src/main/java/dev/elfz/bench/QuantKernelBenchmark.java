package dev.elfz.bench;

import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * 4-bit uniform quantization of float32 weights per implementation: quantize (floats to one code byte each) and
 * dequantize (back); GB/s of float32 (input of quantize, output of dequantize). Bit packing of the codes is
 * {@link PackBenchmark}. Size and memory as in {@link KernelBench}.
 *
 * <p>Layouts: {@code group32} has a scale per 32 values (absmax / 7, symmetric, zero point 0), {@code tensor}
 * one scale for all. Data as in {@link ElfKernelBenchmark} ({@code -Delfz.bert.jar} for {@code bert}).
 */
public class QuantKernelBenchmark extends ImplBench {

    static final int BITS = 4;

    @Param({"group32"})
    public String layout;

    private MemorySegment src;
    private MemorySegment scales;
    private MemorySegment zeros;
    private MemorySegment codes;
    private MemorySegment dst;
    private long n;
    private long groupSize;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        open();
        n = bytes / Float.BYTES;
        MemorySegment f32 = weights(data, n);
        groupSize = switch (layout) {
            case "group32" -> 32;
            case "tensor" -> n;
            default -> throw new IllegalArgumentException("layout " + layout + " is not group32 or tensor");
        };
        long groups = Kernel.groups(n, groupSize, 0);
        MemorySegment s = arena.allocate(groups * Float.BYTES, 64);
        for (long g = 0; g < groups; g++) {
            float max = 0;
            for (long i = g * groupSize; i < Math.min(n, (g + 1) * groupSize); i++) {
                max = Math.max(max, Math.abs(f32.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)));
            }
            s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, g, max == 0 ? 1 : max / ((1 << (BITS - 1)) - 1));
        }
        src = copy(f32);
        scales = copy(s);
        zeros = allocate(groups); // symmetric: zero points 0
        codes = allocate(n);
        dst = allocate(bytes);
        quantize(new Bytes());
    }

    @Benchmark
    public MemorySegment quantize(Bytes count) {
        count.bytes += bytes;
        kernel.quantize(ElfType.F32, src, n, groupSize, 0, scales, zeros, BITS, codes);
        return codes;
    }

    @Benchmark
    public MemorySegment dequantize(Bytes count) {
        count.bytes += bytes;
        kernel.dequantize(ElfType.F32, codes, n, groupSize, 0, scales, zeros, BITS, dst);
        return dst;
    }
}
