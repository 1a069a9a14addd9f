package dev.elfz.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Chunk;
import dev.elfz.ChunkStream;
import dev.elfz.Codec;
import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzArchive;
import dev.elfz.ElfzException;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import dev.elfz.TestModels;
import dev.elfz.codec.registry.Codecs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damaged, cut-short and crafted .elfz files: each is refused with one line naming the file and what is wrong
 * (the tensor, when one is), before anything appears at the output.
 */
public class DamagedElfzTest {

    @TempDir
    Path dir;

    Path good;
    ElfzArchive index;

    @BeforeEach
    void compress() throws IOException {
        Path in = TestModels.everyDtype(dir.resolve("m.safetensors"), 11);
        good = dir.resolve("good.elfz");
        index = Elfz.compress(
                in, good, ElfzOptions.defaults().withCodec(CodecChoice.ELF).withChunkBytes(512));
    }

    /** Decompressing {@code bad} fails with this message part, and leaves only the inputs behind. */
    private String refused(byte[] bad) throws IOException {
        Path z = dir.resolve("bad.elfz");
        Files.write(z, bad);
        Path out = dir.resolve("out.safetensors");
        IOException e = assertThrows(IOException.class, () -> Elfz.decompress(z, out, ElfzOptions.defaults()));
        assertTrue(e.getMessage().startsWith(z + ": "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    List.of("bad.elfz", "good.elfz", "m.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "nothing left at the output");
        }
        return e.getMessage().substring(z.toString().length() + 2);
    }

    private ElfzTensor tensor(String name) {
        return index.files().getFirst().tensors().stream()
                .filter(t -> t.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void aFlippedByteInAChunkNamesTheTensor() throws IOException {
        byte[] b = Files.readAllBytes(good);
        Chunk chunk = tensor("big-f32").data().chunks().get(3);
        b[(int) (chunk.offset() + chunk.length() / 2)] ^= 0x10;
        assertEquals(
                "tensor big-f32: chunk 3 of "
                        + tensor("big-f32").data().chunks().size() + " is damaged (CRC32C mismatch)",
                refused(b));
    }

    @Test
    void aFlippedByteInTheIndexIsCaughtByItsChecksum() throws IOException {
        byte[] b = Files.readAllBytes(good);
        b[b.length - ElfzFormat.TRAILER_BYTES - 5] ^= 1;
        assertEquals("damaged index (CRC32C mismatch)", refused(b));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 16, 47, 100, 2, 3})
    void aFileCutShortIsRefused(int keep) throws IOException {
        byte[] b = Files.readAllBytes(good);
        // small numbers keep that many bytes; 2 and 3 keep half and all but one
        int n = keep == 2 ? b.length / 2 : keep == 3 ? b.length - 1 : keep;
        String m = refused(Arrays.copyOf(b, n));
        assertTrue(m.startsWith("cut short"), m);
    }

    @Test
    void otherFilesAreNotElfz() throws IOException {
        assertEquals("empty file, not an .elfz file", refused(new byte[0]));
        assertEquals(
                "not an .elfz file (no elfz magic at the start)",
                refused(Files.readAllBytes(dir.resolve("m.safetensors"))));
    }

    @Test
    void aNewerMajorVersionOrUnknownFlagIsRefused() throws IOException {
        byte[] b = Files.readAllBytes(good);
        b[8] = 3;
        assertEquals(
                "format version 3." + ElfzFormat.MINOR + "; this elfz reads 1.x to 2.x (made by a newer elfz?)",
                refused(b));
        b[8] = 0;
        assertEquals("format version 0." + ElfzFormat.MINOR + "; this elfz reads 1.x to 2.x", refused(b));
        b[8] = 2;
        b[12] = 4;
        assertEquals("unknown flags 4 in the prologue (made by a newer elfz?)", refused(b));
    }

    @Test
    void aCraftedIndexCannotWriteOutsideTheOutputOrReadOutsideTheFile() throws IOException {
        assertEquals(
                "damaged index: a single-file archive's path must be a plain name, not ../evil.safetensors",
                refused(withIndex(s -> s.replace("\"path\":\"m.safetensors\"", "\"path\":\"../evil.safetensors\""))));
        assertEquals(
                "damaged index: the index holds an unsafe file path: ../x",
                refused(withIndex(s -> s.replace("\"input\":\"file\"", "\"input\":\"directory\"")
                        .replace("\"path\":\"m.safetensors\"", "\"path\":\"../x\""))));
        Chunk c = tensor("big-f32").data().chunks().get(0);
        String m = refused(withIndex(
                s -> s.replace("[" + c.offset() + "," + c.length() + ",", "[" + (1L << 40) + "," + c.length() + ",")));
        assertTrue(m.startsWith("damaged index: m.safetensors: tensor big-f32: chunk 0 [1099511627776, +"), m);
        assertEquals(
                "damaged index: m.safetensors: tensor big-f32: unknown codec zfp (made by a newer elfz?)",
                refused(withIndex(s -> s.replaceFirst("(\"name\":\"big-f32\".*?\"codec\":)\"elf\"", "$1\"zfp\""))));
        assertEquals(
                "damaged index: m.safetensors: tensor big-f32: size 25604, expected 25600",
                refused(withIndex(s -> s.replaceFirst("(\"name\":\"big-f32\".*?\"size\":)25600", "$125604"))));
        assertTrue(refused(withIndex(s -> s.replace("\"files\":", "\"files\":5,\"x\":")))
                .startsWith("damaged index: "));
    }

    /** FORMAT.md's integers are JSON integers: not strings, not numbers with a fraction or exponent, not booleans. */
    @Test
    void numbersInTheIndexAreIntegersNotStringsOrFractions() throws IOException {
        long size = index.files().getFirst().size();
        ChunkStream s = tensor("big-f32").data();
        Chunk c = s.chunks().get(0);
        String chunk = "[" + c.offset() + "," + c.length() + "," + c.crc32c() + "," + (c.coded() ? 1 : 0) + "]";
        List<UnaryOperator<String>> edits = List.of(
                j -> j.replace("\"size\":" + size, "\"size\":\"" + size + "\""),
                j -> j.replace("\"size\":" + size, "\"size\":" + size + ".0"),
                j -> j.replace("\"size\":" + size, "\"size\":" + size + "e0"),
                j -> j.replace(
                        chunk,
                        "[" + c.offset() + ".0," + c.length() + "," + c.crc32c() + "," + (c.coded() ? 1 : 0) + "]"),
                j -> j.replace(
                        chunk,
                        "[\"" + c.offset() + "\"," + c.length() + "," + c.crc32c() + "," + (c.coded() ? 1 : 0) + "]"),
                j -> j.replace(chunk, "[" + c.offset() + "," + c.length() + "," + c.crc32c() + ",true]"),
                j -> j.replaceFirst("(\"name\":\"big-f32\".*?\"chunk_bytes\":)512", "$1512.0"),
                j -> j.replaceFirst("(\"name\":\"big-f32\".*?\"offset\":)(\\d+)", "$1\"$2\""),
                j -> j.replaceFirst("(\"name\":\"big-f32\",\"dtype\":\"F32\",\"shape\":\\[)(\\d+)", "$1$2.0"),
                j -> j.replaceFirst("(\"exceptions\":)(\\d+)", "$1$2.0"),
                j -> j.replaceFirst("(\"crc32c\":)(\\d+)", "$1\"$2\""),
                j -> j.replace("\"path\":\"m.safetensors\"", "\"path\":5"));
        for (int i = 0; i < edits.size(); i++) {
            String m = refused(withIndex(edits.get(i)));
            assertTrue(m.startsWith("damaged index: "), "edit " + i + ": " + m);
        }
        Map<String, Object> uniform =
                new HashMap<>(Map.of("bits", 8, "granularity", "group", "group_size", 32, "symmetric", false));
        Codecs.of(Codec.UNIFORM).parseParams(uniform);
        for (String key : List.of("bits", "group_size")) {
            Map<String, Object> bad = new HashMap<>(uniform);
            bad.put(key, 8.0);
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> Codecs.of(Codec.UNIFORM).parseParams(bad));
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
    }

    @Test
    void rawPathBytesMustBeHexOfTheNameThePathShows() throws IOException {
        String path = "\"path\":\"m.safetensors\"";
        assertEquals(
                "damaged index: m.safetensors: path_bytes zz is not hex",
                refused(withIndex(s -> s.replace(path, path + ",\"path_bytes\":\"zz\""))));
        assertEquals(
                "damaged index: m.safetensors: path_bytes 6d is not this path in bytes that are not UTF-8",
                refused(withIndex(s -> s.replace(path, path + ",\"path_bytes\":\"6d\""))));
        assertEquals(
                "damaged index: m.safetensors: path_bytes ff is not this path in bytes that are not UTF-8",
                refused(withIndex(s -> s.replace(path, path + ",\"path_bytes\":\"ff\""))));
        // the checks on paths hold for the bytes: "../" then 0xFF
        assertEquals(
                "damaged index: the index holds an unsafe file path: ../\uFFFD",
                refused(withIndex(s -> s.replace("\"input\":\"file\"", "\"input\":\"directory\"")
                        .replace(path, "\"path\":\"../\uFFFD\",\"path_bytes\":\"2e2e2fff\""))));
    }

    /** Names that could write outside the output, or one file twice, are refused as before: as UTF-8 or as bytes. */
    @ParameterizedTest
    @ValueSource(
            strings = {"/abs", "a//b", "a/", "./m", "a/./b", "a/../b", "..", "a\\\\b", "a\\u0000b", "\\uFFFD/../x"})
    void unsafeNamesAreRefused(String name) throws IOException {
        String path = "\"path\":\"m.safetensors\"";
        String m = refused(withIndex(s -> s.replace("\"input\":\"file\"", "\"input\":\"directory\"")
                .replace(
                        path,
                        "\"path\":\"" + name + "\""
                                + (name.startsWith("\\uFFFD") ? ",\"path_bytes\":\"ff2f2e2e2f78\"" : ""))));
        assertTrue(m.startsWith("damaged index: the index holds an unsafe file path: "), m);
    }

    @Test
    void twoEntriesOfTheSameBytesAreRefused() throws IOException {
        Path in = Files.createDirectory(dir.resolve("raw"));
        Files.writeString(Path.of(URI.create(in.toUri() + "x%FF.bin")), "A");
        Files.writeString(Path.of(URI.create(in.toUri() + "x%FE.bin")), "B");
        Path z = dir.resolve("raw.elfz");
        Elfz.compress(in, z, ElfzOptions.defaults());
        Files.write(z, withIndex(Files.readAllBytes(z), s -> s.replace("78fe2e62696e", "78ff2e62696e")));
        Path out = dir.resolve("out");
        IOException e = assertThrows(IOException.class, () -> Elfz.decompress(z, out, ElfzOptions.defaults()));
        assertEquals(z + ": damaged index: the index lists x\uFFFD.bin twice", e.getMessage());
        assertTrue(Files.notExists(out));
    }

    @Test
    void aChunkThatPassesItsChecksumButCannotBeDecodedIsRefused() throws IOException {
        byte[] b = Files.readAllBytes(good);
        Chunk chunk = tensor("big-f32").data().chunks().get(1);
        int at = (int) chunk.offset();
        b[at] = 9; // the entropy stage's section count: the chunk's length cannot hold 9 sections
        long crc = crc(b, at, (int) chunk.length());
        byte[] bad = withIndex(
                b,
                s -> s.replace(
                        "[" + chunk.offset() + "," + chunk.length() + "," + chunk.crc32c() + ",",
                        "[" + chunk.offset() + "," + chunk.length() + "," + crc + ","));
        String m = refused(bad);
        assertTrue(m.startsWith("tensor big-f32: chunk 1 of "), m);
        assertTrue(m.contains("an entropy-coded chunk of " + chunk.length() + " bytes "), m);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void aLosslessTensorIsCheckedAgainstItsOriginalChecksum(int damaged) throws IOException {
        // each chunk's checksum is taken by the worker that decodes it and the stream's put together from them: a
        // change in any chunk, first, middle or last, is caught
        byte[] b = Files.readAllBytes(good);
        ChunkStream s = tensor("t.i32").data();
        assertEquals(3, s.chunks().size());
        Chunk chunk = s.chunks().get(damaged);
        int at = (int) chunk.offset();
        b[at] ^= 1;
        long crc = crc(b, at, (int) chunk.length());
        byte[] bad = withIndex(
                b,
                t -> t.replace(
                        "[" + chunk.offset() + "," + chunk.length() + "," + chunk.crc32c() + ",",
                        "[" + chunk.offset() + "," + chunk.length() + "," + crc + ","));
        assertEquals("tensor t.i32: decoded bytes differ from the original (CRC32C mismatch)", refused(bad));
    }

    @Test
    void aLosslessTensorReadAloneIsCheckedChunkByChunkAsAWhole() throws IOException {
        // ElfzReader.readInto puts the tensor's checksum together from each chunk's, taken as it is decoded
        byte[] b = Files.readAllBytes(good);
        Chunk chunk = tensor("t.i32").data().chunks().get(2);
        int at = (int) (chunk.offset() + chunk.length() - 1);
        b[at] ^= 4;
        long crc = crc(b, (int) chunk.offset(), (int) chunk.length());
        Path z = dir.resolve("bad.elfz");
        Files.write(
                z,
                withIndex(
                        b,
                        t -> t.replace(
                                "[" + chunk.offset() + "," + chunk.length() + "," + chunk.crc32c() + ",",
                                "[" + chunk.offset() + "," + chunk.length() + "," + crc + ",")));
        try (ElfzReader r = ElfzReader.open(z);
                Arena arena = Arena.ofConfined()) {
            ElfzException e = assertThrows(ElfzException.class, () -> r.read("t.i32", arena));
            assertEquals(
                    z + ": tensor t.i32: decoded bytes differ from the original (CRC32C mismatch)", e.getMessage());
            assertEquals(Files.readAllBytes(good).length, b.length);
            r.read("big-f32", arena); // the others read as before
        }
        try (ElfzReader r = ElfzReader.open(good);
                Arena arena = Arena.ofConfined()) {
            assertEquals(1332, r.read("t.i32", arena).byteSize());
        }
    }

    @Test
    void aStoredHeaderThatDisagreesWithTheIndexIsRefused() throws IOException {
        byte[] bad = withIndex(s -> s.replace("\"name\":\"big-f32\"", "\"name\":\"big-f33\""));
        String m = refused(bad);
        assertTrue(m.startsWith("damaged: m.safetensors's stored header: "), m);
    }

    private byte[] withIndex(UnaryOperator<String> edit) throws IOException {
        return withIndex(Files.readAllBytes(good), edit);
    }

    /** The file with its index edited, and a trailer that fits the new index (so only the edit is wrong). */
    public static byte[] withIndex(byte[] b, UnaryOperator<String> edit) {
        int at = indexOffset(b);
        String json = index(b);
        String edited = edit.apply(json);
        assertTrue(!edited.equals(json), "the edit changed nothing in " + json.substring(0, 300));
        byte[] index = edited.getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(index);
        ByteBuffer out = ByteBuffer.allocate(at + index.length + ElfzFormat.TRAILER_BYTES);
        out.put(b, 0, at).put(index).put(ElfzFormat.trailer(at, index.length, (int) crc.getValue()));
        return out.array();
    }

    /** The JSON index of an .elfz file, found through its trailer (FORMAT.md). */
    public static String index(byte[] b) {
        return new String(b, indexOffset(b), (int) trailer(b).getLong(8), StandardCharsets.UTF_8);
    }

    private static int indexOffset(byte[] b) {
        return (int) trailer(b).getLong(0);
    }

    private static ByteBuffer trailer(byte[] b) {
        return ByteBuffer.wrap(b, b.length - ElfzFormat.TRAILER_BYTES, ElfzFormat.TRAILER_BYTES)
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long crc(byte[] b, int at, int len) {
        CRC32C c = new CRC32C();
        c.update(b, at, len);
        return c.getValue();
    }
}
