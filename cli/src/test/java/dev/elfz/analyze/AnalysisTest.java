package dev.elfz.analyze;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Dtype;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.analyze.Analysis.DtypeStats;
import dev.elfz.analyze.Analysis.Report;
import dev.elfz.analyze.Analysis.ValueStats;
import dev.elfz.onnx.OnnxBytes;
import dev.elfz.safetensors.SafetensorsException;
import dev.elfz.samples.PlantedZoo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analysis on crafted files whose answers are known exactly. */
class AnalysisTest {

    @TempDir
    Path dir;

    private static Report analyse(Path... paths) throws IOException {
        return new Analysis().run(List.of(paths));
    }

    @Test
    void duplicateTensorsAcrossTwoFilesAreCountedOnceEach() throws IOException {
        byte[] w = Planted.random(1, 4096);
        byte[] b = Planted.random(2, 1024);
        byte[] ids = Planted.random(3, 64);
        new Planted()
                .add("w", Dtype.F32, new long[] {32, 32}, w)
                .add("b", Dtype.F32, new long[] {256}, b)
                .add("x", Dtype.I64, new long[] {8}, ids)
                .write(dir.resolve("a.safetensors"));
        Files.createDirectories(dir.resolve("sub"));
        new Planted()
                .add("w.copy", Dtype.F32, new long[] {32, 32}, w)
                .add("b.reshaped", Dtype.F32, new long[] {16, 16}, b) // same bytes, another shape: not the same tensor
                .add("y", Dtype.I64, new long[] {8}, ids)
                .add("other", Dtype.F32, new long[] {256}, Planted.random(4, 1024))
                .write(dir.resolve("sub/b.safetensors"));
        Report r = analyse(dir);
        assertEquals(2, r.files().size());
        assertEquals(7, r.tensors());
        Map<String, DtypeStats> d = Analysis.byDtype(r);
        assertEquals(1, d.get("F32").duplication().duplicateLayers());
        assertEquals(4096, d.get("F32").duplication().duplicateLayerBytes());
        assertEquals(1, d.get("I64").duplication().duplicateLayers());
        assertEquals(64, d.get("I64").duplication().duplicateLayerBytes());
        assertEquals(2, r.total().duplication().duplicateLayers());
        assertEquals(4160, r.total().duplication().duplicateLayerBytes());
        assertEquals(2 * (4096 + 1024 + 64) + 1024, r.total().duplication().scannedBytes());
        // as chunks, the reshaped copy repeats too: 4096 + 1024 (F32) + 64 (I64), under every chunking
        for (DtypeStats s : List.of(d.get("F32"), d.get("I64"), r.total())) {
            long expected = s.dtype().equals("F32") ? 5120 : s.dtype().equals("I64") ? 64 : 5184;
            assertEquals(expected, s.duplication().fixed4kBytes(), s.dtype());
            assertEquals(expected, s.duplication().fixed512Bytes(), s.dtype());
            assertEquals(expected, s.duplication().cdcBytes(), s.dtype());
        }
        assertFalse(r.chunkIndex().saturated());
    }

    @Test
    void duplicateChunksAtKnownOffsets() throws IOException {
        byte[] t = Planted.random(5, 16384);
        System.arraycopy(t, 0, t, 8192, 4096); // a 4 KiB block again, 4 KiB-aligned: 4096 B by both
        System.arraycopy(t, 1024, t, 13312, 512); // a 512 B block again, 512-aligned only: 512 B more by 512 B chunks
        System.arraycopy(t, 2000, t, 14000, 512); // a copy on no boundary: nothing by either
        new Planted().add("u", Dtype.U8, new long[] {16384}, t).write(dir.resolve("m.safetensors"));
        DtypeStats u = Analysis.byDtype(analyse(dir)).get("U8");
        assertEquals(4096, u.duplication().fixed4kBytes());
        assertEquals(4096 + 512, u.duplication().fixed512Bytes());
        assertEquals(0, u.duplication().duplicateLayers());
        assertNull(u.values(), "no value statistics for integers");
        Analysis.ChunkIndex c = analyse(dir).chunkIndex();
        assertEquals(4, c.fixed4kChunks());
        assertEquals(3, c.distinctFixed4k());
        assertEquals(32, c.fixed512Chunks());
        assertEquals(32 - 9, c.distinctFixed512());
    }

