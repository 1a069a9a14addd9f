package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.PromiseOracle;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tensors lossy codecs cannot hold within their promise (ranges overflowing float32, subnormal ranges, values whose
 * decoding would round past the dtype's maximum) keep their value codec, and -v says so; every decoded value is
 * checked against the promise ({@link PromiseOracle}); verify checks each value with its own group's bound, never
 * passes an Inf that was finite, and takes equal bits as exact.
 */
class LossyPromiseCliTest {

    @TempDir
    Path dir;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A [64, 128] tensor w of N(0, 0.05) weights with {@code special} values at the given places. */
    private Path tensor(String name, Dtype d, Map<Integer, Double> special) throws IOException {
        TensorSpec spec = new TensorSpec("w", d, new long[] {64, 128});
        Path p = dir.resolve(name);
        SplittableRandom r = new SplittableRandom(7);
        try (SafetensorsWriter w = SafetensorsWriter.create(p, List.of(spec), Map.of(), false)) {
            MemorySegment m = w.region(0);
            for (int i = 0; i < spec.elements(); i++) {
                double x = special.getOrDefault(i, r.nextGaussian() * 0.05);
                switch (d) {
                    case F32 -> m.setAtIndex(F32, i, (float) x);
                    case F64 -> m.setAtIndex(F64, i, x);
                    case F16 -> m.setAtIndex(U16, i, Float.floatToFloat16((float) x));
                    default -> m.setAtIndex(U16, i, (short) (Float.floatToRawIntBits((float) x) >>> 16)); // BF16
                }
            }
            w.commit();
        }
        return p;
    }

    /**
     * Compresses with the options, expects tensor w left to {@code kept} with a -v note naming it, decompresses,
     * checks every value against the promise and that verify agrees.
     */
    private void leftTo(Codec kept, Path in, Object... options) throws IOException {
        Path z = dir.resolve("w.elfz");
        List<Object> args = new ArrayList<>(List.of("compress", "-v", "-f", in, "-o", z));
        args.addAll(List.of(options));
        Cli.Run c = run(args.toArray()).succeeds();
        assertTrue(
                c.err().contains("elfz: left as " + kept.id() + ": " + in.getFileName() + " w: "),
                List.of(options) + ": " + c.err());
        assertEquals(kept, PromiseOracle.codec(z, "w"), List.of(options).toString());
        checkRoundTrip(in, z);
    }

    /** Decompresses, checks every value against its codec's promise, and that verify passes. */
    private void checkRoundTrip(Path in, Path z) throws IOException {
        Path back = dir.resolve("back.safetensors");
        run("decompress", "-q", "-f", z, "-o", back).succeeds();
        assertNull(PromiseOracle.check(in, back, z));
        run("verify", "-q", in, z).succeeds();
    }

    @Test
    void fltMaxIsLeftToElf() throws IOException {
        Path in =
                tensor("max.safetensors", Dtype.F32, Map.of(0, (double) Float.MAX_VALUE, 1, (double) -Float.MAX_VALUE));
        leftTo(Codec.ELF, in, "--codec", "uniform", "--bits", "8");
    }

    @Test
    void hugeF64AndBf16NearItsMaximum() throws IOException {
        Path f64 = tensor("huge.safetensors", Dtype.F64, Map.of(100, 1e300));
        leftTo(Codec.ELF, f64, "--codec", "uniform", "--bits", "8");
        leftTo(Codec.ELF, f64, "--codec", "kmeans", "--bits", "4"); // float32 centroids cannot hold 1e300
        Path bf16 = tensor("bf16.safetensors", Dtype.BF16, Map.of(0, 3.3895314e38, 1, -3.3895314e38));
        leftTo(Codec.LOSSLESS, bf16, "--codec", "uniform", "--bits", "8");
        leftTo(Codec.LOSSLESS, bf16, "--codec", "uniform", "--bits", "4", "--group-size", "32");
    }

    @Test
    void f64SubnormalGroups() throws IOException {
        Path in = tensor("tiny.safetensors", Dtype.F64, Map.of(6, -2.2e-308, 7, 1e-300));
        leftTo(Codec.ELF, in, "--codec", "uniform", "--bits", "8", "--group-size", "1");
        leftTo(Codec.ELF, in, "--codec", "uniform", "--bits", "8", "--group-size", "2");
    }

    @Test
    void f16AtItsMaximumForEveryWidth() throws IOException {
        Path in = tensor("half.safetensors", Dtype.F16, Map.of(0, 65504.0, 1, -65504.0));
        for (int bits = 2; bits <= 8; bits++) {
            leftTo(Codec.LOSSLESS, in, "--codec", "uniform", "--bits", bits);
            leftTo(Codec.LOSSLESS, in, "--codec", "uniform", "--bits", bits, "--per-channel");
        }
    }

    @Test
    void verifyChecksEachValueAgainstItsOwnGroup() throws IOException {
        Map<Integer, Double> big = Map.of(0, 1000.0, 1, -1000.0); // group 0's scale is 7.8, the others' about 1e-3
        Path in = tensor("groups.safetensors", Dtype.F32, big);
        Path z = dir.resolve("groups.elfz");
        run("compress", "-q", "--codec", "uniform", "--bits", "8", "--group-size", "32", in, "-o", z)
                .succeeds();
        checkRoundTrip(in, z);
        // the original changes by 0.5 in a group of small values: within group 0's bound, far outside its own
        byte[] bytes = Files.readAllBytes(in);
        long data = 8 + ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0); // past the JSON header
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) data + 4 * 40, 0.5f);
        Files.write(in, bytes);
        run("verify", in, z).failsWith("value 40: 0.5 decoded as", "> bound");
    }

    @Test
    void verifyRefusesAFiniteValueDecodedAsInfinity() throws IOException {
        // written by an earlier elfz, whose 8-bit uniform quantization decoded F16 65504 as +Inf and verify passed it
        Path in = resource("f16-max-uniform.safetensors");
        Path z = resource("f16-max-uniform.elfz");
        run("verify", in, z).failsWith("value 0: 65504.0 decoded as Infinity", "a finite value decoded as Infinity");
    }

    private Path resource(String name) throws IOException {
        Path p = dir.resolve(name);
        try (InputStream s = getClass().getResourceAsStream("/dev/elfz/old-writer/" + name)) {
            Files.copy(s, p);
        }
        return p;
    }

    @Test
    void equalBitsAreExactWhateverTheValues() throws IOException {
        Map<Integer, Double> special =
                Map.of(5000, Double.POSITIVE_INFINITY, 6000, Double.NaN, 7000, Double.NEGATIVE_INFINITY);
        Path f16 = tensor("inf.safetensors", Dtype.F16, special);
        Path z = dir.resolve("inf.elfz");
        run("compress", "-q", "--prune", "0", f16, "-o", z).succeeds();
        Path back = dir.resolve("inf-back.safetensors");
        run("decompress", "-q", z, "-o", back).succeeds();
        assertEquals(-1, Files.mismatch(f16, back), "nothing pruned: the same bytes");
        run("verify", "-q", f16, z).succeeds();

        Path bf16 = tensor("inf16.safetensors", Dtype.BF16, special);
        for (List<String> o : List.of(
                List.of("--prune", "0.5"),
                List.of("--prune", "1"),
                List.of("--prune-threshold", "0.01"),
                List.of("--prune", "0.5", "--codec", "lossless"),
                List.of("--prune", "0.5", "--codec", "raw"),
                List.of("--prune", "0.5", "--error-bound", "0.01"),
                List.of("--prune", "0.5", "--codec", "elf"))) {
            List<Object> args = new ArrayList<>(List.of("compress", "-q", "-f", bf16, "-o", z));
            args.addAll(o);
            run(args.toArray()).succeeds();
            assertEquals(Codec.PRUNE, PromiseOracle.codec(z, "w"), o.toString());
            checkRoundTrip(bf16, z);
        }
    }
}
