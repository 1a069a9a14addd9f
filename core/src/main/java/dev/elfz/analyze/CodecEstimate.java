package dev.elfz.analyze;

import dev.elfz.Codec;
import dev.elfz.CodecChoice;
import dev.elfz.Dtype;
import dev.elfz.ElfzOptions;
import dev.elfz.Granularity;
import dev.elfz.LossyOptions;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.EntropyStage;
import dev.elfz.codec.prune.MagnitudeSelect;
import dev.elfz.codec.prune.PruneParams;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.codec.uniform.UniformParams;
import dev.elfz.container.ElfzFormat;
import dev.elfz.container.Planner;
import dev.elfz.container.Planner.Choice;
import dev.elfz.container.Workers;
import dev.elfz.io.InputChangedException;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * An estimate of what {@code elfz compress} would give with a few option sets ({@link #MODES}), made by running the
 * real chunk codecs, behind the entropy stage, on a sample of the float tensors, copied into one off-heap buffer of
 * at most {@code budget} bytes (32 MiB) whatever the input. When all float bytes fit in the budget every chunk is
 * sampled, and the tensors' stored bytes come out exactly as compress writes them (pruning's threshold included).
 * Otherwise the float bytes in the order offered are cut into {@code budget / piece} intervals of {@code stride}
 * bytes, one point at a seeded pseudo-random place in each (no aliasing with a model's repeating layers), and the
 * piece under a point (256 KiB, aligned inside its 1 MiB chunk, coded as a chunk) is sampled.
 * <p>
 * A mode's float bytes are {@code floatBytes * sum(w * stored / len) / sum(w)} over the pieces, w the bytes a piece
 * stands for (its points times the stride). Non-float tensors and {@link #addStored stored} bytes count as they
 * are; the container adds its prologue, trailer and index entries ({@link #INDEX_BYTES_PER_TENSOR}, measured on
 * BERT-base). What makes it an estimate:
 * <ul>
 *   <li>the sample: unsampled chunks are taken to code like the sampled ones, weighted by bytes; a quarter-chunk
 *       piece carries a little more entropy-table overhead than a whole chunk;</li>
 *   <li>pruning: the global threshold is the fraction's quantile of the sampled values of the selected tensors;</li>
 *   <li>uniform: a tensor's range (its scale) and whether it holds NaN or Inf (then it is not quantized) are exact,
 *       from the caller or from one pass over each tensor sampled (a range from the sample alone made BERT's
 *       4-bit estimate 13.5x for a real 25x); tensors no point falls in are not read;</li>
 *   <li>the selection of quantization and pruning is the CLI's default (float, rank >= 2, >= 4096 values), no
 *       globs.</li>
 * </ul>
 * The same inputs in the same order give the same numbers. Not thread-safe: offer from one thread at a time.
 */
public final class CodecEstimate implements AutoCloseable {

    /** Bytes of tensor data sampled at most by default: the seven modes code it in about half a second on one core. */
    public static final long DEFAULT_BUDGET = 32L << 20;

    /** Bytes sampled at a point by default: a quarter chunk, so that the budget reaches four times the tensors. */
    public static final long DEFAULT_PIECE = 256L << 10;

    /** Index bytes of a tensor without its chunks (name, dtype, shape, offsets, codec, params): BERT-base's ~210. */
    static final long INDEX_BYTES_PER_TENSOR = 220;
    /** Index bytes of a chunk ({@code [position, length, crc, coded]} as JSON): BERT-base's ~36. */
    static final long INDEX_BYTES_PER_CHUNK = 36;

    /**
     * An option set of {@code elfz compress}: its flags and the options they make (CompressCommand's defaults).
     */
    public record Mode(String name, String flags, CodecChoice codec, LossyOptions lossy, double errorBound) {

        /** These options on top of {@code base} (threads, kernel, chunk size): what compress runs with the flags. */
        public ElfzOptions options(ElfzOptions base) {
            return base.withCodec(codec).withLossy(lossy).withErrorBound(errorBound);
        }
    }

    /** The modes predicted, in order. */
    public static final List<Mode> MODES = List.of(
            new Mode("elf", "--codec elf", CodecChoice.ELF, LossyOptions.NONE, Double.NaN),
            new Mode("lossless", "--codec lossless", CodecChoice.LOSSLESS, LossyOptions.NONE, Double.NaN),
            new Mode("error bound 1e-4", "--error-bound 1e-4", CodecChoice.AUTO, LossyOptions.NONE, 1e-4),
            new Mode(
                    "uniform 8-bit",
                    "--codec uniform --bits 8",
                    CodecChoice.UNIFORM,
                    LossyOptions.NONE.withBits(8),
                    Double.NaN),
            new Mode(
                    "uniform 4-bit",
                    "--codec uniform --bits 4",
                    CodecChoice.UNIFORM,
                    LossyOptions.NONE.withBits(4),
                    Double.NaN),
            new Mode(
                    "prune 50% + elf",
                    "--codec elf --prune 0.5", CodecChoice.ELF, LossyOptions.NONE.withPruneFraction(0.5), Double.NaN),
            new Mode(
                    "prune 90% + elf",
                    "--codec elf --prune 0.9", CodecChoice.ELF, LossyOptions.NONE.withPruneFraction(0.9), Double.NaN));

    /** The lossless mode: what {@code elfz compress --base} codes a fine-tune's XOR with its base with. */
    public static final Mode LOSSLESS = MODES.get(1);

    /**
     * One mode's estimate.
     *
     * @param inputBytes the bytes compress would read: every tensor offered and the stored bytes
     * @param predictedBytes the .elfz file's estimated size
     * @param ratio {@code inputBytes / predictedBytes} (1 when there is no input)
     * @param sampledBytes the float bytes coded to make it
     * @param containerBytes the part of {@code predictedBytes} that is the container's: prologue, index, trailer
     */
    public record Prediction(
            String mode,
            String flags,
            long inputBytes,
            long predictedBytes,
            double ratio,
            long sampledBytes,
            long containerBytes)
            implements Serializable {}

    /** What the planner knows of a tensor before its chunks are coded. */
    private record Tensor(Dtype dtype, long elements, boolean selected, ValueRange range) {}

    /** A sampled piece: its copy in the buffer, its first value in the tensor, the input bytes it stands for. */
    private static final class Piece {
        final Tensor tensor;
        final MemorySegment bytes;
        final long first;
        long weight;

        Piece(Tensor tensor, MemorySegment bytes, long first, long weight) {
            this.tensor = tensor;
            this.bytes = bytes;
            this.first = first;
            this.weight = weight;
        }
    }

    private final Kernel kernel;
    private final List<Mode> modes;
    private final boolean ranges; // a mode quantizes: sampled tensors need their range
    private final long chunkBytes;
    private final long pieceBytes;
    private final long stride; // 0: every chunk
    private final Arena arena = Arena.ofShared();
    private final long capacity;
    private MemorySegment buffer;
    private final List<Piece> pieces = new ArrayList<>();
    private long used; // bytes of the places planned
    private long filled; // bytes copied into the buffer
    private final SplittableRandom jitter = new SplittableRandom(0x5eed); // the same points for the same inputs
    private long interval; // the stride's interval that holds nextPoint
    private long nextPoint;
    private long floatBytes;
    private long otherBytes;
    private long tensors;
    private long chunks;

    /** An estimate for {@code totalFloatBytes} of float tensors, with the default budget, chunk size and kernel. */
    public CodecEstimate(long totalFloatBytes) {
        this(totalFloatBytes, DEFAULT_BUDGET, ElfzOptions.DEFAULT_CHUNK_BYTES, DEFAULT_PIECE, Kernels.best());
    }

    /** As {@link #CodecEstimate(long)}, predicting only these modes. */
    public CodecEstimate(long totalFloatBytes, List<Mode> modes) {
        this(totalFloatBytes, DEFAULT_BUDGET, ElfzOptions.DEFAULT_CHUNK_BYTES, DEFAULT_PIECE, Kernels.best(), modes);
    }

    public CodecEstimate(long totalFloatBytes, long budget, long chunkBytes, long pieceBytes, Kernel kernel) {
        this(totalFloatBytes, budget, chunkBytes, pieceBytes, kernel, MODES);
    }

    /**
     * @param totalFloatBytes the float tensor bytes that will be offered: it sets the stride (an estimate of it is
     *     fine: the prediction scales to the bytes offered, but the sample is then larger or smaller; with 0 nothing
     *     is sampled and the floats count as stored)
     * @param budget most bytes sampled (and held off-heap), at least one piece
     * @param chunkBytes the container's chunk size (compress --chunk-size)
     * @param pieceBytes bytes sampled at a point: a chunk, or an aligned part of one coded as a chunk
     * @param modes the modes predicted, in order
     */
    public CodecEstimate(
            long totalFloatBytes, long budget, long chunkBytes, long pieceBytes, Kernel kernel, List<Mode> modes) {
        if (chunkBytes < 64
                || pieceBytes < 64
                || pieceBytes > chunkBytes
                || budget < pieceBytes
                || totalFloatBytes < 0) {
            throw new IllegalArgumentException("budget " + budget + ", chunk " + chunkBytes + ", piece " + pieceBytes
                    + ", total " + totalFloatBytes);
        }
        this.kernel = kernel;
        this.modes = List.copyOf(modes);
        this.ranges = modes.stream().anyMatch(m -> m.codec() == CodecChoice.UNIFORM);
        this.chunkBytes = chunkBytes;
        this.pieceBytes = pieceBytes;
        long points = budget / pieceBytes; // each point takes at most one piece
        this.stride = totalFloatBytes <= budget ? 0 : Math.ceilDiv(totalFloatBytes, points);
        this.nextPoint = stride == 0 ? 0 : jitter.nextLong(stride);
        this.capacity = Math.min(budget, totalFloatBytes);
    }

    /**
     * One safetensors tensor, in file order; non-float tensors count as stored as they are. A sampled tensor that
     * uniform quantization would select is read once whole for its range; {@link #offer(Dtype, long[], MemorySegment,
     * ValueRange)} saves that pass.
     */
    public void offer(Dtype dtype, long[] shape, MemorySegment data) {
        offer(dtype, shape, data, null);
    }

    /**
     * As {@link #offer(Dtype, long[], MemorySegment)}, with the tensor's range from a pass the caller makes anyway
     * (float32 minimum and maximum, whether every value is finite), or null.
     */
    public void offer(Dtype dtype, long[] shape, MemorySegment data, ValueRange range) {
        offer(dtype, shape, data.byteSize(), mapped(dtype, data, range, null));
    }

    /**
     * As {@link #offer(Dtype, long[], MemorySegment, ValueRange)}, the tensor sampled as its bytes XOR those of
     * {@code base} (a tensor of the same size): what {@code elfz compress --base} codes losslessly.
     */
    public void offerDelta(Dtype dtype, long[] shape, MemorySegment data, MemorySegment base) {
        if (base.byteSize() != data.byteSize()) {
            throw new IllegalArgumentException(base.byteSize() + " base bytes for " + data.byteSize());
        }
        offer(dtype, shape, data.byteSize(), mapped(dtype, data, null, base));
    }

    /** Where a sampled tensor's bytes come from: its mapping, or pieces read elsewhere (elfz-spark's tasks). */
    interface Pieces {
        /** Fills {@code into} with the tensor's bytes from {@code at}. */
        void copy(long at, MemorySegment into);

        /** The tensor's range (asked once, only when a mode quantizes and the tensor is selected). */
        ValueRange range();
    }

    /** A sampled place of a tensor: {@code length} bytes from {@code at}, standing for {@code weight} input bytes. */
    record Place(long at, long length, long weight) {}

    private static Pieces mapped(Dtype dtype, MemorySegment data, ValueRange range, MemorySegment base) {
        return new Pieces() {
            @Override
            public void copy(long at, MemorySegment into) {
                into.copyFrom(data.asSlice(at, into.byteSize()));
                if (base != null) {
                    xor(into, base.asSlice(at, into.byteSize()));
                }
            }

            @Override
            public ValueRange range() {
                return range != null ? range : ValueRange.of(dtype.elfType(), data);
            }
        };
    }

    /**
     * One tensor of {@code size} bytes, in order: the places its sample is taken from, copied through {@code pieces};
     * with {@code pieces} null only the places (the sampling moves on as it would: a plan of where to read).
     */
    List<Place> offer(Dtype dtype, long[] shape, long size, Pieces pieces) {
        tensors++;
        ElfType type = dtype.elfType();
        if (type == null) {
            otherBytes += size;
            chunks += Math.ceilDiv(size, chunkBytes);
            return List.of();
        }
        int vb = type.valueBytes();
        long chunk = Math.max(vb, chunkBytes / vb * vb); // as Compressor cuts a float tensor
        chunks += Math.ceilDiv(size, chunk);
        List<Place> places = new ArrayList<>();
        for (long at : sampled(size, chunk, Math.max(vb, pieceBytes / vb * vb))) {
            Place last = places.isEmpty() ? null : places.getLast();
            if (last != null && last.at() == at) {
                places.set(places.size() - 1, new Place(at, last.length(), last.weight() + stride)); // another point
                continue;
            }
            long len = Math.min(stride == 0 ? chunk : pieceBytes, Math.min(size, (at / chunk + 1) * chunk) - at);
            if (used + len > capacity) {
                continue; // only when the total was underestimated: the prediction scales to what was sampled
            }
            used += len;
            places.add(new Place(at, len, stride == 0 ? len : stride));
        }
        floatBytes += size;
        if (pieces != null && !places.isEmpty()) { // a tensor no point falls in is not read
            long elements = Dtype.elements(shape);
            boolean selected = shape.length >= 2 && elements >= LossyOptions.NONE.minElements(); // Planner's rule
            Tensor tensor = new Tensor(dtype, elements, selected, selected && ranges ? pieces.range() : null);
            for (Place p : places) {
                MemorySegment copy = buffer().asSlice(filled, p.length());
                pieces.copy(p.at(), copy);
                filled += p.length();
                this.pieces.add(new Piece(tensor, copy, p.at() / vb, p.weight()));
            }
        }
        return places;
    }

    /** The sample's buffer, allocated at the first copy (a plan takes none). */
    private MemorySegment buffer() {
        if (buffer == null) {
            buffer = arena.allocate(capacity, 64);
        }
        return buffer;
    }

    /** {@code into ^= with}, byte for byte. */
    static void xor(MemorySegment into, MemorySegment with) {
        long n = into.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            into.set(LONG, i, into.get(LONG, i) ^ with.get(LONG, i));
        }
        for (; i < n; i++) {
            into.set(ValueLayout.JAVA_BYTE, i, (byte)
                    (into.get(ValueLayout.JAVA_BYTE, i) ^ with.get(ValueLayout.JAVA_BYTE, i)));
        }
    }

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    /** Bytes compress stores as they are beside the tensors (safetensors headers, other files of a directory). */
    public void addStored(long bytes) {
        otherBytes += bytes;
        chunks += Math.ceilDiv(bytes, chunkBytes);
    }

    /**
     * Where the sampled pieces of a tensor of {@code size} bytes start: every chunk when everything fits the budget,
     * else the piece (aligned inside its chunk) under each point, repeated when several points fall in one.
     */
    private long[] sampled(long size, long chunk, long piece) {
        long start = floatBytes;
        if (stride == 0) {
            long[] all = new long[(int) Math.ceilDiv(size, chunk)];
            for (int k = 0; k < all.length; k++) {
                all[k] = k * chunk;
            }
            return all;
        }
        List<Long> at = new ArrayList<>();
        for (; nextPoint < start + size; nextPoint = ++interval * stride + jitter.nextLong(stride)) {
            long in = nextPoint - start;
            at.add(in / chunk * chunk + in % chunk / piece * piece);
        }
        return at.stream().mapToLong(Long::longValue).toArray();
    }

    /** Every mode's prediction, in the order given (by default {@link #MODES}); none when nothing was offered. */
    public List<Prediction> predictions() {
        return predictions(1);
    }

    /** {@link #predictions()}, the modes coded on {@code threads} threads (each mode's numbers are the same). */
    public List<Prediction> predictions(int threads) {
        if (tensors == 0 && otherBytes == 0) {
            return List.of();
        }
        long sampled = pieces.stream().mapToLong(p -> p.bytes.byteSize()).sum();
        long container = ElfzFormat.PROLOGUE_BYTES
                + ElfzFormat.TRAILER_BYTES
                + tensors * INDEX_BYTES_PER_TENSOR
                + chunks * INDEX_BYTES_PER_CHUNK;
        long input = floatBytes + otherBytes;
        List<Prediction> out = new ArrayList<>();
        try {
            Workers.ordered(
                    threads,
                    modes,
                    m -> {
                        long predicted = floatPrediction(m) + otherBytes + container;
                        return new Prediction(
                                m.name(),
                                m.flags(),
                                input,
                                predicted,
                                input == 0 ? 1 : (double) input / predicted,
                                sampled,
                                container);
                    },
                    out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the sink adds to a list: no I/O
        }
        return out;
    }

    /** The float tensors' stored bytes under a mode, from the sampled pieces. */
    private long floatPrediction(Mode m) {
        if (pieces.isEmpty()) {
            return floatBytes;
        }
        float threshold = m.lossy().prunes() ? threshold(m.lossy().pruneFraction()) : 0;
        double coded = 0;
        double weights = 0;
        try (Coders coders = new Coders(kernel, chunkBytes)) {
            for (Piece p : pieces) {
                Choice c = choice(m, p.tensor, threshold);
                long stored = coders.storedBytes(c, p.tensor.dtype(), p.bytes, p.first);
                coded += (double) p.weight * stored / p.bytes.byteSize();
                weights += p.weight;
            }
        }
        return Math.round(coded * floatBytes / weights);
    }

    /** Pruning's global threshold, as the planner finds it, over the sampled values of the selected tensors. */
    private float threshold(double fraction) {
        try {
            return MagnitudeSelect.threshold(
                    pieces.stream()
                            .filter(p -> p.tensor.selected())
                            .map(p ->
                                    new MagnitudeSelect.Values(p.tensor.dtype().elfType(), p.bytes))
                            .toList(),
                    fraction);
        } catch (InputChangedException e) {
            throw new UncheckedIOException(e); // the pieces are private copies: no file is read
        }
    }

    /** The planner's choice for a tensor under a mode (Planner.plan with the default selection). */
    private static Choice choice(Mode m, Tensor t, float threshold) {
        Choice value = Planner.valueChoice(m.options(ElfzOptions.defaults()), t.dtype());
        boolean quantize = m.codec() == CodecChoice.UNIFORM;
        if (!t.selected()
                || (quantize && !t.range().finite())
                || (!quantize && !m.lossy().prunes())) {
            return value;
        }
        // uniform per tensor over all its values: no mode prunes and quantizes (the range would be the survivors')
        Choice inner = quantize
                ? new Choice(
                        Codec.UNIFORM,
                        new UniformParams(
                                m.lossy().bits(),
                                Granularity.TENSOR,
                                t.elements(),
                                m.lossy().symmetric(),
                                new double[] {t.range().lo()},
                                new double[] {t.range().hi()}))
                : value;
        return m.lossy().prunes()
                ? new Choice(Codec.PRUNE, new PruneParams(threshold, inner.codec(), inner.params()))
                : inner;
    }

    /** The chunk codecs of one mode's run, behind the entropy stage as CodecPool makes them, and a buffer. */
    private static final class Coders implements AutoCloseable {
        private final Kernel kernel;
        private final Map<String, ChunkCodec> codecs = new HashMap<>();
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment dst;

        Coders(Kernel kernel, long chunkBytes) {
            this.kernel = kernel;
            this.dst = arena.allocate(2 * chunkBytes + 4096, 64); // Compressor's room for the entropy stage
        }

        /** What the container stores for a chunk: its coded bytes, or the chunk as it is when coding does not pay. */
        long storedBytes(Choice c, Dtype dtype, MemorySegment chunk, long first) {
            if (c.codec() == Codec.RAW) {
                return chunk.byteSize();
            }
            ChunkCodec codec = codecs.computeIfAbsent(
                    c.codec().id() + "/" + dtype,
                    k -> new EntropyStage(Codecs.of(c.codec()).newChunkCodec(dtype, kernel), kernel));
            long n = codec.encode(c.params(), chunk, first, dst);
            return n < 0 ? chunk.byteSize() : n;
        }

        @Override
        public void close() {
            codecs.values().forEach(ChunkCodec::close);
            arena.close();
        }
    }

    /** Frees the sample. */
    @Override
    public void close() {
        arena.close();
    }
}
