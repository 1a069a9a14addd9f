package dev.elfz;

import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Pairs of a base model and a fine-tune of it for the tests of {@code --base}: the base made of BERT-base's real
 * weights ({@link TestModels#bert}), the fine-tune a copy of it with some tensors changed as a fine-tune changes them
 * (every value moved by a relative step of about 1e-3), reshaped (a vocabulary grown), dropped or added.
 */
public final class FineTunes {

    private FineTunes() {}

    /** A tensor of a derived file: its shape and bytes (F32). */
    public record Tensor(long[] shape, MemorySegment bytes) {}

    /** What a derived file holds in place of a tensor of the original (null drops it). */
    @FunctionalInterface
    public interface Change {
        Tensor apply(Tensor original, Arena arena);
    }

    /** The committed golden file {@code name} of {@code dev/elfz/FOLDER/} in the test resources, copied into dir. */
    public static Path committed(Path dir, String folder, String name) throws IOException {
        Path p = dir.resolve(name);
        try (InputStream s = FineTunes.class.getResourceAsStream("/dev/elfz/" + folder + "/" + name)) {
            Files.copy(s, p);
        }
        return p;
    }

    /** {@code n} F32 tensors "bert.0" .. of shape {@code rows x cols}, filled with BERT-base's weights. */
    public static Path base(Path file, int n, long rows, long cols) throws IOException {
        long[][] shapes = new long[n][];
        for (int i = 0; i < n; i++) {
            shapes[i] = new long[] {rows, cols};
        }
        return TestModels.bert(file, Dtype.F32, shapes);
    }

    /**
     * Writes {@code to}: the tensors of {@code from} in order, each through its change when it has one, then
     * {@code added} (name to tensor) at the end.
     */
    public static Path derive(Path from, Path to, Map<String, Change> changes, Map<String, Tensor> added)
            throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(from);
                Arena arena = Arena.ofConfined()) {
            List<TensorSpec> specs = new ArrayList<>();
            List<MemorySegment> data = new ArrayList<>();
            for (TensorInfo t : f.tensors()) {
                MemorySegment copy = arena.allocate(Math.max(1, t.byteSize())).asSlice(0, t.byteSize());
                copy.copyFrom(f.data(t));
                Tensor x = new Tensor(t.shape(), copy);
                Change c = changes.get(t.name());
                x = c == null ? x : c.apply(x, arena);
                if (x != null) {
                    specs.add(new TensorSpec(t.name(), t.dtype(), x.shape()));
                    data.add(x.bytes());
                }
            }
            added.forEach((name, x) -> {
                specs.add(new TensorSpec(name, Dtype.F32, x.shape()));
                data.add(x.bytes());
            });
            SafetensorsWriter.write(to, specs, data, Map.of(), true);
        }
        return to;
    }

    /** Every value moved as a fine-tune moves it: {@code x (1 + 1e-3 g)}, g Gaussian, rounded to float32. */
    public static Change tuned(long seed) {
        return (t, arena) -> {
            SplittableRandom r = new SplittableRandom(seed);
            MemorySegment b = t.bytes();
            for (long i = 0; i < b.byteSize() / 4; i++) {
                float x = b.getAtIndex(TestModels.F32, i);
                b.setAtIndex(TestModels.F32, i, (float) (x * (1 + 1e-3 * gaussian(r))));
            }
            return t;
        };
    }

    /** The specials of {@link TestModels#SPECIALS} (NaN, ±Inf, -0.0 ...) written from value {@code at} on. */
    public static Change specials(long at) {
        return (t, arena) -> {
            for (int i = 0; i < TestModels.SPECIALS.length; i++) {
                t.bytes().setAtIndex(TestModels.F32, at + i, (float) TestModels.SPECIALS[i]);
            }
            return t;
        };
    }

    /** Both changes, {@code first} then {@code then}. */
    public static Change both(Change first, Change then) {
        return (t, arena) -> then.apply(first.apply(t, arena), arena);
    }

    /** {@code more} rows added after the tensor's own (a vocabulary grown), filled with {@code 0.01 * row}. */
    public static Change grown(long more) {
        return (t, arena) -> {
            long[] shape = t.shape().clone();
            long rowBytes = t.bytes().byteSize() / shape[0];
            shape[0] += more;
            MemorySegment b = arena.allocate(shape[0] * rowBytes);
            b.copyFrom(t.bytes());
            for (long i = t.bytes().byteSize() / 4; i < b.byteSize() / 4; i++) {
                b.setAtIndex(TestModels.F32, i, 0.01f * (i / (rowBytes / 4)));
            }
            return new Tensor(shape, b);
        };
    }

    private static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
