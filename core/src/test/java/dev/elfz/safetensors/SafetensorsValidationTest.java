package dev.elfz.safetensors;

import static dev.elfz.safetensors.SafetensorsTestFiles.assemble;
import static dev.elfz.safetensors.SafetensorsTestFiles.file;
import static dev.elfz.safetensors.SafetensorsTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad input is a SafetensorsException with one line: the file, then what is wrong. */
class SafetensorsValidationTest {

    @TempDir
    Path dir;

    private static final String A_F32_3 = "\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}";

    /** Opens the file expecting a failure whose message is one line starting with the file and containing {@code what}. */
    private static String rejects(Path file, String what) {
        SafetensorsException e = assertThrows(
                SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        String m = e.getMessage();
        assertTrue(m.startsWith(file + ": "), m);
        assertFalse(m.contains("\n") || m.contains("\r"), m);
        assertTrue(m.contains(what), "expected <" + what + "> in: " + m);
        assertEquals(file, e.file());
        return m;
    }

    /** Rejects a header of one tensor "a" with these JSON fields, over 12 bytes of data (an F32 [3]). */
    private String rejectsA(String fields, String what) throws IOException {
        return rejects(header("{\"a\":{" + fields + "}}", 12), what);
    }

    private Path header(String json, int dataBytes) throws IOException {
        return file(dir, "x.safetensors", json, dataBytes);
    }

    @Test
    void validFileOpens() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(header("{" + A_F32_3 + "}", 12))) {
            assertEquals(1, f.tensors().size());
            assertEquals(0, f.headerLength() % 8);
        }
    }

    @Test
    void emptyAndTruncatedFiles() throws IOException {
        rejects(
                write(dir, "empty.safetensors", new byte[0]),
                "only 0 bytes, less than the 8-byte header length: truncated download?");
        rejects(write(dir, "five.safetensors", new byte[] {1, 2, 3, 4, 5}), "only 5 bytes");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        byte[] bytes = assemble(7598263, new byte[1192], new byte[0]);
        Path p = write(dir, "model.safetensors", bytes);
        assertEquals(p + ": header length 7598263 exceeds the file (1200 bytes): truncated download?", rejects(p, ""));
        // A real file cut short inside its header.
        byte[] whole = assemble(64, SafetensorsTestFiles.padded("{" + A_F32_3 + "}"), new byte[12]);
        rejects(write(dir, "cut.safetensors", Arrays.copyOf(whole, 40)), "exceeds the file (40 bytes)");
    }

    @Test
    void headerLengthOverTheLimit() throws IOException {
        rejects(
                write(dir, "big.safetensors", assemble(100_000_001L, new byte[16], new byte[0])),
                "header length 100000001 exceeds the limit of 100000000 bytes");
        rejects(
                write(dir, "huge.safetensors", assemble(-1L, new byte[16], new byte[0])),
                "header length 18446744073709551615");
    }

    @Test
    void gitLfsPointer() throws IOException {
        String pointer = "version https://git-lfs.github.com/spec/v1\n"
                + "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 440449768\n";
        Path p = write(dir, "x.safetensors", pointer.getBytes(StandardCharsets.US_ASCII));
        assertEquals(p + ": a git-LFS pointer file, not the weights (run git lfs pull)", rejects(p, ""));
    }

    @Test
    void headerNotJson() throws IOException {
        rejects(header("{\"a\": nonsense}", 0), "header is not valid JSON (line 1, column");
        rejects(header("{" + A_F32_3 + "} {}", 12), "header is not valid JSON");
        rejects(header("{\"a\":{\"dtype\":\"F32\",", 0), "header is not valid JSON");
        byte[] latin1 = {'{', '"', (byte) 0xe9, '"', ':', '{', '}', '}'}; // a lone 0xE9 is not UTF-8
        rejects(write(dir, "l.safetensors", assemble(8, latin1, new byte[0])), "not valid UTF-8");
    }

    @Test
    void headerNotAnObject() throws IOException {
        rejects(header("[1, 2]", 0), "header does not start with '{'");
        rejects(header("  {}", 0), "header does not start with '{'");
        rejects(header("{\"a\":[1]}", 0), "tensor \"a\" is ARRAY, not an object");
    }

    @Test
    void duplicateKey() throws IOException {
        rejects(header("{" + A_F32_3 + "," + A_F32_3 + "}", 12), "Duplicate field 'a'");
        rejectsA(
                "\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,12]", "Duplicate field 'dtype'");
    }

    @Test
    void wrongFieldTypes() throws IOException {
        rejectsA("\"dtype\":4,\"shape\":[3],\"data_offsets\":[0,12]", "\"dtype\" missing or not a string");
        rejectsA("\"shape\":[3],\"data_offsets\":[0,12]", "\"dtype\" missing");
        rejectsA("\"dtype\":\"F32\",\"shape\":\"3\",\"data_offsets\":[0,12]", "\"shape\" is not an array");
        rejectsA("\"dtype\":\"F32\",\"shape\":[3.0],\"data_offsets\":[0,12]", "not a 64-bit integer");
        rejectsA("\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0]", "not an array of 2 integers");
        rejectsA("\"dtype\":\"F32\",\"shape\":[3]", "(missing)");
        rejectsA("\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,12]", "not a 64-bit integer");
    }

    @Test
    void unknownDtype() throws IOException {
        rejectsA("\"dtype\":\"F128\",\"shape\":[3],\"data_offsets\":[0,12]", "unknown dtype \"F128\"");
        rejectsA("\"dtype\":\"f32\",\"shape\":[3],\"data_offsets\":[0,12]", "unknown dtype \"f32\"");
    }

    @Test
    void badShapes() throws IOException {
        rejectsA("\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,12]", "negative number -1");
        rejectsA("\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,12]", "overflows 64 bits");
        rejects(
                header("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2),
                "F4 [3] is 12 bits, not a whole number of bytes");
    }

    @Test
    void offsetsNotMatchingTheShape() throws IOException {
        Path p = header("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,10]}}", 10);
        assertEquals(p + ": tensor \"a.weight\" data_offsets [0, 10] hold 10 bytes, F32 [3] needs 12", rejects(p, ""));
        rejectsA("\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[12,0]", "end before they begin");
    }

    @Test
    void overlappingOffsets() throws IOException {
        rejects(
                header(
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                        12),
                "tensor \"b\" data_offsets [4, 12] overlap tensor \"a\" [0, 8]");
    }

    @Test
    void hole() throws IOException {
        rejects(
                header(
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                        12),
                "bytes [4, 8) of the data belong to no tensor");
        rejects(header("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "bytes [0, 4)");
    }

    @Test
    void dataNotCoveringTheFile() throws IOException {
        rejects(
                header("{" + A_F32_3 + "}", 11),
                "data_offsets [0, 12] go past the end of the data (11 bytes): truncated download?");
        rejects(
                header("{" + A_F32_3 + "}", 13),
                "the tensors end at byte 12 of the data but the file holds 13 bytes of data");
        rejects(header("{}", 1), "1 bytes after the last tensor");
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        rejects(
                header("{\"__metadata__\":{\"a\":1}," + A_F32_3 + "}", 12),
                "__metadata__ value of \"a\" is NUMBER, not a string");
        rejects(header("{\"__metadata__\":[]," + A_F32_3 + "}", 12), "__metadata__ is ARRAY");
    }

    @Test
    void namesWithNewlinesStayOnOneLine() throws IOException {
        rejects(
                header("{\"x\\ny\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,10]}}", 10),
                "tensor \"x\\ny\"");
    }

    @Test
    void missingFile() {
        rejects(dir.resolve("absent.safetensors"), "no such file");
    }
}