    @Test
    void contentDefinedChunksFindAShiftedCopyThatFixedChunksMiss() throws IOException {
        byte[] a = Planted.random(6, 65536);
        byte[] b = new byte[100 + a.length];
        System.arraycopy(Planted.random(7, 100), 0, b, 0, 100);
        System.arraycopy(a, 0, b, 100, a.length);
        new Planted()
                .add("a", Dtype.U8, new long[] {a.length}, a)
                .add("b", Dtype.U8, new long[] {b.length}, b)
                .write(dir.resolve("m.safetensors"));
        DtypeStats u = Analysis.byDtype(analyse(dir)).get("U8");
        assertEquals(0, u.duplication().fixed4kBytes());
        assertEquals(0, u.duplication().fixed512Bytes());
        // all but the chunks around the shifted start (and the tail) realign: at least 64 KiB - 2 x 16 KiB
        assertTrue(u.duplication().cdcBytes() >= 65536 - 2 * 16384, u.toString());
        assertTrue(u.duplication().cdcBytes() <= 65536, u.toString());
    }

    @Test
    void tensorsLargerThanAWindowAreChunkedAsIfWhole() throws IOException {
        int n = (int) (3 * Analysis.WINDOW + 1000);
        byte[] b = Planted.random(8, n);
        new Planted()
                .add("a", Dtype.U8, new long[] {n}, b)
                .add("b", Dtype.I8, new long[] {n}, b)
                .add("c", Dtype.U8, new long[] {n}, b)
                .write(dir.resolve("m.safetensors"));
        Report r = analyse(dir);
        int cuts = 0;
        MemorySegment s = MemorySegment.ofArray(b);
        for (long o = 0; o < n; cuts++) {
            o += FastCdc.DEFAULT.next(s, o, n);
        }
        assertEquals(3L * cuts, r.chunkIndex().cdcChunks());
        assertEquals(cuts, r.chunkIndex().distinctCdc());
        assertEquals(3L * ((n + 4095) / 4096), r.chunkIndex().fixed4kChunks());
        assertEquals((n + 4095) / 4096, r.chunkIndex().distinctFixed4k());
        DtypeStats u8 = Analysis.byDtype(r).get("U8");
        assertEquals(
                List.of(1L, (long) n, (long) n, (long) n, (long) n),
                List.of(
                        u8.duplication().duplicateLayers(),
                        u8.duplication().duplicateLayerBytes(),
                        u8.duplication().fixed4kBytes(),
                        u8.duplication().fixed512Bytes(),
                        u8.duplication().cdcBytes()));
        DtypeStats i8 = Analysis.byDtype(r).get("I8");
        assertEquals(0, i8.duplication().duplicateLayers(), "another dtype: not the same tensor");
        assertEquals(n, i8.duplication().cdcBytes(), "but the same chunks");
    }

    @Test
    void valueStatisticsOfKnownValues() throws IOException {
        float[] v = {
            0.5f,
            -0.5f,
            0.999f,
            -1f,
            1f,
            2f,
            -3f,
            Float.NaN,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            0f,
            -0.0f
        };
        new Planted().floats("f", v).write(dir.resolve("m.safetensors"));
        ValueStats s = Analysis.byDtype(analyse(dir)).get("F32").values();
        assertEquals(12, s.values());
        assertEquals(5, s.inUnit()); // 0.5, -0.5, 0.999, 0, -0
        assertEquals(5 / 12.0, s.inUnitShare(), 0);
        assertEquals(-3, s.min());
        assertEquals(2, s.max());
        assertEquals(1, s.nan());
        assertEquals(2, s.inf());
        double[] finite = {0.5, -0.5, (double) 0.999f, -1, 1, 2, -3, 0, 0};
        double mean = Arrays.stream(finite).sum() / finite.length;
        double var = Arrays.stream(finite).map(x -> (x - mean) * (x - mean)).sum() / finite.length;
        assertEquals(mean, s.mean(), 1e-15);
        assertEquals(Math.sqrt(var), s.std(), 1e-15);
        Analysis.Histogram h = s.histogram();
        assertEquals(1, h.below(), "-3");
        assertEquals(1, h.above(), "2 (the range is [-2, 2))");
        long[] expected = new long[Analysis.BINS];
        expected[50] = 1; // -1
        expected[75] = 1; // -0.5
        expected[100] = 2; // 0 and -0
        expected[125] = 1; // 0.5
        expected[149] = 1; // 0.999
        expected[150] = 1; // 1
        assertArrayEquals(expected, h.counts());
    }

