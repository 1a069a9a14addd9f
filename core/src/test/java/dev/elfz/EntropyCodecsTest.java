package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.codec.grid.GridParams;
import dev.elfz.container.DamagedElfzTest;
import dev.elfz.container.Verify;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Lossless and error-bound codecs behind the entropy stage, on values chosen to break them. */
class EntropyCodecsTest {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    /** Values that break float codecs: specials, NaN payloads, subnormals, extremes, grid midpoints. */
    static final double[] SPECIALS = {
        0.0,
        -0.0,
        Double.NaN,
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        Double.MIN_VALUE,
        -Double.MIN_VALUE,
        Float.MIN_VALUE,
        Float.MIN_NORMAL,
        Float.MAX_VALUE,
        -Float.MAX_VALUE,
        Double.MAX_VALUE,
        1.0,
        -1.0,
        0.999999,
        1e-30,
        1e30,
        -1e30,
        3e9,
        -3e9,
        0.5,
        1.5e-4,
        2.5e-4,
        -2.5e-4
    };

    /**
     * Every 16-bit pattern (all NaN payloads, subnormals, both zeros) for F16 and BF16; for F32 and F64 real-looking
     * weights with runs of random bit patterns and the specials between them.
     */
    private Path adversarial(long seed) throws IOException {
        List<TensorSpec> specs = List.of(
                new TensorSpec("f16.all", Dtype.F16, new long[] {256, 256}),
                new TensorSpec("bf16.all", Dtype.BF16, new long[] {256, 256}),
                new TensorSpec("f32.mixed", Dtype.F32, new long[] {300, 111}),
                new TensorSpec("f64.mixed", Dtype.F64, new long[] {100, 111}),
                new TensorSpec("i32", Dtype.I32, new long[] {50}));
        SplittableRandom r = new SplittableRandom(seed);
        Path file = dir.resolve("adversarial.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> data = new ArrayList<>();
            for (TensorSpec s : specs) {
                MemorySegment m = arena.allocate(s.byteSize());
                long n = s.byteSize() / (s.dtype().bits() / 8);
                for (long i = 0; i < n; i++) {
                    switch (s.dtype()) {
                        case F16, BF16 -> m.setAtIndex(U16, i, (short) i);
                        case F32 ->
                            m.setAtIndex(
                                    U32,
                                    i,
                                    (i / 500) % 7 == 3 ? r.nextInt() : Float.floatToRawIntBits((float) value(r)));
                        case F64 ->
                            m.setAtIndex(
                                    U64, i, (i / 500) % 7 == 3 ? r.nextLong() : Double.doubleToRawLongBits(value(r)));
                        default -> m.setAtIndex(U32, i, r.nextInt());
                    }
                }
                if (s.dtype() == Dtype.F32) {
                    m.setAtIndex(U32, 7, 0x7fc01234); // a NaN with a payload
                    m.setAtIndex(U32, 8, 0xffa00001); // a signalling NaN
                }
                data.add(m);
            }
            SafetensorsWriter.write(file, specs, data, Map.of(), true);
        }
        return file;
    }

    private static double value(SplittableRandom r) {
        return r.nextInt(50) == 0 ? SPECIALS[r.nextInt(SPECIALS.length)] : r.nextGaussian() * 0.04;
    }

