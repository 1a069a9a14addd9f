package dev.elfz.codec.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.elfz.codec.EntropyStage;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.Kernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The byte layout of FORMAT.md's blocks chunks, worked out by hand, and what a decoder refuses. */
class BlocksChunkCodecTest {

    private static final BlockFields Q8_0 = new BlockFields(new int[] {1, 1, 32});

    /** Golden bytes: two Q8_0 blocks become the low bytes of d, the high bytes of d, then the 2 x 32 quants. */
    @Test
    void eachFieldOfEveryBlockIsAPlane() {
        byte[] src = new byte[68];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) i;
        }
        byte[] want = new byte[68];
        want[0] = 0; // block 0's d, low byte
        want[1] = 34; // block 1's d, low byte
        want[2] = 1;
        want[3] = 35;
        for (int j = 0; j < 32; j++) {
            want[4 + j] = (byte) (2 + j);
            want[36 + j] = (byte) (36 + j);
        }
        try (BlocksChunkCodec c = new BlocksChunkCodec()) {
            MemorySegment dst = MemorySegment.ofArray(new byte[68]);
            assertEquals(68, c.encode(Q8_0, MemorySegment.ofArray(src), 0, dst));
            assertArrayEquals(want, dst.toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new long[] {2, 4}, c.sections(Q8_0, dst, 68, 0));
            MemorySegment back = MemorySegment.ofArray(new byte[68]);
            c.decode(Q8_0, dst, 0, back);
            assertArrayEquals(src, back.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void aDecoderRefusesPartsOfBlocksAndWrongSizes() {
        try (BlocksChunkCodec c = new BlocksChunkCodec()) {
            MemorySegment stored = MemorySegment.ofArray(new byte[35]);
            assertThrows(
                    CorruptDataException.class,
                    () -> c.decode(Q8_0, stored, 0, MemorySegment.ofArray(new byte[35])),
                    "35 bytes are not whole blocks of 34");
            assertThrows(
                    CorruptDataException.class,
                    () -> c.decode(Q8_0, stored, 0, MemorySegment.ofArray(new byte[34])),
                    "a chunk of 34 bytes stored in 35");
            assertThrows(
                    IllegalArgumentException.class,
                    () -> c.encode(Q8_0, stored, 0, MemorySegment.ofArray(new byte[35])));
        }
    }

    /** Random bytes do not shrink: the entropy stage says so (-1) and the container stores the chunk as it is. */
    @Test
    void randomBlocksAreStoredAsTheyAre() {
        byte[] src = new byte[34 * 1000];
        new SplittableRandom(5).nextBytes(src);
        try (EntropyStage s = new EntropyStage(new BlocksChunkCodec(), Kernels.best())) {
            assertEquals(
                    -1, s.encode(Q8_0, MemorySegment.ofArray(src), 0, MemorySegment.ofArray(new byte[src.length])));
        }
    }

    @Test
    void paramsAreCheckedWhenRead() {
        assertEquals(Q8_0, BlockFields.fromIndex(Map.of("fields", List.of(1, 1, 32))));
        for (Map<String, Object> bad : List.<Map<String, Object>>of(
                Map.of(),
                Map.of("fields", List.of()),
                Map.of("fields", List.of(1, 0)),
                Map.of("fields", List.of(1.5)),
                Map.of("fields", List.of(5000)),
                Map.of("fields", List.of(4000, 4000)),
                Map.of("fields", List.of(1), "x", 1),
                Map.of("fields", "1,1,32"))) {
            assertThrows(IllegalArgumentException.class, () -> BlockFields.fromIndex(bad), bad.toString());
        }
    }
}
