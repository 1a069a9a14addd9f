package dev.elfz.container;

import com.fasterxml.jackson.core.JacksonException;
import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.ElfzArchive;
import dev.elfz.ElfzException;
import dev.elfz.ElfzTensor;
import dev.elfz.codec.Bounds;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.EntropyStage;
import dev.elfz.codec.ValueCodec;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.io.BufferPool;
import dev.elfz.io.Crc32c;
import dev.elfz.io.FileNames;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.io.Pages;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.JavaVectorKernel;
import dev.elfz.kernel.Kernel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An .elfz file mapped read-only, its index checked: the machinery behind {@link dev.elfz.ElfzReader}, decompression
 * and verification. Thread-safe. Every chunk's CRC32C is checked before it is decoded, and a lossless tensor's checksum
 * after. Chunks are read into private memory before anything reads them ({@link Chunks}: positional reads, or a
 * copy out of the mapping, {@link MappedInput}): a file cut short
 * meanwhile is an {@link ElfzException} saying it changed, never a crash.
 */
public final class Archive implements AutoCloseable {

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final Index.Archive index;
    private final ElfzArchive info;
    private final List<ElfzTensor> tensors;
    private final Map<String, List<Entry>> byName = new LinkedHashMap<>();
    private final CodecPool codecs;
    private final Map<Index.Stream, CodecParams> params = new ConcurrentHashMap<>();
    private final BufferPool scratch; // private copies of coded chunks
    private final Chunks chunks; // reads the stored bytes of chunks into private memory

    private final Kernel kernel;
    private final Map<Index.Stream, Index.Delta> deltas = new IdentityHashMap<>(); // the streams stored as deltas
    private volatile BaseModel base; // what they are stored against, once given
    private final ZeroDeltas zeros = new ZeroDeltas();

    /** A tensor's view and the index record the decoding reads. */
    private record Entry(ElfzTensor tensor, Index.Stream stream) {}

    private Archive(Path path, Arena arena, Chunks chunks, MemorySegment file, Index.Archive index, Kernel kernel) {
        this.path = path;
        this.chunks = chunks;
        this.arena = arena;
        this.file = file;
        this.index = index;
        this.info = IndexView.of(index, this::params);
        this.tensors = info.tensors();
        this.codecs = new CodecPool(kernel);
        this.kernel = kernel;
        this.scratch = new BufferPool(arena, 2 * maxChunkBytes(index) + 4096); // Compressor's most for a coded chunk
        for (int f = 0; f < index.files().size(); f++) { // the view lists the same files and tensors in order
            List<Index.TensorEntry> entries = index.files().get(f).tensors();
            List<ElfzTensor> views = info.files().get(f).tensors();
            for (int i = 0; i < views.size(); i++) {
                Entry e = new Entry(views.get(i), entries.get(i).data());
                if (entries.get(i).delta() != null) {
                    deltas.put(e.stream(), entries.get(i).delta());
                }
                byName.computeIfAbsent(e.tensor().name(), k -> new ArrayList<>())
                        .add(e);
            }
        }
    }

    /**
     * Maps the file and checks its prologue, trailer and index.
     *
     * @throws ElfzException when it is not an .elfz file, is cut short or damaged, or comes from a newer elfz
     */
    public static Archive open(Path path, Kernel kernel) throws IOException {
        Arena arena = Arena.ofShared();
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ElfzException(path, "no such file", e);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        try {
            long size = ch.size();
            MemorySegment file = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Index.Archive index = readIndex(path, file);
            return new Archive(path, arena, new Chunks(path, ch, file), file, index, kernel);
        } catch (IOException | RuntimeException | Error e) {
            ch.close();
            arena.close();
            throw e;
        }
    }

    private static long maxChunkBytes(Index.Archive index) {
        long most = 0;
        for (Index.FileEntry f : index.files()) {
            List<Index.Stream> streams = new ArrayList<>();
            streams.add(f.header());
            streams.add(f.data());
            if (f.tensors() != null) {
                f.tensors().forEach(t -> streams.add(t.data()));
            }
            for (Index.Stream s : streams) {
                most = s == null ? most : Math.max(most, Math.min(s.chunkBytes(), s.size()));
            }
        }
        return most;
    }

