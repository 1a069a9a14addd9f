package dev.elfz.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.CodecChoice;
import dev.elfz.Dtype;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzReader;
import dev.elfz.FileKind;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF files made by {@link GgufBytes} (F32, F16 and Q8_0 tensors, metadata of every kind the writer has): read, round
 * trips, and every malformed case one line.
 */
class GgufFileTest {

    @TempDir
    Path dir;

    static final int F32 = 0, F16 = 1, Q8_0 = 8;

    /** token_embd [64, 96] in Q8_0, a [96, 32] F16 matrix, a [96] F32 norm, metadata strings and arrays. */
    static byte[] model() {
        Random r = new Random(3);
        float[] emb = gaussian(r, 64 * 96, 0.05);
        float[] w = gaussian(r, 96 * 32, 0.05);
        ByteBuffer f16 = ByteBuffer.allocate(2 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : w) {
            f16.putShort(Float.floatToFloat16(v));
        }
        return new GgufBytes()
                .string("general.architecture", "bert")
                .string("general.name", "crafted")
                .u32("general.alignment", 32)
                .f32("bert.attention.layer_norm_epsilon", 1e-12f)
                .strings("tokenizer.ggml.tokens", "[PAD]", "[UNK]", "hello")
                .tensor("token_embd.weight", Q8_0, new long[] {96, 64}, GgufBytes.q8_0(emb))
                .tensor("blk.0.attn_q.weight", F16, new long[] {32, 96}, f16.array())
                .tensor("blk.0.attn_norm.weight", F32, new long[] {96}, floats(gaussian(r, 96, 1)))
                .bytes();
    }

    private static List<TensorInfo> parse(byte[] f) throws GgufException {
        return GgufFile.parse(Path.of("m.gguf"), MemorySegment.ofArray(f));
    }

    @Test
    void readsTensorsAndTheirLayout() throws IOException {
        List<TensorInfo> t = parse(model());
        assertEquals(
                List.of("token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_norm.weight"),
                t.stream().map(TensorInfo::name).toList());
        assertEquals(Dtype.U8, t.get(0).dtype()); // quantized blocks are bytes
        assertArrayEquals(new long[] {64 * 96 / 32 * 34}, t.get(0).shape());
        assertEquals(Dtype.F16, t.get(1).dtype());
        assertArrayEquals(new long[] {96, 32}, t.get(1).shape()); // ggml's ne reversed: row-major
        assertEquals(Dtype.F32, t.get(2).dtype());
        for (TensorInfo i : t) {
            assertEquals(0, i.begin() % 32, i.name());
        }
    }

