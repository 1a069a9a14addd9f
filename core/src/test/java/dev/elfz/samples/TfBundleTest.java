package dev.elfz.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TfBundle} on indexes built here, valid and broken. The real BERT-base index: {@link BertWeightsTest}. */
class TfBundleTest {

    static final int DT_FLOAT = 1, DT_STRING = 7, DT_INT64 = 9, DT_BFLOAT16 = 14;

    /** A tensor bundle index as TensorFlow writes it: one data block, an empty metaindex block, an index block. */
    static final class Table {
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        int compression = 0;
        long dataOffset = 0;
        long metaOffset, metaSize; // where bytes() put the metaindex block
        private byte[] last = {};

        Table() {
            put("", new Proto().varint(1, 1).bytes()); // BundleHeaderProto: num_shards 1, little-endian
        }

        /** Adds a key (they must come in order) with a prefix-compressed key, as LevelDB writes it. */
        Table put(String key, byte[] value) {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            int shared = Arrays.mismatch(last, k) < 0 ? k.length : Arrays.mismatch(last, k);
            varint(data, shared);
            varint(data, k.length - shared);
            varint(data, value.length);
            data.write(k, shared, k.length - shared);
            data.writeBytes(value);
            last = k;
            return this;
        }

        Table tensor(String name, int dtype, long[] shape, long offset, long size, int crc) {
            Proto s = new Proto();
            for (long d : shape) {
                s.message(2, new Proto().varint(1, d));
            }
            return put(
                    name,
                    new Proto()
                            .varint(1, dtype)
                            .message(2, s)
                            .varint(4, offset)
                            .varint(5, size)
                            .fixed32(6, TfBundle.mask(crc))
                            .bytes());
        }

        byte[] bytes() {
            ByteArrayOutputStream file = new ByteArrayOutputStream();
            long dataSize = block(file, data.toByteArray(), compression);
            metaOffset = file.size();
            metaSize = block(file, new byte[0], 0);
            ByteArrayOutputStream index = new ByteArrayOutputStream();
            varint(index, 0);
            varint(index, 1);
            ByteArrayOutputStream handle = new ByteArrayOutputStream();
            varint(handle, dataOffset);
            varint(handle, dataSize);
            varint(index, handle.size());
            index.write('~');
            index.writeBytes(handle.toByteArray());
            long indexOffset = file.size(), indexSize = block(file, index.toByteArray(), 0);
            return footer(file, metaOffset, metaSize, indexOffset, indexSize);
        }

