package dev.elfz.container;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.Elfz;
import dev.elfz.ElfzArchive;
import dev.elfz.ElfzException;
import dev.elfz.ElfzOptions;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.EntropyStage;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.io.AtomicFiles;
import dev.elfz.io.BufferPool;
import dev.elfz.io.Crc32c;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.io.Pages;
import dev.elfz.io.PositionalReads;
import dev.elfz.io.Writeback;
import dev.elfz.kernel.ElfType;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes an .elfz file (FORMAT.md): every stream of the input is cut into chunks, the chunks are coded on the
 * worker threads and appended in order to a temporary file, then the index and the trailer follow and the file
 * is forced and renamed. Memory is a few chunk buffers per thread plus the index, whatever the input size.
 */
public final class Compressor {

    /**
     * An input file's bytes as the chunks read them: by positional reads while any of its chunks is still to read (a
     * descriptor opened at its first chunk and closed after its last, so that few are open at once however many files
     * a directory holds), else out of its mapping.
     */
    private static final class Input {
        private final Sources.Source source;
        private final Path file;
        private int chunksLeft; // counted while planning, then under this object's lock
        private PositionalReads reads;

        Input(Sources.Source source, Path file) {
            this.source = source;
            this.file = file;
        }

        /** The reads of this file, opened on the first call; null when its bytes are not read through them. */
        synchronized PositionalReads reads() {
            if (reads == null && chunksLeft > 0) {
                reads = source.reads(file);
            }
            return reads;
        }

        /** One of its chunks is read for good: the last closes the reads. */
        synchronized void chunkRead() {
            if (--chunksLeft == 0 && reads != null) {
                reads.close();
            }
        }

        /** Closes the reads after a failure. */
        synchronized void close() {
            chunksLeft = 0;
            if (reads != null) {
                reads.close();
            }
        }
    }

    /** One stream to write: its file and source bytes, how to code them, and the chunk entries once written. */
    private static final class Plan {
        final Input input;
        final Path file;
        final MemorySegment src;
        final Codec codec;
        final CodecParams params;
        final Dtype dtype;
        final long chunkBytes;
        final long[][] chunks;
        final long[] originalCrcs; // of each chunk's original bytes, when the stream may need them (see stream())
        MemorySegment base; // a delta's base tensor (its bytes are XORed with src's before coding), else null
        Path baseFile; // the file base maps, or null when it is private memory
        Index.Delta delta;
        Deltas.Pair pair; // what delta was made from, until its base tensor is hashed
        boolean coded;
        long exceptions;

        Plan(Input input, MemorySegment src, Codec codec, CodecParams params, Dtype dtype, long chunkBytes) {
            this.input = input;
            this.file = input.file;
            this.src = src;
            this.codec = codec;
            this.params = params;
            this.dtype = dtype;
            this.chunkBytes = chunkBytes;
            this.chunks = new long[(int) ((src.byteSize() + chunkBytes - 1) / chunkBytes)][];
            this.originalCrcs = new long[chunks.length];
            input.chunksLeft += chunks.length;
        }

        MemorySegment chunk(int i) {
            return chunk(src, i);
        }

        MemorySegment chunk(MemorySegment of, int i) {
            long off = i * chunkBytes;
            return of.asSlice(off, Math.min(chunkBytes, of.byteSize() - off));
        }

        /** The checksum of the stream's original bytes, from those of its chunks. */
        long crc() {
            long crc = 0;
            for (int i = 0; i < chunks.length; i++) {
                crc = Crc32c.combine(crc, originalCrcs[i], chunks[i] == null ? 0 : chunk(i).byteSize());
            }
            return crc;
        }

        Index.Stream stream() {
            Codec stored = coded ? codec : Codec.RAW; // a tensor ELF could not shrink is simply raw
            // lossless: every chunk's original checksum is known (coded: computed; stored raw: the stored one)
            Long checksum = Codecs.of(stored).lossless() ? crc() : null;
            Map<String, Object> p = coded ? params.toIndex() : Map.of();
            return new Index.Stream(
                    stored.id(),
                    p,
                    coded ? EntropyStage.ID : null,
                    src.byteSize(),
                    chunkBytes,
                    checksum,
                    coded && Codecs.of(codec).keepsExceptions(params) ? exceptions : null,
                    chunks);
        }
    }

