package dev.elfz.container;

import com.dynatrace.hash4j.hashing.HashStream128;
import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hashing;
import dev.elfz.Dtype;
import dev.elfz.ElfzException;
import dev.elfz.ElfzTensor;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.io.Pages;
import dev.elfz.kernel.Kernel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The model a fine-tune is stored against: a safetensors file, an ONNX model or a model directory, mapped read-only
 * ({@link Sources}), or an .elfz archive of one, whose tensors are decoded when first asked for. Tensors are found by
 * the fine-tune's file and name; their bytes are checked against the hash an archive recorded before any delta is
 * applied to them.
 */
final class BaseModel implements AutoCloseable {

    /** A tensor of the base: its file, its description, and its bytes when the base is mapped (else null). */
    record Tensor(String file, String name, Dtype dtype, long[] shape, MemorySegment mapped, ElfzTensor stored) {}

    private final Path path;
    private final boolean directory;
    private final Map<String, Long> sizes = new LinkedHashMap<>(); // by file, in path order
    private final Map<String, List<Tensor>> byName = new HashMap<>();
    private final Sources sources;
    private final Archive archive;
    private final Arena arena = Arena.ofShared(); // the decoded tensors of an archive
    private final Map<Tensor, MemorySegment> decoded = new ConcurrentHashMap<>();
    private final Map<String, MemorySegment> checked = new ConcurrentHashMap<>(); // by "file\0name"

    private BaseModel(Path path, Sources sources, Archive archive) {
        this.path = path;
        this.sources = sources;
        this.archive = archive;
        if (archive != null) {
            directory = archive.directory();
            for (Index.FileEntry f : archive.index().files()) {
                sizes.put(f.name(), f.size());
            }
            for (ElfzTensor t : archive.tensors()) {
                add(new Tensor(t.file(), t.name(), t.dtype(), t.shape(), null, t));
            }
        } else {
            directory = sources.directory();
            for (Sources.Source s : sources.files()) {
                sizes.put(s.path(), s.size());
                s.tensors().forEach(t -> add(new Tensor(s.path(), t.name(), t.dtype(), t.shape(), s.data(t), null)));
            }
        }
    }

    private void add(Tensor t) {
        byName.computeIfAbsent(t.name(), k -> new ArrayList<>()).add(t);
    }

    /**
     * Opens a base: an .elfz archive (by its magic) through {@link Archive}, anything else as an input of compression.
     *
     * @param exclude a path a directory's walk leaves out (the output being written, the archive being read)
     */
    static BaseModel open(Path base, Path exclude, Kernel kernel) throws IOException {
        if (Files.isRegularFile(base) && isArchive(base)) {
            Archive a = Archive.open(base, kernel);
            if (a.index().base() != null) {
                a.close();
                throw new ElfzException(base, "is itself stored against a base: decompress it first to use it as one");
            }
            return new BaseModel(base, null, a);
        }
        return new BaseModel(base, Sources.open(base, exclude), null);
    }

    private static boolean isArchive(Path p) throws IOException {
        byte[] head = new byte[ElfzFormat.MAGIC.length];
        try (var in = Files.newInputStream(p)) {
            return in.readNBytes(head, 0, head.length) == head.length && Arrays.equals(head, ElfzFormat.MAGIC);
        }
    }

    Path path() {
        return path;
    }

    boolean directory() {
        return directory;
    }

    /** The size of a file of the base, or -1 when it has none of that name. */
    long size(String file) {
        return sizes.getOrDefault(file, -1L);
    }

    /**
     * The base tensor a fine-tune's tensor pairs with: of the same name, dtype and shape; in the file of the same path
     * when there is one (shards of two directories), else the first in path order. Null when none matches.
     */
    Tensor pair(String file, String name, Dtype dtype, long[] shape) {
        Tensor found = null;
        for (Tensor t : byName.getOrDefault(name, List.of())) {
            if (t.dtype() == dtype && Arrays.equals(t.shape(), shape)) {
                if (t.file().equals(file)) {
                    return t;
                }
                found = found == null ? t : found;
            }
        }
        return found;
    }

    /**
     * The tensor {@code name} of base file {@code file}, or null. A base given as one file may have been renamed: then
     * the first tensor of that name in any of its files (the model's, before its external data files).
     */
    Tensor find(String file, String name) {
        List<Tensor> named = byName.getOrDefault(name, List.of());
        for (Tensor t : named) {
            if (t.file().equals(file)) {
                return t;
            }
        }
        return directory || named.isEmpty() ? null : named.getFirst();
    }

    /** A tensor's bytes: its mapping, or (archive) decoded once into memory of this base. */
    MemorySegment bytes(Tensor t) throws ElfzException {
        if (t.mapped() != null) {
            return t.mapped();
        }
        MemorySegment d = decoded.get(t);
        if (d == null) {
            synchronized (t) {
                d = decoded.get(t);
                if (d == null) {
                    d = arena.allocate(t.stored().byteSize(), Long.BYTES);
                    archive.readInto(t.stored(), d);
                    decoded.put(t, d);
                }
            }
        }
        return d;
    }

