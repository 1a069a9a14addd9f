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
 * Bit packing per implementation: {@code width}-bit codes (one byte each) packed and unpacked; GB/s of code bytes
 * ({@code size} is their count: the input of pack, the output of unpack). The codes are BERT-base's weights
 * quantized to {@code width} bits with one scale (as {@link QuantKernelBenchmark}'s {@code tensor} layout), so their
 * distribution is a real one (the codes of {@code size / 4} values, repeated). Memory as in {@link KernelBench}.
 */
public class PackBenchmark extends ImplBench {

    @Param({"4"})
    public int width;

    private MemorySegment codes;
    private MemorySegment packed;
    private MemorySegment dst;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        open();
        long n = bytes / 4; // the codes of a quarter of the size in float32, four times over: the setup stays short
        MemorySegment f32 = weights(data, n);
        float max = 0;
        for (long i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(f32.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)));
        }
        MemorySegment scale = arena.allocate(Float.BYTES, 64);
        scale.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, width == 1 || max == 0 ? 1 : max / ((1 << (width - 1)) - 1));
        MemorySegment c = arena.allocate(bytes, 64);
        kernel.quantize(ElfType.F32, f32, n, n, 0, scale, arena.allocate(1), width, c);
        for (long copy = 1; copy < 4; copy++) {
            c.asSlice(copy * n, n).copyFrom(c.asSlice(0, n));
        }
        codes = copy(c);
        packed = allocate(Kernel.packedBytes(bytes, width));
        dst = allocate(bytes);
        pack(new Bytes());
    }

    @Benchmark
    public long pack(Bytes count) {
        count.bytes += bytes;
        return kernel.packBits(codes, bytes, width, packed);
    }

    @Benchmark
    public MemorySegment unpack(Bytes count) {
        count.bytes += bytes;
        kernel.unpackBits(packed, bytes, width, dst);
        return dst;
    }
}
