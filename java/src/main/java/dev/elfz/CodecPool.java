package dev.elfz;

import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.Codec;
import dev.elfz.codec.CodecParams;
import java.lang.foreign.MemorySegment;
import dev.elfz.kernel.Kernel;
import dev.elfz.safetensors.Dtype;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Chunk codecs (and their scratch buffers) for any number of threads: taken, used by one thread, given back. */
final class CodecPool implements AutoCloseable {

    private final Kernel kernel;
    private final ConcurrentHashMap<String, Queue<ChunkCodec>> free = new ConcurrentHashMap<>();
    private final Queue<ChunkCodec> all = new ConcurrentLinkedQueue<>();

    CodecPool(Kernel kernel) {
        this.kernel = kernel;
    }

    /** Encodes src into dst with a pooled codec; see {@link ChunkCodec#encode}. */
    long encode(Codec codec, Dtype dtype, CodecParams params, MemorySegment src, long first, MemorySegment dst) {
        ChunkCodec c = take(codec, dtype);
        try {
            return c.encode(params, src, first, dst);
        } finally {
            give(codec, dtype, c);
        }
    }

    /** Decodes stored into dst with a pooled codec; see {@link ChunkCodec#decode}. */
    void decode(Codec codec, Dtype dtype, CodecParams params, MemorySegment stored, long first, MemorySegment dst) {
        ChunkCodec c = take(codec, dtype);
        try {
            c.decode(params, stored, first, dst);
        } finally {
            give(codec, dtype, c);
        }
    }

    private ChunkCodec take(Codec codec, Dtype dtype) {
        ChunkCodec c = queue(codec, dtype).poll();
        if (c == null) {
            c = codec.newChunkCodec(dtype, kernel);
            all.add(c);
        }
        return c;
    }

    private void give(Codec codec, Dtype dtype, ChunkCodec c) {
        queue(codec, dtype).add(c);
    }

    private Queue<ChunkCodec> queue(Codec codec, Dtype dtype) {
        return free.computeIfAbsent(codec.id() + "/" + dtype, k -> new ConcurrentLinkedQueue<>());
    }

    /** Closes every codec made; call only when no thread uses the pool any more. */
    @Override
    public void close() {
        for (ChunkCodec c : all) {
            c.close();
        }
        all.clear();
        free.clear();
    }
}
