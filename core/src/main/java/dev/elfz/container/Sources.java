package dev.elfz.container;

import dev.elfz.codec.blocks.BlockFields;
import dev.elfz.gguf.GgufFile;
import dev.elfz.io.FileNames;
import dev.elfz.io.PositionalReads;
import dev.elfz.onnx.OnnxException;
import dev.elfz.onnx.OnnxFile;
import dev.elfz.onnx.Payloads;
import dev.elfz.safetensors.SafetensorsException;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.torch.TorchFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The input of a compression, every file mapped read-only and validated before any output exists: one
 * safetensors, ONNX (with the external data files of the ONNX model), PyTorch ({@code .bin}, {@code .pt},
 * {@code .pth}) or GGUF file, or a model directory (every regular file under it, symbolic links followed, in path
 * order; {@code *.safetensors}, {@code *.onnx}, {@code *.gguf} and the {@code .bin}/{@code .pt}/{@code .pth} files
 * that begin as a zip or torch's legacy format parsed as such, the external data files of the ONNX models as those,
 * the rest kept as byte blobs).
 */
public final class Sources implements AutoCloseable {

    static final String SAFETENSORS_SUFFIX = ".safetensors";

    /**
     * One input file: a safetensors file, an ONNX file, a file of tensors at offsets and a skeleton ({@code payloads}:
     * an external data file of an ONNX file, a PyTorch checkpoint or a GGUF file, {@code payloadKind} saying which),
     * or a blob ({@code bytes}); the others are null. Closing it closes its parsed file (with an ONNX file, its data
     * files; a blob's mapping and a data file shared by several models belong to their {@link Sources}).
     */
    public record Source(
            String path,
            SafetensorsFile safetensors,
            OnnxFile onnx,
            Payloads payloads,
            MemorySegment bytes,
            String payloadKind)
            implements AutoCloseable {

        Source(String path, SafetensorsFile safetensors, OnnxFile onnx, Payloads onnxData, MemorySegment bytes) {
            this(path, safetensors, onnx, onnxData, bytes, onnxData == null ? null : Index.KIND_ONNX_DATA);
        }

        /**
         * An ONNX file by its name (its data files mapped too), a PyTorch checkpoint ({@link TorchFile#SUFFIXES}), a
         * GGUF file, else a safetensors file, mapped and validated.
         */
        public static Source open(String name, Path p) throws IOException {
            if (name.endsWith(OnnxFile.SUFFIX)) {
                return new Source(name, null, OnnxFile.open(p), null, null);
            }
            if (TorchFile.named(name)) {
                return new Source(name, null, null, TorchFile.open(name, p), null, Index.KIND_TORCH);
            }
            if (name.endsWith(GgufFile.SUFFIX)) {
                return new Source(name, null, null, GgufFile.open(name, p), null, Index.KIND_GGUF);
            }
            return new Source(name, SafetensorsFile.open(p), null, null, null);
        }

        @Override
        public void close() {
            if (safetensors != null) {
                safetensors.close();
            }
            if (onnx != null) {
                onnx.close();
            }
            if (payloads != null && !Index.KIND_ONNX_DATA.equals(payloadKind)) {
                payloads.close();
            }
        }

        /** {@link Index#KIND_SAFETENSORS}, {@link Index#KIND_ONNX}, {@code payloadKind} or {@link Index#KIND_BLOB}. */
        String kind() {
            return safetensors != null
                    ? Index.KIND_SAFETENSORS
                    : onnx != null ? Index.KIND_ONNX : payloads != null ? payloadKind : Index.KIND_BLOB;
        }

        /** Its tensors in file order (none for a blob; an ONNX file's inline ones, see {@link #externalData}). */
        public List<TensorInfo> tensors() {
            return safetensors != null
                    ? safetensors.tensors()
                    : onnx != null ? onnx.tensors() : payloads != null ? payloads.tensors() : List.of();
        }

        public MemorySegment data(TensorInfo t) {
            return safetensors != null ? safetensors.data(t) : onnx != null ? onnx.data(t) : payloads.data(t);
        }

        /** The block fields of a tensor of quantized blocks (a GGUF file's), or null. */
        BlockFields blocks(TensorInfo t) {
            return payloads != null ? payloads.blocks(t) : null;
        }

        /**
         * Positional reads of the file its tensors (a blob: its bytes) are slices of, {@code file} being where a blob
         * is; null for an ONNX file, whose bytes are read out of its mapping.
         */
        PositionalReads reads(Path file) {
            return safetensors != null
                    ? PositionalReads.open(safetensors.path(), safetensors.mapping())
                    : payloads != null
                            ? PositionalReads.open(payloads.path(), payloads.mapping())
                            : bytes != null ? PositionalReads.open(file, bytes) : null;
        }

        /** The bytes that are no tensor's: a safetensors header, a skeleton, a blob's whole content. */
        MemorySegment rest() {
            return safetensors != null
                    ? safetensors.headerBytes()
                    : onnx != null ? onnx.skeleton() : payloads != null ? payloads.skeleton() : bytes;
        }

        /** The whole file as mapped, of which its tensors' bytes and a safetensors header or a blob's bytes are slices. */
        MemorySegment mapping() {
            return safetensors != null
                    ? safetensors.mapping()
                    : onnx != null ? onnx.mapping() : payloads != null ? payloads.mapping() : bytes;
        }

        public long size() {
            return safetensors != null
                    ? safetensors.fileSize()
                    : onnx != null ? onnx.fileSize() : payloads != null ? payloads.fileSize() : bytes.byteSize();
        }

        /** An ONNX file's external data files, each named by its path beside this one ('/'-separated); else none. */
        public List<Source> externalData() {
            if (onnx == null) {
                return List.of();
            }
            String dir = path.contains("/") ? path.substring(0, path.lastIndexOf('/') + 1) : "";
            return onnx.dataFiles().stream()
                    .map(d -> new Source(dir + d.name(), null, null, d, null))
                    .toList();
        }
    }

