package dev.elfz.analyze;

import com.dynatrace.hash4j.hashing.HashStream128;
import dev.elfz.Dtype;
import dev.elfz.container.Sources;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.io.Pages;
import dev.elfz.kernel.ElfType;
import dev.elfz.safetensors.TensorInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The scan of a tensor's windows, which {@link Analysis} and elfz-spark's tasks both run: {@link #window} is the part
 * of a window of {@link Analysis#WINDOW} bytes that depends on no other (copy, 512-byte and 4 KiB chunk hashes, the
 * piece's hash, value statistics: {@link Analysis} runs it on worker threads), a {@link TensorPass} takes the windows
 * in order (the tensor's hash, FastCDC's cuts, its range) and hands every fingerprint to a {@link Sink}: Analysis
 * looks them up in its tables, a Spark task hands them to a shuffle, where a duplicate is a fingerprint met before in
 * (file, {@link #sequence}) order, as in one {@link Analysis} over the files in order.
 *
 * <p>For elfz-spark: {@link #scan} is a task's part (tensors {@code [from, to)} of one file), {@link #samplePlan}
 * tells the tasks which bytes the estimate samples, and {@link #report} builds {@code elfz analyze}'s report from the
 * shuffle's counts and the tasks' small results.
 */
public final class FileScan {

    /** The fingerprint kinds a {@link Sink} is given. */
    public static final int FIXED_4K = 0, FIXED_512 = 1, CDC = 2, TENSOR = 3, KINDS = 4;

    /** What a scan finds, in order; {@code low} is 0 except for {@link #TENSOR}s (128-bit). */
    @FunctionalInterface
    public interface Sink {
        void fingerprint(int kind, long high, long low, long sequence, Dtype dtype, long length);
    }

    /** A tensor's header facts. */
    public record Tensor(String name, Dtype dtype, long[] shape, long bytes, long elements) implements Serializable {}

    /**
     * A file's header: its kind ("safetensors", "onnx", "gguf", "torch"), bytes (an ONNX model's data files
     * included), and its tensors in the order scanned.
     */
    public record Header(String kind, long bytes, List<Tensor> tensors) implements Serializable {
        public long tensorBytes() {
            return tensors.stream().mapToLong(Tensor::bytes).sum();
        }
    }

    /**
     * The order of a fingerprint in its file: tensor, then chunk (or window) number in the tensor. A tensor's own
     * fingerprint comes after its chunks' (it is complete at its last window).
     */
    public static long sequence(int tensor, long chunk) {
        return ((long) tensor << 36) | chunk;
    }

    private static final long TENSOR_LAST = (1L << 36) - 1;

    /** The kind of a file by its name as {@code elfz analyze} tells it, or null when it is none it reads. */
    public static String kind(String name) {
        String k = Analysis.kind(Path.of(name.substring(name.lastIndexOf('/') + 1)));
        return "elfz".equals(k) ? null : k;
    }

    /** A file's header, or null for a .bin/.pt/.pth file that is no checkpoint (as a directory walk skips it). */
    public static Header header(Path file) throws IOException {
        String kind = kind(file.toString());
        if (kind == null) {
            throw new IOException(file + ": not a .safetensors, .onnx, .gguf or PyTorch (.bin, .pt, .pth) file");
        }
        if (!Analysis.maybeTorch(file)) {
            return null;
        }
        try (Sources.Source s = Sources.Source.open(file.toString(), file)) {
            List<Tensor> tensors = new ArrayList<>();
            long bytes = 0;
            for (Sources.Source part : Analysis.parts(s)) {
                for (TensorInfo t : part.tensors()) {
                    tensors.add(new Tensor(t.name(), t.dtype(), t.shape(), t.byteSize(), t.elements()));
                }
                bytes += part.size();
            }
            return new Header(kind, bytes, List.copyOf(tensors));
        }
    }

    /**
     * A task's result: value statistics per float dtype (merged window after window in order), each tensor's hash
     * ({@code high, low} in order) and the estimate's sample of the tensors {@link #samplePlan} named.
     */
    public record ScanResult(Map<Dtype, byte[]> values, long[] hashes, List<Sampled> samples) implements Serializable {}

    /**
     * The estimate's sample of one tensor: the bytes of its places ({@code at, length} pairs, in order) and its range.
     */
    public record Sampled(int tensor, long[] places, byte[] bytes, float lo, float hi, boolean finite)
            implements Serializable {}

    /**
     * Scans tensors {@code [from, to)} of {@code file}: fingerprints to {@code sink}; copies the places {@code sample}
     * names (tensor number to {@code at, length} pairs: {@link #samplePlan}).
     */
    public static ScanResult scan(Path file, int from, int to, FastCdc cdc, Sink sink, Map<Integer, long[]> sample)
            throws IOException {
        Map<Dtype, ValueSummary> values = new TreeMap<>();
        List<Sampled> samples = new ArrayList<>();
        long[] hashes = new long[2 * Math.max(0, to - from)];
        byte[] heap = new byte[(int) Analysis.WINDOW + cdc.max()];
        ValueSummary.Scratch scratch = new ValueSummary.Scratch();
        try (Sources.Source s = Sources.Source.open(file.toString(), file)) {
            int index = 0;
            for (Sources.Source part : Analysis.parts(s)) {
                Path path = Path.of(part.path());
                for (TensorInfo t : part.tensors()) {
                    if (index >= from && index < to) {
                        MemorySegment data = part.data(t);
                        TensorPass pass = new TensorPass(path, t, data, index, cdc);
                        for (long w : pass.windows()) {
                            Window r = window(path, t.dtype().elfType(), data, w, cdc, heap, scratch);
                            pass.merge(r, sink);
                            if (r.values() != null) {
                                values.computeIfAbsent(t.dtype(), d -> new ValueSummary())
                                        .add(r.values());
                            }
                        }
                        SegmentHash.Hash128 h = pass.finish(sink);
                        hashes[2 * (index - from)] = h.high();
                        hashes[2 * (index - from) + 1] = h.low();
                        long[] places = sample.get(index);
                        if (places != null) {
                            samples.add(sampled(path, index, data, places, pass.range()));
                        }
                    }
                    index++;
                }
            }
        }
        Map<Dtype, byte[]> out = new TreeMap<>();
        values.forEach((d, v) -> out.put(d, bytes(v)));
        return new ScanResult(out, hashes, samples);
    }

    /** Copies a tensor's sampled places out of its mapping. */
    private static Sampled sampled(Path file, int index, MemorySegment data, long[] places, ValueRange range)
            throws InputChangedException {
        long total = 0;
        for (int i = 1; i < places.length; i += 2) {
            total += places[i];
        }
        byte[] bytes = new byte[Math.toIntExact(total)];
        int at = 0;
        for (int i = 0; i < places.length; i += 2) {
            MappedInput.copy(
                    file,
                    data.asSlice(places[i], places[i + 1]),
                    MemorySegment.ofArray(bytes).asSlice(at));
            at += (int) places[i + 1];
        }
        return new Sampled(index, places, bytes, range.lo(), range.hi(), range.finite());
    }

    /**
     * What a window of a tensor holds that depends on no other window: bytes [from, to) of the tensor, copied into
     * {@code copy} from {@code base} (up to FastCDC's maximum chunk before the window, from which the pass cuts the
     * chunks that straddle windows, then the window), its piece hash, its 512-byte and 4 KiB chunks' fingerprints in
     * order, its value statistics (null for a dtype that is no float).
     */
    record Window(
            long from,
            long to,
            long base,
            byte[] copy,
            SegmentHash.Hash128 piece,
            long[] fixed512,
            long[] fixed4k,
            ValueSummary values) {}

    /**
     * Reads the window of {@code data} (a mapping of {@code file}) from {@code from} into {@code heap} (at least
     * {@link Analysis#WINDOW} plus FastCDC's maximum; nothing reads the mapped file in place), and hashes and sums it
     * up.
     */
    static Window window(
            Path file,
            ElfType type,
            MemorySegment data,
            long from,
            FastCdc cdc,
            byte[] heap,
            ValueSummary.Scratch scratch)
            throws InputChangedException {
        long to = Math.min(data.byteSize(), from + Analysis.WINDOW);
        long base = Math.max(0, from - cdc.max());
        int lead = (int) (from - base);
        MemorySegment mapped = data.asSlice(base, to - base);
        Pages.populate(mapped);
        MappedInput.copy(file, mapped, MemorySegment.ofArray(heap));
        int n = (int) (to - from);
        long[] small = new long[(n + Analysis.FIXED_SMALL - 1) / Analysis.FIXED_SMALL];
        for (int i = 0; i < small.length; i++) {
            int o = i * Analysis.FIXED_SMALL;
            small[i] = SegmentHash.chunk(heap, lead + o, Math.min(Analysis.FIXED_SMALL, n - o));
        }
        int parts = Analysis.FIXED_LARGE / Analysis.FIXED_SMALL; // WINDOW is a multiple of both: none straddles
        long[] large = new long[(small.length + parts - 1) / parts];
        for (int i = 0; i < large.length; i++) {
            long o = (long) i * Analysis.FIXED_LARGE;
            large[i] = SegmentHash.combine(
                    small, i * parts, Math.min(parts, small.length - i * parts), Math.min(Analysis.FIXED_LARGE, n - o));
        }
        ValueSummary values = null;
        if (type != null) {
            values = new ValueSummary();
            values.add(type, MemorySegment.ofArray(heap).asSlice(lead, n), scratch);
        }
        return new Window(from, to, base, heap, SegmentHash.piece(heap, lead, n), small, large, values);
    }

    /**
     * A tensor's windows taken in order: the parts that depend on the windows before (the tensor's hash, FastCDC,
     * whose every cut depends on the one before, its range), its fingerprints handed to a sink, its pages let go.
     */
    static final class TensorPass {
        private final Path file;
        private final TensorInfo tensor;
        private final MemorySegment data;
        private final int index;
        private final FastCdc cdc;
        private final HashStream128 whole;
        private long cdcAt, released, n512, n4k, nCdc;
        private double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        private long notFinite;

        TensorPass(Path file, TensorInfo tensor, MemorySegment data, int index, FastCdc cdc) {
            this.file = file;
            this.tensor = tensor;
            this.data = data;
            this.index = index;
            this.cdc = cdc;
            this.whole = SegmentHash.tensorStream(tensor.dtype(), tensor.shape(), data.byteSize());
        }

        /** Where the windows start (an empty tensor has one empty window). */
        long[] windows() {
            long size = data.byteSize();
            long[] out = new long[(int) Math.max(1, Math.ceilDiv(size, Analysis.WINDOW))];
            for (int i = 0; i < out.length; i++) {
                out[i] = i * Analysis.WINDOW;
            }
            return out;
        }

        Path file() {
            return file;
        }

        TensorInfo tensor() {
            return tensor;
        }

        MemorySegment data() {
            return data;
        }

        /** Takes the next window: its chunks' fingerprints to {@code sink}, FastCDC's cuts as far as they can go. */
        void merge(Window r, Sink sink) {
            Dtype dtype = tensor.dtype();
            long size = data.byteSize();
            long n = r.to() - r.from();
            if (n > 0) {
                SegmentHash.put(whole, r.piece());
            }
            for (int i = 0; i < r.fixed512().length; i++) {
                long length = Math.min(Analysis.FIXED_SMALL, n - (long) i * Analysis.FIXED_SMALL);
                sink.fingerprint(
                        FIXED_512, FingerprintSet.stored(r.fixed512()[i]), 0, sequence(index, n512++), dtype, length);
            }
            for (int i = 0; i < r.fixed4k().length; i++) {
                long length = Math.min(Analysis.FIXED_LARGE, n - (long) i * Analysis.FIXED_LARGE);
                sink.fingerprint(
                        FIXED_4K, FingerprintSet.stored(r.fixed4k()[i]), 0, sequence(index, n4k++), dtype, length);
            }
            // a chunk is cut only when all its bytes up to the maximum are here (or the tensor ends), from the
            // window's copy, which starts at most a maximum chunk before the window (where the last cut left cdcAt)
            MemorySegment copy = MemorySegment.ofArray(r.copy()).asSlice(0, r.to() - r.base());
            while (cdcAt < size && (r.to() == size || cdcAt + cdc.max() <= r.to())) {
                long c = cdc.next(copy, cdcAt - r.base(), size - r.base());
                long f = SegmentHash.chunk(r.copy(), (int) (cdcAt - r.base()), (int) c);
                sink.fingerprint(CDC, FingerprintSet.stored(f), 0, sequence(index, nCdc++), dtype, c);
                cdcAt += c;
            }
            if (r.values() != null) {
                min = Math.min(min, r.values().min);
                max = Math.max(max, r.values().max);
                notFinite += r.values().nan + r.values().inf;
            }
            long done = Math.min(cdcAt, r.to()); // bytes of chunks still to cut stay mapped
            if (done > released) {
                Pages.release(data.asSlice(released, done - released));
                released = done;
            }
        }

        /** After the last window: the tensor's hash, also handed to {@code sink} ({@link #TENSOR}). */
        SegmentHash.Hash128 finish(Sink sink) {
            SegmentHash.Hash128 h = SegmentHash.value(whole);
            sink.fingerprint(TENSOR, h.high(), h.low(), sequence(index, TENSOR_LAST), tensor.dtype(), data.byteSize());
            return h;
        }

        /** The float32 range of the values merged (null for a dtype that is no float). */
        ValueRange range() {
            if (tensor.dtype().elfType() == null) {
                return null;
            }
            float lo = (float) min, hi = (float) max;
            return new ValueRange(lo, hi, notFinite == 0 && Float.isFinite(lo) && Float.isFinite(hi));
        }
    }

    /** A {@link ValueSummary} as bytes (to travel between machines). */
    static byte[] bytes(ValueSummary v) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream o = new DataOutputStream(b)) {
            for (long x : new long[] {v.values, v.inUnit, v.nan, v.inf, v.finite}) {
                o.writeLong(x);
            }
            for (long x : v.counts) {
                o.writeLong(x);
            }
            for (double x : new double[] {v.min, v.max, v.mean, v.m2}) {
                o.writeDouble(x);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    static ValueSummary summary(byte[] bytes) {
        ValueSummary v = new ValueSummary();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            v.values = in.readLong();
            v.inUnit = in.readLong();
            v.nan = in.readLong();
            v.inf = in.readLong();
            v.finite = in.readLong();
            for (int i = 0; i < v.counts.length; i++) {
                v.counts[i] = in.readLong();
            }
            v.min = in.readDouble();
            v.max = in.readDouble();
            v.mean = in.readDouble();
            v.m2 = in.readDouble();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return v;
    }

    /**
     * What the shuffle counted for one fingerprint kind and one dtype.
     *
     * @param chunks fingerprints of this dtype
     * @param bytes their bytes
     * @param firstBytes bytes of the fingerprints of this dtype that were the first of their value
     * @param distinct how many were the first of their value
     */
    public record Counts(long chunks, long bytes, long firstBytes, long distinct) {
        public long duplicates() {
            return chunks - distinct;
        }

        public long duplicateBytes() {
            return bytes - firstBytes;
        }
    }

    /** A file's row of the report: its header and its slices' results, in order. */
    public record FileResult(String path, Header header, List<ScanResult> slices) {}

    /** The float tensor bytes of these files: what the estimate's stride is cut from. */
    private static long floatBytes(List<Header> headers) {
        long n = 0;
        for (Header h : headers) {
            for (Tensor t : h.tensors()) {
                n += t.dtype().elfType() != null ? t.bytes() : 0;
            }
        }
        return n;
    }

    /**
     * Where {@code elfz analyze}'s estimate samples these files (in order): per file, tensor number to {@code at,
     * length} pairs, the places {@link #scan} copies. The same sampling as the estimate's own, sizes alone.
     */
    public static List<Map<Integer, long[]>> samplePlan(List<Header> headers) {
        List<Map<Integer, long[]>> out = new ArrayList<>();
        try (CodecEstimate plan = new CodecEstimate(floatBytes(headers))) {
            for (Header h : headers) {
                Map<Integer, long[]> file = new TreeMap<>();
                for (int k = 0; k < h.tensors().size(); k++) {
                    Tensor t = h.tensors().get(k);
                    List<CodecEstimate.Place> places = plan.offer(t.dtype(), t.shape(), t.bytes(), null);
                    if (!places.isEmpty()) {
                        long[] flat = new long[2 * places.size()];
                        for (int i = 0; i < places.size(); i++) {
                            flat[2 * i] = places.get(i).at();
                            flat[2 * i + 1] = places.get(i).length();
                        }
                        file.put(k, flat);
                    }
                }
                plan.addStored(h.bytes() - h.tensorBytes());
                out.add(file);
            }
        }
        return out;
    }

    /** The estimates of the pairs' candidates, in order (a Spark job runs them as tasks). */
    @FunctionalInterface
    public interface PairEstimates {
        List<Pairs.Estimates> of(List<Pairs.Candidate> candidates) throws IOException;
    }

    /** The predictions from the tasks' samples: the estimate fed what it would have read, in the same order. */
    static List<CodecEstimate.Prediction> predictions(List<FileResult> files, int threads) {
        try (CodecEstimate e = new CodecEstimate(
                floatBytes(files.stream().map(FileResult::header).toList()))) {
            for (FileResult f : files) {
                Map<Integer, Sampled> samples = new TreeMap<>();
                f.slices().forEach(r -> r.samples().forEach(x -> samples.put(x.tensor(), x)));
                List<Tensor> ts = f.header().tensors();
                for (int k = 0; k < ts.size(); k++) {
                    Tensor t = ts.get(k);
                    e.offer(t.dtype(), t.shape(), t.bytes(), pieces(f.path(), k, samples.get(k)));
                }
                e.addStored(f.header().bytes() - f.header().tensorBytes());
            }
            return e.predictions(threads);
        }
    }

    /** A tensor's sample as the estimate reads it; none: a tensor that was to be sampled fails loudly. */
    private static CodecEstimate.Pieces pieces(String file, int tensor, Sampled s) {
        return new CodecEstimate.Pieces() {
            @Override
            public void copy(long at, MemorySegment into) {
                long offset = 0;
                for (int i = 0; s != null && i < s.places().length; i += 2) {
                    if (s.places()[i] == at && s.places()[i + 1] == into.byteSize()) {
                        MemorySegment.copy(MemorySegment.ofArray(s.bytes()), offset, into, 0, into.byteSize());
                        return;
                    }
                    offset += s.places()[i + 1];
                }
                throw new IllegalStateException(file + ": tensor " + tensor + " has no sample at " + at);
            }

            @Override
            public ValueRange range() {
                return new ValueRange(s.lo(), s.hi(), s.finite());
            }
        };
    }

    /** The likely fine-tunes: {@link Pairs}' candidates, their estimates, the choice. */
    static List<Analysis.Pair> pairs(List<FileResult> files, PairEstimates estimates) throws IOException {
        List<Pairs.Model> models = new ArrayList<>();
        for (FileResult f : files) {
            List<String> signature = new ArrayList<>();
            long floats = 0;
            for (Tensor t : f.header().tensors()) {
                signature.add(Pairs.signature(t.name(), t.dtype(), t.shape()));
                floats += t.dtype().elfType() != null ? t.bytes() : 0;
            }
            List<SegmentHash.Hash128> hashes = new ArrayList<>();
            for (ScanResult r : f.slices()) {
                for (int i = 0; i < r.hashes().length; i += 2) {
                    hashes.add(new SegmentHash.Hash128(r.hashes()[i], r.hashes()[i + 1]));
                }
            }
            models.add(new Pairs.Model(f.path(), List.copyOf(signature), List.copyOf(hashes), floats));
        }
        List<Pairs.Candidate> candidates = Pairs.candidates(models);
        return Pairs.choose(candidates, candidates.isEmpty() ? List.of() : estimates.of(candidates));
    }

    /**
     * {@code elfz analyze}'s report from the files' results (in order) and the counts per fingerprint kind and dtype:
     * the predictions from the samples (coded on {@code threads} threads), the pairs from {@code estimates}. There
     * are no fingerprint tables in memory (memory fields 0).
     */
    public static Analysis.Report report(
            List<FileResult> files, Map<Dtype, Counts[]> counts, int threads, PairEstimates estimates)
            throws IOException {
        Map<Dtype, Analysis.Acc> acc = new TreeMap<>();
        List<Analysis.FileStats> stats = new ArrayList<>();
        for (FileResult f : files) {
            for (Tensor t : f.header().tensors()) {
                Analysis.Acc a = acc.computeIfAbsent(t.dtype(), d -> new Analysis.Acc());
                a.layers++;
                a.bytes += t.bytes();
                a.parameters += t.elements();
                a.scanned += t.bytes();
            }
            for (ScanResult r : f.slices()) {
                r.values().forEach((d, b) -> acc.get(d).values.add(summary(b)));
            }
            stats.add(new Analysis.FileStats(
                    f.path(),
                    f.header().kind(),
                    f.header().bytes(),
                    f.header().tensors().size(),
                    f.header().tensorBytes()));
        }
        long[] chunks = new long[KINDS], distinct = new long[KINDS];
        counts.forEach((d, c) -> {
            Analysis.Acc a = acc.get(d);
            a.fixed4k = c[FIXED_4K].duplicateBytes();
            a.fixed512 = c[FIXED_512].duplicateBytes();
            a.cdcBytes = c[CDC].duplicateBytes();
            a.dupLayers = c[TENSOR].duplicates();
            a.dupLayerBytes = c[TENSOR].duplicateBytes();
            for (int k = 0; k < KINDS; k++) {
                chunks[k] += c[k].chunks();
                distinct[k] += c[k].distinct();
            }
        });
        return Analysis.report(
                stats,
                acc,
                new Analysis.ChunkIndex(
                        chunks[FIXED_4K],
                        chunks[FIXED_512],
                        chunks[CDC],
                        distinct[FIXED_4K],
                        distinct[FIXED_512],
                        distinct[CDC],
                        0,
                        0,
                        false),
                predictions(files, threads),
                pairs(files, estimates));
    }
}
