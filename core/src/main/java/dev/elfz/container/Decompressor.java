package dev.elfz.container;

import dev.elfz.Dtype;
import dev.elfz.ElfzException;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzTensor;
import dev.elfz.io.AtomicFiles;
import dev.elfz.io.Crc32c;
import dev.elfz.io.ExitCleanup;
import dev.elfz.io.FileNames;
import dev.elfz.io.MappedOutput;
import dev.elfz.io.Overwrite;
import dev.elfz.onnx.OnnxException;
import dev.elfz.onnx.OnnxFile;
import dev.elfz.onnx.Skeleton;
import dev.elfz.safetensors.SafetensorsException;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rebuilds the input of an .elfz file: the safetensors file (its own header byte for byte, each tensor decoded
 * in place into the mapped output), the ONNX file (its skeleton byte for byte around the tensors) or the model
 * directory. Chunks decode on the worker threads; nothing appears
 * under the output name until every chunk and checksum has passed.
 */
public final class Decompressor {

    /** Where a stream's decoded bytes go: {@code write(offset in the stream, bytes)}, from any thread. */
    private interface StreamWriter {
        void write(long offset, MemorySegment bytes) throws IOException;
    }

    /** A stream to decode into its place in an output file. */
    private record Target(String what, Index.Stream stream, Dtype dtype, StreamWriter out) {}

    /** Chunk {@code chunk} of a stream, which goes into {@code output}. */
    private record Job(Target target, int chunk, Written output) {}

    /** An output and how many of its chunks are still to write: the last one written releases its descriptor. */
    private record Written(Output output, AtomicLong left) {
        void one() throws IOException {
            if (left.decrementAndGet() == 0) {
                output.release();
            }
        }
    }

    /** An output being built: the writer to commit, and the streams to decode into it. */
    interface Output extends AutoCloseable {
        /** Checks the decoded file before anything is committed; an onnx model gives its external data references. */
        default List<OnnxFile.External> check() throws IOException {
            return List.of();
        }

        /** Every chunk is written: the file descriptor the writes held is closed until commit. */
        default void release() throws IOException {}

        void commit() throws IOException;

        @Override
        void close() throws IOException;

        /** A file built by a MappedOutput. */
        static Output of(MappedOutput m) {
            return new Output() {
                public void release() throws IOException {
                    m.release();
                }

                public void commit() throws IOException {
                    m.commit();
                }

                public void close() throws IOException {
                    m.close();
                }
            };
        }
    }

    private Decompressor() {}

    public static void decompress(Path in, Path out, ElfzOptions o) throws IOException {
        try (Archive r = Archive.open(in, o.kernel())) {
            decompress(r, out, o);
        }
    }

