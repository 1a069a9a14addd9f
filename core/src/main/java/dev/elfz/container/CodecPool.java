package dev.elfz.container;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.EntropyStage;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.MemorySegment;
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

    /** A chunk's coded length (-1: store it as it is) and the values it keeps exactly. */
    record Encoded(long length, long exceptions) {}

    /** Encodes src into dst with a pooled codec and the entropy stage; see {@link ChunkCodec#encode}. */
    Encoded encode(Codec codec, Dtype dtype, CodecParams params, MemorySegment src, long first, MemorySegment dst) {
        ChunkCodec c = take(codec, dtype, true);
        try {
            long n = c.encode(params, src, first, dst);
            return new Encoded(n, n < 0 ? 0 : c.exceptions());
        } finally {
            give(codec, dtype, true, c);
        }
    }

    /** Decodes stored into dst with a pooled codec, behind the entropy stage if the stream has one. */
    void decode(
            Codec codec,
            Dtype dtype,
            CodecParams params,
            boolean entropy,
            MemorySegment stored,
            long first,
            MemorySegment dst) {
        ChunkCodec c = take(codec, dtype, entropy);
        try {
            c.decode(params, stored, first, dst);
        } finally {
            give(codec, dtype, entropy, c);
        }
    }

    /** The codec's bytes of a chunk stored behind the entropy stage (a fresh buffer). */
    MemorySegment unframe(MemorySegment stored, long original) {
        return EntropyStage.unframe(kernel, stored, original, null);
    }

    private ChunkCodec take(Codec codec, Dtype dtype, boolean entropy) {
        ChunkCodec c = queue(codec, dtype, entropy).poll();
        if (c == null) {
            c = Codecs.of(codec).newChunkCodec(dtype, kernel);
            if (entropy) {
                c = new EntropyStage(c, kernel);
            }
            all.add(c);
        }
        return c;
    }

    private void give(Codec codec, Dtype dtype, boolean entropy, ChunkCodec c) {
        queue(codec, dtype, entropy).add(c);
    }

    private Queue<ChunkCodec> queue(Codec codec, Dtype dtype, boolean entropy) {
        return free.computeIfAbsent(
                codec.id() + "/" + dtype + (entropy ? "/" + EntropyStage.ID : ""), k -> new ConcurrentLinkedQueue<>());
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
