package dev.elfz.analyze;

import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import com.dynatrace.hash4j.hashing.HashStream128;
import dev.elfz.codec.FloatValues;
import dev.elfz.io.Pages;
import dev.elfz.kernel.ElfType;
import dev.elfz.safetensors.Dtype;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What is inside a set of model files (the lecture's analysis of pre-trained models): per dtype, layer counts and
 * sizes, float value statistics, and how much repeats, as whole tensors and as chunks (fixed 4 KiB and 512 B, and
 * FastCDC). Safetensors files are mapped and read once, in order, one tensor at a time; .elfz files are described
 * from their index (dtype, shape, size: no values, no duplication). Memory: the three chunk fingerprint sets (at
 * most 16 bytes per distinct chunk each, bounded by {@link #maxSlots}) and 16 bytes + a set entry per tensor.
 */
public final class Analysis {

    /** Values per block for the statistics (their mean and sum of squares merge exactly enough per block). */
    static final int BLOCK = 1 << 16;

    /** Bytes of a tensor read at a time (a multiple of the fixed chunk sizes and of every value size). */
    static final long WINDOW = 1 << 20;

    /** The chunk sizes of the fixed chunkings. */
    public static final int FIXED_LARGE = 4096;
    public static final int FIXED_SMALL = 512;

    /**
     * The statistics of one dtype's float values; NaN and Inf are counted, not included in min, max, mean, std.
     *
     * @param inUnit values v with -1 < v < 1
     * @param inUnitShare inUnit over all values (NaN and Inf included)
     */
    public record ValueStats(long values, long inUnit, double inUnitShare, double min, double max, double mean,
                             double std, long nan, long inf, Histogram histogram) {}

    /**
     * Finite values counted in {@link #BINS} equal bins over [low, high); {@code below} and {@code above} count the
     * finite values outside (NaN and Inf are in {@link ValueStats}).
     */
    public record Histogram(double low, double high, long below, long[] counts, long above) {}

    /** The histogram's bins over [-2, 2): 0.02 wide, (-1, 1) is bins 50 to 149. */
    public static final int BINS = 200;
    public static final double HISTOGRAM_LOW = -2;
    public static final double HISTOGRAM_HIGH = 2;

    /**
     * Duplicated bytes of one dtype (or all): of whole tensors, and of chunks under the three chunkings. A
     * duplicate is a tensor or chunk equal to one met before (in this or an earlier file), so the counts are what
     * deduplication would save.
     *
     * @param scannedBytes bytes of the safetensors tensors looked at (.elfz tensors are not)
     */
    public record Duplication(long scannedBytes, long duplicateLayers, long duplicateLayerBytes, long fixed4kBytes,
                              long fixed512Bytes, long cdcBytes) {

        Duplication plus(Duplication o) {
            return new Duplication(scannedBytes + o.scannedBytes, duplicateLayers + o.duplicateLayers,
                    duplicateLayerBytes + o.duplicateLayerBytes, fixed4kBytes + o.fixed4kBytes,
                    fixed512Bytes + o.fixed512Bytes, cdcBytes + o.cdcBytes);
        }
    }

    /**
     * One row of the per-dtype table.
     *
     * @param values null for non-float dtypes and when no float value was read (only .elfz files)
     */
    public record DtypeStats(String dtype, long layers, double layerShare, long bytes, double byteShare, long parameters,
                             double averageParameters, double averageBytes, ValueStats values, Duplication duplication) {}

    /** @param kind "safetensors" or "elfz" */
    public record FileStats(String path, String kind, long bytes, int tensors, long tensorBytes) {}

    /**
     * Chunk fingerprint sets at the end.
     *
     * @param saturated true when a set filled up: duplicate chunk bytes are then a lower bound
     */
    public record ChunkIndex(long fixed4kChunks, long fixed512Chunks, long cdcChunks, long distinctFixed4k,
                             long distinctFixed512, long distinctCdc, long memoryBytes, boolean saturated) {}

    /** The whole result. */
    public record Report(List<FileStats> files, long tensors, long bytes, List<DtypeStats> dtypes, DtypeStats total,
                         ChunkIndex chunkIndex) {}

    private final int maxSlots;
    private final FastCdc cdc;

    /**
     * The default: each of the three fingerprint sets up to 2^26 slots (512 MiB, about 32M distinct chunks), fewer
     * when the heap is smaller: at most half the heap for the three together, counting the copy a set makes
     * while it doubles ({@link #slotsFor}).
     */
    public Analysis() {
        this(slotsFor(Runtime.getRuntime().maxMemory()), FastCdc.DEFAULT);
    }

    /**
     * The largest power of two, from 2^16 to 2^26, such that three sets of that many slots, each growing into it
     * (1.5 x its final size while it copies), take at most half of {@code heapBytes}.
     */
    static int slotsFor(long heapBytes) {
        int slots = 1 << 26;
        while (slots > 1 << 16 && 3 * 8L * slots * 3 / 2 > heapBytes / 2) {
            slots >>= 1;
        }
        return slots;
    }

    public Analysis(int maxSlots, FastCdc cdc) {
        this.maxSlots = maxSlots;
        this.cdc = cdc;
    }

    /** Every .safetensors and .elfz file under these paths (directories recursively, symbolic links followed). */
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
                    found = s.filter(f -> Files.isRegularFile(f) && kind(f) != null).sorted().toList();
                }
                for (Path f : found) {
                    if (seen.add(f.toRealPath())) {
                        out.add(f);
                    }
                }
            } else {
                if (kind(p) == null) {
                    throw new IOException(p + ": not a .safetensors or .elfz file");
                }
                if (seen.add(p.toRealPath())) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    private static String kind(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".safetensors") ? "safetensors" : n.endsWith(".elfz") ? "elfz" : null;
    }

    /** Analyses every .safetensors and .elfz file under these paths. */
    public Report run(List<Path> paths) throws IOException {
        return new Run().analyse(files(paths));
    }

    /** Per-dtype accumulators. */
    private static final class Acc {
        long layers, bytes, parameters;
        long values, inUnit, nan, inf, finite, below, above;
        final long[] bins = new long[BINS];
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, mean, m2;
        long scanned, dupLayers, dupLayerBytes, fixed4k, fixed512, cdcBytes;

        /** Chan et al.'s merge of a block's count, mean and M2 into the running ones. */
        void merge(long n, double blockMean, double blockM2) {
            if (n == 0) {
                return;
            }
            long total = finite + n;
            double delta = blockMean - mean;
            mean += delta * n / total;
            m2 += blockM2 + delta * delta * ((double) finite * n / total);
            finite = total;
        }
    }

    private final class Run {
        final Map<Dtype, Acc> acc = new TreeMap<>();
        final Set<SegmentHash.Hash128> tensors = new HashSet<>();
        final FingerprintSet fixed4k = new FingerprintSet(maxSlots);
        final FingerprintSet fixed512 = new FingerprintSet(maxSlots);
        final FingerprintSet cdcSet = new FingerprintSet(maxSlots);
        long chunks4k, chunks512, chunksCdc;

        Report analyse(List<Path> files) throws IOException {
            List<FileStats> stats = new ArrayList<>();
            for (Path f : files) {
                stats.add("elfz".equals(kind(f)) ? elfz(f) : safetensors(f));
            }
            long layers = 0, bytes = 0;
            for (Acc a : acc.values()) {
                layers += a.layers;
                bytes += a.bytes;
            }
            List<DtypeStats> rows = new ArrayList<>();
            Acc total = new Acc();
            for (Map.Entry<Dtype, Acc> e : acc.entrySet()) {
                rows.add(row(e.getKey().name(), e.getValue(), layers, bytes, e.getKey().elfType() != null));
                add(total, e.getValue());
            }
            DtypeStats all = row("total", total, layers, bytes, true);
            ChunkIndex index = new ChunkIndex(chunks4k, chunks512, chunksCdc, fixed4k.size(), fixed512.size(),
                    cdcSet.size(), fixed4k.bytes() + fixed512.bytes() + cdcSet.bytes(),
                    fixed4k.saturated() || fixed512.saturated() || cdcSet.saturated());
            return new Report(List.copyOf(stats), layers, bytes, List.copyOf(rows), all, index);
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
                return new FileStats(f.toString(), "elfz", Files.size(f), r.tensors().size(), tb);
            }
        }

        FileStats safetensors(Path f) throws IOException {
            try (SafetensorsFile s = SafetensorsFile.open(f)) {
                long tb = 0;
                for (TensorInfo t : s.tensors()) {
                    Acc a = layer(t.dtype(), t.byteSize(), t.elements());
                    a.scanned += t.byteSize();
                    tb += t.byteSize();
                    tensor(a, t, s.data(t));
                }
                return new FileStats(f.toString(), "safetensors", s.fileSize(), s.tensors().size(), tb);
            }
        }

        /**
         * One pass over a tensor in windows of {@link #WINDOW} bytes: each window's pages are mapped in one call,
         * hashed (the tensor's 128-bit hash, the fixed chunks), chunked by FastCDC up to the last cut inside it,
         * its values counted, and its pages let go, so resident memory stays a few windows whatever the size.
         */
        void tensor(Acc a, TensorInfo t, MemorySegment data) {
            long size = data.byteSize();
            HashStream128 whole = SegmentHash.tensorStream(t.dtype(), t.shape(), size);
            ElfType type = t.dtype().elfType();
            long cdcAt = 0;
            long released = 0;
            for (long w = 0; w < size; w += WINDOW) {
                long end = Math.min(size, w + WINDOW);
                MemorySegment window = data.asSlice(w, end - w);
                Pages.populate(window);
                whole.putBytes(data, w, end - w, SegmentHash.ACCESS);
                for (long o = w; o < end; o += FIXED_LARGE) { // WINDOW is a multiple of both sizes
                    long n = Math.min(FIXED_LARGE, end - o);
                    chunks4k++;
                    if (fixed4k.seenOrAdd(SegmentHash.chunk(data, o, n))) {
                        a.fixed4k += n;
                    }
                }
                for (long o = w; o < end; o += FIXED_SMALL) {
                    long n = Math.min(FIXED_SMALL, end - o);
                    chunks512++;
                    if (fixed512.seenOrAdd(SegmentHash.chunk(data, o, n))) {
                        a.fixed512 += n;
                    }
                }
                // a FastCDC chunk is cut only when all its bytes up to the maximum are here (or the tensor ends)
                while (cdcAt < size && (end == size || cdcAt + cdc.max() <= end)) {
                    long n = cdc.next(data, cdcAt, size);
                    chunksCdc++;
                    if (cdcSet.seenOrAdd(SegmentHash.chunk(data, cdcAt, n))) {
                        a.cdcBytes += n;
                    }
                    cdcAt += n;
                }
                if (type != null) {
                    values(a, type, window);
                }
                long done = Math.min(cdcAt, end);
                if (done > released) {
                    Pages.release(data.asSlice(released, done - released));
                    released = done;
                }
            }
            if (!tensors.add(SegmentHash.value(whole))) {
                a.dupLayers++;
                a.dupLayerBytes += size;
            }
        }

        void values(Acc a, ElfType type, MemorySegment data) {
            long n = data.byteSize() / type.valueBytes();
            for (long start = 0; start < n; start += BLOCK) {
                long end = Math.min(n, start + BLOCK);
                long finite = 0;
                double sum = 0;
                for (long i = start; i < end; i++) {
                    double v = FloatValues.get(type, data, i);
                    if (v > -1 && v < 1) {
                        a.inUnit++;
                    }
                    if (Double.isNaN(v)) {
                        a.nan++;
                    } else if (Double.isInfinite(v)) {
                        a.inf++;
                    } else {
                        finite++;
                        sum += v;
                        a.min = Math.min(a.min, v);
                        if (v < HISTOGRAM_LOW) {
                            a.below++;
                        } else if (v >= HISTOGRAM_HIGH) {
                            a.above++;
                        } else {
                            a.bins[Math.min(BINS - 1, (int) ((v - HISTOGRAM_LOW) * (BINS / (HISTOGRAM_HIGH - HISTOGRAM_LOW))))]++;
                        }
                        a.max = Math.max(a.max, v);
                    }
                }
                double mean = finite == 0 ? 0 : sum / finite;
                double m2 = 0;
                for (long i = start; i < end; i++) {
                    double v = FloatValues.get(type, data, i);
                    if (Double.isFinite(v)) {
                        m2 += (v - mean) * (v - mean);
                    }
                }
                a.values += end - start;
                a.merge(finite, mean, m2);
            }
        }
    }

    private static void add(Acc t, Acc a) {
        t.layers += a.layers;
        t.bytes += a.bytes;
        t.parameters += a.parameters;
        t.values += a.values;
        t.inUnit += a.inUnit;
        t.nan += a.nan;
        t.inf += a.inf;
        t.below += a.below;
        t.above += a.above;
        for (int i = 0; i < BINS; i++) {
            t.bins[i] += a.bins[i];
        }
        t.min = Math.min(t.min, a.min);
        t.max = Math.max(t.max, a.max);
        t.merge(a.finite, a.mean, a.m2);
        t.scanned += a.scanned;
        t.dupLayers += a.dupLayers;
        t.dupLayerBytes += a.dupLayerBytes;
        t.fixed4k += a.fixed4k;
        t.fixed512 += a.fixed512;
        t.cdcBytes += a.cdcBytes;
    }

    private static DtypeStats row(String name, Acc a, long layers, long bytes, boolean floats) {
        ValueStats v = null;
        if (floats && a.values > 0) {
            boolean any = a.finite > 0;
            v = new ValueStats(a.values, a.inUnit, (double) a.inUnit / a.values, any ? a.min : Double.NaN,
                    any ? a.max : Double.NaN, any ? a.mean : Double.NaN, any ? Math.sqrt(a.m2 / a.finite) : Double.NaN,
                    a.nan, a.inf, new Histogram(HISTOGRAM_LOW, HISTOGRAM_HIGH, a.below, a.bins.clone(), a.above));
        }
        return new DtypeStats(name, a.layers, share(a.layers, layers), a.bytes, share(a.bytes, bytes), a.parameters,
                a.layers == 0 ? 0 : (double) a.parameters / a.layers, a.layers == 0 ? 0 : (double) a.bytes / a.layers,
                v, new Duplication(a.scanned, a.dupLayers, a.dupLayerBytes, a.fixed4k, a.fixed512, a.cdcBytes));
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