    private record Job(Plan plan, int chunk) {}

    /**
     * A chunk coded: the bytes to store, the private copy of its original bytes ({@code original}, a slice of
     * {@code input}), the buffers to give back ({@code buffer} null when the copy itself is stored), the checksums of
     * the stored and (when the stream may need it) of the original bytes, and where it goes once its turn came.
     */
    private static final class Result {
        final Job job;
        final MemorySegment stored;
        final MemorySegment original;
        final MemorySegment input;
        final MemorySegment buffer;
        final long crc;
        final long originalCrc;
        final boolean coded;
        final long exceptions;
        final MemorySegment mapped; // the chunk in the input's mapping
        final boolean fromMapping; // copied out of the mapping (its pages to let go), not read by the file's reads
        long offset;
        long releaseFrom; // the mapped bytes from there to the chunk's end are read for good once this chunk is

        Result(
                Job job,
                MemorySegment stored,
                MemorySegment original,
                MemorySegment input,
                MemorySegment buffer,
                long crc,
                long originalCrc,
                boolean coded,
                long exceptions,
                boolean fromMapping) {
            this.job = job;
            this.fromMapping = fromMapping;
            this.mapped = job.plan().chunk(job.chunk());
            this.stored = stored;
            this.original = original;
            this.input = input;
            this.buffer = buffer;
            this.crc = crc;
            this.originalCrc = originalCrc;
            this.coded = coded;
            this.exceptions = exceptions;
        }
    }

    private Compressor() {}

