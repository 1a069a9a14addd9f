package dev.elfz.bench;

import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A large model directory made of a real one's values: the tensors of a safetensors file, tiled copy after copy into
 * shards of about {@code SHARD_BYTES} each ({@code model-0000i-of-0000n.safetensors}), each copy named
 * {@code cK.NAME} and perturbed (one low bit of every 512th 2-byte value flipped, at a place that depends on the
 * copy) so that no chunk of the output repeats another while the values keep their statistics.
 *
 * <pre>HugeModel SOURCE.safetensors OUTDIR TOTAL_BYTES SHARD_BYTES</pre>
 */
public final class HugeModel {

    private static final long PART = 1 << 20;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private HugeModel() {}

    public static void main(String[] args) throws IOException {
        Path source = Path.of(args[0]);
        Path dir = Path.of(args[1]);
        long total = Long.parseLong(args[2]);
        long shardBytes = Long.parseLong(args[3]);
        Files.createDirectories(dir);
        try (SafetensorsFile src = SafetensorsFile.open(source);
                Arena arena = Arena.ofConfined()) {
            List<TensorInfo> tensors = src.tensors();
            int shards = (int) ((total + shardBytes - 1) / shardBytes);
            MemorySegment buffer = arena.allocate(PART, 64);
            int copy = 0;
            int next = 0; // the next source tensor
            for (int s = 1; s <= shards; s++) {
                List<TensorSpec> specs = new ArrayList<>();
                List<TensorInfo> from = new ArrayList<>();
                List<Integer> copies = new ArrayList<>();
                long bytes = 0;
                long want = Math.min(shardBytes, total - (s - 1) * shardBytes);
                while (bytes < want) {
                    TensorInfo t = tensors.get(next);
                    specs.add(new TensorSpec("c" + copy + "." + t.name(), t.dtype(), t.shape()));
                    from.add(t);
                    copies.add(copy);
                    bytes += t.byteSize();
                    if (++next == tensors.size()) {
                        next = 0;
                        copy++;
                    }
                }
                Path out = dir.resolve(String.format("model-%05d-of-%05d.safetensors", s, shards));
                try (SafetensorsWriter w = SafetensorsWriter.create(out, specs, Map.of("format", "pt"), true)) {
                    for (int i = 0; i < specs.size(); i++) {
                        MemorySegment data = src.data(from.get(i));
                        for (long off = 0; off < data.byteSize(); off += PART) {
                            long n = Math.min(PART, data.byteSize() - off);
                            MemorySegment part = buffer.asSlice(0, n);
                            part.copyFrom(data.asSlice(off, n));
                            perturb(part, off, copies.get(i));
                            w.write(i, off, part);
                        }
                    }
                    w.commit();
                }
                System.err.printf("HugeModel: %s, %d tensors, %d bytes%n", out.getFileName(), specs.size(), bytes);
            }
        }
    }

    /** Flips the low bit of one 2-byte value in every 512 (a place set by the copy and the block). */
    private static void perturb(MemorySegment part, long offset, int copy) {
        long values = part.byteSize() / 2;
        long first = offset / 2;
        for (long b = first / 512; b * 512 < first + values; b++) {
            long at = b * 512 + Math.floorMod(copy * 7919L + b * 31, 512) - first;
            if (at >= 0 && at < values) {
                part.set(U16, at * 2, (short) (part.get(U16, at * 2) ^ 1));
            }
        }
    }
}