    private final Path root;
    private final boolean directory;
    private final List<Source> files;
    private final List<AutoCloseable> open;

    private Sources(Path root, boolean directory, List<Source> files, List<AutoCloseable> open) {
        this.root = root;
        this.directory = directory;
        this.files = files;
        this.open = open;
    }

    /** @param exclude the output path, skipped if it lies inside an input directory */
    static Sources open(Path in, Path exclude) throws IOException {
        List<AutoCloseable> open = new ArrayList<>();
        List<Source> files = new ArrayList<>();
        Sources s = new Sources(in, Files.isDirectory(in), files, open);
        try {
            if (!Files.exists(in)) {
                throw new NoSuchFileException(in.toString(), null, "no such file or directory");
            }
            if (!s.directory) {
                Source model = parsed(FileNames.name(in.getFileName()), in, open);
                files.add(model);
                files.addAll(model.externalData());
                return s;
            }
            Path skip = exclude.toAbsolutePath().normalize();
            List<Path> paths;
            try (Stream<Path> walk = Files.walk(in, FileVisitOption.FOLLOW_LINKS)) {
                paths = walk.filter(Files::isRegularFile)
                        .filter(p -> !p.toAbsolutePath().normalize().equals(skip))
                        .sorted(Comparator.comparing(p -> relative(in, p)))
                        .toList();
            } catch (UncheckedIOException e) { // a link loop, an unreadable directory
                throw e.getCause();
            }
            Map<String, Source> models = new LinkedHashMap<>();
            for (Path p : paths) {
                String rel = relative(in, p);
                if (rel.endsWith(SAFETENSORS_SUFFIX)
                        || rel.endsWith(OnnxFile.SUFFIX)
                        || rel.endsWith(GgufFile.SUFFIX)
                        || (TorchFile.named(rel) && TorchFile.looksLike(p))) {
                    models.put(rel, parsed(rel, p, open));
                }
            }
            Map<String, Source> data = dataFiles(in, models, open);
            for (Path p : paths) {
                String rel = relative(in, p);
                if (models.containsKey(rel)) {
                    files.add(models.get(rel));
                } else if (data.containsKey(rel)) {
                    files.add(data.remove(rel));
                } else {
                    Arena arena = Arena.ofShared();
                    open.add(arena::close);
                    files.add(new Source(rel, null, null, null, map(p, arena)));
                }
            }
            if (!data.isEmpty()) { // the output's own path
                throw new OnnxException(
                        FileNames.resolve(in, data.keySet().iterator().next()),
                        "external data of an ONNX model of " + "the directory, and the output");
            }
            return s;
        } catch (IOException | RuntimeException | Error e) {
            s.close();
            throw e;
        }
    }

    /**
     * The external data files of a directory's ONNX models by path. A file several models read (a decoder and its
     * with-past twin) is mapped once more, holding every region any of them reads: a region two models read alike is
     * stored once; regions that overlap otherwise, and two regions of one name, are refused.
     */
    private static Map<String, Source> dataFiles(Path in, Map<String, Source> models, List<AutoCloseable> open)
            throws IOException {
        Map<String, List<Source>> readers = new TreeMap<>();
        for (Source m : models.values()) {
            for (Source d : m.externalData()) {
                if (models.containsKey(d.path())) {
                    throw new OnnxException(
                            m.onnx().path(),
                            "external data file " + d.payloads().name() + " is a model itself (" + d.path() + ")");
                }
                readers.computeIfAbsent(d.path(), k -> new ArrayList<>()).add(d);
            }
        }
        Map<String, Source> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<Source>> e : readers.entrySet()) {
            List<Source> r = e.getValue();
            out.put(e.getKey(), r.size() == 1 ? r.getFirst() : shared(in, e.getKey(), r, open));
        }
        return out;
    }

    private static Source shared(Path in, String rel, List<Source> readers, List<AutoCloseable> open)
            throws IOException {
        Map<String, TensorInfo> regions = new LinkedHashMap<>(); // by offset, length, dtype and shape
        Map<String, TensorInfo> names = new LinkedHashMap<>();
        for (Source d : readers) {
            for (TensorInfo t : d.tensors()) {
                String region = t.begin() + " " + t.end() + " " + t.dtype() + " " + Arrays.toString(t.shape());
                if (regions.putIfAbsent(region, t) == null && names.putIfAbsent(t.name(), t) != null) {
                    throw new OnnxException(
                            FileNames.resolve(in, rel),
                            "initializers named \"" + t.name() + "\" of two models "
                                    + "lie at different places of this shared external data file (["
                                    + names.get(t.name()).begin()
                                    + ", ...) and [" + t.begin() + ", ...)); elfz keeps one name per region");
                }
            }
        }
        Payloads p = Payloads.openData(
                FileNames.resolve(in, rel), rel, readers.getFirst().payloads().path(), List.copyOf(regions.values()));
        open.add(p);
        return new Source(rel, null, null, p, null);
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

    /** Where one of these files is, as the user named the input (for messages). */
    Path file(Source s) {
        Path dir = directory ? root : root.getParent();
        return FileNames.resolve(dir == null ? Path.of("") : dir, s.path()); // names that are not UTF-8 too
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

    /** The path below the root with '/' separators, each name exact ({@link FileNames}), as the index stores it. */
    private static String relative(Path root, Path p) {
        Path r = root.relativize(p);
        List<String> parts = new ArrayList<>();
        for (Path part : r) {
            parts.add(FileNames.name(part));
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
