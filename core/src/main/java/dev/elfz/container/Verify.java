package dev.elfz.container;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.ElfzException;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzTensor;
import dev.elfz.codec.Bounds;
import dev.elfz.codec.TensorCheck;
import dev.elfz.codec.ValueCheck;
import dev.elfz.codec.ValueCodec;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.io.BufferPool;
import dev.elfz.io.FileNames;
import dev.elfz.io.MappedInput;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.ElfType;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks an .elfz file against the safetensors or ONNX file (with its external data) or model directory it was made from: the same files,
 * tensor names, dtypes, shapes and metadata; every lossless stream (headers, blobs, raw tensors) bit for bit;
 * every other value as its codec promises ({@link ValueCodec#check}: ELF within its bound when |x| &lt; 1 and bit for
 * bit otherwise, grid within the user's bound, quantization within its group's bound, k-means the stored centroid nearest the value); the centroids within the
 * values' range; every uniform group's scale and zero point the formula's for its values. Decodes
 * chunk by chunk on the worker threads, so memory stays a few chunks per thread whatever the model's size.
 *
 * <pre>{@code
 * Verify.Report r = Verify.verify(Path.of("model"), Path.of("model.elfz"), ElfzOptions.defaults());
 * if (!r.ok()) System.err.println(r.problems().getFirst());
 * }</pre>
 */
public final class Verify {

    private Verify() {}

    /** What a check compared. */
    public enum Kind {
        TENSOR,
        HEADER,
        BLOB,
        SKELETON
    }

    /**
     * One tensor, safetensors header, ONNX skeleton or blob file, compared whole.
     *
     * @param what how messages name it, e.g. "tensor w of a.safetensors"
     * @param name the tensor's name; null for a header or a blob
     * @param dtype the tensor's dtype; U8 for a header or a blob
     * @param bound the largest error the codec allows: 0 when lossless
     * @param maxError the largest |x - x'| seen (values within the bound and out of it; NaN left out)
     * @param problem null when it matches; else the first value or byte at fault
     * @param rmse root mean squared error over the finite values (0 when lossless)
     * @param snrDb signal-to-noise ratio in dB, {@code 10 log10(sum x^2 / sum (x - x')^2)}; infinite when exact
     * @param values the finite values compared (0 for a header or a blob)
     * @param meanSquare the mean of x^2 over them: with {@code rmse}, what overall figures are made of
     */
    public record Check(
            Kind kind,
            String what,
            String file,
            String name,
            Dtype dtype,
            Codec codec,
            long bytes,
            double bound,
            double maxError,
            String problem,
            double rmse,
            double snrDb,
            long values,
            double meanSquare) {
        public boolean ok() {
            return problem == null;
        }
    }

    /**
     * @param checks every stream compared, in archive order
     * @param problems what does not match, one line each: first the files and tensors that differ in kind, name,
     *     dtype, shape or metadata, then the checks that failed
     */
    public record Report(List<Check> checks, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }

        /** The RMSE over every finite value of every tensor. */
        public double rmse() {
            double sse = 0;
            long n = 0;
            for (Check c : checks) {
                sse += c.rmse() * c.rmse() * c.values();
                n += c.values();
            }
            return n == 0 ? 0 : Math.sqrt(sse / n);
        }

        /** The SNR in dB over every finite value of every tensor; infinite when all are exact. */
        public double snrDb() {
            double sse = 0;
            double signal = 0;
            for (Check c : checks) {
                sse += c.rmse() * c.rmse() * c.values();
                signal += c.meanSquare() * c.values();
            }
            return sse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal / sse);
        }
    }

    /**
     * A stream of the archive and the original bytes it should give: a slice of {@code mapping}, the mapping of the
     * file {@code source}, or (an ONNX skeleton) bytes gathered off the heap.
     */
    private record Target(
            Kind kind,
            String what,
            String file,
            String name,
            Dtype dtype,
            Codec codec,
            Index.Stream stream,
            MemorySegment original,
            Path source,
            MemorySegment mapping) {}

    private record Job(int target, int chunk) {}

    /**
     * A chunk compared: its largest error, what is wrong with it first (null when nothing), its bound, the
     * sums for RMSE and SNR over its finite values, and what its codec's tensor check took from it (or null).
     */
    private record Outcome(
            int target,
            long bytes,
            double maxError,
            String problem,
            double bound,
            double squaredError,
            double squaredValue,
            long values,
            TensorCheck.Part part) {

        Outcome(int target, long bytes, double maxError, String problem) {
            this(target, bytes, maxError, problem, 0, 0, 0, 0, null);
        }
    }

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Compares {@code elfz} with {@code original}; uses the options' threads, kernel and progress (bytes decoded).
     *
     * @return what matches and what does not; an unreadable or damaged file is an exception instead
     */
    public static Report verify(Path original, Path elfz, ElfzOptions options) throws IOException {
        try (Archive r = Archive.open(elfz, options.kernel());
                Sources src = Sources.open(original, elfz)) {
            r.attachBase(options.base());
            r.checkBase();
            List<String> problems = new ArrayList<>();
            List<Target> targets = match(r, src, original, problems);
            List<Check> checks = compare(r, targets, options, problems);
            return new Report(List.copyOf(checks), List.copyOf(problems));
        }
    }

    /** Pairs the archive's files and tensors with the original's; what has no pair, or differs, is a problem. */
    private static List<Target> match(Archive r, Sources src, Path original, List<String> problems) {
        List<Target> targets = new ArrayList<>();
        if (r.directory() != src.directory()) {
            problems.add(original + " is a " + (src.directory() ? "directory" : "file") + " but " + r.path()
                    + " holds a " + (r.directory() ? "model directory" : "single file"));
            return targets;
        }
        Map<String, Sources.Source> left = new LinkedHashMap<>();
        for (Sources.Source s : src.files()) {
            // a single file may have been renamed since: it pairs with the first entry (its data files by location)
            left.put(
                    !r.directory() && s == src.files().getFirst()
                            ? r.index().files().getFirst().name()
                            : s.path(),
                    s);
        }
        for (Index.FileEntry f : r.index().files()) {
            Sources.Source s = left.remove(f.name());
            if (s == null) {
                problems.add(f.path() + ": in the archive, not in " + original);
            } else if (!f.kind().equals(s.kind())) {
                problems.add(f.path() + ": a " + f.kind() + " in the archive, not in " + original);
            } else if (!Index.KIND_BLOB.equals(f.kind())) {
                matchTensors(r, f, s, src.file(s), targets, problems);
            } else {
                targets.add(new Target(
                        Kind.BLOB,
                        f.path(),
                        f.path(),
                        null,
                        Dtype.U8,
                        Codec.RAW,
                        f.data(),
                        s.bytes(),
                        src.file(s),
                        s.mapping()));
            }
        }
        for (String path : left.keySet()) {
            problems.add(FileNames.display(path) + ": in " + original + ", not in the archive");
        }
        return targets;
    }

    private static void matchTensors(
            Archive r, Index.FileEntry f, Sources.Source o, Path source, List<Target> targets, List<String> problems) {
        if (o.safetensors() != null) {
            Map<String, String> metadata = f.metadata() == null ? Map.of() : f.metadata();
            if (!metadata.equals(o.safetensors().metadata())) {
                problems.add(f.path() + ": __metadata__ differs from the original's");
            }
            targets.add(new Target(
                    Kind.HEADER,
                    f.path() + " header",
                    f.path(),
                    null,
                    Dtype.U8,
                    Codec.RAW,
                    f.header(),
                    o.rest(),
                    source,
                    o.mapping()));
        } else {
            targets.add(new Target(
                    Kind.SKELETON,
                    f.path() + " skeleton",
                    f.path(),
                    null,
                    Dtype.U8,
                    Codec.RAW,
                    f.data(),
                    o.rest(),
                    source,
                    o.mapping()));
        }
        Map<String, TensorInfo> originals = new LinkedHashMap<>();
        for (TensorInfo t : o.tensors()) {
            originals.put(t.name(), t);
        }
        for (Index.TensorEntry entry : f.tensors()) {
            ElfzTensor t = r.tensor(f.name(), entry.name());
            String what = r.describe(t);
            TensorInfo ot = originals.remove(t.name());
            if (ot == null) {
                problems.add(what + ": in the archive, not in the original");
            } else if (ot.dtype() != t.dtype() || !Arrays.equals(ot.shape(), t.shape())) {
                problems.add(what + ": " + t.dtype() + " " + Arrays.toString(t.shape()) + " in the archive, "
                        + ot.dtype() + " " + Arrays.toString(ot.shape()) + " in the original");
            } else {
                targets.add(new Target(
                        Kind.TENSOR,
                        what,
                        f.path(),
                        t.name(),
                        t.dtype(),
                        t.codec(),
                        r.stream(t),
                        o.data(ot),
                        source,
                        o.mapping()));
            }
        }
        for (String name : originals.keySet()) {
            problems.add("tensor " + name + (r.directory() ? " of " + f.path() : "")
                    + ": in the original, not in the archive");
        }
    }

    /** Decodes and compares every chunk of the targets on the worker threads; one check per target. */
    private static List<Check> compare(Archive r, List<Target> targets, ElfzOptions o, List<String> problems)
            throws IOException {
        List<Job> jobs = new ArrayList<>();
        long total = 0;
        long chunkCap = 0;
        for (int t = 0; t < targets.size(); t++) {
            Index.Stream s = targets.get(t).stream();
            if (s.size() != targets.get(t).original().byteSize()) {
                continue; // a blob or header of another size: the check below says so
            }
            for (int i = 0; i < s.chunks().length; i++) {
                jobs.add(new Job(t, i));
            }
            total += s.size();
            chunkCap = Math.max(chunkCap, Math.min(s.chunkBytes(), s.size()));
        }
        double[] maxError = new double[targets.size()];
        String[] problem = new String[targets.size()];
        double[] bound = new double[targets.size()];
        double[] sse = new double[targets.size()];
        double[] ssx = new double[targets.size()];
        long[] count = new long[targets.size()];
        TensorCheck[] tensorChecks = new TensorCheck[targets.size()];
        for (int t = 0; t < targets.size(); t++) {
            tensorChecks[t] = tensorCheck(r, targets.get(t));
        }
        long cap = chunkCap;
        o.progress().start(total);
        try (Arena arena = Arena.ofShared()) {
            BufferPool buffers = new BufferPool(arena, 2 * cap); // the decoded chunk, then a copy of the original's
            Workers.ordered(
                    o.threads(),
                    jobs,
                    job -> {
                        MemorySegment buffer = buffers.take();
                        try {
                            return compareChunk(
                                    r,
                                    targets.get(job.target()),
                                    tensorChecks[job.target()],
                                    job,
                                    buffer.asSlice(0, cap),
                                    buffer.asSlice(cap, cap));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        } finally {
                            buffers.give(buffer);
                        }
                    },
                    done -> {
                        maxError[done.target()] = Math.max(maxError[done.target()], done.maxError());
                        bound[done.target()] = Math.max(bound[done.target()], done.bound());
                        sse[done.target()] += done.squaredError();
                        ssx[done.target()] += done.squaredValue();
                        count[done.target()] += done.values();
                        if (problem[done.target()] == null) {
                            problem[done.target()] = done.problem();
                        }
                        if (done.part() != null) { // chunks come in order
                            String bad = tensorChecks[done.target()].follow(done.part());
                            problem[done.target()] = problem[done.target()] == null ? bad : problem[done.target()];
                        }
                        o.progress().advance(done.bytes());
                    });
        } finally {
            o.progress().end();
        }
        List<Check> checks = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            if (t.stream().size() != t.original().byteSize()) {
                problem[i] = t.stream().size() + " bytes in the archive, "
                        + t.original().byteSize() + " in the original";
            }
            if (problem[i] == null && tensorChecks[i] != null) {
                problem[i] = tensorChecks[i].finish();
            }
            if (problem[i] != null) {
                problems.add(t.what() + ": " + problem[i]);
            }
            double promised = Codecs.of(t.codec()).errorBound(t.dtype());
            double b = Double.isNaN(promised) ? bound[i] : promised;
            checks.add(new Check(
                    t.kind(),
                    t.what(),
                    t.file(),
                    t.name(),
                    t.dtype(),
                    t.codec(),
                    t.stream().size(),
                    b,
                    maxError[i],
                    problem[i],
                    count[i] == 0 ? 0 : Math.sqrt(sse[i] / count[i]),
                    sse[i] == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(ssx[i] / sse[i]),
                    count[i],
                    count[i] == 0 ? 0 : ssx[i] / count[i]));
        }
        return checks;
    }

    /** Compares a chunk decoded into {@code buffer} with its original bytes, read into {@code copy}. */
    private static Outcome compareChunk(
            Archive r, Target t, TensorCheck tensorCheck, Job job, MemorySegment buffer, MemorySegment copy)
            throws IOException {
        Index.Stream s = t.stream();
        long start = job.chunk() * s.chunkBytes();
        long size = s.chunkSize(job.chunk());
        MemorySegment decoded = buffer.asSlice(0, size);
        r.decodeChunk(t.what(), s, t.dtype(), job.chunk(), decoded);
        MemorySegment original = original(t, start, copy.asSlice(0, size));
        long at = original.mismatch(decoded);
        ValueCodec codec = Codecs.of(t.codec());
        if (at < 0 && codec.lossless()) {
            return new Outcome(job.target(), size, 0, null);
        }
        if (codec.lossless() || t.dtype().elfType() == null) {
            return new Outcome(
                    job.target(),
                    size,
                    0,
                    String.format(
                            "byte %d differs (0x%02x in the original, 0x%02x decoded)",
                            start + at,
                            original.get(ValueLayout.JAVA_BYTE, at),
                            decoded.get(ValueLayout.JAVA_BYTE, at)));
        }
        ElfType type = t.dtype().elfType();
        int unit = type.valueBytes();
        Bounds bounds = r.chunkBounds(t.what(), s, t.dtype(), job.chunk());
        ValueCheck check = codec.check(r.params(s), t.dtype());
        double max = 0;
        double sse = 0;
        double ssx = 0;
        long count = 0;
        String problem = null;
        for (long i = 0; i < size / unit; i++) {
            double x = value(t.dtype(), original, i);
            double y = value(t.dtype(), decoded, i);
            double error = Math.abs(x - y);
            if (Double.isFinite(error)) {
                max = Math.max(max, error);
                sse += error * error;
                ssx += x * x;
                count++;
            }
            if (at < 0 || bits(unit, original, i) == bits(unit, decoded, i)) {
                continue; // equal bits are exact, whatever the values (NaN, Inf)
            }
            String bad = check.outside(x, y, bounds.at().applyAsDouble(i));
            if (bad != null && problem == null) {
                problem = "value " + (start / unit + i) + ": " + show(t.dtype(), x) + " decoded as "
                        + show(t.dtype(), y) + ", " + bad;
            }
        }
        TensorCheck.Part part = tensorCheck == null ? null : tensorPart(r, t, tensorCheck, job.chunk(), original);
        return new Outcome(job.target(), size, max, problem, bounds.max(), sse, ssx, count, part);
    }

    /**
     * Bytes {@code [start, start + into.byteSize())} of a target's original, read into {@code into}: from its file by
     * positional reads ({@link Chunks}, as decompression reads the archive) when they are a slice of its mapping,
     * copied when they were gathered off the heap. Reading the mapping itself and letting each chunk's pages go kept
     * resident memory growing with the file (about 170 MB for 4 GB): the faults that map the next chunk map the whole
     * page-cache folio, the tail of the chunk before it too, after that was let go. A positional read maps nothing.
     */
    private static MemorySegment original(Target t, long start, MemorySegment into) throws IOException {
        MemorySegment part = t.original().asSlice(start, into.byteSize());
        long offset = part.address() - t.mapping().address();
        if (!part.isMapped() || offset < 0 || offset > t.mapping().byteSize() - part.byteSize()) {
            return MappedInput.copy(t.source(), part, into); // off-heap memory: no page to let go
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(t.source(), StandardOpenOption.READ);
        } catch (IOException e) {
            throw new ElfzException(t.source(), "cannot be read: " + e.getMessage(), e);
        }
        try (Chunks file = new Chunks(t.source(), channel, t.mapping())) {
            return file.read(offset, into);
        }
    }

    /** The check of a whole tensor its codec makes (ValueCodec#tensorCheck), or null (other streams, other codecs). */
    private static TensorCheck tensorCheck(Archive r, Target t) {
        if (t.kind() != Kind.TENSOR || t.dtype().elfType() == null) {
            return null;
        }
        return Codecs.of(t.codec()).tensorCheck(r.params(t.stream()), t.dtype());
    }

    /** What a tensor check takes from chunk {@code c}, whose original values are {@code original}. */
    private static TensorCheck.Part tensorPart(Archive r, Target t, TensorCheck check, int c, MemorySegment original)
            throws ElfzException {
        Index.Stream s = t.stream();
        boolean coded = s.chunks()[c][Index.Stream.CODED] != 0;
        MemorySegment codes = check.readsCoded() && coded ? r.codedChunk(t.what(), s, c) : null;
        try {
            return check.part(
                    original,
                    c * s.chunkBytes() / t.dtype().elfType().valueBytes(),
                    codes,
                    c == s.chunks().length - 1,
                    x -> true);
        } catch (CorruptDataException e) {
            throw new ElfzException(
                    r.path(), t.what() + ": chunk " + c + " of " + s.chunks().length + ": " + e.getMessage(), e);
        }
    }

    /** Value {@code i} of a little-endian float tensor of an ELF dtype, exactly, as a double. */
    static double value(Dtype dtype, MemorySegment s, long i) {
        return switch (dtype) {
            case F32 -> Float.intBitsToFloat(s.getAtIndex(U32, i));
            case F64 -> Double.longBitsToDouble(s.getAtIndex(U64, i));
            case F16 -> Float.float16ToFloat(s.getAtIndex(U16, i));
            case BF16 -> Float.intBitsToFloat(s.getAtIndex(U16, i) << 16);
            default -> throw new IllegalArgumentException(dtype + " is not an ELF float");
        };
    }

    private static long bits(int unit, MemorySegment s, long i) {
        return switch (unit) {
            case 2 -> s.getAtIndex(U16, i);
            case 4 -> s.getAtIndex(U32, i);
            default -> s.getAtIndex(U64, i);
        };
    }

    /** The shortest decimal that gives the value back in its own precision. */
    private static String show(Dtype dtype, double v) {
        return dtype == Dtype.F64 ? Double.toString(v) : Float.toString((float) v);
    }
}