    /**
     * Rebuilds the input of an archive already open (its index read once: a command that lists it first reads it no
     * second time). The base of {@code o}, when given, is attached; else the archive's own, if any, serves.
     */
    public static void decompress(Archive r, Path out, ElfzOptions o) throws IOException {
        r.attachBase(o.base());
        r.checkBase(); // a base missing or not this archive's: one line, before any output exists
        AtomicFiles.checkTarget(out, o.overwrite(), r.directory());
        if (!r.directory()) {
            decompressFile(r, out, o);
            return;
        }
        checkFreeSpace(r, out);
        if (Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) { // -f: replace the files the archive names, only
            List<String> names =
                    r.index().files().stream().map(Index.FileEntry::name).toList();
            writeInPlace(r, Overwrite.inside(out, names, r.path()), 0, o);
            return;
        }
        Path dir = AtomicFiles.createTempDirectory(out);
        try {
            List<Path> targets = new ArrayList<>();
            for (Index.FileEntry f : r.index().files()) {
                targets.add(FileNames.resolve(dir, f.name()));
                Files.createDirectories(targets.getLast().getParent());
            }
            build(r, targets, false, o);
            AtomicFiles.publishDirectory(dir, out, o.overwrite(), o.sync());
        } catch (IOException | RuntimeException | Error e) {
            try {
                AtomicFiles.deleteTemporary(dir);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** One file, and an ONNX model's external data files at their locations beside it ({@link #writeInPlace}). */
    private static void decompressFile(Archive r, Path out, ElfzOptions o) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        List<Path> targets = new ArrayList<>();
        for (Index.FileEntry f : r.index().files()) {
            Path p = targets.isEmpty() ? out : FileNames.resolve(dir, f.name());
            if (targets.stream()
                    .anyMatch(t -> t.toAbsolutePath()
                            .normalize()
                            .equals(p.toAbsolutePath().normalize()))) {
                throw new ElfzException(
                        r.path(),
                        "its external data file " + f.path() + " would be written over " + p
                                + ": give the model another output name");
            }
            AtomicFiles.checkTarget(p, o.overwrite());
            Overwrite.checkNotInput(r.path(), p);
            targets.add(p);
        }
        writeInPlace(r, targets, 1, o);
    }

    /**
     * Builds every file at its target, each under a temporary name beside it, renamed once all are complete: all of them
     * appear, or none ({@link #commitAll}). The missing directories of {@code targets[from..]} are made, and deleted
     * again when anything fails, or on a signal (after the temporaries in them are gone; one that holds a committed
     * file stays).
     */
    private static void writeInPlace(Archive r, List<Path> targets, int from, ElfzOptions o) throws IOException {
        List<Path> made = new ArrayList<>();
        ExitCleanup.Undo removeMade = ExitCleanup.undoAtExit(() -> deleteMade(made, null));
        try {
            for (Path p : targets.subList(from, targets.size())) {
                Path dir = p.toAbsolutePath().getParent();
                for (Path d = dir; !Files.exists(d, LinkOption.NOFOLLOW_LINKS); d = d.getParent()) {
                    made.add(d);
                }
                Files.createDirectories(dir);
            }
            build(r, targets, o.overwrite(), o);
            removeMade.close();
        } catch (IOException | RuntimeException | Error e) {
            removeMade.close();
            deleteMade(made, e);
            throw e;
        }
    }

    /** Deletes the directories made for outputs, each before its parent. */
    private static void deleteMade(List<Path> made, Throwable failure) {
        made.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        deleteAll(made, failure);
    }

    /**
     * Undoes what a failed decompression made: deletes each path, its own failures added to {@code failure} (none at
     * exit).
     */
    private static void deleteAll(List<Path> paths, Throwable failure) {
        for (Path p : paths) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException suppressed) {
                if (failure != null) {
                    failure.addSuppressed(suppressed);
                }
            }
        }
    }

    /**
     * Builds every file of the archive at its target: decodes every stream, checks each file (and the ONNX models'
     * external data against the onnx_data files), then commits them all.
     */
    private static void build(Archive r, List<Path> targets, boolean overwrite, ElfzOptions o) throws IOException {
        List<Index.FileEntry> files = r.index().files();
        List<Output> outputs = new ArrayList<>();
        List<Job> jobs = new ArrayList<>();
        List<Target> streams = new ArrayList<>();
        try {
            for (int i = 0; i < files.size(); i++) {
                List<Target> own = new ArrayList<>();
                outputs.add(open(r, files.get(i), targets.get(i), overwrite, o.sync(), own));
                long chunks =
                        own.stream().mapToLong(t -> t.stream().chunks().length).sum();
                Written w = new Written(outputs.getLast(), new AtomicLong(chunks));
                for (Target t : own) {
                    for (int c = 0; c < t.stream().chunks().length; c++) {
                        jobs.add(new Job(t, c, w));
                    }
                }
                streams.addAll(own);
            }
            decode(r, streams, jobs, o);
            checkExternalData(r, outputs);
            commitAll(outputs, targets, overwrite);
        } finally {
            for (Output output : outputs) {
                output.close();
            }
        }
    }

