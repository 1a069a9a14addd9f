package dev.elfz.analyze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dynatrace.hash4j.hashing.Hashing;
import dev.elfz.Dtype;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** FastCDC, the fingerprint set and the hashes read from segments. */
class ChunkingTest {

    private static List<Long> cuts(FastCdc cdc, MemorySegment s) {
        List<Long> lengths = new ArrayList<>();
        for (long o = 0; o < s.byteSize(); ) {
            long n = cdc.next(s, o, s.byteSize());
            lengths.add(n);
            o += n;
        }
        return lengths;
    }

    @Test
    void fastCdcIsDeterministicAndKeepsWithinMinAndMax() {
        byte[] b = Planted.random(11, 1 << 20);
        List<Long> a = cuts(FastCdc.DEFAULT, MemorySegment.ofArray(b));
        try (Arena arena = Arena.ofConfined()) { // off-heap, the same bytes: the same cuts
            MemorySegment off = arena.allocate(b.length).copyFrom(MemorySegment.ofArray(b));
            assertEquals(a, cuts(FastCdc.DEFAULT, off));
        }
        assertEquals(b.length, a.stream().mapToLong(Long::longValue).sum());
        for (int i = 0; i < a.size() - 1; i++) {
            assertTrue(a.get(i) >= 2048 && a.get(i) <= 16384, "chunk " + i + ": " + a.get(i));
        }
        double average = (double) b.length / a.size();
        assertTrue(average > 3000 && average < 6000, "average " + average); // ~4 KiB, with this seed
    }

    /** FastCDC as the paper writes it, a byte at a time: what {@link FastCdc#next}'s word-at-a-time loop must give. */
    private static long plainNext(FastCdc c, byte[] b, int offset, int end) {
        int left = end - offset;
        if (left <= c.min()) {
            return left;
        }
        int n = Math.min(left, c.max());
        int normal = Math.min(n, c.avg());
        long h = 0;
        int i = c.min();
        for (; i < normal; i++) {
            h = (h << 1) + FastCdc.GEAR[b[offset + i] & 0xff];
            if ((h & FastCdc.spread(Integer.numberOfTrailingZeros(c.avg()) + 2)) == 0) {
                return i + 1;
            }
        }
        for (; i < n; i++) {
            h = (h << 1) + FastCdc.GEAR[b[offset + i] & 0xff];
            if ((h & FastCdc.spread(Integer.numberOfTrailingZeros(c.avg()) - 2)) == 0) {
                return i + 1;
            }
        }
        return n;
    }

    @Test
    void fastCdcGivesThePaperCutsAtEveryEnd() {
        byte[] b = Planted.random(18, 200_000);
        Arrays.fill(b, 60_000, 100_000, (byte) 7); // a run without cuts: forced at the maximum
        MemorySegment s = MemorySegment.ofArray(b);
        for (FastCdc c : List.of(FastCdc.DEFAULT, new FastCdc(64, 256, 1000), new FastCdc(5, 16, 21))) {
            for (int end : new int[] {b.length, b.length - 1, b.length - 3, b.length - 7, 150_001}) {
                for (int o = 0; o < end; ) {
                    long n = c.next(s, o, end);
                    assertEquals(plainNext(c, b, o, end), n, "chunk at " + o + " of " + end);
                    o += (int) n;
                }
            }
        }
    }

    @Test
    void fastCdcCutsAtTheMaximumInConstantDataAndKeepsShortTails() {
        MemorySegment zeros = MemorySegment.ofArray(new byte[50000]);
        List<Long> c = cuts(FastCdc.DEFAULT, zeros);
        // a constant gear sum has no cut point: every chunk is forced at the maximum but the last
        assertEquals(List.of(16384L, 16384L, 16384L, 50000L - 3 * 16384), c);
        assertEquals(1000, FastCdc.DEFAULT.next(MemorySegment.ofArray(new byte[1000]), 0, 1000));
        assertEquals(0, FastCdc.DEFAULT.next(MemorySegment.ofArray(new byte[10]), 10, 10));
        assertThrows(IllegalArgumentException.class, () -> new FastCdc(2048, 3000, 16384));
    }

    @Test
    void fastCdcRealignsAfterAnInsertion() {
        byte[] b = Planted.random(12, 1 << 18);
        byte[] shifted = new byte[b.length + 7];
        System.arraycopy(b, 0, shifted, 7, b.length);
        Set<Long> ends = new HashSet<>();
        long o = 0;
        for (long n : cuts(FastCdc.DEFAULT, MemorySegment.ofArray(b))) {
            o += n;
            ends.add(o);
        }
        long p = -7;
        int shared = 0;
        List<Long> s = cuts(FastCdc.DEFAULT, MemorySegment.ofArray(shifted));
        for (long n : s) {
            p += n;
            if (ends.contains(p)) {
                shared++;
            }
        }
        assertTrue(shared >= s.size() - 3, shared + " of " + s.size() + " cuts in the same places");
    }

