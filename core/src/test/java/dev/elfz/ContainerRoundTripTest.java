package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.io.AtomicFiles;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every dtype, shape and codec choice through compress and decompress, whole files and model directories. */
class ContainerRoundTripTest {

    @TempDir
    Path dir;

    static Stream<Arguments> choices() {
        return Stream.of(CodecChoice.values())
                .flatMap(c -> Stream.of(64L, 1000L, 1L << 20).map(chunk -> Arguments.of(c, chunk)));
    }

    @ParameterizedTest
    @MethodSource("choices")
    void everyDtypeRoundTrips(CodecChoice choice, long chunk) throws IOException {
        Path in = TestModels.everyDtype(dir.resolve("m.safetensors"), 7);
        ElfzOptions o = ElfzOptions.defaults().withCodec(choice).withChunkBytes(chunk);
        Path z1 = dir.resolve("one.elfz");
        Path z2 = dir.resolve("two.elfz");
        ElfzArchive a = Elfz.compress(in, z1, o.withThreads(1));
        Elfz.compress(in, z2, o.withThreads(2));
        assertEquals(-1, Files.mismatch(z1, z2), "the output does not depend on the thread count");
        Elfz.compress(in, z2, o.withThreads(3).withOverwrite(true));
        assertEquals(-1, Files.mismatch(z1, z2), "nor on three threads");

        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(z1, back, o.withThreads(2));
        if (choice == CodecChoice.RAW || choice == CodecChoice.LOSSLESS) {
            assertEquals(-1, Files.mismatch(in, back), "lossless: the same file, byte for byte");
        }
        try (SafetensorsFile x = SafetensorsFile.open(in);
                SafetensorsFile y = SafetensorsFile.open(back);
                ElfzReader r = ElfzReader.open(z1);
                Arena arena = Arena.ofConfined()) {
            assertEquals(-1, x.headerBytes().mismatch(y.headerBytes()));
            assertEquals(Map.of("format", "pt", "note", "every dtype"), y.metadata());
            assertEquals(x.tensors(), y.tensors());
            assertEquals(x.metadata(), a.files().getFirst().metadata());
            for (TensorInfo t : x.tensors()) {
                ElfzTensor et = r.tensor(t.name());
                assertEquals(t.dtype(), et.dtype());
                assertArrayEquals(t.shape(), et.shape());
                assertTrue(expectedCodecs(choice, t, chunk).contains(et.codec()), t.name() + ": " + et.codec());
                MemorySegment decoded = y.data(y.tensor(t.name()));
                assertEquals(-1, r.read(et, arena).mismatch(decoded), "the reader decodes what decompress wrote");
                assertDecoded(x.data(t), decoded, t.dtype(), bound(et), t.name());
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    List.of("back.safetensors", "m.safetensors", "one.elfz", "two.elfz"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file left");
        }
    }

    /**
     * What the writer may end up with: the chosen codec, or raw where no chunk shrank: ELF's header and the entropy
     * stage's section table outweigh the saving in tiny tensors and 64-byte chunks; lossless pays only where the
     * exponent plane is long enough to carry a Huffman table (EntropyCodecsTest and BertRoundTripTest check it does).
     */
    private static Set<Codec> expectedCodecs(CodecChoice choice, TensorInfo t, long chunk) {
        Codec c = choice.codecFor(t.dtype());
        boolean tooSmall = t.byteSize() <= 16 || chunk == 64;
        if (c == Codec.LOSSLESS || (c == Codec.ELF && tooSmall)) {
            return Set.of(c, Codec.RAW);
        }
        return Set.of(c);
    }

    /** Lossless bytes equal; ELF values within the bound, or bit for bit (exceptions, NaN, Inf). */
    /** What a tensor is held to: ELF's bound for its dtype (a constant of the tests), raw and lossless exact. */
    private static double bound(ElfzTensor et) {
        return switch (et.codec()) {
            case ELF -> PromiseOracle.elfBound(et.dtype().elfType());
            case RAW, LOSSLESS -> 0;
            default -> throw new AssertionError(et + ": no codec choice here gives " + et.codec());
        };
    }

    static void assertDecoded(MemorySegment x, MemorySegment y, Dtype d, double bound, String name) {
        if (bound == 0 || d.elfType() == null) {
            assertEquals(-1, x.mismatch(y), name + " is bit for bit");
            return;
        }
        long n = x.byteSize() / d.elfType().valueBytes();
        for (long i = 0; i < n; i++) {
            double a = TestModels.get(x, d, i);
            double b = TestModels.get(y, d, i);
            boolean sameBits =
                    x.asSlice(i * (d.bits() / 8), d.bits() / 8).mismatch(y.asSlice(i * (d.bits() / 8), d.bits() / 8))
                            == -1;
            if (!sameBits && !(Math.abs(a) < 1 && Math.abs(a - b) <= bound)) {
                throw new AssertionError(name + "[" + i + "]: " + a + " decoded as " + b + ", bound " + bound);
            }
        }
    }

    @Test
    void aModelDirectoryRoundTripsWithShardsAndOtherFiles() throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        List<TensorSpec> shard1 = List.of(
                new TensorSpec("a.weight", Dtype.F32, new long[] {40, 30}),
                new TensorSpec("a.bias", Dtype.F32, new long[] {30}));
        List<TensorSpec> shard2 = List.of(
                new TensorSpec("b.weight", Dtype.BF16, new long[] {50, 10}),
                new TensorSpec("a.bias", Dtype.F16, new long[] {3})); // same name in another shard
        TestModels.write(model.resolve("model-00001-of-00002.safetensors"), shard1, Map.of("format", "pt"), 1);
        TestModels.write(model.resolve("model-00002-of-00002.safetensors"), shard2, Map.of(), 2);
        Files.writeString(
                model.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"a.weight\": \"model-00001-of-00002.safetensors\"}}");
        Files.writeString(model.resolve("config.json"), "{\"hidden_size\": 30}");
        Files.createDirectories(model.resolve("1_Pooling"));
        Files.writeString(model.resolve("1_Pooling/config.json"), "{}");
        Files.write(model.resolve("empty.txt"), new byte[0]);

        Path z = dir.resolve("model.elfz");
        assertEquals(z.toAbsolutePath(), Elfz.compressedName(model));
        ElfzArchive a = Elfz.compress(model, z, ElfzOptions.defaults().withChunkBytes(256));
        assertEquals(InputKind.DIRECTORY, a.input());
        assertEquals(
                List.of(
                        "1_Pooling/config.json",
                        "config.json",
                        "empty.txt",
                        "model-00001-of-00002.safetensors",
                        "model-00002-of-00002.safetensors",
                        "model.safetensors.index.json"),
                a.files().stream().map(ElfzFile::path).toList());

        Path back = dir.resolve("back");
        Elfz.decompress(z, back, ElfzOptions.defaults());
        for (String blob :
                List.of("1_Pooling/config.json", "config.json", "empty.txt", "model.safetensors.index.json")) {
            assertEquals(-1, Files.mismatch(model.resolve(blob), back.resolve(blob)), blob);
        }
        // the BF16 and F16 shard is lossless under auto: byte for byte
        assertEquals(
                -1,
                Files.mismatch(
                        model.resolve("model-00002-of-00002.safetensors"),
                        back.resolve("model-00002-of-00002.safetensors")));
        try (SafetensorsFile x = SafetensorsFile.open(model.resolve("model-00001-of-00002.safetensors"));
                SafetensorsFile y = SafetensorsFile.open(back.resolve("model-00001-of-00002.safetensors"));
                ElfzReader r = ElfzReader.open(z)) {
            for (TensorInfo t : x.tensors()) {
                assertDecoded(x.data(t), y.data(y.tensor(t.name())), t.dtype(), 0x1p-24, t.name());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.tensor("a.bias"));
            assertTrue(e.getMessage().contains("several tensors named a.bias"), e.getMessage());
            assertEquals(
                    Dtype.F16,
                    r.tensor("model-00002-of-00002.safetensors", "a.bias").dtype());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    List.of("back", "model", "model.elfz"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary directory left");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aFailureMidWayLeavesNothing(int threads) throws IOException {
        Path in = TestModels.everyDtype(dir.resolve("m.safetensors"), 5);
        Path z = dir.resolve("m.elfz");
        IllegalStateException stop = new IllegalStateException("stopped");
        int[] chunks = {0};
        ElfzOptions o = ElfzOptions.defaults()
                .withChunkBytes(64)
                .withThreads(threads)
                .withProgress(new ElfzOptions.Progress() {
                    @Override
                    public void advance(long bytes) {
                        if (++chunks[0] == 20) { // chunks before it are written, others in flight
                            throw stop;
                        }
                    }
                });
        assertSame(stop, assertThrows(IllegalStateException.class, () -> Elfz.compress(in, z, o)));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    List.of("m.safetensors"),
                    files.map(p -> p.getFileName().toString()).toList(),
                    "neither the output nor a temporary file");
        }
    }

    @Test
    void anExistingOutputIsKeptUnlessOverwriteIsAsked() throws Exception {
        Path in = TestModels.everyDtype(dir.resolve("m.safetensors"), 3);
        Path z = dir.resolve("m.safetensors.elfz");
        Files.writeString(z, "precious");
        FileAlreadyExistsException e =
                assertThrows(FileAlreadyExistsException.class, () -> Elfz.compress(in, z, ElfzOptions.defaults()));
        assertEquals(AtomicFiles.EXISTS, e.getReason());
        assertEquals("precious", Files.readString(z));
        Elfz.compress(in, z, ElfzOptions.defaults().withOverwrite(true));
        assertEquals(Path.of("m.safetensors"), Elfz.decompressedName(Path.of("m.safetensors.elfz")));
        assertThrows(FileAlreadyExistsException.class, () -> Elfz.decompress(z, in, ElfzOptions.defaults()));
        assertThrows(IOException.class, () -> Elfz.decompressedName(Path.of("m.safetensors")));
        assertThrows(
                IOException.class,
                () -> Elfz.compress(in, in, ElfzOptions.defaults().withOverwrite(true)));
        try (SafetensorsFile f = SafetensorsFile.open(in)) {
            assertTrue(f.tensors().size() > 20, "the input is untouched");
        }
        // overwrite replaces files, never a device or a pipe (a rename over it would replace the node itself)
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        IOException notAFile = assertThrows(
                IOException.class,
                () -> Elfz.compress(in, fifo, ElfzOptions.defaults().withOverwrite(true)));
        assertEquals(fifo + ": cannot write: not a regular file", notAFile.getMessage());
        assertTrue(Files.isRegularFile(fifo) == false && Files.exists(fifo), "the fifo is still there");
    }
}
