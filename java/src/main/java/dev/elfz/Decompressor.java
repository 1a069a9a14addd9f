package dev.elfz;

import dev.elfz.io.AtomicFiles;
import dev.elfz.io.MappedOutput;
import dev.elfz.io.Pages;
import dev.elfz.onnx.OnnxException;
import dev.elfz.onnx.OnnxFile;
import dev.elfz.onnx.Skeleton;
import dev.elfz.safetensors.Dtype;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.CRC32C;

/**
 * Rebuilds the input of an .elfz file: the safetensors file (its own header byte for byte, each tensor decoded
 * in place into the mapped output), the ONNX file (its skeleton byte for byte around the tensors) or the model
 * directory. Chunks decode on the worker threads; nothing appears
 * under the output name until every chunk and checksum has passed.
 */
final class Decompressor {

    /** Where a stream's decoded bytes go: {@code write(offset in the stream, bytes)}, from any thread. */
    private interface StreamWriter {
        void write(long offset, MemorySegment bytes) throws IOException;
    }

    /** A stream to decode into its place in an output file. */
    private record Target(String what, Index.Stream stream, Dtype dtype, StreamWriter out) {}

    private record Job(Target target, int chunk) {}

    /** A decoded chunk, written: its bytes (for the stream's checksum) and the buffer to give back. */
    private record Done(Job job, MemorySegment bytes, MemorySegment buffer) {}

    /** An output being built: the writer to commit, and the streams to decode into it. */
    private interface Output extends AutoCloseable {
        void commit() throws IOException;

        @Override
        void close() throws IOException;
    }

    private Decompressor() {}

