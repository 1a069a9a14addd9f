package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.container.Verify;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.samples.BertSafetensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BERT-base (real weights, 440 MB of float32) through the container: ratio, bound, exact bytes where lossless. */
class BertRoundTripTest {

    @TempDir
    static Path dir;

    static Path bert;

    @BeforeAll
    static void convert() throws IOException {
        bert = dir.resolve("bert.safetensors");
        BertSafetensors.write(null, bert, false);
    }

    @Test
    void elfWithTheEntropyStageReachesItsEntropyLimitWithinTheBound() throws IOException {
        Path z = dir.resolve("bert-elf.elfz");
        ElfzArchive a = Elfz.compress(
                bert, z, ElfzOptions.defaults().withCodec(CodecChoice.ELF).withThreads(2));
        double ratio = (double) Files.size(bert) / Files.size(z);
        // ELF alone gives 4/3; its grid's zero-order entropy allows 1.564 (anchors.md)
        assertTrue(ratio >= 1.55 && ratio < 1.6, "ratio " + ratio);
        assertEquals(204, a.files().getFirst().tensors().size());
        Verify.Report report = Verify.verify(bert, z, ElfzOptions.defaults().withThreads(2));
        assertTrue(report.ok(), report.problems().toString());
        assertEquals(204 + 1, report.checks().size(), "every tensor and the header");
        for (Verify.Check c : report.checks()) { // what verify calls within ELF's bound is, against the constant
            assertTrue(c.codec() != Codec.ELF || c.bound() == 0x1p-24 && c.maxError() <= 0x1p-24, c.toString());
        }

        Path back = dir.resolve("bert-elf.safetensors");
        Elfz.decompress(z, back, ElfzOptions.defaults().withThreads(2));
        try (SafetensorsFile orig = SafetensorsFile.open(bert);
                SafetensorsFile dec = SafetensorsFile.open(back);
                ElfzReader r = ElfzReader.open(z);
                Arena arena = Arena.ofConfined()) {
            assertEquals(orig.tensors(), dec.tensors());
            assertEquals(orig.metadata(), dec.metadata());
            assertEquals(-1, orig.headerBytes().mismatch(dec.headerBytes()), "the header is kept byte for byte");
            for (TensorInfo t : orig.tensors()) {
                MemorySegment x = orig.data(t);
                MemorySegment y = dec.data(dec.tensor(t.name()));
                ElfzTensor et = r.tensor(t.name());
                // LayerNorm gains lie around 1: all exceptions, so ELF would not shrink them and they stay raw
                assertTrue(
                        et.codec() == Codec.ELF || t.name().endsWith("LayerNorm/gamma"), t.name() + " " + et.codec());
                assertWithin(x, y, et.codec() == Codec.ELF ? 0x1p-24 : 0, t.name());
                // the reader's single-tensor path gives the same bytes as whole-file decompression
                assertEquals(-1, r.read(et, arena).mismatch(y), t.name());
            }
        }
    }

    @Test
    void oneReaderServesManyThreadsAtOnce() throws Exception {
        Path z = dir.resolve("bert-threads.elfz");
        Elfz.compress(bert, z, ElfzOptions.defaults().withChunkBytes(1 << 16));
        try (ElfzReader r = ElfzReader.open(z);
                SafetensorsFile orig = SafetensorsFile.open(bert)) {
            List<ElfzTensor> tensors = r.tensors();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<String>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int start = t;
                    done.add(pool.submit(() -> {
                        // each thread walks the tensors from another place, so they overlap in time
                        for (int i = 0; i < tensors.size(); i++) {
                            ElfzTensor et = tensors.get((start * 51 + i) % tensors.size());
                            try (Arena arena = Arena.ofConfined()) {
                                assertWithin(
                                        orig.data(orig.tensor(et.name())),
                                        r.read(et, arena),
                                        et.codec() == Codec.ELF ? 0x1p-24 : 0,
                                        et.name());
                            }
                        }
                        return "ok";
                    }));
                }
                for (Future<String> f : done) {
                    assertEquals("ok", f.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void losslessIsByteIdenticalAndBeatsBytePlanesWithZstd() throws IOException {
        Path z = dir.resolve("bert-lossless.elfz");
        Elfz.compress(
                bert, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS).withThreads(2));
        double ratio = (double) Files.size(bert) / Files.size(z);
        assertTrue(ratio >= 1.19, "ratio " + ratio + " (zstd -3: 1.082, byte planes + zstd -3: 1.172)");
        Path back = dir.resolve("bert-lossless.safetensors");
        Elfz.decompress(z, back, ElfzOptions.defaults().withThreads(2));
        assertEquals(-1, Files.mismatch(bert, back));
        Files.delete(back);
    }

    @Test
    void losslessBf16IsByteIdentical() throws IOException {
        Path bf16 = dir.resolve("bert-bf16.safetensors");
        BertSafetensors.write(null, bf16, true, Dtype.BF16);
        Path z = dir.resolve("bert-bf16.elfz");
        Elfz.compress(bf16, z, ElfzOptions.defaults().withThreads(2)); // auto: lossless for BF16
        double ratio = (double) Files.size(bf16) / Files.size(z);
        assertTrue(ratio >= 1.48, "ratio " + ratio + " (byte planes + zstd -3: 1.416)");
        Path back = dir.resolve("bert-bf16-back.safetensors");
        Elfz.decompress(z, back, ElfzOptions.defaults().withThreads(2));
        assertEquals(-1, Files.mismatch(bf16, back));
        Files.delete(back);
        Files.delete(bf16);
    }

    @Test
    void anErrorBoundOf1e4TriplesTheRatioAndHolds() throws IOException {
        Path z = dir.resolve("bert-1e-4.elfz");
        ElfzOptions o = ElfzOptions.defaults().withErrorBound(1e-4).withThreads(2);
        Elfz.compress(bert, z, o);
        double ratio = (double) Files.size(bert) / Files.size(z);
        assertTrue(ratio >= 3.0, "ratio " + ratio + " (zfp -a 1e-4: 2.09)");
        Verify.Report report = Verify.verify(bert, z, o);
        assertTrue(report.ok(), report.problems().toString());
        for (Verify.Check c : report.checks()) {
            assertTrue(c.maxError() <= 1e-4, c.what() + ": " + c.maxError());
        }
    }

    @Test
    void rawIsByteIdentical() throws IOException {
        Path z = dir.resolve("bert-raw.elfz");
        Elfz.compress(bert, z, ElfzOptions.defaults().withCodec(CodecChoice.RAW).withThreads(2));
        Path back = dir.resolve("bert-raw.safetensors");
        Elfz.decompress(z, back, ElfzOptions.defaults().withThreads(1));
        assertEquals(-1, Files.mismatch(bert, back));
    }

    /** Every value within the bound, or bit for bit (values outside (-1, 1), NaN, Inf: the exceptions). */
    static void assertWithin(MemorySegment x, MemorySegment y, double bound, String name) {
        long n = x.byteSize() / 4;
        for (long i = 0; i < n; i++) {
            float a = x.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            float b = y.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            if (Math.abs(a) < 0.99999994f) {
                if (Math.abs((double) a - b) > bound) {
                    throw new AssertionError(name + "[" + i + "]: " + a + " decoded as " + b);
                }
            } else {
                assertEquals(Float.floatToRawIntBits(a), Float.floatToRawIntBits(b), name + "[" + i + "]");
            }
        }
    }
}
