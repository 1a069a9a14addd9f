package dev.elfz.container;

import dev.elfz.Dtype;
import dev.elfz.ElfzException;
import dev.elfz.io.LargeMemory;
import dev.elfz.onnx.OnnxException;
import dev.elfz.onnx.OnnxFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The ONNX model of a one-file archive rebuilt in memory, no file written: the model file's bytes (its skeleton put
 * back around its inline tensors, as {@link Decompressor} writes them) and each initializer its graph keeps in external
 * data, decoded on its own. What a runtime that takes a model as bytes and its large weights as tensors needs, such as
 * ONNX Runtime's {@code createSession(ByteBuffer)} and {@code addExternalInitializers}. The model is parsed again
 * before it is handed over: it must hold exactly the index's tensors, and every external initializer must be a tensor
 * of the data file it names, at its offset.
 */
public final class OnnxInMemory {

    /** An initializer whose values the model keeps in external data: its name in the graph and its decoded bytes. */
    public record Initializer(String name, Dtype dtype, long[] shape, MemorySegment bytes) {}

    /**
     * @param name the model's file name in the archive
     * @param file the model file's bytes, as decompression would write them
     * @param external the initializers in external data files, in the model's order
     */
    public record Model(String name, MemorySegment file, List<Initializer> external) {}

    private OnnxInMemory() {}

    /**
     * Decodes the model of an archive of one ONNX file (with or without external data files) into memory of
     * {@code arena} (shared, for the workers), on {@code threads} threads.
     *
     * @throws ElfzException when the archive holds something else, or is damaged
     */
    public static Model read(Archive r, int threads, Arena arena) throws IOException {
        List<Index.FileEntry> files = r.index().files();
        Index.FileEntry f = files.getFirst();
        if (r.directory() || !Index.KIND_ONNX.equals(f.kind())) {
            throw new ElfzException(
                    r.path(),
                    "holds " + (r.directory() ? "a model directory" : "a " + f.kind() + " file")
                            + ", not one ONNX model");
        }
        if (f.size() > Integer.MAX_VALUE - 8) { // protobuf's limit, and a ByteBuffer's
            throw new ElfzException(
                    r.path(),
                    f.path() + " is " + f.size() + " bytes: an ONNX model file must stay below 2 GiB "
                            + "(larger models keep their weights in external data)");
        }
        MemorySegment file = LargeMemory.allocate(f.size(), arena);
        List<TensorInfo> infos = Decompressor.infos(f);
        List<Runnable> jobs = new ArrayList<>();
        jobs.add(() -> readSkeleton(r, f, infos, file));
        for (Index.TensorEntry t : f.tensors()) {
            jobs.add(() -> readTensor(r, f, t, file.asSlice(t.offset(), t.data().size())));
        }
        run(threads, jobs);
        OnnxFile.Parsed parsed;
        try {
            parsed = OnnxFile.parse(r.path(), file);
        } catch (OnnxException e) {
            throw new ElfzException(r.path(), "damaged: " + f.path() + "'s stored skeleton: " + e.getMessage(), e);
        }
        if (!parsed.tensors().equals(infos)) {
            throw new ElfzException(
                    r.path(), "damaged: " + f.path() + "'s skeleton holds other tensors than the index");
        }
        List<Initializer> external = new ArrayList<>();
        jobs.clear();
        String dir = f.name().contains("/") ? f.name().substring(0, f.name().lastIndexOf('/') + 1) : "";
        for (OnnxFile.External e : parsed.external()) {
            Index.FileEntry data = files.stream()
                    .filter(d ->
                            Index.KIND_ONNX_DATA.equals(d.kind()) && d.name().equals(dir + e.location()))
                    .findFirst()
                    .orElse(null);
            Index.TensorEntry t = stored(r, data, e);
            TensorInfo info = e.tensor();
            MemorySegment bytes = LargeMemory.allocate(info.byteSize(), arena);
            jobs.add(() -> readTensor(r, data, t, bytes));
            external.add(new Initializer(info.name(), info.dtype(), info.shape(), bytes));
        }
        run(threads, jobs);
        return new Model(f.name(), file, List.copyOf(external));
    }

    /** The skeleton stream decoded, then each run copied to its place between the payloads. */
    private static void readSkeleton(Archive r, Index.FileEntry f, List<TensorInfo> infos, MemorySegment file) {
        try (Arena scratch = Arena.ofConfined()) {
            Index.Stream s = f.data();
            MemorySegment skeleton = scratch.allocate(Math.max(1, s.size())).asSlice(0, s.size());
            r.readStream(f.path() + " skeleton", s, skeleton);
            OnnxFile.skeleton(f.size(), infos)
                    .forEach(
                            0,
                            s.size(),
                            (at, offset, length) -> MemorySegment.copy(skeleton, offset, file, at, length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void readTensor(Archive r, Index.FileEntry f, Index.TensorEntry t, MemorySegment dst) {
        try {
            r.readInto(r.tensor(f.name(), t.name()), dst);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tensor of the onnx_data file (null: none) an external initializer reads: at its place, of its type. */
    private static Index.TensorEntry stored(Archive r, Index.FileEntry data, OnnxFile.External e) throws ElfzException {
        TensorInfo t = e.tensor();
        for (Index.TensorEntry s : data == null ? List.<Index.TensorEntry>of() : data.tensors()) {
            if (s.offset() == t.begin()
                    && s.data().size() == t.byteSize()
                    && t.dtype().name().equals(s.dtype())
                    && Arrays.equals(t.shape(), s.shape())) {
                return s;
            }
        }
        throw new ElfzException(
                r.path(),
                "damaged: the model's initializer \"" + t.name() + "\" lies in " + e.location() + " [" + t.begin()
                        + ", " + t.end() + "), which the archive does not hold as such");
    }

    /** Runs the jobs on the workers; the first failure is thrown. */
    private static void run(int threads, List<Runnable> jobs) throws IOException {
        Workers.ordered(
                Math.max(1, threads),
                jobs,
                job -> {
                    job.run();
                    return job;
                },
                done -> {});
    }
}
