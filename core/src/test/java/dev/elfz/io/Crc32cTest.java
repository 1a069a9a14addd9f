package dev.elfz.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The checksum of a run put together from those of its parts equals the JDK's over the whole run. */
class Crc32cTest {

    private static long jdk(byte[] b, int from, int to) {
        CRC32C c = new CRC32C();
        c.update(b, from, to - from);
        return c.getValue();
    }

    @Test
    void combinedPartsEqualTheWhole() {
        SplittableRandom r = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            byte[] b = new byte[r.nextInt(0, round < 100 ? 300 : 3 << 20)];
            r.nextBytes(b);
            int cuts = r.nextInt(1, 9);
            long crc = 0;
            int from = 0;
            for (int c = 0; c < cuts; c++) {
                int to = c == cuts - 1 ? b.length : r.nextInt(from, b.length + 1);
                crc = Crc32c.combine(crc, jdk(b, from, to), to - from);
                from = to;
            }
            assertEquals(jdk(b, 0, b.length), crc, b.length + " bytes in " + cuts + " parts");
        }
    }

    @Test
    void segmentsOfEveryKind() {
        byte[] b = new byte[100_003];
        new SplittableRandom(3).nextBytes(b);
        long want = jdk(b, 0, b.length);
        assertEquals(want, Crc32c.of(MemorySegment.ofArray(b)));
        int[] ints = new int[25_001]; // a heap segment without a ByteBuffer view: copied 64 KiB at a time
        MemorySegment.copy(MemorySegment.ofArray(b), 0, MemorySegment.ofArray(ints), 0, 100_000);
        assertEquals(jdk(b, 0, 100_000), Crc32c.of(MemorySegment.ofArray(ints).asSlice(0, 100_000)));
    }

    @Test
    void emptyRunsChangeNothing() {
        assertEquals(0x1234_5678L, Crc32c.combine(0x1234_5678L, 0, 0));
        assertEquals(0xCAFE_F00DL, Crc32c.combine(0, 0xCAFE_F00DL, 12)); // nothing before: the second's own
    }
}
