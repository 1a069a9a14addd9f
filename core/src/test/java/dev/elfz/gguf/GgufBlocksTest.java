package dev.elfz.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Codec;
import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import dev.elfz.container.DamagedElfzTest;
import dev.elfz.samples.BertGguf;
import dev.elfz.samples.BertWeights;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantized blocks through the blocks codec, on BERT-base's real weights quantized by the test writer (Q8_0 and Q4_0
 * as llama.cpp's reference quantizers, Q4_K and Q6_K in ggml's layout): every round trip gives the same file, the
 * planes make Q8_0 smaller than its bytes, lossy options leave the blocks as they are, random blocks are stored.
 */
public class GgufBlocksTest {

    private static final int F32 = 0;
    private static final List<String> TYPES = List.of("Q8_0", "Q4_0", "Q4_K", "Q6_K");
    private static final int ROWS = 256;
    private static final int COLS = 768;

    /** Lossless floats too, so that the whole file comes back. */
    private static final ElfzOptions LOSSLESS = ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS);

    private static float[] bert;

    @TempDir
    Path dir;

    @BeforeAll
    static void weights(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("bert.f32");
        BertWeights.extract(null, 4L * ROWS * COLS, f);
        bert = new float[ROWS * COLS];
        ByteBuffer.wrap(Files.readAllBytes(f))
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer()
                .get(bert);
    }

    /** A quantized [ROWS, COLS] matrix of BERT's values and an F32 norm of the next 768. */
    private static byte[] model(String type, byte[] blocks) {
        int id = GgmlType.valueOf(type).id;
        float[] norm = new float[COLS];
        System.arraycopy(bert, 0, norm, 0, COLS);
        return new GgufBytes()
                .string("general.architecture", "bert")
                .tensor("blk.0.ffn_up.weight", id, new long[] {COLS, ROWS}, blocks)
                .tensor("blk.0.attn_norm.weight", F32, new long[] {COLS}, GgufFileTest.floats(norm))
                .bytes();
    }

    private Path write(String name, byte[] b) throws IOException {
        return Files.write(dir.resolve(name), b);
    }

    /** Compresses with o (lossless), decompresses, checks the file is the same; the archive's quantized tensor. */
    private ElfzTensor roundTrip(Path in, ElfzOptions o) throws IOException {
        Path z = dir.resolve("m.elfz");
        Path out = dir.resolve("back.gguf");
        Elfz.compress(in, z, o.withOverwrite(true));
        Elfz.decompress(z, out, ElfzOptions.defaults().withOverwrite(true));
        assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out), in + " " + o.codec());
        try (ElfzReader r = Elfz.open(z)) {
            return r.tensor("blk.0.ffn_up.weight");
        }
    }

    @Test
    void everyTypeRoundTripsThroughPlanes() throws IOException {
        for (String type : TYPES) {
            byte[] blocks = BertGguf.quantize(type, bert);
            GgmlType t = GgmlType.valueOf(type);
            assertEquals((long) ROWS * COLS / t.block * t.bytes, blocks.length, type);
            Path in = write(type + ".gguf", model(type, blocks));
            ElfzTensor q = roundTrip(in, LOSSLESS);
            assertEquals(Codec.BLOCKS, q.codec(), type);
            assertTrue(q.storedBytes() < blocks.length, type + ": " + q.storedBytes() + " of " + blocks.length);
            assertEquals(
                    Codec.RAW,
                    roundTrip(in, ElfzOptions.defaults().withCodec(CodecChoice.RAW))
                            .codec());
        }
    }

    /** The scales and quants of Q8_0 apart code to at most 95% of the blocks (measured: about 88%). */
    @Test
    void q8_0IsSmallerThanItsBytes() throws IOException {
        byte[] blocks = GgufBytes.q8_0(bert);
        ElfzTensor q = roundTrip(write("q8.gguf", model("Q8_0", blocks)), LOSSLESS);
        assertTrue(q.storedBytes() < 0.95 * blocks.length, q.storedBytes() + " of " + blocks.length);
    }

    /** Quantized blocks stay lossless whatever lossy option is given; the F32 norm is what changes. */
    @Test
    void lossyOptionsLeaveBlocksExact() throws IOException {
        byte[] blocks = GgufBytes.q4_0(bert);
        byte[] file = model("Q4_0", blocks);
        Path in = write("q4.gguf", file);
        for (ElfzOptions o : List.of(
                ElfzOptions.defaults().withCodec(CodecChoice.ELF),
                ElfzOptions.defaults().withErrorBound(1e-2),
                ElfzOptions.defaults().withCodec(CodecChoice.UNIFORM))) {
            Path z = dir.resolve("lossy.elfz");
            Path out = dir.resolve("lossy.gguf");
            Elfz.compress(in, z, o.withOverwrite(true));
            Elfz.decompress(z, out, ElfzOptions.defaults().withOverwrite(true));
            byte[] back = Files.readAllBytes(out);
            TensorAt q = at(file, "blk.0.ffn_up.weight");
            assertArrayEquals(
                    Arrays.copyOfRange(file, q.begin, q.end), Arrays.copyOfRange(back, q.begin, q.end), o.toString());
            try (ElfzReader r = Elfz.open(z)) {
                assertEquals(Codec.BLOCKS, r.tensor("blk.0.ffn_up.weight").codec());
            }
        }
    }

    /** Chunks of 3 blocks and a last one of 1 (small chunks, a count of blocks no chunk divides). */
    @Test
    void oddChunksAndTails() throws IOException {
        for (String type : TYPES) {
            GgmlType t = GgmlType.valueOf(type);
            byte[] all = BertGguf.quantize(type, bert);
            int rows = type.endsWith("K") ? 7 : 7 * 8; // 7 * 768 / 256 = 21 blocks; 56 * 768 / 32 = 1344
            byte[] some = Arrays.copyOf(all, rows * COLS / t.block * t.bytes);
            byte[] file = new GgufBytes()
                    .tensor("blk.0.ffn_up.weight", t.id, new long[] {COLS, rows}, some)
                    .bytes();
            Path in = write(type + "-odd.gguf", file);
            ElfzTensor q = roundTrip(in, LOSSLESS.withChunkBytes(Math.max(64, 3L * t.bytes + 1)));
            assertTrue(q.codec() == Codec.BLOCKS || q.codec() == Codec.RAW, type);
            roundTrip(in, LOSSLESS.withChunkBytes(64)); // one block a chunk
        }
    }

    /** Random bytes in Q8_0 blocks do not shrink: every chunk stored as it is, the file the same. */
    @Test
    void randomBlocksAreStoredAsTheyAre() throws IOException {
        byte[] noise = new byte[ROWS * COLS / 32 * 34];
        new Random(9).nextBytes(noise);
        ElfzTensor q = roundTrip(write("noise.gguf", model("Q8_0", noise)), LOSSLESS);
        assertEquals(Codec.RAW, q.codec(), "a stream whose chunks were all stored is raw");
        assertEquals(noise.length, q.storedBytes());
    }

    /**
     * A small GGUF of Q8_0, Q4_0, Q4_K and Q6_K tensors of few distinct values (so that their chunks are coded) and an F32
     * vector: the blocks seed of the archive fuzz target, committed, and this test's golden archive.
     */
    public static byte[] smallModel() {
        Random r = new Random(11);
        float[] x = GgufFileTest.gaussian(r, 512, 2);
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.01f * Math.round(x[i]); // few distinct values: few distinct quants, which the planes shrink
        }
        GgufBytes g = new GgufBytes().string("general.architecture", "bert");
        for (String type : TYPES) {
            GgmlType t = GgmlType.valueOf(type);
            g.tensor(type.toLowerCase(Locale.ROOT) + ".weight", t.id, new long[] {256, 2}, BertGguf.quantize(type, x));
        }
        return g.tensor("norm.weight", F32, new long[] {8}, GgufFileTest.floats(GgufFileTest.gaussian(r, 8, 1)))
                .bytes();
    }

    /**
     * Golden file: the committed archive of {@link #smallModel} (format 2.5, made when the blocks codec was added)
     * decodes to that file, the Q8_0 tensor through the blocks codec.
     */
    @Test
    void theCommittedBlocksArchiveDecodes() throws IOException {
        Path z = dir.resolve("golden.elfz");
        try (InputStream in = getClass().getResourceAsStream("/dev/elfz/ElfzFuzzTargetInputs/archive/valid-blocks")) {
            Files.write(z, in.readAllBytes());
        }
        Path out = dir.resolve("golden.gguf");
        Elfz.decompress(z, out, ElfzOptions.defaults());
        assertArrayEquals(smallModel(), Files.readAllBytes(out));
        try (ElfzReader r = Elfz.open(z)) {
            assertEquals(Codec.BLOCKS, r.tensor("q8_0.weight").codec());
            for (String type : TYPES) { // the smaller ones were not made smaller: stored as they are
                Codec c = r.tensor(type.toLowerCase(Locale.ROOT) + ".weight").codec();
                assertTrue(c == Codec.BLOCKS || c == Codec.RAW, type + " " + c);
            }
        }
    }

    /**
     * A blocks chunk that is not whole blocks (an index whose Q8_0 fields make 35-byte blocks of its 544 bytes) is
     * refused when the index is read, in one line naming the tensor and the chunk, before anything is decoded.
     */
    @Test
    void aChunkOfPartBlocksIsRefusedWithTheIndex() throws IOException {
        Path good = dir.resolve("small.elfz");
        Elfz.compress(write("small.gguf", smallModel()), good, LOSSLESS);
        Path bad = Files.write(
                dir.resolve("bad.elfz"),
                DamagedElfzTest.withIndex(
                        Files.readAllBytes(good), j -> j.replace("\"fields\":[1,1,32]", "\"fields\":[1,1,33]")));
        String expected = bad
                + ": damaged index: small.gguf: tensor q8_0.weight: chunk 0 of 544 bytes is not whole blocks of 35 bytes";
        assertEquals(
                expected, assertThrows(IOException.class, () -> Elfz.open(bad)).getMessage());
        Path out = dir.resolve("out.gguf");
        IOException e = assertThrows(IOException.class, () -> Elfz.decompress(bad, out, ElfzOptions.defaults()));
        assertEquals(expected, e.getMessage());
        assertTrue(Files.notExists(out));
    }

    /** A K-quant row that is not whole blocks of 256 is refused in one line naming the file. */
    @Test
    void rowsNotWholeBlocksAreRefused() throws IOException {
        for (String type : TYPES) {
            GgmlType t = GgmlType.valueOf(type);
            Path in = write(
                    type + "-bad.gguf",
                    new GgufBytes()
                            .tensor("w", t.id, new long[] {t.block + 16, 1}, new byte[2 * t.bytes])
                            .bytes());
            GgufException e =
                    assertThrows(GgufException.class, () -> Elfz.compress(in, dir.resolve("bad.elfz"), LOSSLESS), type);
            assertTrue(
                    e.getMessage().contains("not whole blocks of " + t.block)
                            && !e.getMessage().contains("\n"),
                    e.getMessage());
            assertTrue(Files.notExists(dir.resolve("bad.elfz")), type);
        }
    }

    private record TensorAt(int begin, int end) {}

    private static TensorAt at(byte[] file, String name) throws GgufException {
        var t = GgufFile.parse(Path.of("m.gguf"), MemorySegment.ofArray(file)).stream()
                .filter(i -> i.name().equals(name))
                .findFirst()
                .orElseThrow();
        return new TensorAt((int) t.begin(), (int) t.end());
    }
}
