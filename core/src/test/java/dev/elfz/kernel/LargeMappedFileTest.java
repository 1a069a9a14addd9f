package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file over 4 GiB (sparse, so it costs no disk), mapped once and encoded block by block: positions past
 * 2^31 come out as 64-bit numbers, and the blocks around them decode back exactly.
 */
class LargeMappedFileTest {

    @Test
    void mappedFileOverFourGiB(@TempDir Path dir) throws IOException {
        long values = (1L << 31) + (1L << 25); // bfloat16: a 4.06 GiB file, positions past 2^31
        long[] planted = {(1L << 31) + 5, values - 1};
        Path file = dir.resolve("big.bf16");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long p : planted) {
                ch.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) 0x7fc1), p * 2);
            }
            ch.write(
                    ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) 0x3e80),
                    ((1L << 31) + 6) * 2);
        }
        Kernel k = Kernels.best();
        int block = 1 << 22;
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            assertEquals(values * 2, mapped.byteSize());
            MemorySegment codes = arena.allocate(ElfType.BF16.codeBytes(block));
            MemorySegment pos = arena.allocate(8L * 16);
            MemorySegment bits = arena.allocate(2L * 16);
            MemorySegment out = arena.allocate(2L * block);
            long found = 0;
            for (long start = 0; start < values; start += block) {
                long n = Math.min(block, values - start);
                MemorySegment src = mapped.asSlice(start * 2, n * 2);
                long nExc = k.elfEncode(ElfType.BF16, src, n, codes, pos, bits, 16, start);
                for (long i = 0; i < nExc; i++) {
                    assertEquals(planted[(int) found++], pos.getAtIndex(ValueLayout.JAVA_LONG, i));
                }
                if (nExc > 0) {
                    k.elfDecode(ElfType.BF16, codes, n, out, pos, bits, nExc, start);
                    assertEquals(-1, out.asSlice(0, n * 2).mismatch(src), "block at " + start + " decodes exactly");
                }
            }
            assertEquals(planted.length, found);
        }
    }
}
