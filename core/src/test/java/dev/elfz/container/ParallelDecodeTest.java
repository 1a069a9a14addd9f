package dev.elfz.container;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import dev.elfz.TestModels;
import dev.elfz.io.Crc32c;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decompression on several threads: each worker claims chunks ({@link Claimed}), writes each at its offset and
 * checksums it, the stream's checksum put together from the chunks' ({@link Crc32c}).
 */
class ParallelDecodeTest {

    @TempDir
    Path dir;

    @Test
    void combinedChecksumsEqualTheChecksumOfTheWhole() {
        SplittableRandom r = new SplittableRandom(7);
        byte[] all = new byte[(1 << 20) + 37];
        r.nextBytes(all);
        int[] cuts = {0, 1, 7, 8, 9, 64, 4096, 65_535, 1 << 19, all.length - 1, all.length};
        for (int a : cuts) {
            for (int b : cuts) {
                if (a <= b) {
                    assertEquals(crc(all, 0, b), Crc32c.combine(crc(all, 0, a), crc(all, a, b), b - a), a + " " + b);
                }
            }
        }
        long whole = 0;
        for (int at = 0, n; at < all.length; at += n) { // many uneven chunks, in order
            n = Math.min(all.length - at, 1 + r.nextInt(70_000));
            whole = Crc32c.combine(whole, crc(all, at, at + n), n);
        }
        assertEquals(crc(all, 0, all.length), whole);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8})
    void everyJobRunsOnceOnItsThreadsOwnState(int threads) throws IOException {
        for (int jobs : new int[] {0, 1, 2, 100}) {
            AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(1, jobs));
            Set<Object> states = ConcurrentHashMap.newKeySet();
            Claimed.run(threads, jobs, Object::new, (state, j) -> {
                states.add(state);
                runs.incrementAndGet(j);
            });
            for (int j = 0; j < jobs; j++) {
                assertEquals(1, runs.get(j), "job " + j);
            }
            assertTrue(states.size() <= Math.min(threads, Math.max(1, jobs)), states.size() + " states");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void theFirstFailureStopsTheClaimsAndIsRethrownOnceAllHaveStopped(int threads) {
        IOException failure = new IOException("chunk 10 is damaged");
        AtomicInteger started = new AtomicInteger();
        AtomicInteger running = new AtomicInteger();
        IOException e = assertThrows(
                IOException.class,
                () -> Claimed.run(threads, 1000, () -> null, (state, j) -> {
                    started.incrementAndGet();
                    running.incrementAndGet();
                    try {
                        if (j == 10) {
                            throw failure;
                        }
                        Thread.sleep(1);
                    } catch (InterruptedException x) {
                        throw new IOException(x);
                    } finally {
                        running.decrementAndGet();
                    }
                }));
        assertSame(failure, e);
        assertEquals(0, running.get(), "a job still running after the failure was thrown");
        assertTrue(started.get() < 1000, started + " jobs started");
    }

    @Test
    void aRuntimeFailureKeepsItsType() {
        IllegalStateException x = new IllegalStateException("bad");
        assertSame(
                x,
                assertThrows(
                        IllegalStateException.class,
                        () -> Claimed.run(2, 5, () -> null, (state, j) -> {
                            throw x;
                        })));
    }

    @Test
    void anyThreadCountWritesTheSameBytes() throws IOException {
        Path in = TestModels.everyDtype(dir.resolve("m.safetensors"), 3);
        for (CodecChoice codec : new CodecChoice[] {CodecChoice.LOSSLESS, CodecChoice.ELF}) {
            Path z = dir.resolve(codec + ".elfz");
            Elfz.compress(in, z, ElfzOptions.defaults().withCodec(codec).withChunkBytes(64));
            byte[] one = null;
            for (int threads : new int[] {1, 2, 3, 7}) {
                Path out = dir.resolve(codec + "-" + threads + ".safetensors");
                Elfz.decompress(z, out, ElfzOptions.defaults().withThreads(threads));
                byte[] b = Files.readAllBytes(out);
                if (one == null) {
                    one = b;
                }
                assertArrayEquals(one, b, codec + " with " + threads + " threads");
            }
            if (codec == CodecChoice.LOSSLESS) {
                assertArrayEquals(Files.readAllBytes(in), one);
            }
        }
    }

    @Test
    void durableOrNotTheOutputIsTheSameAndNothingElseIsLeft() throws IOException {
        Path in = TestModels.everyDtype(dir.resolve("m.safetensors"), 5);
        Path z = dir.resolve("m.elfz");
        Elfz.compress(
                in, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS).withChunkBytes(256));
        assertEquals(false, ElfzOptions.defaults().sync(), "no fsync by default, as zstd -d");
        for (boolean sync : new boolean[] {false, true}) {
            Path out = dir.resolve("out-" + sync + ".safetensors");
            Elfz.decompress(z, out, ElfzOptions.defaults().withThreads(2).withSync(sync));
            assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out), "sync " + sync);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    List.of("m.elfz", "m.safetensors", "out-false.safetensors", "out-true.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void anOpenReaderDecompressesWithoutReadingItsIndexAgainAndStaysOpen() throws IOException {
        Path in = TestModels.everyDtype(dir.resolve("m.safetensors"), 11);
        Path z = dir.resolve("m.elfz");
        Elfz.compress(
                in, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS).withChunkBytes(128));
        try (ElfzReader r = ElfzReader.open(z)) {
            Path out = dir.resolve("out.safetensors");
            Elfz.decompress(r, out, ElfzOptions.defaults().withThreads(2));
            assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out));
            Path again = dir.resolve("again.safetensors"); // the same reader, a second time
            Elfz.decompress(r, again, ElfzOptions.defaults().withThreads(1));
            assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(again));
            try (Arena arena = Arena.ofConfined()) { // still open for reading tensors
                ElfzTensor t = r.tensors().getFirst();
                assertEquals(t.byteSize(), r.read(t, arena).byteSize());
            }
            IOException self = assertThrows(IOException.class, () -> Elfz.decompress(r, z, ElfzOptions.defaults()));
            assertTrue(self.getMessage().contains("the output is the input"), self.getMessage());
        }
        assertTrue(Files.exists(z), "the archive is kept");
    }

    private static long crc(byte[] b, int from, int to) {
        CRC32C c = new CRC32C();
        c.update(b, from, to - from);
        return c.getValue();
    }
}
