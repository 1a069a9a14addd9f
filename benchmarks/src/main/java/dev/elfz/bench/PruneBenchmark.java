package dev.elfz.bench;

import dev.elfz.codec.prune.MagnitudeSelect;
import dev.elfz.io.InputChangedException;
import dev.elfz.kernel.ElfType;
import java.io.IOException;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The pruning threshold select ({@link MagnitudeSelect#threshold}: the magnitude below which {@code fraction} of the
 * values lie, a two-pass radix select) over one tensor of {@code size} bytes. It is plain Java with no native or
 * vector twin, so {@code impl} has the one value java-scalar. GB/s of values. Memory as in {@link KernelBench}; data as
 * in {@link ElfKernelBenchmark} ({@code -Delfz.bert.jar}).
 */
public class PruneBenchmark extends KernelBench {

    @Param({"java-scalar"})
    public String impl;

    @Param({"F32"})
    public ElfType type;

    @Param({"0.5"})
    public double fraction;

    @Param({"bert"})
    public String data;

    private List<MagnitudeSelect.Values> values;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (!impl.equals("java-scalar")) {
            throw new IllegalArgumentException("the threshold select is plain Java only (impl=java-scalar)");
        }
        open();
        values = List.of(new MagnitudeSelect.Values(
                type, copy(convert(weights(data, bytes / type.valueBytes()), type))));
    }

    @Benchmark
    public float threshold(Bytes count) throws InputChangedException {
        count.bytes += bytes;
        return MagnitudeSelect.threshold(values, fraction);
    }
}
