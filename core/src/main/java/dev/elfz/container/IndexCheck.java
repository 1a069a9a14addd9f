package dev.elfz.container;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.ElfzException;
import dev.elfz.ElfzOptions;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.EntropyStage;
import dev.elfz.codec.ExceptionChunkCodec;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.io.FileNames;
import dev.elfz.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Validates a parsed index against the file before anything is decoded: every field present and in range,
 * sizes matching dtypes and shapes, chunks inside the chunk area, tensors tiling their file, safe paths.
 * A crafted index is an {@link ElfzException}, never an out-of-bounds access or a write outside the output.
 */
final class IndexCheck {

    private final Path path;
    private final long chunkAreaEnd;
    private final Set<String> baseFiles = new HashSet<>(); // the paths of the base's files, when there is one

    private IndexCheck(Path path, long chunkAreaEnd) {
        this.path = path;
        this.chunkAreaEnd = chunkAreaEnd;
    }

    static void check(Path path, Index.Archive a, long chunkAreaEnd) throws ElfzException {
        new IndexCheck(path, chunkAreaEnd).archive(a);
    }

    private void archive(Index.Archive a) throws ElfzException {
        List<Index.FileEntry> files = require(a.files(), "the index", "files");
        boolean single = Index.KIND_FILE.equals(a.input());
        if (!single && !Index.KIND_DIRECTORY.equals(a.input())) {
            throw fail("the index: input is " + a.input() + ", not file or directory");
        }
        if (files.stream().anyMatch(Objects::isNull)) {
            throw fail("the index: a file entry is null");
        }
        if (single) {
            singleFile(files);
        }
        base(a.base());
        Set<String> names = new HashSet<>();
        for (Index.FileEntry f : files) {
            String p = require(f.path(), "a file entry", "path");
            String name = name(f);
            checkPath(name, single && f == files.getFirst());
            if (!names.add(name)) {
                throw fail("the index lists " + p + " twice");
            }
            if (f.size() < 0) {
                throw fail(p + ": negative size " + f.size());
            }
            if (Index.KIND_BLOB.equals(f.kind())) {
                Index.Stream s = require(f.data(), p, "data");
                stream(p, s, Codec.RAW, Dtype.U8);
                same(p, "data size", s.size(), f.size());
            } else if (Index.KIND_SAFETENSORS.equals(f.kind())) {
                safetensors(p, f);
            } else if (Index.skeletal(f.kind())) {
                onnx(p, f);
            } else {
                throw fail(p + ": unknown kind " + f.kind());
            }
        }
    }

    /** The base of the delta tensors (since 2.6): its input kind, and its files with their sizes, each once. */
    private void base(Index.Base b) throws ElfzException {
        if (b == null) {
            return;
        }
        if (!Index.KIND_FILE.equals(b.input()) && !Index.KIND_DIRECTORY.equals(b.input())) {
            throw fail("the index: the base's input is " + b.input() + ", not file or directory");
        }
        for (Index.BaseFile f : require(b.files(), "the base", "files")) {
            String p = require(f == null ? null : f.path(), "a base file", "path");
            if (f.size() < 0 || !baseFiles.add(p)) {
                throw fail("the index: base file " + p + " has a negative size or is listed twice");
            }
        }
    }

    /** A delta tensor: against a base file of the index, by XOR coded losslessly, or by difference (elf, grid). */
    private void delta(String what, Index.Delta d, Codec codec, Index.Stream s) throws ElfzException {
        if (d == null) {
            return;
        }
        boolean sub = Index.SUB.equals(d.op());
        if (!Index.XOR.equals(d.op()) && !sub) {
            throw fail(what + ": delta " + d.op() + " is unknown (made by a newer elfz?)");
        }
        if (!baseFiles.contains(d.file()) || d.tensor() == null) {
            throw fail(what + ": a delta against " + d.file() + ", which the index's base does not list");
        }
        if (d.xxh3() == null || !d.xxh3().matches("[0-9a-f]{32}")) {
            throw fail(what + ": the base tensor's xxh3 " + d.xxh3() + " is not 32 hex digits");
        }
        if (sub && !LossyDeltas.codes(codec) && codec != Codec.RAW) {
            throw fail(what + ": a difference coded by " + codec.id() + ", which is neither elf nor grid");
        }
        if (!sub && (!Codecs.of(codec).lossless() || s.crc32c() == null)) {
            throw fail(what + ": a delta coded by " + codec.id() + ", which is not lossless");
        }
    }

