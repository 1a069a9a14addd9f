package dev.elfz.analyze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.ChunkStream;
import dev.elfz.Dtype;
import dev.elfz.Elfz;
import dev.elfz.ElfzArchive;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzTensor;
import dev.elfz.kernel.Kernels;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.samples.BertSafetensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The codec estimate against what compress really writes: exactly when all is sampled, within a tolerance on BERT. */
class CodecEstimateTest {

    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    /** 1% but where marked; measured: elf, lossless, error bound, pruning 50% within 0.1%, the others 0.7%. */
    private static final Map<String, Double> BERT_TOLERANCE =
            Map.of("uniform 8-bit", 0.03, "uniform 4-bit", 0.03, "prune 90% + elf", 0.03);

    @Test
    void bertPredictionsAreWithinTheirToleranceOfRealCompression() throws IOException {
        Path bert = dir.resolve("bert.safetensors");
        BertSafetensors.write(null, bert, false);
        List<CodecEstimate.Prediction> predicted;
        try (SafetensorsFile f = SafetensorsFile.open(bert);
                CodecEstimate e = new CodecEstimate(floatBytes(f))) {
            long t0 = System.nanoTime();
            offerAll(e, f);
            long t1 = System.nanoTime();
            predicted = e.predictions();
            System.out.printf(
                    Locale.ROOT, "offer %.2f s, predictions %.2f s%n", (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
            assertTrue(predicted.getFirst().sampledBytes() <= CodecEstimate.DEFAULT_BUDGET);
        }
        for (CodecEstimate.Prediction p : predicted) {
            CodecEstimate.Mode m = mode(p.mode());
            Path z = dir.resolve("bert.elfz");
            Elfz.compress(
                    bert, z, m.options(ElfzOptions.defaults().withThreads(2)).withOverwrite(true));
            double real = (double) Files.size(bert) / Files.size(z);
            double error = p.ratio() / real - 1;
            System.out.printf(
                    Locale.ROOT,
                    "%-18s predicted %7.4f real %7.4f (%+.2f%%)%n",
                    p.mode(),
                    p.ratio(),
                    real,
                    100 * error);
            assertTrue(Math.abs(error) <= BERT_TOLERANCE.getOrDefault(p.mode(), 0.01), p.mode() + ": " + error);
            assertEquals(Files.size(bert), p.inputBytes(), p.mode());
        }
    }

    /** Every dtype's float tensor, selected and not, NaN, constant, zero, several chunks, beside non-float ones. */
    private Path mixedModel() throws IOException {
        SplittableRandom r = new SplittableRandom(6);
        return new Planted()
                .add("w", Dtype.F32, new long[] {256, 512}, values(Dtype.F32, 256 * 512, i -> r.nextGaussian() * 0.05))
                .add(
                        "big",
                        Dtype.F32,
                        new long[] {1024, 320},
                        values(Dtype.F32, 1024 * 320, i -> r.nextGaussian() / 50))
                .add("zeros", Dtype.F32, new long[] {64, 64}, values(Dtype.F32, 4096, i -> 0))
                .add("half", Dtype.BF16, new long[] {128, 64}, values(Dtype.BF16, 8192, i -> 0.5))
                .add(
                        "nan",
                        Dtype.F32,
                        new long[] {64, 128},
                        values(Dtype.F32, 8192, i -> i == 7 ? Double.NaN : i / 1e4))
                .add("f16", Dtype.F16, new long[] {96, 96}, values(Dtype.F16, 96 * 96, i -> r.nextGaussian() * 0.1))
                .add("f64", Dtype.F64, new long[] {80, 80}, values(Dtype.F64, 6400, i -> r.nextGaussian() * 0.03))
                .add("bias", Dtype.F32, new long[] {512}, values(Dtype.F32, 512, i -> r.nextGaussian()))
                .add("small", Dtype.F32, new long[] {8, 8}, values(Dtype.F32, 64, i -> r.nextGaussian()))
                .add("ids", Dtype.I64, new long[] {100}, Planted.random(1, 800))
                .write(dir.resolve("mixed.safetensors"));
    }

    @Test
    void whenEveryChunkIsSampledThePayloadIsExactlyTheCompressors() throws IOException {
        Path model = mixedModel();
        List<CodecEstimate.Prediction> predicted = estimate(model, 64 * MIB);
        assertEquals(CodecEstimate.MODES.size(), predicted.size());
        for (CodecEstimate.Prediction p : predicted) {
            Path z = dir.resolve("mixed.elfz");
            ElfzArchive a = Elfz.compress(
                    model,
                    z,
                    mode(p.mode())
                            .options(ElfzOptions.defaults().withThreads(1))
                            .withOverwrite(true));
            assertEquals(payload(a), p.predictedBytes() - p.containerBytes(), p.mode());
            assertEquals(Files.size(model), p.inputBytes(), p.mode());
            // the index estimate is rough: within 1 KiB on this file of 11 tensors
            assertEquals(Files.size(z) - payload(a), p.containerBytes(), 1024, p.mode());
        }
    }

    @Test
    void identicalChunksSampledGiveTheExactSum() throws IOException {
        Path one = new Planted()
                .add("w", Dtype.F32, new long[] {256, 1024}, values(Dtype.F32, 256 * 1024, i -> Math.sin(i) * 0.1))
                .write(dir.resolve("one.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(one);
                CodecEstimate all = new CodecEstimate(MIB, MIB, MIB, MIB, Kernels.best());
                CodecEstimate sampled = new CodecEstimate(48 * MIB, 4 * MIB, MIB, MIB, Kernels.best())) {
            TensorInfo t = f.tensors().getFirst();
            all.offer(t.dtype(), t.shape(), f.data(t));
            for (int i = 0; i < 48; i++) {
                sampled.offer(t.dtype(), t.shape(), f.data(t));
            }
            for (int m = 0; m < CodecEstimate.MODES.size(); m++) {
                CodecEstimate.Prediction p1 = all.predictions().get(m);
                CodecEstimate.Prediction p48 = sampled.predictions().get(m);
                long one48 = 48 * (p1.predictedBytes() - p1.containerBytes());
                assertEquals(one48, p48.predictedBytes() - p48.containerBytes(), 1, p1.mode());
                assertEquals(4 * MIB, p48.sampledBytes(), "one chunk a point, four points");
            }
        }
    }

    @Test
    void nonFloatTensorsAreStoredAsTheyAre() {
        try (Arena arena = Arena.ofConfined();
                CodecEstimate e = new CodecEstimate(0)) {
            e.offer(Dtype.I64, new long[] {1000}, arena.allocate(8000));
            e.offer(Dtype.U8, new long[] {3, 5}, arena.allocate(15));
            e.addStored(100);
            List<CodecEstimate.Prediction> ps = e.predictions();
            assertEquals(CodecEstimate.MODES.size(), ps.size());
            long container = 16
                    + 32
                    + 2 * CodecEstimate.INDEX_BYTES_PER_TENSOR
                    + 3 * CodecEstimate.INDEX_BYTES_PER_CHUNK; // prologue, trailer, 2 tensors, 3 chunks (one stored)
            for (CodecEstimate.Prediction p : ps) {
                assertEquals(
                        new CodecEstimate.Prediction(
                                p.mode(), p.flags(), 8115, 8115 + container, 8115.0 / (8115 + container), 0, container),
                        p);
            }
        }
    }

    @Test
    void nothingOfferedPredictsNothingAndEmptyTensorsRatioOne() {
        try (CodecEstimate e = new CodecEstimate(0)) {
            assertEquals(List.of(), e.predictions());
            e.offer(Dtype.F32, new long[] {4, 0}, MemorySegment.NULL);
            assertTrue(e.predictions().stream().allMatch(p -> p.ratio() == 1 && p.inputBytes() == 0));
        }
    }

    @Test
    void theSameInputsGiveTheSamePredictions() throws IOException {
        Path model = mixedModel();
        List<CodecEstimate.Prediction> first = estimate(model, MIB / 4);
        assertEquals(first, estimate(model, MIB / 4));
        assertTrue(first.getFirst().sampledBytes() <= MIB / 4);
        assertNotEquals(first, estimate(model, 64 * MIB), "a sample, not everything");
    }

    @Test
    void theSampleStaysWithinTheBudgetWhateverTheTotal() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tensor = arena.allocate(MIB);
            long[] shape = {256, 1024};
            // 64 GiB of float tensors through a 2 MiB budget: 32 points of 64 KiB
            try (CodecEstimate e = new CodecEstimate(64L << 30, 2 * MIB, MIB, 64 << 10, Kernels.best())) {
                for (int i = 0; i < 65536; i++) {
                    e.offer(Dtype.F32, shape, tensor);
                }
                CodecEstimate.Prediction p = e.predictions().getFirst();
                assertTrue(p.sampledBytes() <= 2 * MIB && p.sampledBytes() >= MIB, "sampled " + p.sampledBytes());
                assertEquals(64L << 30, p.inputBytes());
            }
            // a total far too small: the buffer is that total, and the rest is not sampled
            try (CodecEstimate e = new CodecEstimate(MIB, 32 * MIB, MIB, MIB, Kernels.best())) {
                for (int i = 0; i < 100; i++) {
                    e.offer(Dtype.F32, shape, tensor);
                }
                assertEquals(MIB, e.predictions().getFirst().sampledBytes());
            }
        }
    }

    private List<CodecEstimate.Prediction> estimate(Path model, long budget) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(model);
                CodecEstimate e = new CodecEstimate(
                        floatBytes(f),
                        budget,
                        ElfzOptions.DEFAULT_CHUNK_BYTES,
                        Math.min(budget, CodecEstimate.DEFAULT_PIECE),
                        Kernels.best())) {
            offerAll(e, f);
            return e.predictions();
        }
    }

    private static void offerAll(CodecEstimate e, SafetensorsFile f) {
        e.addStored(f.headerBytes().byteSize());
        for (TensorInfo t : f.tensors()) {
            e.offer(t.dtype(), t.shape(), f.data(t));
        }
    }

    private static long floatBytes(SafetensorsFile f) {
        return f.tensors().stream()
                .filter(t -> t.dtype().elfType() != null)
                .mapToLong(TensorInfo::byteSize)
                .sum();
    }

    private static CodecEstimate.Mode mode(String name) {
        return CodecEstimate.MODES.stream()
                .filter(m -> m.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    /** Bytes of every stored chunk of the archive (headers and tensors): the file without prologue, index, trailer. */
    private static long payload(ElfzArchive a) {
        return a.files().stream()
                .flatMap(f -> Stream.concat(
                        Stream.of(f.header()), f.tensors().stream().map(ElfzTensor::data)))
                .mapToLong(ChunkStream::storedBytes)
                .sum();
    }

    /** n values of a float dtype, little-endian. */
    private static byte[] values(Dtype dtype, int n, IntToDoubleFunction value) {
        ByteBuffer b = ByteBuffer.allocate(n * dtype.bits() / 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            double x = value.applyAsDouble(i);
            switch (dtype) {
                case F32 -> b.putFloat((float) x);
                case F64 -> b.putDouble(x);
                case F16 -> b.putShort(Float.floatToFloat16((float) x));
                case BF16 -> b.putShort((short) (Float.floatToRawIntBits((float) x) >>> 16)); // exact for these values
                default -> throw new IllegalArgumentException(dtype.name());
            }
        }
        return b.array();
    }
}
