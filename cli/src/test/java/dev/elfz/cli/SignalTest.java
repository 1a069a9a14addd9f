package dev.elfz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.elfz.ChildJvm;
import dev.elfz.Dtype;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import dev.elfz.samples.SyntheticWeights;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGINT, SIGTERM and SIGHUP in the middle of a real run (a child JVM, one thread, a 256 MiB model, signalled once
 * it has written 16 MiB of its output): exit 128 + the signal, no temporary file or directory left, the user's
 * files as they were.
 */
class SignalTest {

    private static final long FLOATS = 64L << 20;

    @TempDir
    static Path shared;

    static Path model;
    static Path archive;
    static Path dirArchive;

    @TempDir
    Path dir;

    @BeforeAll
    static void inputs() throws IOException {
        model = shared.resolve("big.safetensors");
        try (Arena arena = Arena.ofConfined();
                SafetensorsWriter w = SafetensorsWriter.create(
                        model, List.of(new TensorSpec("w", Dtype.F32, new long[] {FLOATS})), Map.of(), false)) {
            MemorySegment block = SyntheticWeights.gaussian(arena, new SplittableRandom(7), 1 << 20, 0, 0.05);
            MemorySegment all = w.region(0);
            for (long at = 0; at < all.byteSize(); at += block.byteSize()) {
                all.asSlice(at, block.byteSize()).copyFrom(block);
            }
            w.commit();
        }
        archive = shared.resolve("big.elfz");
        assertEquals(0, Main.run("compress", "-q", model.toString(), "-o", archive.toString()));
        Path models = Files.createDirectories(shared.resolve("models"));
        Files.createLink(models.resolve("big.safetensors"), model);
        Files.writeString(Files.createDirectories(models.resolve("sub")).resolve("config.json"), "{}\n");
        dirArchive = shared.resolve("models.elfz");
        assertEquals(0, Main.run("compress", "-q", models.toString(), "-o", dirArchive.toString()));
    }

    @Test
    void sigintDuringCompressLeavesNothing() throws Exception {
        signalMidRun(
                "INT",
                130,
                "compress",
                "-T",
                "1",
                model.toString(),
                "-o",
                dir.resolve("big.elfz").toString());
        assertEquals(List.of(), listing());
    }

    @Test
    void sigtermDuringDecompressKeepsTheOldFile() throws Exception {
        Files.writeString(dir.resolve("back.safetensors"), "old");
        signalMidRun(
                "TERM",
                143,
                "decompress",
                "-T",
                "1",
                "-f",
                archive.toString(),
                "-o",
                dir.resolve("back.safetensors").toString());
        assertEquals(List.of("back.safetensors=old"), listing());
    }

    @Test
    void sighupDuringADirectoryDecompressKeepsTheOldDirectory() throws Exception {
        Files.writeString(Files.createDirectories(dir.resolve("out")).resolve("notes.txt"), "keep");
        signalMidRun(
                "HUP",
                129,
                "decompress",
                "-T",
                "1",
                "-f",
                dirArchive.toString(),
                "-o",
                dir.resolve("out").toString());
        assertEquals(List.of("out/", "out/notes.txt=keep"), listing());
    }

    /**
     * Runs elfz in a child JVM with the signal's default action (a shell may start its background jobs with SIGINT
     * ignored), waits until it has written 16 MiB into its temporary output, signals it and checks the exit code.
     */
    private void signalMidRun(String signal, int code, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT,TERM,HUP"));
        cmd.addAll(ChildJvm.command(Main.class, args));
        Path log = Files.createTempFile(shared, "log", ".txt");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(temporaryExists() && written(p) > 16 << 20)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    fail("elfz " + String.join(" ", args) + " ended or stalled before it was signalled: "
                            + Files.readString(log));
                }
                Thread.sleep(5);
            }
            assertEquals(
                    0,
                    new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid()))
                            .start()
                            .waitFor());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running after SIG" + signal);
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertEquals(code, p.exitValue(), out);
        assertFalse(out.contains("Exception") || out.contains("elfz:"), "nothing said on a signal: " + out);
    }

    private boolean temporaryExists() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.anyMatch(q -> q.getFileName().toString().matches("\\..+\\.tmp"));
        }
    }

    /** Bytes the process has written so far (Linux; 0 where /proc says nothing, so the test waits and fails). */
    private static long written(Process p) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "io")).stream()
                    .filter(l -> l.startsWith("wchar:"))
                    .mapToLong(l -> Long.parseLong(l.substring(6).strip()))
                    .findFirst()
                    .orElse(0);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Every path under the test directory, hidden ones included; a file with its content, a directory with "/". */
    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(q -> !q.equals(dir))
                    .map(q -> {
                        String name = dir.relativize(q).toString();
                        try {
                            return Files.isDirectory(q) ? name + "/" : name + "=" + Files.readString(q);
                        } catch (IOException e) {
                            return name + "=?";
                        }
                    })
                    .sorted()
                    .toList();
        }
    }
}
