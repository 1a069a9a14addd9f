package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.codec.prune.MagnitudeSelect;
import dev.elfz.container.DamagedElfzTest;
import dev.elfz.container.Verify;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Quantization and pruning through the container: the bounds hold, the edge cases are handled, verify agrees. */
class LossyRoundTripTest {

    @TempDir
    Path dir;

    /** Weight-like tensors of every float dtype, one of them longer than a chunk, plus a bias and a constant. */
    private Path model(String name, long seed) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (Dtype d : List.of(Dtype.F32, Dtype.F16, Dtype.BF16, Dtype.F64)) {
            specs.add(new TensorSpec("w." + d.name().toLowerCase(), d, new long[] {48, 100}));
        }
        specs.add(new TensorSpec("big", Dtype.F32, new long[] {300, 1000}));
        specs.add(new TensorSpec("bias", Dtype.F32, new long[] {100}));
        specs.add(new TensorSpec("constant", Dtype.F32, new long[] {64, 64}));
        specs.add(new TensorSpec("zeros", Dtype.F32, new long[] {64, 64}));
        specs.add(new TensorSpec("short", Dtype.F32, new long[] {3, 7}));
        SplittableRandom r = new SplittableRandom(seed);
        Path p = dir.resolve(name);
        try (SafetensorsWriter w = SafetensorsWriter.create(p, specs, Map.of(), false)) {
            for (int i = 0; i < specs.size(); i++) {
                TensorSpec s = specs.get(i);
                MemorySegment m = w.region(i);
                for (long j = 0; j < s.elements(); j++) {
                    double x = switch (s.name()) {
                        case "constant" -> 0.3;
                        case "zeros" -> 0;
                        default -> r.nextGaussian() * 0.05 + (j % 97 == 0 ? 1.5 : 0); // a few outliers
                    };
                    TestModels.set(m, s.dtype(), j, x);
                }
            }
            w.commit();
        }
        return p;
    }

    static Stream<Arguments> settings() {
        LossyOptions base = LossyOptions.NONE.withSelection(List.of(), List.of("bias"), 16);
        List<Arguments> a = new ArrayList<>();
        for (int bits : new int[] {1, 2, 4, 8}) {
            a.add(Arguments.of(CodecChoice.UNIFORM, base.withBits(bits)));
            a.add(Arguments.of(CodecChoice.UNIFORM, base.withBits(bits).withGranularity(Granularity.CHANNEL, 32)));
            a.add(Arguments.of(CodecChoice.UNIFORM, base.withBits(bits).withGranularity(Granularity.GROUP, 32)));
            a.add(Arguments.of(CodecChoice.KMEANS, base.withBits(bits)));
        }
        a.add(Arguments.of(CodecChoice.UNIFORM, base.withBits(4).withSymmetric(true)));
        a.add(Arguments.of(
                CodecChoice.UNIFORM,
                base.withBits(4).withGranularity(Granularity.GROUP, 64).withSymmetric(true)));
        a.add(Arguments.of(CodecChoice.AUTO, base.withPruneFraction(0.5)));
        a.add(Arguments.of(CodecChoice.ELF, base.withPruneThreshold(0.03)));
        a.add(Arguments.of(
                CodecChoice.UNIFORM,
                base.withBits(4).withGranularity(Granularity.GROUP, 32).withPruneFraction(0.6)));
        a.add(Arguments.of(CodecChoice.UNIFORM, base.withBits(3).withPruneFraction(0.3)));
        a.add(Arguments.of(CodecChoice.KMEANS, base.withBits(4).withPruneFraction(0.9)));
        return a.stream();
    }

    @ParameterizedTest
    @MethodSource("settings")
    void boundsHoldAndVerifyAgrees(CodecChoice codec, LossyOptions lossy) throws IOException {
        Path in = model("m.safetensors", 3);
        Path z = dir.resolve("m.elfz");
        ElfzOptions o = ElfzOptions.defaults().withCodec(codec).withLossy(lossy).withChunkBytes(4096);
        Elfz.compress(in, z, o.withThreads(2));
        Path z1 = dir.resolve("m1.elfz");
        Elfz.compress(in, z1, o.withThreads(1));
        assertEquals(-1, Files.mismatch(z, z1), "deterministic, whatever the thread count");

        Verify.Report report = Verify.verify(in, z, o);
        assertTrue(report.ok(), report.problems().toString());
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(z, back, o);
        assertNull(PromiseOracle.check(in, back, z), "every value, survivors of pruning too, within its promise");
        try (SafetensorsFile x = SafetensorsFile.open(in);
                SafetensorsFile y = SafetensorsFile.open(back);
                ElfzReader r = ElfzReader.open(z)) {
            assertEquals(
                    -1,
                    x.data(x.tensor("bias")).mismatch(y.data(y.tensor("bias"))) >= 0
                            ? r.tensor("bias").codec() == Codec.ELF ? -1 : 0
                            : -1,
                    "excluded: left to its value codec");
            assertEquals(Codec.ELF, r.tensor("bias").codec());
            long zeros = 0;
            long pruned = 0;
            for (TensorInfo t : x.tensors()) {
                Codec c = r.tensor(t.name()).codec();
                boolean selected = !t.name().equals("bias") && !t.name().equals("short");
                if (selected && !lossy.prunes()) {
                    assertTrue(
                            c == (codec == CodecChoice.KMEANS ? Codec.KMEANS : Codec.UNIFORM) || c == Codec.RAW,
                            t.name() + " " + c);
                }
                if (codec == CodecChoice.UNIFORM && !lossy.prunes() && c == Codec.UNIFORM) {
                    long groupSize =
                            ((Number) PromiseOracle.params(z).get(t.name()).get("group_size")).longValue();
                    assertNull(UniformOracleTest.mismatch(
                            t, x.data(t), y.data(y.tensor(t.name())), groupSize, lossy.bits(), lossy.symmetric()));
                }
                if (lossy.prunes() && c == Codec.PRUNE) {
                    zeros += assertPrunedAreZero(t, x.data(t), y.data(y.tensor(t.name())), lossy);
                    pruned += t.elements();
                }
            }
            if (!Double.isNaN(lossy.pruneFraction())) { // one threshold for all: the fraction holds over them together
                assertTrue(zeros >= lossy.pruneFraction() * pruned, zeros + " zeros in " + pruned);
            }
            // constant and all-zero tensors come back exactly (up to the type's rounding of the constant)
            if (!lossy.prunes() || lossy.pruneFraction() < 0.5) {
                assertEquals(0, maxError(y, "zeros", x), "zeros");
            }
        }
    }

    /** Values below the threshold decode as +0; the rest are kept (within their codec's bound). */
    private static long assertPrunedAreZero(TensorInfo t, MemorySegment x, MemorySegment y, LossyOptions l) {
        long zeros = 0;
        for (long i = 0; i < t.elements(); i++) {
            double a = TestModels.get(x, t.dtype(), i);
            double b = TestModels.get(y, t.dtype(), i);
            if (!Double.isNaN(l.pruneThreshold()) && Math.abs((float) a) < l.pruneThreshold()) {
                assertEquals(0.0, b, t.name() + "[" + i + "] below the threshold");
            }
            zeros += b == 0 ? 1 : 0;
        }
        return zeros;
    }

    private static double maxError(SafetensorsFile y, String name, SafetensorsFile x) {
        TensorInfo t = x.tensor(name);
        double max = 0;
        for (long i = 0; i < t.elements(); i++) {
            max = Math.max(
                    max,
                    Math.abs(TestModels.get(x.data(t), t.dtype(), i)
                            - TestModels.get(y.data(y.tensor(name)), t.dtype(), i)));
        }
        return max;
    }

    @Test
    void theGlobalThresholdIsTheKthSmallestMagnitudeOverEveryTensor() throws IOException {
        SplittableRandom r = new SplittableRandom(9);
        try (Arena arena = Arena.ofConfined()) {
            List<MagnitudeSelect.Values> parts = new ArrayList<>();
            List<Float> all = new ArrayList<>();
            for (Dtype d : List.of(Dtype.F32, Dtype.BF16, Dtype.F16, Dtype.F64)) {
                int n = 5000 + r.nextInt(3000);
                MemorySegment m = arena.allocate((long) n * d.bits() / 8);
                for (int i = 0; i < n; i++) {
                    double v = r.nextInt(50) == 0 ? 0 : r.nextGaussian() * 0.1; // ties at 0 and BF16's coarse grid
                    TestModels.set(m, d, i, v);
                    all.add(Math.abs((float) TestModels.get(m, d, i)));
                }
                parts.add(new MagnitudeSelect.Values(d.elfType(), m));
            }
            float[] sorted = new float[all.size()];
            for (int i = 0; i < sorted.length; i++) {
                sorted[i] = all.get(i);
            }
            Arrays.sort(sorted);
            for (double f : new double[] {0.001, 0.15, 0.5, 0.9, 1.0}) {
                long k = Math.round(f * sorted.length);
                float t = MagnitudeSelect.threshold(parts, f);
                assertEquals(Math.nextUp(sorted[(int) k - 1]), t, "fraction " + f);
                long pruned = 0;
                for (float v : sorted) {
                    pruned += v < t ? 1 : 0;
                }
                assertTrue(pruned >= k, "at least the fraction goes (ties at the k-th all go)");
            }
            assertEquals(0f, MagnitudeSelect.threshold(parts, 0));
        }
    }

    @Test
    void craftedParametersAreRefusedInOneLine() throws IOException {
        Path in = model("m.safetensors", 5);
        Path z = dir.resolve("m.elfz");
        ElfzOptions o = ElfzOptions.defaults()
                .withCodec(CodecChoice.UNIFORM)
                .withLossy(LossyOptions.NONE.withBits(4).withPruneFraction(0.5));
        Elfz.compress(in, z, o);
        byte[] good = Files.readAllBytes(z);
        String[][] edits = {
            {"\"bits\":4", "\"bits\":9", "uniform quantization takes 1 to 8 bits, not 9"},
            {"\"inner\":\"uniform\"", "\"inner\":\"prune\"", "prune needs threshold_bits and an inner codec"},
            {"\"granularity\":\"tensor\"", "\"granularity\":\"channel\"", "does not combine with pruning"},
        };
        for (String[] e : edits) {
            Path bad = dir.resolve("bad.elfz");
            Files.write(bad, DamagedElfzTest.withIndex(good, j -> j.replace(e[0], e[1])));
            IOException x =
                    assertThrows(IOException.class, () -> Elfz.decompress(bad, dir.resolve("out.safetensors"), o));
            assertTrue(
                    x.getMessage().startsWith(bad + ": damaged index: ")
                            && x.getMessage().contains(e[2]),
                    x.getMessage());
            assertTrue(Files.notExists(dir.resolve("out.safetensors")));
        }
    }

    @Test
    void tensorsWithNanOrInfAreLeftToTheirValueCodecAndSaidSo() throws IOException {
        Path in = TestModels.write(
                dir.resolve("nan.safetensors"),
                List.of(new TensorSpec("w", Dtype.F32, new long[] {64, 64})),
                Map.of(),
                1);
        try (SafetensorsFile f = SafetensorsFile.open(in)) { // TestModels puts a NaN last
            assertTrue(Double.isNaN(TestModels.get(f.data(f.tensor("w")), Dtype.F32, 64 * 64 - 1)));
        }
        List<String> notes = new ArrayList<>();
        ElfzOptions o = ElfzOptions.defaults().withCodec(CodecChoice.UNIFORM).withProgress(new ElfzOptions.Progress() {
            @Override
            public void note(String line) {
                notes.add(line);
            }
        });
        Elfz.compress(in, dir.resolve("nan.elfz"), o);
        try (ElfzReader r = ElfzReader.open(dir.resolve("nan.elfz"))) {
            assertEquals(Codec.ELF, r.tensor("w").codec());
        }
        assertEquals(List.of("left as elf: nan.safetensors w: holds NaN or Inf (kept exact by elf)"), notes);
        assertTrue(Verify.verify(in, dir.resolve("nan.elfz"), o).ok());
    }
}
