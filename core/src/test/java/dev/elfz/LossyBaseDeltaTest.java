package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.container.Verify;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lossy fine-tunes against their base (format 2.7): ELF and {@code --error-bound} code a tuned tensor as its
 * difference with the base tensor, and every decoded value, rounded to the dtype, is within the codec's bound of the
 * fine-tune's (worked out here from FORMAT.md: the grid's E, ELF's half an ulp of [1, 2) below 1 and exact from 1 on),
 * NaN, ±Inf and -0.0 bit for bit. Pairs made from BERT-base's real weights ({@link FineTunes}).
 */
public class LossyBaseDeltaTest {

    @TempDir
    static Path shared;

    static Path base;
    static Path fineTune;

    @TempDir
    Path dir;

    /**
     * As BaseDeltaTest's pair: tuned, frozen, grown (another shape), dropped tensors, specials in both; bert.9 replaced
     * by small values unrelated to the base's (a head trained anew), which code smaller alone.
     */
    @BeforeAll
    static void pair() throws IOException {
        Path raw = FineTunes.base(shared.resolve("raw.safetensors"), 12, 64, 96);
        base = FineTunes.derive(
                raw, shared.resolve("base.safetensors"), Map.of("bert.5", FineTunes.specials(100)), Map.of());
        fineTune = FineTunes.derive(
                base,
                shared.resolve("ft.safetensors"),
                Map.of(
                        "bert.0", FineTunes.grown(6),
                        "bert.3", FineTunes.tuned(3),
                        "bert.4", FineTunes.tuned(4),
                        "bert.5", FineTunes.both(FineTunes.tuned(5), FineTunes.specials(2000)),
                        "bert.7", (t, a) -> null,
                        "bert.9", anew()),
                Map.of());
    }

    /** Every value replaced by {@code 1e-3 g}, g Gaussian. */
    private static FineTunes.Change anew() {
        return (t, arena) -> {
            SplittableRandom r = new SplittableRandom(99);
            for (long i = 0; i < t.bytes().byteSize() / 4; i++) {
                t.bytes().setAtIndex(TestModels.F32, i, (float) (1e-3 * r.nextGaussian()));
            }
            return t;
        };
    }

    /** The promise of each lossy choice a base takes: the grid at 1e-6 and 1e-4, ELF chosen by 1e-7, ELF itself. */
    static List<ElfzOptions> lossy() {
        return List.of(
                ElfzOptions.defaults().withErrorBound(1e-6),
                ElfzOptions.defaults().withErrorBound(1e-4),
                ElfzOptions.defaults().withErrorBound(1e-7),
                ElfzOptions.defaults().withCodec(CodecChoice.ELF));
    }

    @Test
    void everyValueIsWithinTheBoundAfterRounding() throws IOException {
        for (ElfzOptions o : lossy()) {
            Path z = dir.resolve("ft.elfz");
            ElfzArchive a = Elfz.compress(fineTune, z, o.withOverwrite(true).withBase(base));
            assertEquals(9, a.base().deltas(), "the tensors with a base tensor of their shape but bert.9, " + o);
            for (String alone : List.of("bert.0", "bert.9")) {
                assertFalse(a.base().isDelta(tensor(a, alone)), alone + " coded alone, " + o);
            }
            Path back = dir.resolve("back.safetensors");
            Elfz.decompress(z, back, ElfzOptions.defaults().withOverwrite(true).withBase(base));
            assertWithin(fineTune, back, o, Dtype.F32);
            assertTrue(
                    Verify.verify(fineTune, z, ElfzOptions.defaults().withBase(base))
                            .ok(),
                    o.toString());
            try (ElfzReader r = ElfzReader.open(z, base);
                    SafetensorsFile f = SafetensorsFile.open(back);
                    Arena arena = Arena.ofConfined()) {
                for (TensorInfo t : f.tensors()) { // the reader gives what decompression wrote
                    assertEquals(-1, r.read(t.name(), arena).mismatch(f.data(t)), t.name());
                }
            }
        }
    }

