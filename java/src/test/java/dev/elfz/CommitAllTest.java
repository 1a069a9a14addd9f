package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aFailedCommitPutsTheUsersFilesBack() throws IOException {
        Path model = Files.writeString(dir.resolve("m.onnx"), "old model");
        Path data = Files.writeString(dir.resolve("m.onnx.data"), "old data");
        // the data file is committed first (last output), then the model fails
        IOException e = assertThrows(IOException.class, () -> Decompressor.commitAll(
                List.of(new Fake(model, "new model", true), new Fake(data, "new data", false)),
                List.of(model, data), true));
        assertEquals(model + ": no space left on device", e.getMessage());
        assertEquals(List.of("m.onnx.data=old data", "m.onnx=old model"), listing(), "as before, no hidden copy left");
    }

    @Test
    void aFailedCommitWithoutOldFilesLeavesNothing() throws IOException {
        Path model = dir.resolve("m.onnx"), data = dir.resolve("m.onnx.data");
        assertThrows(IOException.class, () -> Decompressor.commitAll(
                List.of(new Fake(model, "new model", true), new Fake(data, "new data", false)),
                List.of(model, data), true));
        assertEquals(List.of(), listing());
    }

    @Test
    void successReplacesEveryFileAndDropsTheOldOnes() throws IOException {
        Path model = Files.writeString(dir.resolve("m.onnx"), "old model");
        Path data = Files.writeString(dir.resolve("m.onnx.data"), "old data");
        Decompressor.commitAll(List.of(new Fake(model, "new model", false), new Fake(data, "new data", false)),
                List.of(model, data), true);
        assertEquals(List.of("m.onnx.data=new data", "m.onnx=new model"), listing());
    }
}
