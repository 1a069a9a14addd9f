package dev.elfz.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.FuzzSupport;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.EntropyStage;
import dev.elfz.codec.blocks.BlockFields;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import dev.elfz.onnx.Payloads;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the GGUF reader (Jazzer): header, counts, metadata values (nested arrays), tensor infos,
 * alignment and offsets, and each quantized tensor's blocks through the blocks codec. Property: a file opens, its tensors
 * in file order inside the file, its quantized blocks whole and back the same through byte planes, or it is one
 * GgufException naming the file; never another exception.
 */
class GgufFuzzTarget {

    @FuzzTest(maxDuration = "5m")
    void file(byte[] data) throws IOException {
        Path p = FuzzSupport.scratch("input.gguf", data);
        try (Payloads f = GgufFile.open("input.gguf", p)) {
            long end = 0;
            for (TensorInfo t : f.tensors()) {
                assertTrue(t.begin() >= end && t.end() <= f.fileSize(), t.toString());
                assertEquals(t.byteSize(), f.data(t).byteSize(), t.name());
                end = t.end();
                BlockFields b = f.blocks(t);
                if (b != null) {
                    planesRoundTrip(b, f.data(t));
                }
            }
        } catch (GgufException e) {
            FuzzSupport.assertOneLineNaming(p, e);
        }
    }

    /** A quantized tensor's bytes through the blocks codec and the entropy stage: whole blocks, the same bytes back. */
    private static void planesRoundTrip(BlockFields b, MemorySegment data) {
        assertEquals(0, data.byteSize() % b.blockBytes(), "a tensor of part of a block");
        try (Arena arena = Arena.ofConfined();
                ChunkCodec c = new EntropyStage(Codecs.of(Codec.BLOCKS).newChunkCodec(Dtype.U8, KERNEL), KERNEL)) {
            MemorySegment dst = arena.allocate(Math.max(1, data.byteSize()));
            long n = c.encode(b, data, 0, dst);
            if (n >= 0) {
                MemorySegment back =
                        arena.allocate(Math.max(1, data.byteSize())).asSlice(0, data.byteSize());
                c.decode(b, dst.asSlice(0, n), 0, back);
                assertEquals(-1, data.mismatch(back));
            }
        }
    }

    private static final Kernel KERNEL = Kernels.best();

    /** The test writer's files: F32, F16 and Q8_0 tensors with metadata, and one with nested arrays. */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("valid-model", GgufFileTest.model());
        s.put("valid-blocks", GgufBlocksTest.smallModel());
        s.put(
                "valid-small",
                new GgufBytes()
                        .u32("general.alignment", 64)
                        .strings("a", "x", "y")
                        .tensor("t", 30, new long[] {2}, new byte[4])
                        .bytes());
        return s;
    }

    @Test
    void theSeedsOpen() throws IOException {
        FuzzSupport.checkSeeds(getClass(), "file", seeds(), seed -> {
            try (Payloads f = GgufFile.open("seed", seed)) {
                assertTrue(!f.tensors().isEmpty(), seed.toString());
            }
        });
    }
}