    private static Index.Archive readIndex(Path path, MemorySegment file) throws ElfzException {
        long size = file.byteSize();
        if (size == 0) {
            throw new ElfzException(path, "empty file, not an .elfz file");
        }
        if (size < ElfzFormat.MAGIC.length
                && file.mismatch(MemorySegment.ofArray(ElfzFormat.MAGIC).asSlice(0, size)) == -1) {
            throw new ElfzException(path, "cut short: " + size + " bytes, less than an empty .elfz file");
        }
        if (!ElfzFormat.startsWithMagic(file)) {
            throw new ElfzException(path, "not an .elfz file (no elfz magic at the start)");
        }
        if (size < ElfzFormat.PROLOGUE_BYTES + ElfzFormat.TRAILER_BYTES) {
            throw new ElfzException(path, "cut short: " + size + " bytes, less than an empty .elfz file");
        }
        int major = Short.toUnsignedInt(file.get(ElfzFormat.U16, 8));
        int minor = Short.toUnsignedInt(file.get(ElfzFormat.U16, 10));
        if (major < ElfzFormat.OLDEST_MAJOR || major > ElfzFormat.MAJOR) {
            throw new ElfzException(
                    path,
                    "format version " + major + "." + minor + "; this elfz reads "
                            + ElfzFormat.OLDEST_MAJOR + ".x to " + ElfzFormat.MAJOR + ".x"
                            + (major > ElfzFormat.MAJOR ? " (made by a newer elfz?)" : ""));
        }
        int flags = file.get(ElfzFormat.U32, 12);
        if ((flags & ~ElfzFormat.FLAG_BASE) != 0) {
            throw new ElfzException(
                    path, "unknown flags " + Integer.toHexString(flags) + " in the prologue (made by a newer elfz?)");
        }
        long t = size - ElfzFormat.TRAILER_BYTES;
        if (file.asSlice(t + 24, 8).mismatch(MemorySegment.ofArray(ElfzFormat.TRAILER_MAGIC)) != -1) {
            throw new ElfzException(path, "cut short or damaged: no end marker (interrupted download or compression?)");
        }
        long indexOffset = file.get(ElfzFormat.U64, t);
        long indexLength = file.get(ElfzFormat.U64, t + 8);
        if (indexOffset < ElfzFormat.PROLOGUE_BYTES
                || indexLength < 0
                || indexOffset > t
                || indexLength != t - indexOffset
                || indexLength > Integer.MAX_VALUE - 16) {
            throw new ElfzException(
                    path,
                    "damaged trailer: index at " + indexOffset + " of " + indexLength
                            + " bytes does not end where the trailer begins (" + t + ")");
        }
        MemorySegment json =
                copy(path, file.asSlice(indexOffset, indexLength), MemorySegment.ofArray(new byte[(int) indexLength]));
        if ((int) Compressor.crc32c(json) != file.get(ElfzFormat.U32, t + 16)) {
            throw new ElfzException(path, "damaged index (CRC32C mismatch)");
        }
        Index.Archive index;
        try {
            index = Index.JSON.readValue(json.toArray(ValueLayout.JAVA_BYTE), Index.Archive.class);
        } catch (JacksonException e) {
            throw new ElfzException(
                    path,
                    "damaged index: "
                            + e.getOriginalMessage().lines().findFirst().orElse(""),
                    e);
        } catch (IOException e) {
            throw new ElfzException(path, "damaged index: " + e.getMessage(), e);
        }
        if (index == null) {
            throw new ElfzException(path, "damaged index: null");
        }
        if (((flags & ElfzFormat.FLAG_BASE) != 0) != (index.base() != null)) {
            throw new ElfzException(path, "damaged: the prologue's base flag and the index's base disagree");
        }
        IndexCheck.check(path, index, indexOffset);
        return index;
    }

    public Path path() {
        return path;
    }

    /**
     * Gives the model the archive's delta tensors are stored against (for an archive without any, nothing happens):
     * a safetensors file, an ONNX model, a model directory or an .elfz archive of one. Each base tensor is checked
     * against its recorded hash before a delta is applied to it ({@link #checkBase} checks them all).
     */
    public void attachBase(Path basePath) throws IOException {
        if (index.base() == null || basePath == null) {
            return;
        }
        BaseModel b = BaseModel.open(basePath, path, kernel); // this archive is no file of the base
        if (b.directory() != Index.KIND_DIRECTORY.equals(index.base().input())) {
            b.close();
            throw new ElfzException(
                    basePath,
                    "is not the base of " + path + ": it was stored against a "
                            + (b.directory() ? "single file" : "model directory"));
        }
        BaseModel replaced = base;
        base = b;
        if (replaced != null) {
            replaced.close();
        }
    }

