package dev.elfz.container;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.CodecParams;
import dev.elfz.kernel.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pieces of a delta chunk: the XOR against a byte-by-byte one, the zero chunk against the codec's own bytes. */
class DeltaChunksTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 8, 9, 65535, 65536, 65543, 1 << 20, (1 << 20) + 5})
    void xorIsByteForByte(int size) {
        Random r = new Random(size);
        byte[] a = new byte[size];
        byte[] b = new byte[size];
        r.nextBytes(a);
        r.nextBytes(b);
        byte[] want = new byte[size];
        for (int i = 0; i < size; i++) {
            want[i] = (byte) (a[i] ^ b[i]);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(size + 1L).asSlice(1, size); // unaligned
            MemorySegment with = arena.allocate(Math.max(1, size)).asSlice(0, size);
            dst.copyFrom(MemorySegment.ofArray(a));
            with.copyFrom(MemorySegment.ofArray(b));
            BaseModel.xor(dst, with);
            assertArrayEquals(want, dst.toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(b, with.toArray(ValueLayout.JAVA_BYTE)); // only dst changes
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 12, 64, 4096, 65540, 1 << 20})
    void theZeroChunkIsWhatTheCodecStoresForZeros(int size) {
        ZeroDeltas zeros = new ZeroDeltas();
        try (CodecPool codecs = new CodecPool(Kernels.best());
                Arena arena = Arena.ofConfined()) {
            MemorySegment values = arena.allocate(size);
            MemorySegment coded = arena.allocate(2L * size + 4096);
            long n = codecs.encode(Codec.LOSSLESS, Dtype.F32, CodecParams.NONE, values, 0, coded)
                    .length();
            ZeroDeltas.Chunk z = zeros.of(codecs, Dtype.F32, size);
            if (n < 0) { // a chunk too small for the entropy stage to shrink: no short cut
                assertNull(z.bytes());
                assertEquals(size, zeros.storedSize(codecs, Dtype.F32, size));
                return;
            }
            assertEquals(n, zeros.storedSize(codecs, Dtype.F32, size));
            assertEquals(-1, coded.asSlice(0, n).mismatch(z.bytes()));
            assertEquals(Compressor.crc32c(z.bytes()), z.crc());
            assertTrue(zeros.isZero(codecs, Dtype.F32, size, coded.asSlice(0, n)));
            values.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 1); // one bit set: another chunk
            long m = codecs.encode(Codec.LOSSLESS, Dtype.F32, CodecParams.NONE, values, 0, coded)
                    .length();
            assertFalse(m >= 0 && zeros.isZero(codecs, Dtype.F32, size, coded.asSlice(0, m)));
            assertFalse(zeros.isZero(codecs, Dtype.F32, size + 4, z.bytes())); // another size
        }
    }
}
