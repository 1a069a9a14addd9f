package dev.elfz.onnx;

import dev.elfz.codec.blocks.BlockFields;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A file mapped read-only with tensor payloads at known offsets (an ONNX model's inline initializers, or the
 * initializers an external data file holds) and its {@link #skeleton()}: every other byte, gathered off the heap,
 * so that the payloads and the skeleton give back the file exactly.
 */
public final class Payloads implements AutoCloseable {

    /** File order. */
    public static final Comparator<TensorInfo> BY_OFFSET =
            Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end);

    private final String name;
    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName = new HashMap<>();
    private final MemorySegment skeleton;
    private Map<String, BlockFields> blocks = Map.of();

    Payloads(String name, Path path, Arena arena, MemorySegment file, List<TensorInfo> tensors) throws IOException {
        this.name = name;
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.tensors = List.copyOf(tensors);
        tensors.forEach(t -> byName.put(t.name(), t));
        Skeleton s = OnnxFile.skeleton(file.byteSize(), tensors);
        // gathered off the heap once: it is one stream of the container, while the file holds it in pieces
        this.skeleton = arena.allocate(Math.max(1, s.size())).asSlice(0, s.size());
        try { // a guarded copy: a page of a file cut short meanwhile is an InternalError, not a crash
            s.forEach(0, s.size(), (at, offset, length) -> MemorySegment.copy(file, at, skeleton, offset, length));
            MappedInput.raiseFaults();
        } catch (InternalError e) {
            throw new OnnxException(path, InputChangedException.WHAT, e);
        }
    }

    /** A reader's parse of a mapped file into its tensors (file order, offsets in the file). */
    public interface Parser {
        List<TensorInfo> parse(Path path, MemorySegment file) throws IOException;
    }

    /**
     * Maps {@code path} and parses it with {@code parser}: the one way a reader of another format (a PyTorch checkpoint,
     * a GGUF file) opens its input. A missing file is {@code missing}'s one line, a page that faults while it is parsed
     * (the file cut short) an {@link InputChangedException}; the mapping is released on any failure.
     */
    public static Payloads map(
            String name, Path path, Parser parser, Function<NoSuchFileException, IOException> missing)
            throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment file = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new Payloads(name, path, arena, file, parser.parse(path, file));
        } catch (NoSuchFileException e) {
            arena.close();
            throw missing.apply(e);
        } catch (InternalError e) { // a fault reading the mapping (MappedInput)
            arena.close();
            throw new InputChangedException(path, e);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Maps an external data file holding these tensors (each {@code [begin, end)} in the file). Errors name
     * {@code model}, the file that refers to it.
     *
     * @throws OnnxException when the file is missing or unreadable, a tensor runs past its end, or two overlap
     */
    public static Payloads openData(Path model, String location, Path file, List<TensorInfo> tensors)
            throws OnnxException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment mapped =
                    size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (OnnxFile.lfsPointer(mapped)) {
                throw new OnnxException(
                        model,
                        "external data file " + location + " is a git-LFS pointer file, not the "
                                + "data (run git lfs pull)");
            }
            tensors = tensors.stream().sorted(BY_OFFSET).toList();
            TensorInfo before = null;
            for (TensorInfo t : tensors) {
                if (t.end() > size) {
                    throw new OnnxException(
                            model,
                            "initializer \"" + t.name() + "\": external data [" + t.begin() + ", " + t.end()
                                    + ") runs past the end of " + location + " (" + size + " bytes)");
                }
                if (before != null && t.begin() < before.end()) {
                    throw new OnnxException(
                            model,
                            "initializers \"" + before.name() + "\" [" + before.begin() + ", "
                                    + before.end() + ") and \"" + t.name() + "\" [" + t.begin() + ", " + t.end()
                                    + ") overlap in " + location);
                }
                before = t;
            }
            return new Payloads(location, file, arena, mapped, tensors);
        } catch (OnnxException e) {
            arena.close();
            throw e;
        } catch (NoSuchFileException e) {
            arena.close();
            throw new OnnxException(model, "external data file " + location + " is missing (no " + file + ")", e);
        } catch (IOException e) {
            arena.close();
            throw new OnnxException(model, "external data file " + location + ": cannot read: " + e.getMessage(), e);
        } catch (InternalError e) { // a fault reading the mapping (MappedInput)
            arena.close();
            throw new OnnxException(file, InputChangedException.WHAT, e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The name the container gives the file: the model's own, or its data file's location (normalized). */
    public String name() {
        return name;
    }

    public Path path() {
        return path;
    }

    /** Every tensor in file order. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /**
     * The payload of a tensor of this file: a read-only slice of the mapping, no copy. Valid until {@link #close}.
     *
     * @throws IllegalArgumentException for a TensorInfo that is not one of this file's
     */
    public MemorySegment data(TensorInfo t) {
        if (!t.equals(byName.get(t.name()))) {
            throw new IllegalArgumentException(path + ": " + t + " is not a tensor of this file");
        }
        return file.asSlice(t.begin(), t.byteSize());
    }

    /** The mapping of the whole file, from offset 0: what {@link #data} slices. */
    public MemorySegment mapping() {
        return file;
    }

    /** These payloads with the block fields of their tensors of quantized blocks, by name (set before it is shared). */
    public Payloads withBlocks(Map<String, BlockFields> blocks) {
        this.blocks = Map.copyOf(blocks);
        return this;
    }

    /** The block fields of a tensor of quantized blocks (a GGUF file's Q8_0 ...), or null: its bytes have no known layout. */
    public BlockFields blocks(TensorInfo t) {
        return blocks.get(t.name());
    }

    /**
     * The file without its tensors' payloads, gathered into one off-heap buffer. Off-heap, not a mapping: a reader
     * that lets its pages go reads it once.
     */
    public MemorySegment skeleton() {
        return skeleton;
    }

    public long fileSize() {
        return file.byteSize();
    }

    @Override
    public void close() {
        arena.close();
    }
}
