package dev.elfz.bench;

import dev.elfz.kernel.ElfType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;

/**
 * Non-uniform (k-means) quantization per implementation, 4 bits: bucketize (float32 to the index of its cell among 15
 * sorted bounds) and lookup (code to its centroid); GB/s of float32 (input of bucketize, output of lookup). The
 * centroids are the 16 quantiles' midpoints of a sample of the data, the bounds halfway between them, as a trained
 * codebook would roughly place them. Size and memory as in {@link KernelBench}.
 */
public class KMeansBenchmark extends ImplBench {

    static final int BITS = 4;

    private MemorySegment src;
    private MemorySegment bounds;
    private MemorySegment table;
    private MemorySegment codes;
    private MemorySegment dst;
    private long n;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        open();
        n = bytes / Float.BYTES;
        MemorySegment f32 = weights(data, n);
        int k = 1 << BITS;
        float[] sample = new float[(int) Math.min(n, 1 << 16)];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = f32.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i * (n / sample.length));
        }
        Arrays.sort(sample);
        float[] centroids = new float[k];
        for (int c = 0; c < k; c++) {
            centroids[c] = sample[(int) ((c + 0.5) * sample.length / k)];
        }
        MemorySegment t = arena.allocate((long) k * Float.BYTES, 64),
                b = arena.allocate((long) (k - 1) * Float.BYTES, 64);
        for (int c = 0; c < k; c++) {
            t.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, c, centroids[c]);
            if (c > 0) {
                b.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, c - 1, (centroids[c - 1] + centroids[c]) / 2);
            }
        }
        src = copy(f32);
        table = copy(t);
        bounds = copy(b);
        codes = allocate(n);
        dst = allocate(bytes);
        bucketize(new Bytes());
    }

    @Benchmark
    public MemorySegment bucketize(Bytes count) {
        count.bytes += bytes;
        kernel.bucketize(ElfType.F32, src, n, bounds, (1 << BITS) - 1, codes);
        return codes;
    }

    @Benchmark
    public MemorySegment lookup(Bytes count) {
        count.bytes += bytes;
        kernel.lookup(ElfType.F32, codes, n, table, BITS, dst);
        return dst;
    }
}
