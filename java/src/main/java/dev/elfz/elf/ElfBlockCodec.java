package dev.elfz.elf;

import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * ELF over a tensor of any size: independent blocks of at most {@code blockValues} values, each a planar
 * code stream plus its exceptions (FORMAT.md). One instance per thread; its off-heap buffers are reused
 * from block to block, so memory stays flat however large the (mapped) input is.
 */
public final class ElfBlockCodec implements AutoCloseable {

    /** One encoded block; its segments are valid until the next call on the codec. */
    public record Block(ElfType type, long values, long posBase, MemorySegment codes, long exceptions,
                        MemorySegment excPos, MemorySegment excBits) {

        /** Bytes this block takes stored as is: codes, then (position, bits) per exception. */
        public long storedBytes() {
            return codes.byteSize() + exceptions * (Long.BYTES + type.valueBytes());
        }
    }

    private final Kernel kernel;
    private final ElfType type;
    private final long blockValues;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment codes;
    private MemorySegment excPos;
    private MemorySegment excBits;
    private long excCap;

    public ElfBlockCodec(Kernel kernel, ElfType type, long blockValues) {
        if (blockValues < 1) {
            throw new IllegalArgumentException("block of " + blockValues + " values");
        }
        this.kernel = kernel;
        this.type = type;
        this.blockValues = blockValues;
        this.codes = arena.allocate(type.codeBytes(blockValues));
        // Real weights have ~1e-5 exceptions; the buffers grow when a block has more.
        growExceptions(Math.min(blockValues, blockValues / 64 + 64));
    }

    public long blockValues() {
        return blockValues;
    }

    /** Encodes src (its whole length, at most one block) whose first value is at position posBase. */
    public Block encode(MemorySegment src, long posBase) {
        long n = src.byteSize() / type.valueBytes();
        if (n > blockValues || n * type.valueBytes() != src.byteSize()) {
            throw new IllegalArgumentException(src.byteSize() + " bytes is not a block of at most "
                    + blockValues + " " + type + " values");
        }
        MemorySegment out = codes.asSlice(0, type.codeBytes(n));
        long found = kernel.elfEncode(type, src, n, out, excPos, excBits, excCap, posBase);
        if (found > excCap) { // rare: grow to the exact need and encode again
            growExceptions(found);
            found = kernel.elfEncode(type, src, n, out, excPos, excBits, excCap, posBase);
        }
        return new Block(type, n, posBase, out, found, excPos.asSlice(0, found * Long.BYTES),
                excBits.asSlice(0, found * type.valueBytes()));
    }

    /** Decodes a block into dst (values x value size bytes). */
    public void decode(Block block, MemorySegment dst) {
        kernel.elfDecode(block.type(), block.codes(), block.values(), dst, block.excPos(), block.excBits(),
                block.exceptions(), block.posBase());
    }

    private void growExceptions(long cap) {
        excCap = cap;
        excPos = arena.allocate(cap * Long.BYTES, Long.BYTES);
        excBits = arena.allocate(cap * type.valueBytes(), Long.BYTES);
    }

    @Override
    public void close() {
        arena.close();
    }
}
