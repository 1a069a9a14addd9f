package dev.elfz.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.ChildJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several outputs over the user's files (a model and its data file, -f): all appear, or none and the old ones stay. */
class CommitAllTest {

    @TempDir
    Path dir;

    /** An output whose commit writes its content to the target, or fails. */
    private record Fake(Path target, String content, boolean fails) implements Decompressor.Output {
        public void commit() throws IOException {
            if (fails) {
                throw new IOException(target + ": no space left on device");
            }
            Files.writeString(target, content);
        }

        public void close() {}
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName() + "=" + read(p)).sorted().toList();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aFailedCommitPutsTheUsersFilesBack() throws IOException {
        Path model = Files.writeString(dir.resolve("m.onnx"), "old model");
        Path data = Files.writeString(dir.resolve("m.onnx.data"), "old data");
        // the data file is committed first (last output), then the model fails
        IOException e = assertThrows(
                IOException.class,
                () -> Decompressor.commitAll(
                        List.of(new Fake(model, "new model", true), new Fake(data, "new data", false)),
                        List.of(model, data),
                        true));
        assertEquals(model + ": no space left on device", e.getMessage());
        assertEquals(List.of("m.onnx.data=old data", "m.onnx=old model"), listing(), "as before, no hidden copy left");
    }

    @Test
    void aFailedCommitWithoutOldFilesLeavesNothing() throws IOException {
        Path model = dir.resolve("m.onnx"), data = dir.resolve("m.onnx.data");
        assertThrows(
                IOException.class,
                () -> Decompressor.commitAll(
                        List.of(new Fake(model, "new model", true), new Fake(data, "new data", false)),
                        List.of(model, data),
                        true));
        assertEquals(List.of(), listing());
    }

    @Test
    void anExitDuringTheCommitsPutsTheUsersFilesBack() throws Exception {
        Process p = new ProcessBuilder(ChildJvm.command(ExitMidCommit.class, dir.toString()))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(130, p.exitValue(), out);
        assertEquals(List.of("a=old a", "b=old b", "c=old c"), listing(), "as before, no hidden copy left");
    }

    /**
     * In a child JVM: three outputs over the user's files, committed c, b, a; while b is committed the JVM starts to
     * exit (as on SIGINT: {@code System.exit(130)} from another thread) and its exit hook waits for that step.
     */
    public static final class ExitMidCommit {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            List<Path> targets = List.of(dir.resolve("a"), dir.resolve("b"), dir.resolve("c"));
            for (Path t : targets) {
                Files.writeString(t, "old " + t.getFileName());
            }
            Decompressor.Output exiting = new Decompressor.Output() {
                public void commit() throws IOException {
                    Files.writeString(targets.get(1), "new b");
                    new Thread(() -> System.exit(130)).start();
                    awaitExitHookWaiting();
                }

                public void close() {}
            };
            Decompressor.commitAll(
                    List.of(
                            new Fake(targets.get(0), "new a", false),
                            exiting,
                            new Fake(targets.get(2), "new c", false)),
                    targets,
                    true);
            Thread.sleep(60_000); // not reached: the hook went first and the commit of a failed
        }

        private static void awaitExitHookWaiting() {
            for (int i = 0; i < 10_000; i++) {
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (t.getName().equals("elfz-exit-cleanup") && t.getState() == Thread.State.WAITING) {
                        return;
                    }
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    @Test
    void successReplacesEveryFileAndDropsTheOldOnes() throws IOException {
        Path model = Files.writeString(dir.resolve("m.onnx"), "old model");
        Path data = Files.writeString(dir.resolve("m.onnx.data"), "old data");
        Decompressor.commitAll(
                List.of(new Fake(model, "new model", false), new Fake(data, "new data", false)),
                List.of(model, data),
                true);
        assertEquals(List.of("m.onnx.data=new data", "m.onnx=new model"), listing());
    }
}
