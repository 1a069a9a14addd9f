package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.elfz.container.Archive;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coded chunks damaged past their CRC32C (as a crafted file could be: the CRC is the writer's word, not proof),
 * given straight to the decoders on every kernel, native ones included: each decodes to some values or is one
 * ElfzException, one line naming the file, the tensor and the chunk; never another exception, never a crash of the
 * JVM. Mutant and output end at an inaccessible page and the output has a canary before it, so a native read or write
 * past either end is a crash or a failure, not silence.
 */
class ChunkFuzzTest {

    @TempDir
    Path dir;

    /** Bytes before each output that no decode may touch. */
    private static final int CANARY = 64;

    static Stream<Arguments> modes() {
        LossyOptions q = LossyOptions.NONE.withSelection(List.of(), List.of(), 16);
        return Stream.of(
                Arguments.of("elf", ElfzOptions.defaults().withCodec(CodecChoice.ELF)),
                Arguments.of("lossless", ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS)),
                Arguments.of("error bound", ElfzOptions.defaults().withErrorBound(1e-3)),
                Arguments.of(
                        "uniform groups",
                        ElfzOptions.defaults()
                                .withCodec(CodecChoice.UNIFORM)
                                .withLossy(q.withBits(4).withGranularity(Granularity.GROUP, 32))),
                Arguments.of(
                        "k-means",
                        ElfzOptions.defaults().withCodec(CodecChoice.KMEANS).withLossy(q.withBits(3))),
                Arguments.of(
                        "prune + elf",
                        ElfzOptions.defaults().withCodec(CodecChoice.ELF).withLossy(q.withPruneFraction(0.5))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void damagedChunksDecodeOrAreOneElfzException(String mode, ElfzOptions options) throws IOException {
        Path z = dir.resolve("m.elfz");
        Elfz.compress(TestModels.everyDtype(dir.resolve("m.safetensors"), 5), z, options.withChunkBytes(512));
        SplittableRandom r = new SplittableRandom(mode.hashCode());
        int tried = 0, refused = 0;
        for (Kernel k : Kernels.available()) {
            try (Archive reader = Archive.open(z, k);
                    Arena arena = Arena.ofConfined()) {
                for (ElfzTensor t : reader.tensors()) {
                    ChunkStream s = t.data();
                    for (int i = 0; i < s.chunks().size(); i++) {
                        if (!s.chunks().get(i).coded()) {
                            continue;
                        }
                        MemorySegment good = reader.storedChunk(t, i, arena);
                        String what = reader.describe(t);
                        try (FuzzSupport.Fenced fenced = new FuzzSupport.Fenced()) {
                            MemorySegment guarded = fenced.allocate(CANARY + s.chunkSize(i));
                            MemorySegment dst = guarded.asSlice(CANARY);
                            for (int m = 0; m < 40; m++, tried++) {
                                MemorySegment bad = fenced.copyOf(mutate(good, r, arena));
                                guarded.asSlice(0, CANARY).fill((byte) 0xa5);
                                try {
                                    reader.decodeCoded(t, i, bad, dst);
                                } catch (ElfzException e) {
                                    refused++;
                                    FuzzSupport.assertOneLineNaming(z, e);
                                    assertTrue(
                                            e.getMessage()
                                                    .startsWith(z + ": " + what + ": chunk " + i + " of "
                                                            + s.chunks().size() + ": "),
                                            e.getMessage());
                                } catch (RuntimeException | Error e) {
                                    fail(k.name() + " " + t.name() + " chunk " + i + " mutant " + m + ": " + e, e);
                                }
                                for (long b = 0; b < CANARY; b++) {
                                    assertEquals(
                                            (byte) 0xa5,
                                            guarded.get(ValueLayout.JAVA_BYTE, b),
                                            k.name() + " " + what + " chunk " + i + " mutant " + m
                                                    + ": written before its output");
                                }
                            }
                        }
                    }
                }
            }
        }
        assertTrue(tried >= 100 && refused > 0, mode + ": " + refused + " of " + tried + " refused");
    }

    /** A byte changed, the chunk cut short, or grown by a random byte. */
    private static MemorySegment mutate(MemorySegment good, SplittableRandom r, Arena arena) {
        long n = good.byteSize();
        int how = r.nextInt(3);
        long size = how == 1 ? r.nextLong(n) : how == 2 ? n + 1 : n;
        MemorySegment bad = arena.allocate(Math.max(1, size)).asSlice(0, size);
        MemorySegment.copy(good, 0, bad, 0, Math.min(n, size));
        if (how == 0 && n > 0) {
            long at = r.nextLong(n);
            bad.set(ValueLayout.JAVA_BYTE, at, (byte)
                    (r.nextBoolean() ? r.nextInt(256) : bad.get(ValueLayout.JAVA_BYTE, at) ^ 1 << r.nextInt(8)));
        } else if (how == 2) {
            bad.set(ValueLayout.JAVA_BYTE, n, (byte) r.nextInt(256));
        }
        return bad;
    }
}
