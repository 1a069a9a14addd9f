package dev.elfz;

import dev.elfz.container.Archive;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * An .elfz file mapped read-only, its index checked: lists the tensors (of every safetensors and ONNX file it holds,
 * or of its one file) and decodes any one of them, touching
 * only that tensor's chunks. Thread-safe: any number of threads may read at once. Every chunk's CRC32C is
 * checked before it is decoded, and a lossless tensor's checksum after. Chunks are read into private memory
 * (positional reads of the file) before anything reads them: a file cut short meanwhile is an {@link ElfzException} saying it
 * changed, never a crash.
 *
 * <pre>{@code
 * try (ElfzReader r = ElfzReader.open(Path.of("model.safetensors.elfz")); Arena arena = Arena.ofConfined()) {
 *     MemorySegment w = r.read("encoder.layer.0.attention.self.query.weight", arena);
 *     for (ElfzTensor t : r.tensors()) {
 *         System.out.println(t.name() + " " + t.dtype() + " " + t.codec().id() + " " + t.storedBytes());
 *     }
 * }
 * }</pre>
 */
public final class ElfzReader implements AutoCloseable {

    private final Archive archive;

    private ElfzReader(Archive archive) {
        this.archive = archive;
    }

    /** Opens with the best kernel of this machine. */
    public static ElfzReader open(Path path) throws IOException {
        return open(path, Kernels.best());
    }

    public static ElfzReader open(Path path, Kernel kernel) throws IOException {
        return new ElfzReader(Archive.open(path, kernel));
    }

    /**
     * Opens an archive of a fine-tune stored against {@code base} ({@link ElfzArchive#base()}): a safetensors file, an
     * ONNX model, a model directory or an .elfz archive of one. Each base tensor is checked against the hash the archive
     * recorded when a delta tensor first needs it; {@link #checkBase()} checks them all at once.
     */
    public static ElfzReader open(Path path, Path base) throws IOException {
        return open(path, base, Kernels.best());
    }

    public static ElfzReader open(Path path, Path base, Kernel kernel) throws IOException {
        Archive a = Archive.open(path, kernel);
        try {
            a.attachBase(base);
        } catch (IOException | RuntimeException | Error e) {
            a.close();
            throw e;
        }
        return new ElfzReader(a);
    }

    /**
     * Checks that the base given holds every tensor the archive's deltas were coded against, with the same bytes.
     *
     * @throws ElfzException naming the first delta tensor whose base tensor is missing or differs, or when no base
     *     was given and the archive needs one
     */
    public void checkBase() throws ElfzException {
        archive.checkBase();
    }

    public Path path() {
        return archive.path();
    }

    /** The open archive, for {@link Elfz#decompress(ElfzReader, Path, ElfzOptions)}. */
    Archive container() {
        return archive;
    }

    /** The whole index, typed: input kind, files, tensors, chunks. */
    public ElfzArchive archive() {
        return archive.info();
    }

    /** True when the archive holds a model directory, false for one safetensors or ONNX file (and its data files). */
    public boolean directory() {
        return archive.directory();
    }

    /** Every tensor of every safetensors and ONNX file, in file and data-offset order: {@code archive().tensors()}. */
    public List<ElfzTensor> tensors() {
        return archive.tensors();
    }

    public ElfzTensor tensor(String name) {
        return archive.tensor(name);
    }

    public ElfzTensor tensor(String file, String name) {
        return archive.tensor(file, name);
    }

    public MemorySegment read(String name, Arena arena) throws ElfzException {
        return read(tensor(name), arena);
    }

    public MemorySegment read(ElfzTensor t, Arena arena) throws ElfzException {
        MemorySegment dst = arena.allocate(t.byteSize(), Long.BYTES);
        readInto(t, dst);
        return dst;
    }

    /**
     * Decodes a tensor into {@code dst}, which must be exactly {@link ElfzTensor#byteSize()} bytes: off-heap memory or a
     * segment of a Java array. The Java Vector kernel is many times slower on array segments (HotSpot intrinsifies its
     * segment loads for off-heap memory), so for it each chunk of such a {@code dst} is decoded off-heap and copied.
     */
    public void readInto(ElfzTensor t, MemorySegment dst) throws ElfzException {
        archive.readInto(t, dst);
    }

    /**
     * Whether a tensor's codec keeps values exactly beside its codes, counted by {@link ElfzTensor#exceptions()}: ELF,
     * grid and the survivors of pruning through them.
     */
    public boolean keepsExceptions(ElfzTensor t) {
        return archive.keepsExceptions(t);
    }

    /**
     * The ideal ratio of a tensor: its size over its codec's codes alone, {@code N b / (coded bits)} with no entropy
     * stage, chunking or index (ELF {@code b / (m + 1)}, exceptions left out; quantization and pruning with their
     * group parameters, codebook and bitmap). Pruned tensors read how many values each chunk kept.
     */
    public double idealRatio(ElfzTensor t) throws ElfzException {
        return archive.idealRatio(t);
    }

    @Override
    public void close() {
        archive.close();
    }
}