    /**
     * Renames every output to its target, last first (a single file's data files come after the model that reads
     * them). With {@code overwrite} and several outputs, an existing target is renamed aside first and deleted only
     * once every output is in place: if one fails, the outputs already in place are deleted and the user's files put
     * back, so that all appear or none, and nothing of the user's is lost. One output simply renames over its target
     * (atomic: readers see the old file or the new one, never none). A signal before the last output is in place
     * undoes the others as a failure does.
     */
    static void commitAll(List<? extends Output> outputs, List<Path> targets, boolean overwrite) throws IOException {
        List<Path> committed = new ArrayList<>();
        Map<Path, Path> aside = new LinkedHashMap<>(); // target -> the hidden name of what it held
        boolean keep = overwrite && outputs.size() > 1;
        ExitCleanup.Undo undo = ExitCleanup.undoAtExit(() -> undoCommits(committed, aside));
        try {
            for (int i = outputs.size() - 1; i >= 0; i--) {
                Output output = outputs.get(i);
                Path target = targets.get(i);
                boolean last = i == 0;
                ExitCleanup.atomically(
                        () -> { // the exit hook sees each step done or not begun
                            Path old = keep ? AtomicFiles.moveAside(target) : null;
                            if (old != null) {
                                aside.put(target, old);
                            }
                            output.commit();
                            committed.add(target);
                            if (last) { // all in place: from now on a signal only deletes the old files aside
                                undo.close();
                                for (Path o : aside.values()) {
                                    ExitCleanup.deleteAtExit(o);
                                }
                            }
                        });
            }
            undo.close(); // no outputs
        } catch (IOException | RuntimeException | Error e) {
            try {
                undo.runNow(); // unless the exit hook is running it
            } catch (IOException undone) {
                Arrays.stream(undone.getSuppressed()).forEach(e::addSuppressed);
            }
            throw e;
        }
        for (Path old : aside.values()) {
            try {
                AtomicFiles.deleteTemporary(old);
            } catch (IOException e) {
                // every output is in place: a hidden copy of a replaced file left behind is no failure
            }
        }
    }

    /** Deletes the outputs committed and puts the user's files back; throws with each problem suppressed. */
    private static void undoCommits(List<Path> committed, Map<Path, Path> aside) throws IOException {
        IOException failure = new IOException("could not undo every output");
        deleteAll(committed, failure);
        for (Map.Entry<Path, Path> old : aside.entrySet()) {
            try {
                AtomicFiles.moveBack(old.getValue(), old.getKey());
            } catch (IOException suppressed) {
                failure.addSuppressed(suppressed);
            }
        }
        if (failure.getSuppressed().length > 0) {
            throw failure;
        }
    }

    /**
     * Every onnx model's external data must be an initializer of the onnx_data file at its location (relative to the
     * model's directory) with the same offset, dtype and shape, and every onnx_data file must hold exactly what the
     * models read from it.
     */
    private static void checkExternalData(Archive r, List<Output> outputs) throws IOException {
        List<Index.FileEntry> files = r.index().files();
        Map<String, Set<String>> stored = new HashMap<>();
        for (Index.FileEntry f : files) {
            if (Index.KIND_ONNX_DATA.equals(f.kind())) {
                Set<String> regions = new HashSet<>();
                for (Index.TensorEntry t : f.tensors()) {
                    regions.add(region(t.offset(), t.offset() + t.data().size(), t.dtype(), t.shape()));
                }
                stored.put(f.name(), regions);
            }
        }
        Map<String, Set<String>> read = new HashMap<>();
        for (int i = 0; i < files.size(); i++) {
            String model = files.get(i).name();
            String dir = model.contains("/") ? model.substring(0, model.lastIndexOf('/') + 1) : "";
            for (OnnxFile.External e : outputs.get(i).check()) {
                String file = dir + e.location();
                TensorInfo t = e.tensor();
                String region = region(t.begin(), t.end(), t.dtype().name(), t.shape());
                if (!stored.containsKey(file) || !stored.get(file).contains(region)) {
                    throw new ElfzException(
                            r.path(),
                            "damaged: " + model + "'s initializer \"" + t.name() + "\" lies in " + file + " ["
                                    + t.begin() + ", " + t.end() + "), which the archive does not hold as such");
                }
                read.computeIfAbsent(file, k -> new HashSet<>()).add(region);
            }
        }
        for (Map.Entry<String, Set<String>> e : stored.entrySet()) {
            if (!e.getValue().equals(read.getOrDefault(e.getKey(), Set.of()))) {
                throw new ElfzException(
                        r.path(), "damaged: " + e.getKey() + " holds tensors no ONNX model of the archive" + " reads");
            }
        }
    }

