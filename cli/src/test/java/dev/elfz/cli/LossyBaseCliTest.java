package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.Dtype;
import dev.elfz.ElfzOptions;
import dev.elfz.FineTunes;
import dev.elfz.LossyBaseDeltaTest;
import dev.elfz.TestModels;
import dev.elfz.onnx.OnnxBytes;
import dev.elfz.onnx.OnnxFile;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.torch.TorchBytes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --base} with lossy options on the command line, and fine-tunes of every input kind against their base: a
 * safetensors pair of BERT weights, all-MiniLM-L6-v2 with some initializers tuned, and PyTorch checkpoints.
 */
class LossyBaseCliTest {

    @TempDir
    Path dir;

    @Test
    void aLossyFineTuneIsWithinItsBoundAndAWrongBaseIsOneLine() throws IOException {
        Path base = FineTunes.base(dir.resolve("base.safetensors"), 8, 48, 64);
        Path ft = FineTunes.derive(
                base,
                dir.resolve("ft.safetensors"),
                Map.of(
                        "bert.4",
                        FineTunes.both(FineTunes.tuned(4), FineTunes.specials(7)),
                        "bert.2",
                        FineTunes.tuned(2)),
                Map.of());
        Path z = dir.resolve("ft.elfz");
        run("compress", "-q", "--error-bound", "1e-6", ft, "--base", base, "-o", z)
                .succeeds();
        JsonNode row = run("info", "--json", z).succeeds().json().get("base");
        assertEquals(8, row.get("delta_tensors").asInt(), row.toString());
        assertTrue(run("verify", "--json", ft, z, "--base", base)
                .succeeds()
                .json()
                .get("ok")
                .asBoolean());
        Path back = dir.resolve("back.safetensors");
        run("decompress", "-q", z, "--base", base, "-o", back).succeeds();
        LossyBaseDeltaTest.assertWithin(ft, back, ElfzOptions.defaults().withErrorBound(1e-6), Dtype.F32);

        Path other = FineTunes.derive(
                base, dir.resolve("other.safetensors"), Map.of("bert.2", FineTunes.tuned(9)), Map.of());
        List<String> before = Cli.listing(dir);
        Path out = dir.resolve("out.safetensors");
        run("decompress", z, "--base", other, "-o", out)
                .failsWith("other.safetensors", "is not the base of tensor bert.2");
        run("verify", ft, z, "--base", other).failsWith("is not the base of tensor bert.2");
        run("decompress", z, "-o", out).failsWith("is stored as a delta", "--base");
        assertEquals(before, Cli.listing(dir), "nothing written");
    }

    /** all-MiniLM-L6-v2 and a copy with three of its larger initializers tuned, written over their raw payloads. */
    @Test
    void anOnnxFineTuneAgainstItsBase() throws IOException {
        Path base = OnnxBytes.miniLm(Files.createDirectories(dir.resolve("base")));
        Path ft = Files.createDirectories(dir.resolve("ft")).resolve("model.onnx");
        byte[] bytes = Files.readAllBytes(base);
        int tuned = 0;
        try (OnnxFile f = OnnxFile.open(base)) {
            for (TensorInfo t : f.tensors()) {
                long n = t.end() - t.begin();
                if (tuned < 3 && t.dtype() == Dtype.F32 && n >= 4 * 4096 && rawAt(bytes, t, f.data(t))) {
                    tune(bytes, t.begin(), n / 4, tuned++);
                }
            }
        }
        assertEquals(3, tuned, "three initializers tuned");
        Files.write(ft, bytes);
        pairRoundTrips(base, ft, dir.resolve("back.onnx"));
    }

    /** PyTorch checkpoints as torch.save writes them (TorchBytes): two tensors tuned, one frozen, one with specials. */
    @Test
    void aTorchFineTuneAgainstItsBase() throws IOException {
        Path weights = FineTunes.base(dir.resolve("weights.safetensors"), 4, 64, 64);
        TorchBytes base = new TorchBytes("base");
        TorchBytes ft = new TorchBytes("ft");
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            for (int i = 0; i < 4; i++) {
                TensorInfo t = f.tensors().get(i);
                float[] v = f.data(t).toArray(TestModels.F32);
                base.floats("layer." + i + ".weight", String.valueOf(i), t.shape(), v);
                float[] w = v.clone();
                SplittableRandom r = new SplittableRandom(i);
                for (int j = 0; j < w.length && i % 2 == 1; j++) {
                    w[j] = (float) (w[j] * (1 + 1e-3 * r.nextGaussian()));
                }
                if (i == 3) {
                    w[5] = Float.NaN;
                    w[6] = Float.NEGATIVE_INFINITY;
                    w[7] = -0.0f;
                }
                ft.floats("layer." + i + ".weight", String.valueOf(i), t.shape(), w);
            }
        }
        Path b = Files.write(dir.resolve("base.pt"), base.bytes());
        Path f = Files.write(dir.resolve("ft.pt"), ft.bytes());
        pairRoundTrips(b, f, dir.resolve("back.pt"));
    }

    /**
     * The pair losslessly (decompressed byte for byte) and at --error-bound 1e-6 (verify passes; smaller than the
     * fine-tune alone at the same bound).
     */
    private void pairRoundTrips(Path base, Path ft, Path back) throws IOException {
        Path z = dir.resolve("lossless.elfz");
        run("compress", "-q", "--codec", "lossless", ft, "--base", base, "-o", z)
                .succeeds();
        run("decompress", "-q", z, "--base", base, "-o", back).succeeds();
        assertEquals(-1, Files.mismatch(ft, back), "lossless: bit for bit");
        assertTrue(run("info", "--json", z)
                        .succeeds()
                        .json()
                        .get("base")
                        .get("delta_tensors")
                        .asInt()
                > 0);

        Path lossy = dir.resolve("lossy.elfz");
        Path alone = dir.resolve("alone.elfz");
        run("compress", "-q", "--error-bound", "1e-6", ft, "--base", base, "-o", lossy)
                .succeeds();
        run("compress", "-q", "--error-bound", "1e-6", ft, "-o", alone).succeeds();
        assertTrue(
                Files.size(lossy) * 2 < Files.size(alone),
                Files.size(lossy) + " bytes against the base, " + Files.size(alone) + " alone");
        assertTrue(run("verify", "--json", ft, lossy, "--base", base)
                .succeeds()
                .json()
                .get("ok")
                .asBoolean());
        Files.delete(back);
        run("decompress", "-q", lossy, "--base", base, "-o", back).succeeds();
        assertEquals(Files.size(ft), Files.size(back));
    }

    /** Whether the tensor's values lie as they are at its range of the file (a raw payload, not varints). */
    private static boolean rawAt(byte[] file, TensorInfo t, MemorySegment data) {
        return data.byteSize() == t.end() - t.begin()
                && MemorySegment.ofArray(file)
                                .asSlice(t.begin(), data.byteSize())
                                .mismatch(data)
                        == -1;
    }

    /** Moves {@code n} float32 values at {@code at} as a fine-tune does: {@code x (1 + 1e-3 g)}. */
    private static void tune(byte[] file, long at, long n, long seed) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < n; i++) {
            int p = (int) (at + 4 * i);
            b.putFloat(p, (float) (b.getFloat(p) * (1 + 1e-3 * r.nextGaussian())));
        }
    }
}
