package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.container.Verify;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random wide-range tensors of every float dtype through every lossy codec: each decoded value is within what its
 * codec promises ({@link PromiseOracle}), or the tensor fell back to its value codec; verify agrees.
 */
class LossyPromiseTest {

    @TempDir
    Path dir;

    private static final double[] MAX = {Float.MAX_VALUE, 65504, 3.3895314e38, Double.MAX_VALUE}; // F32 F16 BF16 F64
    private static final List<Dtype> DTYPES = List.of(Dtype.F32, Dtype.F16, Dtype.BF16, Dtype.F64);

    /** Tensors of one dtype: each of a random kind (normal at any magnitude, values near max, subnormals, mixed). */
    private Path model(Dtype d, long seed) throws IOException {
        double max = MAX[DTYPES.indexOf(d)];
        double tiny = switch (d) {
            case F32 -> Float.MIN_VALUE;
            case F16 -> 0x1p-24;
            case BF16 -> 0x1p-133;
            default -> Double.MIN_VALUE;
        };
        SplittableRandom r = new SplittableRandom(seed);
        List<TensorSpec> specs = new ArrayList<>();
        for (int t = 0; t < 10; t++) {
            specs.add(new TensorSpec("t" + t, d, new long[] {8, 64}));
        }
        Path p = dir.resolve(d.name() + seed + ".safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(p, specs, Map.of(), false)) {
            for (int t = 0; t < specs.size(); t++) {
                MemorySegment m = w.region(t);
                int kind = r.nextInt(5);
                double sigma = Math.exp(r.nextDouble(Math.log(tiny), Math.log(max / 4))); // any magnitude of the type
                for (long i = 0; i < 512; i++) {
                    double x = switch (kind) {
                        case 0 -> r.nextGaussian() * sigma;
                        case 1 ->
                            r.nextInt(16) == 0
                                    ? (r.nextBoolean() ? max : -max) * (1 - r.nextDouble(1e-3))
                                    : r.nextGaussian() * sigma;
                        case 2 -> tiny * r.nextInt(-300, 300); // subnormals
                        case 3 -> r.nextBoolean() ? tiny * r.nextInt(-9, 9) : r.nextGaussian() * max / 4;
                        default -> r.nextGaussian() * (i % 64 == 0 ? max / 2 : 1e-3); // one huge column
                    };
                    TestModels.set(m, d, i, x);
                }
            }
            w.commit();
        }
        return p;
    }

    private record Setting(String name, ElfzOptions options) {}

    private static List<Setting> settings(Dtype d) {
        LossyOptions l = LossyOptions.NONE.withSelection(List.of(), List.of(), 16);
        ElfzOptions u = ElfzOptions.defaults()
                .withCodec(CodecChoice.UNIFORM)
                .withChunkBytes(1024)
                .withThreads(1);
        ElfzOptions k = u.withCodec(CodecChoice.KMEANS);
        List<Setting> s = new ArrayList<>();
        for (int bits : new int[] {1, 3, 8}) {
            s.add(new Setting("uniform " + bits, u.withLossy(l.withBits(bits))));
        }
        s.add(new Setting("uniform symmetric", u.withLossy(l.withBits(4).withSymmetric(true))));
        s.add(new Setting("uniform channel", u.withLossy(l.withBits(3).withGranularity(Granularity.CHANNEL, 64))));
        s.add(new Setting("uniform group 2", u.withLossy(l.withBits(8).withGranularity(Granularity.GROUP, 2))));
        s.add(new Setting(
                "uniform group 32 pruned",
                u.withLossy(l.withBits(4).withGranularity(Granularity.GROUP, 32).withPruneFraction(0.3))));
        s.add(new Setting("kmeans 8 pruned", k.withLossy(l.withBits(8).withPruneThreshold(1e-30))));
        if (d == Dtype.F32 || d == Dtype.F64) {
            for (double e : new double[] {1e-3, 1e300, 1e308}) {
                s.add(new Setting(
                        "error bound " + e,
                        ElfzOptions.defaults().withErrorBound(e).withChunkBytes(1024)));
            }
        }
        return s;
    }

    @Test
    void decodedWithinThePromiseOrLeftToTheValueCodec() throws IOException {
        Map<Dtype, int[]> seen = new EnumMap<>(Dtype.class); // tensors quantized, left out
        for (Dtype d : DTYPES) {
            int[] counts = seen.computeIfAbsent(d, x -> new int[2]);
            for (Setting s : settings(d)) {
                Path in = model(d, s.name().hashCode());
                Path z = dir.resolve("m.elfz");
                Path back = dir.resolve("back.safetensors");
                Elfz.compress(in, z, s.options().withOverwrite(true));
                Elfz.decompress(z, back, s.options().withOverwrite(true));
                String what = d + ", " + s.name();
                assertNull(PromiseOracle.check(in, back, z), what);
                Verify.Report v = Verify.verify(in, z, s.options());
                assertTrue(v.ok(), what + ": " + v.problems());
                if (s.options().codec() == CodecChoice.UNIFORM) {
                    for (Verify.Check c : v.checks()) {
                        if (c.kind() == Verify.Kind.TENSOR) {
                            counts[c.codec() == Codec.UNIFORM || c.codec() == Codec.PRUNE ? 0 : 1]++;
                        }
                    }
                }
                Files.delete(in);
            }
        }
        seen.forEach((d, c) -> assertTrue(
                c[0] > 0 && c[1] > 0, d + ": both quantized and left-out tensors, " + c[0] + " and " + c[1]));
    }

    /**
     * The planner reads a tensor 1 MiB at a time (131,072 F64 values): a group of 1,000 across that boundary whose
     * scale overflows only with both its halves' extremes (-2e38 before it, 2e38 after it, 1 bit) is found, and
     * neither half alone is refused.
     */
    @Test
    void aGroupAcrossThePlannersReadsIsCheckedWhole() throws IOException {
        List<TensorSpec> specs = List.of(
                new TensorSpec("both", Dtype.F64, new long[] {128, 2048}),
                new TensorSpec("low", Dtype.F64, new long[] {128, 2048}),
                new TensorSpec("high", Dtype.F64, new long[] {128, 2048}));
        Path in = dir.resolve("across.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(in, specs, Map.of(), false)) {
            SplittableRandom r = new SplittableRandom(3);
            for (int t = 0; t < specs.size(); t++) {
                MemorySegment m = w.region(t);
                for (long i = 0; i < specs.get(t).elements(); i++) {
                    TestModels.set(m, Dtype.F64, i, r.nextGaussian() * 0.05);
                }
                if (t != 2) {
                    TestModels.set(m, Dtype.F64, 131_050, -2e38); // group 131: values 131,000 to 131,999
                }
                if (t != 1) {
                    TestModels.set(m, Dtype.F64, 131_100, 2e38);
                }
            }
            w.commit();
        }
        List<String> notes = new ArrayList<>();
        Elfz.compress(
                in,
                dir.resolve("across.elfz"),
                ElfzOptions.defaults()
                        .withCodec(CodecChoice.UNIFORM)
                        .withLossy(LossyOptions.NONE.withBits(1).withGranularity(Granularity.GROUP, 1000))
                        .withProgress(new ElfzOptions.Progress() {
                            @Override
                            public void note(String line) {
                                notes.add(line);
                            }
                        }));
        assertEquals(1, notes.size(), notes.toString());
        assertTrue(
                notes.getFirst().contains(" both: group 131: range [-2.0E38, 2.0E38]: its scale overflows float32"),
                notes.toString());
    }
}
