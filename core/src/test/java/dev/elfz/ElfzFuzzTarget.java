package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.elfz.container.Archive;
import dev.elfz.container.ElfzFormat;
import dev.elfz.gguf.GgufBlocksTest;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import dev.elfz.kernel.NativeKernel;
import dev.elfz.kernel.NativeLibrary;
import dev.elfz.onnx.OnnxBytes;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided fuzzing of the .elfz reader (Jazzer): prologue, trailer, the JSON index and its checks, then every
 * coded chunk through every kernel's decoders (each native ISA of this CPU, the Java Vector and scalar twins) and the
 * chunk headers {@code idealRatio} reads. The index's CRC32C is set right before the file is read, and chunks are
 * given to the decoders without their CRC check, so the fuzzer gets past both checksums (a crafted file can have
 * right checksums). Property: an input opens and decodes, or is one ElfzException naming the file; never another
 * exception, never a crash, and no native access past a chunk or its output (both end at a guard page).
 */
class ElfzFuzzTarget {

    @FuzzTest(maxDuration = "5m")
    void archive(byte[] data) throws IOException {
        byte[] bytes = withIndexChecksum(data);
        MemorySegment file = MemorySegment.ofArray(bytes);
        Path p = FuzzSupport.scratch("input.elfz", bytes);
        List<Kernel> kernels = Kernels.available();
        for (int k = 0; k < kernels.size(); k++) {
            try (Archive r = Archive.open(p, kernels.get(k))) {
                if (kernels.get(k) instanceof NativeKernel) {
                    for (String isa : NativeKernel.supportedIsas()) {
                        NativeKernel.selectIsa(isa);
                        decodeEveryChunk(r, file);
                    }
                    NativeKernel.selectIsa(NativeKernel.supportedIsa());
                } else {
                    decodeEveryChunk(r, file);
                }
            } catch (ElfzException e) {
                FuzzSupport.assertOneLineNaming(p, e);
                if (k > 0) {
                    throw new AssertionError("kernel " + kernels.get(k).name() + " refused what the first opened", e);
                }
                return; // the index is refused: no kernel gets further
            }
        }
    }

    /** Every coded chunk of every tensor, decoded from a fenced copy into a fenced output; then the formula ratios. */
    private static void decodeEveryChunk(Archive r, MemorySegment file) {
        for (ElfzTensor t : r.tensors()) {
            ChunkStream s = t.data();
            for (int i = 0; i < s.chunks().size(); i++) {
                Chunk c = s.chunks().get(i);
                if (!c.coded()) {
                    continue;
                }
                try (FuzzSupport.Fenced fenced = new FuzzSupport.Fenced()) {
                    MemorySegment stored = fenced.copyOf(file.asSlice(c.offset(), c.length()));
                    r.decodeCoded(t, i, stored, fenced.allocate(s.chunkSize(i)));
                } catch (ElfzException e) {
                    FuzzSupport.assertOneLineNaming(r.path(), e);
                }
            }
            try {
                double ratio = r.idealRatio(t);
                assertTrue(!Double.isNaN(ratio), t.name());
            } catch (ElfzException e) {
                FuzzSupport.assertOneLineNaming(r.path(), e);
            }
        }
    }

