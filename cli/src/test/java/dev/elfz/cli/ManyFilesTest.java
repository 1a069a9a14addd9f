package dev.elfz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.ChildJvm;
import dev.elfz.io.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory of 1,500 files decompressed with 1024 file descriptors (elfz used to hold two per file until the end);
 * running out of them is said as such.
 */
class ManyFilesTest {

    private static final int FILES = 1_500;

    @TempDir
    static Path shared;

    static Path archive;
    static Path small;

    @TempDir
    Path dir;

    @BeforeAll
    static void archive() throws IOException {
        Path in = shared.resolve("many");
        for (int i = 0; i < FILES; i++) {
            Path f = in.resolve("d" + i % 20).resolve("f" + i + ".txt");
            Files.createDirectories(f.getParent());
            Files.writeString(f, "file " + i + "\n");
        }
        archive = shared.resolve("many.elfz");
        Cli.Run r = Cli.run("compress", "-q", in.toString(), "-o", archive.toString());
        assertEquals(0, r.code(), r.toString());
        Path two = Files.createDirectories(shared.resolve("two"));
        Files.writeString(two.resolve("a.txt"), "a");
        Files.writeString(two.resolve("b.txt"), "b");
        small = shared.resolve("two.elfz");
        assertEquals(
                0,
                Cli.run("compress", "-q", two.toString(), "-o", small.toString())
                        .code());
    }

    /** Runs a JVM under {@code ulimit -n 1024}; returns its exit code, a space and its output. */
    private static String run(List<String> java) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "ulimit -n 1024 && exec \"$@\"", "bash"));
        cmd.addAll(java);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return p.exitValue() + " "
                + out.lines()
                        .filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                        .map(l -> l + "\n")
                        .collect(Collectors.joining());
    }

    @Test
    void fifteenHundredFilesWithAThousandDescriptors() throws Exception {
        Path out = dir.resolve("out");
        assertEquals(
                "0 ", run(ChildJvm.command(Main.class, "decompress", "-q", archive.toString(), "-o", out.toString())));
        for (int i = 0; i < FILES; i++) {
            assertEquals(
                    "file " + i + "\n",
                    Files.readString(out.resolve("d" + i % 20).resolve("f" + i + ".txt")));
        }
        try (Stream<Path> s = Files.walk(out)) {
            assertEquals(FILES + 21, s.count(), "the files, their 20 directories and out");
        }
    }

    @Test
    void runningOutOfDescriptorsIsSaidInOneLine() throws Exception {
        Path out = dir.resolve("out");
        String r = run(ChildJvm.command(NoDescriptorsLeft.class, small.toString(), out.toString()));
        assertTrue(r.startsWith("1 elfz: "), r);
        assertEquals(1, r.lines().count(), r);
        assertTrue(r.contains("Too many open files"), r);
        assertFalse(r.contains("Exception"), r);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList(), "nothing left behind");
        }
    }

    /**
     * Decompresses once, and once over an existing directory (quietly: every class of a run and of a failure is
     * loaded, as the class loader needs descriptors too), takes every free descriptor, then decompresses. (With one
     * left it succeeds: elfz needs one at a time, two with Writeback's advice, which it goes without.)
     */
    public static final class NoDescriptorsLeft {
        public static void main(String[] args) throws IOException {
            Path warm = Files.createTempDirectory("elfz-warm");
            PrintStream err = System.err;
            System.setErr(new PrintStream(OutputStream.nullOutputStream()));
            Main.run("decompress", "-q", args[0], "-o", warm.resolve("out").toString());
            Main.run("decompress", "-q", args[0], "-o", warm.resolve("out").toString());
            System.setErr(err);
            AtomicFiles.deleteRecursively(warm);
            List<FileChannel> held = new ArrayList<>();
            try {
                while (true) {
                    held.add(FileChannel.open(Path.of("/dev/null")));
                }
            } catch (FileSystemException e) {
                // every descriptor taken
            }
            int code = Main.run("decompress", "-q", "-T", "2", args[0], "-o", args[1]);
            for (FileChannel c : held) {
                c.close();
            }
            System.exit(code);
        }
    }
}