    @Test
    void losslessRoundTripsGiveTheSameFile() throws IOException {
        byte[] file = model();
        Path in = dir.resolve("m.gguf");
        Files.write(in, file);
        for (ElfzOptions o : List.of(
                ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS),
                ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS).withChunkBytes(256),
                ElfzOptions.defaults().withCodec(CodecChoice.RAW))) {
            Path z = dir.resolve("m.elfz");
            Path out = dir.resolve("out.gguf");
            Elfz.compress(in, z, o.withOverwrite(true));
            Elfz.decompress(z, out, o.withOverwrite(true));
            assertArrayEquals(file, Files.readAllBytes(out));
            try (ElfzReader r = Elfz.open(z)) {
                assertEquals(FileKind.GGUF, r.archive().files().getFirst().kind());
                assertEquals(3, r.tensors().size());
            }
        }
    }

    /** An error bound: the F16 and F32 tensors within it, the quantized blocks and everything else as they were. */
    @Test
    void lossyRoundTripsKeepTheLayout() throws IOException {
        byte[] file = model();
        Path in = dir.resolve("m.gguf");
        Files.write(in, file);
        Path z = dir.resolve("m.elfz");
        Path out = dir.resolve("out.gguf");
        Elfz.compress(in, z, ElfzOptions.defaults().withErrorBound(1e-2));
        Elfz.decompress(z, out, ElfzOptions.defaults());
        byte[] back = Files.readAllBytes(out);
        List<TensorInfo> t = parse(file);
        assertEquals(t, parse(back));
        TensorInfo norm = t.get(2);
        assertFalse(Arrays.equals(slice(file, norm), slice(back, norm)), "lossy");
        float[] a = toFloats(slice(file, norm));
        float[] b = toFloats(slice(back, norm));
        for (int i = 0; i < a.length; i++) {
            assertTrue(Math.abs(a[i] - b[i]) <= 1e-2, i + ": " + a[i] + " " + b[i]);
        }
        byte[] outside = file.clone(); // every byte but the float tensors' is the original's
        byte[] outsideBack = back.clone();
        for (TensorInfo i : t.subList(1, 3)) {
            Arrays.fill(outside, (int) i.begin(), (int) i.end(), (byte) 0);
            Arrays.fill(outsideBack, (int) i.begin(), (int) i.end(), (byte) 0);
        }
        assertArrayEquals(outside, outsideBack);
    }

    @Test
    void everyTruncationAndByteFlipIsOneLine() {
        byte[] file = model();
        List<TensorInfo> t = assertDoesNotThrowParse(file);
        long dataStart = t.getFirst().begin();
        int refused = 0;
        for (int n = 0; n < file.length; n += n < dataStart + 64 ? 1 : 97) {
            refused += parsesOrOneLine(Arrays.copyOf(file, n));
        }
        assertTrue(refused > 0);
        for (int i = 0; i < dataStart; i++) {
            byte[] f = file.clone();
            f[i] ^= (byte) 0xFF;
            parsesOrOneLine(f);
        }
    }

    private static List<TensorInfo> assertDoesNotThrowParse(byte[] f) {
        try {
            return parse(f);
        } catch (GgufException e) {
            throw new AssertionError(e);
        }
    }

    private static int parsesOrOneLine(byte[] f) {
        try {
            parse(f);
            return 0;
        } catch (GgufException e) {
            assertTrue(e.getMessage().startsWith("m.gguf: ") && !e.getMessage().contains("\n"), e.getMessage());
            return 1;
        }
    }

    @Test
    void refusesMalformedFiles() {
        byte[] good = model();
        assertRefused(Arrays.copyOf(good, good.length - 1), "runs past the end of the file");
        byte[] f = good.clone();
        putLong(f, 8, 1L << 40); // tensor count
        assertRefused(f, "tensor count 1099511627776 is more than the file holds");
        f = good.clone();
        putLong(f, 16, -1L); // metadata count, unsigned 2^64 - 1
        assertRefused(f, "metadata count 18446744073709551615 is more than the file holds");
        f = good.clone();
        putLong(f, 24, 1L << 50); // the first key's length
        assertRefused(f, "metadata key 0's length");
        assertRefused(
                new GgufBytes().tensor("x", 99, new long[] {4}, new byte[4]).bytes(),
                "tensor x of unknown ggml type 99");
        assertRefused(
                new GgufBytes().tensor("x", Q8_0, new long[] {16}, new byte[17]).bytes(),
                "a row of 16 values is not whole blocks of 32");
        assertRefused(new GgufBytes().version(1).bytes(), "GGUF version 1, not 2 or 3");
        assertRefused(new GgufBytes().u32("general.alignment", 24).bytes(), "not a power of two");
        assertRefused(
                new GgufBytes()
                        .tensor("x", F32, new long[] {1, 1, 1, 1, 1}, new byte[4])
                        .bytes(),
                "5 dimensions");
        assertRefused("GGML".getBytes(), "not a GGUF file");
        byte[] kv = new GgufBytes().string("a", "b").bytes();
        putInt(kv, 24 + 8 + 1, 13); // the value's type
        assertRefused(kv, "metadata a of unknown type 13");
        byte[] two = new GgufBytes()
                .tensor("x", F32, new long[] {8}, new byte[32])
                .tensor("y", F32, new long[] {8}, new byte[32])
                .bytes();
        byte[] overlap = two.clone();
        int at = indexOf(overlap, "y".getBytes()) + 1 + 4 + 8 + 4; // y's offset
        putLong(overlap, at, 0);
        assertRefused(overlap, "tensors x and y overlap");
        byte[] unaligned = two.clone();
        putLong(unaligned, at, 33);
        assertRefused(unaligned, "offset 33 is not a multiple of the alignment 32");
        byte[] past = two.clone();
        putLong(past, at, 1 << 20);
        assertRefused(past, "tensor y [");
    }

    private static void assertRefused(byte[] f, String what) {
        GgufException e = assertThrows(GgufException.class, () -> parse(f));
        assertTrue(e.getMessage().contains(what), e.getMessage());
    }

    private static int indexOf(byte[] f, byte[] what) {
        for (int i = 0; ; i++) {
            if (Arrays.equals(f, i, i + what.length, what, 0, what.length) && f[i - 8] == what.length) {
                return i;
            }
        }
    }

    private static void putLong(byte[] f, int at, long v) {
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
    }

    private static void putInt(byte[] f, int at, int v) {
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
    }

    private static byte[] slice(byte[] f, TensorInfo t) {
        return Arrays.copyOfRange(f, (int) t.begin(), (int) t.end());
    }

    private static float[] toFloats(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    static float[] gaussian(Random r, int n, double sigma) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * sigma);
        }
        return x;
    }

    static byte[] floats(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) {
            b.putFloat(v);
        }
        return b.array();
    }
}
