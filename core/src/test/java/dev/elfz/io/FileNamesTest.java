package dev.elfz.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exact file names: bytes to name and back for any bytes, and real files made and read by them. */
class FileNamesTest {

    @TempDir
    Path dir;

    @Test
    void anyBytesMakeOneNameAndComeBack() {
        SplittableRandom r = new SplittableRandom(7);
        Set<String> names = new HashSet<>();
        Set<String> distinct = new HashSet<>();
        for (int i = 0; i < 20000; i++) {
            byte[] b = new byte[r.nextInt(1, 9)];
            for (int j = 0; j < b.length; j++) { // mostly high bytes: UTF-8 sequences whole, cut and invalid
                b[j] = (byte) (r.nextInt(4) == 0 ? r.nextInt(0x20, 0x80) : r.nextInt(0x80, 0x100));
            }
            String name = FileNames.fromBytes(b);
            assertArrayEquals(b, FileNames.bytes(name), name);
            String display = FileNames.display(name);
            assertEquals(name.length(), display.length());
            assertTrue(display.codePoints().noneMatch(c -> c >= 0xD800 && c <= 0xDFFF), "valid Unicode: " + display);
            boolean utf8 = isUtf8(b);
            assertEquals(utf8, FileNames.isUtf8(name));
            assertEquals(utf8, FileNames.hexIfRaw(name) == null);
            names.add(name);
            distinct.add(HexFormat.of().formatHex(b));
        }
        assertEquals(distinct.size(), names.size(), "distinct bytes, distinct names");
    }

    private static boolean isUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void utf8NamesAreThemselves() {
        for (String s : new String[] {"model.safetensors", "é/ü.bin", "x\uFFFD.bin", "\uD83D\uDE00.txt", "a\uDC80"}) {
            if (s.equals("a\uDC80")) {
                assertFalse(FileNames.isUtf8(s), "a lone U+DC80 is an escaped byte 0x80");
                assertArrayEquals(new byte[] {'a', (byte) 0x80}, FileNames.bytes(s));
                continue;
            }
            assertTrue(FileNames.isUtf8(s), s);
            assertEquals(s, FileNames.fromBytes(s.getBytes(StandardCharsets.UTF_8)));
            assertEquals(s, FileNames.display(s));
            assertNull(FileNames.hexIfRaw(s));
        }
        assertEquals(
                "78ff2e62696e",
                FileNames.hexIfRaw(FileNames.fromBytes(new byte[] {'x', (byte) 0xFF, '.', 'b', 'i', 'n'})));
    }

    @Test
    void realFilesAreMadeAndReadByTheirBytes() throws IOException {
        Path sub = Files.createDirectory(Path.of(URI.create(dir.toUri() + "d%FE")));
        Path made = Files.writeString(Path.of(URI.create(sub.toUri() + "x%FF.bin")), "A");
        String name = FileNames.name(made.getFileName());
        assertEquals("x\uDCFF.bin", name);
        assertEquals("d\uDCFE", FileNames.name(sub.getFileName()), "a directory's name too");
        Path resolved = FileNames.resolve(dir, "d\uDCFE/x\uDCFF.bin");
        assertEquals(made.toUri(), resolved.toUri());
        assertEquals("A", Files.readString(resolved));
        Path other = FileNames.resolve(dir, "d\uDCFE/x\uDCFE.bin");
        assertNotEquals(made.toUri(), other.toUri());
        assertFalse(Files.exists(other));
        assertEquals(dir.resolve("a b/c%.bin"), FileNames.resolve(dir, "a b/c%.bin"), "UTF-8 names resolve as strings");
    }
}
