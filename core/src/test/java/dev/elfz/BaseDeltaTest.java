package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.container.Verify;
import dev.elfz.safetensors.SafetensorsFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tunes stored as deltas against their base ({@code ElfzOptions.withBase}): pairs made from BERT-base's real
 * weights round trip bit for bit, unchanged tensors cost next to nothing, and every wrong or missing base is one
 * error naming the first tensor it fails, with nothing written.
 */
class BaseDeltaTest {

    @TempDir
    static Path shared;

    static Path base;
    static Path fineTune;

    @TempDir
    Path dir;

    /**
     * Base: 20 tensors of 64 x 96 real weights, specials (NaN, ±Inf, -0.0 ...) in bert.5. Fine-tune: bert.3 and bert.5
     * tuned (bert.5's specials moved, so both hold some), bert.0 grown by 6 rows (another shape: coded alone), bert.7
     * dropped, a new head added; the other 16 frozen.
     */
    @BeforeAll
    static void pair() throws IOException {
        Path raw = FineTunes.base(shared.resolve("raw.safetensors"), 20, 64, 96);
        base = FineTunes.derive(
                raw, shared.resolve("base.safetensors"), Map.of("bert.5", FineTunes.specials(100)), Map.of());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment head = arena.allocate(4 * 96);
            for (int i = 0; i < 96; i++) {
                head.setAtIndex(TestModels.F32, i, i * 0.001f);
            }
            fineTune = FineTunes.derive(
                    base,
                    shared.resolve("ft.safetensors"),
                    Map.of(
                            "bert.0", FineTunes.grown(6),
                            "bert.3", FineTunes.tuned(3),
                            "bert.5", FineTunes.both(FineTunes.tuned(5), FineTunes.specials(2000)),
                            "bert.7", (t, a) -> null),
                    Map.of("head", new FineTunes.Tensor(new long[] {1, 96}, head)));
        }
    }

    private static ElfzOptions lossless(Path base) {
        return ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS).withBase(base);
    }

    @Test
    void roundTripsBitForBit() throws IOException {
        Path z = dir.resolve("ft.elfz");
        ElfzArchive a = Elfz.compress(fineTune, z, lossless(base));
        ElfzBase b = a.base();
        assertNotNull(b);
        assertEquals(List.of(new ElfzBase.BaseFile("base.safetensors", Files.size(base))), b.files());
        assertEquals(18, b.deltas(), "the 18 tensors with a base tensor of their shape");
        assertFalse(b.isDelta(a.tensors().stream()
                .filter(t -> t.name().equals("bert.0"))
                .findFirst()
                .orElseThrow()));
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(z, back, ElfzOptions.defaults().withBase(base));
        assertEquals(-1, Files.mismatch(fineTune, back));
    }

    @Test
    void theDefaultCodecsKeepDeltasExactAndPassVerify() throws IOException {
        Path z = dir.resolve("ft.elfz");
        Elfz.compress(fineTune, z, ElfzOptions.defaults().withBase(base));
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(z, back, ElfzOptions.defaults().withBase(base));
        try (ElfzReader r = ElfzReader.open(z, base);
                Arena arena = Arena.ofConfined();
                SafetensorsFile ft = SafetensorsFile.open(fineTune)) {
            for (ElfzTensor t : r.tensors()) {
                if (r.archive().base().isDelta(t)) {
                    MemorySegment own = ft.data(ft.tensors().stream()
                            .filter(x -> x.name().equals(t.name()))
                            .findFirst()
                            .orElseThrow());
                    assertEquals(-1, r.read(t, arena).mismatch(own), t.name() + " bit for bit");
                }
            }
        }
        assertTrue(Verify.verify(fineTune, z, ElfzOptions.defaults().withBase(base))
                .ok());
    }

    @Test
    void oneTensorChangedOfAHundredIsMuchSmallerThanAlone() throws IOException {
        Path b100 = FineTunes.base(dir.resolve("b100.safetensors"), 100, 64, 64);
        Path f100 = FineTunes.derive(
                b100, dir.resolve("f100.safetensors"), Map.of("bert.42", FineTunes.tuned(42)), Map.of());
        Path alone = dir.resolve("alone.elfz");
        Path delta = dir.resolve("delta.elfz");
        Elfz.compress(f100, alone, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
        ElfzArchive a = Elfz.compress(f100, delta, lossless(b100));
        assertEquals(100, a.base().deltas());
        long aloneBytes = Files.size(alone);
        long deltaBytes = Files.size(delta);
        // one tensor of 16 KB coded, 99 unchanged ones at a few dozen bytes each beside their index entries
        assertTrue(deltaBytes * 10 < aloneBytes, deltaBytes + " bytes with the base, " + aloneBytes + " alone");
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(delta, back, ElfzOptions.defaults().withBase(b100));
        assertEquals(-1, Files.mismatch(f100, back));
    }

    @Test
    void aBaseArchiveServesAsTheBase() throws IOException {
        Path baseZ = dir.resolve("base.safetensors.elfz");
        Elfz.compress(base, baseZ, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
        Path z = dir.resolve("ft.elfz");
        Elfz.compress(fineTune, z, lossless(baseZ));
        for (Path b : List.of(base, baseZ)) { // the archive of a base and the base itself are the same base
            Path back = dir.resolve("back-" + b.getFileName());
            Elfz.decompress(z, back, ElfzOptions.defaults().withBase(b));
            assertEquals(-1, Files.mismatch(fineTune, back));
        }
    }

    @Test
    void directoriesPairTheirShards() throws IOException {
        Path bd = Files.createDirectories(dir.resolve("base"));
        Path fd = Files.createDirectories(dir.resolve("ft"));
        Files.copy(base, bd.resolve("model-1.safetensors"));
        Files.copy(base, bd.resolve("model-2.safetensors"));
        Files.copy(base, fd.resolve("model-1.safetensors"));
        Files.copy(fineTune, fd.resolve("model-2.safetensors"));
        Files.writeString(fd.resolve("config.json"), "{}");
        Path z = dir.resolve("ft.elfz");
        ElfzArchive a = Elfz.compress(fd, z, lossless(bd));
        assertEquals(20 + 18, a.base().deltas());
        Path back = dir.resolve("back");
        Elfz.decompress(z, back, ElfzOptions.defaults().withBase(bd));
        for (String f : List.of("model-1.safetensors", "model-2.safetensors", "config.json")) {
            assertEquals(-1, Files.mismatch(fd.resolve(f), back.resolve(f)), f);
        }
    }

    @Test
    void everyWrongBaseIsOneErrorAndNothingWritten() throws IOException {
        Path z = dir.resolve("ft.elfz");
        Elfz.compress(fineTune, z, lossless(base));
        Path changed = FineTunes.derive(
                base, dir.resolve("changed.safetensors"), Map.of("bert.9", FineTunes.tuned(9)), Map.of());
        Path missing =
                FineTunes.derive(base, dir.resolve("missing.safetensors"), Map.of("bert.2", (t, a) -> null), Map.of());
        Path other = TestModels.everyDtype(dir.resolve("other.safetensors"), 1);
        assertRefused(z, null, "tensor bert.1 is stored as a delta", "--base");
        assertRefused(z, changed, "is not the base of tensor bert.9", "holds other bytes");
        assertRefused(z, missing, "is not the base of tensor bert.2", "no tensor bert.2");
        assertRefused(z, other, "is not the base of tensor bert.1", "no tensor bert.1");
        assertRefused(z, fineTune, "is not the base of tensor bert.3", "holds other bytes");
        try (ElfzReader r = ElfzReader.open(z, changed);
                Arena arena = Arena.ofConfined()) {
            r.read("bert.1", arena); // a tensor whose base tensor is there reads alone
            ElfzException e = assertThrows(ElfzException.class, () -> r.read("bert.9", arena));
            assertTrue(e.getMessage().contains("holds other bytes"), e.getMessage());
        }
    }

    /** Decompressing and verifying with this base fail with one line holding each part; no output appears. */
    private void assertRefused(Path z, Path with, String... parts) throws IOException {
        List<String> before = listing();
        Path out = dir.resolve("out.safetensors");
        for (Runnable attempt : List.<Runnable>of(
                () -> {
                    ElfzException e = assertThrows(
                            ElfzException.class,
                            () -> Elfz.decompress(z, out, ElfzOptions.defaults().withBase(with)));
                    check(e, parts);
                },
                () -> check(
                        assertThrows(
                                ElfzException.class,
                                () -> Verify.verify(
                                        fineTune, z, ElfzOptions.defaults().withBase(with))),
                        parts))) {
            attempt.run();
            assertEquals(before, listing(), "nothing written");
        }
    }

    private static void check(ElfzException e, String... parts) {
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * A 2.6 archive written once and committed (delta-2.6/: base, fine-tune with NaN, ±Inf and -0.0 in both, and the
     * archive, 256-byte chunks): it still reads, against its base, as the fine-tune bit for bit.
     */
    @Test
    void aCommittedArchiveOfFormat26StillReads() throws IOException {
        Path b = committed("base.safetensors");
        Path ft = committed("ft.safetensors");
        Path z = committed("ft.safetensors.elfz");
        try (ElfzReader r = ElfzReader.open(z, b)) {
            r.checkBase();
            assertEquals(3, r.archive().base().deltas());
        }
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(z, back, ElfzOptions.defaults().withBase(b));
        assertEquals(-1, Files.mismatch(ft, back));
        assertEquals(6, Files.readAllBytes(z)[10], "minor version 6");
        assertEquals(1, Files.readAllBytes(z)[12], "flag bit 0: a base");
    }

    private Path committed(String name) throws IOException {
        return FineTunes.committed(dir, "delta-2.6", name);
    }

    @Test
    void quantizationAndRawAreRefusedWithABase() {
        for (ElfzOptions o : List.of(
                ElfzOptions.defaults().withCodec(CodecChoice.RAW),
                ElfzOptions.defaults().withCodec(CodecChoice.UNIFORM))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.withBase(base));
            assertTrue(e.getMessage().contains("does not combine with codec"), e.getMessage());
        }
    }
}
