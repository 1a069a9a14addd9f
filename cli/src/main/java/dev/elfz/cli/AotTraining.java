package dev.elfz.cli;

import dev.elfz.Dtype;
import dev.elfz.io.AtomicFiles;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The training run of elfz's ahead-of-time cache (JDK 25, -XX:AOTCacheOutput; {@code bin/aot-cache.sh} runs it):
 * prints the version and every command's help, then compresses, lists, verifies and decompresses a small generated
 * model, also losslessly and within an error bound, so that the classes and profiles of every command and codec are in
 * the cache and later runs start without loading and linking them again.
 */
public final class AotTraining {

    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        Path dir = AtomicFiles.createScratchDirectory("elfz-aot");
        try {
            Path model = dir.resolve("m.safetensors");
            List<TensorSpec> specs = List.of(
                    new TensorSpec("w", Dtype.F32, new long[] {512, 1024}),
                    new TensorSpec("b", Dtype.BF16, new long[] {1024}));
            try (Arena arena = Arena.ofConfined()) {
                SplittableRandom r = new SplittableRandom(1);
                MemorySegment w = arena.allocate(512 * 1024 * 4, 64);
                for (long i = 0; i < 512 * 1024; i++) {
                    w.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (0.04 * r.nextGaussian()));
                }
                MemorySegment b = arena.allocate(2048);
                SafetensorsWriter.write(model, specs, List.of(w, b), Map.of("format", "pt"), true);
            }
            String z = dir.resolve("m.elfz").toString();
            run("--version");
            run("--help");
            for (String command : Main.commandLine().getSubcommands().keySet()) {
                run(command, "--help");
            }
            String back = dir.resolve("back.safetensors").toString();
            for (int round = 0; round < 3; round++) { // profiles need a few calls
                for (List<String> mode :
                        List.of(List.<String>of(), List.of("--codec", "lossless"), List.of("--error-bound", "1e-4"))) {
                    List<String> compress = new ArrayList<>(List.of("compress", "-q", "-f"));
                    compress.addAll(mode);
                    compress.addAll(List.of(model.toString(), "-o", z));
                    run(compress.toArray(String[]::new));
                    if (mode.isEmpty()) { // the default mode's archive is listed and verified too
                        run("info", z);
                        run("info", "--json", z);
                        run("verify", "-q", model.toString(), z);
                    }
                    run("decompress", "-q", "-f", z, "-o", back);
                }
            }
        } finally {
            AtomicFiles.deleteTemporary(dir);
        }
    }

    private static void run(String... args) {
        int code = Main.run(args);
        if (code != 0) {
            throw new IllegalStateException("elfz " + String.join(" ", args) + " exited with " + code);
        }
    }
}