    /** Writes {@code out}; returns what its index says. */
    public static ElfzArchive compress(Path in, Path out, ElfzOptions o) throws IOException {
        AtomicFiles.checkTarget(out, o.overwrite());
        try (Sources sources = Sources.open(in, out);
                BaseModel base = o.base() == null ? null : BaseModel.open(o.base(), out, o.kernel())) {
            List<Index.FileEntry> entries = new ArrayList<>();
            List<Plan> plans = new ArrayList<>();
            List<Runnable> finish = new ArrayList<>(); // builds the entries once the chunks are written
            Planner planner = Planner.plan(sources, o);
            Index.Base baseEntry;
            ZeroDeltas zeros = new ZeroDeltas();
            try (Deltas deltas =
                    base == null ? null : new Deltas(base, o.kernel(), o.chunkBytes(), zeros, LossyDeltas.asked(o))) {
                for (Sources.Source s : sources.files()) {
                    plan(s, sources.file(s), o, planner, deltas, plans, entries, finish);
                }
                baseEntry = deltas == null ? null : deltas.base();
            }
            List<Plan> paired = plans.stream().filter(p -> p.pair != null).toList();
            List<Index.Delta> hashed =
                    Deltas.hashAll(paired.stream().map(p -> p.pair).toList());
            for (int i = 0; i < paired.size(); i++) {
                paired.get(i).delta = hashed.get(i);
            }
            List<Job> jobs = new ArrayList<>();
            for (Plan p : plans) {
                for (int i = 0; i < p.chunks.length; i++) {
                    jobs.add(new Job(p, i));
                }
            }
            AtomicFiles.Temp temp = AtomicFiles.createTempFile(out);
            o.progress().start(sources.totalBytes());
            try (Arena arena = Arena.ofShared();
                    CodecPool codecs = new CodecPool(o.kernel());
                    Writeback writeback = o.sync() ? Writeback.of(temp.path()) : Writeback.NONE) {
                FileChannel ch = temp.channel();
                writeFully(out, ch, ByteBuffer.wrap(ElfzFormat.prologue(baseEntry != null)), 0);
                // one pool of coded-chunk buffers and one of input copies: at most one each per chunk in flight
                long maxChunk = plans.stream()
                        .mapToLong(p -> Math.min(p.chunkBytes, p.src.byteSize()))
                        .max()
                        .orElse(0);
                // room for the entropy stage's worst case (codes a grid makes larger than the values, its section
                // table), so that it writes in place rather than through a copy
                BufferPool buffers = new BufferPool(arena, 2 * maxChunk + 4096);
                BufferPool inputs = new BufferPool(arena, maxChunk);
                BufferPool bases = new BufferPool(arena, maxChunk); // a base's chunk, copied out of its mapping
                BufferPool differences = new BufferPool(arena, maxChunk); // a lossy delta's values (LossyDeltas)
                long[] position = {ElfzFormat.PROLOGUE_BYTES};
                Map<Path, Long> readTo = new HashMap<>(); // by input file: where its last chunk in turn ended
                // the only serial step hands out offsets; each thread checksums and writes its own chunks
                Workers.inTurn(
                        o.threads(),
                        jobs,
                        job -> encode(job, codecs, zeros, inputs, buffers, bases, differences),
                        r -> {
                            Plan p = r.job.plan();
                            long length = r.stored.byteSize();
                            r.offset = position[0];
                            position[0] += length;
                            p.chunks[r.job.chunk()] = new long[] {r.offset, length, r.crc, r.coded ? 1 : 0};
                            p.originalCrcs[r.job.chunk()] = r.originalCrc;
                            p.exceptions += r.exceptions;
                            p.coded |= r.coded;
                            r.releaseFrom =
                                    readFrom(r.mapped, readTo.put(p.file, r.mapped.address() + r.mapped.byteSize()));
                            o.progress().advance(r.original.byteSize());
                        },
                        r -> {
                            Plan p = r.job.plan();
                            writeFully(out, ch, r.stored.asByteBuffer(), r.offset);
                            writeback.start(r.offset, r.stored.byteSize());
                            buffers.give(r.buffer);
                            inputs.give(r.input);
                            if (r.fromMapping) {
                                Pages.release(r.mapped, r.releaseFrom);
                            }
                            p.input.chunkRead();
                        });
                finish.forEach(Runnable::run);
                Index.Archive archive = new Index.Archive(
                        "elfz " + Elfz.VERSION,
                        sources.directory() ? Index.KIND_DIRECTORY : Index.KIND_FILE,
                        entries,
                        baseEntry);
                byte[] json = Index.JSON.writeValueAsBytes(archive);
                CRC32C indexCrc = new CRC32C();
                indexCrc.update(json);
                writeFully(out, ch, ByteBuffer.wrap(json), position[0]);
                writeFully(
                        out,
                        ch,
                        ByteBuffer.wrap(ElfzFormat.trailer(position[0], json.length, (int) indexCrc.getValue())),
                        position[0] + json.length);
                if (o.sync()) {
                    ch.force(true);
                }
                ch.close();
                AtomicFiles.publishFile(temp.path(), out, o.overwrite(), o.sync());
                // the view of what was written, as a reader parses it (the records above hold in-memory values)
                Index.Archive written = Index.JSON.readValue(json, Index.Archive.class);
                return IndexView.of(written, st -> Codecs.params(Codec.forId(st.codec()), st.params()));
            } catch (IOException | RuntimeException | Error e) {
                AtomicFiles.discard(temp, e);
                throw e;
            } finally {
                plans.forEach(p -> p.input.close()); // after a failure, the files whose chunks were not all read
                o.progress().end();
            }
        }
    }

