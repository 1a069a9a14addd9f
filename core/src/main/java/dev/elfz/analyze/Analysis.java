package dev.elfz.analyze;

import com.sun.management.OperatingSystemMXBean;
import dev.elfz.Dtype;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import dev.elfz.container.Sources;
import dev.elfz.container.Workers;
import dev.elfz.gguf.GgufFile;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.onnx.OnnxFile;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.torch.TorchFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;

/**
 * What is inside a set of model files: per dtype, layer counts and
 * sizes, float value statistics, and how much repeats, as whole tensors and as chunks (fixed 4 KiB and 512 B, and
 * FastCDC). .elfz files are described from their index (dtype, shape, size: no values, no duplication).
 *
 * <p>Safetensors files are mapped and read once, in windows of {@link #WINDOW} bytes of a tensor. Worker threads
 * scan windows side by side: page them in, hash them (the tensor's piece, the 512-byte chunks and from those the
 * 4 KiB ones) and sum up the values. This thread takes the windows' results in order: it looks the fingerprints up,
 * cuts and hashes the FastCDC chunks (each cut depends on the one before), merges the statistics and lets the
 * pages go. So the result does not depend on the number of threads, and resident memory stays a few windows per
 * thread whatever the files' size. Memory otherwise: the three fingerprint tables, off the heap, within
 * {@link Options#memory} (8 to 16 bytes per distinct chunk), and about 100 bytes per tensor.
 */
public final class Analysis {

    /** Values per block for the statistics (their mean and sum of squares merge exactly enough per block). */
    static final int BLOCK = ValueSummary.BLOCK;

    /** Bytes of a tensor read at a time (a multiple of the fixed chunk sizes and of every value size). */
    static final long WINDOW = SegmentHash.PIECE;

    /** The chunk sizes of the fixed chunkings. */
    public static final int FIXED_LARGE = 4096;

    public static final int FIXED_SMALL = 512;

    /**
     * The statistics of one dtype's float values; NaN and Inf are counted, not included in min, max, mean, std.
     *
     * @param inUnit values v with -1 < v < 1
     * @param inUnitShare inUnit over all values (NaN and Inf included)
     */
    public record ValueStats(
            long values,
            long inUnit,
            double inUnitShare,
            double min,
            double max,
            double mean,
            double std,
            long nan,
            long inf,
            Histogram histogram) {}

    /**
     * Finite values counted in {@link #BINS} equal bins over [low, high); {@code below} and {@code above} count the
     * finite values outside (NaN and Inf are in {@link ValueStats}).
     */
    public record Histogram(double low, double high, long below, long[] counts, long above) {}

    /** The histogram's bins over [-2, 2): 0.02 wide, (-1, 1) is bins 50 to 149. */
    public static final int BINS = ValueSummary.BINS;

    public static final double HISTOGRAM_LOW = ValueSummary.LOW;
    public static final double HISTOGRAM_HIGH = ValueSummary.HIGH;

    /**
     * Duplicated bytes of one dtype (or all): of whole tensors, and of chunks under the three chunkings. A
     * duplicate is a tensor or chunk equal to one met before (in this or an earlier file), so the counts are what
     * deduplication would save.
     *
     * @param scannedBytes bytes of the safetensors tensors looked at (.elfz tensors are not)
     */
    public record Duplication(
            long scannedBytes,
            long duplicateLayers,
            long duplicateLayerBytes,
            long fixed4kBytes,
            long fixed512Bytes,
            long cdcBytes) {}

    /**
     * One row of the per-dtype table.
     *
     * @param values null for non-float dtypes and when no float value was read (only .elfz files)
     */
    public record DtypeStats(
            String dtype,
            long layers,
            double layerShare,
            long bytes,
            double byteShare,
            long parameters,
            double averageParameters,
            double averageBytes,
            ValueStats values,
            Duplication duplication) {}

    /** @param kind "safetensors", "onnx" or "elfz" */
    public record FileStats(String path, String kind, long bytes, int tensors, long tensorBytes) {}

    /**
     * Chunk fingerprint sets at the end.
     *
     * @param memoryBytes what the three tables take at the end (off the heap)
     * @param memoryLimit what they were allowed to take ({@link Options#memory})
     * @param saturated true when a table could not grow within the limit: duplicate chunk bytes are then a lower
     *     bound
     */
    public record ChunkIndex(
            long fixed4kChunks,
            long fixed512Chunks,
            long cdcChunks,
            long distinctFixed4k,
            long distinctFixed512,
            long distinctCdc,
            long memoryBytes,
            long memoryLimit,
            boolean saturated) {}