    private static String region(long begin, long end, String dtype, long[] shape) {
        return begin + " " + end + " " + dtype + " " + Arrays.toString(shape);
    }

    /** The files of a directory are checked one by one as they are created; their sum is checked here. */
    private static void checkFreeSpace(Archive r, Path out) throws IOException {
        long total = r.index().files().stream().mapToLong(Index.FileEntry::size).sum();
        Path parent = out.toAbsolutePath().getParent();
        long free = AtomicFiles.usableSpace(parent);
        if (free < total) {
            throw new IOException(
                    out + ": needs " + total + " bytes, " + parent + " has " + free + " free (disk full)");
        }
    }

    /** Creates the output of one file and lists the streams to decode into it. */
    private static Output open(
            Archive r, Index.FileEntry f, Path target, boolean overwrite, boolean sync, List<Target> targets)
            throws IOException {
        if (Index.KIND_BLOB.equals(f.kind())) {
            MappedOutput m = MappedOutput.create(target, f.size(), overwrite, sync);
            targets.add(new Target(f.path(), f.data(), Dtype.U8, m::write));
            return Output.of(m);
        }
        if (Index.skeletal(f.kind())) {
            return openOnnx(r, f, target, overwrite, sync, targets);
        }
        byte[] start = r.readSmall(f.path() + " header", f.header());
        long n =
                MemorySegment.ofArray(start).get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n != start.length - 8) {
            throw new ElfzException(
                    r.path(), f.path() + ": the stored header says " + n + " bytes but holds " + (start.length - 8));
        }
        List<TensorInfo> infos = infos(f);
        SafetensorsWriter w;
        try {
            w = SafetensorsWriter.createVerbatim(
                    target, Arrays.copyOfRange(start, 8, start.length), infos, overwrite, sync);
        } catch (SafetensorsException e) {
            throw new ElfzException(r.path(), "damaged: " + f.path() + "'s stored header: " + e.getMessage(), e);
        }
        for (int i = 0; i < f.tensors().size(); i++) {
            Index.TensorEntry t = f.tensors().get(i);
            ElfzTensor et = r.tensor(f.name(), t.name());
            int slot = i;
            targets.add(new Target(r.describe(et), t.data(), et.dtype(), (off, bytes) -> w.write(slot, off, bytes)));
        }
        return new Output() {
            public void release() throws IOException {
                w.release();
            }

            public void commit() throws IOException {
                w.commit();
            }

            public void close() throws IOException {
                w.close();
            }
        };
    }

    /** The tensors of a file entry as its original file holds them (offsets in that file). */
    static List<TensorInfo> infos(Index.FileEntry f) {
        List<TensorInfo> infos = new ArrayList<>();
        for (Index.TensorEntry t : f.tensors()) {
            infos.add(new TensorInfo(
                    t.name(),
                    Dtype.forName(t.dtype()),
                    t.shape(),
                    t.offset(),
                    t.offset() + t.data().size()));
        }
        return infos;
    }

    /**
     * A PyTorch checkpoint or a GGUF file, parsed again before it is committed ({@link Reparsed}).
     *
     * <p>An ONNX file or one of its external data files: the skeleton's chunks scattered to the runs between the payloads,
     * each tensor to its offset. A model is parsed again before it is committed: it must hold exactly the tensors of
     * the index (as a safetensors header must), and its external data is checked by {@link #checkExternalData}.
     */
    private static Output openOnnx(
            Archive r, Index.FileEntry f, Path target, boolean overwrite, boolean sync, List<Target> targets)
            throws IOException {
        List<TensorInfo> infos = infos(f);
        Skeleton skeleton = OnnxFile.skeleton(f.size(), infos);
        MappedOutput m = MappedOutput.create(target, f.size(), overwrite, sync);
        targets.add(new Target(
                f.path() + " skeleton",
                f.data(),
                Dtype.U8,
                (off, bytes) -> skeleton.forEach(
                        off,
                        bytes.byteSize(),
                        (at, offset, length) -> m.write(at, bytes.asSlice(offset - off, length)))));
        for (Index.TensorEntry t : f.tensors()) {
            ElfzTensor et = r.tensor(f.name(), t.name());
            targets.add(
                    new Target(r.describe(et), t.data(), et.dtype(), (off, bytes) -> m.write(t.offset() + off, bytes)));
        }
        if (Index.KIND_ONNX_DATA.equals(f.kind())) {
            return Output.of(m);
        }
        if (!Index.KIND_ONNX.equals(f.kind())) {
            return Reparsed.output(r, f, target, m, infos);
        }
        return new Output() {
            public List<OnnxFile.External> check() throws IOException {
                OnnxFile.Parsed parsed;
                try {
                    parsed = OnnxFile.parse(target, m.segment());
                } catch (OnnxException e) {
                    throw new ElfzException(
                            r.path(), "damaged: " + f.path() + "'s stored skeleton: " + e.getMessage(), e);
                }
                if (!parsed.tensors().equals(infos)) {
                    throw new ElfzException(
                            r.path(), "damaged: " + f.path() + "'s skeleton holds other tensors than the index");
                }
                return parsed.external();
            }

            public void release() throws IOException {
                m.release();
            }

            public void commit() throws IOException {
                m.commit();
            }

            public void close() throws IOException {
                m.close();
            }
        };
    }

    /**
     * Decodes every chunk on the workers, each claiming the next chunk, decoding it into its own buffer and writing it at
     * its offset with a positional write (stored chunks copied there: nothing reads the mapped input in place). A
     * lossless stream's checksum is put together from its chunks' CRC32C, each computed by the worker that decoded it,
     * and checked once every chunk is written; nothing is committed before.
     */
    private static void decode(Archive r, List<Target> targets, List<Job> jobs, ElfzOptions o) throws IOException {
        Map<Target, long[]> crcs = new IdentityHashMap<>(); // each chunk's CRC32C, for the streams with a checksum
        long total = 0;
        long cap = 0;
        for (Target t : targets) {
            if (t.stream().crc32c() != null) {
                crcs.put(t, new long[t.stream().chunks().length]);
            }
            total += t.stream().size();
            cap = Math.max(cap, Math.min(t.stream().chunkBytes(), t.stream().size()));
        }
        long buffer = Math.max(1, cap);
        ElfzOptions.Progress progress = o.progress();
        progress.start(total);
        try (Arena arena = Arena.ofShared()) {
            Claimed.run(o.threads(), jobs.size(), () -> arena.allocate(buffer, 64), (own, j) -> {
                Target t = jobs.get(j).target();
                Index.Stream s = t.stream();
                int i = jobs.get(j).chunk();
                MemorySegment bytes = own.asSlice(0, s.chunkSize(i));
                r.decodeChunk(t.what(), s, t.dtype(), i, bytes);
                t.out().write(i * s.chunkBytes(), bytes);
                jobs.get(j).output().one();
                long[] crc = crcs.get(t);
                if (crc != null) {
                    crc[i] = Compressor.crc32c(bytes);
                }
                synchronized (progress) {
                    progress.advance(bytes.byteSize());
                }
            });
        } finally {
            progress.end();
        }
        for (Map.Entry<Target, long[]> e : crcs.entrySet()) { // the threads are done: their stores are visible
            Index.Stream s = e.getKey().stream();
            long crc = 0; // the CRC32C of no bytes
            for (int i = 0; i < e.getValue().length; i++) {
                crc = Crc32c.combine(crc, e.getValue()[i], s.chunkSize(i));
            }
            r.checkStream(e.getKey().what(), s, crc);
        }
    }
}
