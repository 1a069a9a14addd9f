package dev.elfz.codec;

import dev.elfz.elf.ElfChunkCodec;
import dev.elfz.kernel.Kernel;
import dev.elfz.safetensors.Dtype;

/**
 * The value codecs of the container, by the id written in its index (FORMAT.md). A tensor's chunks are
 * either coded with its codec or stored as they are (when coding would not shrink them).
 */
public enum Codec {
    /** The bytes as they are: every dtype, lossless. */
    RAW("raw"),
    /** ELF (FORMAT.md): F32, F16, BF16 and F64; values within half an ulp of [1, 2), exceptions exact. */
    ELF("elf");

    private final String id;

    Codec(String id) {
        this.id = id;
    }

    /** The name in the index and on the command line. */
    public String id() {
        return id;
    }

    /** The codec of this id, or null. */
    public static Codec forId(String id) {
        for (Codec c : values()) {
            if (c.id.equals(id)) {
                return c;
            }
        }
        return null;
    }

    public boolean supports(Dtype dtype) {
        return this == RAW || dtype.elfType() != null;
    }

    /** True when every chunk decodes to the original bytes. */
    public boolean lossless() {
        return this == RAW;
    }

    /** The largest absolute difference between a decoded value and the original: 0 when lossless. */
    public double errorBound(Dtype dtype) {
        return this == ELF ? dtype.elfType().errorBound() : 0;
    }

    /** Bytes of one value, the unit chunks are cut in (1 for the byte-stream codec). */
    public int unitBytes(Dtype dtype) {
        return this == ELF ? dtype.elfType().valueBytes() : 1;
    }

    /** A fresh chunk codec for tensors of this dtype; null for RAW, whose chunks are always stored. */
    public ChunkCodec newChunkCodec(Dtype dtype, Kernel kernel) {
        if (!supports(dtype)) {
            throw new IllegalArgumentException("codec " + id + " does not handle " + dtype);
        }
        return this == ELF ? new ElfChunkCodec(kernel, dtype.elfType()) : null;
    }
}