    /** The base the index names: its files, for people. */
    public String baseFiles() {
        return index.base() == null
                ? null
                : index.base().files().stream()
                        .map(Index.BaseFile::path)
                        .toList()
                        .toString();
    }

    /**
     * Checks, in index order, that the base given holds every tensor a delta was coded against, with the same bytes.
     *
     * @throws ElfzException naming the first delta tensor without its base tensor, or the missing base
     */
    public void checkBase() throws ElfzException {
        List<ElfzTensor> paired = tensors.stream()
                .filter(t -> deltas.containsKey(entry(t.file(), t.name()).stream()))
                .toList();
        Parallel.map(paired, t -> baseOf(describe(t), deltas.get(entry(t.file(), t.name()).stream())));
    }

    /** The checked bytes of the base tensor of a delta. */
    private MemorySegment baseOf(String what, Index.Delta d) throws ElfzException {
        BaseModel b = base;
        if (b == null) {
            throw new ElfzException(
                    path,
                    what + " is stored as a delta against the base " + baseFiles()
                            + ": give that base to read it (--base)");
        }
        return b.checked(what, d);
    }

    /** The index records, for the container's readers. */
    Index.Archive index() {
        return index;
    }

    /** The whole index, typed: input kind, files, tensors, chunks. */
    public ElfzArchive info() {
        return info;
    }

    /** True when the archive holds a model directory, false for one safetensors or ONNX file (and its data files). */
    public boolean directory() {
        return Index.KIND_DIRECTORY.equals(index.input());
    }

    /** Every tensor of every safetensors and ONNX file, in file and data-offset order. */
    public List<ElfzTensor> tensors() {
        return tensors;
    }

    /**
     * The tensor of this name.
     *
     * @throws IllegalArgumentException when there is none, or several (shards of a directory): then use
     *     {@link #tensor(String, String)}
     */
    public ElfzTensor tensor(String name) {
        List<Entry> found = byName.getOrDefault(name, List.of());
        if (found.size() != 1) {
            throw new IllegalArgumentException(path + ": " + (found.isEmpty() ? "no tensor " : "several tensors named ")
                    + name
                    + (found.isEmpty()
                            ? ""
                            : " (in "
                                    + found.stream().map(e -> e.tensor().file()).toList() + ")"));
        }
        return found.getFirst().tensor();
    }

    /** The tensor of this name in this file of the archive. */
    public ElfzTensor tensor(String file, String name) {
        return entry(file, name).tensor();
    }

    /** Whether a tensor's codec keeps values exactly beside its codes (ELF, grid, pruned survivors of those). */
    public boolean keepsExceptions(ElfzTensor t) {
        return Codecs.of(t.codec()).keepsExceptions(params(stream(t)));
    }

    /** The chunks of a tensor of this archive, as the index records them (found by its file and name). */
    Index.Stream stream(ElfzTensor t) {
        return entry(t.file(), t.name()).stream();
    }

    private Entry entry(String file, String name) {
        for (Entry e : byName.getOrDefault(name, List.of())) {
            if (e.tensor().file().equals(file)) {
                return e;
            }
        }
        throw new IllegalArgumentException(path + ": no tensor " + name + " in " + file);
    }

