package dev.elfz.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Off-heap buffers of one size for worker threads: taken, used, given back, so their number is the most ever in use
 * at once (Workers bounds the chunks in flight). Allocated in the caller's arena, freed with it; a rare larger
 * request gets a buffer of its own, freed by the garbage collector.
 */
public final class BufferPool {

    private final Arena arena;
    private final long bytes;
    private final Queue<MemorySegment> free = new ConcurrentLinkedQueue<>();

    public BufferPool(Arena arena, long bytes) {
        this.arena = arena;
        this.bytes = bytes;
    }

    public MemorySegment take() {
        MemorySegment b = free.poll();
        return b != null ? b : arena.allocate(bytes, 64);
    }

    /** A buffer of at least {@code n} bytes. */
    public MemorySegment take(long n) {
        return n <= bytes ? take() : Arena.ofAuto().allocate(n, 64);
    }

    /** Gives a buffer back; null and buffers of another size are ignored. */
    public void give(MemorySegment b) {
        if (b != null && b.byteSize() == bytes) {
            free.add(b);
        }
    }
}