    /**
     * The input with the CRC32C of its index set in its trailer, when the trailer's offset and length fit the file;
     * otherwise as it is.
     */
    static byte[] withIndexChecksum(byte[] data) {
        int t = data.length - ElfzFormat.TRAILER_BYTES;
        if (t < ElfzFormat.PROLOGUE_BYTES) {
            return data;
        }
        ByteBuffer b = ByteBuffer.wrap(data.clone()).order(ByteOrder.LITTLE_ENDIAN);
        long at = b.getLong(t);
        long length = b.getLong(t + 8);
        if (at < ElfzFormat.PROLOGUE_BYTES || length < 0 || at + length != t) {
            return data;
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), (int) at, (int) length);
        b.putInt(t + 16, (int) crc.getValue());
        return b.array();
    }

    // --- the seed corpus: small archives of every codec, an ONNX model and a directory ---

    @TempDir
    Path dir;

    /** The helpers' archives, one per codec (and an ONNX model, a directory with a blob), 4 KiB or less each. */
    Map<String, byte[]> seeds() throws IOException {
        Path st = smoothWeights(dir.resolve("m.safetensors"));
        LossyOptions q = LossyOptions.NONE.withSelection(List.of(), List.of(), 16);
        Map<String, ElfzOptions> modes = new LinkedHashMap<>();
        modes.put("elf", ElfzOptions.defaults().withCodec(CodecChoice.ELF));
        modes.put("lossless", ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
        modes.put("grid", ElfzOptions.defaults().withErrorBound(1e-3));
        modes.put(
                "uniform",
                ElfzOptions.defaults()
                        .withCodec(CodecChoice.UNIFORM)
                        .withLossy(q.withBits(4).withGranularity(Granularity.GROUP, 32)));
        modes.put("kmeans", ElfzOptions.defaults().withCodec(CodecChoice.KMEANS).withLossy(q.withBits(3)));
        modes.put("prune", ElfzOptions.defaults().withCodec(CodecChoice.ELF).withLossy(q.withPruneFraction(0.5)));
        modes.put("raw", ElfzOptions.defaults().withCodec(CodecChoice.RAW));
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        for (Map.Entry<String, ElfzOptions> m : modes.entrySet()) {
            seeds.put("valid-" + m.getKey(), compressed(st, m.getValue().withChunkBytes(512)));
        }
        Path onnx = Files.write(
                dir.resolve("m.onnx"),
                OnnxBytes.model(new OnnxBytes()
                        .message(
                                5,
                                OnnxBytes.tensor("w", 1, 8, 8).bytes(9, OnnxBytes.floats(OnnxBytes.weights(64, 5))))));
        seeds.put("valid-onnx", compressed(onnx, ElfzOptions.defaults().withChunkBytes(128)));
        Path models = Files.createDirectories(dir.resolve("models/sub"));
        Files.copy(st, models.resolve("a.safetensors"));
        Files.writeString(models.resolve("config.json"), "{\"hidden\": 16}");
        seeds.put(
                "valid-directory",
                compressed(models.getParent(), ElfzOptions.defaults().withChunkBytes(256)));
        Path gguf = Files.write(dir.resolve("m.gguf"), GgufBlocksTest.smallModel());
        seeds.put("valid-blocks", compressed(gguf, ElfzOptions.defaults().withChunkBytes(1024)));
        return seeds;
    }

    /**
     * F32, F16 and F64 weights without NaN or Inf (which would keep a tensor from being quantized) and with few
     * exponents (so that lossless chunks are coded, not stored), and a small I64 tensor.
     */
    private static Path smoothWeights(Path file) throws IOException {
        List<TensorSpec> specs = List.of(
                new TensorSpec("w", Dtype.F32, new long[] {16, 16}),
                new TensorSpec("h", Dtype.F16, new long[] {8, 16}),
                new TensorSpec("d", Dtype.F64, new long[] {4, 16}),
                new TensorSpec("ids", Dtype.I64, new long[] {3}));
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> data = new ArrayList<>();
            for (TensorSpec t : specs) {
                MemorySegment m = arena.allocate(t.byteSize());
                long n = t.byteSize() / (t.dtype().bits() / 8);
                for (long i = 0; i < n; i++) {
                    if (t.dtype() == Dtype.I64) {
                        m.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, i);
                    } else {
                        TestModels.set(m, t.dtype(), i, 0.25 + 0.001 * ((i * 37) % 101));
                    }
                }
                data.add(m);
            }
            SafetensorsWriter.write(file, specs, data, Map.of("format", "pt"), true);
        }
        return file;
    }

    private byte[] compressed(Path in, ElfzOptions options) throws IOException {
        Path z = dir.resolve("out.elfz");
        Elfz.compress(in, z, options.withOverwrite(true));
        return Files.readAllBytes(z);
    }

    /** The committed seeds are valid archives: fuzzing starts from files that decode all the way. */
    @Test
    void theSeedsOpenAndDecode() throws IOException {
        FuzzSupport.checkSeeds(getClass(), "archive", seeds(), seed -> {
            assertTrue(Files.size(seed) <= 4096, seed + " is small");
            try (ElfzReader r = ElfzReader.open(seed);
                    Arena arena = Arena.ofConfined()) {
                for (ElfzTensor t : r.tensors()) {
                    r.read(t, arena);
                }
            }
        });
    }

    static {
        NativeLibrary.get(); // loaded before fuzzing starts: not part of the first execution's time
    }
}