    /** The file a mapped tensor's bytes belong to (for a fault while copying them), or null. */
    Path fileOf(Tensor t) {
        return t.mapped() == null ? null : path;
    }

    /**
     * The bytes of the base tensor a delta was coded against, once they hash as it recorded.
     *
     * @throws ElfzException naming the fine-tune's tensor {@code what} when the base lacks it or holds other bytes
     */
    MemorySegment checked(String what, Index.Delta d) throws ElfzException {
        String key = d.file() + '\0' + d.tensor();
        MemorySegment ok = checked.get(key);
        if (ok != null) {
            return ok;
        }
        Tensor t = find(d.file(), d.tensor());
        if (t == null) {
            throw new ElfzException(
                    path,
                    "is not the base of " + what + ": it has no tensor " + d.tensor()
                            + (directory ? " in " + d.file() : ""));
        }
        MemorySegment bytes = bytes(t);
        if (!xxh3(fileOf(t), bytes, true).equals(d.xxh3())) {
            throw new ElfzException(
                    path,
                    "is not the base of " + what + ": its tensor " + d.tensor() + (directory ? " in " + d.file() : "")
                            + " holds other bytes (XXH3-128 mismatch)");
        }
        checked.put(key, bytes);
        return bytes;
    }

    /**
     * XXH3-128 of bytes (a mapping of {@code file}, copied a part at a time straight into the hash's buffer, or memory
     * when null), in hex. {@code release}: let each part's pages go once hashed, for a pass that reads them only once;
     * compression reads them again for the deltas and keeps them, so it saves a second fault of every page.
     */
    static String xxh3(Path file, MemorySegment bytes, boolean release) throws ElfzException {
        HashStream128 h = Hashing.xxh3_128().hashStream();
        byte[] buffer = new byte[(int) Math.min(PART, Math.max(1, bytes.byteSize()))];
        MemorySegment own = MemorySegment.ofArray(buffer);
        try {
            for (long at = 0; at < bytes.byteSize(); at += buffer.length) {
                MemorySegment part = bytes.asSlice(at, Math.min(buffer.length, bytes.byteSize() - at));
                if (file == null) {
                    MemorySegment.copy(part, 0, own, 0, part.byteSize());
                } else {
                    Pages.populate(part); // one madvise for the part's pages rather than a fault per page
                    MappedInput.copy(file, part, own);
                    if (release) {
                        Pages.releaseTouched(part);
                    }
                }
                h.putBytes(buffer, 0, (int) part.byteSize());
            }
        } catch (InputChangedException e) {
            throw new ElfzException(file, InputChangedException.WHAT, e);
        }
        HashValue128 v = h.get();
        return "%016x%016x".formatted(v.getMostSignificantBits(), v.getLeastSignificantBits());
    }

    /** Bytes {@link #xxh3} reads at a time: a bulk copy, in cache. */
    private static final int PART = 1 << 20;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    /** Longs of each operand {@link #xor} takes at a time: 64 KiB, in cache. */
    private static final int XOR_BLOCK = 8 << 10;

    private static final ThreadLocal<long[][]> XOR_SCRATCH =
            ThreadLocal.withInitial(() -> new long[][] {new long[XOR_BLOCK], new long[XOR_BLOCK]});

    /**
     * {@code dst ^= with}, byte for byte (both private memory of the same size): a delta applied or taken. Through two
     * long arrays a block at a time: compress and decompress run on C1 alone (bin/command-opts.sh), which compiles a
     * loop of segment accesses to about 0.25 GB/s and one over arrays to ten times that; the copies are bulk ones.
     */
    static void xor(MemorySegment dst, MemorySegment with) {
        long[][] scratch = XOR_SCRATCH.get();
        long[] a = scratch[0];
        long[] b = scratch[1];
        long whole = dst.byteSize() & -8L;
        for (long at = 0; at < whole; at += 8L * XOR_BLOCK) {
            int n = (int) Math.min(XOR_BLOCK, (whole - at) / 8);
            MemorySegment.copy(dst, LONG, at, a, 0, n);
            MemorySegment.copy(with, LONG, at, b, 0, n);
            for (int i = 0; i < n; i++) {
                a[i] ^= b[i];
            }
            MemorySegment.copy(a, 0, dst, LONG, at, n);
        }
        for (long i = whole; i < dst.byteSize(); i++) {
            dst.set(ValueLayout.JAVA_BYTE, i, (byte)
                    (dst.get(ValueLayout.JAVA_BYTE, i) ^ with.get(ValueLayout.JAVA_BYTE, i)));
        }
    }

    @Override
    public void close() {
        if (sources != null) {
            sources.close();
        }
        if (archive != null) {
            archive.close();
        }
        arena.close();
    }
}
