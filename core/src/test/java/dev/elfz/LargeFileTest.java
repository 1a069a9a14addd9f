package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file over 4 GiB with a tensor over 2^31 elements, compressed and decompressed by a JVM limited to 256 MB of
 * heap: the data never goes onto the heap. The input is sparse; the outputs are real (2 and 4 GiB).
 */
class LargeFileTest {

    static final long BIG = (1L << 31) + 24; // BF16 elements: 4 GiB + 48 bytes
    static final ValueLayout.OfShort U16 = TestModels.U16;
    // positions past 2^31, at and around chunk edges (a 1 MiB chunk holds 2^19 BF16 values)
    static final long[] PROBES = {0, (1L << 19) - 1, 1L << 19, (1L << 31) - 1, 1L << 31, (1L << 31) + 5, BIG - 1};

    @Test
    void overFourGiBWithASmallHeap(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("big.safetensors");
        List<TensorSpec> specs = List.of(
                new TensorSpec("head", Dtype.F32, new long[] {2}),
                new TensorSpec("big", Dtype.BF16, new long[] {2, BIG / 2}));
        try (SafetensorsWriter w = SafetensorsWriter.create(in, specs, Map.of("k", "v"), false)) {
            w.region(0).setAtIndex(TestModels.F32, 1, 0.5f);
            MemorySegment big = w.region(1); // sparse: only the probed pages get blocks
            for (long i : PROBES) {
                TestModels.set(big, Dtype.BF16, i, i == (1L << 31) + 5 ? 3.0 : -0.25);
            }
            w.commit();
        }
        Path z = dir.resolve("big.safetensors.elfz");
        Path back = dir.resolve("back.safetensors");
        run("compress", in.toString(), z.toString());
        run("decompress", z.toString(), back.toString());
        assertTrue(Files.size(z) < Files.size(in) / 2 + (1 << 20), "BF16 ELF codes take one byte: " + Files.size(z));
        try (SafetensorsFile f = SafetensorsFile.open(back)) {
            assertEquals(Files.size(in), f.fileSize());
            assertEquals(Map.of("k", "v"), f.metadata());
            assertEquals(0.5f, f.data(f.tensor("head")).getAtIndex(TestModels.F32, 1));
            MemorySegment big = f.data(f.tensor("big"));
            for (long i : PROBES) {
                assertEquals(i == (1L << 31) + 5 ? 3.0 : -0.25, TestModels.get(big, Dtype.BF16, i), "value " + i);
                assertEquals(0, big.getAtIndex(U16, i + (i == BIG - 1 ? -7 : 7)), "zero near " + i);
            }
        }
    }

    /** Runs {@link Main} in a JVM with -Xmx256m. */
    private static void run(String what, String from, String to) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "--enable-native-access=ALL-UNNAMED",
                "--add-modules",
                "jdk.incubator.vector",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                what,
                from,
                to));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), what + " timed out");
        assertEquals(0, p.exitValue(), what + ": " + out);
    }

    /** The child JVM: compress or decompress with the library's defaults (ELF for BF16 too). */
    public static final class Main {
        public static void main(String[] args) throws IOException {
            ElfzOptions o = ElfzOptions.defaults().withCodec(CodecChoice.ELF);
            if (args[0].equals("compress")) {
                Elfz.compress(Path.of(args[1]), Path.of(args[2]), o);
            } else {
                Elfz.decompress(Path.of(args[1]), Path.of(args[2]), o);
            }
        }
    }
}
