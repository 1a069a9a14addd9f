package dev.elfz.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.eval.OrtArchive;
import dev.elfz.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Wall time from an .elfz archive of an ONNX model to a ready ONNX Runtime session, two ways, interleaved round by
 * round: decompressed to a file and loaded by path (what {@code elfz eval} did), and straight from the archive
 * ({@link OrtArchive}); the original loaded by path is the reference. Prints medians, minimum and maximum in ms.
 *
 * <pre>java -cp benchmarks.jar:cli/target/lib/* dev.elfz.bench.OrtOpenTiming MODEL.onnx ROUNDS [CODEC]</pre>
 */
public final class OrtOpenTiming {

    private OrtOpenTiming() {}

    @FunctionalInterface
    private interface Way {
        void run() throws IOException, OrtException;
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        CodecChoice codec = args.length > 2 ? CodecChoice.valueOf(args[2].toUpperCase(Locale.ROOT)) : CodecChoice.ELF;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path dir = AtomicFiles.createScratchDirectory("elfz-ort-timing");
        try {
            Path z = dir.resolve("model.onnx.elfz");
            ElfzOptions o = ElfzOptions.defaults().withCodec(codec);
            Elfz.compress(model, z, o);
            Path back = dir.resolve("model.onnx");
            List<String> names = List.of("original by path", "decompress to a file, then by path", "from the archive");
            List<Way> ways = List.of(
                    () -> env.createSession(model.toString()).close(),
                    () -> {
                        Elfz.decompress(z, back, o);
                        env.createSession(back.toString()).close();
                        Files.delete(back);
                    },
                    () -> OrtArchive.open(z).close());
            List<List<Double>> ms = new ArrayList<>();
            names.forEach(n -> ms.add(new ArrayList<>()));
            for (int r = -1; r < rounds; r++) { // round -1 warms up
                for (int w = 0; w < ways.size(); w++) {
                    long t0 = System.nanoTime();
                    ways.get(w).run();
                    if (r >= 0) {
                        ms.get(w).add((System.nanoTime() - t0) / 1e6);
                    }
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "| %s, %s, %d rounds | median ms | min | max |%n|---|---|---|---|%n",
                    model.getFileName(),
                    codec.name().toLowerCase(Locale.ROOT),
                    rounds);
            for (int w = 0; w < ways.size(); w++) {
                List<Double> v = ms.get(w).stream().sorted().toList();
                System.out.printf(
                        Locale.ROOT,
                        "| %s | %.0f | %.0f | %.0f |%n",
                        names.get(w),
                        v.get(v.size() / 2),
                        v.getFirst(),
                        v.getLast());
            }
        } finally {
            AtomicFiles.deleteTemporary(dir);
        }
    }
}
