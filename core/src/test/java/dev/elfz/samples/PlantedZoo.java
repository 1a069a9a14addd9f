package dev.elfz.samples;

import dev.elfz.Dtype;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A model zoo with known duplication, made from one real model (a hub's base model and its fine-tunes), for
 * measuring {@code elfz analyze} on real weights with answers known in advance:
 * <ul>
 *   <li>{@code base/model.safetensors}: the model as it is;</li>
 *   <li>{@code finetune-K/model.safetensors}, K = 1..N: the same tensors, of which the last {@code 8 K} are
 *       "retrained" (every value's lowest byte XORed with K, so none of their chunks repeats, here or in another fine-tune); the others repeat the
 *       base's exactly;</li>
 *   <li>{@code shifted/model.safetensors}: one U8 tensor, 1000 random bytes then the bytes of the base's largest
 *       tensor: a repeat at an offset that no 512-byte or 4 KiB grid shares, which only content-defined chunking
 *       finds.</li>
 * </ul>
 * Prints the planted answers as JSON: duplicate layers and their bytes (every fixed-size duplicate chunk is inside
 * them), and the shifted bytes (FastCDC finds them, but for the chunks around the start and end).
 *
 * <pre>PlantedZoo MODEL.safetensors OUTDIR [FINE_TUNES]   (default 6)</pre>
 */
public final class PlantedZoo {

    private PlantedZoo() {}

    /** Bytes of random data before the shifted copy: not a multiple of 512. */
    static final int SHIFT = 1000;

    /** What was planted. */
    public record Planted(
            long files, long tensors, long bytes, long duplicateLayers, long duplicateLayerBytes, long shiftedBytes) {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: PlantedZoo MODEL.safetensors OUTDIR [FINE_TUNES]");
            System.exit(2);
        }
        int fineTunes = args.length == 3 ? Integer.parseInt(args[2]) : 6;
        if (fineTunes < 0 || fineTunes > 255) {
            System.err.println("PlantedZoo: FINE_TUNES must be 0 to 255 (each XORs its own byte value)");
            System.exit(2);
        }
        Planted p = write(Path.of(args[0]), Path.of(args[1]), fineTunes);
        System.out.printf(
                Locale.ROOT,
                "{\"files\": %d, \"tensors\": %d, \"bytes\": %d, \"duplicate_layers\": %d, "
                        + "\"duplicate_layer_bytes\": %d, \"shifted_bytes\": %d}%n",
                p.files(),
                p.tensors(),
                p.bytes(),
                p.duplicateLayers(),
                p.duplicateLayerBytes(),
                p.shiftedBytes());
    }

    /** Writes the zoo under {@code dir} (replacing its files) and returns what was planted. */
    public static Planted write(Path model, Path dir, int fineTunes) throws IOException {
        try (SafetensorsFile base = SafetensorsFile.open(model)) {
            List<TensorInfo> tensors = base.tensors();
            long bytes = 0;
            for (TensorInfo t : tensors) {
                bytes += t.byteSize();
            }
            copy(base, dir.resolve("base/model.safetensors"), tensors.size(), 0);
            long dupLayers = 0, dupBytes = 0, total = bytes;
            for (int k = 1; k <= fineTunes; k++) {
                int firstRetrained = Math.max(0, tensors.size() - 8 * k);
                copy(base, dir.resolve("finetune-" + k + "/model.safetensors"), firstRetrained, k);
                for (int i = 0; i < tensors.size(); i++) {
                    if (i < firstRetrained || tensors.get(i).byteSize() == 0) { // an empty tensor stays the same
                        dupLayers++;
                        dupBytes += tensors.get(i).byteSize();
                    }
                }
                total += bytes;
            }
            TensorInfo largest = tensors.stream()
                    .max((a, b) -> Long.compare(a.byteSize(), b.byteSize()))
                    .orElseThrow();
            shifted(base, largest, dir.resolve("shifted/model.safetensors"));
            total += SHIFT + largest.byteSize();
            return new Planted(
                    fineTunes + 2L,
                    (long) tensors.size() * (fineTunes + 1) + 1,
                    total,
                    dupLayers,
                    dupBytes,
                    largest.byteSize());
        }
    }

    /** The model with tensors {@code keep} and on "retrained": the lowest byte of every value XORed with {@code k}. */
    private static void copy(SafetensorsFile base, Path out, int keep, int k) throws IOException {
        Files.createDirectories(out.getParent());
        List<TensorInfo> tensors = base.tensors();
        try (SafetensorsWriter w = SafetensorsWriter.create(
                out, tensors.stream().map(TensorInfo::spec).toList(), Map.of(), true)) {
            for (int i = 0; i < tensors.size(); i++) {
                MemorySegment src = base.data(tensors.get(i));
                MemorySegment dst = w.region(i);
                dst.copyFrom(src);
                if (i >= keep) {
                    retrain(dst, tensors.get(i).dtype(), k);
                }
            }
            w.commit();
        }
    }

    /** XORs the lowest byte of every value (every byte for dtypes without a float layout) with {@code k}. */
    private static void retrain(MemorySegment s, Dtype dtype, int k) {
        long step = dtype.elfType() != null ? dtype.elfType().valueBytes() : 1;
        for (long o = 0; o < s.byteSize(); o += step) {
            s.set(ValueLayout.JAVA_BYTE, o, (byte) (s.get(ValueLayout.JAVA_BYTE, o) ^ k));
        }
    }

    private static void shifted(SafetensorsFile base, TensorInfo t, Path out) throws IOException {
        Files.createDirectories(out.getParent());
        long n = SHIFT + t.byteSize();
        try (SafetensorsWriter w = SafetensorsWriter.create(
                out, List.of(new TensorSpec("shifted", Dtype.U8, new long[] {n})), Map.of(), true)) {
            MemorySegment dst = w.region(0);
            byte[] noise = new byte[SHIFT];
            new SplittableRandom(SHIFT).nextBytes(noise);
            MemorySegment.copy(MemorySegment.ofArray(noise), 0, dst, 0, SHIFT);
            MemorySegment.copy(base.data(t), 0, dst, SHIFT, t.byteSize());
            w.commit();
        }
    }
}
