package dev.elfz.container;

import dev.elfz.Codec;
import dev.elfz.ElfzException;
import dev.elfz.codec.CodecParams;
import dev.elfz.io.BufferPool;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.io.Pages;
import dev.elfz.kernel.Kernel;
import dev.elfz.safetensors.TensorInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decides, for compression against a base, which tensors are stored as their XOR with a base tensor (or, when a lossy
 * codec was asked for, their difference: {@link LossyDeltas}): those paired
 * with one (same name, dtype and shape, {@link BaseModel#pair}) whose delta codes smaller than the tensor alone on a
 * sample of it (up to three pieces of {@link #PIECE} bytes: its start, middle and end, coded both ways by the real
 * codecs), so that the choice costs a small fraction of the coding itself. Unchanged tensors (frozen layers) XOR to
 * zeros, which the entropy stage stores in a few bytes a chunk.
 */
final class Deltas implements AutoCloseable {

    /** A tensor paired: the base tensor's bytes, the file they map (null for private memory), the index record. */
    record Pair(MemorySegment bytes, Path file, Index.Delta delta) {}

    static final long PIECE = 64 << 10;

    private final BaseModel base;
    private final CodecPool codecs;
    private final ZeroDeltas zeros;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment own;
    private final MemorySegment other;
    private final MemorySegment coded;
    private final Map<String, Long> used = new TreeMap<>(); // base files paired with, by path

    private final boolean lossy; // ELF or an error bound asked for: their deltas are differences (LossyDeltas)

    Deltas(BaseModel base, Kernel kernel, long chunkBytes, ZeroDeltas zeros, boolean lossy) {
        this.base = base;
        this.lossy = lossy;
        this.codecs = new CodecPool(kernel);
        this.zeros = zeros;
        long piece = Math.min(PIECE, chunkBytes);
        own = arena.allocate(piece, 64);
        other = arena.allocate(piece, 64);
        coded = arena.allocate(2 * piece + 4096, 64);
    }

    /**
     * The base tensor {@code t} (of input file {@code path}, mapped from {@code file}) is stored against, or null
     * when it has none or codes smaller alone with {@code alone}.
     */
    Pair pair(String path, Path file, TensorInfo t, MemorySegment data, Planner.Choice alone) throws ElfzException {
        if (t.dtype().elfType() == null || data.byteSize() == 0) {
            return null; // the lossless codec takes float tensors only
        }
        BaseModel.Tensor b = base.pair(path, t.name(), t.dtype(), t.shape());
        if (b == null) {
            return null;
        }
        MemorySegment bytes = base.bytes(b);
        Path baseFile = base.fileOf(b);
        int unit = t.dtype().elfType().valueBytes();
        boolean sub = lossy && LossyDeltas.codes(alone.codec()); // the difference, by the codec alone would use
        long aloneBytes = 0;
        long deltaBytes = 0;
        try {
            for (long at : pieces(data.byteSize(), own.byteSize() / unit * unit)) {
                long n = Math.min(own.byteSize() / unit * unit, data.byteSize() - at);
                MemorySegment mine = MappedInput.copy(file, data.asSlice(at, n), own);
                aloneBytes += codedSize(alone.codec(), alone.params(), t, mine, at / unit);
                if (sub) {
                    MemorySegment with = baseChunk(baseFile, bytes.asSlice(at, n), other);
                    LossyDeltas.subtract(t.dtype().elfType(), mine, with, mine);
                    deltaBytes += codedSize(alone.codec(), alone.params(), t, mine, at / unit);
                } else {
                    deltaBytes += xorUnlessEqual(baseFile, bytes.asSlice(at, n), other, mine)
                            ? zeros.storedSize(codecs, t.dtype(), n)
                            : codedSize(Codec.LOSSLESS, CodecParams.NONE, t, mine, at / unit);
                }
            }
        } catch (InputChangedException e) {
            throw new ElfzException(e.file(), InputChangedException.WHAT, e);
        }
        if (deltaBytes > aloneBytes) {
            return null;
        }
        used.put(b.file(), base.size(b.file()));
        String op = sub ? Index.SUB : Index.XOR;
        return new Pair(bytes, baseFile, new Index.Delta(op, b.file(), b.name(), null)); // hashed by hashAll
    }

    /**
     * The deltas with the XXH3-128 of their base tensors, hashed in parallel (one pass over each, the first over a
     * base's mapping also faulting it in; its pages stay for the deltas' pass, which keeps them too).
     */
    static List<Index.Delta> hashAll(List<Pair> pairs) throws ElfzException {
        return Parallel.map(pairs, p -> {
            Index.Delta d = p.delta();
            return new Index.Delta(d.op(), d.file(), d.tensor(), BaseModel.xxh3(p.file(), p.bytes(), false));
        });
    }

    /** Where the sample's pieces of {@code piece} bytes begin in a tensor of {@code size} bytes. */
    private static List<Long> pieces(long size, long piece) {
        List<Long> at = new ArrayList<>(List.of(0L));
        long middle = (size / 2 - piece / 2) / piece * piece;
        long end = size - piece;
        for (long a : new long[] {middle, end}) {
            if (a >= at.getLast() + piece) {
                at.add(a);
            }
        }
        return at;
    }

    /** Bytes a chunk of {@code values} takes stored with a codec (its own size when coding would not shrink it). */
    private long codedSize(Codec codec, CodecParams params, TensorInfo t, MemorySegment values, long first) {
        if (codec == Codec.RAW) {
            return values.byteSize();
        }
        long n = codecs.encode(codec, t.dtype(), params, values, first, coded).length();
        return n < 0 ? values.byteSize() : n;
    }

    /** The base file's entry of the index: its input kind and the files paired with. */
    Index.Base base() {
        List<Index.BaseFile> files = new ArrayList<>();
        used.forEach((path, size) -> files.add(new Index.BaseFile(path, size)));
        return new Index.Base(base.directory() ? Index.KIND_DIRECTORY : Index.KIND_FILE, files);
    }

    /**
     * Takes the delta of {@code src} (a chunk of a fine-tune, private memory) against the base's chunk {@code with}: a
     * mapping of {@code file}, copied first into a buffer of {@code buffers}, or private memory when {@code file} is
     * null. {@code src ^= with}, unless the two are equal: then {@code src} is left as it is and the answer is true
     * (the delta is all zeros, {@link ZeroDeltas}).
     */
    static boolean xorChunk(MemorySegment src, Path file, MemorySegment with, BufferPool buffers)
            throws InputChangedException {
        MemorySegment b = file == null ? null : buffers.take();
        try {
            return xorUnlessEqual(file, with, b, src);
        } finally {
            buffers.give(b);
        }
    }

    /**
     * The base's chunk {@code with} in private memory: copied into {@code buffer} when it maps {@code file} (the
     * kernels never touch a mapping, MappedInput), as it is when {@code file} is null.
     */
    static MemorySegment baseChunk(Path file, MemorySegment with, MemorySegment buffer) throws InputChangedException {
        if (file == null) {
            return with;
        }
        Pages.populate(with); // one madvise for the chunk's pages rather than a fault per page
        return MappedInput.copy(file, with, buffer);
    }

    /**
     * {@code dst ^= with}, {@code with} read through a private copy into {@code buffer} when it maps {@code file};
     * nothing changes and the answer is true when they are equal.
     */
    private static boolean xorUnlessEqual(Path file, MemorySegment with, MemorySegment buffer, MemorySegment dst)
            throws InputChangedException {
        MemorySegment own = baseChunk(file, with, buffer);
        if (dst.mismatch(own) == -1) {
            return true;
        }
        BaseModel.xor(dst, own);
        return false;
    }

    @Override
    public void close() {
        codecs.close();
        arena.close();
    }
}
