package dev.elfz.container;

import dev.elfz.Chunk;
import dev.elfz.ChunkStream;
import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.ElfzArchive;
import dev.elfz.ElfzBase;
import dev.elfz.ElfzFile;
import dev.elfz.ElfzTensor;
import dev.elfz.FileKind;
import dev.elfz.InputKind;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.elf.ElfChunkCodec;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.kernel.ElfType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/** The API's typed view ({@link ElfzArchive}) of the JSON index records, which stay the container's own. */
final class IndexView {

    private IndexView() {}

    /**
     * The view of an index that {@link IndexCheck} passed, or that the compressor just wrote, read back; {@code params}
     * gives a stream's parsed codec parameters.
     */
    static ElfzArchive of(Index.Archive a, Function<Index.Stream, CodecParams> params) {
        List<ElfzFile> files = new ArrayList<>();
        for (Index.FileEntry f : a.files()) {
            files.add(file(f, params));
        }
        return new ElfzArchive(a.createdBy(), kind(InputKind.class, a.input()), files, base(a));
    }

    /** The base of the delta tensors, or null. */
    private static ElfzBase base(Index.Archive a) {
        if (a.base() == null) {
            return null;
        }
        Set<String> deltas = new HashSet<>();
        for (Index.FileEntry f : a.files()) {
            for (Index.TensorEntry t : f.tensors() == null ? List.<Index.TensorEntry>of() : f.tensors()) {
                if (t.delta() != null) {
                    deltas.add(f.name() + '\0' + t.name());
                }
            }
        }
        return new ElfzBase(
                kind(InputKind.class, a.base().input()),
                a.base().files().stream()
                        .map(b -> new ElfzBase.BaseFile(b.path(), b.size()))
                        .toList(),
                deltas);
    }

    private static ElfzFile file(Index.FileEntry f, Function<Index.Stream, CodecParams> params) {
        List<ElfzTensor> tensors = new ArrayList<>();
        for (Index.TensorEntry t : f.tensors() == null ? List.<Index.TensorEntry>of() : f.tensors()) {
            tensors.add(tensor(f.name(), t, params.apply(t.data())));
        }
        return new ElfzFile(
                f.name(),
                f.path(),
                kind(FileKind.class, f.kind()),
                f.size(),
                stream(f.header()),
                f.metadata() == null ? Map.of() : f.metadata(),
                tensors,
                stream(f.data()));
    }

    private static ElfzTensor tensor(String file, Index.TensorEntry t, CodecParams params) {
        Dtype dtype = Dtype.forName(t.dtype());
        Codec codec = Codec.forId(t.data().codec());
        return new ElfzTensor(
                file,
                t.name(),
                dtype,
                t.shape(),
                t.offset(),
                exceptions(t.data(), codec, dtype),
                Codecs.of(codec).errorBound(dtype, params), // grid: the user's bound
                stream(t.data()));
    }

    private static ChunkStream stream(Index.Stream s) {
        if (s == null) {
            return null;
        }
        List<Chunk> chunks = new ArrayList<>(s.chunks().length);
        for (long[] c : s.chunks()) {
            chunks.add(new Chunk(
                    c[Index.Stream.OFFSET], c[Index.Stream.LENGTH], c[Index.Stream.CRC], c[Index.Stream.CODED] != 0));
        }
        return new ChunkStream(
                Codec.forId(s.codec()),
                s.entropy() != null,
                s.size(),
                s.chunkBytes(),
                s.crc32c() == null ? OptionalLong.empty() : OptionalLong.of(s.crc32c()),
                chunks);
    }

    /** The index's count; for ELF streams of format 1.x, which have none, counted from the stored chunk lengths. */
    private static long exceptions(Index.Stream s, Codec codec, Dtype dtype) {
        if (s.exceptions() != null) {
            return s.exceptions();
        }
        if (codec != Codec.ELF || s.entropy() != null) {
            return 0;
        }
        ElfType type = dtype.elfType();
        long sum = 0;
        for (int i = 0; i < s.chunks().length; i++) {
            long[] c = s.chunks()[i];
            long e = c[Index.Stream.CODED] == 0
                    ? 0
                    : ElfChunkCodec.exceptions(type, s.chunkSize(i) / type.valueBytes(), c[Index.Stream.LENGTH]);
            if (e < 0) {
                return -1; // a damaged chunk: decoding it will say so
            }
            sum += e;
        }
        return sum;
    }

    /** The constant of an enum whose {@code id()} is the index's lowercase name. */
    private static <E extends Enum<E>> E kind(Class<E> type, String id) {
        return Enum.valueOf(type, id.toUpperCase(Locale.ROOT));
    }
}
