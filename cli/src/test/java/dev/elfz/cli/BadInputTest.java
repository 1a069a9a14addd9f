package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Chunk;
import dev.elfz.ElfzReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input and unwritable output: exit 1, one line on stderr naming the file and what is wrong, no stack trace,
 * and nothing left behind (no output, no temporary file).
 */
class BadInputTest {

    @TempDir
    Path dir;

    private void compressFails(Path in, String... parts) {
        Cli.compressFails(dir, in, parts);
    }

    @Test
    void aTruncatedFile() throws IOException {
        Path good = Models.file(dir, "good.safetensors", 1);
        byte[] bytes = Files.readAllBytes(good);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(bytes, bytes.length - 100));
        compressFails(cut, "go past the end of the data", "truncated download?");
        Path stub = Files.write(dir.resolve("stub.safetensors"), new byte[5]);
        compressFails(stub, "only 5 bytes");
    }

    @Test
    void aGitLfsPointer() throws IOException {
        Path p = Files.writeString(
                dir.resolve("lfs.safetensors"),
                "version https://git-lfs.github.com/spec/v1\n"
                        + "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 440473133\n");
        compressFails(p, "a git-LFS pointer file, not the weights (run git lfs pull)");
    }

    @Test
    void aHeaderLengthBeyondTheFile() throws IOException {
        Path p = Files.write(dir.resolve("long.safetensors"), assemble(1000, "{}".getBytes(StandardCharsets.UTF_8)));
        compressFails(p, "header length 1000 exceeds the file");
    }

    @Test
    void aHeaderThatIsNotJson() throws IOException {
        compressFails(safetensors("bad.safetensors", "{not json}", 0), "header is not valid JSON");
    }

    @Test
    void anUnknownDtype() throws IOException {
        compressFails(
                safetensors("dtype.safetensors", "{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "tensor \"a\": unknown dtype \"F33\"");
    }

    @Test
    void overlappingOffsets() throws IOException {
        compressFails(
                safetensors(
                        "overlap.safetensors",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                        12),
                "overlap tensor \"a\"");
    }

    @Test
    void aHoleBetweenTensors() throws IOException {
        compressFails(
                safetensors(
                        "hole.safetensors",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                        12),
                "a hole before \"b\"");
    }

    @Test
    void aBadShardInAModelDirectory() throws IOException {
        Path model = Models.directory(dir, "model", 1);
        Path shard = model.resolve("model-00002-of-00002.safetensors");
        Files.writeString(shard, "version https://git-lfs.github.com/spec/v1\n");
        List<String> before = Cli.listing(dir);
        run("compress", model).failsWith(shard.toString(), "git-LFS pointer");
        assertEquals(before, Cli.listing(dir));
    }

    @Test
    void aFlippedByteInAChunkNamesTheTensor() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.safetensors.elfz");
        run("compress", "-q", "--chunk-size", "1K", in).succeeds();
        Files.move(in, dir.resolve("kept.safetensors"));
        flipByteInChunk(z, "embed.weight");
        List<String> before = Cli.listing(dir);
        for (String threads : List.of("1", "2")) { // one thread runs on the caller, more on workers: same message
            run("decompress", "-T", threads, z)
                    .failsWith(z.toString(), "tensor embed.weight: chunk 0 of 12 is damaged (CRC32C mismatch)");
            assertEquals(before, Cli.listing(dir));
        }
        run("info", z).succeeds(); // info reads the index only

        Path model = Models.directory(dir, "model", 1);
        Path mz = dir.resolve("model.elfz");
        run("compress", "-q", model).succeeds();
        flipByteInChunk(mz, "half");
        List<String> beforeDir = Cli.listing(dir);
        run("decompress", mz, "-o", dir.resolve("back"))
                .failsWith(mz.toString(), "tensor half of model-00001-of-00002.safetensors", "damaged");
        assertEquals(beforeDir, Cli.listing(dir), "the temporary directory is gone");
    }

    @Test
    void aCutShortArchive() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", in, "-o", z).succeeds();
        byte[] bytes = Files.readAllBytes(z);
        Files.write(z, Arrays.copyOf(bytes, bytes.length / 2));
        List<String> before = Cli.listing(dir);
        run("decompress", z, "-o", dir.resolve("back.safetensors")).failsWith(z.toString(), "cut short");
        run("info", z).failsWith(z.toString(), "cut short");
        run("verify", in, z).failsWith(z.toString(), "cut short");
        run("decompress", in, "-o", dir.resolve("back.safetensors")).failsWith(in.toString(), "not an .elfz file");
        assertEquals(before, Cli.listing(dir));
    }

    @Test
    void anOutputDirectoryThatCannotBeWritten() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", in, "-o", z).succeeds();
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Path where = locked;
            String why = "permission denied in " + locked;
            if (Files.isWritable(locked)) {
                // Running as root, where mode 555 does not stop writes: a parent that is a regular file does.
                where = dir.resolve("m.safetensors");
                why = where + " is not a directory";
            }
            List<String> before = Cli.listing(dir);
            Path out = where.resolve("x.elfz");
            run("compress", in, "-o", out).failsWith(out + ": cannot write: " + why);
            Path back = where.resolve("x.safetensors");
            run("decompress", z, "-o", back).failsWith(back + ": cannot write: " + why);
            assertEquals(before, Cli.listing(dir));
            Path nowhere = dir.resolve("no/such/dir/x.elfz");
            run("compress", in, "-o", nowhere).failsWith(nowhere + ": cannot write: directory", "does not exist");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void forceReplacesOnlyFilesNeverDevicesOrSockets() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path socket = dir.resolve("socket.elfz"); // stands for /dev/null: a file that is not a regular file
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(socket));
            run("compress", "-f", in, "-o", socket).failsWith(socket + ": cannot write: not a regular file");
            assertTrue(Files.exists(socket) && !Files.isRegularFile(socket), "the socket is still there");
        }
        Path sub = Files.createDirectory(dir.resolve("sub"));
        run("compress", "-f", in, "-o", sub).failsWith(sub + ": cannot write: it is a directory");
        assertEquals(List.of("m.safetensors", "socket.elfz", "sub"), Cli.listing(dir));
    }

    @Test
    void aDirectoryWhereAnElfzFileShouldBe() throws IOException {
        Path d = Files.createDirectory(dir.resolve("d.elfz"));
        run("info", d).failsWith(d + ": is a directory, not an .elfz file");
        run("decompress", d, "-o", dir.resolve("x")).failsWith(d + ": is a directory, not an .elfz file");
        run("verify", d, d).failsWith(d + ": is a directory, not an .elfz file");
    }

    @Test
    void aSymbolicLinkLoopIsSaidInWords() throws IOException {
        Path models = Files.createDirectory(dir.resolve("p1"));
        Models.file(models, "a.safetensors", 1);
        Files.createSymbolicLink(models.resolve("loop"), Path.of("."));
        compressFails(models, "p1/loop: a symbolic link loop");
        run("analyze", models).failsWith("p1/loop: a symbolic link loop");
    }

    @Test
    void aMissingInput() {
        Path none = dir.resolve("none.safetensors");
        run("compress", none).failsWith(none + ": no such file or directory");
        run("decompress", dir.resolve("none.elfz")).failsWith(dir.resolve("none.elfz") + ": no such file or directory");
        run("info", dir.resolve("none.elfz")).failsWith(dir.resolve("none.elfz") + ": no such file or directory");
        run("verify", none, dir.resolve("none.elfz")).failsWith(none + ": no such file or directory");
        assertEquals(List.of(), Cli.listing(dir));
    }

    @Test
    void verboseAddsTheStackTrace() throws IOException {
        Path p = safetensors("bad.safetensors", "{not json}", 0);
        Cli.Run r = run("compress", "-v", p);
        assertEquals(1, r.code());
        List<String> lines = r.err().lines().toList();
        assertTrue(lines.getFirst().startsWith("elfz: " + p + ": header is not valid JSON"), r.err());
        assertTrue(
                lines.size() > 3
                        && r.err().contains("SafetensorsException")
                        && r.err().contains("\tat dev.elfz."),
                r.err());
    }

    /** Flips a byte inside the first chunk of a tensor of an .elfz file. */
    static void flipByteInChunk(Path elfz, String tensor) throws IOException {
        long at;
        try (ElfzReader r = ElfzReader.open(elfz)) {
            Chunk chunk = r.tensors().stream()
                    .filter(t -> t.name().equals(tensor))
                    .findFirst()
                    .orElseThrow()
                    .data()
                    .chunks()
                    .get(0);
            assertTrue(chunk.length() > 5);
            at = chunk.offset() + 5;
        }
        try (FileChannel ch = FileChannel.open(elfz, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x10));
            ch.write(b.rewind(), at);
        }
    }

    /** A file with this JSON header (padded to 8 bytes) and {@code dataBytes} zero bytes of data. */
    private Path safetensors(String name, String json, int dataBytes) throws IOException {
        StringBuilder header = new StringBuilder(json);
        while (header.length() % 8 != 0) {
            header.append(' ');
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(assemble(h.length, h));
        out.writeBytes(new byte[dataBytes]);
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    private static byte[] assemble(long headerLength, byte[] header) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(headerLength).put(header).array();
    }
}