    /**
     * F16 and BF16 through ELF: their coarse rounding of {@code base + d'} breaks ELF's bound for many values, which
     * the writer keeps exactly; specials in both (bert.2 from value 500 on, tuned) and in the fine-tune alone (from
     * value 10 on). The pair codes smaller than the fine-tune alone.
     */
    @Test
    void narrowFloatsKeepTheValuesTheRoundingWouldBreak() throws IOException {
        for (Dtype dtype : List.of(Dtype.BF16, Dtype.F16)) {
            long[][] shapes = {{64, 96}, {64, 96}, {64, 96}};
            Path raw = TestModels.bert(dir.resolve("raw-" + dtype + ".safetensors"), dtype, shapes);
            Path b = FineTunes.derive(
                    raw,
                    dir.resolve("base-" + dtype + ".safetensors"),
                    Map.of("bert.2", specials(dtype, 500)),
                    Map.of());
            Path ft = FineTunes.derive(
                    b,
                    dir.resolve("ft-" + dtype + ".safetensors"),
                    Map.of("bert.1", tuned(dtype, 1), "bert.2", FineTunes.both(tuned(dtype, 2), specials(dtype, 10))),
                    Map.of());
            ElfzOptions elf = ElfzOptions.defaults().withCodec(CodecChoice.ELF);
            Path z = dir.resolve("ft-" + dtype + ".elfz");
            Elfz.compress(ft, z, elf.withBase(b));
            Path back = dir.resolve("back-" + dtype + ".safetensors");
            Elfz.decompress(z, back, ElfzOptions.defaults().withBase(b));
            assertWithin(ft, back, elf, dtype);
            assertTrue(Verify.verify(ft, z, ElfzOptions.defaults().withBase(b)).ok(), dtype.name());
            Path alone = dir.resolve("alone-" + dtype + ".elfz");
            Elfz.compress(ft, alone, elf);
            assertTrue(Files.size(z) < Files.size(alone), Files.size(z) + " with the base, " + Files.size(alone));
        }
    }

    @Test
    void oneTensorChangedOfAHundredIsMuchSmallerThanAlone() throws IOException {
        Path b100 = FineTunes.base(dir.resolve("b100.safetensors"), 100, 64, 64);
        Path f100 = FineTunes.derive(
                b100, dir.resolve("f100.safetensors"), Map.of("bert.42", FineTunes.tuned(42)), Map.of());
        ElfzOptions o = ElfzOptions.defaults().withErrorBound(1e-6);
        Path alone = dir.resolve("alone.elfz");
        Path delta = dir.resolve("delta.elfz");
        Elfz.compress(f100, alone, o);
        ElfzArchive a = Elfz.compress(f100, delta, o.withBase(b100));
        assertEquals(100, a.base().deltas());
        assertTrue(
                Files.size(delta) * 10 < Files.size(alone),
                Files.size(delta) + " bytes with the base, " + Files.size(alone) + " alone");
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(delta, back, ElfzOptions.defaults().withBase(b100));
        assertWithin(f100, back, o, Dtype.F32);
    }