    /**
     * One safetensors or onnx file, its name a plain name; an onnx file may be followed by its external data files
     * (onnx_data, their paths the locations, relative to the model's directory).
     */
    private void singleFile(List<Index.FileEntry> files) throws ElfzException {
        String first = files.isEmpty() ? null : files.getFirst().kind();
        boolean data = files.stream().skip(1).allMatch(f -> Index.KIND_ONNX_DATA.equals(f.kind()));
        boolean alone = files.size() == 1
                && (Index.KIND_SAFETENSORS.equals(first)
                        || Index.KIND_TORCH.equals(first)
                        || Index.KIND_GGUF.equals(first));
        if (!alone && !(Index.KIND_ONNX.equals(first) && data)) {
            throw fail("the index: a single-file archive must hold one safetensors, torch or gguf file, or one onnx "
                    + "file and its onnx_data files");
        }
    }

    private void safetensors(String p, Index.FileEntry f) throws ElfzException {
        Index.Stream header = require(f.header(), p, "header");
        stream(p + " header", header, Codec.RAW, Dtype.U8);
        if (header.size() < 8 || header.size() > 8 + SafetensorsFile.MAX_HEADER_LENGTH) {
            throw fail(p + ": header of " + header.size() + " bytes, not 8 + at most "
                    + SafetensorsFile.MAX_HEADER_LENGTH);
        }
        long data = tensors(p, f, false); // tensors tile the data buffer in index order
        same(p, "size", f.size(), header.size() + data);
    }

    /** The skeleton and the payloads, in file order without overlaps, make up the file exactly (onnx, onnx_data). */
    private void onnx(String p, Index.FileEntry f) throws ElfzException {
        Index.Stream skeleton = require(f.data(), p, "data");
        stream(p + " skeleton", skeleton, Codec.RAW, Dtype.U8);
        long payloads = tensors(p, f, true);
        same(p, "skeleton size", skeleton.size(), f.size() - payloads);
    }

    /**
     * Checks every tensor entry of a file and returns the sum of their sizes. Without {@code gaps} they tile the data
     * buffer from offset 0; with them (onnx) each begins at or after the end of the one before and ends within the file.
     */
    private long tensors(String p, Index.FileEntry f, boolean gaps) throws ElfzException {
        long data = 0;
        long end = 0;
        Set<String> names = new HashSet<>();
        for (Index.TensorEntry t : require(f.tensors(), p, "tensors")) {
            String what = p + ": tensor " + require(t.name(), p + ": a tensor", "name");
            if (!names.add(t.name())) {
                throw fail(what + " appears twice");
            }
            Dtype dtype = Dtype.forName(require(t.dtype(), what, "dtype"));
            if (dtype == null) {
                throw fail(what + ": unknown dtype " + t.dtype());
            }
            long[] shape = require(t.shape(), what, "shape");
            long bytes;
            try {
                bytes = dtype.byteSize(shape);
            } catch (IllegalArgumentException e) {
                throw fail(what + ": " + e.getMessage());
            }
            Index.Stream s = require(t.data(), what, "data");
            Codec codec = codec(what, s);
            if (!Codecs.of(codec).supports(dtype)) {
                throw fail(what + ": codec " + codec.id() + " does not handle " + dtype);
            }
            same(what, "size", s.size(), bytes);
            stream(what, s, codec, dtype);
            delta(what, t.delta(), codec, s);
            if (!gaps) {
                same(what, "offset", t.offset(), data);
            } else if (t.offset() < end || t.offset() > f.size() - bytes) {
                throw fail(
                        what + ": offset " + t.offset() + " of " + bytes + " bytes overlaps the tensor before it (which"
                                + " ends at " + end + ") or the end of the file (" + f.size() + ")");
            }
            data += bytes;
            end = t.offset() + bytes;
        }
        return data;
    }

