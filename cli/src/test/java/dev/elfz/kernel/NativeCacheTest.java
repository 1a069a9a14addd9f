package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.elfz.ChildJvm;
import dev.elfz.cli.Main;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The native library is loaded from one content-addressed file in the user's cache, or else leaves nothing. */
class NativeCacheTest {

    @TempDir
    Path dir;

    Path tmp;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(NativeLibrary.get().available(), "needs the native library in the jar");
        tmp = Files.createDirectories(dir.resolve("tmp"));
    }

    /** {@code elfz --version} in a fresh JVM with this cache directory and java.io.tmpdir; returns its output. */
    private String version(Path cacheHome) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(ChildJvm.command(Main.class, "--version"));
        cmd.add(1, "-Djava.io.tmpdir=" + tmp);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("XDG_CACHE_HOME", cacheHome.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("kernel native"), out);
        return out;
    }

    private static List<Path> files(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(p -> !p.equals(d)).sorted().toList();
        }
    }

    @Test
    void oneCachedCopyIsWrittenOnceAndReused() throws Exception {
        Path cache = dir.resolve("cache");
        version(cache);
        List<Path> cached = files(cache);
        assertEquals(2, cached.size(), cached.toString()); // elfz/ and the library
        Path lib = cached.get(1);
        assertTrue(lib.getFileName().toString().matches("libelfz-[0-9a-f]{16}\\.so"), lib.toString());
        try (InputStream in = NativeLibrary.class.getResourceAsStream(
                "/dev/elfz/native/" + NativeLibrary.platform() + "/libelfz.so")) {
            assertArrayEquals(in.readAllBytes(), Files.readAllBytes(lib));
        }
        Object key = Files.readAttributes(lib, BasicFileAttributes.class).fileKey();
        version(cache);
        assertEquals(cached, files(cache));
        assertEquals(
                key, Files.readAttributes(lib, BasicFileAttributes.class).fileKey(), "the same file, not rewritten");
        assertEquals(List.of(), files(tmp), "nothing in the temporary directory");
    }

    @Test
    void withoutACacheDirectoryNothingIsLeft() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        version(notADirectory.resolve("cache"));
        assertEquals(List.of(), files(tmp), "the temporary copy is deleted once loaded");
        assertEquals("x", Files.readString(notADirectory));
    }
}
