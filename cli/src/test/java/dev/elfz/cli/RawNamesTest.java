package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.safetensors.SafetensorsFile;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File names that are not UTF-8 (a Linux name is any bytes): kept byte for byte through compress, info, verify and
 * decompress, even when two of them print alike. The test makes and reads such names through file: URIs, which carry
 * a path's bytes percent-encoded.
 */
class RawNamesTest {

    @TempDir
    Path dir;

    /** A path below {@code parent} whose name is {@code percentEncoded} ("x%FF.bin"), its bytes exactly. */
    private static Path raw(Path parent, String percentEncoded) {
        String base = parent.toAbsolutePath().toUri().toString();
        return Path.of(URI.create(base + (base.endsWith("/") ? "" : "/") + percentEncoded));
    }

    private static JsonNode index(Path elfz) throws IOException {
        byte[] b = Files.readAllBytes(elfz);
        ByteBuffer t = ByteBuffer.wrap(b, b.length - 32, 32).slice().order(ByteOrder.LITTLE_ENDIAN);
        return new ObjectMapper()
                .readTree(new String(b, (int) t.getLong(0), (int) t.getLong(8), StandardCharsets.UTF_8));
    }

    @Test
    void twoNamesThatPrintAlikeComeBackAsTwoFiles() throws IOException {
        Path in = Files.createDirectory(dir.resolve("p5"));
        Files.writeString(raw(in, "x%FF.bin"), "AAAA");
        Files.writeString(raw(in, "x%FE.bin"), "BBBB");
        Files.writeString(in.resolve("x\uFFFD.bin"), "CC"); // a real U+FFFD: a third name that prints alike
        Path z = dir.resolve("p5.elfz");
        run("compress", "-q", in, "-o", z).succeeds();

        JsonNode files = index(z).get("files");
        assertEquals(3, files.size());
        List<String> bytes = new ArrayList<>();
        for (JsonNode f : files) {
            assertEquals("x\uFFFD.bin", f.get("path").asText(), "every one prints alike");
            bytes.add(f.has("path_bytes") ? f.get("path_bytes").asText() : "-");
        }
        assertEquals(List.of("78fe2e62696e", "78ff2e62696e", "-"), bytes, "the raw bytes, only where not UTF-8");

        Cli.Run info = run("info", z).succeeds();
        assertEquals(
                3, info.out().lines().filter(l -> l.startsWith("x\uFFFD.bin ")).count(), info.out());
        run("verify", "-q", in, z).succeeds();

        Path out = dir.resolve("out");
        run("decompress", "-q", z, "-o", out).succeeds();
        assertEquals(List.of("x%EF%BF%BD.bin=CC", "x%FE.bin=BBBB", "x%FF.bin=AAAA"), contents(out));
        run("verify", "-q", out, z).succeeds();
    }

    @Test
    void oneSuchNameIsNotRenamed() throws IOException {
        Path in = Files.createDirectory(dir.resolve("p6"));
        Files.writeString(raw(in, "x%FF.bin"), "AAAA");
        Path sub = Files.createDirectory(raw(in, "d%C3%28")); // an invalid two-byte sequence, then '('
        Models.file(sub, "m.safetensors", 1);
        Files.copy(sub.resolve("m.safetensors"), raw(sub, "n%E9.safetensors")); // Latin-1 "né"
        Path z = dir.resolve("p6.elfz");
        run("compress", "-q", "--codec", "elf", in, "-o", z).succeeds();
        run("verify", "-q", in, z).succeeds();
        Cli.Run info = run("info", z).succeeds();
        assertTrue(info.out().contains("d\uFFFD(/n\uFFFD.safetensors "), info.out());

        Path out = dir.resolve("out");
        run("decompress", "-q", z, "-o", out).succeeds();
        assertEquals(
                List.of("d%C3(/m.safetensors", "d%C3(/n%E9.safetensors", "x%FF.bin"),
                contents(out).stream().map(s -> s.substring(0, s.indexOf('='))).toList());
        assertEquals("AAAA", Files.readString(raw(out, "x%FF.bin")));
        try (SafetensorsFile a = SafetensorsFile.open(raw(out, "d%C3(/n%E9.safetensors"));
                SafetensorsFile b = SafetensorsFile.open(sub.resolve("m.safetensors"))) {
            assertEquals(b.tensors(), a.tensors());
        }
        run("verify", "-q", out, z).succeeds();
        assertFalse(Files.exists(out.resolve("x\uFFFD.bin")), "not renamed");
    }

    @Test
    void aSingleFileKeepsItsNameInTheDefaultNames() throws IOException {
        Path in = raw(dir, "m%FF.safetensors");
        Files.move(Models.file(dir, "m.safetensors", 1), in);
        Path z = Elfz.compressedName(in);
        assertEquals(
                "m%FF.safetensors.elfz", z.getFileName().toUri().getRawPath().replaceFirst(".*/", ""));
        Elfz.compress(in, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
        Path back = Elfz.decompressedName(z);
        assertEquals(in.toUri(), back.toUri());
        Files.move(in, dir.resolve("original.safetensors"));
        Elfz.decompress(z, back, ElfzOptions.defaults());
        assertEquals(-1, Files.mismatch(dir.resolve("original.safetensors"), in));
        assertEquals(
                List.of("m%FF.safetensors.elfz=model", "m%FF.safetensors=model", "original.safetensors=model"),
                contents(dir));
    }

    /**
     * In the POSIX locale Java decodes names as ASCII (sun.jnu.encoding ANSI_X3.4-1968), so even UTF-8 names print as
     * U+FFFD: every name still comes back byte for byte, its temporary file included.
     */
    @Test
    void inThePosixLocaleToo() throws Exception {
        Path in = Files.createDirectory(dir.resolve("p7"));
        Files.writeString(raw(in, "x%FF.bin"), "AAAA");
        Files.writeString(in.resolve("\u00e9.txt"), "BB");
        Path z = dir.resolve("p7.elfz");
        Path out = dir.resolve("out");
        for (String[] args : new String[][] {
            {"compress", "-q", in.toString(), "-o", z.toString()},
            {"decompress", "-q", z.toString(), "-o", out.toString()}
        }) {
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED",
                    "--add-modules",
                    "jdk.incubator.vector",
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName()));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("LC_ALL", "C");
            pb.environment().put("LANG", "C");
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), String.join(" ", args) + ": " + output);
        }
        assertEquals(List.of("%C3%A9.txt=BB", "x%FF.bin=AAAA"), contents(out));
    }

    /** Every file under root as "its path's bytes, percent-encoded=its content". */
    private static List<String> contents(Path root) throws IOException {
        String base = root.toAbsolutePath().toUri().getRawPath();
        try (Stream<Path> s = Files.walk(root)) {
            List<String> out = new ArrayList<>();
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String content = p.toString().matches(".*\\.(safetensors|elfz)") ? "model" : Files.readString(p);
                out.add(p.toUri().getRawPath().substring(base.length()) + "=" + content);
            }
            return out.stream().sorted().toList();
        }
    }
}
