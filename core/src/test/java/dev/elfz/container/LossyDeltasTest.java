package dev.elfz.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.FloatValues;
import dev.elfz.codec.grid.GridParams;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** A lossy delta chunk's exception list (FORMAT.md, delta op {@code sub}) and the rounding of sums, by hand. */
class LossyDeltasTest {

    /** 0.1f + 2^-30 rounds back to 0.1f in binary32, and to 0.1 rounded to BF16 there; the sum is taken in binary64. */
    @Test
    void sumsAreRoundedToTheDtypeFromBinary64() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(4);
            MemorySegment d = arena.allocate(4);
            b.set(FloatValues.F32, 0, 0.1f);
            d.set(FloatValues.F32, 0, 0x1p-30f);
            LossyDeltas.add(ElfType.F32, d, b, d);
            assertEquals(0.1f, d.get(FloatValues.F32, 0));
            MemorySegment b16 = arena.allocate(2);
            MemorySegment d16 = arena.allocate(2);
            b16.set(FloatValues.U16, 0, ElfType.toBf16(1.0f));
            d16.set(FloatValues.U16, 0, ElfType.toBf16(0x1p-8f)); // half a BF16 ulp of 1: a tie, to even (1.0)
            LossyDeltas.add(ElfType.BF16, d16, b16, d16);
            assertEquals(1.0, FloatValues.get(ElfType.BF16, d16, 0));
        }
    }

    /**
     * The writer keeps exactly a value past the grid's bound and a -0.0 decoded as +0.0, nothing else (a value within
     * the bound stays as decoded); written over the decoded values, the list gives those two back bit for bit. A list
     * that would make a chunk no smaller than its values is refused (-1: stored as it is).
     */
    @Test
    void exceptionsAreTheValuesOutsideThePromiseAndPatchBack() {
        float[] ft = {0.5f, -0.0f, 0.25f, 1e-3f, 0.1f, 0.2f, 0.3f, 0.4f};
        float[] decoded = {0.5f + 1e-7f, 0.0f, 0.25f + 3e-6f, 1e-3f, 0.1f, 0.2f, 0.3f, 0.4f};
        try (Arena arena = Arena.ofConfined()) {
            int n = 64;
            MemorySegment x = arena.allocate(4 * n);
            MemorySegment y = arena.allocate(4 * n);
            for (int i = 0; i < n; i++) {
                x.setAtIndex(FloatValues.F32, i, ft[i % 8]);
                y.setAtIndex(FloatValues.F32, i, decoded[i % 8]);
            }
            MemorySegment dst = arena.allocate(8 * n);
            GridParams grid = GridParams.forBound(1e-6);
            long length = LossyDeltas.appendExceptions(Codec.GRID, grid, Dtype.F32, x, y, 0, dst);
            assertEquals(16 * (4 + 4) + 4, length, "values 1 and 2 of each 8 kept exactly");
            LossyDeltas.patch(ElfType.F32, dst.asSlice(0, length), y);
            for (int i = 0; i < n; i++) {
                float want = i % 8 == 0 ? decoded[0] : ft[i % 8];
                assertEquals(
                        Float.floatToRawIntBits(want),
                        Float.floatToRawIntBits(y.getAtIndex(FloatValues.F32, i)),
                        "value " + i);
            }
            MemorySegment few = arena.allocate(16);
            MemorySegment.copy(x, 0, few, 0, 16);
            MemorySegment.copy(decoded, 0, y, FloatValues.F32, 0, 4);
            assertEquals(
                    -1,
                    LossyDeltas.appendExceptions(Codec.GRID, grid, Dtype.F32, few, y.asSlice(0, 16), 0, dst),
                    "4 values, 2 exceptions: 20 bytes, not fewer than their 16");
        }
    }

    @Test
    void aListThatDoesNotFitOrPointsPastTheChunkIsDamage() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(16);
            MemorySegment tooMany = arena.allocate(12);
            tooMany.set(LossyDeltas.U32, 8, 5);
            assertThrows(CorruptDataException.class, () -> LossyDeltas.patch(ElfType.F32, tooMany, dst));
            MemorySegment past = arena.allocate(12);
            past.set(LossyDeltas.U32, 0, 4); // position 4 of a chunk of 4 values
            past.set(LossyDeltas.U32, 8, 1);
            CorruptDataException e =
                    assertThrows(CorruptDataException.class, () -> LossyDeltas.patch(ElfType.F32, past, dst));
            assertTrue(e.getMessage().contains("past its 4 values"), e.getMessage());
            assertThrows(CorruptDataException.class, () -> LossyDeltas.codecBytes(arena.allocate(3), 4, 4));
        }
    }
}
