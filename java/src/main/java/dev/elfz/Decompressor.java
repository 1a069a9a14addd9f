package dev.elfz;

import dev.elfz.io.AtomicFiles;
import dev.elfz.io.MappedOutput;
import dev.elfz.safetensors.Dtype;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rebuilds the input of an .elfz file: the safetensors file (its own header byte for byte, each tensor decoded
 * in place into the mapped output) or the model directory. Chunks decode on the worker threads; nothing appears
 * under the output name until every chunk and checksum has passed.
 */
final class Decompressor {

    /** A stream to decode into its place in an output file. */
    private record Target(String what, Index.Stream stream, Dtype dtype, MemorySegment dst) {}

    private record Job(Target target, int chunk) {}

    /** An output being built: the writer to commit, and the streams to decode into it. */
    private interface Output extends AutoCloseable {
        void commit() throws IOException;

        @Override
        void close() throws IOException;
    }

    private Decompressor() {}

    static void decompress(Path in, Path out, ElfzOptions o) throws IOException {
        try (ElfzReader r = ElfzReader.open(in, o.kernel())) {
            AtomicFiles.checkTarget(out, o.overwrite());
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

    private interface Step {
        void run() throws ElfzException;
    }

    /** Runs a step on a worker, where only unchecked exceptions pass; {@link Workers} unwraps them. */
    private static void decodeOrThrow(Step step) {
        try {
            step.run();
        } catch (ElfzException e) {
            throw new UncheckedIOException(e);
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
            targets.add(new Target(f.path(), f.data(), Dtype.U8, m.segment()));
            return new Output() {
                public void commit() throws IOException {
                    m.commit();
                }

                public void close() throws IOException {
                    m.close();
                }
            };
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
            targets.add(new Target(r.describe(et), t.data(), et.dtype(), w.region(i)));
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

    /** Decodes every chunk in parallel, then checks the lossless streams' checksums in parallel. */
    private static void decode(ElfzReader r, List<Target> targets, ElfzOptions o) throws IOException {
        List<Job> jobs = new ArrayList<>();
        long total = 0;
        for (Target t : targets) {
            for (int i = 0; i < t.stream().chunks().length; i++) {
                jobs.add(new Job(t, i));
            }
            total += t.stream().size();
        }
        o.progress().start(total);
        try {
            Workers.ordered(o.threads(), jobs, job -> {
                Target t = job.target();
                Index.Stream s = t.stream();
                decodeOrThrow(() -> r.decodeChunk(t.what(), s, t.dtype(), job.chunk(),
                        t.dst().asSlice(job.chunk() * s.chunkBytes(), s.chunkSize(job.chunk()))));
                return s.chunkSize(job.chunk());
            }, done -> o.progress().advance(done));
            Workers.ordered(o.threads(), targets, t -> {
                decodeOrThrow(() -> r.checkStream(t.what(), t.stream(), t.dst()));
                return t;
            }, t -> { });
        } catch (InternalError e) {
            // A store into the mapped output failed (SIGBUS): the disk filled up after the free-space check.
            throw new IOException("cannot write the output (" + e.getMessage() + "): disk full?", e);
        } finally {
            o.progress().end();
        }
    }
}