    private void stream(String what, Index.Stream s, Codec expected, Dtype dtype) throws ElfzException {
        Codec codec = codec(what, s);
        if (expected == Codec.RAW && codec != Codec.RAW) {
            throw fail(what + ": codec " + codec.id() + " where raw is expected");
        }
        CodecParams params;
        try {
            params = Codecs.params(codec, s.params());
        } catch (IllegalArgumentException | ClassCastException e) {
            throw fail(what + ": codec " + codec.id() + ": " + e.getMessage());
        }
        String refused = Codecs.of(codec).refuses(params, dtype);
        if (refused != null) {
            throw fail(what + ": " + refused);
        }
        if (s.entropy() != null && (!EntropyStage.ID.equals(s.entropy()) || codec == Codec.RAW)) {
            throw fail(what + ": entropy stage " + s.entropy()
                    + (codec == Codec.RAW ? " on a raw stream" : " is unknown (made by a newer elfz?)"));
        }
        if (s.size() < 0) {
            throw fail(what + ": negative size " + s.size());
        }
        if (s.exceptions() != null && (s.exceptions() < 0 || s.exceptions() > s.size())) {
            throw fail(what + ": " + s.exceptions() + " exceptions in " + s.size() + " bytes");
        }
        long unit = Codecs.of(codec).unitBytes(dtype);
        if (s.chunkBytes() < 1
                || s.chunkBytes() > ElfzOptions.MAX_CHUNK_BYTES
                || s.chunkBytes() % unit != 0
                || s.chunkBytes() / unit >= ExceptionChunkCodec.MAX_VALUES) {
            throw fail(what + ": chunk size " + s.chunkBytes() + " is not a positive multiple of " + unit + " up to "
                    + ElfzOptions.MAX_CHUNK_BYTES);
        }
        if (s.crc32c() != null && (s.crc32c() < 0 || s.crc32c() > 0xFFFF_FFFFL)) {
            throw fail(what + ": crc32c " + s.crc32c() + " is not a 32-bit value");
        }
        long[][] chunks = require(s.chunks(), what, "chunks");
        long count = s.size() / s.chunkBytes() + (s.size() % s.chunkBytes() == 0 ? 0 : 1);
        same(what, "chunk count", chunks.length, count);
        long whole = Codecs.of(codec).wholeBytes(params); // a blocks chunk: whole quantized blocks
        for (int i = 0; i < chunks.length; i++) {
            long[] c = chunks[i];
            String where = what + ": chunk " + i;
            if (c == null || c.length != 4) {
                throw fail(where + " is not [offset, length, crc32c, coded]");
            }
            if (s.chunkSize(i) % whole != 0) {
                throw fail(where + " of " + s.chunkSize(i) + " bytes is not whole blocks of " + whole + " bytes");
            }
            long off = c[Index.Stream.OFFSET];
            long len = c[Index.Stream.LENGTH];
            if (off < ElfzFormat.PROLOGUE_BYTES || len < 0 || len > chunkAreaEnd - off) {
                throw fail(
                        where + " [" + off + ", +" + len + ") lies outside the chunk area [16, " + chunkAreaEnd + ")");
            }
            if (c[Index.Stream.CRC] < 0 || c[Index.Stream.CRC] > 0xFFFF_FFFFL) {
                throw fail(where + ": crc32c " + c[Index.Stream.CRC] + " is not a 32-bit value");
            }
            long coded = c[Index.Stream.CODED];
            if (coded == 0) {
                same(where, "stored length", len, s.chunkSize(i));
            } else if (coded != 1 || codec == Codec.RAW) {
                throw fail(where + ": coded flag " + coded + " with codec " + codec.id());
            }
        }
    }

    private Codec codec(String what, Index.Stream s) throws ElfzException {
        Codec c = Codec.forId(require(s.codec(), what, "codec"));
        if (c == null) {
            throw fail(what + ": unknown codec " + s.codec() + " (made by a newer elfz?)");
        }
        return c;
    }

    /** The exact name: path_bytes, hex of bytes that are not UTF-8 and that path shows (with U+FFFD), or path. */
    private String name(Index.FileEntry f) throws ElfzException {
        String name;
        try {
            name = f.name();
        } catch (IllegalArgumentException e) {
            throw fail(f.path() + ": path_bytes " + f.pathBytes() + " is not hex");
        }
        if (f.pathBytes() != null
                && (FileNames.isUtf8(name) || !FileNames.display(name).equals(f.path()))) {
            throw fail(f.path() + ": path_bytes " + f.pathBytes() + " is not this path in bytes that are not UTF-8");
        }
        return name;
    }

    /**
     * Relative, '/'-separated, no empty, "." or ".." part: decompression writes only inside its output (the name's
     * bytes that are not UTF-8 are never '/', '.', '\\' or NUL, so these checks hold for its bytes too).
     */
    private void checkPath(String p, boolean single) throws ElfzException {
        if (single && p.contains("/")) {
            throw fail("a single-file archive's path must be a plain name, not " + FileNames.display(p));
        }
        boolean bad = p.isEmpty() || p.startsWith("/") || p.contains("\\") || p.indexOf('\0') >= 0;
        for (String part : p.split("/", -1)) {
            bad |= part.isEmpty() || part.equals(".") || part.equals("..");
        }
        if (bad) {
            throw fail("the index holds an unsafe file path: " + FileNames.display(p));
        }
    }

    private void same(String what, String field, long got, long expected) throws ElfzException {
        if (got != expected) {
            throw fail(what + ": " + field + " " + got + ", expected " + expected);
        }
    }

    private <T> T require(T value, String what, String field) throws ElfzException {
        if (value == null) {
            throw fail(what + ": \"" + field + "\" missing");
        }
        return value;
    }

    private ElfzException fail(String what) {
        return new ElfzException(path, "damaged index: " + what);
    }
}