    /** Adds the plans of one input file, and the step that builds its index entry from them. */
    private static void plan(
            Sources.Source s,
            Path file,
            ElfzOptions o,
            Planner planner,
            Deltas deltas,
            List<Plan> plans,
            List<Index.FileEntry> entries,
            List<Runnable> finish)
            throws ElfzException {
        int slot = entries.size();
        entries.add(null);
        // the bytes no tensor holds: a blob whole, a safetensors header, an ONNX (data) file's skeleton
        Input input = new Input(s, file);
        Plan rest = new Plan(input, s.rest(), Codec.RAW, CodecParams.NONE, Dtype.U8, o.chunkBytes());
        plans.add(rest);
        if (s.kind().equals(Index.KIND_BLOB)) {
            finish.add(() -> entries.set(
                    slot, Index.FileEntry.of(s.path(), Index.KIND_BLOB, s.size(), null, null, null, rest.stream())));
            return;
        }
        List<Plan> tensorPlans = new ArrayList<>();
        for (TensorInfo t : s.tensors()) {
            Planner.Choice c = planner.choice(s.path(), t, s.blocks(t));
            Deltas.Pair pair = deltas == null ? null : deltas.pair(s.path(), file, t, s.data(t), c);
            if (pair != null && !Index.SUB.equals(pair.delta().op())) {
                c = new Planner.Choice(Codec.LOSSLESS, CodecParams.NONE); // an XOR is coded losslessly
            }
            long unit = Codecs.of(c.codec()).chunkUnit(t.dtype(), c.params());
            Plan p = new Plan(
                    input, s.data(t), c.codec(), c.params(), t.dtype(), Math.max(unit, o.chunkBytes() / unit * unit));
            if (pair != null) {
                p.base = pair.bytes();
                p.baseFile = pair.file();
                p.delta = pair.delta();
                p.pair = pair;
            }
            tensorPlans.add(p);
        }
        plans.addAll(tensorPlans);
        finish.add(() -> {
            List<Index.TensorEntry> tensors = new ArrayList<>();
            for (int i = 0; i < tensorPlans.size(); i++) {
                TensorInfo t = s.tensors().get(i);
                Plan p = tensorPlans.get(i);
                tensors.add(
                        new Index.TensorEntry(t.name(), t.dtype().name(), t.shape(), t.begin(), p.stream(), p.delta));
            }
            SafetensorsFile f = s.safetensors();
            entries.set(
                    slot,
                    f != null
                            ? Index.FileEntry.of(
                                    s.path(),
                                    Index.KIND_SAFETENSORS,
                                    s.size(),
                                    rest.stream(),
                                    f.metadata().isEmpty() ? null : f.metadata(),
                                    tensors,
                                    null)
                            : Index.FileEntry.of(
                                    s.path(),
                                    s.kind(),
                                    s.size(),
                                    null,
                                    null,
                                    tensors,
                                    rest.stream())); // onnx, onnx_data
        });
    }

    /**
     * Codes a chunk from a private copy of its bytes: the kernel never touches the mapped file (MappedInput). A delta's
     * chunk equal to its base's is stored as the zero chunk without coding ({@link ZeroDeltas}).
     */
    private static Result encode(
            Job job,
            CodecPool codecs,
            ZeroDeltas zeros,
            BufferPool inputs,
            BufferPool buffers,
            BufferPool bases,
            BufferPool differences) {
        Plan p = job.plan();
        MemorySegment mapped = p.chunk(job.chunk());
        PositionalReads reads = p.input.reads();
        boolean fromMapping = reads == null || !reads.holds(mapped);
        MemorySegment input = inputs.take();
        MemorySegment src;
        long ownCrc = 0; // a delta's: of the tensor's own bytes, which the stream's checksum is of
        boolean unchanged = false; // a delta's chunk equal to the base's
        try {
            if (fromMapping) {
                Pages.populate(mapped);
                src = MappedInput.copy(p.file, mapped, input);
            } else {
                src = reads.copy(mapped, input);
            }
            if (p.base != null && Index.SUB.equals(p.delta.op())) {
                return difference(job, src, input, codecs, buffers, bases, differences, fromMapping);
            }
            if (p.base != null) {
                ownCrc = Crc32c.of(src);
                unchanged = Deltas.xorChunk(src, p.baseFile, p.chunk(p.base, job.chunk()), bases);
            }
        } catch (IOException e) {
            inputs.give(input);
            throw new UncheckedIOException(e);
        }
        if (unchanged) {
            ZeroDeltas.Chunk zero = p.codec == Codec.LOSSLESS ? zeros.of(codecs, p.dtype, src.byteSize()) : null;
            if (zero != null && zero.bytes() != null) {
                return new Result(job, zero.bytes(), src, input, null, zero.crc(), ownCrc, true, 0, fromMapping);
            }
            src.fill((byte) 0); // the delta, coded as any other
        }
        if (p.codec != Codec.RAW) {
            MemorySegment buffer = buffers.take();
            CodecPool.Encoded e = codecs.encode(
                    p.codec,
                    p.dtype,
                    p.params,
                    src,
                    job.chunk() * p.chunkBytes / Math.max(1, p.dtype.bits() / 8),
                    buffer);
            if (e.length() >= 0) {
                MemorySegment stored = buffer.asSlice(0, e.length());
                // a lossy stream keeps no checksum of its original bytes once a chunk is coded
                long original = p.base != null ? ownCrc : Codecs.of(p.codec).lossless() ? Crc32c.of(src) : 0;
                return new Result(
                        job,
                        stored,
                        src,
                        input,
                        buffer,
                        Crc32c.of(stored),
                        original,
                        true,
                        e.exceptions(),
                        fromMapping);
            }
            buffers.give(buffer);
        }
        long crc = Crc32c.of(src);
        return new Result(job, src, src, input, null, crc, p.base != null ? ownCrc : crc, false, 0, fromMapping);
    }