        /** Appends entries, a one-restart array and the trailer; returns the block's size (trailer excluded). */
        private static long block(ByteArrayOutputStream file, byte[] entries, int compression) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(entries);
            b.writeBytes(new byte[] {0, 0, 0, 0, 1, 0, 0, 0}); // restart[0] = 0, one restart
            b.write(compression);
            CRC32C crc = new CRC32C();
            crc.update(b.toByteArray());
            int masked = TfBundle.mask((int) crc.getValue());
            b.writeBytes(
                    new byte[] {(byte) masked, (byte) (masked >> 8), (byte) (masked >> 16), (byte) (masked >> 24)});
            file.writeBytes(b.toByteArray());
            return b.size() - 5;
        }
    }

    /** Appends the 48-byte footer with these handles to {@code file}. */
    static byte[] footer(ByteArrayOutputStream file, long metaOffset, long metaSize, long indexOffset, long indexSize) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        varint(f, metaOffset);
        varint(f, metaSize);
        varint(f, indexOffset);
        varint(f, indexSize);
        f.writeBytes(new byte[40 - f.size()]);
        for (int i = 0; i < 8; i++) {
            f.write((int) (TfBundle.MAGIC >>> (8 * i)));
        }
        file.writeBytes(f.toByteArray());
        return file.toByteArray();
    }

    static void varint(ByteArrayOutputStream out, long v) {
        for (; (v & ~0x7fL) != 0; v >>>= 7) {
            out.write((int) (v & 0x7f) | 0x80);
        }
        out.write((int) v);
    }

    /** A protobuf message, written field by field. */
    static final class Proto {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Proto varint(int field, long v) {
            TfBundleTest.varint(b, field << 3);
            TfBundleTest.varint(b, v);
            return this;
        }

        Proto fixed32(int field, int v) {
            TfBundleTest.varint(b, field << 3 | 5);
            b.writeBytes(new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)});
            return this;
        }

        Proto message(int field, Proto m) {
            TfBundleTest.varint(b, field << 3 | 2);
            TfBundleTest.varint(b, m.b.size());
            b.writeBytes(m.b.toByteArray());
            return this;
        }

        byte[] bytes() {
            return b.toByteArray();
        }
    }

    /** A valid index of three tensors (28 bytes of data), the names sharing prefixes. */
    static Table sample() {
        return new Table()
                .tensor("dense/bias", DT_FLOAT, new long[] {3}, 0, 12, 0x12345678)
                .tensor("dense/kernel", DT_BFLOAT16, new long[] {2, 3}, 12, 12, 0xcafebabe)
                .tensor("step", DT_INT64, new long[] {}, 24, 8, 0);
    }

    static void fails(byte[] index, String expected) {
        IOException e = assertThrows(IOException.class, () -> TfBundle.parse(index));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void parsesEntriesInOrder() throws IOException {
        List<TfBundle.Entry> entries = TfBundle.parse(sample().bytes());
        assertEquals(
                List.of("dense/bias", "dense/kernel", "step"),
                entries.stream().map(TfBundle.Entry::name).toList());
        TfBundle.Entry kernel = entries.get(1);
        assertEquals("BF16", kernel.dtype());
        assertArrayEquals(new long[] {2, 3}, kernel.shape());
        assertEquals(6, kernel.elements());
        assertEquals(12, kernel.offset());
        assertEquals(12, kernel.size());
        assertEquals(0, kernel.shardId());
        assertEquals(0xcafebabe, kernel.crc32c(), "unmasked");
        assertEquals(0x12345678, entries.get(0).crc32c());
        assertEquals("F32", entries.get(0).dtype());
        assertEquals("I64", entries.get(2).dtype());
        assertArrayEquals(new long[0], entries.get(2).shape(), "a scalar");
        assertEquals(1, entries.get(2).elements());
    }

    @Test
    void readsAFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("variables.index");
        Files.write(file, sample().bytes());
        assertEquals(3, TfBundle.read(file).size());
        Files.write(file, new byte[10]);
        IOException e = assertThrows(IOException.class, () -> TfBundle.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    }

    @Test
    void maskRoundTrips() {
        for (int crc : new int[] {0, -1, 0x552da35e, 0x80000000, 0x7fffffff}) {
            assertEquals(crc, TfBundle.unmask(TfBundle.mask(crc)));
        }
        assertEquals(0xe93f9533, TfBundle.mask(0x552da35e), "BERT-base's first LayerNorm beta, as the index stores it");
    }

    @Test
    void badMagic() {
        byte[] b = sample().bytes();
        b[b.length - 1] ^= 1;
        fails(b, "bad table magic");
    }

    @Test
    void truncatedFooter() {
        byte[] b = sample().bytes();
        fails(Arrays.copyOf(b, 30), "shorter than the 48-byte table footer");
        fails(Arrays.copyOf(b, b.length - 10), "bad table magic");
        fails(new byte[0], "shorter than the 48-byte table footer");
    }

    @Test
    void blockHandlePastTheEnd() {
        Table s = sample();
        byte[] b = s.bytes();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        head.write(b, 0, b.length - 48);
        fails(
                footer(head, s.metaOffset, s.metaSize, b.length, 10),
                "index block at " + b.length + " (10 bytes + 5) lies outside");
        Table t = sample();
        t.dataOffset = 1 << 20;
        fails(t.bytes(), "data block at 1048576");
        head.reset();
        head.write(b, 0, b.length - 48);
        fails(footer(head, 0, 1L << 62, 0, 8), "metaindex block at 0");
    }

    @Test
    void snappyBlockIsNamed() {
        Table t = sample();
        t.compression = 1;
        fails(t.bytes(), "Snappy-compressed");
        t.compression = 7;
        fails(t.bytes(), "unknown compression type 7");
    }

    @Test
    void corruptBlockFailsItsChecksum() {
        byte[] b = sample().bytes();
        b[5] ^= 0x10;
        fails(b, "checksum mismatch");
    }

    @Test
    void sizeMustMatchShapeAndDtype() {
        fails(new Table().tensor("w", DT_FLOAT, new long[] {3}, 0, 16, 0).bytes(), "w: 16 bytes, but F32[3] needs 12");
        fails(
                new Table()
                        .tensor("w", DT_FLOAT, new long[] {1L << 40, 1L << 40}, 0, 16, 0)
                        .bytes(),
                "more than 2^63");
        fails(new Table().tensor("w", DT_FLOAT, new long[] {-1, 3}, 0, 16, 0).bytes(), "w: dimension 0 is unknown");
    }

    @Test
    void unsupportedEntries() {
        fails(
                new Table().tensor("s", DT_STRING, new long[] {2}, 0, 10, 0).bytes(),
                "s: TensorFlow dtype 7 has no safetensors equivalent");
        byte[] sliced = new Proto()
                .varint(1, DT_FLOAT)
                .message(7, new Proto().varint(1, 1))
                .bytes();
        fails(new Table().put("p", sliced).bytes(), "p: partitioned (sliced) tensors are not supported");
        Table other = new Table();
        other.data.reset(); // no header: some other LevelDB table
        fails(other.put("k", new byte[] {8, 1}).bytes(), "no bundle header");
        Table big = new Table();
        big.data.reset();
        fails(big.put("", new Proto().varint(1, 1).varint(2, 1).bytes()).bytes(), "big-endian");
    }

    @Test
    void truncatedEntryIsOneLine() {
        byte[] cut = Arrays.copyOf(
                new Proto()
                        .varint(1, DT_FLOAT)
                        .message(2, new Proto().varint(2, 5))
                        .bytes(),
                4);
        fails(new Table().put("t", cut).bytes(), "truncated");
    }
}
