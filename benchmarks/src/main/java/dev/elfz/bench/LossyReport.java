package dev.elfz.bench;

import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import dev.elfz.Granularity;
import dev.elfz.LossyOptions;
import dev.elfz.container.Verify;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Every quantization and pruning mode on one model, through the library: the on-disk ratio, the ideal
 * ratio of the codec's size formula, the errors `elfz verify` measures (over all float tensors), and the time to compress
 * with two threads (planning included: thresholds, codebooks). Markdown rows.
 *
 * <pre>LossyReport FILE.safetensors WORKDIR</pre>
 */
public final class LossyReport {

    private LossyReport() {}

    private record Mode(String name, CodecChoice codec, LossyOptions lossy) {}

    public static void main(String[] args) throws IOException {
        Path in = Path.of(args[0]);
        Path z = Path.of(args[1]).resolve("lossy.elfz");
        LossyOptions none = LossyOptions.NONE;
        Granularity group = Granularity.GROUP;
        Mode[] modes = {
            new Mode("elf", CodecChoice.ELF, none),
            new Mode("uniform 8-bit, per tensor", CodecChoice.UNIFORM, none.withBits(8)),
            new Mode(
                    "uniform 8-bit, per channel",
                    CodecChoice.UNIFORM,
                    none.withBits(8).withGranularity(Granularity.CHANNEL, 32)),
            new Mode(
                    "uniform 4-bit, groups of 32",
                    CodecChoice.UNIFORM,
                    none.withBits(4).withGranularity(group, 32)),
            new Mode(
                    "uniform 4-bit, groups of 32, symmetric",
                    CodecChoice.UNIFORM,
                    none.withBits(4).withGranularity(group, 32).withSymmetric(true)),
            new Mode("k-means 4-bit", CodecChoice.KMEANS, none.withBits(4)),
            new Mode("prune 50% + elf", CodecChoice.ELF, none.withPruneFraction(0.5)),
            new Mode(
                    "prune 50% + uniform 4-bit, groups of 32",
                    CodecChoice.UNIFORM,
                    none.withBits(4).withGranularity(group, 32).withPruneFraction(0.5)),
            new Mode(
                    "prune 90% + k-means 4-bit",
                    CodecChoice.KMEANS, none.withBits(4).withPruneFraction(0.9)),
        };
        double size = Files.size(in);
        for (Mode m : modes) {
            ElfzOptions o = ElfzOptions.defaults()
                    .withCodec(m.codec())
                    .withLossy(m.lossy())
                    .withOverwrite(true)
                    .withThreads(2);
            long t0 = System.nanoTime();
            Elfz.compress(in, z, o);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double original = 0;
            double ideal = 0;
            try (ElfzReader r = ElfzReader.open(z)) {
                for (ElfzTensor t : r.tensors()) {
                    original += t.byteSize();
                    ideal += t.byteSize() / r.idealRatio(t);
                }
            }
            Verify.Report v = Verify.verify(in, z, o);
            if (!v.ok()) {
                throw new IllegalStateException(m.name() + ": " + v.problems().getFirst());
            }
            double sse = 0;
            double count = 0;
            double max = 0;
            for (Verify.Check c : v.checks()) {
                if (c.kind() == Verify.Kind.TENSOR && c.dtype().elfType() != null) {
                    double n = c.bytes() / (double) c.dtype().elfType().valueBytes();
                    sse += c.rmse() * c.rmse() * n;
                    count += n;
                    max = Math.max(max, c.maxError());
                }
            }
            System.out.printf(
                    "| %s | %.3f | %.3f | %.3g | %.3g | %.1f |%n",
                    m.name(), size / Files.size(z), original / ideal, max, Math.sqrt(sse / count), seconds);
        }
        Files.deleteIfExists(z);
    }
}