    /**
     * Codes a chunk of a lossy delta ({@link LossyDeltas}) from {@code ft}, the private copy of its bytes in
     * {@code input}: the difference with the base's chunk by the stream's codec, then the exceptions; stored as it is
     * when that is not smaller.
     */
    private static Result difference(
            Job job,
            MemorySegment ft,
            MemorySegment input,
            CodecPool codecs,
            BufferPool buffers,
            BufferPool bases,
            BufferPool differences,
            boolean fromMapping)
            throws InputChangedException {
        Plan p = job.plan();
        ElfType type = p.dtype.elfType();
        long first = job.chunk() * p.chunkBytes / type.valueBytes();
        MemorySegment copy = bases.take();
        MemorySegment work = differences.take();
        MemorySegment buffer = buffers.take();
        try {
            MemorySegment with = Deltas.baseChunk(p.baseFile, p.chunk(p.base, job.chunk()), copy);
            MemorySegment d = work.asSlice(0, ft.byteSize());
            LossyDeltas.subtract(type, ft, with, d);
            CodecPool.Encoded e = codecs.encode(p.codec, p.dtype, p.params, d, first, buffer);
            long length = -1;
            if (e.length() >= 0) { // what a reader decodes, checked value by value
                codecs.decode(p.codec, p.dtype, p.params, true, buffer.asSlice(0, e.length()), first, d);
                LossyDeltas.add(type, d, with, d);
                length = LossyDeltas.appendExceptions(p.codec, p.params, p.dtype, ft, d, e.length(), buffer);
            }
            if (length >= 0) {
                MemorySegment stored = buffer.asSlice(0, length);
                long kept = e.exceptions() + Integer.toUnsignedLong(stored.get(LossyDeltas.U32, length - 4));
                MemorySegment full = buffer;
                buffer = null; // given back once written
                return new Result(job, stored, ft, input, full, Crc32c.of(stored), 0, true, kept, fromMapping);
            }
            long crc = Crc32c.of(ft);
            return new Result(job, ft, ft, input, null, crc, crc, false, 0, fromMapping);
        } finally {
            buffers.give(buffer);
            bases.give(copy);
            differences.give(work);
        }
    }

    /**
     * Where the mapped bytes to let go after {@code chunk} start, in its turn: the chunk itself, and when it follows
     * the previous chunk of its file (ending at {@code previousEnd}) directly in the same mapping, that chunk's last
     * page too, so that the pages two chunks share go once both are read (all chunks before it in job order are).
     * Without this every chunk would keep its boundary pages resident, a page or two per chunk: hundreds of MB on a
     * checkpoint of many GB. Only file mappings are let go ({@link Pages#release(MemorySegment, long)}).
     */
    private static long readFrom(MemorySegment chunk, Long previousEnd) {
        if (previousEnd == null || previousEnd != chunk.address() || !chunk.isMapped()) {
            return chunk.address();
        }
        return previousEnd & -Pages.PAGE;
    }

    /** {@link Crc32c#of} (the readers' name for it). */
    static long crc32c(MemorySegment bytes) {
        return Crc32c.of(bytes);
    }

    /** {@link Crc32c#update} (the readers' name for it). */
    static void update(CRC32C c, MemorySegment bytes) {
        Crc32c.update(c, bytes);
    }

    /** Writes all of {@code b} at {@code offset} (positional: threads write their chunks side by side). */
    private static void writeFully(Path out, FileChannel ch, ByteBuffer b, long offset) throws IOException {
        try {
            long at = offset;
            while (b.hasRemaining()) {
                at += ch.write(b, at);
            }
        } catch (IOException e) { // "No space left on device" says neither which file nor that nothing was kept
            throw new IOException(out + ": cannot write (" + e.getMessage() + "); nothing written", e);
        }
    }
}
