package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * decompress -f into a directory that exists: the files the archive holds are replaced, every other file stays (the
 * archive itself above all), no symbolic link is followed, and a failure leaves the directory as it was.
 */
class ForceIntoDirectoryTest {

    @TempDir
    Path dir;
    /** An archive of a.bin, sub/b.bin and new/deeper/c.bin. */
    Path z;

    @BeforeEach
    void archive() throws IOException {
        Path d = Files.createDirectories(dir.resolve("d/sub"));
        Files.writeString(d.resolve("../a.bin"), "new a");
        Files.writeString(d.resolve("b.bin"), "new b");
        Files.writeString(Files.createDirectories(dir.resolve("d/new/deeper")).resolve("c.bin"), "Q".repeat(1000));
        z = dir.resolve("dirs.elfz");
        run("compress", "-q", "--codec", "raw", dir.resolve("d"), "-o", z).succeeds();
    }

    /** Every path under root (links as "-> target"), with each regular file's content. */
    private static List<String> state(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            List<String> out = new ArrayList<>();
            for (Path p : s.filter(p -> !p.equals(root)).toList()) {
                String rel = root.relativize(p).toString();
                out.add(
                        Files.isSymbolicLink(p)
                                ? rel + " -> " + Files.readSymbolicLink(p)
                                : Files.isDirectory(p)
                                        ? rel + "/"
                                        : rel + "="
                                                + (p.toString().endsWith(".elfz")
                                                        ? "archive " + Files.size(p)
                                                        : new String(
                                                                Files.readAllBytes(p), StandardCharsets.ISO_8859_1)));
            }
            return out.stream().sorted().toList();
        }
    }

    @Test
    void theArchivesFilesAreReplacedAndEveryOtherFileStays() throws IOException {
        Path models = Files.createDirectories(dir.resolve("models/sub"));
        Files.copy(z, dir.resolve("models/dirs.elfz"));
        Files.writeString(dir.resolve("models/notes.txt"), "keep");
        Files.writeString(dir.resolve("models/a.bin"), "old a");
        Files.writeString(models.resolve("other.txt"), "mine");
        run("decompress", "-q", dir.resolve("models/dirs.elfz"), "-o", dir.resolve("models"), "-f")
                .succeeds();
        assertEquals(
                List.of(
                        "a.bin=new a",
                        "dirs.elfz=archive " + Files.size(z),
                        "new/",
                        "new/deeper/",
                        "new/deeper/c.bin=" + "Q".repeat(1000),
                        "notes.txt=keep",
                        "sub/",
                        "sub/b.bin=new b",
                        "sub/other.txt=mine"),
                state(dir.resolve("models")),
                "no hidden copy left either");
        assertEquals(-1, Files.mismatch(z, dir.resolve("models/dirs.elfz")));
    }

    @Test
    void theArchiveIsNeverOneOfTheFilesReplaced() throws IOException {
        Path d = Files.createDirectories(dir.resolve("self"));
        Files.writeString(d.resolve("self.elfz"), "a file of the archive's own name");
        Files.writeString(d.resolve("x.bin"), "x");
        Path t = Files.createDirectories(dir.resolve("t"));
        run("compress", "-q", d, "-o", t.resolve("self.elfz")).succeeds();
        Files.writeString(t.resolve("x.bin"), "old x");
        List<String> before = state(t);
        byte[] archive = Files.readAllBytes(t.resolve("self.elfz"));
        run("decompress", t.resolve("self.elfz"), "-o", t, "-f")
                .failsWith(t.resolve("self.elfz").toString(), "is the input", "never replaced");
        assertEquals(before, state(t));
        assertArrayEquals(archive, Files.readAllBytes(t.resolve("self.elfz")));
        // nor a single file: the output named as the archive
        run("decompress", t.resolve("self.elfz"), "-o", t.resolve("self.elfz"), "-f")
                .failsWith("the output is the input");
        assertArrayEquals(archive, Files.readAllBytes(t.resolve("self.elfz")));
    }

    @Test
    void aFileWhereTheArchiveHasADirectoryOrADirectoryWhereItHasAFileIsRefused() throws IOException {
        Path u = Files.createDirectories(dir.resolve("u"));
        Files.writeString(u.resolve("sub"), "a file named sub");
        run("decompress", z, "-o", u, "-f")
                .failsWith(u.resolve("sub").toString(), "is a file where the archive has a " + "directory");
        assertEquals(List.of("sub=a file named sub"), state(u));

        Path v = Files.createDirectories(dir.resolve("v/a.bin"));
        Files.writeString(v.resolve("inside.txt"), "mine");
        run("decompress", z, "-o", dir.resolve("v"), "-f")
                .failsWith(v.toString(), "is a directory where the archive has " + "a file");
        assertEquals(List.of("a.bin/", "a.bin/inside.txt=mine"), state(dir.resolve("v")));
    }

    @Test
    void noSymbolicLinkIsFollowed() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("a.txt"), "outside a");
        Path w = Files.createDirectories(dir.resolve("w"));
        Files.createSymbolicLink(w.resolve("sub"), outside);
        run("decompress", z, "-o", w, "-f")
                .failsWith(w.resolve("sub").toString(), "symbolic link", "does not write through it");
        assertEquals(List.of("a.txt=outside a"), state(outside));
        assertEquals(List.of("sub -> " + outside), state(w));

        // a link where the archive has a file is replaced, its target left alone
        Files.delete(w.resolve("sub"));
        Files.createSymbolicLink(w.resolve("a.bin"), outside.resolve("a.txt"));
        run("decompress", "-q", z, "-o", w, "-f").succeeds();
        assertFalse(Files.isSymbolicLink(w.resolve("a.bin")));
        assertEquals("new a", Files.readString(w.resolve("a.bin")));
        assertEquals(List.of("a.txt=outside a"), state(outside));
    }

    @Test
    void aFailureLeavesTheDirectoryAsItWas() throws IOException {
        Path m = Files.createDirectories(dir.resolve("m/sub"));
        Files.writeString(dir.resolve("m/a.bin"), "old a");
        Files.writeString(m.resolve("b.bin"), "old b");
        List<String> before = state(dir.resolve("m"));
        byte[] b = Files.readAllBytes(z);
        int at = new String(b, StandardCharsets.ISO_8859_1).indexOf("Q".repeat(1000));
        b[at + 500] ^= 1; // c.bin's chunk fails its CRC32C while the files are built, new/deeper made for it
        Path bad = Files.write(dir.resolve("bad.elfz"), b);
        run("decompress", bad, "-o", dir.resolve("m"), "-f").failsWith("new/deeper/c.bin", "CRC32C");
        assertEquals(before, state(dir.resolve("m")), "the old files, no new directory, no temporary");
        assertTrue(Files.exists(dir.resolve("m/a.bin"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void overAFileTheDirectoryReplacesIt() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "a file");
        run("decompress", z, "-o", f).failsWith(f.toString(), "already exists");
        run("decompress", "-q", z, "-o", f, "-f").succeeds();
        assertEquals(
                List.of(
                        "a.bin=new a",
                        "new/",
                        "new/deeper/",
                        "new/deeper/c.bin=" + "Q".repeat(1000),
                        "sub/",
                        "sub/b.bin=new b"),
                state(f));
    }
}
