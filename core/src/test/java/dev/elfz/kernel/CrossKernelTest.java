package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kernel against every other: the same codes and exceptions, bit for bit, and each decodes what the
 * others encoded (native C under every ISA of this CPU, Java Vector, Java scalar), on random and real weights.
 */
class CrossKernelTest {

    @AfterAll
    static void restoreIsa() {
        if (NativeLibrary.get().available()) {
            NativeKernel.selectIsa(NativeKernel.supportedIsa());
        }
    }

    /** Every implementation, the native one under each ISA this CPU has. */
    private static List<Kernel> kernels() {
        List<Kernel> all = new ArrayList<>(List.of(JavaVectorKernel.create(), new JavaScalarKernel()));
        if (NativeLibrary.get().available()) {
            for (String isa : NativeKernel.supportedIsas()) {
                all.add(new IsaPinned(isa));
            }
        }
        return all;
    }

    /** The comparisons below take the native kernel when it is there: said here, by name, when it is not. */
    @Test
    void theNativeKernelIsAmongThem() {
        NativeRequired.assume();
        assertTrue(kernels().stream().anyMatch(k -> k.name().startsWith("native-")));
    }

    @ParameterizedTest
    @EnumSource(ElfType.class)
    void sameBytesAndMutualDecoding(ElfType type) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> inputs = new ArrayList<>();
            for (long n : new long[] {0, 1, 7, 8, 9, 31, 33, 1000, 65_537}) {
                inputs.add(TestData.weightLike(type, n, n, arena));
            }
            if (type == ElfType.F32) {
                inputs.add(TestData.bert(8L << 20, arena));
            }
            List<Kernel> kernels = kernels();
            for (MemorySegment src : inputs) {
                long n = src.byteSize() / type.valueBytes();
                List<Encoded> encoded = new ArrayList<>();
                for (Kernel k : kernels) {
                    encoded.add(Encoded.of(k, type, src, n));
                }
                for (int i = 1; i < encoded.size(); i++) {
                    assertArrayEquals(
                            encoded.get(0).codes,
                            encoded.get(i).codes,
                            kernels.get(i).name() + " codes differ from "
                                    + kernels.get(0).name() + ", n=" + n);
                    assertArrayEquals(encoded.get(0).pos, encoded.get(i).pos, "exception positions");
                    assertArrayEquals(encoded.get(0).bits, encoded.get(i).bits, "exception bits");
                }
                byte[] expected = null;
                for (Kernel dec : kernels) {
                    for (Encoded e : encoded) {
                        byte[] out = e.decodeWith(dec, type, n);
                        if (expected == null) {
                            expected = out;
                        }
                        assertArrayEquals(expected, out, dec.name() + " decodes differently, n=" + n);
                    }
                }
            }
        }
    }

    /**
     * Real weights quantized by every kernel: 4-bit per group of 32 with absmax scales and 8-bit per tensor
     * with a zero point, then dequantized and bucketized by every kernel; the same bytes everywhere.
     */
    @ParameterizedTest
    @EnumSource(ElfType.class)
    void sameQuantizationOfRealWeights(ElfType type) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f32 = TestData.bert(4L << 20, arena);
            long n = f32.byteSize() / 4;
            MemorySegment src = arena.allocate(n * type.valueBytes());
            for (long i = 0; i < n; i++) {
                TestData.setBits(type, src, i, TestData.bitsOf(type, f32.getAtIndex(TestData.FLOAT, i)));
            }
            MemorySegment scales = arena.allocate(Kernel.groups(n, 32, 0) * 4);
            for (long g = 0; g < scales.byteSize() / 4; g++) {
                float max = 0;
                for (long i = g * 32; i < Math.min(n, g * 32 + 32); i++) {
                    max = Math.max(max, Math.abs(f32.getAtIndex(TestData.FLOAT, i)));
                }
                scales.setAtIndex(TestData.FLOAT, g, max / 7);
            }
            MemorySegment zeros = arena.allocate(scales.byteSize() / 4);
            MemorySegment tensorScale = arena.allocate(4).fill((byte) 0x3b); // 0x3b3b3b3b ~ 0.0029
            MemorySegment tensorZero = arena.allocate(1).fill((byte) 3);
            MemorySegment bounds = arena.allocate(15 * 4);
            for (int j = 0; j < 15; j++) {
                bounds.setAtIndex(TestData.FLOAT, j, (j - 7) * 0.01f);
            }
            byte[] expected = null;
            for (Kernel k : kernels()) {
                MemorySegment codes = arena.allocate(n * 3);
                MemorySegment values = arena.allocate(n * type.valueBytes() * 2);
                k.quantize(type, src, n, 32, 0, scales, zeros, 4, codes);
                k.quantize(type, src, n, n, 0, tensorScale, tensorZero, 8, codes.asSlice(n));
                k.bucketize(type, src, n, bounds, 15, codes.asSlice(2 * n));
                k.dequantize(type, codes, n, 32, 0, scales, zeros, 4, values);
                k.dequantize(
                        type,
                        codes.asSlice(n),
                        n,
                        n,
                        0,
                        tensorScale,
                        tensorZero,
                        8,
                        values.asSlice(n * type.valueBytes()));
                byte[] all = new byte[(int) (codes.byteSize() + values.byteSize())];
                MemorySegment.copy(codes, 0, MemorySegment.ofArray(all), 0, codes.byteSize());
                MemorySegment.copy(values, 0, MemorySegment.ofArray(all), codes.byteSize(), values.byteSize());
                if (expected == null) {
                    expected = all;
                }
                assertArrayEquals(expected, all, k.name() + " quantizes " + type + " differently");
            }
        }
    }

    /** Real weights (and the same bytes as 2- and 8-byte values) and random bits: the same planes everywhere. */
    @Test
    void samePlanesOfRealWeightsAndRandomBits() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> inputs = new ArrayList<>(List.of(TestData.bert(8L << 20, arena)));
            for (long bytes : new long[] {0, 8, 56, 200, 65_544}) {
                inputs.add(TestData.weightLike(ElfType.F64, bytes / 8, bytes, arena));
            }
            List<Kernel> kernels = kernels();
            for (MemorySegment src : inputs) {
                for (int width : new int[] {2, 4, 8}) {
                    for (boolean rotate : new boolean[] {false, true}) {
                        long n = src.byteSize() / width;
                        byte[] expected = null;
                        for (Kernel k : kernels) {
                            MemorySegment planes = arena.allocate(n * width + 1).asSlice(1);
                            k.planesSplit(src, n, width, rotate, planes);
                            byte[] got = planes.toArray(ValueLayout.JAVA_BYTE);
                            if (expected == null) {
                                expected = got;
                            }
                            String what = k.name() + " width " + width + (rotate ? " rotated" : "") + ", n=" + n;
                            assertArrayEquals(
                                    expected,
                                    got,
                                    what + ": planes differ from "
                                            + kernels.get(0).name());
                            byte[] back = new byte[(int) (n * width)];
                            k.planesJoin(
                                    MemorySegment.ofArray(expected), n, width, rotate, MemorySegment.ofArray(back));
                            assertArrayEquals(
                                    src.asSlice(0, n * width).toArray(ValueLayout.JAVA_BYTE), back, what + " join");
                        }
                    }
                }
            }
        }
    }

    /** Grid codes of real weights and of edge-heavy values: same codes and exceptions, same decoded bytes. */
    @ParameterizedTest
    @EnumSource(
            value = ElfType.class,
            names = {"F32", "F64"})
    void sameGridCodesOfRealWeightsAndEdgeValues(ElfType type) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f32 = TestData.bert(8L << 20, arena);
            long m = type == ElfType.F32 ? f32.byteSize() / 4 : 1 << 20;
            MemorySegment real = arena.allocate(m * type.valueBytes());
            for (long i = 0; i < m; i++) {
                TestData.setBits(type, real, i, TestData.bitsOf(type, f32.getAtIndex(TestData.FLOAT, i)));
            }
            List<Kernel> kernels = kernels();
            for (double[] grid : KernelContractTest.GRIDS) {
                for (MemorySegment src :
                        List.of(real, KernelContractTest.gridInput(type, 70_001, grid[0], grid[1], 5, arena))) {
                    long n = src.byteSize() / type.valueBytes();
                    byte[] expected = null;
                    byte[] expectedValues = null;
                    for (Kernel k : kernels) {
                        byte[] codes = new byte[(int) (4 * n)];
                        long[] pos = new long[(int) n];
                        byte[] bits = new byte[(int) n * type.valueBytes()];
                        long nExc = k.gridEncode(
                                type,
                                src,
                                n,
                                grid[0],
                                grid[1],
                                MemorySegment.ofArray(codes),
                                MemorySegment.ofArray(pos),
                                MemorySegment.ofArray(bits),
                                n,
                                3);
                        byte[] all = new byte[(int) (codes.length + 8 * nExc + nExc * type.valueBytes())];
                        MemorySegment.copy(
                                MemorySegment.ofArray(codes), 0, MemorySegment.ofArray(all), 0, codes.length);
                        MemorySegment.copy(
                                MemorySegment.ofArray(pos), 0, MemorySegment.ofArray(all), codes.length, 8 * nExc);
                        MemorySegment.copy(
                                MemorySegment.ofArray(bits),
                                0,
                                MemorySegment.ofArray(all),
                                codes.length + 8 * nExc,
                                nExc * type.valueBytes());
                        if (expected == null) {
                            expected = all;
                        }
                        String what = k.name() + " " + type + " grid " + grid[0] + "/" + grid[1] + ", n=" + n;
                        assertArrayEquals(
                                expected,
                                all,
                                what + ": codes or exceptions differ from "
                                        + kernels.get(0).name());
                        MemorySegment out =
                                arena.allocate(n * type.valueBytes() + 1).asSlice(1);
                        k.gridDecode(
                                type,
                                MemorySegment.ofArray(codes),
                                n,
                                grid[0],
                                out,
                                MemorySegment.ofArray(pos),
                                MemorySegment.ofArray(bits),
                                nExc,
                                3);
                        byte[] values = out.toArray(ValueLayout.JAVA_BYTE);
                        if (expectedValues == null) {
                            expectedValues = values;
                        }
                        assertArrayEquals(expectedValues, values, what + ": decodes differently");
                    }
                }
            }
        }
    }

    /**
     * Entropy planes: every kernel writes the same bytes for synthetic planes and for the byte planes of real
     * weights (float32, and float16 converted from them), and decodes what every other kernel wrote.
     */
    @Test
    void sameEntropyPlanesAndMutualDecoding() throws IOException {
        List<byte[]> planes = new ArrayList<>();
        for (int n : new int[] {0, 1, 2, 5, 17, 64, 255, 1000, 4099, 65_521, 300_001}) {
            for (TestData.PlaneKind kind : TestData.PlaneKind.values()) {
                planes.add(TestData.plane(kind, n, n + kind.ordinal()));
            }
        }
        // 23 symbols (the encoders' pair tables), the last fifth of the plane noisier: streams of very different sizes
        SplittableRandom random = new SplittableRandom(23);
        for (int n : new int[] {16_384, 100_003}) {
            byte[] lopsided = new byte[n];
            for (int i = 0; i < n; i++) {
                lopsided[i] = (byte) (i < n - n / 5 ? 9 : 10 + random.nextInt(22));
            }
            planes.add(lopsided);
        }
        int values = 1 << 20;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f32 = TestData.bertPlanes(values, arena);
            for (int b = 0; b < 4; b++) {
                planes.add(f32.asSlice((long) b * values, values).toArray(ValueLayout.JAVA_BYTE));
            }
            MemorySegment weights = TestData.bert(values * 4L, arena);
            MemorySegment f16 = arena.allocate(values * 2L);
            for (long i = 0; i < values; i++) {
                TestData.setBits(
                        ElfType.F16, f16, i, TestData.bitsOf(ElfType.F16, weights.getAtIndex(TestData.FLOAT, i)));
            }
            MemorySegment f16Planes = arena.allocate(values * 2L);
            new JavaScalarKernel().planesSplit(f16, values, 2, true, f16Planes);
            planes.add(f16Planes.asSlice(0, values).toArray(ValueLayout.JAVA_BYTE));
            planes.add(f16Planes.asSlice(values, values).toArray(ValueLayout.JAVA_BYTE));
        }
        List<Kernel> kernels = kernels();
        int huffman = 0;
        for (byte[] plane : planes) {
            int n = plane.length;
            List<byte[]> stored = new ArrayList<>();
            for (Kernel k : kernels) {
                byte[] dst = new byte[n + 1];
                long size = k.entropyEncode(MemorySegment.ofArray(plane), n, MemorySegment.ofArray(dst));
                stored.add(Arrays.copyOf(dst, (int) size));
            }
            for (int i = 1; i < stored.size(); i++) {
                assertArrayEquals(
                        stored.get(0),
                        stored.get(i),
                        kernels.get(i).name() + " entropy plane differs from "
                                + kernels.get(0).name() + ", n=" + n);
            }
            huffman += stored.get(0)[0] == 2 ? 1 : 0;
            for (Kernel dec : kernels) {
                for (byte[] s : stored) {
                    MemorySegment out = Arena.ofAuto().allocate(n + 1L).asSlice(1); // unaligned, native
                    dec.entropyDecode(MemorySegment.ofArray(s), n, out);
                    assertArrayEquals(plane, out.toArray(ValueLayout.JAVA_BYTE), dec.name() + " decodes, n=" + n);
                }
            }
        }
        assertTrue(huffman >= 15, huffman + " of " + planes.size() + " planes Huffman-coded");
    }

    private record Encoded(byte[] codes, long[] pos, byte[] bits) {
        static Encoded of(Kernel k, ElfType type, MemorySegment src, long n) {
            byte[] codes = new byte[(int) type.codeBytes(n)];
            long[] pos = new long[(int) n];
            byte[] bits = new byte[(int) n * type.valueBytes()];
            long nExc = k.elfEncode(
                    type,
                    src,
                    n,
                    MemorySegment.ofArray(codes),
                    MemorySegment.ofArray(pos),
                    MemorySegment.ofArray(bits),
                    n,
                    7);
            assertTrue(nExc <= n);
            return new Encoded(
                    codes, Arrays.copyOf(pos, (int) nExc), Arrays.copyOf(bits, (int) nExc * type.valueBytes()));
        }

        byte[] decodeWith(Kernel k, ElfType type, long n) {
            MemorySegment out =
                    Arena.ofAuto().allocate(n * type.valueBytes() + 1).asSlice(1); // unaligned
            k.elfDecode(
                    type,
                    MemorySegment.ofArray(codes),
                    n,
                    out,
                    MemorySegment.ofArray(pos),
                    MemorySegment.ofArray(bits),
                    pos.length,
                    7);
            assertEquals(n * type.valueBytes(), out.byteSize());
            return out.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** The native kernel with its ISA switched in for each call, so two ISAs can be compared in one test. */
    private static final class IsaPinned extends AbstractKernel {
        private final String isa;
        private final NativeKernel delegate = new NativeKernel();

        IsaPinned(String isa) {
            this.isa = isa;
        }

        @Override
        public String name() {
            return "native-" + isa;
        }

        private NativeKernel pinned() {
            NativeKernel.selectIsa(isa);
            return delegate;
        }

        @Override
        protected long encode(
                ElfType type,
                MemorySegment src,
                long n,
                MemorySegment codes,
                MemorySegment excPos,
                MemorySegment excBits,
                long excCap,
                long posBase) {
            return pinned().elfEncode(type, src, n, codes, excPos, excBits, excCap, posBase);
        }

        @Override
        protected void decode(
                ElfType type,
                MemorySegment codes,
                long n,
                MemorySegment dst,
                MemorySegment excPos,
                MemorySegment excBits,
                long nExc,
                long posBase) {
            pinned().elfDecode(type, codes, n, dst, excPos, excBits, nExc, posBase);
        }

        @Override
        protected void pack(MemorySegment codes, long n, int width, MemorySegment dst) {
            pinned().packBits(codes, n, width, dst);
        }

        @Override
        protected void unpack(MemorySegment src, long n, int width, MemorySegment codes) {
            pinned().unpackBits(src, n, width, codes);
        }

        @Override
        protected void quantizeChecked(
                ElfType type,
                MemorySegment src,
                long n,
                long groupSize,
                long groupOffset,
                MemorySegment scales,
                MemorySegment zeros,
                int bits,
                MemorySegment codes) {
            pinned().quantize(type, src, n, groupSize, groupOffset, scales, zeros, bits, codes);
        }

        @Override
        protected void dequantizeChecked(
                ElfType type,
                MemorySegment codes,
                long n,
                long groupSize,
                long groupOffset,
                MemorySegment scales,
                MemorySegment zeros,
                int bits,
                MemorySegment dst) {
            pinned().dequantize(type, codes, n, groupSize, groupOffset, scales, zeros, bits, dst);
        }

        @Override
        protected void bucketizeChecked(
                ElfType type, MemorySegment src, long n, MemorySegment bounds, int nBounds, MemorySegment codes) {
            pinned().bucketize(type, src, n, bounds, nBounds, codes);
        }

        @Override
        protected void lookupChecked(
                ElfType type, MemorySegment codes, long n, MemorySegment table, int bits, MemorySegment dst) {
            pinned().lookup(type, codes, n, table, bits, dst);
        }

        @Override
        protected void planesSplitChecked(MemorySegment src, long n, int width, boolean rotate, MemorySegment planes) {
            pinned().planesSplit(src, n, width, rotate, planes);
        }

        @Override
        protected void planesJoinChecked(MemorySegment planes, long n, int width, boolean rotate, MemorySegment dst) {
            pinned().planesJoin(planes, n, width, rotate, dst);
        }

        @Override
        protected long gridEncodeChecked(
                ElfType type,
                MemorySegment src,
                long n,
                double step,
                double bound,
                MemorySegment codes,
                MemorySegment excPos,
                MemorySegment excBits,
                long excCap,
                long posBase) {
            return pinned().gridEncode(type, src, n, step, bound, codes, excPos, excBits, excCap, posBase);
        }

        @Override
        protected void gridDecodeChecked(
                ElfType type,
                MemorySegment codes,
                long n,
                double step,
                MemorySegment dst,
                MemorySegment excPos,
                MemorySegment excBits,
                long nExc,
                long posBase) {
            pinned().gridDecode(type, codes, n, step, dst, excPos, excBits, nExc, posBase);
        }

        @Override
        protected long entropyEncodeChecked(MemorySegment src, long n, MemorySegment dst) {
            return pinned().entropyEncode(src, n, dst);
        }

        @Override
        protected void entropyDecodeChecked(MemorySegment stored, long n, MemorySegment dst) {
            pinned().entropyDecode(stored, n, dst);
        }
    }
}