    /**
     * The whole result.
     *
     * @param predictions what {@code elfz compress} would give the safetensors files in a few modes, estimated
     *     ({@link CodecEstimate}); empty when there are none
     * @param pairs likely base and fine-tune pairs among the files ({@link Pairs})
     */
    public record Report(
            List<FileStats> files,
            long tensors,
            long bytes,
            List<DtypeStats> dtypes,
            DtypeStats total,
            ChunkIndex chunkIndex,
            List<CodecEstimate.Prediction> predictions,
            List<Pair> pairs) {}

    /**
     * A likely base and fine-tune: files with the same tensors whose XOR codes much smaller than the fine-tune alone.
     *
     * @param tensors the fine-tune's tensors
     * @param changedTensors those whose bytes differ from the base's
     * @param alone the estimate of {@code elfz compress --codec lossless FINE_TUNE}
     * @param delta the estimate of {@code elfz compress FINE_TUNE --base BASE} (the XOR coded losslessly)
     */
    public record Pair(
            String base,
            String fineTune,
            int tensors,
            int changedTensors,
            CodecEstimate.Prediction alone,
            CodecEstimate.Prediction delta) {}

    /**
     * How an analysis runs.
     *
     * @param threads worker threads scanning windows (at least 1)
     * @param memory bytes the fingerprint tables may take together
     * @param progress told the safetensors bytes to scan and each window done
     */
    public record Options(int threads, long memory, FastCdc cdc, ElfzOptions.Progress progress) {

        public Options {
            if (threads < 1 || memory < 0) {
                throw new IllegalArgumentException("threads " + threads + ", memory " + memory);
            }
        }

        /** One thread per core, half of the machine's memory for the tables, FastCDC's default sizes. */
        public static Options defaults() {
            return new Options(
                    Runtime.getRuntime().availableProcessors(),
                    physicalMemory() / 2,
                    FastCdc.DEFAULT,
                    ElfzOptions.Progress.NONE);
        }

        public Options withThreads(int t) {
            return new Options(t, memory, cdc, progress);
        }

        public Options withMemory(long m) {
            return new Options(threads, m, cdc, progress);
        }

        public Options withProgress(ElfzOptions.Progress p) {
            return new Options(threads, memory, cdc, p);
        }
    }