    /**
     * Decodes a tensor into {@code dst}, which must be exactly {@link ElfzTensor#byteSize()} bytes: off-heap memory or a
     * segment of a Java array. The Java Vector kernel is many times slower on array segments (HotSpot intrinsifies its
     * segment loads for off-heap memory), so for it each chunk of such a {@code dst} is decoded off-heap and copied.
     * The tensor is this archive's of the same file and name (a record anyone can make names it, nothing more).
     */
    public void readInto(ElfzTensor tensor, MemorySegment dst) throws ElfzException {
        Entry e = entry(tensor.file(), tensor.name());
        ElfzTensor t = e.tensor();
        if (dst.byteSize() != t.byteSize()) {
            throw new IllegalArgumentException(
                    t.name() + " needs " + t.byteSize() + " bytes, dst has " + dst.byteSize());
        }
        String what = describe(t);
        Index.Stream s = e.stream();
        boolean bounce = !dst.isNative() && kernel instanceof JavaVectorKernel && s.chunks().length > 0;
        long crc = 0; // of the chunks decoded so far, each taken while it is still in cache
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment buffer = bounce ? scratch.allocate(Math.min(s.chunkBytes(), s.size()), Long.BYTES) : null;
            for (int i = 0; i < s.chunks().length; i++) {
                MemorySegment chunk = dst.asSlice(i * s.chunkBytes(), s.chunkSize(i));
                MemorySegment into = bounce ? buffer.asSlice(0, chunk.byteSize()) : chunk;
                decodeChunk(what, s, t.dtype(), i, into);
                if (s.crc32c() != null) {
                    crc = Crc32c.combine(crc, Compressor.crc32c(into), into.byteSize());
                }
                if (bounce) {
                    chunk.copyFrom(into);
                }
            }
        }
        checkStream(what, s, crc);
    }

    /** "tensor NAME", with its file in a directory archive. */
    public String describe(ElfzTensor t) {
        return "tensor " + t.name() + (directory() ? " of " + FileNames.display(t.file()) : "");
    }

    /** Decodes chunk {@code i} of a stream into dst (the chunk's original size), after checking its CRC32C. */
    void decodeChunk(String what, Index.Stream s, Dtype dtype, int i, MemorySegment dst) throws ElfzException {
        Index.Delta d = deltas.get(s);
        MemorySegment with = d == null ? null : baseOf(what, d).asSlice(i * s.chunkBytes(), dst.byteSize());
        if (with != null && Index.SUB.equals(d.op())) {
            decodeDifference(what, s, dtype, i, with, dst);
            return;
        }
        if (s.chunks()[i][Index.Stream.CODED] == 0) {
            storedChunk(what, s, i, dst); // its stored bytes are its bytes
        } else {
            MemorySegment buffer = scratch.take(storedLength(s, i));
            try {
                MemorySegment stored = storedChunk(what, s, i, buffer);
                if (with != null && unchanged(s, dtype, dst.byteSize(), stored)) {
                    copyBase(with, dst); // the delta is all zeros: the tensor's bytes are the base's
                    return;
                }
                decodeCoded(what, s, dtype, i, stored, dst);
            } finally {
                scratch.give(buffer);
            }
        }
        if (with != null) {
            applyBase(with, dst);
        }
    }

    /** Whether a coded chunk of a delta's stream is the zero chunk ({@link ZeroDeltas}), which decodes to zeros. */
    private boolean unchanged(Index.Stream s, Dtype dtype, long size, MemorySegment stored) {
        return Codec.forId(s.codec()) == Codec.LOSSLESS
                && s.entropy() != null
                && zeros.isZero(codecs, dtype, size, stored);
    }

    /**
     * Decodes chunk {@code i} of a lossy delta ({@link LossyDeltas}): the codec's difference added to the base's chunk
     * {@code with}, then the exceptions; a chunk stored as it is holds the tensor's own bytes.
     */
    private void decodeDifference(
            String what, Index.Stream s, Dtype dtype, int i, MemorySegment with, MemorySegment dst)
            throws ElfzException {
        if (s.chunks()[i][Index.Stream.CODED] == 0) {
            storedChunk(what, s, i, dst);
            return;
        }
        MemorySegment buffer = scratch.take(storedLength(s, i));
        MemorySegment copy = with.isMapped() ? scratch.take(with.byteSize()) : null;
        try {
            MemorySegment stored = storedChunk(what, s, i, buffer);
            int w = dtype.elfType().valueBytes();
            decodeCoded(what, s, dtype, i, LossyDeltas.codecBytes(stored, dst.byteSize() / w, w), dst);
            MemorySegment b = with;
            if (copy != null) {
                copyBase(with, copy);
                b = copy.asSlice(0, with.byteSize());
            }
            LossyDeltas.add(dtype.elfType(), dst, b, dst);
            LossyDeltas.patch(dtype.elfType(), stored, dst);
        } catch (CorruptDataException e) {
            throw new ElfzException(
                    path, what + ": chunk " + i + " of " + s.chunks().length + ": " + e.getMessage(), e);
        } finally {
            scratch.give(buffer);
            scratch.give(copy);
        }
    }

    /** {@code dst ^= with}: a delta's chunk made the tensor's, the base's bytes copied first when they are mapped. */
    private void applyBase(MemorySegment with, MemorySegment dst) throws ElfzException {
        if (!with.isMapped()) {
            BaseModel.xor(dst, with);
            return;
        }
        MemorySegment buffer = scratch.take(with.byteSize());
        try {
            copyBase(with, buffer);
            BaseModel.xor(dst, buffer.asSlice(0, with.byteSize()));
        } finally {
            scratch.give(buffer);
        }
    }

    /** {@code dst} = {@code with}, the base's bytes copied out of their mapping when they are mapped. */
    private void copyBase(MemorySegment with, MemorySegment dst) throws ElfzException {
        if (!with.isMapped()) {
            MemorySegment.copy(with, 0, dst, 0, with.byteSize());
            return;
        }
        try {
            Pages.populate(with);
            MappedInput.copy(base.path(), with, dst);
            Pages.releaseTouched(with); // the base's pages stay out of the resident set, as the input's do
        } catch (InputChangedException e) {
            throw new ElfzException(base.path(), InputChangedException.WHAT, e);
        }
    }

    /** How many bytes chunk {@code i} of a stream takes in the file. */
    static long storedLength(Index.Stream s, int i) {
        return s.chunks()[i][Index.Stream.LENGTH];
    }

    /**
     * The stored bytes of chunk {@code i}, read ({@link Chunks}) into the start of {@code into} (private memory of
     * at least {@link #storedLength} bytes), once their CRC32C has been checked.
     */
    MemorySegment storedChunk(String what, Index.Stream s, int i, MemorySegment into) throws ElfzException {
        long[] c = s.chunks()[i];
        MemorySegment stored = chunks.read(c[Index.Stream.OFFSET], into.asSlice(0, c[Index.Stream.LENGTH]));
        if (Compressor.crc32c(stored) != c[Index.Stream.CRC]) {
            throw new ElfzException(
                    path, what + ": chunk " + i + " of " + s.chunks().length + " is damaged (CRC32C mismatch)");
        }
        return stored;
    }

    /** {@link #storedChunk} of chunk {@code i} of a tensor, into fresh memory of {@code arena}. */
    public MemorySegment storedChunk(ElfzTensor t, int i, Arena arena) throws ElfzException {
        Index.Stream s = stream(t);
        return storedChunk(describe(t), s, i, arena.allocate(storedLength(s, i)));
    }

    /**
     * {@link #decodeCoded} of chunk {@code i} of a tensor from any {@code stored} bytes: what the fuzz tests feed
     * damaged chunks through.
     */
    public void decodeCoded(ElfzTensor t, int i, MemorySegment stored, MemorySegment dst) throws ElfzException {
        decodeCoded(describe(t), stream(t), t.dtype(), i, stored, dst);
    }

    /** {@link MappedInput#copy}, a fault saying that the .elfz file changed. */
    private static MemorySegment copy(Path path, MemorySegment mapped, MemorySegment into) throws ElfzException {
        try {
            return MappedInput.copy(path, mapped, into);
        } catch (InputChangedException e) {
            throw new ElfzException(path, InputChangedException.WHAT, e);
        }
    }

    /** Decodes a coded chunk whose stored bytes passed {@link #storedChunk}. */
    void decodeCoded(String what, Index.Stream s, Dtype dtype, int i, MemorySegment stored, MemorySegment dst)
            throws ElfzException {
        try {
            long first = i * s.chunkBytes() / Math.max(1, dtype.bits() / 8);
            codecs.decode(Codec.forId(s.codec()), dtype, params(s), s.entropy() != null, stored, first, dst);
        } catch (CorruptDataException e) {
            throw new ElfzException(
                    path, what + ": chunk " + i + " of " + s.chunks().length + ": " + e.getMessage(), e);
        }
    }

    /** The error bounds {@link ValueCodec#bounds} gives the values of chunk {@code i} (0 for a stored chunk). */
    Bounds chunkBounds(String what, Index.Stream s, Dtype dtype, int i) throws ElfzException {
        if (s.chunks()[i][Index.Stream.CODED] == 0) {
            return Bounds.constant(0);
        }
        long unit = Math.max(1, dtype.bits() / 8);
        ValueCodec codec = Codecs.of(Codec.forId(s.codec()));
        try {
            MemorySegment coded = codec.boundsReadChunk() ? codedChunk(what, s, i) : MemorySegment.NULL;
            return codec.bounds(params(s), dtype, coded, s.chunkSize(i) / unit, i * s.chunkBytes() / unit);
        } catch (CorruptDataException e) {
            throw new ElfzException(
                    path, what + ": chunk " + i + " of " + s.chunks().length + ": " + e.getMessage(), e);
        }
    }

    /**
     * The value codec's bytes of coded chunk {@code i}: its stored bytes, decoded by the entropy stage when the stream
     * has one (into a fresh buffer).
     */
    MemorySegment codedChunk(String what, Index.Stream s, int i) throws ElfzException {
        MemorySegment own = Arena.ofAuto().allocate(Math.max(1, storedLength(s, i)), Long.BYTES);
        MemorySegment stored = storedChunk(what, s, i, own);
        try {
            return s.entropy() == null ? stored : codecs.unframe(stored, s.chunkSize(i));
        } catch (CorruptDataException e) {
            throw new ElfzException(
                    path, what + ": chunk " + i + " of " + s.chunks().length + ": " + e.getMessage(), e);
        }
    }

    /**
     * The values coded chunk {@code i} keeps ({@link ValueCodec#keptValues}), from the first section of its bytes,
     * without reading the rest or checking its CRC.
     */
    private long keptValues(ElfzTensor t, ValueCodec codec, int i) throws ElfzException {
        Index.Stream s = stream(t);
        long[] c = s.chunks()[i];
        MemorySegment buffer = scratch.take(storedLength(s, i));
        try {
            MemorySegment stored = copy(path, file.asSlice(c[Index.Stream.OFFSET], c[Index.Stream.LENGTH]), buffer);
            MemorySegment head =
                    s.entropy() == null ? stored : EntropyStage.firstSection(kernel, stored, s.chunkSize(i));
            return codec.keptValues(head, s.chunkSize(i) / t.dtype().elfType().valueBytes());
        } catch (CorruptDataException e) {
            throw new ElfzException(
                    path, t.name() + ": chunk " + i + " of " + s.chunks().length + ": " + e.getMessage(), e);
        } finally {
            scratch.give(buffer);
        }
    }

    /**
     * The ideal ratio of a tensor ({@link ValueCodec#idealRatio}); codecs that drop values (pruning) read how many
     * each coded chunk keeps.
     */
    public double idealRatio(ElfzTensor t) throws ElfzException {
        Index.Stream s = stream(t);
        long n = t.elements();
        if (n == 0) {
            return 1;
        }
        ValueCodec codec = Codecs.of(t.codec());
        long kept = n;
        if (codec.keptReadsChunk()) {
            kept = 0;
            for (int i = 0; i < s.chunks().length; i++) {
                long values = s.chunkSize(i) / t.dtype().elfType().valueBytes();
                kept += s.chunks()[i][Index.Stream.CODED] == 0 ? values : keptValues(t, codec, i);
            }
        }
        return codec.idealRatio(params(s), n, kept, t.dtype());
    }

    /** A stream's parsed codec parameters (validated when the index was opened), parsed once. */
    CodecParams params(Index.Stream s) {
        return params.computeIfAbsent(s, k -> Codecs.params(Codec.forId(k.codec()), k.params()));
    }

    /** Checks a decoded stream against the checksum of its original bytes, when it has one. */
    void checkStream(String what, Index.Stream s, MemorySegment decoded) throws ElfzException {
        checkStream(what, s, Compressor.crc32c(decoded));
    }

    /** Checks the CRC32C of a decoded stream against the one of its original bytes, when it has one. */
    void checkStream(String what, Index.Stream s, long decodedCrc) throws ElfzException {
        if (s.crc32c() != null && decodedCrc != s.crc32c()) {
            throw new ElfzException(path, what + ": decoded bytes differ from the original (CRC32C mismatch)");
        }
    }

    /** Decodes a whole raw stream (a safetensors header) onto the heap. */
    byte[] readSmall(String what, Index.Stream s) throws ElfzException {
        byte[] out = new byte[Math.toIntExact(s.size())];
        readStream(what, s, MemorySegment.ofArray(out));
        return out;
    }

    /** Decodes a whole raw stream (a header, an ONNX skeleton) into {@code dst}, exactly its size, and checks it. */
    void readStream(String what, Index.Stream s, MemorySegment dst) throws ElfzException {
        for (int i = 0; i < s.chunks().length; i++) {
            decodeChunk(what, s, Dtype.U8, i, dst.asSlice(i * s.chunkBytes(), s.chunkSize(i)));
        }
        checkStream(what, s, dst);
    }

    @Override
    public void close() {
        if (base != null) {
            base.close();
        }
        chunks.close();
        codecs.close();
        arena.close();
    }
}