    @Test
    void losslessGivesTheSameFileForEveryFloatDtypeAndEveryBitPattern() throws IOException {
        Path in = adversarial(1);
        Path z = dir.resolve("a.elfz");
        ElfzOptions o = ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS).withChunkBytes(10_000);
        ElfzArchive a = Elfz.compress(in, z, o);
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(z, back, o);
        assertEquals(-1, Files.mismatch(in, back), "bit for bit, NaN payloads and all");
        for (ElfzTensor t : a.files().getFirst().tensors()) {
            // weights shrink, random ints are stored; the 16-bit sweeps shrink or not by chunk: both are exact
            if (!t.name().endsWith(".all")) {
                assertEquals(
                        (t.name().endsWith(".mixed") ? Codec.LOSSLESS : Codec.RAW),
                        t.data().codec(),
                        t.name());
            }
            assertTrue(t.data().crc32c().isPresent(), t.name() + ": lossless streams keep their checksum");
        }
        Verify.Report report = Verify.verify(in, z, o);
        assertTrue(report.ok(), report.problems().toString());
    }

    @ParameterizedTest
    @ValueSource(doubles = {0x1p-20, 1e-6, 1e-4, 1e-2, 0.5})
    void everyValueComesBackWithinTheBoundOrExact(double bound) throws IOException {
        Path in = adversarial(2);
        Path z = dir.resolve("b.elfz");
        ElfzOptions o = ElfzOptions.defaults().withErrorBound(bound).withChunkBytes(7_000);
        ElfzArchive a = Elfz.compress(in, z, o);
        Path back = dir.resolve("back.safetensors");
        Elfz.decompress(z, back, o);
        try (SafetensorsFile x = SafetensorsFile.open(in);
                SafetensorsFile y = SafetensorsFile.open(back)) {
            for (TensorInfo t : x.tensors()) {
                MemorySegment p = x.data(t);
                MemorySegment q = y.data(y.tensor(t.name()));
                Codec codec = a.files().getFirst().tensors().stream()
                        .filter(e -> e.name().equals(t.name()))
                        .findFirst()
                        .orElseThrow()
                        .codec();
                switch (t.dtype()) {
                    case F32, F64 -> {
                        assertEquals(Codec.GRID, codec, t.name());
                        assertWithin(p, q, t.dtype(), bound, t.name());
                    }
                    // F16, BF16: lossless under any bound; other dtypes raw
                    default -> assertEquals(-1, p.mismatch(q), t.name() + " is exact");
                }
            }
        }
        Verify.Report report = Verify.verify(in, z, o);
        assertTrue(report.ok(), report.problems().toString());
        for (Verify.Check c : report.checks()) {
            assertTrue(c.maxError() <= bound, c.what() + ": " + c.maxError() + " > " + bound);
        }
    }

    /** Finite values within the bound; NaN and infinities bit for bit. */
    private static void assertWithin(MemorySegment p, MemorySegment q, Dtype d, double bound, String name) {
        long n = p.byteSize() / (d.bits() / 8);
        long exact = 0;
        for (long i = 0; i < n; i++) {
            double x = d == Dtype.F32
                    ? Float.intBitsToFloat(p.getAtIndex(U32, i))
                    : Double.longBitsToDouble(p.getAtIndex(U64, i));
            double y = d == Dtype.F32
                    ? Float.intBitsToFloat(q.getAtIndex(U32, i))
                    : Double.longBitsToDouble(q.getAtIndex(U64, i));
            boolean same = d == Dtype.F32
                    ? p.getAtIndex(U32, i) == q.getAtIndex(U32, i)
                    : p.getAtIndex(U64, i) == q.getAtIndex(U64, i);
            if (!Double.isFinite(x)) {
                assertTrue(same, name + "[" + i + "]: " + x + " must come back bit for bit");
            } else if (!(Math.abs(x - y) <= bound)) {
                throw new AssertionError(name + "[" + i + "]: " + x + " decoded as " + y + ", bound " + bound);
            }
            exact += same ? 1 : 0;
        }
        assertTrue(exact < n, name + ": some values moved to the grid");
    }

    @Test
    void aDamagedHuffmanStreamIsAOneLineErrorEvenWithItsChunkChecksumMended() throws IOException {
        Path in = adversarial(3);
        Path z = dir.resolve("c.elfz");
        ElfzArchive a = Elfz.compress(in, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
        ElfzTensor t = a.files().getFirst().tensors().stream()
                .filter(e -> e.name().equals("f32.mixed"))
                .findFirst()
                .orElseThrow();
        Chunk chunk = t.data().chunks().get(0);
        assertEquals(Codec.LOSSLESS, t.data().codec());
        byte[] b = Files.readAllBytes(z);
        int at = (int) (chunk.offset() + chunk.length() - 40); // in the exponent plane's code
        for (int flip : new int[] {0x01, 0x10, 0xff}) {
            byte[] bad = b.clone();
            bad[at] ^= (byte) flip;
            CRC32C crc = new CRC32C();
            crc.update(bad, (int) chunk.offset(), (int) chunk.length());
            byte[] mended = DamagedElfzTest.withIndex(
                    bad,
                    j -> j.replace(
                            "[" + chunk.offset() + "," + chunk.length() + "," + chunk.crc32c() + ",",
                            "[" + chunk.offset() + "," + chunk.length() + "," + crc.getValue() + ","));
            Path damaged = dir.resolve("damaged.elfz");
            Files.write(damaged, mended);
            IOException e = assertThrows(
                    IOException.class,
                    () -> Elfz.decompress(damaged, dir.resolve("out.safetensors"), ElfzOptions.defaults()));
            // the Huffman decoder finds the stream broken, or the tensor's own checksum finds the bytes wrong
            assertTrue(e.getMessage().startsWith(damaged + ": tensor f32.mixed: "), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            assertTrue(Files.notExists(dir.resolve("out.safetensors")), "no partial output");
        }
    }

    @Test
    void theBoundPicksTheCodecByDtype() {
        assertEquals(Codec.GRID, ErrorBound.codecFor(Dtype.F32, 1e-4));
        assertEquals(Codec.GRID, ErrorBound.codecFor(Dtype.F64, ErrorBound.GRID_MIN));
        assertEquals(Codec.ELF, ErrorBound.codecFor(Dtype.F32, 0x1p-24));
        assertEquals(Codec.ELF, ErrorBound.codecFor(Dtype.F32, 1e-7));
        assertEquals(Codec.LOSSLESS, ErrorBound.codecFor(Dtype.F32, 1e-8));
        assertEquals(Codec.LOSSLESS, ErrorBound.codecFor(Dtype.F32, 0));
        assertEquals(Codec.ELF, ErrorBound.codecFor(Dtype.F64, 1e-12));
        assertEquals(Codec.LOSSLESS, ErrorBound.codecFor(Dtype.F64, 1e-17));
        assertEquals(Codec.LOSSLESS, ErrorBound.codecFor(Dtype.BF16, 0.1));
        assertEquals(Codec.LOSSLESS, ErrorBound.codecFor(Dtype.F16, 0.1));
        assertEquals(Codec.RAW, ErrorBound.codecFor(Dtype.I64, 0.1));
        GridParams p = GridParams.forBound(1e-4);
        assertTrue(p.step() < 2e-4 && p.step() > 1.99e-4, "step " + p.step());
    }

    @Test
    void aBoundIsRefusedWhereItCannotApply() {
        ElfzOptions o = ElfzOptions.defaults();
        assertThrows(IllegalArgumentException.class, () -> o.withErrorBound(-1e-4));
        assertThrows(IllegalArgumentException.class, () -> o.withErrorBound(Double.POSITIVE_INFINITY));
        assertThrows(
                IllegalArgumentException.class,
                () -> o.withCodec(CodecChoice.ELF).withErrorBound(1e-4));
        assertThrows(
                IllegalArgumentException.class,
                () -> o.withCodec(CodecChoice.LOSSLESS).withErrorBound(1e-4));
        assertThrows(IllegalArgumentException.class, () -> new GridParams(1e-4, 3e-4));
        assertThrows(IllegalArgumentException.class, () -> GridParams.fromIndex(Map.of("error_bound", 1e-4)));
    }
}