    @Test
    void fingerprintSetRemembersGrowsAndSaturatesWithinItsBudget() {
        FingerprintSet.Budget budget = new FingerprintSet.Budget(8L << 20);
        try (FingerprintSet s = new FingerprintSet(budget)) {
            for (long i = 0; i < 100_000; i++) {
                assertFalse(s.seenOrAdd(i * 0x9E3779B97F4A7C15L));
            }
            for (long i = 0; i < 100_000; i++) {
                assertTrue(s.seenOrAdd(i * 0x9E3779B97F4A7C15L));
            }
            assertTrue(s.seenOrAdd(1), "0 (i = 0) is stored as 1");
            assertEquals(100_000, s.size());
            assertFalse(s.saturated());
            assertEquals(8L << 18, s.bytes(), "2^18 slots: at most half full");
        }
        FingerprintSet.Budget small = new FingerprintSet.Budget(8 * 4096 * 3); // the first table and its double
        try (FingerprintSet s = new FingerprintSet(small)) {
            for (long i = 1; i <= 5000; i++) {
                s.seenOrAdd(i);
            }
            assertEquals(4096, s.size(), "8192 slots, half full");
            assertTrue(s.saturated());
            assertTrue(s.seenOrAdd(3), "stored ones are still found");
            assertFalse(s.seenOrAdd(4500), "left out ones are not");
            assertEquals(8 * 8192, s.bytes());
        }
        FingerprintSet.Budget big = new FingerprintSet.Budget(64L << 20);
        try (FingerprintSet sized = new FingerprintSet(big, 300_000, 32L << 20);
                FingerprintSet capped = new FingerprintSet(big, 10_000_000, 1L << 20)) {
            assertEquals(8L << 20, sized.bytes(), "2^20 slots: the power of two from 2 x 300000");
            assertEquals(1L << 20, capped.bytes(), "the largest table within its share");
            for (long i = 1; i <= 65537; i++) { // one more than half of 2^17 slots
                capped.seenOrAdd(i);
            }
            assertEquals(2L << 20, capped.bytes(), "then it doubles while the budget allows");
        }
        try (FingerprintSet none = new FingerprintSet(new FingerprintSet.Budget(0))) {
            assertFalse(none.seenOrAdd(7));
            assertFalse(none.seenOrAdd(7), "nothing is stored");
            assertTrue(none.saturated());
        }
    }

    @Test
    void fourKiBFingerprintsAreEqualExactlyWhenThePartsAre() {
        long[] parts = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        long a = SegmentHash.combine(parts, 0, 8, 4096);
        assertEquals(a, SegmentHash.combine(parts, 8, 8, 4096));
        assertNotEquals(a, SegmentHash.combine(parts, 1, 8, 4096));
        assertNotEquals(a, SegmentHash.combine(parts, 0, 8, 4000), "the length counts");
        assertNotEquals(SegmentHash.combine(parts, 0, 7, 3584), SegmentHash.combine(parts, 0, 8, 3584));
    }

    @Test
    void segmentHashesEqualHash4jOnArrays() {
        byte[] b = Planted.random(13, 5000);
        MemorySegment s = MemorySegment.ofArray(b);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment off = arena.allocate(b.length).copyFrom(s);
            for (int[] r :
                    new int[][] {{0, 0}, {0, 1}, {3, 16}, {5, 17}, {1, 128}, {7, 240}, {9, 241}, {0, 4096}, {13, 4987}
                    }) {
                long expected = Hashing.xxh3_64().hashBytesToLong(b, r[0], r[1]);
                assertEquals(expected, SegmentHash.chunk(s, r[0], r[1]));
                assertEquals(expected, SegmentHash.chunk(off, r[0], r[1]));
            }
            SegmentHash.Hash128 h = SegmentHash.tensor(Dtype.F32, new long[] {1250}, off);
            assertEquals(h, SegmentHash.tensor(Dtype.F32, new long[] {1250}, s));
            assertNotEquals(h, SegmentHash.tensor(Dtype.I32, new long[] {1250}, s));
            assertNotEquals(h, SegmentHash.tensor(Dtype.F32, new long[] {2, 625}, s));
            var pieces = SegmentHash.tensorStream(Dtype.F32, new long[] {1250}, b.length);
            SegmentHash.put(pieces, SegmentHash.piece(off, 0, b.length));
            assertEquals(h, SegmentHash.value(pieces), "a tensor under a piece's size: one piece");
        }
    }
}