    /** The machine's memory (4 GiB if the JVM cannot tell). */
    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 4L << 30;
    }

    private final Options options;
    private final Queue<byte[]> copies = new ConcurrentLinkedQueue<>(); // windows' bytes, one per window in flight

    public Analysis() {
        this(Options.defaults());
    }

    public Analysis(Options options) {
        this.options = options;
    }

    /**
     * Every .safetensors, .onnx and .elfz file under these paths (directories recursively, symbolic links
     * followed).
     */
    public static List<Path> files(List<Path> paths) throws IOException {
        List<Path> out = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (Path p : paths) {
            if (!Files.exists(p)) {
                throw new NoSuchFileException(p.toString());
            }
            if (Files.isDirectory(p)) {
                List<Path> found;
                try (Stream<Path> s = Files.walk(p, FileVisitOption.FOLLOW_LINKS)) {
                    found = s.filter(f -> Files.isRegularFile(f) && kind(f) != null && maybeTorch(f))
                            .sorted()
                            .toList();
                } catch (UncheckedIOException e) { // a link loop, an unreadable directory
                    throw e.getCause();
                }
                for (Path f : found) {
                    if (seen.add(f.toRealPath())) {
                        out.add(f);
                    }
                }
            } else {
                if (kind(p) == null) {
                    throw new IOException(
                            p + ": not a .safetensors, .onnx, .gguf, PyTorch (.bin, .pt, .pth) or .elfz file");
                }
                if (seen.add(p.toRealPath())) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    static String kind(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".safetensors")
                ? "safetensors"
                : n.endsWith(OnnxFile.SUFFIX)
                        ? "onnx"
                        : n.endsWith(GgufFile.SUFFIX)
                                ? "gguf"
                                : TorchFile.named(n) ? "torch" : n.endsWith(".elfz") ? "elfz" : null;
    }

    /** In a directory, a .bin, .pt or .pth file counts only if it begins as a checkpoint (not every .bin is one). */
    static boolean maybeTorch(Path p) {
        try {
            return !"torch".equals(kind(p)) || TorchFile.looksLike(p);
        } catch (IOException e) {
            return true; // opening it again says what is wrong
        }
    }

    /** A file and the external data files of an ONNX model. */
    static List<Sources.Source> parts(Sources.Source s) {
        List<Sources.Source> parts = new ArrayList<>(List.of(s));
        parts.addAll(s.externalData());
        return parts;
    }

    /** Analyses every .safetensors, .onnx, .gguf, PyTorch and .elfz file under these paths. */
    public Report run(List<Path> paths) throws IOException {
        List<Path> files = files(paths);
        try (Run run = new Run()) {
            return run.analyse(files);
        }
    }

    /** Per-dtype accumulators. */
    static final class Acc {
        long layers, bytes, parameters;
        final ValueSummary values = new ValueSummary();
        long scanned, dupLayers, dupLayerBytes, fixed4k, fixed512, cdcBytes;

        void add(Acc a) {
            layers += a.layers;
            bytes += a.bytes;
            parameters += a.parameters;
            values.add(a.values);
            scanned += a.scanned;
            dupLayers += a.dupLayers;
            dupLayerBytes += a.dupLayerBytes;
            fixed4k += a.fixed4k;
            fixed512 += a.fixed512;
            cdcBytes += a.cdcBytes;
        }
    }

    /** A window of a tensor to scan: where it starts, its tensor's pass and its dtype's row. */
    private record Job(FileScan.TensorPass pass, Acc acc, long from) {}

    /** A window scanned, for the ordered merge. */
    private record Scanned(Job job, FileScan.Window window) {}

    /** A worker's buffers. */
    private static final ThreadLocal<ValueSummary.Scratch> SCRATCH = ThreadLocal.withInitial(ValueSummary.Scratch::new);

    /** The worker's part: {@link FileScan#window}, into a copy buffer from the pool. */
    private Scanned scan(Job j) {
        byte[] heap = copies.poll();
        if (heap == null) {
            heap = new byte[(int) WINDOW + options.cdc().max()];
        }
        FileScan.TensorPass p = j.pass();
        try {
            return new Scanned(
                    j,
                    FileScan.window(
                            p.file(),
                            p.tensor().dtype().elfType(),
                            p.data(),
                            j.from(),
                            options.cdc(),
                            heap,
                            SCRATCH.get()));
        } catch (InputChangedException e) {
            copies.add(heap);
            throw new UncheckedIOException(e);
        }
    }

    private final class Run implements AutoCloseable, FileScan.Sink {
        final Map<Dtype, Acc> acc = new TreeMap<>();
        final Set<SegmentHash.Hash128> tensors = new HashSet<>();
        final FingerprintSet.Budget budget = new FingerprintSet.Budget(options.memory());
        FingerprintSet fixed4k, fixed512, cdcSet;
        CodecEstimate estimate;
        long chunks4k, chunks512, chunksCdc;

        Acc current; // the row of the tensor whose windows are being merged
        final List<Pairs.Model> models = new ArrayList<>();
        List<SegmentHash.Hash128> modelHashes; // of the file being read, tensor by tensor

        Report analyse(List<Path> files) throws IOException {
            Totals scan = totals(files);
            // sized once for every chunk to come, the budget shared in proportion when it is short
            long c4k = scan.chunks(FIXED_LARGE),
                    c512 = scan.chunks(FIXED_SMALL),
                    cdc = scan.chunks(options.cdc().min());
            double perChunk = (double) budget.limit() / Math.max(1, c4k + c512 + cdc);
            fixed4k = new FingerprintSet(budget, c4k, (long) (perChunk * c4k));
            fixed512 = new FingerprintSet(budget, c512, (long) (perChunk * c512));
            cdcSet = new FingerprintSet(budget, cdc, (long) (perChunk * cdc));
            estimate = new CodecEstimate(scan.floatBytes());
            options.progress().start(scan.bytes());
            List<FileStats> stats = new ArrayList<>();
            try {
                for (Path f : files) {
                    stats.add("elfz".equals(kind(f)) ? elfz(f) : weights(f));
                }
            } finally {
                options.progress().end();
            }
            ChunkIndex index = new ChunkIndex(
                    chunks4k,
                    chunks512,
                    chunksCdc,
                    fixed4k.size(),
                    fixed512.size(),
                    cdcSet.size(),
                    fixed4k.bytes() + fixed512.bytes() + cdcSet.bytes(),
                    budget.limit(),
                    fixed4k.saturated() || fixed512.saturated() || cdcSet.saturated());
            return report(stats, acc, index, estimate.predictions(options.threads()), Pairs.find(models));
        }

        /**
         * What the safetensors files hold, from their headers: their tensors' bytes (what the progress counts),
         * those of float tensors (what the estimate samples from), and how many.
         */
        record Totals(long bytes, long floatBytes, long tensors) {
            /** Chunks of {@code size} there are at most (a tensor's last one may be short). */
            long chunks(long size) {
                return bytes / size + tensors;
            }
        }

        private static Totals totals(List<Path> files) throws IOException {
            long bytes = 0, floats = 0, tensors = 0;
            for (Path f : files) {
                if (!"elfz".equals(kind(f))) {
                    try (Sources.Source s = Sources.Source.open(f.toString(), f)) {
                        for (Sources.Source part : parts(s)) {
                            for (TensorInfo t : part.tensors()) {
                                bytes += t.byteSize();
                                floats += t.dtype().elfType() != null ? t.byteSize() : 0;
                                tensors++;
                            }
                        }
                    }
                }
            }
            return new Totals(bytes, floats, tensors);
        }

        /** Counts one layer (tensor) into its dtype's row. */
        private Acc layer(Dtype dtype, long bytes, long elements) {
            Acc a = acc.computeIfAbsent(dtype, d -> new Acc());
            a.layers++;
            a.bytes += bytes;
            a.parameters += elements;
            return a;
        }

        FileStats elfz(Path f) throws IOException {
            try (ElfzReader r = ElfzReader.open(f)) {
                long tb = 0;
                for (ElfzTensor t : r.tensors()) {
                    layer(t.dtype(), t.byteSize(), t.elements());
                    tb += t.byteSize();
                }
                return new FileStats(
                        f.toString(), "elfz", Files.size(f), r.tensors().size(), tb);
            }
        }

        FileStats weights(Path f) throws IOException {
            // an ONNX model's tensors are its initializers; its graph counts as a safetensors header does
            // and its external data files' initializers are its tensors too, their gaps its skeleton
            try (Sources.Source s = Sources.Source.open(f.toString(), f)) {
                List<Job> windows = new ArrayList<>();
                List<String> signature = new ArrayList<>();
                long floats = 0;
                long tb = 0;
                long bytes = 0;
                int tensors = 0;
                for (Sources.Source part : parts(s)) {
                    for (TensorInfo t : part.tensors()) {
                        Acc a = layer(t.dtype(), t.byteSize(), t.elements());
                        signature.add(Pairs.signature(t));
                        floats += t.dtype().elfType() != null ? t.byteSize() : 0;
                        a.scanned += t.byteSize();
                        tb += t.byteSize();
                        var pass =
                                new FileScan.TensorPass(Path.of(part.path()), t, part.data(t), tensors, options.cdc());
                        for (long w : pass.windows()) {
                            windows.add(new Job(pass, a, w));
                        }
                        tensors++;
                    }
                    bytes += part.size();
                }
                modelHashes = new ArrayList<>();
                Workers.ordered(options.threads(), windows, Analysis.this::scan, this::merge);
                models.add(new Pairs.Model(f.toString(), List.copyOf(signature), List.copyOf(modelHashes), floats));
                estimate.addStored(bytes - tb); // the header, as compress keeps it
                return new FileStats(f.toString(), kind(f), bytes, tensors, tb);
            }
        }

        /** Takes a window's results, in order: the parts that depend on what came before. */
        void merge(Scanned r) throws InputChangedException {
            FileScan.TensorPass pass = r.job().pass();
            FileScan.Window w = r.window();
            Acc a = r.job().acc();
            current = a;
            pass.merge(w, this);
            copies.add(w.copy());
            if (w.values() != null) {
                a.values.add(w.values());
            }
            if (w.to() == pass.data().byteSize()) {
                tensorDone(pass, a);
            }
            options.progress().advance(w.to() - w.from());
        }

        /** A chunk's fingerprint from the pass: counted, and its bytes when it was met before. */
        @Override
        public void fingerprint(int kind, long high, long low, long sequence, Dtype dtype, long length) {
            switch (kind) {
                case FileScan.FIXED_512 -> {
                    chunks512++;
                    current.fixed512 += fixed512.seenOrAdd(high) ? length : 0;
                }
                case FileScan.FIXED_4K -> {
                    chunks4k++;
                    current.fixed4k += fixed4k.seenOrAdd(high) ? length : 0;
                }
                case FileScan.CDC -> {
                    chunksCdc++;
                    current.cdcBytes += cdcSet.seenOrAdd(high) ? length : 0;
                }
                default -> {} // the tensor's own: tensorDone counts it
            }
        }

        /** A tensor's last window is merged: its hash is complete, and the estimate may sample it. */
        private void tensorDone(FileScan.TensorPass pass, Acc a) throws InputChangedException {
            TensorInfo t = pass.tensor();
            SegmentHash.Hash128 hash = pass.finish(this);
            modelHashes.add(hash);
            if (!tensors.add(hash)) {
                a.dupLayers++;
                a.dupLayerBytes += pass.data().byteSize();
            }
            try { // the estimate copies its sample out of the mapping: a fault there is the file changing
                estimate.offer(t.dtype(), t.shape(), pass.data(), pass.range());
                MappedInput.raiseFaults();
            } catch (InternalError e) {
                throw new InputChangedException(pass.file(), e);
            }
        }

        @Override
        public void close() {
            if (estimate != null) {
                estimate.close();
            }
            Stream.of(fixed4k, fixed512, cdcSet).filter(Objects::nonNull).forEach(FingerprintSet::close);
        }
    }

    /** The report from the files' rows and the per-dtype accumulators (also what elfz-spark's counts make). */
    static Report report(
            List<FileStats> stats,
            Map<Dtype, Acc> acc,
            ChunkIndex index,
            List<CodecEstimate.Prediction> predictions,
            List<Pair> pairs) {
        long layers = 0, bytes = 0;
        for (Acc a : acc.values()) {
            layers += a.layers;
            bytes += a.bytes;
        }
        List<DtypeStats> rows = new ArrayList<>();
        Acc total = new Acc();
        for (Map.Entry<Dtype, Acc> e : acc.entrySet()) {
            rows.add(row(
                    e.getKey().name(), e.getValue(), layers, bytes, e.getKey().elfType() != null));
            total.add(e.getValue());
        }
        DtypeStats all = row("total", total, layers, bytes, true);
        return new Report(List.copyOf(stats), layers, bytes, List.copyOf(rows), all, index, predictions, pairs);
    }

    private static DtypeStats row(String name, Acc a, long layers, long bytes, boolean floats) {
        ValueStats v = null;
        ValueSummary s = a.values;
        if (floats && s.values > 0) {
            boolean any = s.finite > 0;
            v = new ValueStats(
                    s.values,
                    s.inUnit,
                    (double) s.inUnit / s.values,
                    any ? s.min : Double.NaN,
                    any ? s.max : Double.NaN,
                    any ? s.mean : Double.NaN,
                    any ? Math.sqrt(s.m2 / s.finite) : Double.NaN,
                    s.nan,
                    s.inf,
                    new Histogram(HISTOGRAM_LOW, HISTOGRAM_HIGH, s.below(), s.bins(), s.above()));
        }
        return new DtypeStats(
                name,
                a.layers,
                share(a.layers, layers),
                a.bytes,
                share(a.bytes, bytes),
                a.parameters,
                a.layers == 0 ? 0 : (double) a.parameters / a.layers,
                a.layers == 0 ? 0 : (double) a.bytes / a.layers,
                v,
                new Duplication(a.scanned, a.dupLayers, a.dupLayerBytes, a.fixed4k, a.fixed512, a.cdcBytes));
    }

    private static double share(long part, long whole) {
        return whole == 0 ? 0 : (double) part / whole;
    }

    /** Kept for callers that want the rows keyed by dtype name. */
    public static Map<String, DtypeStats> byDtype(Report r) {
        Map<String, DtypeStats> m = new LinkedHashMap<>();
        r.dtypes().forEach(d -> m.put(d.dtype(), d));
        return m;
    }
}
