package dev.elfz;

import dev.elfz.onnx.OnnxFile;
import dev.elfz.safetensors.SafetensorsException;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The input of a compression, every file mapped read-only and validated before any output exists: one
 * safetensors or ONNX file, or a model directory (every regular file under it, symbolic links followed, in path
 * order; {@code *.safetensors} and {@code *.onnx} parsed as such, the rest kept as byte blobs).
 */
public final class Sources implements AutoCloseable {

    static final String SAFETENSORS_SUFFIX = ".safetensors";

    /**
     * One input file: a safetensors file, an ONNX file, or a blob ({@code bytes}); the other two are null. Closing
     * it closes its parsed file (a blob's mapping belongs to its {@link Sources}).
     */
    public record Source(String path, SafetensorsFile safetensors, OnnxFile onnx, MemorySegment bytes)
            implements AutoCloseable {

        /** An ONNX file by its name, else a safetensors file (whatever its name), mapped and validated. */
        public static Source open(String name, Path p) throws IOException {
            return name.endsWith(OnnxFile.SUFFIX) ? new Source(name, null, OnnxFile.open(p), null)
                    : new Source(name, SafetensorsFile.open(p), null, null);
        }

        @Override
        public void close() {
            if (safetensors != null) {
                safetensors.close();
            }
            if (onnx != null) {
                onnx.close();
            }
        }

        /** {@link Index#KIND_SAFETENSORS}, {@link Index#KIND_ONNX} or {@link Index#KIND_BLOB}. */
        String kind() {
            return safetensors != null ? Index.KIND_SAFETENSORS : onnx != null ? Index.KIND_ONNX : Index.KIND_BLOB;
        }

        /** Its tensors in file order (none for a blob). */
        public List<TensorInfo> tensors() {
            return safetensors != null ? safetensors.tensors() : onnx != null ? onnx.tensors() : List.of();
        }

        public MemorySegment data(TensorInfo t) {
            return safetensors != null ? safetensors.data(t) : onnx.data(t);
        }

        /** The bytes that are no tensor's: a safetensors header, an ONNX skeleton, a blob's whole content. */
        MemorySegment rest() {
            return safetensors != null ? safetensors.headerBytes() : onnx != null ? onnx.skeleton() : bytes;
        }

        public long size() {
            return safetensors != null ? safetensors.fileSize() : onnx != null ? onnx.fileSize() : bytes.byteSize();
        }
    }

    private final boolean directory;
    private final List<Source> files;
    private final List<AutoCloseable> open;

    private Sources(boolean directory, List<Source> files, List<AutoCloseable> open) {
        this.directory = directory;
        this.files = files;
        this.open = open;
    }

    /** @param exclude the output path, skipped if it lies inside an input directory */
    static Sources open(Path in, Path exclude) throws IOException {
        List<AutoCloseable> open = new ArrayList<>();
        List<Source> files = new ArrayList<>();
        Sources s = new Sources(Files.isDirectory(in), files, open);
        try {
            if (!Files.exists(in)) {
                throw new NoSuchFileException(in.toString(), null, "no such file or directory");
            }
            if (!s.directory) {
                files.add(parsed(in.getFileName().toString(), in, open));
                return s;
            }
            Path skip = exclude.toAbsolutePath().normalize();
            List<Path> paths;
            try (Stream<Path> walk = Files.walk(in, FileVisitOption.FOLLOW_LINKS)) {
                paths = walk.filter(Files::isRegularFile)
                        .filter(p -> !p.toAbsolutePath().normalize().equals(skip))
                        .sorted(Comparator.comparing(p -> relative(in, p)))
                        .toList();
            }
            for (Path p : paths) {
                String rel = relative(in, p);
                if (rel.endsWith(SAFETENSORS_SUFFIX) || rel.endsWith(OnnxFile.SUFFIX)) {
                    files.add(parsed(rel, p, open));
                } else {
                    Arena arena = Arena.ofShared();
                    open.add(arena::close);
                    files.add(new Source(rel, null, null, map(p, arena)));
                }
            }
            return s;
        } catch (IOException | RuntimeException | Error e) {
            s.close();
            throw e;
        }
    }

    /** {@link Source#open}, closed with these sources. */
    private static Source parsed(String rel, Path p, List<AutoCloseable> open) throws IOException {
        Source s = Source.open(rel, p);
        open.add(s);
        return s;
    }

    boolean directory() {
        return directory;
    }

    List<Source> files() {
        return files;
    }

    long totalBytes() {
        long sum = 0;
        for (Source f : files) {
            sum += f.size();
        }
        return sum;
    }

    private static MemorySegment map(Path p, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            return size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (IOException e) {
            throw new SafetensorsException(p, "cannot read: " + e.getMessage(), e);
        }
    }

    /** The path below the root with '/' separators, as the index stores it. */
    private static String relative(Path root, Path p) {
        Path r = root.relativize(p);
        List<String> parts = new ArrayList<>();
        for (Path part : r) {
            parts.add(part.toString());
        }
        return String.join("/", parts);
    }

    @Override
    public void close() {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                // unmapping does not fail
            }
        }
        open.clear();
    }
}