    /**
     * Directories sharded differently: the base in two shards of 6 tensors, the fine-tune in shards of 3 and 8 under
     * other names. Each tensor pairs by name with the base tensor in whichever shard holds it, losslessly and lossy.
     */
    @Test
    void shardsSplitDifferentlyPairByName() throws IOException {
        Path bd = Files.createDirectories(dir.resolve("base"));
        Path fd = Files.createDirectories(dir.resolve("ft"));
        shard(base, bd.resolve("model-00001-of-00002.safetensors"), 0, 6);
        shard(base, bd.resolve("model-00002-of-00002.safetensors"), 6, 12);
        shard(fineTune, fd.resolve("a.safetensors"), 0, 3);
        shard(fineTune, fd.resolve("b.safetensors"), 3, 12);
        for (ElfzOptions o : List.of(
                ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS),
                ElfzOptions.defaults().withErrorBound(1e-6))) {
            Path z = dir.resolve("ft.elfz");
            ElfzArchive a = Elfz.compress(fd, z, o.withOverwrite(true).withBase(bd));
            assertEquals(9, a.base().deltas(), "every tensor of the base's shape but bert.9, " + o);
            assertEquals(2, a.base().files().size(), "both shards of the base");
            Path back = dir.resolve("back");
            Elfz.decompress(z, back, ElfzOptions.defaults().withOverwrite(true).withBase(bd));
            for (String f : List.of("a.safetensors", "b.safetensors")) {
                if (o.codec() == CodecChoice.LOSSLESS) {
                    assertEquals(-1, Files.mismatch(fd.resolve(f), back.resolve(f)), f);
                } else {
                    assertWithin(fd.resolve(f), back.resolve(f), o, Dtype.F32);
                }
            }
        }
    }

    private static ElfzTensor tensor(ElfzArchive a, String name) {
        return a.tensors().stream()
                .filter(t -> t.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    /** Writes the tensors of {@code from} numbered {@code [first, end)} ("bert.N") that it has into {@code to}. */
    private static void shard(Path from, Path to, int first, int end) throws IOException {
        Map<String, FineTunes.Change> drop = new HashMap<>();
        for (int i = 0; i < 12; i++) {
            if (i < first || i >= end) {
                drop.put("bert." + i, (t, a) -> null);
            }
        }
        FineTunes.derive(from, to, drop, Map.of());
    }

    @Test
    void aWrongBaseIsOneErrorAndNothingWritten() throws IOException {
        Path z = dir.resolve("ft.elfz");
        Elfz.compress(fineTune, z, ElfzOptions.defaults().withErrorBound(1e-6).withBase(base));
        Path changed = FineTunes.derive(
                base, dir.resolve("changed.safetensors"), Map.of("bert.4", FineTunes.tuned(9)), Map.of());
        List<String> before = listing();
        ElfzException e = assertThrows(
                ElfzException.class,
                () -> Elfz.decompress(
                        z,
                        dir.resolve("out.safetensors"),
                        ElfzOptions.defaults().withBase(changed)));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains("is not the base of tensor bert.4"), e.getMessage());
        assertEquals(before, listing(), "nothing written");
    }

    @Test
    void pruningAndQuantizationAreRefusedWithABase() {
        for (ElfzOptions o : List.of(
                ElfzOptions.defaults().withCodec(CodecChoice.UNIFORM),
                ElfzOptions.defaults().withCodec(CodecChoice.KMEANS),
                ElfzOptions.defaults().withCodec(CodecChoice.RAW))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.withBase(base));
            assertTrue(e.getMessage().contains("does not combine with codec"), e.getMessage());
        }
    }

    /**
     * A 2.7 archive written once and committed (delta-2.7/: base and fine-tune with NaN, ±Inf and -0.0 in both, the
     * archive at --error-bound 1e-6 in 256-byte chunks, and what it decoded to when written): it still decodes to the
     * same bytes, within the bound of the fine-tune.
     */
    @Test
    void aCommittedArchiveOfFormat27StillReads() throws IOException {
        Path b = committed("base.safetensors");
        Path ft = committed("ft.safetensors");
        Path z = committed("ft.safetensors.elfz");
        try (ElfzReader r = ElfzReader.open(z, b)) {
            r.checkBase();
            assertEquals(3, r.archive().base().deltas());
        }
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(z, back, ElfzOptions.defaults().withBase(b));
        assertEquals(
                -1, Files.mismatch(committed("decoded.safetensors"), back), "the bytes it decoded to when written");
        assertWithin(ft, back, ElfzOptions.defaults().withErrorBound(1e-6), Dtype.F32);
        assertTrue(Verify.verify(ft, z, ElfzOptions.defaults().withBase(b)).ok());
        byte[] bytes = Files.readAllBytes(z);
        assertEquals(7, bytes[10], "minor version 7");
        assertTrue(new String(bytes, StandardCharsets.ISO_8859_1).contains("\"op\":\"sub\""), "lossy deltas");
    }

    /** Writes delta-2.7/ into the directory {@code -Delfz.golden.dir} names: how the committed files were made. */
    @Test
    @EnabledIfSystemProperty(named = "elfz.golden.dir", matches = ".+")
    void writeTheCommittedArchive() throws IOException {
        Path to = Files.createDirectories(Path.of(System.getProperty("elfz.golden.dir")));
        Path raw = FineTunes.base(dir.resolve("raw.safetensors"), 3, 16, 16);
        Path b = FineTunes.derive(
                raw,
                to.resolve("base.safetensors"),
                Map.of("bert.0", FineTunes.specials(10), "bert.2", FineTunes.specials(100)),
                Map.of());
        Path ft = FineTunes.derive(
                b,
                to.resolve("ft.safetensors"),
                Map.of(
                        "bert.1",
                        FineTunes.tuned(1),
                        "bert.2",
                        FineTunes.both(FineTunes.tuned(2), FineTunes.specials(200))),
                Map.of());
        Path z = to.resolve("ft.safetensors.elfz");
        Elfz.compress(
                ft,
                z,
                ElfzOptions.defaults().withErrorBound(1e-6).withChunkBytes(256).withBase(b));
        Elfz.decompress(
                z, to.resolve("decoded.safetensors"), ElfzOptions.defaults().withBase(b));
    }

    private Path committed(String name) throws IOException {
        return FineTunes.committed(dir, "delta-2.7", name);
    }

    /** Every value of every tensor of {@code back} within the promise of {@code o}'s codec of the same in {@code ft}. */
    public static void assertWithin(Path ft, Path back, ElfzOptions o, Dtype dtype) throws IOException {
        try (SafetensorsFile want = SafetensorsFile.open(ft);
                SafetensorsFile got = SafetensorsFile.open(back)) {
            assertEquals(want.tensors().size(), got.tensors().size());
            for (int k = 0; k < want.tensors().size(); k++) {
                TensorInfo w = want.tensors().get(k);
                TensorInfo g = got.tensors().get(k);
                assertEquals(w.name(), g.name());
                assertArrayEquals(w.shape(), g.shape(), w.name());
                MemorySegment x = want.data(w);
                MemorySegment y = got.data(g);
                long n = x.byteSize() / (dtype.bits() / 8);
                for (long i = 0; i < n; i++) {
                    double a = TestModels.get(x, dtype, i);
                    double b = TestModels.get(y, dtype, i);
                    String where = w.name() + "[" + i + "] = " + a + ", decoded " + b;
                    if (!Double.isFinite(a) || (a == 0 && 1 / a < 0) || exactFromOne(o) && Math.abs(a) >= 1) {
                        assertEquals(bits(x, dtype, i), bits(y, dtype, i), where + " bit for bit");
                    } else {
                        assertTrue(Math.abs(a - b) <= bound(o, dtype), where);
                    }
                }
            }
        }
    }

    /** ELF keeps |x| >= 1 exact; the grid holds every finite value within E. */
    private static boolean exactFromOne(ElfzOptions o) {
        return o.codec() == CodecChoice.ELF || o.errorBound() < 0x1p-20;
    }

    /** FORMAT.md's bound: E for the grid (E >= 2^-20), else half an ulp of [1, 2) in the dtype (ELF). */
    private static double bound(ElfzOptions o, Dtype dtype) {
        if (!exactFromOne(o)) {
            return o.errorBound();
        }
        return switch (dtype) {
            case F32 -> 0x1p-24;
            case F16 -> 0x1p-11;
            case BF16 -> 0x1p-8;
            default -> 0x1p-53;
        };
    }

    private static long bits(MemorySegment m, Dtype dtype, long i) {
        return dtype.bits() == 32 ? m.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i) : m.getAtIndex(TestModels.U16, i);
    }

    /** Every value moved by a relative 1e-2 (Gaussian), rounded to the dtype. */
    private static FineTunes.Change tuned(Dtype dtype, long seed) {
        return (t, arena) -> {
            SplittableRandom r = new SplittableRandom(seed);
            long n = t.bytes().byteSize() / (dtype.bits() / 8);
            for (long i = 0; i < n; i++) {
                double x = TestModels.get(t.bytes(), dtype, i);
                TestModels.set(t.bytes(), dtype, i, x * (1 + 1e-2 * r.nextGaussian()));
            }
            return t;
        };
    }

    /** The specials (NaN, ±Inf, -0.0, ±1 ...) from value {@code at} on. */
    private static FineTunes.Change specials(Dtype dtype, long at) {
        return (t, arena) -> {
            for (int i = 0; i < TestModels.SPECIALS.length; i++) {
                TestModels.set(t.bytes(), dtype, at + i, TestModels.SPECIALS[i]);
            }
            return t;
        };
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
