package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.codec.CodecParams;
import dev.elfz.codec.EntropyStage;
import dev.elfz.codec.lossless.LosslessChunkCodec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Lossless chunks behind the entropy stage on real weights in every float dtype (BERT-base's float32 weights,
 * converted as a model saved in that dtype holds them): bit for bit, the same bytes from every kernel, and smaller.
 */
class LosslessRealWeightsTest {

    @ParameterizedTest
    @EnumSource(ElfType.class)
    void everyKernelRoundTripsRealWeightsBitForBitAndSmaller(ElfType type) throws IOException {
        long n = 1 << 21;
        long chunk = (1 << 20) / type.valueBytes();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f32 = TestData.bert(4 * n, arena);
            MemorySegment values = arena.allocate(n * type.valueBytes());
            for (long i = 0; i < n; i++) { // as TestData.bitsOf converts them (BF16 truncated)
                TestData.setBits(type, values, i, TestData.bitsOf(type, f32.getAtIndex(TestData.FLOAT, i)));
            }
            List<Kernel> kernels = new ArrayList<>(List.of(JavaVectorKernel.create(), new JavaScalarKernel()));
            if (NativeLibrary.get().available()) {
                kernels.add(new NativeKernel());
            }
            byte[] first = null;
            for (Kernel k : kernels) {
                try (EntropyStage stage = new EntropyStage(new LosslessChunkCodec(k, type), k)) {
                    List<byte[]> stored = new ArrayList<>();
                    long total = 0;
                    for (long at = 0; at < n; at += chunk) {
                        MemorySegment src =
                                values.asSlice(at * type.valueBytes(), Math.min(chunk, n - at) * type.valueBytes());
                        MemorySegment dst = arena.allocate(src.byteSize());
                        long len = stage.encode(CodecParams.NONE, src, at, dst);
                        assertTrue(len > 0, k.name() + ": a chunk of real " + type + " weights shrinks");
                        stored.add(dst.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE));
                        MemorySegment back = arena.allocate(src.byteSize());
                        stage.decode(CodecParams.NONE, dst.asSlice(0, len), at, back);
                        assertEquals(-1, src.mismatch(back), k.name() + ": chunk at " + at + " bit for bit");
                        total += len;
                    }
                    double ratio = (double) values.byteSize() / total;
                    // at least what the planes' entropy allows (measured: F32 1.21, BF16 1.54, F16 1.20, F64 2.32)
                    double least = 8 * type.valueBytes() / PlaneEntropy.bitsPerValue(type, values);
                    assertTrue(
                            ratio >= least, k.name() + " " + type + ": ratio " + ratio + ", the planes allow " + least);
                    byte[] all = concat(stored);
                    if (first == null) {
                        first = all;
                    } else {
                        assertEquals(
                                -1,
                                Arrays.mismatch(first, all),
                                k.name() + ": the same bytes as "
                                        + kernels.getFirst().name());
                    }
                }
            }
        }
    }

    private static byte[] concat(List<byte[]> parts) {
        int size = parts.stream().mapToInt(b -> b.length).sum();
        byte[] all = new byte[size];
        int at = 0;
        for (byte[] b : parts) {
            System.arraycopy(b, 0, all, at, b.length);
            at += b.length;
        }
        return all;
    }
}
