package dev.elfz.analyze;

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
 * An analysis spread over machines (elfz-spark), a task's part: the tensors {@code [from, to)} of one file, read in
 * windows of {@link Analysis#WINDOW} and hashed and cut as {@link Analysis} does (the same {@link SegmentHash},
 * {@link FastCdc} and {@link ValueSummary} calls on the same windows), with every fingerprint handed to a
 * {@link Sink} instead of looked up: the caller counts them where they meet (a shuffle). A duplicate is then a
 * fingerprint met before in (file, {@link #sequence}) order, as in one {@link Analysis} over the files in order.
 * {@link #report} builds {@code elfz analyze}'s report from those counts.
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
    public record Tensor(Dtype dtype, long bytes, long elements) implements Serializable {}

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
                    tensors.add(new Tensor(t.dtype(), t.byteSize(), t.elements()));
                }
                bytes += part.size();
            }
            return new Header(kind, bytes, List.copyOf(tensors));
        }
    }

    /**
     * Scans tensors {@code [from, to)} of {@code file}: fingerprints to {@code sink}, and returns the value statistics
     * per float dtype, merged window after window in order.
     */
    public static Map<Dtype, byte[]> scan(Path file, int from, int to, FastCdc cdc, Sink sink) throws IOException {
        Map<Dtype, ValueSummary> values = new TreeMap<>();
        byte[] heap = new byte[(int) Analysis.WINDOW + cdc.max()];
        ValueSummary.Scratch scratch = new ValueSummary.Scratch();
        try (Sources.Source s = Sources.Source.open(file.toString(), file)) {
            int index = 0;
            for (Sources.Source part : Analysis.parts(s)) {
                for (TensorInfo t : part.tensors()) {
                    if (index >= from && index < to) {
                        tensor(Path.of(part.path()), t, part.data(t), index, cdc, heap, scratch, values, sink);
                    }
                    index++;
                }
            }
        }
        Map<Dtype, byte[]> out = new TreeMap<>();
        values.forEach((d, v) -> out.put(d, bytes(v)));
        return out;
    }

    /** One tensor, window after window, as Analysis's scan and merge do it. */
    private static void tensor(
            Path file,
            TensorInfo t,
            MemorySegment data,
            int index,
            FastCdc cdc,
            byte[] heap,
            ValueSummary.Scratch scratch,
            Map<Dtype, ValueSummary> values,
            Sink sink)
            throws InputChangedException {
        Dtype dtype = t.dtype();
        long size = data.byteSize();
        var whole = SegmentHash.tensorStream(dtype, t.shape(), size);
        long cdcAt = 0, released = 0, n512 = 0, n4k = 0, nCdc = 0;
        ElfType type = dtype.elfType();
        for (long from = 0; from < size || from == 0; from += Analysis.WINDOW) {
            long to = Math.min(size, from + Analysis.WINDOW);
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
                sink.fingerprint(
                        FIXED_512,
                        FingerprintSet.stored(small[i]),
                        0,
                        sequence(index, n512++),
                        dtype,
                        Math.min(Analysis.FIXED_SMALL, n - o));
            }
            int parts = Analysis.FIXED_LARGE / Analysis.FIXED_SMALL;
            for (int i = 0; i * parts < small.length; i++) {
                long o = (long) i * Analysis.FIXED_LARGE;
                long length = Math.min(Analysis.FIXED_LARGE, n - o);
                long large = SegmentHash.combine(small, i * parts, Math.min(parts, small.length - i * parts), length);
                sink.fingerprint(FIXED_4K, FingerprintSet.stored(large), 0, sequence(index, n4k++), dtype, length);
            }
            if (type != null) {
                ValueSummary v = new ValueSummary();
                v.add(type, MemorySegment.ofArray(heap).asSlice(lead, n), scratch);
                values.computeIfAbsent(dtype, d -> new ValueSummary()).add(v);
            }
            if (to > from) {
                SegmentHash.put(whole, SegmentHash.piece(heap, lead, n));
            }
            MemorySegment copy = MemorySegment.ofArray(heap).asSlice(0, to - base);
            while (cdcAt < size && (to == size || cdcAt + cdc.max() <= to)) {
                long c = cdc.next(copy, cdcAt - base, size - base);
                long f = SegmentHash.chunk(heap, (int) (cdcAt - base), (int) c);
                sink.fingerprint(CDC, FingerprintSet.stored(f), 0, sequence(index, nCdc++), dtype, c);
                cdcAt += c;
            }
            long done = Math.min(cdcAt, to);
            if (done > released) {
                Pages.release(data.asSlice(released, done - released));
                released = done;
            }
        }
        SegmentHash.Hash128 h = SegmentHash.value(whole);
        sink.fingerprint(TENSOR, h.high(), h.low(), sequence(index, TENSOR_LAST), dtype, size);
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

    /** A file's row of the report, with its header and its value statistics per dtype (in file order). */
    public record FileResult(String path, Header header, List<Map<Dtype, byte[]>> values) {}

    /**
     * {@code elfz analyze}'s report from the files' headers and value statistics (in order) and the counts per
     * fingerprint kind and dtype. There are no predictions (they sample the files in one ordered pass) and no
     * fingerprint tables in memory (memory fields 0).
     */
    public static Analysis.Report report(List<FileResult> files, Map<Dtype, Counts[]> counts) {
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
            for (Map<Dtype, byte[]> v : f.values()) {
                v.forEach((d, b) -> acc.get(d).values.add(summary(b)));
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
                List.of(),
                List.of());
    }
}