    static void decompress(Path in, Path out, ElfzOptions o) throws IOException {
        try (ElfzReader r = ElfzReader.open(in, o.kernel())) {
            AtomicFiles.checkTarget(out, o.overwrite(), r.directory());
            if (!r.directory()) {
                List<Target> targets = new ArrayList<>();
                try (Output output = open(r, r.index().files().getFirst(), out, o.overwrite(), targets)) {
                    decode(r, targets, o);
                    output.commit();
                }
                return;
            }
            checkFreeSpace(r, out);
            Path dir = AtomicFiles.createTempDirectory(out);
            try {
                List<Output> outputs = new ArrayList<>();
                List<Target> targets = new ArrayList<>();
                try {
                    for (Index.FileEntry f : r.index().files()) {
                        Path p = dir.resolve(f.path());
                        Files.createDirectories(p.getParent());
                        outputs.add(open(r, f, p, false, targets));
                    }
                    decode(r, targets, o);
                    for (Output output : outputs) {
                        output.commit();
                    }
                } finally {
                    for (Output output : outputs) {
                        output.close();
                    }
                }
                AtomicFiles.publishDirectory(dir, out, o.overwrite());
            } catch (IOException | RuntimeException | Error e) {
                try {
                    AtomicFiles.deleteRecursively(dir);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    /** The files of a directory are checked one by one as they are created; their sum is checked here. */
    private static void checkFreeSpace(ElfzReader r, Path out) throws IOException {
        long total = r.index().files().stream().mapToLong(Index.FileEntry::size).sum();
        Path parent = out.toAbsolutePath().getParent();
        long free = Files.getFileStore(parent).getUsableSpace();
        if (free < total) {
            throw new IOException(out + ": needs " + total + " bytes, " + parent + " has " + free + " free (disk full)");
        }
    }

    /** Creates the output of one file and lists the streams to decode into it. */
    private static Output open(ElfzReader r, Index.FileEntry f, Path target, boolean overwrite, List<Target> targets)
            throws IOException {
        if (Index.KIND_BLOB.equals(f.kind())) {
            MappedOutput m = MappedOutput.create(target, f.size(), overwrite);
            targets.add(new Target(f.path(), f.data(), Dtype.U8, m::write));
            return new Output() {
                public void commit() throws IOException {
                    m.commit();
                }

                public void close() throws IOException {
                    m.close();
                }
            };
        }
        if (Index.KIND_ONNX.equals(f.kind())) {
            return openOnnx(r, f, target, overwrite, targets);
        }
        byte[] start = r.readSmall(f.path() + " header", f.header());
        long n = MemorySegment.ofArray(start).get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n != start.length - 8) {
            throw new ElfzException(r.path(), f.path() + ": the stored header says " + n + " bytes but holds "
                    + (start.length - 8));
        }
        List<TensorInfo> infos = new ArrayList<>();
        for (Index.TensorEntry t : f.tensors()) {
            infos.add(new TensorInfo(t.name(), Dtype.forName(t.dtype()), t.shape(), t.offset(),
                    t.offset() + t.data().size()));
        }
        SafetensorsWriter w;
        try {
            w = SafetensorsWriter.createVerbatim(target, Arrays.copyOfRange(start, 8, start.length), infos, overwrite);
        } catch (dev.elfz.safetensors.SafetensorsException e) {
            throw new ElfzException(r.path(), "damaged: " + f.path() + "'s stored header: " + e.getMessage(), e);
        }
        for (int i = 0; i < f.tensors().size(); i++) {
            Index.TensorEntry t = f.tensors().get(i);
            ElfzTensor et = r.tensor(f.path(), t.name());
            int slot = i;
            targets.add(new Target(r.describe(et), t.data(), et.dtype(), (off, bytes) -> w.write(slot, off, bytes)));
        }
        return new Output() {
            public void commit() throws IOException {
                w.commit();
            }

            public void close() throws IOException {
                w.close();
            }
        };
    }

    /**
     * An ONNX file: the skeleton's chunks scattered to the runs between the payloads, each tensor to its offset; parsed
     * again before it is committed, it must hold exactly the tensors of the index (as a safetensors header must).
     */
    private static Output openOnnx(ElfzReader r, Index.FileEntry f, Path target, boolean overwrite,
            List<Target> targets) throws IOException {
        List<TensorInfo> infos = new ArrayList<>();
        for (Index.TensorEntry t : f.tensors()) {
            infos.add(new TensorInfo(t.name(), Dtype.forName(t.dtype()), t.shape(), t.offset(),
                    t.offset() + t.data().size()));
        }
        Skeleton skeleton = OnnxFile.skeleton(f.size(), infos);
        MappedOutput m = MappedOutput.create(target, f.size(), overwrite);
        targets.add(new Target(f.path() + " skeleton", f.data(), Dtype.U8, (off, bytes) -> skeleton.forEach(off,
                bytes.byteSize(), (at, offset, length) -> m.write(at, bytes.asSlice(offset - off, length)))));
        for (Index.TensorEntry t : f.tensors()) {
            ElfzTensor et = r.tensor(f.path(), t.name());
            targets.add(new Target(r.describe(et), t.data(), et.dtype(), (off, bytes) -> m.write(t.offset() + off, bytes)));
        }
        return new Output() {
            public void commit() throws IOException {
                List<TensorInfo> parsed;
                try {
                    parsed = OnnxFile.parse(target, m.segment());
                } catch (OnnxException e) {
                    throw new ElfzException(r.path(), "damaged: " + f.path() + "'s stored skeleton: " + e.getMessage(), e);
                }
                if (!parsed.equals(infos)) {
                    throw new ElfzException(r.path(), "damaged: " + f.path() + "'s skeleton holds other tensors than the index");
                }
                m.commit();
            }

            public void close() throws IOException {
                m.close();
            }
        };
    }

    /**
     * Decodes every chunk on the workers, each into a pooled buffer written with a positional write (stored chunks
     * straight from the mapped input); the calling thread gets them in order and checks each lossless stream's
     * checksum as its last chunk goes by.
     */
    private static void decode(ElfzReader r, List<Target> targets, ElfzOptions o) throws IOException {
        List<Job> jobs = new ArrayList<>();
        long total = 0;
        long cap = 0;
        for (Target t : targets) {
            for (int i = 0; i < t.stream().chunks().length; i++) {
                jobs.add(new Job(t, i));
            }
            if (t.stream().chunks().length == 0) {
                r.checkStream(t.what(), t.stream(), 0); // the CRC32C of no bytes
            }
            total += t.stream().size();
            cap = Math.max(cap, Math.min(t.stream().chunkBytes(), t.stream().size()));
        }
        long bufferBytes = cap;
        Queue<MemorySegment> buffers = new ConcurrentLinkedQueue<>();
        CRC32C crc = new CRC32C();
        o.progress().start(total);
        try (Arena arena = Arena.ofShared()) {
            Workers.ordered(o.threads(), jobs, job -> {
                Target t = job.target();
                Index.Stream s = t.stream();
                int i = job.chunk();
                MemorySegment buffer = null;
                MemorySegment bytes;
                MemorySegment stored;
                try {
                    stored = r.storedChunk(t.what(), s, i);
                    bytes = stored;
                    if (s.chunks()[i][Index.Stream.CODED] == 1) {
                        buffer = buffers.poll();
                        if (buffer == null) {
                            buffer = arena.allocate(bufferBytes, 64); // one per chunk in flight at most
                        }
                        MemorySegment dst = buffer.asSlice(0, s.chunkSize(i));
                        r.decodeCoded(t.what(), s, t.dtype(), i, bytes, dst);
                        bytes = dst;
                    }
                    t.out().write(i * s.chunkBytes(), bytes);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (buffer != null) {
                    Pages.release(stored); // read for good (a stored chunk is released after its checksum)
                }
                return new Done(job, bytes, buffer);
            }, done -> {
                Index.Stream s = done.job().target().stream();
                int i = done.job().chunk();
                if (s.crc32c() != null) {
                    if (i == 0) {
                        crc.reset();
                    }
                    Compressor.update(crc, done.bytes());
                    if (i == s.chunks().length - 1) {
                        r.checkStream(done.job().target().what(), s, crc.getValue());
                    }
                }
                if (done.buffer() != null) {
                    buffers.add(done.buffer());
                } else {
                    Pages.release(done.bytes());
                }
                o.progress().advance(done.bytes().byteSize());
            });
        } finally {
            o.progress().end();
        }
    }
}