    @Test
    void halfAndBfloatAndDoubleValues() throws IOException {
        ByteBuffer h = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : new float[] {0.25f, -1.5f, Float.NaN, 65504f}) {
            h.putShort(Float.floatToFloat16(f));
        }
        ByteBuffer bf = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : new float[] {-0.75f, 3f, Float.NEGATIVE_INFINITY}) {
            bf.putShort((short) (Float.floatToRawIntBits(f) >>> 16));
        }
        ByteBuffer d = ByteBuffer.allocate(16)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(1e-300)
                .putDouble(-0.999999999999);
        new Planted()
                .add("h", Dtype.F16, new long[] {4}, h.array())
                .add("bf", Dtype.BF16, new long[] {3}, bf.array())
                .add("d", Dtype.F64, new long[] {2}, d.array())
                .write(dir.resolve("m.safetensors"));
        Report r = analyse(dir);
        Map<String, DtypeStats> m = Analysis.byDtype(r);
        ValueStats f16 = m.get("F16").values();
        assertEquals(
                List.of(4L, 1L, -1.5, 65504.0, 1L, 0L),
                List.of(f16.values(), f16.inUnit(), f16.min(), f16.max(), f16.nan(), f16.inf()));
        ValueStats b16 = m.get("BF16").values();
        assertEquals(
                List.of(3L, 1L, -0.75, 3.0, 0L, 1L),
                List.of(b16.values(), b16.inUnit(), b16.min(), b16.max(), b16.nan(), b16.inf()));
        ValueStats f64 = m.get("F64").values();
        assertEquals(
                List.of(2L, 2L, -0.999999999999, 1e-300), List.of(f64.values(), f64.inUnit(), f64.min(), f64.max()));
        ValueStats all = r.total().values();
        assertEquals(9, all.values());
        assertEquals(4, all.inUnit());
        assertEquals(-1.5, all.min());
        assertEquals(65504, all.max());
        assertEquals(1, all.nan());
        assertEquals(1, all.inf());
    }

    @Test
    void statisticsOverManyBlocksMatchATwoPassComputation() throws IOException {
        int n = 3 * Analysis.BLOCK + 123;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i % 7 - 3) * 0.25f + 100; // far from 0: a one-pass sum of squares would lose digits
        }
        new Planted().floats("f", v).write(dir.resolve("m.safetensors"));
        ValueStats s = Analysis.byDtype(analyse(dir)).get("F32").values();
        double mean = 0;
        for (float x : v) {
            mean += x;
        }
        mean /= n;
        double m2 = 0;
        for (float x : v) {
            m2 += (x - mean) * (x - mean);
        }
        assertEquals(mean, s.mean(), 1e-12);
        assertEquals(Math.sqrt(m2 / n), s.std(), 1e-12);
        assertEquals(0, s.inUnit());
        assertEquals(99.25, s.min());
        assertEquals(100.75, s.max());
    }

    @Test
    void dtypeMixCountsAndShares() throws IOException {
        new Planted()
                .add("w", Dtype.F32, new long[] {10, 10}, new byte[400])
                .add("b", Dtype.F32, new long[] {5}, new byte[20])
                .add("h", Dtype.F16, new long[] {8}, new byte[16])
                .add("i", Dtype.I64, new long[] {3}, new byte[24])
                .add("m", Dtype.BOOL, new long[] {4}, new byte[4])
                .write(dir.resolve("m.safetensors"));
        Report r = analyse(dir.resolve("m.safetensors"));
        assertEquals(5, r.tensors());
        assertEquals(464, r.bytes());
        assertEquals(
                List.of("BOOL", "F16", "F32", "I64"),
                r.dtypes().stream().map(DtypeStats::dtype).sorted().toList());
        DtypeStats f32 = Analysis.byDtype(r).get("F32");
        assertEquals(2, f32.layers());
        assertEquals(0.4, f32.layerShare());
        assertEquals(420, f32.bytes());
        assertEquals(420 / 464.0, f32.byteShare());
        assertEquals(105, f32.parameters());
        assertEquals(52.5, f32.averageParameters());
        assertEquals(210, f32.averageBytes());
        assertEquals(105, f32.values().inUnit(), "zeros are inside (-1, 1)");
        DtypeStats bool = Analysis.byDtype(r).get("BOOL");
        assertEquals(1, bool.layers());
        assertEquals(4 / 464.0, bool.byteShare());
        assertEquals(5, r.total().layers());
        assertEquals(1.0, r.total().layerShare());
        assertEquals(1.0, r.total().byteShare());
        assertEquals(105 + 8, r.total().values().values());
    }

    @Test
    void elfzFilesAreDescribedFromTheirIndex() throws IOException {
        Path in = new Planted()
                .floats("f", 0.5f, 0.25f, -0.125f, 2f)
                .add("i", Dtype.I32, new long[] {2}, new byte[8])
                .write(dir.resolve("m.safetensors"));
        Path z = dir.resolve("m.elfz");
        Elfz.compress(in, z, ElfzOptions.defaults());
        Report r = analyse(z);
        assertEquals(1, r.files().size());
        assertEquals("elfz", r.files().getFirst().kind());
        assertEquals(Files.size(z), r.files().getFirst().bytes());
        assertEquals(2, r.tensors());
        assertEquals(24, r.bytes());
        DtypeStats f32 = Analysis.byDtype(r).get("F32");
        assertEquals(1, f32.layers());
        assertEquals(16, f32.bytes());
        assertNull(f32.values(), "no values are decoded");
        assertEquals(0, f32.duplication().scannedBytes());
        // both: the safetensors file is scanned, the .elfz only counted
        Report both = analyse(dir);
        assertEquals(4, both.tensors());
        assertEquals(24, both.total().duplication().scannedBytes());
        assertEquals(0, both.total().duplication().duplicateLayers());
    }

    @Test
    void theSameFileReachedTwiceIsAnalysedOnce() throws IOException {
        Path f = new Planted().floats("f", 0.5f).write(dir.resolve("m.safetensors"));
        Files.createSymbolicLink(dir.resolve("link.safetensors"), f);
        Report r = analyse(dir, f);
        assertEquals(1, r.files().size());
        assertEquals(0, r.total().duplication().duplicateLayers());
    }

    @Test
    void aFullFingerprintTableGivesALowerBoundAndSaysSo() throws IOException {
        byte[] b = Planted.random(9, 64 * 512);
        new Planted()
                .add("a", Dtype.U8, new long[] {b.length}, b)
                .add("b", Dtype.I8, new long[] {b.length}, b)
                .write(dir.resolve("m.safetensors"));
        Report full = analyse(dir);
        assertFalse(full.chunkIndex().saturated());
        assertEquals(b.length, full.total().duplication().fixed512Bytes(), "the second copy, all of it");
        // room for one table of 4096 slots: the other two store nothing
        Report r = new Analysis(Analysis.Options.defaults().withMemory(8 * 4096)).run(List.of(dir));
        assertTrue(r.chunkIndex().saturated());
        assertEquals(8 * 4096, r.chunkIndex().memoryLimit());
        assertTrue(r.chunkIndex().memoryBytes() <= 8 * 4096 + 2 * 128, "two token tables of 16 slots besides");
        assertEquals(b.length, r.total().duplication().fixed4kBytes(), "the first table, 16 of 4096 slots used");
        assertEquals(0, r.total().duplication().fixed512Bytes(), "a lower bound: nothing stored, nothing found");
        assertEquals(0, r.chunkIndex().distinctFixed512());
    }

    @Test
    void theResultDoesNotDependOnTheThreads() throws IOException {
        byte[] w = Planted.random(21, (int) (2 * Analysis.WINDOW + 5000));
        float[] v = new float[300_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i * 0.001) * (i % 5 == 0 ? 3 : 0.5f);
        }
        new Planted()
                .add("w", Dtype.U8, new long[] {w.length}, w)
                .floats("v", v)
                .write(dir.resolve("a.safetensors"));
        new Planted()
                .add("w2", Dtype.U8, new long[] {w.length}, w)
                .floats("v", v)
                .write(dir.resolve("b.safetensors"));
        Report one = new Analysis(Analysis.Options.defaults().withThreads(1)).run(List.of(dir));
        for (int t : new int[] {2, 3}) {
            Report more = new Analysis(Analysis.Options.defaults().withThreads(t)).run(List.of(dir));
            assertEquals(withoutArrays(one), withoutArrays(more), t + " threads");
            assertArrayEquals(
                    Analysis.byDtype(one).get("F32").values().histogram().counts(),
                    Analysis.byDtype(more).get("F32").values().histogram().counts());
            assertEquals(one.chunkIndex(), more.chunkIndex(), t + " threads");
        }
        DtypeStats u8 = Analysis.byDtype(one).get("U8");
        assertEquals(1, u8.duplication().duplicateLayers());
        assertEquals(w.length, u8.duplication().cdcBytes());
    }

    @Test
    void aPlantedZooGivesThePlantedAnswers() throws IOException {
        Planted base = new Planted();
        for (int i = 0; i < 20; i++) { // 20 tensors of 4 to 80 KB, the largest last but one
            float[] v = new float[1000 * (i == 18 ? 20 : 1 + i % 4)];
            SplittableRandom r = new SplittableRandom(i);
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) (r.nextGaussian() * 0.05);
            }
            base.floats("t" + i, v);
        }
        Path model = base.write(dir.resolve("model.safetensors"));
        PlantedZoo.Planted p = PlantedZoo.write(model, dir.resolve("zoo"), 2);
        Report r = analyse(dir.resolve("zoo"));
        assertEquals(4, r.files().size());
        assertEquals(p.files(), r.files().size());
        assertEquals(p.tensors(), r.tensors());
        assertEquals(p.bytes(), r.bytes());
        Analysis.Duplication d = r.total().duplication();
        assertEquals(12 + 4, p.duplicateLayers(), "20 - 8 and 20 - 16");
        assertEquals(p.duplicateLayers(), d.duplicateLayers());
        assertEquals(p.duplicateLayerBytes(), d.duplicateLayerBytes());
        assertEquals(p.duplicateLayerBytes(), d.fixed4kBytes(), "only whole tensors repeat on the 4 KiB grid");
        assertEquals(p.duplicateLayerBytes(), d.fixed512Bytes());
        long cdcShifted = d.cdcBytes() - p.duplicateLayerBytes();
        assertTrue(
                cdcShifted <= p.shiftedBytes() && cdcShifted >= p.shiftedBytes() - 2 * 16384,
                cdcShifted + " of " + p.shiftedBytes() + " shifted bytes found by FastCDC");
    }

    @Test
    void onnxInitializersAreTensorsLikeAnyOther() throws IOException {
        float[] w = OnnxBytes.weights(3000, 5);
        byte[] bytes = OnnxBytes.floats(w);
        byte[] model = OnnxBytes.model(new OnnxBytes()
                .message(5, OnnxBytes.tensor("w", 1, 30, 100).bytes(9, bytes)) // raw_data
                .message(5, OnnxBytes.tensor("w.copy", 1, 30, 100).bytes(4, bytes)) // packed float_data: same tensor
                .message(5, OnnxBytes.tensor("ids", 7, 2).bytes(9, new byte[16])));
        Files.write(dir.resolve("m.onnx"), model);
        new Planted().add("w", Dtype.F32, new long[] {30, 100}, bytes).write(dir.resolve("m.safetensors"));
        Report r = analyse(dir);
        assertEquals(
                List.of("onnx", "safetensors"),
                r.files().stream().map(Analysis.FileStats::kind).toList());
        assertEquals(model.length, r.files().getFirst().bytes());
        assertEquals(4, r.tensors());
        DtypeStats f32 = Analysis.byDtype(r).get("F32");
        assertEquals(3, f32.layers());
        assertEquals(2, f32.duplication().duplicateLayers(), "the packed copy and the safetensors one");
        assertEquals(9000, f32.values().values());
        assertEquals(
                Arrays.stream(toDoubles(w)).min().orElseThrow(), f32.values().min());
        assertEquals(1, Analysis.byDtype(r).get("I64").layers());
        assertTrue(r.predictions().size() > 0, "ONNX weights get an estimate too");
    }

    @Test
    void miniLmFromMavenCentral() throws IOException {
        Report r = analyse(OnnxBytes.miniLm(dir));
        assertEquals(102, r.tensors(), "101 float32 initializers and position_ids");
        DtypeStats f32 = Analysis.byDtype(r).get("F32");
        assertEquals(101, f32.layers());
        assertTrue(
                f32.values().inUnitShare() > 0.999,
                "nearly every float32 weight lies in (-1, 1): " + f32.values().inUnitShare());
        assertEquals(0, f32.values().nan() + f32.values().inf());
        assertEquals(f32.bytes(), f32.duplication().scannedBytes());
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    /** The rows as text, but for the histograms' counts (arrays print as their identity). */
    private static String withoutArrays(Report r) {
        return r.dtypes().toString().replaceAll("counts=\\[J@[0-9a-f]+", "counts");
    }

    @Test
    void badInputNamesTheFile() throws IOException {
        Path good = new Planted().floats("f", 0.5f, 0.25f).write(dir.resolve("a.safetensors"));
        byte[] bytes = Files.readAllBytes(good);
        Path cut = Files.write(dir.resolve("b.safetensors"), Arrays.copyOf(bytes, bytes.length - 3));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> analyse(dir));
        assertTrue(e.getMessage().startsWith(cut.toString() + ": "), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> analyse(dir.resolve("missing")));
        Path other = Files.writeString(dir.resolve("notes.txt"), "hello");
        IOException x = assertThrows(IOException.class, () -> analyse(other));
        assertEquals(
                other + ": not a .safetensors, .onnx, .gguf, PyTorch (.bin, .pt, .pth) or .elfz file", x.getMessage());
    }
}
