package dev.elfz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.elfz.kernel.Kernels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Runs the command line in this JVM with stdout and stderr captured. */
final class Cli {

    static {
        Kernels.best(); // a kernel fallback note, if any, is printed now and not into a captured run
    }

    private Cli() {}

    record Run(int code, String out, String err) {

        JsonNode json() {
            try {
                return new ObjectMapper().readTree(out);
            } catch (IOException e) {
                throw new AssertionError("stdout is not JSON: " + out, e);
            }
        }

        /** Exit 1 and exactly one line on stderr, "elfz: " then the message, which contains every part. */
        Run failsWith(String... parts) {
            assertEquals(1, code, this::toString);
            assertOneError(parts);
            return this;
        }

        /** Exit 2 (usage) and one line on stderr. */
        Run usageError(String... parts) {
            assertEquals(2, code, this::toString);
            assertOneError(parts);
            return this;
        }

        private void assertOneError(String... parts) {
            List<String> lines = err.lines().toList();
            assertEquals(1, lines.size(), "one line on stderr:\n" + err);
            assertTrue(lines.getFirst().startsWith("elfz: "), err);
            for (String p : parts) {
                assertTrue(lines.getFirst().contains(p), "'" + p + "' missing from: " + err);
            }
            assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
        }

        Run succeeds() {
            assertEquals(0, code, this::toString);
            return this;
        }
    }

    static Run run(Object... args) {
        String[] strings = Stream.of(args).map(String::valueOf).toArray(String[]::new);
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(strings);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** Compressing {@code in} fails naming it and leaves {@code dir} as it was (no output, no temporary file). */
    static void compressFails(Path dir, Path in, String... parts) {
        List<String> before = listing(dir);
        String[] all = Arrays.copyOf(parts, parts.length + 1);
        all[parts.length] = in.toString();
        run("compress", in).failsWith(all);
        assertEquals(before, listing(dir), "no output or temporary file left");
    }

    /** Every path under dir (relative, sorted): to see that a failure left no output and no temporary file. */
    static List<String> listing(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir))
                    .map(p -> dir.relativize(p).toString())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
