package dev.elfz.analyze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.CodecChoice;
import dev.elfz.Dtype;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.onnx.OnnxBytes;
import dev.elfz.onnx.OnnxFile;
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
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A planted zoo of all-MiniLM-L6-v2's real weights: the model, a fine-tune of it (a few tensors changed slightly),
 * and an unrelated model of the same shape (every tensor's values shuffled). The analysis names the pair and its
 * delta estimate is close to what XOR and the lossless codec really give.
 */
class PairsTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** The fine-tune changes the last this many matrices in file order (the ONNX weights' names are numbers). */
    private static final int TUNED = 6;

    /** The estimate's error allowed against XOR plus real lossless compression (measured: see the test's output). */
    private static final double TOLERANCE = 0.10;

    @TempDir
    static Path dir;

    static Path zoo;
    static List<TensorSpec> specs = new ArrayList<>();
    static List<MemorySegment> base = new ArrayList<>();
    static List<MemorySegment> tuned = new ArrayList<>();
    static int changed;

    @BeforeAll
    static void plant() throws IOException {
        zoo = Files.createDirectories(dir.resolve("zoo"));
        Arena arena = Arena.ofAuto();
        try (OnnxFile f = OnnxFile.open(OnnxBytes.miniLm(dir))) {
            for (TensorInfo t : f.tensors()) {
                specs.add(new TensorSpec(t.name(), t.dtype(), t.shape()));
                base.add(arena.allocate(t.byteSize(), 8).copyFrom(f.data(t)));
            }
        }
        SplittableRandom r = new SplittableRandom(7);
        int matrices = (int) specs.stream()
                .filter(s -> s.dtype() == Dtype.F32 && s.shape().length == 2)
                .count();
        int matrix = 0;
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec s = specs.get(i);
            boolean tune = s.dtype() == Dtype.F32 && s.shape().length == 2 && matrix++ >= matrices - TUNED;
            changed += tune ? 1 : 0;
            // a fine-tuning step's size: each value moved by about 1e-3 of itself
            tuned.add(
                    tune ? map(arena, base.get(i), (k, v) -> v * (float) (1 + 1e-3 * r.nextGaussian())) : base.get(i));
        }
        List<MemorySegment> other = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            MemorySegment b = base.get(i);
            int n = (int) (b.byteSize() / 4);
            int[] order = shuffled(n, r);
            other.add(specs.get(i).dtype() == Dtype.F32 ? map(arena, b, (k, v) -> b.getAtIndex(F32, order[k])) : b);
        }
        SafetensorsWriter.write(zoo.resolve("a-base.safetensors"), specs, base, Map.of(), false);
        SafetensorsWriter.write(zoo.resolve("b-tuned.safetensors"), specs, tuned, Map.of(), false);
        SafetensorsWriter.write(zoo.resolve("c-other.safetensors"), specs, other, Map.of(), false);
    }

    @Test
    void theFineTuneIsNamedWithItsBaseAndTheUnrelatedModelIsNot() throws IOException {
        Analysis.Report report = new Analysis(Analysis.Options.defaults().withThreads(2)).run(List.of(zoo));
        assertEquals(1, report.pairs().size(), report.pairs().toString());
        Analysis.Pair p = report.pairs().getFirst();
        assertEquals(zoo.resolve("a-base.safetensors").toString(), p.base());
        assertEquals(zoo.resolve("b-tuned.safetensors").toString(), p.fineTune());
        assertEquals(specs.size(), p.tensors());
        assertEquals(changed, p.changedTensors());
        assertEquals(TUNED, changed);

        // the real thing: the fine-tune's XOR with its base, compressed with the lossless codec
        List<MemorySegment> xor = new ArrayList<>();
        Arena arena = Arena.ofAuto();
        for (int i = 0; i < specs.size(); i++) {
            MemorySegment x = arena.allocate(base.get(i).byteSize(), 8).copyFrom(tuned.get(i));
            if (specs.get(i).dtype() == Dtype.F32) {
                CodecEstimate.xor(x, base.get(i));
            }
            xor.add(x);
        }
        Path delta = dir.resolve("delta.safetensors");
        SafetensorsWriter.write(delta, specs, xor, Map.of(), false);
        Path z = dir.resolve("delta.elfz");
        Elfz.compress(
                delta, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS).withThreads(2));
        Path ft = zoo.resolve("b-tuned.safetensors");
        double real = (double) Files.size(ft) / Files.size(z);
        double error = p.delta().ratio() / real - 1;
        System.out.printf(
                Locale.ROOT,
                "alone %.3f, delta predicted %.2f, XOR + lossless %.2f (%+.1f%%)%n",
                p.alone().ratio(),
                p.delta().ratio(),
                real,
                100 * error);
        assertTrue(Math.abs(error) <= TOLERANCE, "estimate " + p.delta().ratio() + " for " + real);
        assertTrue(p.delta().ratio() >= 3 * p.alone().ratio(), "six tensors of 102 changed: a large gain");
    }

    private static MemorySegment map(Arena arena, MemorySegment from, BiFunction<Integer, Float, Float> f) {
        MemorySegment to = arena.allocate(from.byteSize(), 8);
        for (int k = 0; k < from.byteSize() / 4; k++) {
            to.setAtIndex(F32, k, f.apply(k, from.getAtIndex(F32, k)));
        }
        return to;
    }

    private static int[] shuffled(int n, SplittableRandom r) {
        int[] a = new int[n];
        for (int k = 0; k < n; k++) {
            a[k] = k;
        }
        for (int k = n - 1; k > 0; k--) {
            int j = r.nextInt(k + 1);
            int t = a[k];
            a[k] = a[j];
            a[j] = t;
        }
        return a;
    }
}
